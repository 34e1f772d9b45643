"""Your own activation through the API: wherever an activation is accepted, a formula is too
(GET /api/curve?formula=…, {"formula", "params", "ranges"} in the JSON bodies, GET
/api/formula); errors name the field with the formula's code and position; the hostile
corpus gets a 422 (never a 500); no user text reaches eval/exec/compile or sympy."""

from __future__ import annotations

import builtins
import json
import traceback
from pathlib import Path
from urllib.parse import quote, urlencode

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.core import activations as acts
from app.main import create_app
from app.settings import Settings

CASES = Path(__file__).resolve().parents[1] / "cases"
HOSTILE = json.loads((CASES / "formula_hostile.json").read_text())
VALID = json.loads((CASES / "formula_valid.json").read_text())
ELU = "where(x > 0, x, alpha*(exp(x) - 1))"
SWISH = "x*sigmoid(b*x)"
MAX_URL_TEXT = 8000
SMALL = {"epochs": 60, "frames": 7, "boundary_frames": 1, "boundary_grid": 8}


def hostile_text(entry: dict) -> str:
    return entry["text"] if "text" in entry else "".join(s * n for s, n in entry["parts"])


def curve(client, formula: str, **query):
    return client.get("/api/curve?" + urlencode({"formula": formula, **query}))


def _no_nan(body: bytes) -> None:
    """The JSON has no NaN or Infinity (the words may appear inside strings, e.g. the snippet)."""

    def refuse(constant: str):
        raise AssertionError(f"JSON carries {constant}")

    json.loads(body, parse_constant=refuse)


# ----------------------------------------------------------------------------- GET /api/curve


def test_a_formulas_curve_has_its_derivative_properties_and_snippet(client):
    r = curve(client, SWISH, b="1.5:0:5", n="201")
    assert r.status_code == 200, r.text
    j = r.json()
    x = np.array(j["x"])
    assert np.allclose(j["y"], x / (1 + np.exp(-1.5 * x)), rtol=1e-12, atol=1e-15)
    s = 1 / (1 + np.exp(-1.5 * x))
    assert np.allclose(j["dy"], s + 1.5 * x * s * (1 - s), rtol=1e-12, atol=1e-15)
    assert j["params"] == {"b": 1.5} and j["name"].startswith("formula:") and j["torch"] is None
    f = j["formula"]
    assert f["text"] == SWISH and f["params"] == [{"name": "b", "default": 1.0, "min": 0.0, "max": 5.0}]
    assert f["dformula"]["text"] == "sigmoid(b*x) + b*x*sigmoid(b*x)*(1 - sigmoid(b*x))"
    assert f["dformula"]["latex"].startswith("f'(x) = ") and f["dformula"]["mathml"].startswith("<math")
    assert f["mathml"].startswith("<math") and "\\sigma" in f["latex"]
    assert f["properties"]["monotonic"] is False and f["properties"]["smooth"] is True and f["properties"]["output_range"].startswith("[≈ −0.")
    assert "class MyActivation(torch.nn.Module)" in f["torch_source"] and "1.5" in f["torch_source"]
    assert f["finite"]["ok"] is True and f["convention"] and f["kinks_known"] is True


def test_the_formula_route_says_where_f_is_not_finite_on_the_line(client):
    """The network view's advice on a divergence needs the cause: √x is undefined below 0, eˣ overflows."""
    sqrt = client.get("/api/formula", params={"formula": "sqrt(x)"}).json()["finite"]
    assert sqrt["ok"] is False and sqrt["kind"] == "undefined" and sqrt["side"] == "below"
    exp = client.get("/api/formula", params={"formula": "exp(x)"}).json()["finite"]
    assert exp["ok"] is False and exp["kind"] == "overflow" and exp["threshold"] == pytest.approx(709.78, abs=0.01)
    assert client.get("/api/formula", params={"formula": SWISH}).json()["finite"]["ok"] is True


