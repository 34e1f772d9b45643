"""uvicorn's HTTP protocol (httptools) with the guards uvicorn lacks, for ``actlab serve``.

uvicorn closes an idle keep-alive connection after ``timeout_keep_alive``, but a connection
that sends nothing, or its headers a byte at a time, stays open for ever, and its httptools
protocol buffers a request line and headers of any length. Here, with the limits of
:class:`app.settings.Settings` (read from the environment, as every worker does):

- the request line and headers must arrive within ``header_timeout_s`` of the connection
  opening (or of the request's first byte, on a kept-alive connection): else 408 when part
  of a request came, and the connection is closed;
- a request line plus headers longer than ``max_header_bytes``: 431, closed;
- beyond ``max_connections`` open connections a new one gets 503 with Retry-After, closed.

A body that stalls is the app's to time out (``body_timeout_s``, see
:mod:`app.api.middleware`). Answers use the app's one error shape.
"""

from __future__ import annotations

import http
import sys
from functools import lru_cache
from typing import Any

import orjson
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from app.serving import _Coalescing
from app.settings import Settings

RETRY_AFTER_S = 1
# The event loop shares the GIL with the threads that compute curves and train networks:
# waiting for it at most 1 ms (Python's default: 5 ms) keeps the loop's answers quick.
sys.setswitchinterval(0.001)


@lru_cache(maxsize=1)
def limits() -> Settings:
    """This process's settings (the CLI puts its flags in the environment before serving)."""
    return Settings.from_env()


def raw_error(status: int, message: str, code: str, headers: tuple[tuple[bytes, bytes], ...] = (), **numbers: Any) -> bytes:
    """A whole HTTP/1.1 error response in the app's error shape, closing the connection."""
    body = orjson.dumps({"detail": message, "field": None, "code": code, "errors": [{"field": None, "message": message, "code": code}], **numbers})
    head = [f"HTTP/1.1 {status} {http.HTTPStatus(status).phrase}".encode(), b"content-type: application/json", b"content-length: " + str(len(body)).encode(), b"connection: close"]
    head += [k + b": " + v for k, v in headers]
    return b"\r\n".join(head) + b"\r\n\r\n" + body


class _HeadTooLarge(Exception):
    pass


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """HttpToolsProtocol with a deadline and a size cap on each request's head, and a
    ceiling on open connections (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        s = limits()
        self.head_timeout_s = s.header_timeout_s
        self.max_head_bytes = s.max_header_bytes
        self.max_connections = s.max_connections
        self.head_timer: Any = None
        self.head_bytes = 0
        self.head_started = False  # a byte of the current request's head has come
        self.refused = False

    # -- the connection ceiling and the head deadline

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        if len(self.connections) > self.max_connections:
            self.connections.discard(self)
            message = f"the server has {self.max_connections} connections open, its limit; retry in {RETRY_AFTER_S} s"
            self._refuse(raw_error(503, message, "busy", ((b"retry-after", str(RETRY_AFTER_S).encode()),), retry_after=RETRY_AFTER_S))
            return
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.refused:
            return
        super().data_received(data)

    def _arm(self) -> None:
        self._disarm()
        self.head_timer = self.loop.call_later(self.head_timeout_s, self._head_timed_out)

    def _disarm(self) -> None:
        if self.head_timer is not None:
            self.head_timer.cancel()
            self.head_timer = None

    def _head_timed_out(self) -> None:
        self.head_timer = None
        if self.transport.is_closing():
            return
        if not self.head_started:  # nothing of a request came: just close
            self.refused = True
            self.transport.close()
            return
        message = f"the request's headers did not arrive within {self.head_timeout_s:g} s"
        self._refuse(raw_error(408, message, "timeout", limit_s=self.head_timeout_s))

    def _refuse(self, response: bytes) -> None:
        self.refused = True
        self._disarm()
        self.transport.write(response)
        self.transport.close()

    # -- parser callbacks: count the head, stop the clock when it is complete

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.head_bytes = 0
        self.head_started = True
        if self.head_timer is None:  # a request on a kept-alive connection: its own deadline
            self._arm()

    def _count(self, n: int) -> None:
        self.head_bytes += n
        if self.head_bytes > self.max_head_bytes:
            raise _HeadTooLarge  # stops the parser; uvicorn then calls send_400_response

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4)
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._disarm()
        self.head_started = False
        super().on_headers_complete()

    def send_400_response(self, msg: str) -> None:
        if self.head_bytes > self.max_head_bytes:
            message = f"the request line and headers exceed {self.max_head_bytes} bytes"
            self._refuse(raw_error(431, message, "headers_too_large", limit=self.max_head_bytes))
            return
        self.refused = True
        self._disarm()
        super().send_400_response(msg)


class ServingProtocol(_Coalescing, GuardedHttpToolsProtocol):
    """What ``actlab serve`` runs: the guards above, and each response's head and body sent
    in one write (see :mod:`app.serving`)."""
