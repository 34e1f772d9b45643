"""The training endpoints: contract, validation, determinism, divergence, the pool, streaming."""

from __future__ import annotations

import threading
import time

import orjson
import pytest
from fastapi.testclient import TestClient

from app.api.middleware import RequestLog
from app.main import create_app
from app.settings import Settings

# About 5 s of work: long enough to outlast a short wall-clock limit, within the budget.
LONG_RUN = {"n_points": 2000, "depth": 6, "width": 32, "epochs": 800, "frames": 20, "boundary_frames": 2}
LAYER_KEYS = {"grad_norm_weights", "grad_norm_input", "active_fraction", "dead_fraction", "mean", "std", "prelu_slope"}


def _no_nan(body: bytes) -> None:
    assert b"NaN" not in body and b"Infinity" not in body


def test_default_run_follows_the_contract(client: TestClient) -> None:
    r = client.post("/api/train", json={})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    _no_nan(r.content)
    j = r.json()
    assert j["config"]["depth"] == 3 and j["config"]["activations"] == [{"name": "relu", "params": {}}]
    assert j["epochs"] == 300 and len(j["frames"]) == 100 and j["frames"][0] == 0 and j["frames"][-1] == 300
    assert j["cut_short"] is False and j["elapsed_ms"] > 0
    assert len(j["data"]["train"]["x"]) == 192 and len(j["data"]["test"]["y"]) == 64
    (v,) = j["variants"]
    assert v["diverged_at_epoch"] is None and v["weights"] is None
    assert len(v["loss"]["train"]) == len(v["accuracy"]["test"]) == 100
    assert v["accuracy"]["test"][-1] >= 0.95
    assert set(v["layers"]) == LAYER_KEYS and v["layers"]["prelu_slope"] is None
    assert len(v["layers"]["dead_fraction"]) == 100 and len(v["layers"]["dead_fraction"][0]) == 3
    assert len(v["histograms"]["init"]) == 3 and set(v["histograms"]["final"][0]) == {"edges", "counts"}
    b = v["boundary"]
    assert b["frames"][0] == 0 and b["frames"][-1] == 300 and len(b["frames"]) == 5
    assert len(b["x"]) == len(b["y"]) == 40 and len(b["p"]) == 5 and len(b["p"][0]) == 40 and len(b["p"][0][0]) == 40


def test_compare_mode_and_weights(client: TestClient) -> None:
    body = {
        "activations": [{"name": "relu"}, {"name": "leaky_relu", "params": {"leak": 0.1}}, {"name": "prelu"}, {"name": "gelu", "params": {"approximate": "tanh"}}],
        "epochs": 50, "frames": 11, "include_weights": True, "depth": 2, "width": 4,
    }
    j = client.post("/api/train", json=body).json()
    names = [v["activation"]["name"] for v in j["variants"]]
    assert names == ["relu", "leaky_relu", "prelu", "gelu"]
    assert j["variants"][2]["activation"]["params"] == {"a": 0.25}
    assert j["variants"][2]["layers"]["prelu_slope"][0] == [0.25, 0.25]
    w = j["variants"][0]["weights"]
    assert [len(m) for m in w["initial"]["W"]] == [2, 4, 4] and [len(b) for b in w["final"]["b"]] == [4, 4, 1]
    # every variant starts from the same weights
    assert all(v["weights"]["initial"] == w["initial"] for v in j["variants"])


def test_same_request_same_response_bit_for_bit(client: TestClient) -> None:
    body = {"dataset": "spirals", "activations": [{"name": "noisy_relu"}, {"name": "elu"}], "batch_size": 32, "epochs": 40, "seed": 9, "include_weights": True}
    a = orjson.loads(client.post("/api/train", json=body).content)
    b = orjson.loads(client.post("/api/train", json=body).content)
    a.pop("elapsed_ms"), b.pop("elapsed_ms")
    assert orjson.dumps(a) == orjson.dumps(b)


