"""The network lab's API (issue 15): the new knobs, own data, the client-held state, the
diagram and probe, and what the request log says of runs cut short or abandoned."""

from __future__ import annotations

import numpy as np
import orjson
import pytest
from fastapi.testclient import TestClient

from app.api.middleware import RequestLog
from app.main import create_app
from app.settings import Settings

SMALL = {"epochs": 20, "frames": 5, "boundary_frames": 2, "boundary_grid": 10}


def _post(client: TestClient, body: dict, path: str = "/api/train") -> dict:
    r = client.post(path, json=body)
    assert r.status_code == 200, r.text[:400]
    return orjson.loads(r.content)  # (strict JSON: orjson refuses NaN and Infinity)


def _err(client: TestClient, body: dict, path: str = "/api/train") -> dict:
    r = client.post(path, json=body)
    assert r.status_code == 422, r.text[:400]
    return r.json()


def test_the_new_knobs_flow_through_to_the_response(client: TestClient) -> None:
    j = _post(client, {**SMALL, "dataset": "class_blobs", "classes": 5, "widths": [6, 3, 4], "features": ["sin_x2", "x1", "x1x2"], "l1": 0.001, "l2": 0.01,
                       "include_weights": True, "batch_size": 32})
    assert j["task"] == "multiclass" and j["classes"] == 5
    assert j["config"]["widths"] == [6, 3, 4] and j["config"]["depth"] == 3 and j["config"]["features"] == ["x1", "x1x2", "sin_x2"]
    (v,) = j["variants"]
    assert [len(m) for m in v["weights"]["final"]["W"]] == [3, 6, 3, 4]  # fan_in rows: 3 features, then the widths
    assert len(v["weights"]["final"]["b"][-1]) == 5  # five outputs
    assert len(v["layers"]["dead_fraction"][0]) == 3 and v["r2"] is None
    assert set(sum(j["data"]["train"]["y"] + j["data"]["test"]["y"], start=0) for _ in [0]) and max(j["data"]["train"]["y"]) == 4
    p = v["boundary"]["p"]
    assert len(p[0]) == 5 and len(p[0][0]) == 10  # per class
    assert abs(sum(p[-1][c][3][4] for c in range(5)) - 1.0) < 5e-4


def test_regression_reports_r2_and_the_prediction(client: TestClient) -> None:
    j = _post(client, {**SMALL, "dataset": "plane", "epochs": 200, "learning_rate": 0.03})
    (v,) = j["variants"]
    assert j["task"] == "regression" and v["accuracy"] is None
    assert v["r2"]["test"][-1] > 0.9 and v["loss"]["train"][-1] < v["loss"]["train"][0]
    assert isinstance(j["data"]["train"]["y"][0], float)


def test_widths_override_depth_and_width_and_are_checked(client: TestClient) -> None:
    assert _err(client, {**SMALL, "widths": [4, 65]})["field"] == "widths.1"
    assert _err(client, {**SMALL, "widths": [4] * 13})["field"] == "widths"
    assert _err(client, {**SMALL, "features": ["x1", "x3"]})["field"].startswith("features")
    assert _err(client, {**SMALL, "features": []})["field"] == "features"
    assert _err(client, {**SMALL, "l2": -1})["field"] == "l2"


def test_own_points_train_and_are_checked(client: TestClient) -> None:
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (40, 2))
    y = (x[:, 0] > 0).astype(int) + (x[:, 1] > 0).astype(int)  # three classes
    j = _post(client, {**SMALL, "dataset": "own", "points": {"x": x.tolist(), "y": y.tolist()}})
    assert j["task"] == "multiclass" and j["classes"] == 3 and j["config"]["n_points"] == 40
    assert _err(client, {**SMALL, "dataset": "own"})["field"] == "points"
    assert _err(client, {**SMALL, "points": {"x": x.tolist(), "y": y.tolist()}})["field"] == "points"
    bad = _err(client, {**SMALL, "dataset": "own", "points": {"x": x.tolist(), "y": [*y.tolist()[:-1], 9]}})
    assert bad["field"] == "points.y.39" and bad["code"] == "not_a_label"
    assert bad["detail"].endswith("a class label is a whole number 0–5 (got 9)"), bad["detail"]  # (not "9.0": as typed)
    few = _err(client, {**SMALL, "dataset": "own", "points": {"x": x.tolist()[:5], "y": y.tolist()[:5]}})
    assert few["code"] == "out_of_range" and few["min"] == 10


