"""Properties of typed formulas near poles, domain edges, holes and at x = 0.

A new user typed 1/x and was told its range is (−100, ∞) and that it is bounded below
(f(−0.01) = −100 was the lowest finite sample, the pole at 0 was dropped as a non-finite
sample); sqrt(x) got (0.1, ∞) and abs(x)^0.5 [0.1, ∞) (f(0) = 0 was dropped because f′(0)
is not finite). The expected values here are closed-form facts, and the extremes that are
not on the grid are checked against mpmath (30 digits), not against the numpy evaluator.
"""

from __future__ import annotations

import math

import mpmath as mp
import pytest

from app.core.formula import compile_formula

mp.mp.dps = 30

FIELDS = ("output_range", "bounded_below", "bounded_above", "monotonic", "saturates")

# text -> (output_range, bounded_below, bounded_above, monotonic, saturates (f′ → 0 as x → ±∞))
CASES = {
    # the new user's table
    "1/x": ("(−∞, ∞)", False, False, False, "both"),
    "x^(-1)": ("(−∞, ∞)", False, False, False, "both"),
    "sqrt(x)": ("[0, ∞)", True, False, True, "right"),
    "abs(x)^0.5": ("[0, ∞)", True, False, False, "both"),
    # poles and edges elsewhere, on the grid and between its points
    "1/(x-1)": ("(−∞, ∞)", False, False, False, "both"),
    "1/(x-0.005)": ("(−∞, ∞)", False, False, False, "both"),
    "1/x^2": ("(0, ∞)", True, False, False, "both"),
    "1/(x-0.005)^2": ("(0, ∞)", True, False, False, "both"),
    "1/(x^2-2)": ("(−∞, ∞)", False, False, False, "both"),
    "x + 1/x": ("(−∞, ∞)", False, False, False, "none"),
    "log(x)": ("(−∞, ∞)", False, False, True, "right"),
    "log(abs(x-0.005))": ("(−∞, ∞)", False, False, False, "both"),
    "sqrt(x-0.005)": ("[0, ∞)", True, False, True, "right"),
    "sqrt(x^2-2)": ("[0, ∞)", True, False, False, "none"),
    "abs(x-0.005)^0.5": ("[0, ∞)", True, False, False, "both"),
    "where(x > 0, 1/x, 0)": ("[0, ∞)", True, False, False, "both"),
    # limits as x → ±∞ beyond the grid's ±1e4: power laws still moving there, exponentials
    # decaying on a scale near 1e4 (each was bounded wrongly, or given a bound of 0.01 or −7.7e−46)
    "1/sqrt(x)": ("(0, ∞)", True, False, True, "right"),
    "x^-0.3": ("(0, ∞)", True, False, True, "right"),
    "abs(x)^-0.2": ("(0, ∞)", True, False, False, "both"),
    "1/(1+abs(x))^0.5": ("(0, 1]", True, True, False, "both"),
    "0.5+1/(1+abs(x))^0.5": ("(0.5, 1.5]", True, True, False, "both"),
    "1-x^-0.3": ("(−∞, 1)", False, True, True, "right"),
    "exp(-x/100)": ("(0, ∞)", True, False, True, "right"),
    "exp(-x/3000)": ("(0, ∞)", True, False, True, "right"),
    "sqrt(x^2+1)-x": ("(0, ∞)", True, False, True, "right"),
    # growing without a power-law approach: unbounded
    "log(log(x))": ("(−∞, ∞)", False, False, True, "right"),
    "log(1+abs(x))": ("[0, ∞)", True, False, False, "both"),
    "x*cos(x)": ("(−∞, ∞)", False, False, False, "none"),
    # nothing singular: as before
    "x^2": ("[0, ∞)", True, False, False, "none"),
    "abs(x)": ("[0, ∞)", True, False, False, "none"),
    "1/(1 + x^2)": ("(0, 1]", True, True, False, "both"),
    "sin(x)": ("[−1, 1]", True, True, False, "none"),
    # built-ins typed as formulas, through the same path
    "max(x, 0)": ("[0, ∞)", True, False, True, "left"),
    "sigmoid(x)": ("(0, 1)", True, True, True, "both"),
    "tanh(x)": ("(−1, 1)", True, True, True, "both"),
    "softplus(x)": ("(0, ∞)", True, False, True, "left"),
    "x*sigmoid(x)": ("[≈ −0.2785, ∞)", True, False, False, "left"),
    "x/(1 + abs(x))": ("(−1, 1)", True, True, True, "both"),
    "where(x > 0, x, exp(x) - 1)": ("(−1, ∞)", True, False, True, "left"),
}