def test_divergence_is_null_not_nan(client: TestClient) -> None:
    body = {"dataset": "blobs", "depth": 6, "activations": [{"name": "leaky_relu"}, {"name": "tanh"}], "optimizer": "sgd", "learning_rate": 10, "epochs": 40, "frames": 41, "include_weights": True}
    r = client.post("/api/train", json=body)
    assert r.status_code == 200
    _no_nan(r.content)
    leaky = r.json()["variants"][0]
    at = leaky["diverged_at_epoch"]
    assert isinstance(at, int) and 0 < at < 40
    assert leaky["loss"]["train"][at] is None and leaky["loss"]["train"][at - 1] is not None
    assert all(row == [None] * 6 for row in leaky["layers"]["std"][at:])
    assert leaky["histograms"]["final"] is None and leaky["weights"]["final"] is None


def test_sweep(client: TestClient) -> None:
    body = {"activations": [{"name": "relu"}, {"name": "leaky_relu"}], "epochs": 150, "frames": 16, "sweep": {"param": "learning_rate", "values": [0.003, 0.03, 1.0]}}
    r = client.post("/api/sweep", json=body)
    assert r.status_code == 200
    _no_nan(r.content)
    j = r.json()
    assert j["param"] == "learning_rate" and j["values"] == [0.003, 0.03, 1.0] and len(j["frames"]) == 16
    relu, leaky = j["series"]
    assert relu["activation"] == {"name": "relu", "params": {}}
    for s in (relu, leaky):
        assert len(s["final_loss"]) == len(s["dead_fraction"]) == len(s["diverged_at_epoch"]) == 3
        assert len(s["loss"]) == 3 and len(s["loss"][0]) == 16 and len(s["dead_fraction_curve"][2]) == 16
    assert relu["dead_fraction"][2] > 0.5 > leaky["dead_fraction"][2]  # lr = 1 kills ReLU units


def test_sweep_over_an_activation_parameter(client: TestClient) -> None:
    body = {"activations": [{"name": "elu"}, {"name": "celu"}], "epochs": 20, "sweep": {"param": "alpha", "values": [0.5, 1.0, 2.0]}}
    j = client.post("/api/sweep", json=body).json()
    assert [s["activation"]["name"] for s in j["series"]] == ["elu", "celu"]
    assert j["series"][0]["final_loss"][0] != j["series"][0]["final_loss"][2]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/train", {"n_points": 5}, "n_points"),
        ("/api/train", {"noise": -0.1}, "noise"),
        ("/api/train", {"dataset": "mnist"}, "dataset"),
        ("/api/train", {"depth": 13}, "depth"),
        ("/api/train", {"width": 0}, "width"),
        ("/api/train", {"init": "zeros"}, "init"),
        ("/api/train", {"bias_init": 5}, "bias_init"),
        ("/api/train", {"activations": []}, "activations"),
        ("/api/train", {"activations": [{"name": "relu"}] * 5}, "activations"),
        ("/api/train", {"activations": [{"name": "swishy"}]}, "activations.0.name"),
        ("/api/train", {"activations": [{"name": "elu", "params": {"alpha": 9}}]}, "activations.0.params.alpha"),
        ("/api/train", {"activations": [{"name": "relu", "params": {"leak": 0.1}}]}, "activations.0.params.leak"),
        ("/api/train", {"activations": [{"name": "gelu", "params": {"approximate": "cubic"}}]}, "activations.0.params.approximate"),
        ("/api/train", {"optimizer": "rmsprop"}, "optimizer"),
        ("/api/train", {"learning_rate": 11}, "learning_rate"),
        ("/api/train", {"learning_rate": 0}, "learning_rate"),
        ("/api/train", {"momentum": 1.0}, "momentum"),
        ("/api/train", {"batch_size": -1}, "batch_size"),
        ("/api/train", {"epochs": 5001}, "epochs"),
        ("/api/train", {"frames": 501}, "frames"),
        ("/api/train", {"boundary_frames": 21}, "boundary_frames"),
        ("/api/train", {"boundary_grid": 81}, "boundary_grid"),
        ("/api/train", {"seed": -1}, "seed"),
        ("/api/train", {"dtype": "float16"}, "dtype"),
        ("/api/train", {"colour": "red"}, "colour"),
        ("/api/train", {"n_points": 2000, "depth": 12, "width": 64, "epochs": 2000}, "epochs"),
        ("/api/train", {"activations": [{"name": "relu"}] * 4, "boundary_frames": 20, "boundary_grid": 80}, "boundary_frames"),
        ("/api/sweep", {"epochs": 10}, "sweep"),
        ("/api/sweep", {"sweep": {"param": "alpha", "values": [1]}}, "sweep.param"),
        ("/api/sweep", {"sweep": {"param": "learning_rate", "values": list(range(1, 18))}}, "sweep.values"),
        ("/api/sweep", {"sweep": {"param": "learning_rate", "values": [0.1, 20]}}, "sweep.values.1"),
        ("/api/sweep", {"activations": [{"name": "leaky_relu"}], "sweep": {"param": "leak", "values": [0.5, 2]}}, "sweep.values.1"),
        ("/api/sweep", {"activations": [{"name": "relu"}] * 4, "sweep": {"param": "learning_rate", "values": [0.1]}}, "activations"),
        ("/api/init_stats", {"seeds": 0}, "seeds"),
    ],
)
def test_each_bad_field_is_a_422_naming_it(client: TestClient, path: str, body: dict, field: str) -> None:
    r = client.post(path, json=body)
    assert r.status_code == 422, r.text
    j = r.json()
    assert j["field"] == field, j
    assert j["detail"]


