#!/usr/bin/env python3
"""Build Activation Lab's plotly.js bundle (scatter, bar and heatmap traces) into static/vendor/.

The app draws only scatter, bar and heatmap traces. plotly.js's official partial bundles carry
more: the cartesian one adds box, violin, histogram, histogram2d(contour), contour, image, pie
and scatterternary (1.5 MB), and on a 2-core machine running it took ~0.9 s before the first
plot could come. This builds plotly.js's own core with the bar and heatmap traces
(``deploy/plotly-bundle/entry.js``), with the esbuild settings of plotly.js's
``esbuild-config.js``, minified (``build.mjs``): 1.18 MB, which runs in about half the time.
The version is the one the plotly Python package bundled when this was vendored
(plotly 7.1.0 → plotly.js 4.1.1).

Node and npm are needed here only, to vendor: never to install, test or run the app.

    python3 deploy/vendor_plotly.py                # npm ci, build, verify, write the files
    python3 deploy/vendor_plotly.py --check        # verify the committed files (no network, no Node)
    python3 deploy/vendor_plotly.py --update-pins  # build and print the SHA-256 values; write nothing

Pins: ``package-lock.json`` pins every npm package (plotly.js, its dependencies, esbuild and
its environment plugin) by its sha512 integrity, and ``npm ci`` installs exactly those or fails;
the SHA-256 of the built bundle and of plotly.js's LICENSE are pinned here and checked
before anything is written (esbuild's output is the same bytes for the same inputs). To move
to another version: change plotly.js's version in ``plotly-bundle/package.json``, run
``npm install --ignore-scripts`` there to renew the lock file, run this with
``--update-pins``, paste the values here, and change PLOTLY_JS_VERSION in app/api/assets.py.
The registry can be overridden with ``npm_config_registry`` (npm's own variable); the lock
file's integrities make a mirror as trustworthy as the origin.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

VERSION = "4.1.1"
ROOT = Path(__file__).resolve().parents[1]
BUILD = Path(__file__).resolve().parent / "plotly-bundle"
# what the build leaves in its directory → (path in this repository, SHA-256 of its bytes)
FILES = {
    "plotly.min.js": (
        f"static/vendor/plotly-actlab-{VERSION}.min.js",
        "590d0588d281507e075f5dc714680e127b8fffb25de1fb8ac67041fafb27ec09",
    ),
    "node_modules/plotly.js/LICENSE": (
        "static/vendor/plotly.js-LICENSE.txt",
        "8c45d9eaf50c2f72dd9c7ab9ef440788ba58a3538484b5c51c1f17d5128752e7",
    ),
}
SOURCES = ("package.json", "package-lock.json", "entry.js", "build.mjs")


class VendorError(Exception):
    pass


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _run(cmd: list[str], cwd: Path, timeout: float) -> None:
    try:
        r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    except FileNotFoundError:
        raise VendorError(f"{cmd[0]} is not installed (Node and npm are needed to build the bundle; --check needs neither)") from None
    except subprocess.TimeoutExpired:
        raise VendorError(f"{' '.join(cmd)}: no result in {timeout:.0f} s") from None
    if r.returncode != 0:
        raise VendorError(f"{' '.join(cmd)} failed ({r.returncode}): {(r.stderr or r.stdout).strip()[-2000:]}")


def build() -> dict[str, bytes]:
    """Build in a temporary copy of deploy/plotly-bundle; the FILES' bytes (not yet checked)."""
    with tempfile.TemporaryDirectory(prefix="plotly-bundle-") as tmp:
        work = Path(tmp)
        for name in SOURCES:
            shutil.copy2(BUILD / name, work / name)
        # exactly the locked packages (integrity-checked); no install scripts run
        _run(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"], work, timeout=900)
        got = json.loads((work / "node_modules" / "plotly.js" / "package.json").read_text())["version"]
        if got != VERSION:
            raise VendorError(f"package-lock.json installs plotly.js {got}, not {VERSION}")
        _run(["node", "build.mjs", "plotly.min.js"], work, timeout=300)
        return {name: (work / name).read_bytes() for name in FILES}


def verify(files: dict[str, bytes]) -> None:
    for name, (_dest, expected) in FILES.items():
        got = sha256_of(files[name])
        if got != expected:
            raise VendorError(f"{name}: SHA-256 {got} does not match the pinned {expected}")


def vendor(files: dict[str, bytes], root: Path = ROOT) -> list[Path]:
    """Check every file against its pin, then write them all under ``root``."""
    verify(files)
    written = []
    for name, data in files.items():
        dest = root / FILES[name][0]
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
    mode.add_argument("--check", action="store_true", help="verify the committed files against the pinned SHA-256 (no network, no Node)")
    mode.add_argument("--update-pins", action="store_true", help="build and print the SHA-256 values; write nothing")
    parser.add_argument("--root", type=Path, default=ROOT, help="repository root (default: this script's repository)")
    args = parser.parse_args(argv)

    if args.check:
        problems = check(args.root)
        for p in problems:
            print(f"vendor_plotly: {p}", file=sys.stderr)
        if not problems:
            print(f"vendor_plotly: plotly.js {VERSION} (scatter, bar, heatmap): {len(FILES)} files match their pins")
        return 1 if problems else 0

    try:
        print(f"vendor_plotly: building plotly.js {VERSION} in a copy of {BUILD.relative_to(ROOT)} (npm ci, esbuild)")
        files = build()
        if args.update_pins:
            for name, data in files.items():
                print(f"{name}: {sha256_of(data)}  ({len(data)} bytes)")
            return 0
        for path in vendor(files, args.root):
            print(f"vendor_plotly: wrote {path.relative_to(args.root)} ({path.stat().st_size} bytes)")
    except (VendorError, OSError) as e:
        print(f"vendor_plotly: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    os.environ.setdefault("npm_config_update_notifier", "false")
    sys.exit(main())
