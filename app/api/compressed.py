"""Static files held in memory, compressed once (gzip and brotli), served by content negotiation.

Every file under static/ (and the vendored plotly.js, which lives there too) is read once per
process. Its gzip (level 9) and brotli (quality 11) encodings are computed once — by a
background thread at startup (``warm_up``, about 4 s of one core), or by the first request that needs
one, whichever comes first; a request that arrives while one is being computed waits for that
computation instead of starting another. Brotli at quality 11 costs about 3 s of CPU for the
1.5 MB plotly bundle, which is why it is not done per request (nor by a proxy on the fly).

Representations and validators: the identity bytes have the strong ETag ``"<sha256[:32]>"``
(from the content, so an unchanged file keeps its ETag across releases and every replica
agrees); the gzip and brotli bytes have the same tag with ``-gz`` / ``-br`` appended, as
``responses.conditional`` does for dynamic bodies. Every response says
``Vary: Accept-Encoding``. ``If-None-Match`` is compared with the ETag of the representation
this request would get (RFC 9110 §13.1.2), so each encoding revalidates to 304 on its own tag.

Encoding choice follows Accept-Encoding with q-values (``br;q=0`` or ``*;q=0`` excludes a
coding; an unlisted identity remains acceptable): the highest-q coding among br and gzip,
brotli on a tie; identity when nothing compressed is acceptable, when identity is listed
with a higher q, or when compression does not make the file smaller.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import anyio.to_thread
import brotli
from starlette.responses import Response

GZIP_LEVEL = 9
BROTLI_QUALITY = 11
CODINGS = ("br", "gzip")  # preference order on equal q
SUFFIX = {"br": "-br", "gzip": "-gz"}
MEDIA_TYPES = {
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".json": "application/json",
    ".txt": "text/plain",
    ".html": "text/html",
}
# Already compressed formats gain nothing from another pass.
INCOMPRESSIBLE = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif", ".woff", ".woff2", ".gz", ".br", ".zip"}


# ----------------------------------------------------------------------------- negotiation


def parse_accept_encoding(header: str | None) -> dict[str, float]:
    """Coding (lower case) → q from an Accept-Encoding header. ``x-gzip`` counts as gzip;
    an entry with a malformed q-value is ignored."""
    out: dict[str, float] = {}
    if not header:
        return out
    for part in header.split(","):
        coding, *params = (p.strip() for p in part.split(";"))
        coding = coding.lower()
        if not coding:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value.strip())
                except ValueError:
                    q = -1.0
                if not 0.0 <= q <= 1.0:
                    q = -1.0
        if q < 0:
            continue
        if coding == "x-gzip":
            coding = "gzip"
        out[coding] = max(q, out[coding]) if coding in out else q
    return out


def accepts(header: str | None, coding: str) -> float:
    """The q the client gives ``coding`` (0 = not acceptable). Without any Accept-Encoding
    header only identity is taken as acceptable (as servers commonly do)."""
    prefs = parse_accept_encoding(header)
    if coding in prefs:
        return prefs[coding]
    if "*" in prefs:
        return prefs["*"]
    return 1.0 if coding == "identity" else 0.0


def choose_encoding(header: str | None, available: Iterable[str] = CODINGS) -> str:
    """'br', 'gzip' or 'identity' for a request's Accept-Encoding, among ``available`` codings."""
    prefs = parse_accept_encoding(header)
    best, best_q = "identity", 0.0
    for coding in CODINGS:
        if coding not in available:
            continue
        q = accepts(header, coding)
        if q > best_q:
            best, best_q = coding, q
    if best != "identity" and "identity" in prefs and prefs["identity"] > best_q:
        return "identity"
    return best


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Weak comparison of If-None-Match against one ETag (``*`` matches anything)."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    return any(t.strip().removeprefix("W/") == etag for t in if_none_match.split(","))


# ----------------------------------------------------------------------------- the store


def media_type_of(path: Path) -> str:
    return MEDIA_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