def test_range_errors_state_the_allowed_range(client: TestClient) -> None:
    assert "≤ 12" in client.post("/api/train", json={"depth": 13}).json()["detail"]
    assert "[0, 5]" in client.post("/api/train", json={"activations": [{"name": "elu", "params": {"alpha": 9}}]}).json()["detail"]
    assert "reduce epochs" in client.post("/api/train", json={"n_points": 2000, "depth": 12, "width": 64, "epochs": 2000}).json()["detail"]


def test_frames_are_clamped_to_the_epochs(client: TestClient) -> None:
    j = client.post("/api/train", json={"epochs": 10, "frames": 100, "boundary_frames": 20}).json()
    assert j["frames"] == list(range(11)) and j["config"]["frames"] == 11 and j["config"]["boundary_frames"] == 11


def test_init_stats(client: TestClient) -> None:
    r = client.post("/api/init_stats", json={"seeds": 24, "depth": 4, "width": 16, "activations": [{"name": "relu"}, {"name": "tanh"}]})
    assert r.status_code == 200
    j = r.json()
    assert j["seeds"] == list(range(24))
    relu = j["series"][0]
    assert len(relu["layers"]["active_fraction"]) == 24 and len(relu["layers"]["active_fraction"][0]) == 4
    assert all(0.4 < a < 0.6 for a in relu["mean_over_seeds"]["active_fraction"])


