"""Every catalogue activation typed as a formula (tests/cases/builtin_formulas.json)
agrees with the catalogue's own f and f′, kinks and kink conventions.

Tolerance: |formula − catalogue| ≤ RTOL·(conditioning) + TINY, where the conditioning is
|f| + |x·f′| for f and |f′| + |x·f″| for f′ (f″ by central differences of the
catalogue's f′), the scale test_activations.py uses against mpmath; TINY = 1e-290 treats
two values that both underflowed as equal. Grid: 8001 points on [−20, 20] plus ±100,
±1e3, ±1e4, leaving out points within 1e-6 of a kink; parameters: defaults, each range
end, and the non-default values listed in the table.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from app.core import activations as A
from app.core.formula import compile_formula

CASES = json.loads((Path(__file__).parents[1] / "cases" / "builtin_formulas.json").read_text())
RTOL = 1e-12
TINY = 1e-290
XS = np.concatenate([np.linspace(-20.0, 20.0, 8001), [-1e4, -1e3, -100.0, 100.0, 1e3, 1e4]])


def _key(case):
    fixed = ",".join(f"{k}={v}" for k, v in case["catalogue_fixed"].items())
    return case["id"] + (f"[{fixed}]" if fixed else "")


def _param_sets(case) -> list[dict]:
    spec = case["params"]
    defaults = {k: v["default"] for k, v in spec.items()}
    sets = [dict(defaults)]
    for end in ("min", "max"):
        for k in spec:
            sets.append({**defaults, k: spec[k][end]})
    sets += [{**defaults, **p} for p in case["test_params"]]
    act = A.get(case["id"])
    out = []
    for s in sets:
        full = {**s, **case["catalogue_fixed"]}
        if act.check(**full) is None and s not in out:
            out.append(s)
    return out


def test_the_table_covers_the_catalogue():
    assert {c["id"] for c in CASES} == set(A.IDS)
    assert len(A.IDS) == 26
    for c in CASES:
        act = A.get(c["id"])
        floats = {p.id: p for p in act.params if p.kind == "float"}
        # the formula's parameters are the catalogue's, under the same names and ranges
        assert set(c["param_map"].values()) == set(floats) == set(c["params"])
        for name, spec in c["params"].items():
            p = floats[c["param_map"][name]]
            assert (spec["default"], spec["min"], spec["max"]) == (p.default, p.min, p.max)
        chosen = {p.id for p in act.params if p.kind == "choice"}
        assert set(c["catalogue_fixed"]) == chosen


def errors(case, params) -> tuple[float, float, float, float]:
    """(worst f error, worst f′ error, x of each) in units of the conditioning."""
    act = A.get(case["id"])
    fixed = case["catalogue_fixed"]
    F = compile_formula(case["formula"], case["params"])
    kinks = set(F.kinks(**params)) | set(act.kinks(**params))
    xs = np.array([x for x in XS if all(abs(x - k) > 1e-6 * max(1.0, abs(k)) for k in kinks)])
    cf, cd = act.f(xs, **params, **fixed), act.df(xs, **params, **fixed)
    h = 1e-6 * np.maximum(1.0, np.abs(xs))
    with np.errstate(all="ignore"):
        cd2 = (act.df(xs + h, **params, **fixed) - act.df(xs - h, **params, **fixed)) / (2 * h)
    cd2 = np.where(np.isfinite(cd2), cd2, 0.0)
    f, d = F.f_and_df(xs, **params)
    assert np.all(np.isfinite(f)) and np.all(np.isfinite(d))
    assert np.array_equal(f, F.f(xs, **params)) and np.array_equal(d, F.df(xs, **params))
    ef_abs, ed_abs = np.abs(f - cf), np.abs(d - cd)
    sf = np.abs(cf) + np.abs(xs * cd)
    sd = np.abs(cd) + np.abs(xs * cd2)
    ef = np.where(ef_abs <= TINY, 0.0, ef_abs / np.maximum(sf, TINY))
    ed = np.where(ed_abs <= TINY, 0.0, ed_abs / np.maximum(sd, TINY))
    i, j = int(np.argmax(ef)), int(np.argmax(ed))
    return float(ef[i]), float(ed[j]), float(xs[i]), float(xs[j])


@pytest.mark.parametrize("case", CASES, ids=[_key(c) for c in CASES])
def test_formula_matches_the_catalogue(case):
    bad = []
    for params in _param_sets(case):
        ef, ed, xf, xd = errors(case, params)
        if not ef <= RTOL:
            bad.append(f"f at x = {xf} with {params}: {ef:.3g}")
        if not ed <= RTOL:
            bad.append(f"f' at x = {xd} with {params}: {ed:.3g}")
    assert not bad, "; ".join(bad)


@pytest.mark.parametrize("case", CASES, ids=[_key(c) for c in CASES])
def test_kinks_match_the_catalogue(case):
    if case["catalogue_fixed"]:
        pytest.skip("the catalogue's kinks take no choice parameters")
    act = A.get(case["id"])
    F = compile_formula(case["formula"], case["params"])
    assert F.kinks_known
    for params in _param_sets(case):
        expected = sorted(set(act.kinks(**params)))
        if case["id"] == "softplus" and params["threshold"] > 23:
            # the jump there, e^-threshold/β, is below what doubles resolve next to x = threshold/β:
            # f and f′ are identical in floating point on both sides, so no kink is reported
            expected = []
        assert F.kinks(**params) == pytest.approx(expected, abs=1e-12), params


# (id, params, x, f′(x)) as PyTorch's autograd gives it, and the catalogue
AT_KINKS = [
    ("relu", {}, 0.0, 0.0),
    ("leaky_relu", {}, 0.0, 0.01),
    ("leaky_relu", {"leak": 0.3}, 0.0, 0.3),
    ("prelu", {"a": -1.0}, 0.0, -1.0),
    ("relu6", {}, 0.0, 0.0),
    ("relu6", {}, 6.0, 0.0),
    ("hardtanh", {}, -1.0, 0.0),
    ("hardtanh", {}, 1.0, 0.0),
    ("hardsigmoid", {}, -3.0, 0.0),
    ("hardsigmoid", {}, 3.0, 0.0),
    ("hardswish", {}, -3.0, 0.0),
    ("hardswish", {}, 3.0, 1.0),
    ("elu", {}, 0.0, 1.0),
    ("elu", {"alpha": 0.5}, 0.0, 0.5),
    ("selu", {}, 0.0, 1.0507009873554805 * 1.6732632423543772),
    ("softplus", {}, 20.0, A.sigmoid(np.array(20.0))),
    ("rrelu", {}, 0.0, (0.125 + 1.0 / 3.0) / 2),
]


@pytest.mark.parametrize("act_id,params,x,expected", AT_KINKS)
def test_derivative_at_kinks_matches_catalogue_and_torch(act_id, params, x, expected):
    case = next(c for c in CASES if c["id"] == act_id and c["catalogue_fixed"] in ({}, {"approximate": "none"}))
    F = compile_formula(case["formula"], case["params"])
    got = float(F.df(np.array([x]), **params)[0])
    cat = float(A.get(act_id).df(np.array([x]), **params)[0])
    assert got == pytest.approx(expected, rel=1e-15, abs=0) and got == pytest.approx(cat, rel=1e-15, abs=0)


# the conventions stated in CONVENTION, for the same functions written other ways
OTHER_FORMS = [
    ("max(0, x)", 0.0, 0.0),
    ("max(x, 0)", 0.0, 0.0),
    ("max(x, 0.01*x)", 0.0, 0.01),
    ("min(max(x, 0), 6)", 6.0, 0.0),
    ("min(max(x, -1), 1)", -1.0, 0.0),
    ("min(6, max(0, x))", 6.0, 0.0),
    ("x*min(max(x + 3, 0), 6)/6", -3.0, 0.0),
    ("x*min(max(x + 3, 0), 6)/6", 3.0, 1.0),
    ("where(x > 0, x, 0.2*x)", 0.0, 0.2),
    ("where(x >= 0, x, 0.2*x)", 0.0, 1.0),
    ("abs(x)", 0.0, 0.0),
    ("abs(x - 2)", 2.0, 0.0),
    ("where(x > 0, x, exp(x) - 1)", 0.0, 1.0),
    ("piecewise(x < -1, -1, x < 1, x, 1)", -1.0, 1.0),  # x < -1 is false at -1: the middle branch
    ("piecewise(x < -1, -1, x < 1, x, 1)", 1.0, 0.0),
    ("max(x, 0) + min(0, exp(x) - 1)", 0.0, 0.0),  # CELU as a sum: the local tie rule gives 0, not 1
]


@pytest.mark.parametrize("text,x,expected", OTHER_FORMS)
def test_kink_conventions(text, x, expected):
    F = compile_formula(text)
    assert float(F.df(np.array([x]))[0]) == pytest.approx(expected, rel=1e-15, abs=0)
