"""Static files at content-versioned URLs (/static/<hash>/...), cached as immutable."""

from __future__ import annotations

import hashlib
from pathlib import Path

from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from .assets import IMMUTABLE


def content_version(directory: Path) -> str:
    """A short hash of every file under ``directory`` (changes whenever any asset changes)."""
    h = hashlib.sha256()
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        h.update(path.relative_to(directory).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:12]


class VersionedStatic(StaticFiles):
    """Serves /static/<version>/<file> as immutable and plain /static/<file> with revalidation."""

    def __init__(self, directory: Path, **kwargs):
        super().__init__(directory=directory, **kwargs)
        self.version = content_version(Path(directory))

    async def get_response(self, path: str, scope: Scope):
        prefix = self.version + "/"
        versioned = path.startswith(prefix)
        response = await super().get_response(path[len(prefix):] if versioned else path, scope)
        if response.status_code in (200, 304):
            response.headers["Cache-Control"] = IMMUTABLE if versioned else "no-cache"
        return response
