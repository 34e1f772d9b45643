"""deploy/vendor_plotly.py: the committed plotly.js bundle matches its pins (offline)."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "deploy" / "vendor_plotly.py"
# any network access would fail at once: nothing listens on port 9 (discard) here
OFFLINE = {**os.environ, "npm_config_registry": "http://127.0.0.1:9", "http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9"}


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, env=OFFLINE, timeout=60)


def test_check_passes_offline_on_the_committed_files() -> None:
    r = _run("--check")
    assert r.returncode == 0, r.stderr
    assert "match their pins" in r.stdout


def test_check_fails_on_a_changed_or_missing_file(tmp_path) -> None:
    vendor = tmp_path / "static" / "vendor"
    shutil.copytree(ROOT / "static" / "vendor", vendor)
    bundle = next(vendor.glob("plotly-cartesian-*.min.js"))
    bundle.write_bytes(bundle.read_bytes().replace(b"Plotly", b"Plotlx", 1))
    (vendor / "plotly.js-LICENSE.txt").unlink()
    r = _run("--check", "--root", str(tmp_path))
    assert r.returncode == 1
    assert "does not match the pinned" in r.stderr and "LICENSE.txt: missing" in r.stderr


def _tarball(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_a_tarball_that_is_not_the_pinned_one_writes_nothing(tmp_path) -> None:
    # the right file contents in a different archive: the tarball's integrity pin refuses it
    members = {"package/plotly-cartesian.min.js": next((ROOT / "static" / "vendor").glob("plotly-cartesian-*.min.js")).read_bytes(),
               "package/LICENSE": (ROOT / "static" / "vendor" / "plotly.js-LICENSE.txt").read_bytes()}
    tgz = tmp_path / "other.tgz"
    tgz.write_bytes(_tarball(members))
    r = _run("--tarball", str(tgz), "--root", str(tmp_path / "out"))
    assert r.returncode == 1 and "integrity" in r.stderr
    assert not (tmp_path / "out").exists()


def test_the_file_pins_are_checked_after_the_tarball_pin(tmp_path, monkeypatch) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("vendor_plotly", SCRIPT)
    vp = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(vp)
    good = {m: (ROOT / dest).read_bytes() for m, (dest, _) in vp.FILES.items()}
    bad = {**good, "package/LICENSE": good["package/LICENSE"] + b"\n"}
    for members, ok in ((good, True), (bad, False)):
        tgz = _tarball(members)
        monkeypatch.setattr(vp, "TARBALL_INTEGRITY", vp.integrity_of(tgz))  # as if this were the published tarball
        out = tmp_path / ("good" if ok else "bad")
        if ok:
            written = vp.vendor(tgz, out)
            assert sorted(p.relative_to(out).as_posix() for p in written) == sorted(d for d, _ in vp.FILES.values())
            assert vp.check(out) == []
        else:
            try:
                vp.vendor(tgz, out)
            except vp.VendorError as e:
                assert "package/LICENSE: SHA-256" in str(e)
            else:
                raise AssertionError("a file that does not match its pin was accepted")
            assert not out.exists()
