"""The app's one middleware (pure ASGI): what every request gets, whatever route serves it.

- a cap on request bodies (413 beyond ``max_body_bytes``, before the route reads them), a
  deadline for them to arrive (408 after ``body_timeout_s``: a stalled upload does not hold
  the connection), and JSON bodies that say a key twice (422, code ``duplicate_key``) or
  hold a lone UTF-16 surrogate such as ``"\\ud800"`` (422, code ``invalid_text``) rejected;
- redirects point at the public origin (settings), never at the request's Host header;
- HEAD answered as GET without the body;
- security headers: nosniff, referrer policy, a Content-Security-Policy (framing by route:
  pages only by this origin, embeds by anyone, unless ACTLAB_FRAME_ANCESTORS lists who);
- one log line per request, formatted off the request's path by a background thread.

Routes do everything else (validation, caching, compression), so a request pays here only
for a header append and a deque append.
"""

from __future__ import annotations

import asyncio
import collections
import json
import sys
import threading
import time
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, TextIO

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.settings import frame_ancestor_sources

from .errors import error_body, printable
from .responses import dumps

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
_COMMON = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"strict-origin-when-cross-origin")]


def frame_ancestors_value(setting: str) -> str | None:
    """The CSP frame-ancestors source list for embeds, or None for no frame-ancestors at all.

    "Anyone" ('*' among the sources, the default) is said by sending no frame-ancestors (and
    no X-Frame-Options): a frame-ancestors '*' (or any scheme source) matches only ancestors
    with a URL origin, so Chromium refuses to be framed by a page opened from a file (file:),
    by about:blank or srcdoc documents (set_content, LMS previews) and by sandboxed frames,
    whose origins are opaque; only a policy without the directive lets those frame an embed.
    """
    parts = frame_ancestor_sources(setting)
    if "*" in parts:
        return None
    return " ".join(parts) if parts else "'none'"


def is_embed_path(path: str) -> bool:
    return path == "/embed" or path.startswith("/embed/")


# A route notes in scope["state"][OUTCOME_KEY] what became of its work ("cut_short" by the
# time limit, "abandoned" by its client) and the log line says so.
OUTCOME_KEY = "actlab.outcome"


class RequestLog:
    """Request log lines written to a stream by a background thread: a request only appends
    a tuple to a deque; the thread formats and writes what has gathered every ``interval_s``."""

    def __init__(self, stream: TextIO | None = None, interval_s: float = 0.05):
        self.stream = stream or sys.stderr
        self.interval_s = interval_s
        self.records: collections.deque[tuple] = collections.deque(maxlen=100_000)
        threading.Thread(target=self._drain, name="actlab-request-log", daemon=True).start()

    def __call__(self, record: tuple) -> None:
        self.records.append(record)

    @staticmethod
    def line(record: tuple) -> str:
        wall, method, path, status, duration_ms, client, *rest = record
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(wall, UTC).isoformat(timespec="milliseconds"),
            "method": method,
            "path": path,
            "status": status,
            "duration_ms": round(duration_ms, 2),
        }
        if client:
            out["client"] = client
        if rest and rest[0]:
            out["outcome"] = rest[0]  # what a route said of its work: "cut_short", "abandoned"
        return orjson.dumps(out).decode()

    def flush(self) -> None:
        lines = []
        while self.records:
            lines.append(self.line(self.records.popleft()))
        if lines:
            self.stream.write("\n".join(lines) + "\n")
            self.stream.flush()

    def _drain(self) -> None:
        while True:
            time.sleep(self.interval_s)
            try:
                self.flush()
            except Exception:
                self.records.clear()


@lru_cache(maxsize=1)
def stderr_request_log() -> RequestLog:
    """The process's one request log on stderr (every app built in the process shares it)."""
    return RequestLog()


