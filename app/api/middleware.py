"""Pure-ASGI middleware: request-size cap, HEAD for GET routes, security headers, one log line per request."""

from __future__ import annotations

import json
import orjson
import queue
import sys
import threading
from functools import lru_cache
import time
from datetime import datetime, timezone
from typing import Any, TextIO

from starlette.datastructures import Headers
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.settings import frame_ancestor_sources

from .compressed import choose_encoding
from .errors import error_body
from .responses import FAST_ROUTES, dumps

# Scripts come only from this origin (no inline script, no eval: plotly.js and Swagger UI
# need neither). Plotly draws with SVG and injects <style> elements, so styles need
# 'unsafe-inline'; its PNG export and Swagger UI's icons are data: images; downloads are
# blob: URLs. Nothing else is allowed from anywhere but this origin.
_CSP_BASE = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'"
)
_BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def frame_ancestors_value(setting: str) -> str:
    """The CSP source list for embeds: '*' or a space-separated list of origins."""
    parts = frame_ancestor_sources(setting)
    return " ".join(parts) if parts else "'none'"


def is_embed_path(path: str) -> bool:
    return path == "/embed" or path.startswith("/embed/")


class RequestLog:
    """Writes request log lines to a stream from a background thread, so a request pays for a
    queue put rather than a LogRecord, a write and a flush (~50 µs on the hot path)."""

    def __init__(self, stream: TextIO | None = None):
        self.stream = stream or sys.stderr
        self.lines: queue.SimpleQueue[str] = queue.SimpleQueue()
        threading.Thread(target=self._drain, name="actlab-request-log", daemon=True).start()

    def __call__(self, line: str) -> None:
        self.lines.put(line)

    def _drain(self) -> None:
        while True:
            batch = [self.lines.get()]
            while not self.lines.empty():
                batch.append(self.lines.get_nowait())
            self.stream.write("\n".join(batch) + "\n")
            self.stream.flush()


@lru_cache(maxsize=1)
def stderr_request_log() -> RequestLog:
    """The process's one request log on stderr (every app built in the process shares it)."""
    return RequestLog()


class NegotiatedGZip(GZipMiddleware):
    """Starlette's GZipMiddleware, but only for clients whose Accept-Encoding really takes gzip
    (it looks for the substring "gzip", so it would compress for ``gzip;q=0``). Responses
    that already carry a Content-Encoding (pre-compressed ones) pass through untouched."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and choose_encoding(Headers(scope=scope).get("accept-encoding"), ("gzip",)) != "gzip":
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


class AppMiddleware:
    """Caps request bodies, answers HEAD like GET without the body, adds security headers
    (framing policy by route), and logs one JSON line per request."""

    def __init__(self, app: ASGIApp, max_body_bytes: int, embed_frame_ancestors: str, state: Any):
        self.app = app
        self.max_body = max_body_bytes
        self.state = state  # the app's state: state.request_log takes each line (None: no log)
        self.csp_page = f"{_CSP_BASE}; frame-ancestors 'self'"
        self.csp_embed = f"{_CSP_BASE}; frame-ancestors {frame_ancestors_value(embed_frame_ancestors)}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        method = scope.get("method", "GET")
        head = method == "HEAD"
        embeddable = is_embed_path(scope.get("path", ""))
        status_holder = {"status": 500, "started": False}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                status_holder["started"] = True
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                extra = [
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"strict-origin-when-cross-origin"),
                ]
                if b"content-security-policy" not in names:
                    extra.append((b"content-security-policy", (self.csp_embed if embeddable else self.csp_page).encode()))
                if not embeddable:
                    extra.append((b"x-frame-options", b"SAMEORIGIN"))
                message = {**message, "headers": headers + extra}
            elif head and message["type"] == "http.response.body":
                message = {**message, "body": b""}  # HEAD: the GET response's headers, no body
            await send(message)

        try:
            length = _content_length(scope)
            if length is not None and length > self.max_body:
                await self._too_large(send_with_headers)
                return
            inner_receive = receive
            if method in _BODY_METHODS:
                # Read the (capped) body before the app sees the request: a body sent without
                # Content-Length (chunked) gets the same 413 as one that declares its size.
                body = await _read_body(receive, self.max_body)
                if body is None:
                    await self._too_large(send_with_headers)
                    return
                duplicate = _duplicate_key(body, scope)
                if duplicate is not None:
                    msg = dumps(error_body(f"{duplicate}: given more than once in one JSON object (send each field once)", duplicate))
                    await send_with_headers({"type": "http.response.start", "status": 422, "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(msg)).encode())]})
                    await send_with_headers({"type": "http.response.body", "body": msg})
                    return
                inner_receive = _replay(body, receive)
            inner_scope = {**scope, "method": "GET"} if head else scope
            fast = FAST_ROUTES.get(scope.get("path", "")) if method in ("GET", "HEAD") else None
            if fast is not None:
                try:
                    response = fast(Request(inner_scope))
                except Exception:  # noqa: BLE001 — the declared route will say what is wrong
                    response = None
                if response is not None:
                    await response(inner_scope, inner_receive, send_with_headers)
                    return
            try:
                await self.app(inner_scope, inner_receive, send_with_headers)
            except Exception:
                # A bug: answer with the one error shape and this middleware's headers, then
                # let the exception go on to the server, which logs the traceback.
                if not status_holder["started"]:
                    body = dumps(error_body("internal error"))
                    await send_with_headers({"type": "http.response.start", "status": 500, "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
                    await send_with_headers({"type": "http.response.body", "body": body})
                raise
        finally:
            self._log(scope, status_holder["status"], start)

    async def _too_large(self, send: Send) -> None:
        body = dumps(error_body(f"body: the request body exceeds the limit of {self.max_body} bytes", "body"))
        await send({"type": "http.response.start", "status": 413, "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})

    def _log(self, scope: Scope, status: int, start: float) -> None:
        sink = self.state.request_log
        if sink is None:
            return
        record: dict[str, Any] = {
            "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            "method": scope.get("method"),
            "path": scope.get("path"),
            "status": status,
            "duration_ms": round((time.perf_counter() - start) * 1000, 2),
        }
        client = scope.get("client")
        if client:
            record["client"] = client[0]
        sink(orjson.dumps(record).decode())


class _Duplicate(Exception):
    pass


def _pairs_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Duplicate(key)
        out[key] = value
    return out


def _duplicate_key(body: bytes, scope: Scope) -> str | None:
    """A key repeated within one object of a JSON body (which JSON parsers would silently
    resolve to its last value, as a repeated query parameter is an error), else None.
    Bodies that are not JSON are left to the route to reject."""
    if not body or b'"' not in body:
        return None
    ctype = next((v for k, v in scope.get("headers", ()) if k == b"content-type"), b"")
    if b"json" not in ctype.lower():
        return None
    try:
        json.loads(body, object_pairs_hook=_pairs_without_duplicates)
    except _Duplicate as e:
        return str(e.args[0])[:60]
    except (ValueError, RecursionError):
        return None
    return None


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole request body, or None as soon as it exceeds ``limit`` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that first yields the buffered body, then defers to the server (disconnects)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _content_length(scope: Scope) -> int | None:
    for k, v in scope.get("headers", []):
        if k == b"content-length":
            try:
                return int(v)
            except ValueError:
                return None
    return None