def test_parameters_at_other_values_and_the_properties_follow(client):
    lo = curve(client, "where(x > 0, x, a*x)", a="0.1:-1:1").json()["formula"]["properties"]
    hi = curve(client, "where(x > 0, x, a*x)", a="-0.5:-1:1").json()["formula"]["properties"]
    assert lo["monotonic"] is True and hi["monotonic"] is False
    assert curve(client, "where(x > 0, x, a*x)", a="0.1").json()["kinks"] == [0.0]


def test_the_memo_and_etag_follow_the_canonical_formula(client):
    a = curve(client, "x * sigmoid( b*x )", b="2")
    b = curve(client, SWISH, b="2")
    assert a.status_code == b.status_code == 200 and a.headers["etag"] == b.headers["etag"]
    assert curve(client, SWISH, b="2", n="5").headers["etag"] != a.headers["etag"]
    assert curve(client, SWISH, b="2:0:5").headers["etag"] != a.headers["etag"]  # another declaration
    again = client.get("/api/curve?" + urlencode({"formula": SWISH, "b": "2"}), headers={"If-None-Match": a.headers["etag"]})
    assert again.status_code == 304


def test_an_overflowing_formula_says_where_and_sends_null(client):
    r = curve(client, "exp(x)", xmin="-1000", xmax="1000", n="2001")
    assert r.status_code == 200
    _no_nan(r.content)
    j = r.json()
    fin = j["formula"]["finite"]
    assert fin["ok"] is False and fin["kind"] == "overflow" and fin["which"] == "f" and fin["side"] == "above"
    assert fin["message"] == "f(x) is infinite for x > 709.783: exp(x) overflows"
    assert abs(fin["threshold"] - 709.78) < 0.01
    y = j["y"]
    assert y[-1] is None and y[0] == 0.0 and all(v is not None for v in y[:1700])
    assert "not finite" in j["formula"]["properties"]["notes"]


@pytest.mark.parametrize(("query", "field", "code", "extra"), [
    ({"formula": "x*sigmoid(b*x"}, "formula", "syntax", {"position": 13, "end": 14}),
    ({"formula": "x + foo(x)"}, "formula", "unknown_name", {"position": 4, "end": 7}),
    ({"formula": "__import__('os')"}, "formula", "not_allowed", {"position": 0}),
    ({"formula": ""}, "formula", "empty", {}),
    ({"formula": SWISH, "a": "1"}, "a", "unknown_field", {"allowed": ["formula", "b", "band", "n", "samples", "seed", "xmax", "xmin"]}),
    ({"formula": SWISH, "b": "11"}, "b", "out_of_range", {"min": -10.0, "max": 10.0}),
    ({"formula": SWISH, "b": "4:0:3"}, "b", "out_of_range", {"min": 0.0, "max": 3.0}),
    ({"formula": SWISH, "b": "1:3:0"}, "b", "param_spec", {"param": "b", "position": None}),
    ({"formula": SWISH, "b": "1:0"}, "b", "not_a_number", {}),
    ({"formula": SWISH, "b": "nan"}, "b", "not_a_number", {}),
    ({"formula": SWISH, "name": "relu"}, "formula", "name_and_formula", {}),
    ({"formula": SWISH, "n": "1"}, "n", "out_of_range", {}),
])
def test_curve_errors_name_the_field_with_code_and_position(client, query, field, code, extra):
    r = client.get("/api/curve?" + urlencode(query))
    assert r.status_code == 422, r.text
    j = r.json()
    assert (j["field"], j["code"]) == (field, code), j
    for k, v in extra.items():
        assert j[k] == v, (k, j)
    if "position" in extra and extra["position"] is not None:
        assert j["detail"].startswith(f"formula: at character {extra['position'] + 1}: ")


