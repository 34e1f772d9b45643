"""Derivatives, values, stability and overflow reports of formulas.

The reference is an mpmath evaluator of the tree written here (30 digits), independent of
the numpy evaluator and its rewrites; derivatives come from ``mp.diff`` on it.
"""

from __future__ import annotations

import json
import math
import random
from fractions import Fraction
from pathlib import Path

import mpmath as mp
import numpy as np
import pytest
from latex2mathml.converter import convert

from app.core.formula import RELAXED_LIMITS, compile_formula, parse, to_text
from app.core.formula.simplify import rational, simplify
from app.core.formula.tree import (
    Add,
    And,
    Call,
    Cmp,
    Const,
    Div,
    Mul,
    Neg,
    Not,
    Num,
    Or,
    Param,
    Pow,
    Sub,
    Where,
    X,
)

VALID = json.loads((Path(__file__).parents[1] / "cases" / "formula_valid.json").read_text())
IDS = [c["text"] for c in VALID]


class Domain(Exception):
    """The mpmath value is complex or infinite here."""


def mp_eval(n, x, params):
    def go(m):
        if isinstance(m, Num):
            return mp.mpf(m.value)
        if isinstance(m, X):
            return x
        if isinstance(m, Const):
            return mp.pi if m.name == "pi" else mp.e
        if isinstance(m, Param):
            return params[m.name]
        if isinstance(m, Neg):
            return -go(m.arg)
        if isinstance(m, Add):
            return mp.fsum(go(t) for t in m.terms)
        if isinstance(m, Sub):
            return go(m.left) - go(m.right)
        if isinstance(m, Mul):
            out = mp.mpf(1)
            for f in m.factors:
                out *= go(f)
            return out
        if isinstance(m, Div):
            den = go(m.den)
            if den == 0:
                raise Domain
            return go(m.num) / den
        if isinstance(m, Pow):
            b, c = go(m.base), rational(m.exp)
            if c is not None and c.denominator == 1:
                if b == 0 and c < 0:
                    raise Domain
                return b ** int(c)
            if b <= 0:
                raise Domain
            return b ** (mp.mpf(c.numerator) / c.denominator if isinstance(c, Fraction) else go(m.exp))
        if isinstance(m, Call):
            a = [go(v) for v in m.args]
            u = a[0]
            fn = m.fn
            if fn in ("log", "sqrt") and (u < 0 or (fn == "log" and u == 0)):
                raise Domain
            if fn == "log1p" and u <= -1:
                raise Domain
            return {
                "exp": lambda: mp.exp(u), "log": lambda: mp.log(u), "log1p": lambda: mp.log1p(u),
                "expm1": lambda: mp.expm1(u), "sqrt": lambda: mp.sqrt(u), "abs": lambda: abs(u),
                "sin": lambda: mp.sin(u), "cos": lambda: mp.cos(u), "tanh": lambda: mp.tanh(u),
                "sigmoid": lambda: 1 / (1 + mp.exp(-u)), "softplus": lambda: mp.log1p(mp.exp(u)),
                "erf": lambda: mp.erf(u), "erfc": lambda: mp.erfc(u), "sign": lambda: mp.sign(u),
                "sech2": lambda: mp.sech(u) ** 2, "log_sigmoid": lambda: -mp.log1p(mp.exp(-u)),
                "max": lambda: max(a), "min": lambda: min(a),
            }[fn]()
        if isinstance(m, Where):
            return go(m.then) if cond(m.cond) else go(m.other)
        raise TypeError(m)

    def cond(c):
        if isinstance(c, Cmp):
            a, b = go(c.left), go(c.right)
            return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b, "==": a == b, "!=": a != b}[c.op]
        if isinstance(c, And):
            return cond(c.left) and cond(c.right)
        if isinstance(c, Or):
            return cond(c.left) or cond(c.right)
        if isinstance(c, Not):
            return not cond(c.arg)
        raise TypeError(c)

    v = go(n)
    if not mp.isfinite(v):
        raise Domain
    return v


def points(case, F, params, n=8, seed=0):
    lo, hi = case.get("domain", [-6.0, 6.0])
    rng = random.Random(hash(case["text"]) % 2**32 + seed)
    avoid = F.breakpoints(**params)
    out = []
    while len(out) < n:
        x = rng.uniform(lo, hi)
        if all(abs(x - b) > 1e-3 for b in avoid):
            out.append(x)
    return out


