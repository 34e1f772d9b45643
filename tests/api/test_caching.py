"""HTTP caching: strong ETags, 304 on If-None-Match, Cache-Control, gzip variants; and two
uvicorn workers answering byte for byte the same."""

from __future__ import annotations

import gzip
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from app import __version__
from app.api import responses
from app.api.assets import IMMUTABLE, plotly_url

ROOT = Path(__file__).resolve().parents[2]


def _static_asset(client) -> str:
    version = client.app.state.asset_version
    first = sorted(p for p in (ROOT / "static").rglob("*") if p.is_file())[0]
    return f"/static/{version}/{first.relative_to(ROOT / 'static').as_posix()}"


def _revalidates(client, url: str) -> tuple[dict, dict]:
    first = client.get(url)
    assert first.status_code == 200, url
    etag = first.headers["etag"]
    assert re.fullmatch(r'"[^"]+"', etag), f"{url}: not a strong ETag: {etag}"
    assert first.headers.get("cache-control"), url
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304, url
    assert again.content == b""
    assert again.headers["etag"] == etag
    # a list of tags, one of them current, is a match too; a stale one is not
    assert client.get(url, headers={"If-None-Match": f'"stale", {etag}'}).status_code == 304
    assert client.get(url, headers={"If-None-Match": '"stale"'}).status_code == 200
    return first.headers, again.headers


@pytest.mark.parametrize(
    "url",
    ["/api/curve?name=elu&alpha=0.5&n=101", "/api/activations", "plotly", "static"],
)
def test_repeated_get_with_the_etag_gets_304(client, url: str) -> None:
    if url == "plotly":
        url = plotly_url()
    elif url == "static":
        url = _static_asset(client)
    headers, _ = _revalidates(client, url)
    if url.startswith(("/static/", "/vendor/")):
        assert headers["cache-control"] == IMMUTABLE  # versioned URLs never change
    else:
        assert "max-age" in headers["cache-control"]


def test_curve_etag_names_the_version_and_the_normalised_parameters(client) -> None:
    plain = {"Accept-Encoding": "identity"}
    a = client.get("/api/curve?name=leaky_relu&leak=0.1&n=51", headers=plain)
    b = client.get("/api/curve?n=51&leak=0.10&name=leaky_relu", headers=plain)  # same curve, spelled differently
    c = client.get("/api/curve?name=leaky_relu&leak=0.2&n=51", headers=plain)
    assert a.headers["etag"] == b.headers["etag"] != c.headers["etag"]
    assert a.content == b.content
    key = json.dumps({"n": "leaky_relu", "p": {"leak": 0.1}, "g": {"xmin": -5.0, "xmax": 5.0, "n": 51, "band": 0.9, "samples": 0, "seed": 0}}, separators=(",", ":"))
    assert a.headers["etag"] == responses.etag_for(key)
    assert responses.CODE_VERSION.startswith(__version__ + "+")  # (hashed in: see etag_for)


def test_etags_change_with_the_code(tmp_path, monkeypatch) -> None:
    """A change of code or data (same version name) gives every answer a new tag, so a cache
    revalidating one from before the change is not told 304; the same code gives the same tag."""
    (tmp_path / "core").mkdir()
    (tmp_path / "core" / "f.py").write_text("A = 1\n")
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "f.cpython-311.pyc").write_bytes(b"compiled")
    first = responses.code_digest(tmp_path)
    (tmp_path / "__pycache__" / "f.cpython-311.pyc").write_bytes(b"compiled again")
    assert responses.code_digest(tmp_path) == first  # bytecode is not the code
    (tmp_path / "core" / "f.py").write_text("A = 2\n")
    assert responses.code_digest(tmp_path) != first
    tag = responses.etag_for("k")
    monkeypatch.setattr(responses, "CODE_VERSION", responses.CODE_VERSION + "x")
    assert responses.etag_for("k") != tag


def test_invalid_curve_queries_still_get_the_full_error(client) -> None:
    # the fast path declines anything unusual; the declared endpoint answers with its message
    for url, field in [
        ("/api/curve?name=relu&n=1", "n"),
        ("/api/curve?name=relu&bogus=1", "bogus"),
        ("/api/curve?name=leaky_relu&leak=0.1&leak=0.2", "leak"),
        ("/api/curve?name=leaky_relu&leak=7", "leak"),
        ("/api/curve?name=relu&xmin=2&xmax=1", "xmax"),
        ("/api/curve?name=nope", "name"),
    ]:
        r = client.get(url)
        assert r.status_code == 422, url
        assert r.json()["field"] == field, (url, r.json())
        assert "etag" not in r.headers