def test_get_formula_describes_it_like_a_catalogue_entry(client):
    r = client.get("/api/formula?" + urlencode({"formula": "where(x>0,x,a*(exp(x)-1))", "a": "0.5:0:2"}))
    assert r.status_code == 200 and r.headers["etag"]
    j = r.json()
    assert j["text"] == "where(x > 0, x, a*(exp(x) - 1))" and j["values"] == {"a": 0.5}
    assert j["dformula"]["text"] == "where(x > 0, 1, a*exp(x))"
    catalogue_entry = client.get("/api/activations").json()["activations"][0]
    act = j["activation"]
    assert set(act) == set(catalogue_entry)
    assert act["id"] == j["id"] and act["name"] == j["text"] and act["torch"] is None
    assert act["params"] == [{"id": "a", "label": "a", "kind": "float", "default": 1.0, "min": 0.0, "max": 2.0, "step": 0.001,
                              "help": "A parameter of your formula, in [0, 2]."}]
    assert act["properties"]["monotonic"] is True  # at the default a = 1
    assert "torch.where((x > 0.0), x, (a * torch.expm1(x)))" in j["torch_source"] and "a: float = 0.5" in j["torch_source"]
    assert client.get("/api/formula?formula=x%2B", headers={}).json()["position"] == 2
    assert client.get("/api/formula?formula=x&xmin=1").json()["code"] == "unknown_field"
    assert client.get("/api/formula").json()["field"] == "formula"


def test_catalogue_lists_the_formula_vocabulary(client):
    v = client.get("/api/activations").json()["formula"]
    assert v["example"] and "sigmoid" in v["functions"] and v["max_chars"] == 500
    assert v["default_param"] == {"default": 1.0, "min": -10.0, "max": 10.0} and "max(u, v)" in v["convention"]


# ----------------------------------------------------------------------------- JSON bodies


def test_post_curves_mixes_formulas_and_names(client):
    r = client.post("/api/curves", json={"curves": [{"formula": SWISH, "params": {"b": 2.0}, "ranges": {"b": {"min": 0, "max": 5}}}, {"name": "silu", "params": {"beta": 2.0}}], "n": 101})
    assert r.status_code == 200, r.text
    mine, theirs = r.json()["curves"]
    assert np.allclose(mine["y"], theirs["y"], rtol=1e-13, atol=1e-15) and np.allclose(mine["dy"], theirs["dy"], rtol=1e-12, atol=1e-15)
    assert mine["formula"]["params"][0] == {"name": "b", "default": 1.0, "min": 0.0, "max": 5.0} and theirs.get("formula") is None


@pytest.mark.parametrize(("body", "field", "code"), [
    ({"curves": [{"formula": "x*sigmoid(b*x", "params": {"b": 2}}]}, "curves.0.formula", "syntax"),
    ({"curves": [{"formula": "x", "name": "relu"}]}, "curves.0", "name_and_formula"),
    ({"curves": [{"name": "relu", "ranges": {"b": {}}}]}, "curves.0", "ranges_without_formula"),
    ({"curves": [{"formula": "x*b", "params": {"b": 20}}]}, "curves.0.params.b", "out_of_range"),
    ({"curves": [{"formula": "x*b", "params": {"b": "2"}}]}, "curves.0.params.b", "not_a_number"),
    ({"curves": [{"formula": "x*b", "params": {"c": 1}}]}, "curves.0.params.c", "unknown_parameter"),
    ({"curves": [{"formula": "x*b", "ranges": {"b": {"min": 3, "max": 1}}}]}, "curves.0.ranges.b", "param_spec"),
    ({"curves": [{"formula": "x*b", "ranges": {"c": {"min": 0}}}]}, "curves.0.ranges.c", "param_spec"),
    ({"curves": [{"formula": "x*b", "ranges": {"b": {"low": 0}}}]}, "curves.0.ranges.b.low", "unknown_field"),
    ({"curves": [{"formula": 3}]}, "curves.0.formula", "wrong_type"),
])
def test_post_curves_formula_errors_name_the_field(client, body, field, code):
    r = client.post("/api/curves", json=body)
    assert r.status_code == 422 and (r.json()["field"], r.json()["code"]) == (field, code), r.json()