def param_values(F, case, which: int) -> dict:
    """0: the defaults; 1: values drawn inside each range."""
    if which == 0:
        return F.defaults()
    rng = random.Random(len(case["text"]))
    return {p.name: round(rng.uniform(p.min + 0.25 * (p.max - p.min), p.max - 0.25 * (p.max - p.min)), 3)
            for p in F.params}


def test_the_corpus_is_large_enough():
    assert len(VALID) >= 40


@pytest.mark.parametrize("case", VALID, ids=IDS)
def test_values_and_derivatives_against_mpmath(case):
    F = compile_formula(case["text"], case.get("params"))
    bad = []
    with mp.workdps(30):
        for which in (0, 1):
            params = param_values(F, case, which)
            mparams = {k: mp.mpf(v) for k, v in params.items()}
            xs = points(case, F, params, seed=which)
            f, d = F.f_and_df(np.array(xs), **params)
            for x, gf, gd in zip(xs, f, d):
                fx = lambda t: mp_eval(F.tree, t, mparams)
                X0 = mp.mpf(x)
                rf = fx(X0)
                rd = mp.diff(fx, X0)
                rd2 = mp.diff(fx, X0, 2)
                # the symbolic derivative, evaluated in mpmath, is mp.diff's number (to 1e-15:
                # the simplifier folds float constants, 3*0.044715, with a rounding each)
                sym = mp_eval(F.dtree, X0, mparams)
                if abs(sym - rd) > mp.mpf(10) ** -15 * (abs(rd) + abs(X0 * rd2) + 1e-30):
                    bad.append(f"symbolic f'({x}) = {sym}, mp.diff {rd}")
                # the float values, through the rewrites, to 1e-12 of their conditioning
                tol_f = 1e-12 * float(abs(rf) + abs(X0 * rd)) + 1e-300
                tol_d = 1e-11 * float(abs(rd) + abs(X0 * rd2)) + 1e-300
                if not abs(gf - float(rf)) <= tol_f:
                    bad.append(f"f({x}) = {gf!r}, mpmath {mp.nstr(rf, 17)}")
                if not abs(gd - float(rd)) <= tol_d:
                    bad.append(f"f'({x}) = {gd!r}, mpmath {mp.nstr(rd, 17)}")
                # ∂f/∂param, in floating point; the terms of ∂f/∂a are typically of the
                # size of f/a (log1p(exp(a*x))/a has x·σ(ax)/a − softplus(ax)/a², which
                # cancel), so that is the scale of the rounding error allowed
                for name in F.param_names:
                    fp = lambda t: mp_eval(F.tree, X0, {**mparams, name: t})
                    rp = mp.diff(fp, mparams[name])
                    got = float(F.dparam(name)(np.array([x]), **params)[0])
                    size = float(abs(rf) + abs(X0 * rd)) / max(abs(params[name]), 0.1)
                    if not abs(got - float(rp)) <= 1e-11 * (float(abs(rp)) + size) + 1e-300:
                        bad.append(f"df/d{name}({x}) = {got!r}, mpmath {mp.nstr(rp, 17)}")
    assert not bad, f"{case['text']} ({F.dtext}): " + "; ".join(bad[:5])


# --------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("case", VALID, ids=IDS)
def test_text_round_trip(case):
    F = compile_formula(case["text"], case.get("params"))
    tree = parse(case["text"])
    assert parse(F.text) == tree == F.tree
    assert to_text(parse(F.text)) == F.text
    # the derivative prints to text that parses back to the same tree (it may hold
    # sign(), and numbers or exponents beyond the user's caps: relaxed limits)
    assert parse(F.dtext, RELAXED_LIMITS) == F.dtree
    for name in F.param_names:
        assert parse(F.dparam_text(name), RELAXED_LIMITS) == simplify(parse(F.dparam_text(name), RELAXED_LIMITS))
    # simplification is a fixed point
    assert simplify(F.dtree) == F.dtree


BUILTIN = json.loads((Path(__file__).parents[1] / "cases" / "builtin_formulas.json").read_text())


@pytest.mark.parametrize("case", VALID + BUILTIN, ids=IDS + [c["formula"] for c in BUILTIN])
def test_latex_converts_to_mathml(case):
    F = compile_formula(case.get("text") or case["formula"], case.get("params"))
    for tex in [F.latex, F.dlatex] + [F.dparam_latex(n) for n in F.param_names]:
        assert "<math" in convert(tex), tex