def test_csv_upload_names_the_line_and_column(client: TestClient) -> None:
    rows = "\n".join(f"{i / 10},{-i / 10},{i % 2}" for i in range(30))
    r = client.post("/api/points", content="x1,x2,label\n" + rows, headers={"content-type": "text/csv"})
    assert r.status_code == 200 and r.json()["classes"] == 2 and len(r.json()["x"]) == 30
    r = client.post("/api/points", content="x1,x2,label\n" + rows + "\n1.5,oops,1", headers={"content-type": "text/csv"})
    assert r.status_code == 422 and (r.json()["line"], r.json()["column"], r.json()["code"]) == (32, 2, "not_a_number")
    r = client.post("/api/points", content=rows + "\n1,2", headers={"content-type": "text/csv"})
    assert r.status_code == 422 and r.json()["line"] == 31 and r.json()["code"] == "columns"
    too_many = "\n".join("0,0,0" for _ in range(5001))
    r = client.post("/api/points", content=too_many, headers={"content-type": "text/csv"})
    assert r.status_code == 422 and r.json()["code"] == "too_many"
    r = client.post("/api/points?task=regress", content=rows, headers={"content-type": "text/csv"})
    assert r.status_code == 200 and r.json()["task"] == "regress"
    # a first row whose number is too large is that row, not a header to skip (it was: 29 points, 200)
    for first, (line, code) in {"1e400,0.2,0": (1, "not_finite"), "inf,0.2,0": (1, "not_finite"), "x1,x2,label": (None, None)}.items():
        r = client.post("/api/points", content=first + "\n" + rows, headers={"content-type": "text/csv"})
        if code is None:
            assert r.status_code == 200 and len(r.json()["x"]) == 30
        else:
            assert r.status_code == 422 and (r.json()["line"], r.json()["column"], r.json()["code"]) == (line, 1, code), r.json()
            assert "is not a finite number" in r.json()["detail"], r.json()


def test_csv_with_decimal_commas_and_quotes_is_read(client: TestClient) -> None:
    """A file separated by ';' or with quoted cells may write 0,5; a comma-separated one that
    splits its numbers in two gets a hint (it said only "line 2 has 5 columns")."""
    semi = "x1;x2;label\n" + "\n".join(f"{i / 10:.1f};{-i / 4:.2f};{i % 2}".replace(".", ",") for i in range(12))
    quoted = "x1,x2,label\n" + "\n".join(f'"{i / 10:.1f}","{-i / 4:.2f}",{i % 2}'.replace(".", ",") for i in range(12))
    for text in (semi, quoted):
        r = client.post("/api/points", content=text, headers={"content-type": "text/csv"})
        assert r.status_code == 200, r.json()
        assert r.json()["x"][3] == [0.3, -0.75] and r.json()["y"][:3] == [0, 1, 0]
    split = "x1,x2,label\n" + "\n".join(f"{i / 10 + 0.5:.1f},{-i / 4 - 0.5:.2f},{i % 2}".replace(".", ",") for i in range(12))
    r = client.post("/api/points", content=split, headers={"content-type": "text/csv"})
    assert r.status_code == 422 and (r.json()["code"], r.json()["line"], r.json()["columns"]) == ("columns", 2, 5)
    assert "decimal commas?" in r.json()["detail"], r.json()


