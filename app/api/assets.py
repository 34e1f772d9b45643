"""plotly.js from the installed plotly package, at a versioned, immutable URL."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import plotly
from fastapi import APIRouter, Request
from fastapi.responses import Response

from .errors import ApiError
from .responses import cached_file

router = APIRouter(include_in_schema=False)

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
IMMUTABLE = "public, max-age=31536000, immutable"


@lru_cache(maxsize=1)
def plotly_js_version() -> str:
    """The plotly.js version in the bundle's banner (e.g. 4.1.1)."""
    with PLOTLY_JS.open("r", encoding="utf-8") as fh:
        head = fh.read(400)
    match = re.search(r"plotly\.js v(\d+\.\d+\.\d+)", head)
    return match.group(1) if match else plotly.__version__


def plotly_url() -> str:
    return f"/vendor/plotly-{plotly_js_version()}.min.js"


@router.get("/vendor/plotly-{version}.min.js")
def plotly_bundle(version: str, request: Request) -> Response:
    if version != plotly_js_version():
        raise ApiError(404, f"plotly.js {version} is not served here; use {plotly_url()}", "version")
    # compressed once per process, not once per visitor
    return cached_file(request, f"plotly-{version}", PLOTLY_JS, "text/javascript", IMMUTABLE)