def test_elus_formula_trains_exactly_like_elu_through_the_api(client):
    body = {**SMALL, "epochs": 200, "frames": 21, "include_weights": True, "learning_rate": 0.05}
    a = client.post("/api/train", json={**body, "activations": [{"name": "elu", "params": {"alpha": 0.7}}]}).json()
    mine = {"formula": ELU, "params": {"alpha": 0.7}, "ranges": {"alpha": {"min": 0, "max": 5}}}
    r = client.post("/api/train", json={**body, "activations": [mine]})
    assert r.status_code == 200, r.text
    b = r.json()
    va, vb = a["variants"][0], b["variants"][0]
    for part in ("train", "test"):
        assert np.allclose(va["loss"][part], vb["loss"][part], rtol=0, atol=1e-12)
        assert np.allclose(va["accuracy"][part], vb["accuracy"][part], rtol=0, atol=1e-12)
    for key in ("W", "b"):
        for wa, wb in zip(va["weights"]["final"][key], vb["weights"]["final"][key]):
            assert np.allclose(wa, wb, rtol=0, atol=1e-12)
    assert vb["activation"] == {"formula": ELU, "params": {"alpha": 0.7}, "ranges": {"alpha": {"min": 0.0, "max": 5.0, "default": 1.0}}}
    assert b["config"]["activations"] == [vb["activation"]]


def test_compare_and_stream_take_formulas(client):
    acts_ = [{"formula": SWISH}, {"name": "relu"}, {"formula": "x*tanh(softplus(x))"}]
    r = client.post("/api/train", json={**SMALL, "activations": acts_})
    assert r.status_code == 200
    assert [v["activation"].get("formula") or v["activation"]["name"] for v in r.json()["variants"]] == [SWISH, "relu", "x*tanh(softplus(x))"]
    with client.stream("POST", "/api/train/stream", json={**SMALL, "activations": [{"formula": SWISH, "params": {"b": 2}}]}) as s:
        text = "".join(s.iter_text())
    assert s.status_code == 200 and "event: result" in text and '"formula":"x*sigmoid(b*x)"' in text


def test_a_sweep_over_a_formula_parameter(client):
    body = {**SMALL, "activations": [{"formula": SWISH, "ranges": {"b": {"min": 0, "max": 5}}}], "sweep": {"param": "b", "values": [0.5, 1, 2, 4]}}
    r = client.post("/api/sweep", json=body)
    assert r.status_code == 200, r.text
    j = r.json()
    (s,) = j["series"]
    assert j["param"] == "b" and s["activation"] == {"formula": SWISH, "params": {}, "ranges": {"b": {"min": 0.0, "max": 5.0, "default": 1.0}}}
    assert len(s["final_loss"]) == 4 and len(set(s["final_loss"])) == 4
    # the stacked value b = 2 equals a run at b = 2 alone
    alone = client.post("/api/train", json={**SMALL, "boundary_frames": 0, "activations": [{"formula": SWISH, "params": {"b": 2}, "ranges": {"b": {"min": 0, "max": 5}}}]}).json()
    assert abs(alone["variants"][0]["loss"]["train"][-1] - s["final_loss"][2]) <= 1e-12
    # values outside the declared range, and parameters the formula does not have
    bad = client.post("/api/sweep", json={**body, "sweep": {"param": "b", "values": [0.5, 6]}}).json()
    assert (bad["field"], bad["code"], bad["max"]) == ("sweep.values.1", "out_of_range", 5.0)
    other = client.post("/api/sweep", json={**body, "sweep": {"param": "a", "values": [1]}}).json()
    assert (other["field"], other["code"]) == ("sweep.param", "not_a_choice") and "b" in other["choices"]