def test_csv_messages_name_the_separator_and_an_empty_file(client: TestClient) -> None:
    """A text file "line 2 has 6 columns" (spaces are a separator too: not said), "1 columns",
    and an empty file "between 10 and 5,000 points (got 0)"."""
    post = lambda text: client.post("/api/points", content=text, headers={"content-type": "text/csv"}).json()
    j = post("x1 x2 label\nthis is not a csv file\n")
    assert (j["code"], j["line"], j["columns"]) == ("columns", 2, 6) and "line 2 has 6 columns (separated by spaces)" in j["detail"], j
    j = post("x\n1\n2\n")
    assert "line 2 has 1 column (separated by spaces); each row is x1, x2, label" in j["detail"], j
    assert "line 1 has 2 columns (separated by semicolons)" in post("1;2\n")["detail"]
    for empty in ("", "\n\n", "x1,x2,label\n"):
        j = post(empty)
        assert j["code"] == "empty" and j["field"] == "csv" and j["detail"] == "csv: the file has no rows of numbers (at least 10: x1, x2, label)", j


def test_a_comma_that_could_be_a_thousands_separator_is_asked_about(client: TestClient) -> None:
    """A quoted "1,000" in a comma-separated file was read as 1.0 (a decimal comma), in silence,
    where a spreadsheet export from an English locale means one thousand. It is now refused,
    naming the cell and both readings; "1,25" (not three digits) is still 1.25, and in a file
    separated by ';' (whose numbers use decimal commas) "1,000" is 1.0."""
    rows = [f'{i / 10:.1f},{-i / 10:.1f},{i % 2}' for i in range(12)]
    for sep in (",", "\t"):
        text = "\n".join(r.replace(",", sep) for r in rows[:4]) + "\n" + sep.join(['"1,000"', "0.2", "1"]) + "\n" + "\n".join(r.replace(",", sep) for r in rows[4:])
        r = client.post("/api/points?task=regress", content=text, headers={"content-type": "text/csv"})
        j = r.json()
        assert r.status_code == 422 and (j["code"], j["line"], j["column"]) == ("ambiguous_comma", 5, 1), j
        assert "'1,000' could be 1000 (a thousands separator) or 1.000 (a decimal comma)" in j["detail"], j
    quoted = "\n".join(rows) + '\n"1,25",0.2,1'
    r = client.post("/api/points?task=regress", content=quoted, headers={"content-type": "text/csv"})
    assert r.status_code == 200 and r.json()["x"][-1] == [1.25, 0.2], r.json()
    semi = "\n".join(r.replace(",", ";") for r in rows) + "\n1,000;0,2;1"
    r = client.post("/api/points?task=regress", content=semi, headers={"content-type": "text/csv"})
    assert r.status_code == 200 and r.json()["x"][-1] == [1.0, 0.2], r.json()

def test_regression_targets_that_do_not_vary_are_refused(client: TestClient) -> None:
    """R² compares a fit with the targets' spread: all equal, it was about −1e300 ("R² -7.46e+296")."""
    x = [[i / 10, -i / 10] for i in range(20)]
    for y in ([0.0] * 20, [3.0] * 20):
        bad = _err(client, {**SMALL, "dataset": "own", "points": {"x": x, "y": y, "task": "regress"}})
        assert (bad["field"], bad["code"], bad["value"]) == ("points.y", "constant_targets", y[0]), bad
        assert "the targets must vary" in bad["detail"]
    r = client.post("/api/points?task=regress", content="\n".join(f"{i},{i},2.5" for i in range(12)), headers={"content-type": "text/csv"})
    assert r.status_code == 422 and r.json()["code"] == "constant_targets" and "all 12 are 2.5" in r.json()["detail"]
    j = _post(client, {**SMALL, "dataset": "own", "points": {"x": x, "y": [1e-9 * i for i in range(20)], "task": "regress"}})
    assert all(v is not None for v in j["variants"][0]["r2"]["test"])  # tiny but real spread: R² is a number


