"""Static files at content-versioned URLs (/static/<hash>/...), cached as immutable.

Files are served from memory with gzip and brotli encodings computed once per process
(``compressed``); anything that is not a file found at startup (a directory, a missing path)
gets StaticFiles' own answer (404).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from starlette.datastructures import Headers
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from .assets import IMMUTABLE
from .compressed import ASSETS, Asset, respond


def content_version(directory: Path, files: dict[str, Asset] | None = None) -> str:
    """A short hash of every file under ``directory`` (changes whenever any asset changes)."""
    h = hashlib.sha256()
    files = ASSETS.load_tree(directory) if files is None else files
    for rel, asset in sorted(files.items(), key=lambda kv: Path(kv[0])):
        h.update(Path(rel).as_posix().encode())
        h.update(asset.raw)
    return h.hexdigest()[:12]


class VersionedStatic(StaticFiles):
    """Serves /static/<version>/<file> as immutable and plain /static/<file> with revalidation."""

    def __init__(self, directory: Path, **kwargs):
        super().__init__(directory=directory, **kwargs)
        self.files = ASSETS.load_tree(Path(directory))
        self.version = content_version(Path(directory), self.files)

    async def get_response(self, path: str, scope: Scope):
        prefix = self.version + "/"
        versioned = path.startswith(prefix)
        if versioned:
            path = path[len(prefix):]
        cache_control = IMMUTABLE if versioned else "no-cache"
        asset = self.files.get(path)
        if asset is not None and scope["method"] in ("GET", "HEAD"):
            headers = Headers(scope=scope)
            return await respond(asset, headers.get("if-none-match"), headers.get("accept-encoding"), cache_control)
        response = await super().get_response(path, scope)
        if response.status_code in (200, 304):
            response.headers["Cache-Control"] = cache_control
        return response