@pytest.mark.parametrize("text", list(CASES))
def test_properties_near_singularities(text):
    props = compile_formula(text).properties()
    got = tuple(getattr(props, f) for f in FIELDS)
    assert got == CASES[text], (text, props)
    as_dict = props.as_dict()
    assert as_dict["bounded"] == (props.bounded_below and props.bounded_above)


@pytest.mark.parametrize("text,where,left,right", [
    ("1/x", "0", "−∞", "∞"),
    ("x^(-1)", "0", "−∞", "∞"),
    ("1/(x-1)", "1", "−∞", "∞"),
    ("1/(x-0.005)", "0.005", "−∞", "∞"),
    ("x + 1/x", "0", "−∞", "∞"),
])
def test_a_pole_is_named_with_its_one_sided_limits(text, where, left, right):
    m = compile_formula(text).measurements()
    assert m.f_min == -math.inf and m.f_max == math.inf and m.argmin is None and m.argmax is None
    assert f"unbounded near x = {where} (f → {left} from the left, {right} from the right)" in m.properties.notes
    assert not m.properties.zero_centred  # E|f(Z)| does not exist next to a pole
    assert "dips to" not in m.properties.notes


def test_even_poles_and_log_spikes_go_one_way():
    m = compile_formula("1/(x-0.005)^2").measurements()
    assert m.f_max == math.inf and m.f_min == 0.0 and m.argmin is None  # 0, only approached as |x| → ∞
    assert "unbounded near x = 0.005 (f → ∞ from both sides)" in m.properties.notes
    m = compile_formula("log(x)").measurements()
    assert "unbounded near x = 0 (f → −∞ from the right)" in m.properties.notes
    m = compile_formula("log(abs(x-0.005))").measurements()
    assert "unbounded near x = 0.005 (f → −∞ from both sides)" in m.properties.notes
    m = compile_formula("1/(x^2-2)").measurements()
    # the poles ±√2 are not grid points: located to 6 digits against mpmath
    s = mp.nstr(mp.sqrt(2), 6)
    assert f"x = −{s} (f → ∞ from the left, −∞ from the right); x = {s} (f → −∞ from the left, ∞ from the right)" \
        in m.properties.notes


@pytest.mark.parametrize("text,argmin", [("sqrt(x)", 0.0), ("abs(x)^0.5", 0.0), ("x^2", 0.0), ("abs(x)", 0.0),
                                         ("sqrt(x-0.005)", 0.005), ("abs(x-0.005)^0.5", 0.005)])
def test_a_minimum_of_zero_where_the_derivative_is_not_finite_is_reached(text, argmin):
    m = compile_formula(text).measurements()
    assert m.f_min == 0.0 and m.argmin == pytest.approx(argmin, abs=1e-15), (text, m)
    assert m.properties.bounded_below and not m.properties.bounded_above
    assert "0.1" not in m.properties.output_range
    if not m.derivative_nonnegative:  # the note names the true minimum, not f(−0.01)
        assert f"dips to 0 at x = {argmin:g}" in m.properties.notes


def test_a_domain_edge_between_grid_points_is_found():
    # sqrt(x² − 2) is 0 at ±√2 (not grid points); the double next to √2 gives 2e−8
    m = compile_formula("sqrt(x^2-2)").measurements()
    assert m.f_min == 0.0 and abs(m.argmin) == pytest.approx(float(mp.sqrt(2)), abs=1e-12)


def test_a_hole_is_approached_not_reached():
    # sin(x)/x is NaN at 0 (0/0): its sup 1 is a limit there, never a value; its min is at
    # the root of tan(x) = x near 4.49 (mpmath)
    m = compile_formula("sin(x)/x").measurements()
    x_star = mp.findroot(lambda t: mp.tan(t) - t, 4.49)
    assert m.properties.output_range == "[≈ −0.2172, 1)"
    assert m.f_max == 1.0 and m.argmax is None
    assert m.f_min == pytest.approx(float(mp.sin(x_star) / x_star), abs=1e-12)
    assert abs(m.argmin) == pytest.approx(float(x_star), abs=1e-9)


def test_turning_points_between_grid_points_are_found_exactly():
    # swish's minimum at the root of 1 + x(1 − σ(x)) = 0 (mpmath), between grid points
    m = compile_formula("x*sigmoid(x)").measurements()
    x_star = mp.findroot(lambda t: 1 + t * (1 - 1 / (1 + mp.exp(-t))), -1.28)
    assert m.argmin == pytest.approx(float(x_star), abs=1e-9)
    assert m.f_min == pytest.approx(float(x_star / (1 + mp.exp(-x_star))), abs=1e-15)
    # sin on the sparse tail: the extremes are ±1 exactly, reached
    assert compile_formula("sin(x)").measurements().properties.output_range == "[−1, 1]"


