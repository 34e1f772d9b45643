"""app/serving.py: the writes of one event-loop step leave in one system call."""

from __future__ import annotations

import asyncio
import socket

import pytest

from app.serving import PROTOCOL, CoalescingTransport


class FakeTransport:
    def __init__(self) -> None:
        self.calls: list[tuple[str, list[bytes]]] = []
        self.closing = False

    def write(self, data: bytes) -> None:
        self.calls.append(("write", [data]))

    def writelines(self, data: list[bytes]) -> None:
        self.calls.append(("writelines", list(data)))

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.calls.append(("close", []))
        self.closing = True

    def abort(self) -> None:
        self.calls.append(("abort", []))
        self.closing = True

    def get_write_buffer_size(self) -> int:
        return 0

    def get_extra_info(self, name: str, default=None):
        return {"peername": ("127.0.0.1", 1)}.get(name, default)


def test_head_and_body_written_in_one_step_leave_together() -> None:
    async def main():
        fake = FakeTransport()
        t = CoalescingTransport(fake, asyncio.get_running_loop())
        t.write(b"HTTP/1.1 200 OK\r\n\r\n")
        t.write(b"")  # ignored
        t.write(b"body")
        assert fake.calls == [] and t.get_write_buffer_size() == len(b"HTTP/1.1 200 OK\r\n\r\nbody")
        await asyncio.sleep(0)
        assert fake.calls == [("writelines", [b"HTTP/1.1 200 OK\r\n\r\n", b"body"])]
        t.write(b"event: progress\n\n")  # a later step: its own write
        await asyncio.sleep(0)
        assert fake.calls[-1] == ("write", [b"event: progress\n\n"])
        t.write(b"last")
        t.close()  # flushes first
        assert fake.calls[-2:] == [("write", [b"last"]), ("close", [])]
        await asyncio.sleep(0)
        assert fake.calls[-1] == ("close", [])  # nothing written after close
        assert t.get_extra_info("peername") == ("127.0.0.1", 1)  # everything else: the real transport

    asyncio.run(main())


def test_abort_drops_what_is_pending() -> None:
    async def main():
        fake = FakeTransport()
        t = CoalescingTransport(fake, asyncio.get_running_loop())
        t.write(b"half")
        t.abort()
        await asyncio.sleep(0)
        assert fake.calls == [("abort", [])]

    asyncio.run(main())


def test_served_through_the_coalescing_protocol() -> None:
    """A real uvicorn server with it: a normal response, and the 400 uvicorn writes itself."""
    uvicorn = pytest.importorskip("uvicorn")
    assert PROTOCOL.startswith("app.serving:")

    async def app(scope, receive, send):
        assert scope["type"] == "http"
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain"), (b"content-length", b"5")]})
        await send({"type": "http.response.body", "body": b"hello"})

    async def main():
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        config = uvicorn.Config(app, host="127.0.0.1", port=port, http=PROTOCOL, log_level="error", lifespan="off")
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.01)
        try:
            for request, expect in ((b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", b"hello"), (b"BOGUS\r\n\r\n", b"400 Bad Request")):
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.write(request)
                data = await asyncio.wait_for(reader.read(), 5)
                writer.close()
                assert expect in data, data
        finally:
            server.should_exit = True
            await task

    asyncio.run(main())
