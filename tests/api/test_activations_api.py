"""The catalogue and curve endpoints: listing, curves equal to the core functions,
validation (422 naming the field), caps, ETags, stochastic bands and samples."""

from __future__ import annotations

import math

import numpy as np
import pytest

from app.api.activations import MAX_POINTS, MAX_SAMPLES, MAX_SPECS, X_LIMIT
from app.core import activations as A

ACTS = {a.id: a for a in A.CATALOGUE}
FLOAT_PARAMS = [(a.id, p) for a in A.CATALOGUE for p in a.params if p.kind == "float"]

# Range-end values whose partner must move for the cross-parameter check to pass.
PARTNER = {
    ("hardtanh", "min_val", 5.0): None,  # min_val = 5 can never be below max_val ≤ 5
    ("hardtanh", "max_val", -5.0): None,
    ("rrelu", "lower", 1.0): {"upper": 1.0},
    ("rrelu", "upper", 0.0): {"lower": 0.0},
}


def _curve(client, **query):
    return client.get("/api/curve", params=query)


def _err(r, status=422):
    assert r.status_code == status, r.text
    body = r.json()
    assert {"detail", "field", "code", "errors"} <= set(body) and isinstance(body["code"], str)
    return body


# --------------------------------------------------------------------------- catalogue


def test_catalogue_lists_every_activation_with_params_and_mathml(client):
    r = client.get("/api/activations")
    assert r.status_code == 200
    listed = r.json()["activations"]
    assert [a["id"] for a in listed] == list(A.IDS)
    for item in listed:
        act = ACTS[item["id"]]
        assert item["name"] == act.name and item["latex"] == act.latex
        assert item["mathml"].startswith("<math") and "</math>" in item["mathml"]
        assert [p["id"] for p in item["params"]] == [p.id for p in act.params]
        for p, decl in zip(item["params"], act.params):
            assert p["default"] == decl.default
            if decl.kind == "float":
                assert (p["min"], p["max"], p["step"]) == (decl.min, decl.max, decl.step)
            else:
                assert p["choices"] == list(decl.choices)
        assert item["kinks"] == act.kinks(**act.defaults())
        assert item["properties"] == act.properties.as_dict()
        assert item["convention"] == act.convention
        assert (item["stochastic"] is None) == (act.stochastic is None)
    assert listed[A.IDS.index("prelu")]["learnable"] == ["a"]


