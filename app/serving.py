"""uvicorn's HTTP protocol with each response's head and body in one write.

uvicorn writes the status line and headers when the app sends ``http.response.start`` and
the body at ``http.response.body``: two system calls. Between them the process can be
descheduled (the first write wakes the reader), and a replica killed in that gap leaves a
proxy holding a response head without its body — too late to retry on another replica, so
the client gets a truncated response. Here the writes made during one step of the event loop
are gathered and sent with one system call at the end of that step, so a complete response
(head and body) reaches the socket whole or not at all. Streaming responses (server-sent
events) still go out as they come: one event loop step later, a few microseconds.

``actlab serve`` selects it (uvicorn's ``http=`` option); the plain protocols work too.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # httptools not installed: uvicorn's "auto" would pick h11 as well
    HttpToolsProtocol = None  # type: ignore[assignment,misc]


class CoalescingTransport:
    """A transport whose writes within one event-loop step become a single write."""

    __slots__ = ("_transport", "_loop", "_pending")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop):
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not data:
            return
        if not self._pending:
            self._loop.call_soon(self._flush)
        self._pending.append(data)

    def writelines(self, list_of_data) -> None:
        for data in list_of_data:
            self.write(data)

    def _flush(self) -> None:
        pending, self._pending = self._pending, []
        if not pending or self._transport.is_closing():
            return
        if len(pending) == 1:
            self._transport.write(pending[0])
        else:
            self._transport.writelines(pending)  # one writev (uvloop) / one send

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + sum(len(p) for p in self._pending)

    def write_eof(self) -> None:
        self._flush()
        self._transport.write_eof()

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def abort(self) -> None:
        self._pending = []
        self._transport.abort()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class _Coalescing:
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(CoalescingTransport(transport, asyncio.get_running_loop()))  # type: ignore[misc]


class CoalescingH11Protocol(_Coalescing, H11Protocol):
    pass


if HttpToolsProtocol is not None:

    class CoalescingHttpToolsProtocol(_Coalescing, HttpToolsProtocol):
        pass

    PROTOCOL = "app.serving:CoalescingHttpToolsProtocol"
else:  # pragma: no cover
    PROTOCOL = "app.serving:CoalescingH11Protocol"
