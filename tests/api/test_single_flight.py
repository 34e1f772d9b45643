"""Single flight and the result cache (app/api/pool.py): identical concurrent training
requests make one run, the run stops only when its last waiter leaves, a result cut short
is never cached, a cached result answers at once (the stream with its result event).

Runs are counted by wrapping the engine's ``train`` where the API calls it; a gate holds the
run until every request under test has joined it, so no test depends on timing.
"""

from __future__ import annotations

import asyncio
import threading
import time

import orjson
import pytest
from fastapi.testclient import TestClient

from app.api import batching
from app.api.pool import Flights, Result, ResultCache
from app.core.training import train as real_train
from app.main import create_app
from app.settings import Settings

BODY = {"dataset": "moons", "activations": [{"name": "elu", "params": {"alpha": 0.7}}, {"name": "tanh"}], "epochs": 60, "frames": 7, "seed": 3}
# Several seconds of work: cut short by a limit of a fraction of a second.
LONG_RUN = {"n_points": 2000, "depth": 6, "width": 32, "epochs": 800, "frames": 20, "boundary_frames": 2}


class Gate:
    """``train`` as the API calls it, counted, and held until :attr:`opened`."""

    def __init__(self) -> None:
        self.calls = 0
        self.opened = threading.Event()
        self._lock = threading.Lock()

    def __call__(self, config, **kw):
        with self._lock:
            self.calls += 1
        assert self.opened.wait(60), "the gate was never opened"
        return real_train(config, **kw)


@pytest.fixture
def gate(monkeypatch) -> Gate:
    g = Gate()
    monkeypatch.setattr(batching, "train", g)
    yield g
    g.opened.set()


def _until(predicate, timeout: float = 20.0) -> None:
    end = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < end, "condition not reached"
        time.sleep(0.01)


def _events(lines) -> list[tuple[str, dict]]:
    out, event = [], None
    for line in lines:
        if line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: "):
            out.append((event, orjson.loads(line[6:])))
    return out


def _app(**kw) -> object:
    return create_app(Settings(log_level="warning", **{"train_workers": 1, "train_queue": 2, **kw}))


@pytest.mark.parametrize("batching_on", [0, 1])
def test_identical_concurrent_requests_make_one_run_then_come_from_the_cache(gate, batching_on) -> None:
    app = _app(train_batching=batching_on)
    with TestClient(app) as client:
        pool = app.state.training_pool
        answers: list = [None] * 4

        def post(i: int) -> None:
            answers[i] = client.post("/api/train", json=BODY)

        threads = [threading.Thread(target=post, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        _until(lambda: pool.stats["joined"] == 3 and gate.calls == 1)
        gate.opened.set()
        for t in threads:
            t.join(60)
        assert gate.calls == 1
        assert all(a.status_code == 200 for a in answers)
        assert sorted(a.headers["x-run"] for a in answers) == ["computed", "joined", "joined", "joined"]
        assert len({a.content for a in answers}) == 1
        # later: from the result cache, the same bytes, no run
        again = client.post("/api/train", json=BODY)
        assert again.headers["x-run"] == "cached" and again.content == answers[0].content and gate.calls == 1
        # the stream answers a cached result at once with its result event
        with client.stream("POST", "/api/train/stream", json=BODY) as r:
            assert r.status_code == 200 and r.headers["x-run"] == "cached"
            events = _events(r.iter_lines())
        assert events == [("result", orjson.loads(answers[0].content))] and gate.calls == 1
        # a request that differs in a value is another computation
        other = client.post("/api/train", json={**BODY, "seed": 4})
        assert other.headers["x-run"] == "computed" and gate.calls == 2


def test_a_stream_joining_a_run_gets_its_progress_and_result(gate) -> None:
    app = _app()
    with TestClient(app) as client:
        pool = app.state.training_pool
        body = {**BODY, "epochs": 400}
        out: dict = {}

        def stream() -> None:
            with client.stream("POST", "/api/train/stream", json=body) as r:
                out["how"] = r.headers["x-run"]
                out["events"] = _events(r.iter_lines())

        first = threading.Thread(target=lambda: out.update(plain=client.post("/api/train", json=body)))
        first.start()
        _until(lambda: gate.calls == 1)
        second = threading.Thread(target=stream)
        second.start()
        _until(lambda: pool.stats["joined"] == 1)
        gate.opened.set()
        first.join(60), second.join(60)
        assert gate.calls == 1 and out["plain"].headers["x-run"] == "computed" and out["how"] == "joined"
        kinds = [k for k, _ in out["events"]]
        assert kinds[-1] == "result" and kinds.count("result") == 1 and set(kinds[:-1]) <= {"progress"}
        assert out["events"][-1][1] == orjson.loads(out["plain"].content)


def test_a_result_cut_short_is_never_cached() -> None:
    app = _app(train_timeout_s=0.2)
    with TestClient(app) as client:
        pool = app.state.training_pool
        for _ in range(2):
            r = client.post("/api/train", json=LONG_RUN)
            assert r.status_code == 200 and r.json()["cut_short"] is True
            assert r.headers["x-run"] == "computed"  # the second time too: not from the cache
        assert len(pool.results) == 0 and pool.stats["cached"] == 0


def test_no_cache_when_its_size_is_zero() -> None:
    app = _app(train_cache_bytes=0)
    with TestClient(app) as client:
        a, b = client.post("/api/train", json=BODY), client.post("/api/train", json=BODY)
        assert [a.headers["x-run"], b.headers["x-run"]] == ["computed", "computed"]
        a, b = a.json(), b.json()
        a.pop("elapsed_ms"), b.pop("elapsed_ms")
        assert a == b  # computed again, the same numbers


def test_result_cache_is_an_lru_bounded_in_bytes() -> None:
    cache = ResultCache(100)
    cache.put("a", Result(b"x" * 40))
    cache.put("b", Result(b"y" * 40))
    assert cache.get("a") is not None  # a is now the most recent
    cache.put("c", Result(b"z" * 40))  # over 100 bytes: the least recent (b) goes
    assert cache.get("b") is None and cache.get("a") is not None and cache.get("c") is not None
    assert cache.size == 80
    cache.put("big", Result(b"w" * 101))  # larger than the whole cache: not kept
    cache.put("cut", Result(b"v" * 10, cut_short=True))  # cut short: not kept
    assert cache.get("big") is None and cache.get("cut") is None and cache.size == 80


def test_the_run_stops_only_when_its_last_waiter_leaves() -> None:
    async def scenario() -> None:
        flights = Flights(ResultCache(1000))
        flight = flights.open("k")
        assert flights.join("k") is flight and flight.waiters == 2
        flights.leave(flight)  # one client gone: the run goes on for the other
        assert not flight.stop.is_set() and flights.join("k") is flight
        flights.leave(flight)
        flights.leave(flight)  # the last one gone: the run stops
        assert flight.stop.is_set()
        assert flights.join("k") is None  # a flight told to stop takes no new waiters
        fresh = flights.open("k")  # the next identical request starts afresh
        assert fresh is not flight and not fresh.stop.is_set()

    asyncio.run(scenario())
