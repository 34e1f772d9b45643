"""HTML pages (Jinja2 templates). Query values reach templates only through autoescaping."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from urllib.parse import urlencode

import fastapi_offline
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from app import __version__
from app.core.curves import SATURATION_EPS

from .assets import IMMUTABLE, plotly_url
from .deps import public_url
from .errors import ApiError
from .responses import cached_html, cached_json

ROOT = Path(__file__).resolve().parents[2]
templates = Jinja2Templates(directory=ROOT / "templates")
STATIC = ROOT / "static"
STATIC_IMPORT = re.compile(r'^(?:import|export)\s[^;]*?\bfrom\s+"(\.{1,2}/[^"]+)";', re.M)


@cache
def modules(*entries: str) -> tuple[str, ...]:
    """The modules (paths under static/) that ``entries`` load before they run: themselves and
    their static imports, transitively, read from the files (a dynamic ``import()`` is not
    followed: it loads on use). A page names them in ``<link rel="modulepreload">`` so the
    browser fetches them side by side, not one import level after another."""
    seen: dict[str, None] = {}
    todo = list(entries)
    while todo:
        path = todo.pop(0)
        if path in seen:
            continue
        seen[path] = None
        source = (STATIC / path).read_text(encoding="utf-8")
        base = (STATIC / path).parent
        todo += [(base / dep).resolve().relative_to(STATIC).as_posix() for dep in STATIC_IMPORT.findall(source)]
    return tuple(seen)


templates.env.globals.update(version=__version__, plotly_url=plotly_url, modules=modules)

router = APIRouter(include_in_schema=False)

SWAGGER_DIR = Path(fastapi_offline.__file__).parent / "static"
SWAGGER_FILES = {"swagger-ui-bundle.js": "text/javascript", "swagger-ui.css": "text/css"}


def render(request: Request, name: str, status_code: int = 200, **context) -> Response:
    """A page: rendered once per URL (a page depends on nothing else but the app's and the
    assets' versions), then served from memory with a strong ETag and ``no-cache``, so a
    browser revalidates it with a cheap 304."""
    context.setdefault("asset", lambda p: f"/static/{request.app.state.asset_version}/{p}")
    build = lambda: templates.get_template(name).render(request=request, **context)
    if status_code != 200:
        return HTMLResponse(build(), status_code=status_code, headers={"Cache-Control": "no-store"})
    return cached_html(request, f"{name}|{public_url(request, page_path(request))}", build)  # (pages name the public origin)


def page_path(request: Request) -> str:
    """The page's path and query as asked (what a page depends on; the Host header is not)."""
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def oembed_href(request: Request) -> str:
    """The oEmbed discovery URL of this page, on the public origin."""
    return public_url(request, "/oembed?" + urlencode({"url": public_url(request, page_path(request)), "format": "json"}))


@router.get("/", response_class=HTMLResponse)
def explorer(request: Request) -> HTMLResponse:
    return render(request, "explorer.html", oembed_href=oembed_href(request), saturation_eps=SATURATION_EPS)


@router.get("/openapi.json")
def openapi_schema(request: Request) -> Response:
    """The OpenAPI document (built once per process), with an ETag, gzip for those who take it."""
    return cached_json(request, "openapi", request.app.openapi)


@router.get("/docs", response_class=HTMLResponse)
def api_docs(request: Request) -> HTMLResponse:
    """Swagger UI for /openapi.json, served from this origin (no CDN)."""
    return render(request, "docs.html")


@router.get("/vendor/swagger/{version}/{filename}")
def swagger_asset(version: str, filename: str) -> Response:
    if filename not in SWAGGER_FILES:
        raise ApiError(404, f"no such file; available: {', '.join(SWAGGER_FILES)}", "filename")
    return FileResponse(SWAGGER_DIR / filename, media_type=SWAGGER_FILES[filename], headers={"Cache-Control": IMMUTABLE})
