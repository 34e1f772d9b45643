"""plotly.js — a partial bundle with the app's three trace types, vendored — at a versioned, immutable URL.

The app draws only scatter, heatmap and bar traces, so it ships plotly.js's core with those
(1.18 MB) instead of the full bundle (4.8 MB) or the official cartesian one (1.5 MB, and
twice the script time before the first plot). ``deploy/vendor_plotly.py`` builds it from
plotly.js's npm package (lock-file pinned), checks it against its pinned SHA-256 and writes it
to static/vendor/; ``--check`` verifies the committed copy. Any other trace type (contour,
scattergl, …) would draw nothing: add it to ``deploy/plotly-bundle/entry.js`` first
(``tests/api/test_static_compression.py`` checks the JS uses no type the bundle lacks).

Served from memory, compressed once (gzip and brotli), by ``compressed``.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response

from .compressed import ASSETS, respond
from .errors import ApiError

router = APIRouter(include_in_schema=False)

ROOT = Path(__file__).resolve().parents[2]
PLOTLY_JS_VERSION = "4.1.1"  # = deploy/vendor_plotly.py's VERSION
PLOTLY_BUNDLE = "actlab"
PLOTLY_JS = ROOT / "static" / "vendor" / f"plotly-{PLOTLY_BUNDLE}-{PLOTLY_JS_VERSION}.min.js"
IMMUTABLE = "public, max-age=31536000, immutable"


def plotly_js_version() -> str:
    """The vendored plotly.js version (e.g. 4.1.1)."""
    return PLOTLY_JS_VERSION


def plotly_url() -> str:
    """The one URL pages load plotly.js from (the bundle and version are in it, so it is immutable)."""
    return f"/vendor/plotly-{PLOTLY_BUNDLE}-{PLOTLY_JS_VERSION}.min.js"


@router.get("/vendor/plotly-{name}.min.js")
async def plotly_bundle(name: str, request: Request) -> Response:
    if name != f"{PLOTLY_BUNDLE}-{PLOTLY_JS_VERSION}":
        raise ApiError(404, f"plotly-{name}.min.js is not served here; use {plotly_url()}", "name")
    asset = ASSETS.get(PLOTLY_JS) or ASSETS.load(PLOTLY_JS)
    h = request.headers
    return await respond(asset, h.get("if-none-match"), h.get("accept-encoding"), IMMUTABLE)
