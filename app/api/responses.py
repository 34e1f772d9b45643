"""Fast JSON (orjson, numpy-aware), strong ETags, a response cache for deterministic GETs,
and compression (the app has no compressing middleware: each response compresses itself).

A deterministic GET (a curve, the catalogue, an embed page, a lesson) is named by a *key*:
a normalised description of everything its body depends on (the route and its validated,
defaulted parameters). Its ETag is a hash of the app version and that key, so it changes
exactly when the body can, and is the same in every worker process and container. The
helpers here answer ``If-None-Match`` with 304 before any work is done, and otherwise serve
the body from a per-process LRU of rendered bytes (identity and gzip, each compressed once),
building it only on a miss.

Representations: a client that accepts gzip gets the body compressed here, once, with its
own strong ETag (suffix ``-gz``) and ``Vary: Accept-Encoding`` — a strong ETag names one
exact byte sequence, so the two encodings must not share one.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson
from fastapi import Request
from fastapi.responses import Response

from app import __version__

from .compressed import choose_encoding

_OPTS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


def dumps(content: Any) -> bytes:
    return orjson.dumps(content, option=_OPTS)


class JSON(Response):
    """JSON serialised by orjson; numpy arrays go straight to text, never through Python floats."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return dumps(content)


CACHE_CONTROL = "public, max-age=3600"
# HTML pages name versioned assets, so a client revalidates them every time (a cheap 304).
HTML_CACHE_CONTROL = "public, no-cache"
JSON_TYPE = "application/json"
HTML_TYPE = "text/html; charset=utf-8"
# Bodies at least this long are also offered gzip-compressed (smaller ones gain little).
GZIP_MIN_BYTES = 1024
GZIP_LEVEL = 6
# Bodies compressed on a request's time (a new curve, a training run) from this size on use
# level 1: a 0.9 MB curve takes 11 ms instead of 55 ms, for 12 % more bytes. Bodies compressed
# once per process (the catalogue, pages, plotly.js) always use GZIP_LEVEL.
GZIP_FAST_FROM = 256 * 1024


def gzip_bytes(body: bytes, fast: bool = False, level: int | None = None) -> bytes:
    """``body`` gzip-compressed, the same bytes in every process (mtime=0; the level depends
    only on ``fast`` and the size, or is ``level``), as a strong ETag requires."""
    if level is None:
        level = 1 if fast and len(body) >= GZIP_FAST_FROM else GZIP_LEVEL
    return gzip.compress(body, level, mtime=0)
# The per-process cache of rendered bodies: at most this many bytes (identity + gzip), and
# no single body above MAX_CACHED_BODY (those are rebuilt each time).
CACHE_BYTES = 64 * 1024 * 1024
MAX_CACHED_BODY = 8 * 1024 * 1024


def code_digest(root: Path) -> str:
    """A short hash of every file of the package under ``root`` (its code and data): the same
    on every worker and machine running the same code, and a new one with any change."""
    h = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"):
        h.update(path.relative_to(root).as_posix().encode() + b"\0")
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


# An answer's numbers depend on the code that computed them, not only on the version's name: a
# cache revalidating a tag from before a change must not be told 304.
CODE_VERSION = f"{__version__}+{code_digest(Path(__file__).resolve().parents[1])}"


def etag_for(key: str) -> str:
    """A strong ETag from the code (version and digest) and a normalised description of the response."""
    return '"' + hashlib.sha256(f"{CODE_VERSION}|{key}".encode()).hexdigest()[:32] + '"'


def _gz_tag(etag: str) -> str:
    return etag[:-1] + '-gz"'


def _matches(header: str | None, *etags: str) -> bool:
    if not header:
        return False
    header = header.strip()
    if header == "*":
        return True
    tags = {t.strip().removeprefix("W/") for t in header.split(",")}
    return any(e in tags for e in etags)


def not_modified(request: Request, etag: str) -> bool:
    """Whether the request's If-None-Match names ``etag`` (or its gzip variant, or is *)."""
    return _matches(request.headers.get("if-none-match"), etag, _gz_tag(etag))