def test_catalogue_etag_gives_304(client):
    r = client.get("/api/activations")
    etag = r.headers["etag"]
    again = client.get("/api/activations", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    assert client.get("/api/activations", headers={"If-None-Match": '"other"'}).status_code == 200


# --------------------------------------------------------------------------- curves


@pytest.mark.parametrize("act_id", A.IDS)
def test_curve_with_defaults_equals_the_core_functions(client, act_id):
    act = ACTS[act_id]
    r = _curve(client, name=act_id, xmin=-7, xmax=9, n=257)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["name"] == act_id and body["params"] == act.defaults()
    x, y, dy = (np.array(body[k], dtype=float) for k in ("x", "y", "dy"))
    assert x.shape == y.shape == dy.shape == (257,)
    assert np.all(np.isfinite(x)) and np.all(np.isfinite(y)) and np.all(np.isfinite(dy))
    np.testing.assert_array_equal(x, np.linspace(-7.0, 9.0, 257))
    np.testing.assert_array_equal(y, act.f(x, **act.defaults()))  # JSON floats round-trip exactly
    np.testing.assert_array_equal(dy, act.df(x, **act.defaults()))
    assert body["kinks"] == [k for k in act.kinks(**act.defaults()) if -7 <= k <= 9]
    assert body["all_kinks"] == act.kinks(**act.defaults())  # (the card's "smooth": not the plotted range's)
    assert body["saturation_eps"] == 0.01
    assert body["convention"] == act.convention
    assert (body["noise"] is None) == (act.stochastic is None)


def test_curve_defaults_grid(client):
    body = _curve(client, name="relu").json()
    assert len(body["x"]) == 401 and body["x"][0] == -5.0 and body["x"][-1] == 5.0
    assert body["regions"] == [{"kind": "dead", "x0": -5.0, "x1": 0.0}]


@pytest.mark.parametrize("act_id,p", FLOAT_PARAMS, ids=[f"{a}.{p.id}" for a, p in FLOAT_PARAMS])
def test_params_at_range_ends_accepted_and_just_outside_rejected(client, act_id, p):
    act = ACTS[act_id]
    for end in (p.min, p.max):
        partner = PARTNER.get((act_id, p.id, end), {})
        if partner is None:
            continue
        r = _curve(client, name=act_id, n=64, **{p.id: repr(end)}, **partner)
        assert r.status_code == 200, (end, r.text)
        body = r.json()
        assert body["params"][p.id] == end
        y = np.array(body["y"], dtype=float)
        np.testing.assert_array_equal(y, act.f(np.array(body["x"]), **body["params"]))
    rng = f"[{p.min:g}, {p.max:g}]"
    for outside in (p.min - p.step / 10, p.max + p.step / 10, p.min - 1e-9 * max(1, abs(p.min)), p.max + 1e-9 * max(1, abs(p.max))):
        body = _err(_curve(client, name=act_id, **{p.id: repr(outside)}))
        assert body["field"] == p.id and rng in body["detail"], body
    for bad in ("nan", "inf", "-inf", "abc", ""):
        body = _err(_curve(client, name=act_id, **{p.id: bad}))
        assert body["field"] == p.id and rng in body["detail"], body


def test_choice_params(client):
    for choice in ("none", "tanh"):
        body = _curve(client, name="gelu", approximate=choice, n=9).json()
        assert body["params"] == {"approximate": choice}
        np.testing.assert_array_equal(body["y"], A.gelu(np.array(body["x"]), approximate=choice))
    body = _err(_curve(client, name="gelu", approximate="erf"))
    assert body["field"] == "approximate" and "none" in body["detail"] and "tanh" in body["detail"]


def test_cross_parameter_check(client):
    body = _err(_curve(client, name="hardtanh", min_val=2, max_val=1))
    assert "min_val" in body["field"] and "max_val" in body["field"]
    body = _err(_curve(client, name="rrelu", lower=0.5, upper=0.25))
    assert "lower" in body["field"] and "upper" in body["field"]


def test_unknown_activation_lists_the_allowed_names(client):
    body = _err(_curve(client, name="swishy"))
    assert body["field"] == "name"
    for i in A.IDS:
        assert f"'{i}'" in body["detail"]
    assert _err(_curve(client))["field"] == "name"  # missing


def test_unknown_foreign_and_duplicated_params_are_named(client):
    body = _err(_curve(client, name="relu", foo="1"))
    assert body["field"] == "foo" and "foo" in body["detail"]
    body = _err(_curve(client, name="relu", leak="0.1"))  # a parameter of leaky_relu
    assert body["field"] == "leak" and "leak" in body["detail"]
    body = _err(_curve(client, name="elu", sigma="0.1"))
    assert body["field"] == "sigma"
    body = _err(client.get("/api/curve?name=leaky_relu&leak=0.1&leak=0.2"))
    assert body["field"] == "leak" and "more than once" in body["detail"]
    body = _err(client.get("/api/curve?name=relu&n=10&n=20"))
    assert body["field"] == "n"
    body = _err(client.get("/api/curve?name=relu&name=elu"))
    assert body["field"] == "name"


@pytest.mark.parametrize(
    "query,field",
    [
        ({"n": MAX_POINTS + 1}, "n"),
        ({"n": 1}, "n"),
        ({"n": "2.5"}, "n"),
        ({"samples": MAX_SAMPLES + 1}, "samples"),
        ({"samples": -1}, "samples"),
        ({"xmin": -X_LIMIT * 1.0001}, "xmin"),
        ({"xmax": X_LIMIT * 1.0001}, "xmax"),
        ({"xmin": 3, "xmax": 3}, "xmax"),
        ({"xmin": 4, "xmax": -4}, "xmax"),
        ({"xmin": "nan"}, "xmin"),
        ({"xmax": "inf"}, "xmax"),
        ({"xmin": "-inf"}, "xmin"),
        ({"band": 0}, "band"),
        ({"band": 1}, "band"),
        ({"band": "nan"}, "band"),
        ({"seed": -1}, "seed"),
        ({"seed": 2**32}, "seed"),
    ],
)
def test_grid_caps_and_bad_numbers(client, query, field):
    body = _err(_curve(client, name="relu", **query))
    assert body["field"] == field, body


def test_grid_caps_are_inclusive(client):
    r = _curve(client, name="noisy_relu", xmin=-X_LIMIT, xmax=X_LIMIT, n=MAX_POINTS, samples=MAX_SAMPLES)
    assert r.status_code == 200
    body = r.json()
    assert len(body["x"]) == MAX_POINTS and len(body["noise"]["samples"]["x"]) == MAX_SAMPLES
    assert np.all(np.isfinite(np.array(body["y"], dtype=float)))
    assert np.all(np.isfinite(np.array(body["dy"], dtype=float)))
    r = _curve(client, name="relu", n=2, xmin=0, xmax=1e-9)
    assert r.status_code == 200 and r.json()["x"] == [0.0, 1e-9]


@pytest.mark.parametrize("act_id", A.IDS)
def test_curve_at_the_x_limits_is_finite(client, act_id):
    body = _curve(client, name=act_id, xmin=-X_LIMIT, xmax=X_LIMIT, n=2001).json()
    for k in ("y", "dy"):
        assert all(v is not None and math.isfinite(v) for v in body[k])


def test_curve_etag_304_and_distinct_etags(client):
    q = {"name": "elu", "alpha": "0.5", "n": 33}
    r = _curve(client, **q)
    etag = r.headers["etag"]
    again = client.get("/api/curve", params=q, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    other = _curve(client, name="elu", alpha="0.6", n=33)
    assert other.headers["etag"] != etag
    assert client.get("/api/curve", params={**q, "alpha": "0.6"}, headers={"If-None-Match": etag}).status_code == 200
    # defaults spelled out or left implicit describe the same curve
    assert _curve(client, name="elu", alpha="1", n=33).headers["etag"] == _curve(client, name="elu", n=33).headers["etag"]


# --------------------------------------------------------------------------- stochastic


def test_noisy_relu_band_and_seeded_samples(client):
    q = {"name": "noisy_relu", "sigma": "0.7", "sigma_growth": "0.2", "n": 101, "samples": 200, "seed": 9, "band": 0.8}
    a = _curve(client, **q).json()
    b = _curve(client, **q).json()
    c = _curve(client, **{**q, "seed": 10}).json()
    noise = a["noise"]
    assert noise["p_low"] == pytest.approx(0.1) and noise["p_high"] == pytest.approx(0.9)
    x = np.array(a["x"])
    params = {"sigma": 0.7, "sigma_growth": 0.2}
    np.testing.assert_array_equal(noise["low"], A.noisy_relu_quantile(x, noise["p_low"], **params))
    np.testing.assert_array_equal(noise["high"], A.noisy_relu_quantile(x, noise["p_high"], **params))
    assert np.all(np.array(noise["low"]) <= np.array(noise["high"]))
    s = noise["samples"]
    assert s["seed"] == 9 and len(s["x"]) == len(s["y"]) == 200
    assert s == b["noise"]["samples"]
    assert s["x"] != c["noise"]["samples"]["x"] and s["y"] != c["noise"]["samples"]["y"]
    assert all(v >= 0 for v in s["y"])
    assert sorted(s["x"]) == s["x"] and s["x"][0] >= -5 and s["x"][-1] <= 5
    assert _curve(client, name="noisy_relu").json()["noise"]["samples"] is None


def test_rrelu_band(client):
    body = _curve(client, name="rrelu", lower=0.1, upper=0.5, xmin=-4, xmax=4, n=9, samples=50, seed=1).json()
    noise = body["noise"]
    x = np.array(body["x"])
    np.testing.assert_allclose(noise["low"], np.where(x > 0, x, x * (0.1 + 0.95 * 0.4)), rtol=1e-15)
    np.testing.assert_allclose(noise["high"], np.where(x > 0, x, x * (0.1 + 0.05 * 0.4)), rtol=1e-15)
    sx, sy = np.array(noise["samples"]["x"]), np.array(noise["samples"]["y"])
    neg = sx < 0
    slopes = sy[neg] / sx[neg]
    assert np.all((slopes >= 0.1 - 1e-15) & (slopes <= 0.5 + 1e-15))
    np.testing.assert_array_equal(sy[~neg], sx[~neg])


# --------------------------------------------------------------------------- POST /api/curves


def test_post_several_curves(client):
    specs = [
        {"name": "relu"},
        {"name": "leaky_relu", "params": {"leak": 0.2}},
        {"name": "gelu", "params": {"approximate": "tanh"}},
        {"name": "hardtanh", "params": {"min_val": -2, "max_val": 0.5}},
        {"name": "noisy_relu", "params": {"sigma": 1.0}},
    ]
    r = client.post("/api/curves", json={"curves": specs, "xmin": -3, "xmax": 3, "n": 61, "samples": 10, "seed": 3})
    assert r.status_code == 200, r.text
    curves = r.json()["curves"]
    assert [c["name"] for c in curves] == [s["name"] for s in specs]
    for spec, c in zip(specs, curves):
        act = ACTS[spec["name"]]
        params = {**act.defaults(), **spec.get("params", {})}
        assert c["params"] == params
        x = np.array(c["x"])
        np.testing.assert_array_equal(x, np.linspace(-3.0, 3.0, 61))
        np.testing.assert_array_equal(c["y"], act.f(x, **params))
        np.testing.assert_array_equal(c["dy"], act.df(x, **params))
    assert curves[3]["kinks"] == [-2.0, 0.5]
    assert curves[4]["noise"]["samples"]["seed"] == 3 and len(curves[4]["noise"]["samples"]["x"]) == 10
    # same spec in GET gives the same numbers
    get = _curve(client, name="leaky_relu", leak="0.2", xmin=-3, xmax=3, n=61).json()
    assert get["y"] == curves[1]["y"] and get["dy"] == curves[1]["dy"]


@pytest.mark.parametrize(
    "body,field",
    [
        ({"curves": [{"name": "relu"}, {"name": "leaky_relu", "params": {"leak": 2}}]}, "curves.1.params.leak"),
        ({"curves": [{"name": "relu", "params": {"leak": 0.1}}]}, "curves.0.params.leak"),
        ({"curves": [{"name": "elu", "params": {"alpha": "NaN"}}]}, "curves.0.params.alpha"),
        ({"curves": [{"name": "nope"}]}, "curves.0.name"),
        ({"curves": []}, "curves"),
        ({"curves": [{"name": "relu"}] * (MAX_SPECS + 1)}, "curves"),
        ({"curves": [{"name": "relu"}], "xmin": 2, "xmax": 1}, "xmax"),
        ({"curves": [{"name": "relu"}], "n": MAX_POINTS + 1}, "n"),
        ({"curves": [{"name": "relu"}], "samples": MAX_SAMPLES + 1}, "samples"),
        ({"curves": [{"name": "relu"}], "colour": "red"}, "colour"),
        ({"curves": [{"name": "relu", "extra": 1}]}, "curves.0.extra"),
    ],
)
def test_post_curves_errors_name_the_field(client, body, field):
    err = _err(client.post("/api/curves", json=body))
    assert err["field"] == field, err


def test_post_curves_accepts_max_specs(client):
    r = client.post("/api/curves", json={"curves": [{"name": i} for i in A.IDS[:MAX_SPECS]], "n": 5})
    assert r.status_code == 200 and len(r.json()["curves"]) == MAX_SPECS


def test_a_curve_carries_the_properties_that_change_with_its_parameters(client):
    cat_props = lambda aid: A.get(aid).properties.as_dict()
    r = client.get("/api/curve", params={"name": "hardtanh", "min_val": 0.5, "max_val": 3, "n": 5})
    assert r.status_code == 200
    p = r.json()["properties"]
    assert p["output_range"] == "[0.5, 3]" and p["zero_centred"] is False
    assert client.get("/api/curve", params={"name": "relu", "n": 5}).json()["properties"] == cat_props("relu")  # the declared, at the defaults
    # PReLU at a = −1 is |x|: the card said monotonic, (−∞, ∞) — measured at the values, as a formula's are
    p = client.get("/api/curve", params={"name": "prelu", "a": -1, "n": 5}).json()["properties"]
    assert (p["output_range"], p["monotonic"], p["bounded_below"], p["bounded"]) == ("[0, ∞)", False, True, False)
    assert client.get("/api/curve", params={"name": "prelu", "n": 5}).json()["properties"] == cat_props("prelu")
    cat = {a["id"]: a for a in client.get("/api/activations").json()["activations"]}
    assert cat["hardtanh"]["properties"]["output_range"] == "[−1, 1]"


def test_gelus_tanh_form_is_written_as_the_tanh_form(client):
    """The card titled 'GELU (approximate=tanh)' showed x·Φ(x) = x/2[1 + erf(x/√2)] and the erf
    form's derivative. The curve at approximate=tanh carries its own formula and convention,
    whose f′ is checked against the derivative the engine computes."""
    body = client.get("/api/curve", params={"name": "gelu", "approximate": "tanh", "n": 5}).json()
    assert "tanh" in body["mathml"] and "erf" not in body["mathml"] and "0.044715" in body["mathml"]
    assert "sech²u" in body["convention"]
    exact = client.get("/api/curve", params={"name": "gelu", "n": 5}).json()
    assert "erf" in exact["mathml"] and exact["convention"] == A.get("gelu").convention
    assert client.get("/api/curve", params={"name": "relu", "n": 5}).json()["mathml"] is None  # one form: the catalogue's
    x = np.linspace(-4.0, 4.0, 81)
    u = np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)
    stated = 0.5 * (1 + np.tanh(u)) + 0.5 * x / np.cosh(u) ** 2 * np.sqrt(2 / np.pi) * (1 + 0.134145 * x**2)
    assert np.max(np.abs(stated - A.get("gelu").df(x, approximate="tanh"))) < 1e-14