class AppMiddleware:
    """Caps request bodies, answers HEAD like GET without the body, adds security headers
    (framing policy by route), and logs one line per request."""

    def __init__(self, app: ASGIApp, max_body_bytes: int, embed_frame_ancestors: str, state: Any, large_body_paths: tuple[str, ...] = (),
                 large_body_bytes: int = 0, body_timeout_s: float = 15.0, origin: str = ""):
        self.app = app
        self.max_body = max_body_bytes
        # routes that take large bodies (a training run's state, own data) have their own cap
        self.large_body_paths = frozenset(large_body_paths)
        self.large_body = max(large_body_bytes, max_body_bytes)
        self.body_timeout_s = body_timeout_s
        self.origin = origin.encode()  # redirects are rewritten to it (empty: left alone)
        self.state = state  # the app's state: state.request_log takes each record (None: no log)
        csp_page = f"{_CSP_BASE}; frame-ancestors 'self'".encode()
        ancestors = frame_ancestors_value(embed_frame_ancestors)
        csp_embed = (_CSP_BASE if ancestors is None else f"{_CSP_BASE}; frame-ancestors {ancestors}").encode()
        self.page_headers = [*_COMMON, (b"content-security-policy", csp_page), (b"x-frame-options", b"SAMEORIGIN")]
        self.page_headers_own_csp = [*_COMMON, (b"x-frame-options", b"SAMEORIGIN")]
        self.embed_headers = [*_COMMON, (b"content-security-policy", csp_embed)]
        self.embed_headers_own_csp = list(_COMMON)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        method = scope["method"]
        head = method == "HEAD"
        embed = is_embed_path(scope["path"])
        status = 500
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                status, started = message["status"], True
                headers = message.get("headers") or []
                own_csp = any(k == b"content-security-policy" for k, _ in headers)  # ASGI header names are lower-case
                if embed:
                    extra = self.embed_headers_own_csp if own_csp else self.embed_headers
                else:
                    extra = self.page_headers_own_csp if own_csp else self.page_headers
                if 300 <= status < 400 and self.origin:
                    headers = _located(headers, scope, self.origin)
                message["headers"] = [*headers, *extra]
            elif head and message["type"] == "http.response.body":
                message = {**message, "body": b""}  # HEAD: the GET response's headers, no body
            await send(message)

        try:
            if method in _BODY_METHODS:
                cap = self.large_body if scope["path"] in self.large_body_paths else self.max_body
                length = _content_length(scope)
                if length is not None and length > cap:
                    await self._too_large(send_with_headers, cap)
                    return
                # Read the (capped) body before the app sees the request: a body sent without
                # Content-Length (chunked) gets the same 413 as one that declares its size.
                try:
                    async with asyncio.timeout(self.body_timeout_s):
                        body = await _read_body(receive, cap)
                except TimeoutError:
                    msg = f"body: the request body did not arrive within {self.body_timeout_s:g} s"
                    await _send_json(send_with_headers, 408, error_body(msg, "body", code="timeout", limit_s=self.body_timeout_s), close=True)
                    return
                if body is None:
                    await self._too_large(send_with_headers, cap)
                    return
                problem = _json_problem(body, scope)
                if problem is not None:
                    await _send_json(send_with_headers, 422, problem)
                    return
                receive = _replay(body, receive)
            try:
                await self.app({**scope, "method": "GET"} if head else scope, receive, send_with_headers)
            except Exception:
                # A bug: answer with the one error shape and this middleware's headers, then
                # let the exception go on to the server, which logs the traceback.
                if not started:
                    await _send_json(send_with_headers, 500, error_body("internal error", code="internal"))
                raise
        finally:
            sink = self.state.request_log
            if sink is not None:
                client = scope.get("client")
                outcome = (scope.get("state") or {}).get(OUTCOME_KEY)
                sink((time.time(), method, scope["path"], status, (time.perf_counter() - start) * 1000, client[0] if client else None, outcome))

    async def _too_large(self, send: Send, cap: int) -> None:
        body = error_body(f"body: the request body exceeds the limit of {cap} bytes", "body", code="body_too_large", limit=cap)
        await _send_json(send, 413, body, close=True)


async def _send_json(send: Send, status: int, content: dict, close: bool = False) -> None:
    body = dumps(content)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class _Duplicate(Exception):
    pass


def _pairs_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Duplicate(key)
        out[key] = value
    return out


def _json_problem(body: bytes, scope: Scope) -> dict | None:
    """The error body for a JSON body that says a key twice (which JSON parsers would
    silently resolve to its last value, as a repeated query parameter is an error) or holds
    a lone surrogate (text no UTF-8 can carry), else None. Bodies that are not JSON are left
    to the route to reject."""
    if not body or b'"' not in body:
        return None
    ctype = next((v for k, v in scope.get("headers", ()) if k == b"content-type"), b"")
    if ctype and b"json" not in ctype.lower():
        return None  # (without a Content-Type FastAPI still reads the body as JSON)
    try:
        parsed = json.loads(body, object_pairs_hook=_pairs_without_duplicates)
    except _Duplicate as e:
        key = printable(str(e.args[0]))[:60]
        return error_body(f"{key}: given more than once in one JSON object (send each field once)", key, code="duplicate_key")
    except (ValueError, RecursionError):
        return None
    if b"\\ud" in body.lower():  # only a \uXXXX escape can write a surrogate in UTF-8 JSON
        where = _lone_surrogate(parsed)
        if where is not None:
            field = ".".join(printable(str(p)) for p in where) or "body"
            msg = f"{field}: holds a lone UTF-16 surrogate (\\ud800–\\udfff without its pair), which is not text"
            return error_body(msg, field, code="invalid_text")
    return None


def _has_surrogate(text: str) -> bool:
    return any("\ud800" <= c <= "\udfff" for c in text)


def _lone_surrogate(value: Any, path: tuple = ()) -> tuple | None:
    """The path to the first key or string holding a lone surrogate, else None."""
    stack = [(value, path)]
    while stack:
        node, at = stack.pop()
        if isinstance(node, str):
            if _has_surrogate(node):
                return at
        elif isinstance(node, dict):
            for k, v in node.items():
                if _has_surrogate(k):
                    return (*at, k)
                stack.append((v, (*at, k)))
        elif isinstance(node, list):
            stack.extend((v, (*at, i)) for i, v in enumerate(node))
    return None


def _located(headers: list, scope: Scope, origin: bytes) -> list:
    """Response headers with an absolute Location on the request's own Host moved to ``origin``."""
    host = next((v for k, v in scope.get("headers", ()) if k == b"host"), None)
    out = []
    for k, v in headers:
        if k.lower() == b"location" and host and v.split(b"://", 1)[-1].split(b"/", 1)[0] == host and b"://" in v:
            rest = v.split(b"://", 1)[1]
            v = origin + (rest[rest.index(b"/"):] if b"/" in rest else b"/")
        out.append((k, v))
    return out


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
