"""Pure-ASGI middleware: request-size cap, security headers, one log line per request."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import error_body
from .responses import dumps

# Plotly draws with SVG and injects <style> elements, so styles need 'unsafe-inline';
# scripts come only from this origin (no inline script, no eval).
_CSP_BASE = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'"
)


def frame_ancestors_value(setting: str) -> str:
    """The CSP source list for embeds: '*' or a space-separated list of origins."""
    parts = [p for p in setting.replace(",", " ").split() if p]
    return " ".join(parts) if parts else "'none'"


class AppMiddleware:
    """Caps request bodies, adds security headers (framing policy by route), logs each request."""

    def __init__(self, app: ASGIApp, max_body_bytes: int, embed_frame_ancestors: str, logger: logging.Logger):
        self.app = app
        self.max_body = max_body_bytes
        self.logger = logger
        self.csp_page = f"{_CSP_BASE}; frame-ancestors 'self'"
        self.csp_embed = f"{_CSP_BASE}; frame-ancestors {frame_ancestors_value(embed_frame_ancestors)}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        path: str = scope.get("path", "")
        embeddable = path.startswith("/embed/") or path == "/embed"
        status_holder = {"status": 500}

        length = _content_length(scope)
        if length is not None and length > self.max_body:
            await self._too_large(send, status_holder)
            self._log(scope, status_holder["status"], start)
            return

        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise _BodyTooLarge()
            return message

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
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
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except _BodyTooLarge:
            await self._too_large(send_with_headers, status_holder)
        finally:
            self._log(scope, status_holder["status"], start)

    async def _too_large(self, send: Send, status_holder: dict) -> None:
        body = dumps(error_body(f"request body exceeds {self.max_body} bytes", "body"))
        status_holder["status"] = 413
        await send({"type": "http.response.start", "status": 413, "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    def _log(self, scope: Scope, status: int, start: float) -> None:
        if not self.logger.isEnabledFor(logging.INFO):
            return
        record: dict[str, Any] = {
            "method": scope.get("method"),
            "path": scope.get("path"),
            "status": status,
            "duration_ms": round((time.perf_counter() - start) * 1000, 2),
        }
        client = scope.get("client")
        if client:
            record["client"] = client[0]
        self.logger.info(json.dumps(record))


class _BodyTooLarge(Exception):
    pass


def _content_length(scope: Scope) -> int | None:
    for k, v in scope.get("headers", []):
        if k == b"content-length":
            try:
                return int(v)
            except ValueError:
                return None
    return None