def _wait_for(predicate, timeout: float = 10.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def _in_flight(app) -> int:
    pool = getattr(app.state, "training_pool", None)
    return 0 if pool is None else pool.in_flight


def test_full_pool_gives_503_with_retry_after_and_the_long_run_is_cut_short() -> None:
    app = create_app(Settings(train_workers=1, train_queue=0, train_timeout_s=1.5))
    with TestClient(app) as client:
        _full_pool(app, client)


def _full_pool(app, client) -> None:
    result: dict = {}
    worker = threading.Thread(target=lambda: result.update(r=client.post("/api/train", json=LONG_RUN)))
    worker.start()
    try:
        assert _wait_for(lambda: _in_flight(app) == 1)
        busy = client.post("/api/train", json={"epochs": 5})
        assert busy.status_code == 503
        assert int(busy.headers["retry-after"]) >= 1
        assert busy.json()["field"] == "request" and busy.json()["code"] == "busy" and busy.json()["retry_after"] >= 1
        # a sweep has a place of its own (bulk work, see app.api.pool): it waits for the worker
        assert client.post("/api/sweep", json={"sweep": {"param": "learning_rate", "values": [0.1]}}).status_code == 200
        curve = client.get("/api/curve", params={"name": "relu"})
        assert curve.status_code == 200  # the rest of the app keeps answering
    finally:
        worker.join(30)
    r = result["r"]
    assert r.status_code == 200
    j = r.json()
    # the state it stopped at is a last frame when frames are cheap enough (engine.FINAL_FRAME_S: on a busy machine not)
    assert j["cut_short"] is True and 0 < j["epochs"] < 800 and j["frames"][-1] <= j["epochs"]
    assert _wait_for(lambda: _in_flight(app) == 0)
    assert client.post("/api/train", json={"epochs": 5}).status_code == 200


def _events(lines) -> list[tuple[str, dict]]:
    out, event = [], None
    for line in lines:
        if line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: "):
            out.append((event, orjson.loads(line[6:])))
    return out


def test_stream_sends_progress_then_the_result(client: TestClient) -> None:
    body = {"epochs": 1500, "frames": 10, "activations": [{"name": "relu"}, {"name": "tanh"}]}
    with client.stream("POST", "/api/train/stream", json=body) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        events = _events(r.iter_lines())
    kinds = [k for k, _ in events]
    assert kinds[-1] == "result" and kinds.count("result") == 1 and set(kinds[:-1]) == {"progress"}
    progress = [d for k, d in events if k == "progress"]
    assert progress[0]["epochs"] == 1500 and len(progress[0]["loss"]) == 2
    epochs = [p["epoch"] for p in progress]
    assert epochs == sorted(epochs) and epochs[-1] == 1500
    result = events[-1][1]
    assert result["epochs"] == 1500 and len(result["variants"]) == 2 and len(result["frames"]) == 10


def test_stream_validation_errors_are_plain_422(client: TestClient) -> None:
    r = client.post("/api/train/stream", json={"width": 100})
    assert r.status_code == 422 and r.json()["field"] == "width"


def test_stream_stops_the_run_when_the_client_goes_away() -> None:
    app = create_app(Settings(train_workers=1, train_queue=0, train_timeout_s=60))
    lines: list[str] = []
    app.state.request_log = lambda record: lines.append(RequestLog.line(record))
    with TestClient(app) as client:
        _stream_stops(app, client)
    logged = [orjson.loads(x) for x in lines if "/api/train/stream" in x]
    assert logged and logged[-1]["outcome"] == "abandoned"  # stopped, not run to its end


def _stream_stops(app, client) -> None:
    with client.stream("POST", "/api/train/stream", json=LONG_RUN) as r:
        for line in r.iter_lines():
            if line.startswith("event: progress"):
                break
        assert _in_flight(app) == 1
    assert _wait_for(lambda: _in_flight(app) == 0, timeout=60.0)  # a hang guard; bench/stop_latency.py times it


def test_a_momentum_sweep_needs_sgd(client: TestClient) -> None:
    """With the default optimizer (Adam) a momentum sweep trained three identical runs
    (final losses equal to the last digit): Adam reads no momentum. It is a 422 now."""
    body = {"activations": [{"name": "relu"}], "sweep": {"param": "momentum", "values": [0, 0.5, 0.99]}, "epochs": 20}
    r = client.post("/api/sweep", json=body)
    assert r.status_code == 422 and r.json()["code"] == "needs_sgd" and r.json()["field"] == "sweep.param"
    assert r.json()["requires"] == {"optimizer": "sgd"}
    r = client.post("/api/sweep", json={**body, "optimizer": "sgd"})
    assert r.status_code == 200
    assert len(set(r.json()["series"][0]["final_loss"])) == 3
