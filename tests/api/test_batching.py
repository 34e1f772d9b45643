"""Batching (app/api/batching.py): concurrent training requests of one network shape are
trained in one stacked pass, and each answer agrees with the same request served alone to
1e-12 on every number, with the same keys; continuations and include_state are never batched.

A gate holds the first run in the only worker, so the requests behind it wait for a worker and
gather in one pending batch (as under a burst) without any test depending on timing.
"""

from __future__ import annotations

import threading

import orjson
import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings

from .test_single_flight import Gate, _events, _until

TOL = 1e-12
SHAPE = {"dataset": "moons", "n_points": 160, "depth": 2, "width": 6, "epochs": 90, "frames": 10, "boundary_frames": 2, "boundary_grid": 10, "seed": 11, "include_weights": True}
FIRST = {**SHAPE, "activations": [{"name": "relu"}]}
BATCHED = [
    {**SHAPE, "activations": [{"name": "tanh"}], "learning_rate": 0.02},
    {**SHAPE, "activations": [{"name": "prelu", "params": {"a": 0.2}}, {"name": "relu"}], "learning_rate": 0.005},
    {**SHAPE, "activations": [{"name": "elu", "params": {"alpha": 0.4}}, {"name": "tanh"}]},  # by the stream
]
WITH_STATE = {**SHAPE, "activations": [{"name": "silu"}], "include_state": True}


def _close(a, b, where: str = "body") -> None:
    if isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), where
        for k in a:
            if k != "elapsed_ms":
                _close(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _close(x, y, f"{where}[{i}]")
    elif isinstance(a, float) or isinstance(b, float):
        assert isinstance(a, (int, float)) and isinstance(b, (int, float)), (where, a, b)
        assert abs(a - b) <= TOL * max(1.0, abs(a)), (where, a, b)
    else:
        assert a == b, (where, a, b)


@pytest.fixture
def gate(monkeypatch) -> Gate:
    from app.api import batching

    g = Gate()
    monkeypatch.setattr(batching, "train", g)
    yield g
    g.opened.set()


def test_same_shape_requests_are_trained_together_and_agree_with_solo(gate) -> None:
    app = create_app(Settings(log_level="warning", train_workers=1, train_queue=2, train_batching=1))
    out: dict = {}
    with TestClient(app) as client:
        pool = app.state.training_pool

        def post(name: str, body: dict) -> None:
            out[name] = client.post("/api/train", json=body)

        def stream(name: str, body: dict) -> None:
            with client.stream("POST", "/api/train/stream", json=body) as r:
                out[name] = (r.headers, _events(r.iter_lines()))

        threads = [threading.Thread(target=post, args=("first", FIRST))]
        threads[0].start()
        _until(lambda: gate.calls == 1)  # the worker is busy with it
        for i, body in enumerate(BATCHED):
            threads.append(threading.Thread(target=stream if i == 2 else post, args=(i, body)))
            threads[-1].start()
            _until(lambda i=i: pool.stats["computed"] == 2 + i)
        threads.append(threading.Thread(target=post, args=("state", WITH_STATE)))  # never batched
        threads[-1].start()
        _until(lambda: pool.stats["computed"] == 5)
        assert pool.stats["batched"] == 2  # the 2nd and 3rd joined the 1st one's pending batch
        gate.opened.set()
        for t in threads:
            t.join(120)
        assert gate.calls == 3  # the first alone, the three together, the one with a state alone
        batches = pool.stats["batches"]
    answers = [out[0], out[1]]
    headers, events = out[2]
    assert [a.status_code for a in answers] == [200, 200] and events[-1][0] == "result"
    # (a stream's headers leave before its run starts: only its pool's count says it was batched)
    assert [a.headers["x-run-batch"] for a in answers] == ["3", "3"] and headers["x-run"] == "computed" and batches == 1
    assert out["first"].headers["x-run-batch"] == "1" and out["state"].headers["x-run-batch"] == "1"
    assert out["state"].json()["state"] is not None
    batched = [a.json() for a in answers] + [events[-1][1]]

    # the same requests, each alone
    with TestClient(create_app(Settings(log_level="warning", train_batching=0))) as client:
        for body, got in zip(BATCHED, batched):
            r = client.post("/api/train", json=body)
            assert r.headers["x-run-batch"] == "1"
            _close(r.json(), got)
        # with a state: the same bytes as alone (it was trained alone)
        solo = orjson.loads(client.post("/api/train", json=WITH_STATE).content)
        got = out["state"].json()
        solo.pop("elapsed_ms"), got.pop("elapsed_ms")
        assert orjson.dumps(solo) == orjson.dumps(got)


def test_continuations_are_never_batched() -> None:
    with TestClient(create_app(Settings(log_level="warning", train_batching=1))) as client:
        first = client.post("/api/train", json={**FIRST, "include_state": True}).json()
        r = client.post("/api/train", json={**FIRST, "state": first["state"], "epochs": 30})
        assert r.status_code == 200 and r.headers["x-run-batch"] == "1" and r.json()["epoch_start"] == 90


@pytest.mark.parametrize("batching_on", [1, 0])
def test_a_burst_of_one_shape_is_not_turned_away_when_batched(gate, batching_on) -> None:
    """One worker, one queue place, the worker busy: five more runs of the same shape all
    join one pending batch (a joiner takes no queue place); without batching four get 503."""
    app = create_app(Settings(log_level="warning", train_workers=1, train_queue=1, train_batching=batching_on))
    codes: list[int] = []
    with TestClient(app) as client:
        first = threading.Thread(target=lambda: codes.append(client.post("/api/train", json=FIRST).status_code))
        first.start()
        _until(lambda: gate.calls == 1)
        burst = [threading.Thread(target=lambda i=i: codes.append(client.post("/api/train", json={**BATCHED[0], "learning_rate": 0.001 * (i + 1)}).status_code)) for i in range(5)]
        for t in burst:
            t.start()
        _until(lambda: len(codes) == 4 or app.state.training_pool.stats["batched"] == 4)
        gate.opened.set()
        for t in [first, *burst]:
            t.join(120)
    assert sorted(codes) == ([200] * 6 if batching_on else [200, 200, 503, 503, 503, 503])