def test_spacing_and_spelling_do_not_change_the_key():
    a = compile_formula("x*sigmoid(b*x)")
    b = compile_formula("x * sigmoid( b * x )")
    c = compile_formula("x*sigmoid(b *x)\t")
    assert a.key() == b.key() == c.key() and a == b == c and hash(a) == hash(b)
    assert compile_formula("x**2").key() == compile_formula("x ^ 2").key()
    assert compile_formula("x*sigmoid(b*x)", {"b": {"default": 2.0}}).key() != a.key()
    assert compile_formula("sigmoid(b*x)*x").key() != a.key()  # different trees, same function


def test_printing_examples():
    cases = {
        "x*sigmoid(b*x)": "sigmoid(b*x) + b*x*sigmoid(b*x)*(1 - sigmoid(b*x))",
        "x/(1 + abs(x))": "1/(1 + abs(x))^2",
        "tanh(x)": "1 - tanh(x)^2",
        "max(x, 0)": "where(x > 0, 1, 0)",
        "max(0, x)": "where(x > 0, 1, 0)",
        "where(x > 0, x, a*(exp(x) - 1))": "where(x > 0, 1, a*exp(x))",
        "erf(x)": "2*exp(-x^2)/sqrt(pi)",
        "x^(1/3)": "x^(-2/3)/3",
        "sqrt(x^2 + b)/2 + x/2": "x/(2*sqrt(x^2 + b)) + 1/2",
        "x*x*x": "3*x^2",
        "abs(x)": "sign(x)",
        "x*abs(x)": "2*abs(x)",
    }
    for text, expected in cases.items():
        assert compile_formula(text).dtext == expected, text
    F = compile_formula("piecewise(x < -1, -1, x < 1, x, 1)")
    assert F.text == "piecewise(x < -1, -1, x < 1, x, 1)"
    assert F.latex.startswith(r"\begin{cases} -1 & \text{if } x < -1")
    assert compile_formula("x*sigmoid(beta*x)").latex == r"x\,\sigma\left(\beta\,x\right)"
    assert compile_formula("e^(2*x)").text == "exp(2*x)"


# --------------------------------------------------------------------------- stability

STABLE = ["log(1+exp(x))", "x*sigmoid(x)", "1/(1+exp(-x))", "where(x>0, x, exp(x)-1)",
          "exp(x)/(1 + exp(x))", "log(sigmoid(x))", "x*tanh(softplus(x))", "x*(1 + erf(x/sqrt(2)))/2",
          "0.5*x*(1 + tanh(sqrt(2/pi)*(x + 0.044715*x^3)))", "x^16", "sigmoid(x)*(1 - sigmoid(x))",
          "log(exp(x) + 1) - x/2", "x/(1 + exp(-x))", "(exp(x) - exp(-x))/(exp(x) + exp(-x))",
          "1 - 2/(exp(2*x) + 1)", "log1p(exp(x))", "x*exp(x)/(1 + exp(x))", "2*x*exp(x)/(exp(x) + 1)"]


@pytest.mark.parametrize("text", STABLE)
def test_stable_at_the_ends(text):
    F = compile_formula(text)
    xs = np.concatenate([-np.geomspace(1e-3, 1e4, 200), [0.0], np.geomspace(1e-3, 1e4, 200)])
    report = F.check_finite(xs)
    assert report.ok, report.message
    f, d = F.f_and_df(np.array([-1e4, 1e4]))
    assert np.all(np.isfinite(f)) and np.all(np.isfinite(d))


def test_stable_values_are_right_in_the_tails():
    F = compile_formula("log(1+exp(x))")
    f, d = F.f_and_df(np.array([-1e4, -40.0, 40.0, 1e4]))
    assert f[0] == 0.0 and f[1] == pytest.approx(math.exp(-40), rel=1e-15) and f[3] == 1e4
    assert d[1] == pytest.approx(math.exp(-40), rel=1e-14) and d[3] == 1.0
    F = compile_formula("1/(1+exp(-x))")
    assert F.df(np.array([-40.0]))[0] == pytest.approx(math.exp(-40), rel=1e-13)
    # a power or root of exp is exp of a multiple: exp(x) underflows at x < −745, its root does not
    for text in ("exp(x)^0.5", "sqrt(exp(x))"):
        F = compile_formula(text)
        assert F.text == text  # shown as typed
        f, d = F.f_and_df(np.array([-1000.0, -1e4]))
        assert f[0] == pytest.approx(math.exp(-500), rel=1e-13) and d[0] == pytest.approx(0.5 * math.exp(-500), rel=1e-13)
        assert f[1] == 0.0 and d[1] == 0.0  # not 0·∞


