"""deploy/vendor_plotly.py: the committed plotly.js bundle matches its pins (offline), and a
build whose output is not the pinned one writes nothing."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "deploy" / "vendor_plotly.py"
# any network access would fail at once: nothing listens on port 9 (discard) here
OFFLINE = {**os.environ, "npm_config_registry": "http://127.0.0.1:9", "http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9"}


def _run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, env=env or OFFLINE, timeout=120)


def _module():
    spec = importlib.util.spec_from_file_location("vendor_plotly", SCRIPT)
    vp = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(vp)
    return vp


def test_check_passes_offline_on_the_committed_files() -> None:
    r = _run("--check")
    assert r.returncode == 0, r.stderr
    assert "match their pins" in r.stdout


def test_check_fails_on_a_changed_or_missing_file(tmp_path) -> None:
    vendor = tmp_path / "static" / "vendor"
    shutil.copytree(ROOT / "static" / "vendor", vendor)
    bundle = next(vendor.glob("plotly-actlab-*.min.js"))
    bundle.write_bytes(bundle.read_bytes().replace(b"Plotly", b"Plotlx", 1))
    (vendor / "plotly.js-LICENSE.txt").unlink()
    r = _run("--check", "--root", str(tmp_path))
    assert r.returncode == 1
    assert "does not match the pinned" in r.stderr and "LICENSE.txt: missing" in r.stderr


def test_only_a_build_matching_every_pin_is_written(tmp_path) -> None:
    vp = _module()
    good = {name: (ROOT / dest).read_bytes() for name, (dest, _) in vp.FILES.items()}
    written = vp.vendor(good, tmp_path / "good")
    assert sorted(p.relative_to(tmp_path / "good").as_posix() for p in written) == sorted(d for d, _ in vp.FILES.values())
    assert vp.check(tmp_path / "good") == []
    bad = {**good, "plotly.min.js": good["plotly.min.js"] + b"\n"}  # e.g. another esbuild, another input
    with pytest.raises(vp.VendorError, match="plotly.min.js: SHA-256"):
        vp.vendor(bad, tmp_path / "bad")
    assert not (tmp_path / "bad").exists()  # nothing written, not even the licence


def test_the_build_inputs_pin_every_package(tmp_path) -> None:
    """package.json names exact versions; the lock file has an integrity for every package."""
    import json

    bundle = ROOT / "deploy" / "plotly-bundle"
    deps = json.loads((bundle / "package.json").read_text())["dependencies"]
    assert deps["plotly.js"] == _module().VERSION and all(v[0].isdigit() for v in deps.values()), deps
    lock = json.loads((bundle / "package-lock.json").read_text())["packages"]
    assert lock["node_modules/plotly.js"]["version"] == _module().VERSION
    assert all(p.get("integrity", "").startswith("sha512-") for name, p in lock.items() if name and not p.get("link")), "a package without integrity"


def test_without_npm_the_build_says_so(tmp_path) -> None:
    env = {**OFFLINE, "PATH": str(tmp_path)}  # no npm, no node on the PATH
    r = _run("--update-pins", env=env)
    assert r.returncode == 1 and "npm is not installed" in r.stderr