def test_init_stats_take_a_formula(client):
    r = client.post("/api/init_stats", json={"activations": [{"formula": "max(x, 0)"}, {"name": "relu"}], "seeds": 8})
    assert r.status_code == 200
    mine, relu = r.json()["series"]
    assert mine["mean_over_seeds"]["active_fraction"] == relu["mean_over_seeds"]["active_fraction"]
    assert mine["activation"] == {"formula": "max(x, 0)", "params": {}, "ranges": {}}


@pytest.mark.parametrize("path", ["/api/train", "/api/train/stream", "/api/sweep", "/api/init_stats"])
def test_training_errors_carry_the_code_and_position(client, path):
    body = {**SMALL, "activations": [{"name": "relu"}, {"formula": "x*(1 + ", "params": {}}]}
    if path == "/api/sweep":
        body["sweep"] = {"param": "learning_rate", "values": [0.01]}
    j = client.post(path, json=body).json()
    assert (j["field"], j["code"], j["position"], j["end"]) == ("activations.1.formula", "syntax", 7, 8), j


def test_a_costly_formula_counts_against_the_budget(client):
    heavy = "+".join(["sin(x)*erf(x)*softplus(x)"] * 12)
    run = {"n_points": 2000, "depth": 6, "width": 32, "epochs": 300, "boundary_frames": 0}
    assert client.post("/api/train", json={**run, "epochs": 1, "activations": [{"name": "relu"}]}).status_code == 200
    r = client.post("/api/train", json={**run, "activations": [{"formula": heavy}]})
    assert r.status_code == 422 and r.json()["code"] == "budget" and r.json()["fit_epochs"] < 300


# ----------------------------------------------------------------------------- the hostile corpus


@pytest.fixture(scope="module")
def big_client():
    # a body cap above the corpus' largest text, so every entry reaches the formula's checks
    with TestClient(create_app(Settings(max_body_bytes=1_000_000))) as c:
        yield c


REJECTED = [e for e in HOSTILE if e["code"]]


@pytest.mark.parametrize("entry", REJECTED, ids=lambda e: e["name"])
def test_hostile_formulas_get_a_422_naming_the_problem(big_client, entry):
    text = hostile_text(entry)
    ranges = entry.get("params") or {}
    t = big_client.post("/api/train", json={**SMALL, "activations": [{"formula": text, "ranges": ranges}]})
    answers = [(t, "train")]
    query = {"formula": text}
    for name, d in ranges.items():  # the declarations as a query writes them: value:min:max:default
        query[name] = ":".join(str(d.get(k, v)) for k, v in (("default", 1), ("min", -10), ("max", 10), ("default", 1)))
    if len(text) <= MAX_URL_TEXT:  # longer URLs are refused before the app (uvicorn, proxies, httpx)
        answers.append((big_client.get("/api/curve?" + urlencode(query)), "curve"))
    for r, where in answers:
        j = r.json()
        assert r.status_code == 422, (where, r.status_code, j)
        if ranges:  # a bad declaration: named by its parameter (a JSON "nan" is a wrong type, a query's "nan" not a number)
            assert j["field"].split(".")[-1] in ranges or j["field"].split(".")[-2] in ranges, (where, j)
            continue
        assert j["code"] == entry["code"] and j["position"] == entry["position"], (where, j)
        assert j["field"].endswith("formula") or j["field"].startswith(("ranges.", "activations.0.ranges.")), (where, j)
        if entry["position"] is not None:
            assert f"at character {entry['position'] + 1}: " in j["detail"]


def test_the_corpus_is_large():
    assert len(REJECTED) >= 50


