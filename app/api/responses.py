"""Fast JSON (orjson, numpy-aware) and strong ETags for deterministic GET responses."""

from __future__ import annotations

import hashlib
from typing import Any, Callable

import orjson
from fastapi import Request
from fastapi.responses import Response

from app import __version__

_OPTS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


def dumps(content: Any) -> bytes:
    return orjson.dumps(content, option=_OPTS)


class JSON(Response):
    """JSON serialised by orjson; numpy arrays go straight to text, never through Python floats."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return dumps(content)


CACHE_CONTROL = "public, max-age=3600"


def etag_for(key: str) -> str:
    """A strong ETag from the app version and a normalised description of the response."""
    return '"' + hashlib.sha256(f"{__version__}|{key}".encode()).hexdigest()[:32] + '"'


def not_modified(request: Request, etag: str) -> bool:
    header = request.headers.get("if-none-match")
    if not header:
        return False
    return header.strip() == "*" or etag in (t.strip() for t in header.split(","))


def cached_json(request: Request, key: str, build: Callable[[], Any], cache_control: str = CACHE_CONTROL) -> Response:
    """304 if the client holds this ETag, else the JSON that ``build`` returns, with ETag."""
    etag = etag_for(key)
    headers = {"ETag": etag, "Cache-Control": cache_control}
    if not_modified(request, etag):
        return Response(status_code=304, headers=headers)
    return JSON(build(), headers=headers)
