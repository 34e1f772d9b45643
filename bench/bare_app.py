"""The server's own ceiling: a bare FastAPI app with one endpoint returning a constant.

The body is BARE_BYTES bytes of JSON (set by bench/run.py to the size of the /api/curve
responses it measures), built once at import. No middleware, no validation, no work:
whatever /api/curve achieves is measured against this, served by the same uvicorn.
"""

from __future__ import annotations

import os

from fastapi import FastAPI
from fastapi.responses import Response

_SIZE = max(16, int(os.environ.get("BARE_BYTES", "20000")))
BODY = b'{"x":"' + b"0" * (_SIZE - 8) + b'"}'

app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)


@app.get("/bare")
async def bare() -> Response:
    return Response(BODY, media_type="application/json")


@app.get("/healthz")
async def healthz() -> Response:
    return Response(b'{"status":"ok"}', media_type="application/json")


def _in_app():
    """The app itself (all its middleware: security headers, request log, gzip, error
    handling) with the same constant endpoint as its first route: the ceiling of the app's
    own stack, so /api/curve ÷ this is what the curve handler itself costs."""
    from app.main import create_app

    full = create_app()
    full.add_api_route("/bare", bare, methods=["GET"], include_in_schema=False)
    full.router.routes.insert(0, full.router.routes.pop())
    return full


def __getattr__(name: str):  # bench.bare_app:in_app builds the full app only when uvicorn asks
    if name == "in_app":
        return _in_app()
    raise AttributeError(name)