def test_continuing_from_the_state_is_the_longer_run_bit_for_bit(client: TestClient) -> None:
    base = {"activations": [{"name": "relu"}, {"name": "noisy_relu"}], "batch_size": 16, "frames": 3, "boundary_frames": 1, "boundary_grid": 8, "l2": 0.001}
    whole = _post(client, {**base, "epochs": 30, "include_state": True})
    first = _post(client, {**base, "epochs": 12, "include_state": True})
    assert first["state"]["epoch"] == 12
    then = _post(client, {**base, "epochs": 18, "include_state": True, "state": first["state"]})
    assert then["state"]["theta"] == whole["state"]["theta"] and then["state"]["m"] == whole["state"]["m"]
    assert then["epochs"] == 30 and then["frames"][0] == 12 and then["frames"][-1] == 30 and then["epoch_start"] == 12
    for a, b in zip(then["variants"], whole["variants"]):
        assert a["loss"]["train"][-1] == b["loss"]["train"][-1]


def test_a_bad_state_is_a_422_naming_it(client: TestClient) -> None:
    j = _post(client, {**SMALL, "include_state": True})
    state = j["state"]
    assert _err(client, {**SMALL, "state": {**state, "theta": state["theta"][:-4]}})["field"] == "state.theta"
    mismatch = _err(client, {**SMALL, "depth": 2, "state": state})
    assert mismatch["field"] == "state" and mismatch["code"] == "state_mismatch" and mismatch["key"] == "widths"
    assert _err(client, {**SMALL, "state": {**state, "version": 0}})["code"] == "state_version"
    assert _err(client, {**SMALL, "state": "nope"})["field"] == "state"
    # what may change between steps: the learning rate, regularisation, the batch size
    _post(client, {**SMALL, "learning_rate": 0.1, "l1": 0.01, "batch_size": 8, "state": state})


def test_the_state_of_the_largest_network_fits_the_training_body_cap(client: TestClient) -> None:
    body = {"epochs": 1, "frames": 2, "boundary_frames": 0, "widths": [64] * 12, "features": ["x1", "x2", "x1_sq", "x2_sq", "x1x2", "sin_x1", "sin_x2"],
            "activations": [{"name": "relu"}] * 4, "n_points": 200, "include_state": True}
    j = _post(client, body)
    again = orjson.dumps({**body, "state": j["state"]})
    assert 65536 < len(again) < Settings().train_max_body_bytes
    assert client.post("/api/train", content=again, headers={"content-type": "application/json"}).status_code == 200


def test_the_diagram_and_a_probed_point(client: TestClient) -> None:
    j = _post(client, {**SMALL, "unit_grid": 6, "include_state": True, "widths": [3, 2]})
    d = j["variants"][0]["diagram"]
    assert len(d["units"]) == 2 and len(d["units"][0]) == 3 and len(d["units"][0][0]) == 6 and len(d["inputs"]) == 2
    assert [len(a) for a in d["mean"]["z"]] == [3, 2] and d["probe"] is None
    assert d["weights"]["W"] == j["variants"][0]["diagram"]["weights"]["W"]
    p = _post(client, {**SMALL, "widths": [3, 2], "state": j["state"], "probe": {"x": [0.2, -0.1], "y": 1}}, "/api/train/probe")
    assert p["epochs"] == 20 and p["frames"] == [20]
    pd = p["variants"][0]["diagram"]
    assert pd["weights"] == d["weights"] and pd["mean"] == d["mean"]  # the same state, the same numbers
    assert pd["probe"]["x"] == [0.2, -0.1] and len(pd["probe"]["grad"][1]) == 2


