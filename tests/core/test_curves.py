"""Sampled curves: dead/saturated regions, shapes, bands and seeded samples."""

from __future__ import annotations

import math

import numpy as np
import pytest

from app.core import activations as A
from app.core.curves import SATURATION_EPS, Region, flat_regions, grid, sample_curve

ACTS = {a.id: a for a in A.CATALOGUE}


def _regions_of(act_id, xmin, xmax, n, **params):
    act = ACTS[act_id]
    x = grid(xmin, xmax, n)
    return x, flat_regions(x, act.df(x, **{**act.defaults(), **params}))


def test_relu_is_dead_left_of_zero_inclusive():
    x, regions = _regions_of("relu", -5.0, 5.0, 101)
    assert 0.0 in x  # ReLU'(0) = 0, so 0 belongs to the dead run
    assert regions == [Region("dead", -5.0, 0.0)]


def test_sigmoid_saturates_both_sides_where_its_slope_is_below_eps():
    # σ'(x) = σ(1 − σ) = ε at |x| = x*, with σ(−x*) = (1 − √(1 − 4ε))/2
    r = math.sqrt(1 - 4 * SATURATION_EPS)
    x_star = math.log((1 + r) / (1 - r))
    x, regions = _regions_of("sigmoid", -10.0, 10.0, 2001)
    step = x[1] - x[0]
    assert [r.kind for r in regions] == ["saturated", "saturated"]
    left, right = regions
    assert left.x0 == -10.0 and right.x1 == 10.0
    assert -x_star - step <= left.x1 <= -x_star
    assert x_star <= right.x0 <= x_star + step


def test_sigmoid_far_out_is_saturated_where_the_slope_underflows_to_zero():
    """σ′ rounds to 0 for |x| > 700 but is never 0: those stretches were shaded "dead", beside the
    saturated band they continue; they are one saturated band with it."""
    x, regions = _regions_of("sigmoid", -800.0, 800.0, 1601)
    assert [r.kind for r in regions] == ["saturated", "saturated"]
    assert regions[0].x0 == -800.0 and regions[-1].x1 == 800.0
    d = ACTS["sigmoid"].df(x)
    assert np.all(d[x <= -710] == 0) and np.all(d[x >= 710] == 0)  # (the zeros are there)


def test_a_tail_that_underflows_is_not_dead_but_true_zeros_are():
    x = np.arange(8.0)
    # exp(1000x)′ on a grid: exact zeros, then 1e−301 … (one saturated tail), then the slope
    assert flat_regions(x, np.array([0.0, 0.0, 1e-301, 1e-250, 1e-5, 1.0, 2.0, 3.0])) == [Region("saturated", 0.0, 4.0)]
    # ReLU's zeros beside a slope of 1, and zeros beside a small slope that did not underflow: dead
    assert flat_regions(x, np.array([0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0])) == [Region("dead", 0.0, 1.0)]
    assert flat_regions(x, np.array([0.0, 0.0, 1e-3, 1.0, 1.0, 1.0, 1.0, 1.0]), eps=1e-4) == [Region("dead", 0.0, 1.0)]
    # (a run of zeros between two tails that underflowed: a small slope, not dead)
    assert flat_regions(x, np.array([1e-300, 0.0, 0.0, 1e-300, 1.0, 1.0, 1.0, 1.0])) == [Region("saturated", 0.0, 3.0)]


@pytest.mark.parametrize("lo,hi", [(-1.0, 1.0), (-2.5, 0.5)])
def test_hardtanh_is_dead_at_and_beyond_its_bounds(lo, hi):
    x, regions = _regions_of("hardtanh", -3.0, 3.0, 601, min_val=lo, max_val=hi)
    assert regions == [Region("dead", -3.0, float(x[x <= lo].max())), Region("dead", float(x[x >= hi].min()), 3.0)]
    assert lo in x and hi in x  # the bounds themselves are dead (f' = 0 there)


def test_flat_regions_edge_cases():
    assert flat_regions(np.array([]), np.array([])) == []
    x = np.arange(8.0)
    dy = np.array([0.0, 0.0, 0.005, -0.005, 1.0, 0.0, 0.5, 0.001])
    assert flat_regions(x, dy) == [
        Region("dead", 0.0, 1.0),
        Region("saturated", 2.0, 3.0),  # |f'| < ε counts, whatever its sign
        Region("saturated", 7.0, 7.0),
    ]  # (the lone zero at 5, between slopes 1 and 0.5, is a point, not a dead stretch)
    assert flat_regions(x, dy, eps=1e-3) == [Region("dead", 0.0, 1.0)]
    # a lone zero inside a run of small slope belongs to it (tanhshrink at 0: f′ = tanh² x) …
    assert flat_regions(x, np.array([0.004, 0.0, 0.004, 1.0, 1.0, 1.0, 1.0, 1.0])) == [Region("saturated", 0.0, 2.0)]
    # … and a run of small slope inside the grid is a turning point or a plateau, not saturation
    assert flat_regions(x, np.array([1.0, 0.004, 0.0, 0.004, 1.0, 1.0, 1.0, 1.0])) == []
    xs = grid(-5.0, 5.0, 401)
    assert flat_regions(xs, ACTS["tanhshrink"].df(xs)) == []
    # saturation needs the slope to stay small past the grid's end, on that side
    assert flat_regions(x, dy, beyond=(False, True)) == [Region("dead", 0.0, 1.0), Region("saturated", 7.0, 7.0)]
    assert flat_regions(x, dy, beyond=(True, False)) == [Region("dead", 0.0, 1.0), Region("saturated", 2.0, 3.0)]
    # sigmoid never has |f'| above 1/4: everything is "saturated" with ε = 0.3
    xs = grid(-4.0, 4.0, 9)
    assert flat_regions(xs, ACTS["sigmoid"].df(xs), eps=0.3) == [Region("saturated", -4.0, 4.0)]