def test_discarded_branches_do_not_leak():
    # exp(1e4) = inf in the branch not taken, and 0*inf = NaN in the derivative's
    F = compile_formula("where(x > 0, x, a*(exp(x*x) - 1))")
    f, d = F.f_and_df(np.array([1e4, 300.0]))
    assert np.all(np.isfinite(f)) and np.all(np.isfinite(d)) and list(d) == [1.0, 1.0]
    F = compile_formula("where(x < 100, x, x*exp(x))")
    assert F.df(np.array([-1e4]))[0] == 1.0
    F = compile_formula("where(x > 0, x, 0*exp(-x))")
    assert F.check_finite(np.array([-1e4, 1e4])).ok


def test_overflow_is_reported_with_its_threshold():
    F = compile_formula("exp(x)")
    r = F.check_finite(np.linspace(-1e4, 1e4, 2001))
    assert not r.ok and r.which == "f" and r.kind == "overflow" and r.side == "above"
    assert r.threshold == pytest.approx(math.log(np.finfo(float).max), rel=1e-9)
    assert r.message.startswith("f(x) is infinite for x > 709.78") and "exp(x) overflows" in r.message
    assert r.first_x == 710.0 and r.error().code == "overflow"
    r = compile_formula("x^2 + exp(x^2)").check_finite(np.linspace(-1e4, 1e4, 2001))
    assert r.side == "outside" and "x < -26.64" in r.message and "x > 26.64" in r.message
    r = compile_formula("log(x)").check_finite(np.linspace(-2, 2, 41))
    assert r.kind == "undefined" and r.side == "below" and "x < 0" in r.message and "log(x)" in r.message
    r = compile_formula("1/x").check_finite(np.linspace(-2, 2, 41))
    assert r.side == "at" and r.first_x == 0.0 and "divides by zero" in r.message
    # what happens past the boundary, named with its cause: x·exp(x) is ∞ past 703.2, and only past
    # 709.8 (exp(x) overflowing) NaN — it said "undefined (NaN) for x > 703.227: exp(x) overflows"
    r = compile_formula("exp(x)*x/(2 + exp(x))").check_finite(np.linspace(-1e4, 1e4, 20001))
    assert r.kind == "overflow" and r.threshold == pytest.approx(703.227, abs=1e-3), r.message
    assert r.message.endswith("for x > 703.227: x*exp(x) overflows (and undefined (NaN) further out)"), r.message
    # a constant that folds to −∞ did not overflow: it is −∞ ("log(0) overflows", it said)
    r = compile_formula("log(0*x)").check_finite(np.linspace(-2, 2, 41))
    assert not r.ok and r.message.endswith(": log(0) is −∞"), r.message
    r = compile_formula("sqrt(x)").check_finite(np.linspace(0, 2, 21))
    assert r.which == "f′" and r.first_x == 0.0 and r.kind == "overflow" and r.side == "at"
    assert r.message == "f′(x) is infinite at x = 0: 1/(2*sqrt(x)) divides by zero"
    r = compile_formula("log(x)").check_finite(np.linspace(-2, 2, 41))
    assert r.message == "f(x) is undefined (NaN) for x < 0: log(x) is undefined"
    r = compile_formula("exp(exp(exp(exp(x))))").check_finite(np.linspace(-1e4, 1e4, 2001))
    assert not r.ok and r.side == "above" and r.threshold == pytest.approx(0.6321, abs=1e-3)
    assert compile_formula("x^16").check_finite(np.array([-1e4, 1e4])).ok


# --------------------------------------------------------------------------- kinks and properties


def test_kinks():
    assert compile_formula("where(x + 3 > 0, x, 0)").kinks() == [-3.0]
    assert compile_formula("where(a*x > 0, x, 0.5*x)").kinks(a=2.0) == [0.0]
    assert compile_formula("where(x > c, x, c)").kinks(c=1.5) == [1.5]
    assert compile_formula("where(x > c, x, c)").kinks_known
    assert compile_formula("abs(x - 1) + abs(x + 1)").kinks() == [-1.0, 1.0]
    assert compile_formula("max(x, a*x)").kinks(a=1.0) == []  # the identity: no kink
    assert compile_formula("x*abs(x)").kinks() == []  # C¹
    assert compile_formula("where(x > 0, x, exp(x) - 1)").kinks() == []  # ELU with α = 1 is C¹
    F = compile_formula("where(x^2 > 1, x, 0)")
    assert not F.kinks_known and F.kinks() == []
    F = compile_formula("where(x > 1 and x < 2, 1, 0) + where(not x < 5 or x < -5, x, 0)")
    assert F.kinks() == [-5.0, 1.0, 2.0, 5.0]