def test_a_probe_without_a_state_is_the_network_at_epoch_0_that_step_continues(client: TestClient) -> None:
    """Reset shows it: the seed's initial weights, which a Step from its state trains exactly as
    a Step from no state does."""
    body = {**SMALL, "widths": [3, 2], "unit_grid": 6, "include_state": True, "epochs": 1}
    p = _post(client, body, "/api/train/probe")
    assert p["epochs"] == 0 and p["frames"] == [0] and p["variants"][0]["boundary"]["frames"] == [0]
    assert p["variants"][0]["diagram"]["weights"] and p["variants"][0]["histograms"]["init"]
    fresh = _post(client, body)  # Step after the old Reset: no state
    step = _post(client, {**body, "state": p["state"]})
    assert step["frames"] == fresh["frames"] == [0, 1]
    for key in ("loss", "accuracy"):
        assert step["variants"][0][key] == fresh["variants"][0][key]
    assert step["variants"][0]["loss"]["train"][0] == p["variants"][0]["loss"]["train"][0]
    assert step["state"] == fresh["state"]


def test_sweeps_take_the_new_knobs_and_weigh_dead_units_by_width(client: TestClient) -> None:
    body = {**SMALL, "dataset": "class_spirals", "classes": 4, "widths": [8, 2], "sweep": {"param": "learning_rate", "values": [0.01, 0.1]}}
    j = _post(client, body, "/api/sweep")
    assert j["task"] == "multiclass" and len(j["series"][0]["final_loss"]) == 2
    assert _err(client, {**body, "include_state": True}, "/api/sweep")["field"] == "state"


def test_init_stats_with_features_and_widths(client: TestClient) -> None:
    j = _post(client, {"seeds": 4, "widths": [5, 7], "features": ["x1", "x2", "x1_sq"]}, "/api/init_stats")
    assert len(j["series"][0]["layers"]["dead_fraction"][0]) == 2


@pytest.mark.parametrize("path", ["/api/train", "/api/train/stream"])
def test_a_run_cut_short_says_so_in_the_log(path: str) -> None:
    app = create_app(Settings(train_timeout_s=0.1))
    lines: list[str] = []
    app.state.request_log = lambda record: lines.append(RequestLog.line(record))
    with TestClient(app) as c:
        r = c.post(path, json={"n_points": 2000, "depth": 6, "width": 32, "epochs": 300, "frames": 3, "boundary_frames": 1})
        assert r.status_code == 200
    logged = [orjson.loads(x) for x in lines if path in x]
    assert logged and logged[-1]["outcome"] == "cut_short" and logged[-1]["status"] == 200


def test_a_diverged_network_marks_no_unit_dead_and_says_when(client: TestClient) -> None:
    """Squared ReLU at learning rate 10 diverges at epoch 1: its last numbers are ±∞ or NaN, and a
    unit with φ′(−∞) = 0 is not one that stopped learning. The diagram marked all 48 units dead."""
    j = _post(client, {"activations": [{"name": "squared_relu"}], "optimizer": "sgd", "learning_rate": 10, "depth": 6, "epochs": 50, "unit_grid": 6})
    v = j["variants"][0]
    assert v["diverged_at_epoch"] == 1
    d = v["diagram"]
    assert d["diverged_at_epoch"] == 1
    assert not any(any(layer) for layer in d["dead"])
    assert v["histograms"]["final"] is None and len(v["histograms"]["init"]) == 6
    j = _post(client, {"activations": [{"name": "relu"}], "epochs": 20, "unit_grid": 6})
    assert j["variants"][0]["diagram"]["diverged_at_epoch"] is None


def test_points_of_another_media_type_are_415(client: TestClient) -> None:
    """application/xml was read as CSV: "csv: between 10 and 5,000 points (got 0)"."""
    r = client.post("/api/points", content="<points/>", headers={"content-type": "application/xml"})
    assert r.status_code == 415 and r.json()["code"] == "unsupported_media_type" and r.json()["field"] == "body"
    rows = "\n".join(f"{i / 10},{-i / 10},{i % 2}" for i in range(12))
    for ctype in ("text/csv; charset=utf-8", "text/plain", "application/octet-stream"):  # what browsers send a .csv file as
        assert client.post("/api/points", content=rows, headers={"content-type": ctype}).status_code == 200, ctype