# f′ → 0 as x → ±∞ or not, by the slope's limit (was: |f′| beyond 5000 against its largest on
# [−20, 20], which called √x's 0.5/√x "none", exp(−x/3000)'s right tail "none" and the 10⁻⁴
# slope left of x·σ(x) + 10⁻⁴x "left")
SATURATION = {
    "sqrt(x)": "right", "exp(-x/3000)": "right", "log(1+abs(x))": "both", "x*sigmoid(x)+0.0001*x": "none",
    "tanh(x)+0.0001*x": "none", "x^0.999": "none", "x*sin(x)/(1+abs(x))": "none", "sin(x)/x": "both",
    "x^-0.3": "right", "exp(x)": "left", "1/(1+exp(-x))": "both", "log(1+exp(x))": "left", "x*cos(x)": "none",
}


_sig = lambda t: 1 / (1 + mp.exp(-t))
# the texts of SATURATION in mpmath (30 digits): an oracle apart from the formula's own derivative
SATURATION_MP = {
    "sqrt(x)": mp.sqrt, "exp(-x/3000)": lambda t: mp.exp(-t / 3000), "log(1+abs(x))": lambda t: mp.log(1 + abs(t)),
    "x*sigmoid(x)+0.0001*x": lambda t: t * _sig(t) + mp.mpf("0.0001") * t, "tanh(x)+0.0001*x": lambda t: mp.tanh(t) + mp.mpf("0.0001") * t,
    "x^0.999": lambda t: t ** mp.mpf("0.999"), "x*sin(x)/(1+abs(x))": lambda t: t * mp.sin(t) / (1 + abs(t)),
    "sin(x)/x": lambda t: mp.sin(t) / t, "x^-0.3": lambda t: t ** mp.mpf("-0.3"), "exp(x)": mp.exp, "1/(1+exp(-x))": _sig,
    "log(1+exp(x))": lambda t: mp.log(1 + mp.exp(t)), "x*cos(x)": lambda t: t * mp.cos(t),
}


@pytest.mark.parametrize("text", list(SATURATION))
def test_saturation_is_the_slopes_limit(text):
    want = SATURATION[text]
    assert compile_formula(text).properties().saturates == want
    # the oracle: |f′| at ±1e30 (mpmath) small against 1e-6 where f saturates, not where it does not
    # (x^0.999's slope, ≈ 0.93 there, does tend to 0, too slowly for any finite test to tell)
    for side, x in (("left", mp.mpf("-1e30")), ("right", mp.mpf("1e30"))):
        if text in ("exp(x)", "log(1+exp(x))", "1/(1+exp(-x))") and side == "right" or text.startswith(("sqrt", "x^")) and side == "left":
            continue  # overflows there, or not real: the grid's rule (checked above)
        slope = abs(mp.diff(SATURATION_MP[text], x))
        assert (slope <= 1e-6) == (want in (side, "both")), (text, side, slope)


def test_saturation_is_measured_away_from_a_pole():
    # f′ → 0 as |x| → ∞ for 1/x and 1/(x − 1), not for x + 1/x (f′ → 1), whatever f′ does at the pole
    assert compile_formula("1/x").properties().saturates == "both"
    assert compile_formula("1/(x-1)").properties().saturates == "both"
    assert compile_formula("x + 1/x").properties().saturates == "none"
    assert compile_formula("x + 1/(x-0.005)").properties().saturates == "none"


def test_parameters_move_the_pole():
    F = compile_formula("1/(x - c)", {"c": {"default": 0.5, "min": -5, "max": 5}})
    for c in (0.5, 0.123, -2.0):
        m = F.measurements(c=c)
        assert not m.properties.bounded_below and not m.properties.bounded_above
        assert f"unbounded near x = {c:.6g}".replace("-", "−") in m.properties.notes
    F = compile_formula("sqrt(x - c)", {"c": {"default": 0.5, "min": -5, "max": 5}})
    m = F.measurements(c=0.123)
    assert m.properties.output_range == "[0, ∞)" and m.argmin == pytest.approx(0.123, abs=1e-15)


@pytest.mark.parametrize("text,smooth", [("1/x", False), ("1/(x-1)", False), ("x + 1/x", False), ("1/x^2", False),
                                         ("1/(1 + x^2)", True), ("tanh(x)", True), ("x/(1 + abs(x))", True), ("x^3", True)])
def test_a_pole_is_not_smooth(text, smooth):
    """C¹ on the real line: a pole (f → ±∞ at a point) is not, though f and f′ are finite on every grid point but one."""
    assert compile_formula(text).properties().smooth is smooth