@pytest.mark.parametrize("entry", [e for e in HOSTILE if not e["code"]], ids=lambda e: e["name"])
def test_hostile_but_valid_formulas_are_drawn_and_trained_not_crashed(big_client, entry):
    text = hostile_text(entry)
    r = big_client.get("/api/curve?" + urlencode({"formula": text, "xmin": "-10000", "xmax": "10000", "n": "2001"}))
    assert r.status_code == 200, r.text
    _no_nan(r.content)
    assert (None if r.json()["formula"]["finite"]["ok"] else r.json()["formula"]["finite"]["kind"]) == entry["report"]
    t = big_client.post("/api/train", json={**SMALL, "activations": [{"formula": text}]})
    assert t.status_code in (200, 422), t.text  # 422: over the compute budget
    _no_nan(t.content)


def test_a_body_over_the_cap_is_a_413_not_a_500(client):
    text = "x+" * 40_000 + "x"
    r = client.post("/api/curves", json={"curves": [{"formula": text}]})
    assert r.status_code == 413 and r.json()["code"] == "body_too_large"
    # the training routes take larger bodies (a run's state): there the formula's own cap answers
    r = client.post("/api/train", json={"activations": [{"formula": text}]})
    assert r.status_code == 422 and r.json()["code"] == "too_long" and r.json()["field"].startswith("activations.0.formula")


# ----------------------------------------------------------------------------- no code execution


def test_no_request_reaches_eval_exec_compile_or_sympy(big_client, monkeypatch):
    import sympy
    import sympy.parsing.sympy_parser as sympy_parser

    texts = [c["text"] for c in VALID] + [hostile_text(e) for e in HOSTILE] + [ELU, SWISH, "piecewise(x < -1, -1, x > 1, 1, x)"]
    # build first what is built once from the app's own text: the OpenAPI document (error
    # messages read it) and the embed page's Jinja2 template (Jinja2 compiles templates)
    big_client.get("/api/curve?formula=x%2A%2A2")
    big_client.post("/api/curves", json={"curves": [{"name": "relu", "bad": 1}]})
    big_client.get("/embed/function?fn=relu")
    calls: list[str] = []

    def trap(name):
        def refuse(*args, **kwargs):
            calls.append(f"{name}: {traceback.format_stack(limit=6)}")
            raise AssertionError(f"{name} was called")

        return refuse

    for name in ("eval", "exec", "compile"):
        monkeypatch.setattr(builtins, name, trap(name))
    for name in ("sympify", "parse_expr", "lambdify"):
        monkeypatch.setattr(sympy, name, trap(name))
    monkeypatch.setattr(sympy_parser, "parse_expr", trap("parse_expr"))
    statuses = set()
    for text in texts:
        if len(text) <= MAX_URL_TEXT:
            statuses.add(big_client.get("/api/curve?" + urlencode({"formula": text, "n": "41"})).status_code)
            statuses.add(big_client.get("/api/formula?" + urlencode({"formula": text})).status_code)
        statuses.add(big_client.post("/api/train", json={"epochs": 3, "frames": 2, "boundary_frames": 0, "activations": [{"formula": text}]}).status_code)
    statuses.add(big_client.get("/embed/function?fn=" + quote("[x*sigmoid(b*x)](b=2:0:5)", safe="()[]=:,")).status_code)
    monkeypatch.undo()  # (pytest's own reporting compiles)
    assert calls == [] and statuses <= {200, 422}, (calls, statuses)
    assert acts.get("relu")  # the catalogue is untouched


# ----------------------------------------------------------------------------- links, embeds, lessons


def test_embeds_and_oembed_carry_a_formula(client):
    act = quote("[x*sigmoid(b*x)](b=1.5:0:5)", safe="()[]=:,")
    page = client.get(f"/embed/loss?act={act}&epochs=50")
    assert page.status_code == 200 and 'data-autorun="1"' in page.text  # the embed's run is valid and cheap
    assert 'href="/?act=[x%2Asigmoid(b%2Ax)](b=1.5:0:5)&amp;epochs=50&amp;view=network"' in page.text  # "Open in Activation Lab"
    sweep = client.get(f"/embed/sweep?act={act}&sweep=b&values=0.5,1,2&epochs=50")
    assert 'data-autorun="1"' in sweep.text
    o = client.get("/oembed", params={"url": f"http://testserver/embed/function?fn={act}"}).json()
    assert "/embed/function?fn=[x%2Asigmoid(b%2Ax)](b=1.5:0:5)" in o["html"]