class BodyCache:
    """A thread-safe LRU of rendered bodies by ETag, bounded in bytes (``size_of`` an item;
    items over ``max_item`` are not kept)."""

    def __init__(self, max_bytes: int = CACHE_BYTES, max_item: int = MAX_CACHED_BODY, size_of: Callable[[Any], int] = len):
        self.max_bytes, self.max_item, self.size_of = max_bytes, max_item, size_of
        self.size = 0
        self._items: OrderedDict[str, tuple[Any, int]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: str) -> Any:
        with self._lock:
            entry = self._items.get(key)
            if entry is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return entry[0]

    def put(self, key: str, item: Any) -> None:
        size = self.size_of(item)
        if size > self.max_item:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.size -= old[1]
            self._items[key] = (item, size)  # its size as counted, whatever it becomes
            self.size += size
            while self.size > self.max_bytes and self._items:
                _, (_, dropped) = self._items.popitem(last=False)
                self.size -= dropped

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.size = 0

    def __len__(self) -> int:
        return len(self._items)


BODIES = BodyCache()


def _accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether the client takes gzip (q-values respected: ``gzip;q=0`` or ``*;q=0`` refuse it,
    and so does an identity it prefers with a higher q)."""
    return choose_encoding(accept_encoding, ("gzip",)) == "gzip"


def _headers(etag: str, cache_control: str) -> dict[str, str]:
    return {"ETag": etag, "Cache-Control": cache_control, "Vary": "Accept-Encoding"}


def cached_response(etag: str, media_type: str, cache_control: str, if_none_match: str | None, accept_encoding: str | None) -> Response | None:
    """304 if the client holds ``etag``, else the cached body (identity or gzip) if there is
    one; None when the body must be built (then :func:`built_response`)."""
    if if_none_match:
        gz = _gz_tag(etag)
        if _matches(if_none_match, etag, gz):
            headers = _headers(gz if _matches(if_none_match, gz) and not _matches(if_none_match, etag) else etag, cache_control)
            return Response(status_code=304, headers=headers)
    gzip_ok = accept_encoding is not None and _accepts_gzip(accept_encoding)
    if gzip_ok:
        body = BODIES.get(_gz_tag(etag))
        if body is not None:
            return stored_response(etag, body, True, media_type, cache_control)
    body = BODIES.get(etag)
    if body is None:
        return None
    if gzip_ok:
        return built_response(etag, body, media_type, cache_control, accept_encoding, cached=True)
    return stored_response(etag, body, False, media_type, cache_control)


def built_response(etag: str, body: bytes, media_type: str, cache_control: str, accept_encoding: str | None, cached: bool = False) -> Response:
    """The response for a body just built (kept in the cache), compressed once if wanted."""
    if not cached:
        BODIES.put(etag, body)
    return stored_response(etag, *compress_stored(etag, body, accept_encoding), media_type, cache_control)


def compress_stored(etag: str, body: bytes, accept_encoding: str | None, fast: bool = False) -> tuple[bytes, bool]:
    """(the bytes to send, gzipped?) for a body named by ``etag``: gzip-compressed once, and
    kept, when the client accepts it and it is worth it. The slow part of a big miss, so
    safe to call in a worker thread (``fast``: see GZIP_FAST_FROM)."""
    if _accepts_gzip(accept_encoding) and len(body) >= GZIP_MIN_BYTES:
        packed = gzip_bytes(body, fast)
        BODIES.put(_gz_tag(etag), packed)
        return packed, True
    return body, False


def render_stored(etag: str, build: Callable[[], bytes], accept_encoding: str | None) -> tuple[bytes, bool]:
    """Build a body, keep it in the cache and compress it once: the whole work of a cache
    miss, for a worker thread. Then :func:`stored_response` on the event loop."""
    body = build()
    BODIES.put(etag, body)
    return compress_stored(etag, body, accept_encoding, fast=True)


class Stored(Response):
    """A stored body with its headers written out once: serving it builds nothing per request."""

    def __init__(self, payload: bytes, raw_headers: list[tuple[bytes, bytes]]):
        self.body, self.status_code, self.background = payload, 200, None
        self.raw_headers = list(raw_headers)


@lru_cache(maxsize=4096)
def _stored_headers(etag: str, gzipped: bool, media_type: str, cache_control: str, length: int) -> tuple[tuple[bytes, bytes], ...]:
    headers = _headers(_gz_tag(etag) if gzipped else etag, cache_control)
    if gzipped:
        headers["Content-Encoding"] = "gzip"
    content_type = media_type + ("; charset=utf-8" if media_type.startswith("text/") and "charset" not in media_type else "")
    out = [(b"content-length", str(length).encode()), (b"content-type", content_type.encode())]
    return tuple(out + [(k.lower().encode(), v.encode()) for k, v in headers.items()])


def stored_response(etag: str, payload: bytes, gzipped: bool, media_type: str, cache_control: str) -> Response:
    return Stored(payload, _stored_headers(etag, gzipped, media_type, cache_control, len(payload)))


def conditional(
    etag: str,
    build: Callable[[], bytes],
    media_type: str,
    cache_control: str,
    if_none_match: str | None,
    accept_encoding: str | None,
) -> Response:
    """The response for a deterministic resource named by ``etag``: 304 if the client holds
    it, else its body (identity or gzip) from the cache, built by ``build`` on a miss."""
    hit = cached_response(etag, media_type, cache_control, if_none_match, accept_encoding)
    return hit if hit is not None else built_response(etag, build(), media_type, cache_control, accept_encoding)


def cached_json(request: Request, key: str, build: Callable[[], Any], cache_control: str = CACHE_CONTROL) -> Response:
    """304 if the client holds this ETag, else the JSON that ``build`` returns (cached), with ETag."""
    h = request.headers
    return conditional(etag_for(key), lambda: dumps(build()), JSON_TYPE, cache_control, h.get("if-none-match"), h.get("accept-encoding"))


def cached_html(request: Request, key: str, build: Callable[[], str | bytes], cache_control: str = HTML_CACHE_CONTROL) -> Response:
    """The same for an HTML page: ``key`` names everything the page depends on besides the
    app version and the static assets' version (both are added here, since the page links
    to versioned asset URLs). ``build`` returns the rendered page."""
    asset_version = getattr(request.app.state, "asset_version", "")

    def render() -> bytes:
        page = build()
        return page.encode() if isinstance(page, str) else page

    h = request.headers
    return conditional(etag_for(f"html|{asset_version}|{key}"), render, HTML_TYPE, cache_control, h.get("if-none-match"), h.get("accept-encoding"))


def cached_file(request: Request, key: str, path: Any, media_type: str, cache_control: str) -> Response:
    """A file as a deterministic resource named by ``key`` (which must change when the file
    does, e.g. its version): read once, gzip-compressed once, then served from memory.
    (The files under static/, plotly.js included, are served by ``compressed`` instead:
    gzip and brotli, ETags from their content.)"""
    h = request.headers
    return conditional(etag_for(key), lambda: Path(path).read_bytes(), media_type, cache_control, h.get("if-none-match"), h.get("accept-encoding"))


def headers_of(request: Request) -> tuple[str | None, str | None]:
    """(If-None-Match, Accept-Encoding) straight from the ASGI scope."""
    inm = ae = None
    for k, v in request.scope.get("headers", ()):
        if k == b"if-none-match":
            inm = v.decode("latin-1")
        elif k == b"accept-encoding":
            ae = v.decode("latin-1")
    return inm, ae


def pack(body: bytes, accept_encoding: str | None) -> tuple[bytes, dict[str, str]]:
    """A body computed for one request, gzip-compressed when the client accepts it and it is
    worth it, with the headers that say so (safe in a worker thread: big bodies take tens of
    milliseconds to compress, which must not be spent on the event loop)."""
    headers = {"Vary": "Accept-Encoding"}
    if len(body) >= GZIP_MIN_BYTES and _accepts_gzip(accept_encoding):
        headers["Content-Encoding"] = "gzip"
        body = gzip_bytes(body, fast=True)
    return body, headers


def dynamic(request: Request, body: bytes, media_type: str = JSON_TYPE, headers: dict[str, str] | None = None, status_code: int = 200, packed: dict[str, str] | None = None) -> Response:
    """A body computed for this request alone (a training run), gzip-compressed when the client
    accepts it and it is worth it (the app has no compressing middleware: cached bodies are
    compressed once, these each time). ``packed``: the headers :func:`pack` gave, when the
    body was compressed already (off the loop)."""
    if packed is None:
        body, packed = pack(body, request.headers.get("accept-encoding"))
    return Response(body, status_code=status_code, media_type=media_type, headers={**packed, **(headers or {})})