@pytest.mark.parametrize("act_id", ["silu", "gelu", "mish", "tanhshrink"])
def test_a_turning_point_is_not_shaded_saturated(act_id):
    """|f′| < ε around swish's, GELU's and mish's minimum and tanhshrink's 0: the slope grows
    again on both sides, so no band there; GELU's left tail (f′ → 0 as x → −∞) is one."""
    act = ACTS[act_id]
    c = sample_curve(act, act.defaults(), -5.0, 5.0, 401)
    assert all(r.x1 < -2.0 or r.x0 > 2.0 for r in c.regions), c.regions
    small = np.abs(c.dy) < SATURATION_EPS
    assert small[(c.x > -2.0) & (c.x < 0.5)].any()  # there is a small slope near the minimum
    assert [r.kind for r in c.regions] == (["saturated"] if act_id == "gelu" else [])


def test_saturation_is_decided_past_the_end_of_the_plot():
    # swish plotted from its minimum (x ≈ −1.278): small slope at the left end, but f′(−2) ≈ −0.09
    silu = ACTS["silu"]
    assert sample_curve(silu, silu.defaults(), -1.28, 5.0, 401).regions == []
    # sigmoid from 5 on: σ′ < ε on the whole grid; it goes on to +∞ but not to the left (σ′(4) ≈ 0.018)
    sig = ACTS["sigmoid"]
    assert sample_curve(sig, {}, 5.0, 10.0, 101).regions == [Region("saturated", 5.0, 10.0)]
    assert sample_curve(sig, {}, -10.0, -5.0, 101).regions == [Region("saturated", -10.0, -5.0)]


def test_identity_has_no_flat_regions():
    assert _regions_of("identity", -10.0, 10.0, 11)[1] == []


@pytest.mark.parametrize("act", A.CATALOGUE, ids=A.IDS)
def test_sample_curve_shapes_and_values(act):
    params = act.defaults()
    c = sample_curve(act, params, -4.0, 6.0, 57)
    np.testing.assert_array_equal(c.x, np.linspace(-4.0, 6.0, 57))
    assert c.y.shape == c.dy.shape == (57,)
    np.testing.assert_array_equal(c.y, act.f(c.x, **params))
    np.testing.assert_array_equal(c.dy, act.df(c.x, **params))
    assert c.regions == flat_regions(c.x, c.dy)
    if act.stochastic is None:
        assert c.band_p is c.band_low is c.band_high is c.sample_x is c.sample_y is None
    else:
        assert c.band_p == (0.05, 0.95)
        assert c.band_low.shape == c.band_high.shape == (57,)
        assert np.all(c.band_low <= c.band_high)
        np.testing.assert_array_equal(c.band_low, act.stochastic.quantile(c.x, 0.05, **params))
        assert c.sample_x is None and c.sample_y is None  # samples = 0 by default


@pytest.mark.parametrize("act_id", [a.id for a in A.CATALOGUE if a.stochastic])
def test_seeded_samples_are_reproducible(act_id):
    act = ACTS[act_id]
    params = act.defaults()
    a = sample_curve(act, params, -3.0, 2.0, 11, band=(0.1, 0.9), samples=300, seed=42)
    b = sample_curve(act, params, -3.0, 2.0, 11, band=(0.1, 0.9), samples=300, seed=42)
    c = sample_curve(act, params, -3.0, 2.0, 11, band=(0.1, 0.9), samples=300, seed=43)
    assert a.band_p == (0.1, 0.9)
    assert a.sample_x.shape == a.sample_y.shape == (300,)
    np.testing.assert_array_equal(a.sample_x, b.sample_x)
    np.testing.assert_array_equal(a.sample_y, b.sample_y)
    assert not np.array_equal(a.sample_x, c.sample_x)
    assert np.all(np.diff(a.sample_x) >= 0) and a.sample_x.min() >= -3.0 and a.sample_x.max() <= 2.0
    # each sample is a legitimate draw: inside the support of f(x) at its x
    lo = act.stochastic.quantile(a.sample_x, 0.0, **params)
    hi = act.stochastic.quantile(a.sample_x, 1.0 - 1e-12, **params)
    assert np.all(a.sample_y >= lo - 1e-12) and np.all(a.sample_y <= hi + 1e-12)


def test_no_slope_where_f_is_undefined():
    """log(x) at x < 0 gave y null beside dy = 1/x (−0.2 at −5): a slope of nothing."""
    from app.core.formula import compile_formula
    from app.core.formula.activation import formula_activation

    act = formula_activation("log(x)", {})
    c = sample_curve(act, {}, -5.0, 5.0, 5)
    assert np.isnan(c.y[:2]).all() and np.isnan(c.dy[:2]).all()
    assert c.dy[3] == 1 / 2.5 and c.dy[4] == 1 / 5.0
    assert compile_formula("log(x)").f_and_df(np.array([-5.0]))[1][0] == -0.2  # (the formula's own f′ is unchanged)
    c = sample_curve(formula_activation("1/(x-x)", {}), {}, -5.0, 5.0, 5)  # infinite everywhere: its symbolic f′ "0" is not drawn
    assert np.isinf(c.y).all() and np.isnan(c.dy).all() and c.regions == []