def test_a_lessons_formula_control_is_checked_with_its_position(client):
    ok = client.get("/api/lessons/scale-invariance/measure", params={"own": "x * sigmoid(x)"}).json()
    assert ok["params"]["own"] == "x*sigmoid(x)" and ok["readouts"][-1]["id"] == "own_error"
    assert ok["explorer"] == "/?fn=relu,[x%2Asigmoid(x)]&xmin=-5&xmax=5"
    bad = client.get("/api/lessons/scale-invariance/measure", params={"own": "x + foo(x)"}).json()
    assert (bad["field"], bad["code"], bad["position"], bad["end"]) == ("own", "unknown_name", 4, 7)


def test_a_parameter_may_not_take_the_name_of_a_query_setting(client):
    """GET /api/curve?formula=n*x&n=3 gave 3 points and n = 3; xmin=-1 set a parameter and moved
    the grid; name=2 was 'give name or formula, not both'. Such names are refused where the
    formula is typed, with the place, and the list covers every GET route's own settings."""
    from app.api import activations as curve_api
    from app.api import theory
    from app.core.formula.parser import QUERY_NAMES, RESERVED

    keys = set(curve_api.GRID_KEYS) | {"name", "formula"}
    for opts in (theory.PropagationOptions, theory.CriticalOptions, theory.PhaseOptions, theory.KernelOptions,
                 theory.InitOptions, theory.MeanVarOptions):
        keys |= set(opts.model_fields)
    assert keys - RESERVED <= QUERY_NAMES, sorted(keys - RESERVED - QUERY_NAMES)
    for text, name, at in (("n*x", "n", 0), ("x*sigmoid(xmin*x)", "xmin", 10), ("x*sigmoid(name*x)", "name", 10),
                           ("x*sigmoid(formula*x)", "formula", 10), ("tau*x", "tau", 0)):
        given = {} if name in ("name", "formula") else {name: "2"}  # (name= with formula= is its own 422)
        for r in (curve(client, text, **given), client.get("/api/formula?" + urlencode({"formula": text}))):
            assert r.status_code == 422, (text, r.text)
            body = r.json()
            assert body["code"] == "reserved_name" and body["field"] == "formula" and body["position"] == at, body
            assert f"choose another name, such as {name}1" in body["detail"]
    r = client.get("/api/theory/propagation?" + urlencode({"formula": "x*sigmoid(q*x)", "q": "1"}))
    assert r.status_code == 422 and r.json()["code"] == "reserved_name"
    r = client.post("/api/curves", json={"curves": [{"formula": "n*x", "params": {"n": 3}}]})
    assert r.status_code == 422 and r.json()["code"] == "reserved_name" and r.json()["field"] == "curves.0.formula"
    ok = curve(client, "x*sigmoid(n1*x)", n1="2", n="3")
    assert ok.status_code == 200 and len(ok.json()["x"]) == 3 and ok.json()["formula"]["values"] == {"n1": 2.0}


def test_an_unknown_parameter_of_a_formula_names_the_formula(client):
    """{"formula": "x*a", "params": {"b": 2}} said "formula:2810882ba39d has no parameter 'b'"."""
    r = client.post("/api/curves", json={"curves": [{"formula": "x*a", "params": {"b": 2}}]})
    body = r.json()
    assert r.status_code == 422 and body["code"] == "unknown_parameter" and body["allowed"] == ["a"]
    assert "the formula x*a has no parameter 'b'" in body["detail"] and "formula:" not in body["detail"]
