"""The training pool on a real uvicorn server, /healthz, /readyz and HEAD.

tests/api/test_training_api.py covers the pool in process (503 + Retry-After, the
wall-clock limit, a stream whose client leaves). Here a live server shows what only a real
socket can: a saturated pool turns new runs away quickly while curves and health checks
keep answering, /readyz reports the pool, and runs — running or still queued — whose
clients hang up stop, so the pool drains at once.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from app.api.pool import TrainingPool
from app.main import create_app
from app.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
# About 2.7 s of work on a quiet 2-core machine, near the compute budget (1,267 epochs fit).
LONG_RUN = {"n_points": 2000, "depth": 6, "width": 32, "epochs": 1200, "frames": 20, "boundary_frames": 2}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    def __init__(self, env: dict[str, str]):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "app", "serve", "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning"],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                if self.proc.poll() is not None:
                    raise RuntimeError("server exited: " + self.proc.stderr.read().decode()[-2000:])
                time.sleep(0.1)
        self.close()
        raise RuntimeError("server did not start within 30 s")

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()

    def open_request(self, path: str, body: dict) -> socket.socket:
        """Send a POST over a raw socket and leave it open (close it to hang up)."""
        data = json.dumps(body).encode()
        s = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        s.sendall(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n".encode() + data
        )
        return s

    def ready(self) -> httpx.Response:
        return httpx.get(self.url + "/readyz", timeout=5)


def _wait_for(predicate, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def _taken(server: LiveServer) -> int:
    return int(server.ready().json()["checks"]["training_pool"]["in_flight"])


@pytest.fixture(scope="module")
def busy_server():
    server = LiveServer({"ACTLAB_TRAIN_WORKERS": "1", "ACTLAB_TRAIN_QUEUE": "1", "ACTLAB_TRAIN_TIMEOUT_S": "60"})
    yield server
    server.close()


@pytest.mark.live
def test_saturated_pool_turns_runs_away_and_drains_when_clients_leave(busy_server) -> None:
    s = busy_server
    assert s.ready().status_code == 200 and _taken(s) == 0
    running = s.open_request("/api/train", LONG_RUN)
    assert _wait_for(lambda: _taken(s) == 1, 10)
    queued = s.open_request("/api/train", {**LONG_RUN, "seed": 1})  # (an identical request would join the running one)
    assert _wait_for(lambda: _taken(s) == 2, 10)
    try:
        # full: /readyz says so (HEAD too), with Retry-After
        r = s.ready()
        assert r.status_code == 503 and r.json()["status"] == "not ready" and not r.json()["checks"]["training_pool"]["ok"]
        assert int(r.headers["retry-after"]) >= 1
        assert httpx.head(s.url + "/readyz", timeout=5).status_code == 503
        # new runs: 503 + Retry-After, quickly (sweeps and init statistics have places of their own:
        # test_bulk_work_has_places_of_its_own)
        with httpx.Client(base_url=s.url, timeout=10) as c:
            for path, body in (("/api/train", {"epochs": 5}), ("/api/train/stream", {"epochs": 5})):
                r = c.post(path, json=body)
                assert r.status_code == 503, (path, r.status_code, r.text[:200])
                assert int(r.headers["retry-after"]) >= 1 and r.json()["field"] == "request" and r.json()["code"] == "busy"
            # the rest of the app keeps answering
            for q in ({"name": "relu"}, {"name": "gelu", "n": 2001}, {"name": "noisy_relu", "samples": 500, "seed": 3}, {"name": "elu", "alpha": "0.5"}):
                r = c.get("/api/curve", params=q)
                assert r.status_code == 200, (q, r.status_code)
            assert c.post("/api/curves", json={"curves": [{"name": "relu"}, {"name": "tanh"}]}).status_code == 200
            assert c.get("/healthz").status_code == 200
            assert c.get("/api/activations").status_code == 200
    finally:
        # both clients hang up: the running run stops at its next epoch, the queued one
        # starts, sees its stop flag and ends at once
        running.close()
        queued.close()
    assert _wait_for(lambda: _taken(s) == 0, 30.0), "runs outlived their clients"
    assert s.ready().status_code == 200
    assert httpx.post(s.url + "/api/train", json={"epochs": 5}, timeout=30).status_code == 200


@pytest.mark.live
def test_stream_client_leaving_frees_the_slot_on_a_live_server(busy_server) -> None:
    s = busy_server
    sock = s.open_request("/api/train/stream", LONG_RUN)
    buf = b""
    sock.settimeout(20)
    while b"event: progress" not in buf:
        chunk = sock.recv(4096)
        assert chunk, "stream ended before any progress"
        buf += chunk
    assert buf.startswith(b"HTTP/1.1 200") and _taken(s) == 1
    sock.close()
    assert _wait_for(lambda: _taken(s) == 0, 8.0)


def _read_until(sock: socket.socket, marker: bytes, buf: bytes = b"") -> bytes:
    while marker not in buf:
        chunk = sock.recv(4096)
        assert chunk, f"stream ended before {marker!r}"
        buf += chunk
    return buf


@pytest.mark.live
def test_a_shared_run_stops_only_when_its_last_client_leaves(busy_server) -> None:
    s = busy_server
    body = {**LONG_RUN, "seed": 17}
    first = s.open_request("/api/train/stream", body)
    _read_until(first, b"event: progress")
    second = s.open_request("/api/train/stream", body)  # identical: joins the run under way
    head = _read_until(second, b"event: progress")
    assert b"x-run: joined" in head.lower() and _taken(s) == 1
    first.close()
    # the run goes on for the client still there: more progress, the slot still taken
    _read_until(second, b"event: progress", b"")
    _read_until(second, b"event: progress", b"")
    assert _taken(s) == 1
    second.close()
    assert _wait_for(lambda: _taken(s) == 0, 8.0), "the run outlived its last client"


@pytest.mark.live
def test_wall_clock_limit_on_a_live_server() -> None:
    """A run longer than the limit (1 s) ends at it: 200, cut short, its frames up to the epoch it
    reached. Its clock runs out no sooner than the limit: on a quiet machine a few hundred epochs
    in; on a starved one (CI under load, once) maybe inside epoch 1, which is why epoch 0 is
    allowed when the run took its whole second."""
    server = LiveServer({"ACTLAB_TRAIN_TIMEOUT_S": "1"})
    try:
        r = httpx.post(server.url + "/api/train", json=LONG_RUN, timeout=60)
        j = r.json()
        assert r.status_code == 200 and j["cut_short"] is True and 0 <= j["epochs"] < LONG_RUN["epochs"]
        if j["epochs"] > 0:
            assert j["frames"][-1] == j["epochs"]
        else:  # (cut inside its first frame, it has none)
            assert j["elapsed_ms"] >= 1000.0 and j["frames"] in ([], [0]), (j["elapsed_ms"], j["frames"])
    finally:
        server.close()


@pytest.mark.live
def test_chunked_body_over_the_cap_on_a_live_server() -> None:
    server = LiveServer({"ACTLAB_MAX_BODY_BYTES": "4096"})
    try:
        s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        s.sendall(b"POST /api/curves HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"[" * 1000
        try:
            for _ in range(10):
                s.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            s.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server may answer and close before the whole body is sent
        reply = b""
        while b"\r\n\r\n" not in reply or not reply.rstrip().endswith(b"}"):
            part = s.recv(4096)
            if not part:
                break
            reply += part
        s.close()
        head, _, body = reply.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 413"), reply[:300]
        assert json.loads(body)["field"] == "body" and b"4096" in body
        r = httpx.post(server.url + "/api/curves", content=b"{" + b" " * 5000 + b"}", headers={"content-type": "application/json"}, timeout=10)
        assert r.status_code == 413
        assert httpx.get(server.url + "/healthz", timeout=5).status_code == 200  # still serving
    finally:
        server.close()


# ----------------------------------------------------------------------------- health, in process


@pytest.fixture(scope="module")
def client() -> TestClient:
    with TestClient(create_app(Settings())) as c:
        yield c


def test_healthz(client) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json()["status"] == "ok" and r.json()["version"]


def test_readyz_when_ready(client) -> None:
    r = client.get("/readyz")
    assert r.status_code == 200
    j = r.json()
    assert j["status"] == "ready" and set(j["checks"]) == {"catalogue", "curve", "training_pool"}
    assert all(c["ok"] for c in j["checks"].values())
    assert (j["checks"]["training_pool"]["in_flight"], j["checks"]["training_pool"]["capacity"]) == (0, 4)
    assert "retry-after" not in r.headers


def test_readyz_is_503_when_a_check_fails_never_500(monkeypatch) -> None:
    from app.api import health

    def broken():
        raise RuntimeError("catalogue unavailable")

    monkeypatch.setattr(health, "_check_catalogue", broken)
    with TestClient(create_app(Settings())) as c:
        r = c.get("/readyz")
    assert r.status_code == 503 and r.headers["retry-after"]
    j = r.json()
    assert j["status"] == "not ready" and j["checks"]["catalogue"] == {"ok": False, "detail": "RuntimeError: catalogue unavailable"}
    assert j["checks"]["curve"]["ok"] and j["checks"]["training_pool"]["ok"]


def test_readyz_is_503_while_the_pool_is_full() -> None:
    app = create_app(Settings(train_workers=1, train_queue=0, train_timeout_s=3))
    with TestClient(app) as c:
        release = threading.Event()
        pool = app.state.training_pool
        future = pool.submit(lambda: release.wait(10))
        try:
            r = c.get("/readyz")
            check = r.json()["checks"]["training_pool"]
            assert r.status_code == 503 and (check["in_flight"], check["capacity"]) == (1, 1)
        finally:
            release.set()
            future.result(10)
        assert _wait_for(lambda: c.get("/readyz").status_code == 200, 5)


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/", "/docs", "/api/activations", "/api/curve?name=elu&n=33", "/embed/function", "/lessons", "/openapi.json"])
def test_head_answers_like_get_without_a_body(client, path) -> None:
    get = client.get(path, headers={"accept-encoding": "identity"})
    head = client.head(path, headers={"accept-encoding": "identity"})
    assert get.status_code == 200, path
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]
    if "content-length" in get.headers and "etag" not in get.headers:
        assert head.headers["content-length"] == get.headers["content-length"]


def test_head_on_a_post_only_route_is_405(client) -> None:
    r = client.head("/api/train")
    assert r.status_code == 405 and "POST" in r.headers["allow"]


# ----------------------------------------------------------------------------- the two kinds of work


def _started(order: list[str], name: str, gate: threading.Event | None = None):
    def job() -> str:
        order.append(name)
        if gate is not None:
            assert gate.wait(10)
        return name

    return job


def test_interactive_work_goes_before_waiting_bulk_work() -> None:
    pool = TrainingPool(1, 4)
    order: list[str] = []
    gate = threading.Event()
    try:
        first = pool.submit(_started(order, "run", gate))
        assert _wait_for(lambda: order == ["run"], 5)
        bulk = pool.submit(_started(order, "sweep"), bulk=True)
        later = pool.submit(_started(order, "later run"))  # asked after the sweep, runs before it
        assert (pool.in_flight, pool.bulk_in_flight) == (2, 1)
        gate.set()
        assert [f.result(10) for f in (first, later, bulk)] == ["run", "later run", "sweep"]
        assert order == ["run", "later run", "sweep"]
        assert _wait_for(lambda: (pool.in_flight, pool.bulk_in_flight) == (0, 0), 5)
    finally:
        gate.set()
        pool.shutdown()


def test_bulk_work_never_takes_every_worker() -> None:
    pool = TrainingPool(2, 4)
    order: list[str] = []
    gate = threading.Event()
    try:
        a = pool.submit(_started(order, "sweep a", gate), bulk=True)
        assert _wait_for(lambda: order == ["sweep a"], 5)
        b = pool.submit(_started(order, "sweep b"), bulk=True)  # waits: bulk holds at most workers − 1
        run = pool.submit(_started(order, "run"))  # the other worker takes it at once
        assert run.result(10) == "run" and not b.done()
        assert order == ["sweep a", "run"]
        gate.set()
        assert (a.result(10), b.result(10)) == ("sweep a", "sweep b")
    finally:
        gate.set()
        pool.shutdown()


def test_each_kind_is_turned_away_when_its_own_places_are_taken() -> None:
    from app.api.errors import ApiError

    pool = TrainingPool(1, 0)
    gate = threading.Event()
    try:
        pool.submit(lambda: gate.wait(10))
        with pytest.raises(ApiError) as busy:
            pool.submit(lambda: None)
        assert (busy.value.status, busy.value.code, busy.value.info["retry_after"]) == (503, "busy", 1)
        waiting = pool.submit(lambda: "sweep", bulk=True)  # its own place, behind the run
        with pytest.raises(ApiError) as bulk_busy:
            pool.submit(lambda: None, bulk=True)
        assert bulk_busy.value.info["retry_after"] == 2 and bulk_busy.value.headers["Retry-After"] == "2"
        gate.set()
        assert waiting.result(10) == "sweep"
    finally:
        gate.set()
        pool.shutdown()


def test_bulk_work_has_places_of_its_own(monkeypatch) -> None:
    """With every training place taken, a sweep is still admitted (and 503 only when the
    places for bulk work are taken)."""
    from app.api import lessons

    monkeypatch.setattr(lessons._cache, "get", lambda key: None)  # (a measurement another test made)
    with TestClient(create_app(Settings(log_level="warning"))) as c:
        pool = c.app.state.training_pool
        sweep = {"epochs": 5, "sweep": {"param": "learning_rate", "values": [0.1]}}
        pool.in_flight = pool.capacity
        try:
            assert c.post("/api/train", json={"epochs": 5}).status_code == 503
            assert c.post("/api/sweep", json=sweep).status_code == 200
            assert _wait_for(lambda: pool.bulk_in_flight == 0, 5)  # (its worker counts it out after answering)
            pool.bulk_in_flight = pool.bulk_capacity
            for path, body in (("/api/sweep", {**sweep, "seed": 1}), ("/api/init_stats", {"seeds": 2}), ("/api/lessons/dying-relu/measure", None)):
                r = c.post(path, json=body) if body is not None else c.get(path)
                assert r.status_code == 503 and r.json()["code"] == "busy" and r.headers["retry-after"] == "2", path
        finally:
            pool.in_flight = pool.bulk_in_flight = 0


@pytest.mark.parametrize("bulk", [False, True])
def test_a_place_is_free_before_its_answer_is(bulk: bool) -> None:
    """When a job's answer is ready its place is already free: the client's next request (the
    next slider position, a test setting the pool full) must not meet a place still counted."""
    pool = TrainingPool(1, 0)
    seen: list[tuple[int, int]] = []
    try:
        for job in (lambda: "ok", lambda: 1 / 0):
            future = pool.submit(job, bulk=bulk)
            future.add_done_callback(lambda f: seen.append((pool.in_flight, pool.bulk_in_flight)))
            assert _wait_for(lambda: future.done(), 5)
        assert seen == [(0, 0), (0, 0)]
    finally:
        pool.shutdown()