def test_gzip_is_a_separate_representation_with_its_own_etag(client) -> None:
    url = "/api/curve?name=gelu&n=401"
    plain = client.get(url, headers={"Accept-Encoding": "identity"})
    packed = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert plain.headers.get("content-encoding") is None
    assert packed.headers["content-encoding"] == "gzip"
    assert packed.headers["etag"] != plain.headers["etag"]
    assert "Accept-Encoding" in packed.headers["vary"]
    assert packed.content == plain.content  # (the client decompresses)
    again = client.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": packed.headers["etag"]})
    assert again.status_code == 304


def test_cached_html_helper() -> None:
    app = FastAPI()
    app.state.asset_version = "abc123"
    builds = []

    @app.get("/page")
    def page(request: Request):
        return responses.cached_html(request, "page|x=1", lambda: builds.append(1) or "<!doctype html><p>hi</p>" + " " * 2000)

    c = TestClient(app)
    r = c.get("/page", headers={"Accept-Encoding": "identity"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert r.headers["cache-control"] == responses.HTML_CACHE_CONTROL
    assert c.get("/page", headers={"If-None-Match": r.headers["etag"]}).status_code == 304
    assert c.get("/page", headers={"Accept-Encoding": "identity"}).content == r.content
    assert len(builds) == 1  # rendered once, then served from the cache
    gz = c.get("/page", headers={"Accept-Encoding": "gzip"})
    assert gz.headers["content-encoding"] == "gzip" and gz.content == r.content
    app.state.asset_version = "def456"  # new assets → a new page, a new ETag
    assert c.get("/page").headers["etag"] not in (r.headers["etag"], gz.headers["etag"])


def test_gzip_bytes_are_deterministic() -> None:
    body = b'{"x":' + b"1," * 2000 + b"1}"
    a = responses.conditional('"t1"', lambda: body, "application/json", "public", None, "gzip")
    responses.BODIES.clear()
    b = responses.conditional('"t1"', lambda: body, "application/json", "public", None, "gzip")
    assert a.body == b.body and gzip.decompress(a.body) == body


def test_body_cache_is_bounded() -> None:
    cache = responses.BodyCache(max_bytes=1000)
    for i in range(50):
        cache.put(f"k{i}", b"x" * 100)
    assert cache.size <= 1000 and cache.get("k49") is not None and cache.get("k0") is None


# ----------------------------------------------------------------------------- two workers


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _socket_owner(local_port: int, pids: list[int]) -> int | None:
    """The worker process holding the server side of our connection (Linux /proc), or None."""
    inode = None
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            if int(parts[2].rsplit(":", 1)[1], 16) == local_port and parts[9] != "0":  # remote end = our port
                inode = parts[9]
    if inode is None:
        return None
    target = f"socket:[{inode}]"
    for pid in pids:
        try:
            for fd in os.scandir(f"/proc/{pid}/fd"):
                if os.readlink(fd.path) == target:
                    return pid
        except OSError:
            continue
    return None


_ELAPSED = re.compile(rb'"elapsed_ms":[-0-9.eE+]+')


@pytest.fixture(scope="module")
def two_workers():
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2", "--log-level", "warning"],
        cwd=ROOT, env={**os.environ}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    workers: list[int] = []
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                workers = _children(proc.pid)
                if len(workers) >= 2:
                    break
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError("actlab serve --workers 2 exited")
        time.sleep(0.2)
    else:
        proc.kill()
        raise RuntimeError("actlab serve --workers 2 did not start")
    # uvicorn's supervisor runs the workers as its children (a spawned multiprocessing helper may sit between)
    pids = set(workers)
    for w in workers:
        pids.update(_children(w))
    yield port, sorted(pids)
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


def _request(port: int, method: str, path: str, body: dict | None, pids: list[int]) -> tuple[int, dict, bytes, int | None]:
    """One request on a fresh connection (so the kernel may hand it to either worker)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.connect()
    local_port = conn.sock.getsockname()[1]
    payload = json.dumps(body).encode() if body is not None else None
    conn.request(method, path, body=payload, headers={"Content-Type": "application/json"} if payload else {})
    owner = _socket_owner(local_port, pids)  # while the connection is open
    r = conn.getresponse()
    data = r.read()
    headers = {k.lower(): v for k, v in r.getheaders()}
    conn.close()
    return r.status, headers, data, owner


@pytest.mark.live
def test_two_workers_answer_identically(two_workers) -> None:
    port, pids = two_workers
    train = {"epochs": 40, "frames": 9, "seed": 3, "boundary_frames": 2, "boundary_grid": 12, "activations": [{"name": "leaky_relu", "params": {"leak": 0.05}}, {"name": "tanh"}]}
    sweep = {"epochs": 30, "frames": 5, "seed": 1, "sweep": {"param": "learning_rate", "values": [0.003, 0.03, 0.3]}}
    cases = [
        ("GET", "/api/curve?name=elu&alpha=0.7&n=201", None),
        ("GET", "/api/curve?name=rrelu&samples=50&seed=4&n=51", None),
        ("GET", "/api/activations", None),
        ("POST", "/api/train", train),
        ("POST", "/api/sweep", sweep),
    ]
    # which worker answered is read from /proc: there, every case must be answered by both
    # workers (identically); a worker still busy starting up may leave the other to accept
    # everything for a while, so a case is asked again, a little apart, until both have answered
    by_worker = Path("/proc/net/tcp").exists() and len(pids) >= 2
    for method, path, body in cases:
        bodies, etags, owners = set(), set(), set()
        tries = 0
        while tries < 12 or (by_worker and len(owners) < 2 and tries < 150):
            status, headers, data, owner = _request(port, method, path, body, pids)
            assert status == 200, (path, data[:300])
            bodies.add(_ELAPSED.sub(b'"elapsed_ms":0', data))
            etags.add(headers.get("etag"))
            if owner is not None:
                owners.add(owner)
            tries += 1
            if tries >= 12:
                time.sleep(0.05)
        assert len(bodies) == 1, f"{method} {path}: {len(bodies)} different bodies"
        assert len(etags) == 1, f"{method} {path}: ETags {etags}"
        if by_worker:
            assert len(owners) >= 2, f"{method} {path}: all {tries} answers came from one worker ({owners}); the test proved nothing"


def test_cached_file_is_compressed_once(tmp_path) -> None:
    path = tmp_path / "bundle.js"
    path.write_bytes(b"var x = 1;\n" * 5000)
    app = FastAPI()

    @app.get("/bundle.js")
    def bundle(request: Request):
        return responses.cached_file(request, f"test-bundle|{path}", path, "text/javascript", IMMUTABLE)

    c = TestClient(app)
    r = c.get("/bundle.js", headers={"Accept-Encoding": "gzip"})
    assert r.headers["content-encoding"] == "gzip" and r.content == path.read_bytes()
    assert r.headers["cache-control"] == IMMUTABLE
    etag = r.headers["etag"]
    assert responses.BODIES.get(etag) is not None  # the compressed bytes are kept
    assert c.get("/bundle.js", headers={"If-None-Match": etag}).status_code == 304


def test_one_reader_and_one_build_per_curve(client, monkeypatch) -> None:
    """GET /api/curve has one reader of its query (parse_curve_query) and builds each body once:
    the same curve written differently is the same resource (one key, one ETag)."""
    from app.api import activations

    builds: list[str] = []
    original = activations.curve_json
    monkeypatch.setattr(activations, "curve_json", lambda act, p, g: builds.append(act.id) or original(act, p, g))
    a = client.get("/api/curve?name=elu&alpha=0.3125&n=29")
    b = client.get("/api/curve?n=29&alpha=0.31250&name=elu")
    assert a.status_code == b.status_code == 200 and a.headers["etag"] == b.headers["etag"] and a.content == b.content
    assert builds == ["elu"]
    q = activations.parse_curve_query(b"name=elu&alpha=0.3125&n=29")
    assert q.etag == a.headers["etag"].replace("-gz", "") and q.params == {"alpha": 0.3125}
    assert client.get("/api/curve?name=elu&alpha=0.3125&n=29&n=29").status_code == 422  # repeated: the same reader says so
