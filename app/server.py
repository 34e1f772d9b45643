"""uvicorn's HTTP protocol (httptools) with the guards uvicorn lacks, for ``actlab serve``.

uvicorn closes an idle keep-alive connection after ``timeout_keep_alive``, but a connection
that sends nothing, or its headers a byte at a time, stays open for ever, and its httptools
protocol buffers a request line and headers of any length. Here, with the limits of
:class:`app.settings.Settings` (read from the environment, as every worker does):

- the request line and headers must arrive within ``header_timeout_s`` of the connection
  opening (or of the request's first byte, on a kept-alive connection): else 408 when part
  of a request came, and the connection is closed;
- a request line plus headers longer than ``max_header_bytes``: 431, closed — once the rest
  of the head has been read (so the answer is not lost to a reset), as a short HTML page
  with a link to ``/`` when the request accepts ``text/html`` (a browser that followed a
  link too long to open), else in the error shape;
- beyond ``max_connections`` open connections a new one gets 503 with Retry-After, closed.

A body that stalls is the app's to time out (``body_timeout_s``, see
:mod:`app.api.middleware`). Answers use the app's one error shape (but for that HTML page).
"""

from __future__ import annotations

import html
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


# A browser asked for a link too long to open: it shows this page, not JSON. No script, no
# resource from anywhere, nothing worth framing (so it renders inside an embed's iframe too).
_TOO_LONG_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark"><title>Link too long — Activation Lab</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:12vh auto;padding:0 1rem}}</style>
</head><body>
<h1>This link is too long to open</h1>
<p>Its address is longer than this server accepts ({limit} bytes with the browser's headers):
it may have been pasted twice or had text stuck to its end.</p>
<p><a href="/">Open Activation Lab</a></p>
</body></html>
"""
_PAGE_HEADERS = (
    (b"content-security-policy", b"default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"cache-control", b"no-store"),
)
# After the head outgrew the limit, this much more of it is read to find its Accept header and
# its end (Chromium's longest URL is 2 MiB); a head still going on past it is answered as is.
HEAD_SCAN_BYTES = 2 * 1024 * 1024
_ACCEPT_LINE = b"\r\naccept:"
_HEAD_END = b"\r\n\r\n"


def raw_page(status: int, page: str) -> bytes:
    """A whole HTTP/1.1 HTML response, closing the connection."""
    body = page.encode()
    head = [f"HTTP/1.1 {status} {http.HTTPStatus(status).phrase}".encode(), b"content-type: text/html; charset=utf-8",
            b"content-length: " + str(len(body)).encode(), b"connection: close"]
    head += [k + b": " + v for k, v in _PAGE_HEADERS]
    return b"\r\n".join(head) + b"\r\n\r\n" + body


def head_too_large(limit: int, accept: bytes | None) -> bytes:
    """The 431 answer: the HTML page for a request that accepts text/html, else the error shape."""
    if accept is not None and b"text/html" in accept.lower():
        return raw_page(431, _TOO_LONG_PAGE.format(limit=html.escape(str(limit))))
    return raw_error(431, f"the request line and headers exceed {limit} bytes", "headers_too_large", limit=limit)


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
        self.chunk = b""  # the bytes being given to the parser (a 431 searches them)
        # once the head is too large: the unsearched end of what came since (None: not scanning),
        # how much came, and the Accept header's value when found
        self.head_rest: bytes | None = None
        self.head_rest_bytes = 0
        self.head_accept: bytes | None = None
        self.head_overflow = b""

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
            if self.head_rest is not None:
                self._scan_head(data)
            return
        self.chunk = data
        super().data_received(data)
        self.chunk = b""  # (not held between reads)

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
        if self.head_rest is not None:  # too large, and its end never came
            self._answer_head_too_large()
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

    def _count(self, n: int, piece: bytes) -> None:
        self.head_bytes += n
        if self.head_bytes > self.max_head_bytes:
            self.head_overflow = piece  # where in the last read the head outgrew the limit
            raise _HeadTooLarge  # stops the parser; uvicorn then calls send_400_response

    def on_url(self, url: bytes) -> None:
        self._count(len(url), url)
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4, value)
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._disarm()
        self.head_started = False
        super().on_headers_complete()

    def send_400_response(self, msg: str) -> None:
        if self.head_bytes > self.max_head_bytes:
            # Read on to the end of the head (the head deadline still runs) for its Accept
            # header: a browser gets a page, other clients the error shape. Only a few bytes
            # are kept between reads, whatever the head's length.
            self.refused = True
            self.head_accept = next((v for k, v in self.headers if k == b"accept"), None)  # those parsed already
            self.head_rest, self.head_rest_bytes = b"", 0
            # from the piece that overflowed: the last read may hold an earlier (pipelined) request
            at = self.chunk.find(self.head_overflow) if self.head_overflow else -1
            self._scan_head(self.chunk[at:] if at >= 0 else self.chunk)
            return
        self.refused = True
        self._disarm()
        super().send_400_response(msg)

    # -- a head too large: find its Accept header and its end, then answer 431

    def _scan_head(self, data: bytes) -> None:
        assert self.head_rest is not None
        self.head_rest_bytes += len(data)
        buf = (self.head_rest + data).lower()
        stop = buf.find(_HEAD_END)
        head = buf if stop < 0 else buf[:stop + 2]  # up to the CRLF that ends the last header line
        keep = len(buf) - max(len(_ACCEPT_LINE), len(_HEAD_END))  # a marker split between two reads
        if self.head_accept is None:
            at = head.find(_ACCEPT_LINE)
            if at >= 0:
                end = head.find(b"\r\n", at + 2)
                if end >= 0 or len(head) - at > 8192:
                    self.head_accept = head[at + len(_ACCEPT_LINE):end if end >= 0 else at + 8192]
                else:
                    keep = at  # the Accept line goes on in the next read
        if stop >= 0 or self.head_rest_bytes > HEAD_SCAN_BYTES:
            self._answer_head_too_large()
            return
        self.head_rest = buf[max(0, keep):]

    def _answer_head_too_large(self) -> None:
        self.head_rest = None
        self._refuse(head_too_large(self.max_head_bytes, self.head_accept))


class ServingProtocol(_Coalescing, GuardedHttpToolsProtocol):
    """What ``actlab serve`` runs: the guards above, and each response's head and body sent
    in one write (see :mod:`app.serving`)."""