@dataclass
class Asset:
    path: Path
    raw: bytes
    stamp: tuple[int, int]  # (mtime_ns, size) when read
    media_type: str
    etag: str
    compressible: bool
    _encoded: dict[str, bytes | None] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def read(cls, path: Path) -> Asset:
        st = path.stat()
        raw = path.read_bytes()
        return cls(
            path=path,
            raw=raw,
            stamp=(st.st_mtime_ns, st.st_size),
            media_type=media_type_of(path),
            etag='"' + hashlib.sha256(raw).hexdigest()[:32] + '"',
            compressible=path.suffix.lower() not in INCOMPRESSIBLE,
        )

    def ready(self, coding: str) -> bool:
        return coding == "identity" or coding in self._encoded

    def encoded(self, coding: str) -> bytes | None:
        """The bytes in ``coding`` (computed once), or None when that is no smaller than identity."""
        if coding == "identity":
            return self.raw
        if coding in self._encoded:
            return self._encoded[coding]
        with self._lock:
            if coding not in self._encoded:
                self._encoded[coding] = self._compress(coding)
            return self._encoded[coding]

    def _compress(self, coding: str) -> bytes | None:
        if not self.compressible or not self.raw:
            return None
        if coding == "gzip":
            packed = gzip.compress(self.raw, GZIP_LEVEL, mtime=0)  # mtime=0: the same bytes every time
        elif coding == "br":
            text = self.media_type.startswith("text/") or self.media_type.endswith(("+xml", "json"))
            packed = brotli.compress(self.raw, quality=BROTLI_QUALITY, mode=brotli.MODE_TEXT if text else brotli.MODE_GENERIC)
        else:
            raise ValueError(coding)
        return packed if len(packed) < len(self.raw) else None

    def etag_for(self, coding: str) -> str:
        return self.etag if coding == "identity" else self.etag[:-1] + SUFFIX[coding] + '"'

    def response(self, if_none_match: str | None, accept_encoding: str | None, cache_control: str) -> Response:
        """304 or 200 for the representation that Accept-Encoding selects (encodings must be
        ready: see ``AssetStore.respond`` for the async path)."""
        coding = choose_encoding(accept_encoding)
        body = self.encoded(coding)
        if body is None:  # compression would not help: identity
            coding, body = "identity", self.raw
        etag = self.etag_for(coding)
        headers = {"ETag": etag, "Cache-Control": cache_control, "Vary": "Accept-Encoding"}
        if etag_matches(if_none_match, etag):
            return Response(status_code=304, headers=headers)
        if coding != "identity":
            headers["Content-Encoding"] = coding
        return Response(body, media_type=self.media_type, headers=headers)


class AssetStore:
    """The process's files, by absolute path; re-read when a file's mtime or size changes."""

    def __init__(self) -> None:
        self._assets: dict[Path, Asset] = {}
        self._lock = threading.Lock()
        self._warming: threading.Thread | None = None

    def load(self, path: Path) -> Asset:
        path = Path(path).resolve()
        st = path.stat()
        with self._lock:
            asset = self._assets.get(path)
            if asset is None or asset.stamp != (st.st_mtime_ns, st.st_size):
                asset = self._assets[path] = Asset.read(path)
            return asset

    def load_tree(self, directory: Path) -> dict[str, Asset]:
        """Every regular file under ``directory``, by its path relative to it (os.sep-separated,
        as StaticFiles normalises request paths)."""
        directory = Path(directory).resolve()
        out = {}
        for path in sorted(p for p in directory.rglob("*") if p.is_file()):
            out[os.path.normpath(path.relative_to(directory).as_posix())] = self.load(path)
        return out

    def get(self, path: Path) -> Asset | None:
        return self._assets.get(Path(path).resolve())

    def assets(self) -> list[Asset]:
        with self._lock:
            return list(self._assets.values())

    def warm_up(self, background: bool = True) -> threading.Thread | None:
        """Compress every loaded file in both codings — small files first — in a daemon thread.
        (Not at a lowered CPU priority: a request for a file being compressed waits for that
        computation, and must not wait behind every other process on the machine.)"""

        def run() -> None:
            for asset in sorted(self.assets(), key=lambda a: len(a.raw)):
                for coding in CODINGS:
                    asset.encoded(coding)

        if not background:
            run()
            return None
        with self._lock:
            if self._warming is not None and self._warming.is_alive():
                return self._warming
            self._warming = threading.Thread(target=run, name="actlab-compress-assets", daemon=True)
            self._warming.start()
            return self._warming


ASSETS = AssetStore()


async def respond(asset: Asset, if_none_match: str | None, accept_encoding: str | None, cache_control: str) -> Response:
    """``asset.response`` from async code: an encoding not yet computed is computed (or waited
    for) in a worker thread, never on the event loop."""
    coding = choose_encoding(accept_encoding)
    if not asset.ready(coding):
        await anyio.to_thread.run_sync(asset.encoded, coding)
    return asset.response(if_none_match, accept_encoding, cache_control)
