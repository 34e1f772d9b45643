#!/usr/bin/env python3
"""Vendor plotly.js's official *cartesian* partial bundle into static/vendor/.

The app draws only scatter, heatmap and bar traces, so it ships the cartesian distribution
(bar, box, contour, heatmap, histogram, histogram2d(contour), image, pie, scatter,
scatterternary, violin: 1.5 MB) instead of the full plotly.js (4.8 MB). The version is the
one the plotly Python package bundled when this was vendored (plotly 7.1.0 → plotly.js 4.1.1).

    python3 deploy/vendor_plotly.py            # fetch the npm tarball, verify, write the files
    python3 deploy/vendor_plotly.py --check    # verify the committed files (no network)
    python3 deploy/vendor_plotly.py --tarball plotly.js-cartesian-dist-min-4.1.1.tgz   # offline

Two pins, both checked before anything is written: the tarball's npm ``integrity`` (sha512,
as published in the registry's metadata and in any package-lock.json) and the SHA-256 of
every extracted file. To move to another version, change VERSION, run once with
``--update-pins`` to print the new values, check them against the registry's metadata
(``npm view plotly.js-cartesian-dist-min@X dist.integrity``), paste them here, and change
PLOTLY_JS_VERSION in app/api/assets.py.

Standard library only. The registry can be overridden with ``npm_config_registry`` (the
same variable npm reads); the pins make a mirror as trustworthy as the origin.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import os
import sys
import tarfile
import urllib.request
from pathlib import Path

PACKAGE = "plotly.js-cartesian-dist-min"
VERSION = "4.1.1"
# `dist.integrity` of the package version in the npm registry (sha512 of the .tgz)
TARBALL_INTEGRITY = "sha512-o8GrFeusncwBIxbBynRJpY4pkgVB6caM+JLpwrLYbbsO7dZ8FJ+SVN2Fr+L7kiG/Z6w4P5O0Jus/Qr5EefHVeg=="
# tarball member → (path in this repository, SHA-256 of its bytes)
FILES = {
    "package/plotly-cartesian.min.js": (
        f"static/vendor/plotly-cartesian-{VERSION}.min.js",
        "79542150855a52c567260e3137095dbe2b744e6d702a5cabe67da246942fba7a",
    ),
    "package/LICENSE": (
        "static/vendor/plotly.js-LICENSE.txt",
        "8c45d9eaf50c2f72dd9c7ab9ef440788ba58a3538484b5c51c1f17d5128752e7",
    ),
}
DEFAULT_REGISTRY = "https://registry.npmjs.org"
ROOT = Path(__file__).resolve().parents[1]
MAX_TARBALL_BYTES = 64 * 1024 * 1024


class VendorError(Exception):
    pass


def tarball_url(registry: str | None = None) -> str:
    # npm's own variable is lower-case
    registry = (registry or os.environ.get("npm_config_registry") or DEFAULT_REGISTRY).rstrip("/")  # noqa: SIM112
    return f"{registry}/{PACKAGE}/-/{PACKAGE}-{VERSION}.tgz"


def integrity_of(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fetch(url: str, timeout: float = 60.0) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": "activation-lab-vendor/1", "Accept": "application/octet-stream"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        data = response.read(MAX_TARBALL_BYTES + 1)
    if len(data) > MAX_TARBALL_BYTES:
        raise VendorError(f"{url}: larger than {MAX_TARBALL_BYTES} bytes")
    return data


def extract(tarball: bytes, check_pins: bool = True) -> dict[str, bytes]:
    """The pinned members' bytes (member name → bytes), each verified against its SHA-256.
    Only those members are read (no extractall: nothing in the archive chooses a path)."""
    out: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as tar:
        for member, (_dest, expected) in FILES.items():
            try:
                info = tar.getmember(member)
            except KeyError:
                raise VendorError(f"{member}: not in the tarball") from None
            if not info.isfile():
                raise VendorError(f"{member}: not a regular file in the tarball")
            fh = tar.extractfile(info)
            assert fh is not None
            data = fh.read()
            if check_pins and sha256_of(data) != expected:
                raise VendorError(f"{member}: SHA-256 {sha256_of(data)} does not match the pinned {expected}")
            out[member] = data
    return out


def vendor(tarball: bytes, root: Path = ROOT, check_pins: bool = True) -> list[Path]:
    """Verify ``tarball`` against both pins and write the files under ``root``."""
    got = integrity_of(tarball)
    if check_pins and got != TARBALL_INTEGRITY:
        raise VendorError(f"tarball integrity {got} does not match the pinned {TARBALL_INTEGRITY}")
    files = extract(tarball, check_pins)
    written = []
    for member, data in files.items():
        dest = root / FILES[member][0]
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(dest.name + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(dest)
        written.append(dest)
    return written


def check(root: Path = ROOT) -> list[str]:
    """Problems with the committed files (empty when every file matches its pin)."""
    problems = []
    for dest, expected in FILES.values():
        path = root / dest
        if not path.is_file():
            problems.append(f"{dest}: missing (run deploy/vendor_plotly.py)")
            continue
        got = sha256_of(path.read_bytes())
        if got != expected:
            problems.append(f"{dest}: SHA-256 {got} does not match the pinned {expected}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="verify the committed files against the pinned SHA-256 (no network)")
    mode.add_argument("--update-pins", action="store_true", help="fetch and print the integrity and SHA-256 values for VERSION; write nothing")
    parser.add_argument("--tarball", type=Path, help="use this local .tgz instead of fetching it")
    parser.add_argument("--root", type=Path, default=ROOT, help="repository root (default: this script's repository)")
    args = parser.parse_args(argv)

    if args.check:
        problems = check(args.root)
        for p in problems:
            print(f"vendor_plotly: {p}", file=sys.stderr)
        if not problems:
            print(f"vendor_plotly: {PACKAGE}@{VERSION}: {len(FILES)} files match their pins")
        return 1 if problems else 0

    try:
        if args.tarball:
            tarball = args.tarball.read_bytes()
        else:
            url = tarball_url()
            print(f"vendor_plotly: fetching {url}")
            tarball = fetch(url)
        if args.update_pins:
            print(f'TARBALL_INTEGRITY = "{integrity_of(tarball)}"')
            for member, data in extract(tarball, check_pins=False).items():
                print(f"{member}: {sha256_of(data)}  ({len(data)} bytes)")
            return 0
        for path in vendor(tarball, args.root):
            print(f"vendor_plotly: wrote {path.relative_to(args.root)} ({path.stat().st_size} bytes)")
    except (VendorError, OSError, tarfile.TarError) as e:
        print(f"vendor_plotly: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