CATALOGUE_LIKE = [
    ("max(x, 0)", dict(output_range="[0, ∞)", monotonic=True, smooth=False, zero_centred=False,
                       bounded_below=True, bounded_above=False, saturates="left")),
    ("sigmoid(x)", dict(output_range="(0, 1)", monotonic=True, smooth=True, zero_centred=False,
                        bounded_below=True, bounded_above=True, saturates="both")),
    ("tanh(x)", dict(output_range="(−1, 1)", monotonic=True, smooth=True, zero_centred=True,
                     bounded_below=True, bounded_above=True, saturates="both")),
    ("x*sigmoid(x)", dict(output_range="[≈ −0.2785, ∞)", monotonic=False, smooth=True, zero_centred=False,
                          bounded_below=True, bounded_above=False, saturates="left")),
    ("min(max(x, -1), 1)", dict(output_range="[−1, 1]", monotonic=True, smooth=False, zero_centred=True,
                                bounded_below=True, bounded_above=True, saturates="both")),
    ("x", dict(output_range="(−∞, ∞)", monotonic=True, smooth=True, zero_centred=True,
               bounded_below=False, bounded_above=False, saturates="none")),
    ("x/(1 + abs(x))", dict(output_range="(−1, 1)", monotonic=True, smooth=True, zero_centred=True,
                            bounded_below=True, bounded_above=True, saturates="both")),
    ("x*min(max(x + 3, 0), 6)/6", dict(output_range="[−0.375, ∞)", monotonic=False, smooth=False)),
    ("where(beta*x > 20, x, softplus(beta*x)/beta)", dict(output_range="(0, ∞)", monotonic=True, smooth=False)),
    ("log(1 + abs(x))", dict(output_range="[0, ∞)", monotonic=False, smooth=False, bounded_above=False)),
    ("1.0507009873554805*where(x > 0, x, 1.6732632423543772*(exp(x) - 1))",
     dict(output_range="(≈ −1.758, ∞)", monotonic=True, smooth=False, zero_centred=True, saturates="left")),
    ("-x", dict(monotonic=True, zero_centred=True)),
    # not "not smooth, undefined at 253 points" (f′ = 0.5·exp(x)^−0.5·exp(x) = ∞·0 where exp underflows)
    ("exp(x)^0.5", dict(output_range="(0, ∞)", monotonic=True, smooth=True, saturates="left")),
    ("sqrt(exp(-x))", dict(output_range="(0, ∞)", monotonic=True, smooth=True, saturates="right")),
    # steep: f rounds to its bound and f′ underflows to 0 inside [−20, 20], yet the bound is never
    # reached ("[0, 1]" before); a flat piece of a where() still reaches it
    ("sigmoid(40*x)", dict(output_range="(0, 1)", monotonic=True, saturates="both")),
    ("tanh(20*x)", dict(output_range="(−1, 1)")),
    ("erf(10*x)", dict(output_range="(−1, 1)")),
    ("exp(1000*x)", dict(output_range="(0, ∞)", saturates="left")),
    ("softplus(100*x)", dict(output_range="(0, ∞)")),
    ("where(x > 0, x^2, 0)", dict(output_range="[0, ∞)", saturates="left")),
]


@pytest.mark.parametrize("text,expected", CATALOGUE_LIKE, ids=[t for t, _ in CATALOGUE_LIKE])
def test_measured_properties(text, expected):
    props = compile_formula(text).properties()
    for field, value in expected.items():
        assert getattr(props, field) == value, (field, props)


def test_measurements_detail():
    m = compile_formula("x*sigmoid(x)").measurements()
    assert m.argmin == pytest.approx(-1.278, abs=0.01) and not m.derivative_nonnegative
    m = compile_formula("-x").measurements()
    assert m.derivative_nonpositive and "decreasing" in m.properties.notes
    m = compile_formula("exp(x)").measurements()
    assert m.overflow and not m.properties.bounded_above
    m = compile_formula("log(x)").measurements()
    assert m.undefined and not m.properties.smooth


def test_infinite_and_undefined_points_are_each_named():
    """x/0 is −∞ left of 0, NaN at 0 and ∞ right of it: the note said "undefined (NaN) at x = −5
    (and 400 more points)", as if every point were NaN."""
    r = compile_formula("x/0").check_finite(np.linspace(-5, 5, 401))
    assert r.kind == "undefined" and r.culprit == "x/0"
    assert r.message == "f(x) is infinite at x = -5 (and 399 more points) and undefined (NaN) at x = 0: x/0 divides by zero"
