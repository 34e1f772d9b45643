"""The activation catalogue against independent references.

* values at hand-computed points, with PyTorch's defaults;
* f and f' against mpmath implementations written from the definitions
  (tests/_ref_mpmath.py; derivatives by mp.diff), for parameters at their range ends;
* derivative conventions at kinks (PyTorch autograd's values) and kink declarations;
* identities stated by the source; the stochastic activations by Monte Carlo;
* finiteness without floating-point warnings for |x| ≤ 1e4;
* the declared properties, checked numerically at the default parameters.
"""

from __future__ import annotations

import inspect
import itertools
import math

import mpmath as mp
import numpy as np
import pytest

from app.core import activations as A
from tests._ref_mpmath import REFS, noisy_mean, noisy_mean_quad, ref_point, selu_constants

ACTS = {a.id: a for a in A.CATALOGUE}
RTOL = 1e-12  # relative, scaled by the conditioning |x·f'| (see _check_against_reference)
TINY = 1e-290  # values below this are "underflowed to 0" for both sides


def param_sets(act: A.Activation, include_defaults: bool = True) -> list[dict]:
    """Every combination of each parameter's range ends (and default); every choice of
    choice parameters; combinations the activation's cross-check rejects are dropped."""
    options = []
    for p in act.params:
        if p.kind == "choice":
            options.append([(p.id, c) for c in p.choices])
        else:
            vals = {p.min, p.max} | ({p.default} if include_defaults else set())
            options.append([(p.id, v) for v in sorted(vals)])
    out = []
    for combo in itertools.product(*options):
        d = dict(combo)
        if act.check(**d) is None:
            out.append(d)
    return out


def _extra_sets(act_id: str) -> list[dict]:
    """Range-end values whose partner has to move for the cross-check to pass."""
    return {
        # min_val = 5 / max_val = −5 can never pass min_val < max_val; the nearest valid ones:
        "hardtanh": [{"min_val": 4.9, "max_val": 5.0}, {"min_val": -5.0, "max_val": -4.9}],
        "prelu": [{"a": 0.0}, {"a": 1.0}],
        "elu": [{"alpha": 0.5}],
        "noisy_relu": [{"sigma": 0.5, "sigma_growth": 0.3}],
    }.get(act_id, [])


CASES = [(a.id, p) for a in A.CATALOGUE for p in param_sets(a) + _extra_sets(a.id)]
CASE_IDS = [f"{i}-" + ",".join(f"{k}={v:g}" if not isinstance(v, str) else f"{k}={v}" for k, v in p.items()) for i, p in CASES]


# --------------------------------------------------------------------------- declarations


def test_every_activation_has_an_independent_reference():
    assert set(REFS) == set(A.IDS), "add a reference in tests/_ref_mpmath.py for every new activation"
    assert len(A.IDS) == len(set(A.IDS))


@pytest.mark.parametrize("act", A.CATALOGUE, ids=A.IDS)
def test_declared_defaults_match_function_defaults_and_ranges(act):
    for fn in (act.f, act.df):
        sig = inspect.signature(fn)
        assert [n for n in sig.parameters if n != "x"] == [p.id for p in act.params]
        for p in act.params:
            assert sig.parameters[p.id].default == p.default, (act.id, fn.__name__, p.id)
    for p in act.params:
        if p.kind == "float":
            assert p.min <= p.default <= p.max and p.step > 0
        else:
            assert p.default in p.choices
    assert act.check(**act.defaults()) is None
    assert sorted(act.kinks(**act.defaults())) == act.kinks(**act.defaults())


# torch.nn defaults (from the PyTorch docs)
TORCH_DEFAULTS = {
    "leaky_relu": {"leak": 0.01},
    "prelu": {"a": 0.25},
    "elu": {"alpha": 1.0},
    "celu": {"alpha": 1.0},
    "softplus": {"beta": 1.0, "threshold": 20.0},
    "rrelu": {"lower": 1.0 / 8.0, "upper": 1.0 / 3.0},
    "hardtanh": {"min_val": -1.0, "max_val": 1.0},
    "gelu": {"approximate": "none"},
    "softshrink": {"lambd": 0.5},
    "hardshrink": {"lambd": 0.5},
}


@pytest.mark.parametrize("act_id", sorted(TORCH_DEFAULTS))
def test_defaults_match_torch(act_id):
    assert ACTS[act_id].defaults() == TORCH_DEFAULTS[act_id]


@pytest.mark.parametrize("act_id", sorted(ACTS))
def test_torch_call_names_every_parameter_torch_takes(act_id):
    act = ACTS[act_id]
    call = act.torch_call(act.defaults())
    if act.torch is None:
        assert call is None
        return
    assert call.startswith("torch.nn.") and "{" not in call
    for p in act.params:
        if p.id not in act.torch_only:  # each other parameter appears in the call, with its value
            assert "{" + p.id + "}" in act.torch, p.id


def test_torch_call_follows_the_parameters():
    assert ACTS["leaky_relu"].torch_call({"leak": 0.283}) == "torch.nn.LeakyReLU(negative_slope=0.283)"
    assert ACTS["elu"].torch_call({"alpha": 2.5}) == "torch.nn.ELU(alpha=2.5)"
    assert ACTS["gelu"].torch_call({"approximate": "tanh"}) == "torch.nn.GELU(approximate='tanh')"
    assert ACTS["silu"].torch_call({"beta": 1.0}) == "torch.nn.SiLU()"
    assert ACTS["silu"].torch_call({"beta": 2.0}) is None  # torch.nn has no Swish with β


def test_selu_constants_match_their_closed_form():
    with mp.workdps(40):
        alpha, lam = selu_constants()
        assert abs(A.SELU_ALPHA - alpha) <= 1e-16 * alpha
        assert abs(A.SELU_SCALE - lam) <= 1e-16 * lam
        # ... and they make N(0, 1) a fixed point: E[selu(Z)] = 0, E[selu(Z)²] = 1
        f = REFS["selu"][0]
        m1 = mp.quad(lambda z: f(z) * mp.npdf(z), [-mp.inf, 0, mp.inf])
        m2 = mp.quad(lambda z: f(z) ** 2 * mp.npdf(z), [-mp.inf, 0, mp.inf])
        assert abs(m1) < 1e-30 and abs(m2 - 1) < 1e-30


def test_gelu_tanh_constants():
    assert A.GELU_TANH_C == 0.044715
    assert pytest.approx(0.7978845608028654, rel=1e-16) == A.SQRT_2_OVER_PI


# --------------------------------------------------------------------------- known values
# Hand-computed from the PyTorch docs' formulas at the default parameters unless given.

E = math.e
KNOWN = [
    ("identity", {}, -2.5, -2.5),
    ("relu", {}, -2.0, 0.0),
    ("relu", {}, 0.0, 0.0),
    ("relu", {}, 3.0, 3.0),
    ("leaky_relu", {}, -2.0, -0.02),
    ("leaky_relu", {}, 3.0, 3.0),
    ("leaky_relu", {"leak": 0.2}, -5.0, -1.0),
    ("prelu", {}, -2.0, -0.5),
    ("prelu", {"a": -1.0}, -2.0, 2.0),  # |x|
    ("elu", {}, -1.0, 1 / E - 1),
    ("elu", {}, 2.0, 2.0),
    ("elu", {"alpha": 2.0}, -1.0, 2 * (1 / E - 1)),
    ("celu", {}, -1.0, 1 / E - 1),
    ("celu", {"alpha": 2.0}, -1.0, 2 * (math.exp(-0.5) - 1)),
    ("selu", {}, 1.0, 1.0507009873554805),
    ("selu", {}, -1.0, 1.0507009873554805 * 1.6732632423543772 * (1 / E - 1)),
    ("softplus", {}, 0.0, math.log(2.0)),
    ("softplus", {}, 1.0, math.log(1 + E)),
    ("softplus", {}, 21.0, 21.0),  # βx > threshold: linear
    ("softplus", {}, 20.0, 20.0 + math.log1p(math.exp(-20.0))),  # βx = threshold: not above it
    ("softplus", {"beta": 2.0}, 1.0, math.log(1 + E * E) / 2),
    ("softplus", {"beta": 2.0, "threshold": 1.0}, 1.0, 1.0),
    ("sigmoid", {}, 0.0, 0.5),
    ("sigmoid", {}, 1.0, 1 / (1 + 1 / E)),
    ("tanh", {}, 1.0, (E - 1 / E) / (E + 1 / E)),
    ("tanh", {}, 0.0, 0.0),
    ("gelu", {}, 1.0, 0.8413447460685429),  # Φ(1)
    ("gelu", {}, -1.0, -0.15865525393145707),  # −Φ(−1)
    ("gelu", {"approximate": "tanh"}, 1.0, 0.5 * (1 + math.tanh(math.sqrt(2 / math.pi) * 1.044715))),
    ("gelu", {"approximate": "tanh"}, 0.0, 0.0),
    ("silu", {}, 1.0, 1 / (1 + 1 / E)),
    ("silu", {}, -1.0, -1 / (1 + E)),
    ("silu", {"beta": 0.0}, 3.0, 1.5),
    ("silu", {"beta": 2.0}, 1.0, 1 / (1 + math.exp(-2))),
    ("mish", {}, 1.0, math.tanh(math.log(1 + E))),
    ("mish", {}, 0.0, 0.0),
    ("relu6", {}, -1.0, 0.0),
    ("relu6", {}, 3.0, 3.0),
    ("relu6", {}, 7.0, 6.0),
    ("hardtanh", {}, -2.0, -1.0),
    ("hardtanh", {}, 0.5, 0.5),
    ("hardtanh", {}, 2.0, 1.0),
    ("hardtanh", {"min_val": 0.0, "max_val": 2.0}, 3.0, 2.0),
    ("hardsigmoid", {}, -4.0, 0.0),
    ("hardsigmoid", {}, 0.0, 0.5),
    ("hardsigmoid", {}, 1.0, 4.0 / 6.0),
    ("hardsigmoid", {}, 4.0, 1.0),
    ("hardswish", {}, -4.0, 0.0),
    ("hardswish", {}, -1.5, -0.375),
    ("hardswish", {}, 1.0, 4.0 / 6.0),
    ("hardswish", {}, 4.0, 4.0),
    ("softsign", {}, 1.0, 0.5),
    ("softsign", {}, -3.0, -0.75),
    ("rrelu", {}, -1.0, -(1 / 8 + 1 / 3) / 2),
    ("rrelu", {}, 2.0, 2.0),
    ("rrelu", {"lower": 0.2, "upper": 0.4}, -10.0, -3.0),
    ("noisy_relu", {}, 0.0, 0.5 / math.sqrt(2 * math.pi)),  # σ·φ(0)
    ("noisy_relu", {"sigma": 0.0}, -2.0, 0.0),
    ("noisy_relu", {"sigma": 0.0}, 2.0, 2.0),
    ("squared_relu", {}, -2.0, 0.0),
    ("squared_relu", {}, 3.0, 9.0),
    ("squareplus", {}, 0.0, 1.0),  # √b/2
    ("squareplus", {}, 1.5, 2.0),  # (1.5 + √6.25)/2
    ("squareplus", {"b": 0.0}, -2.0, 0.0),
    ("logsigmoid", {}, 0.0, -math.log(2.0)),
    ("logsigmoid", {}, -1.0, -math.log1p(E)),
    ("softshrink", {}, 2.0, 1.5),
    ("softshrink", {}, -2.0, -1.5),
    ("softshrink", {}, 0.3, 0.0),
    ("hardshrink", {}, 2.0, 2.0),
    ("hardshrink", {}, 0.3, 0.0),
    ("hardshrink", {}, -0.6, -0.6),
    ("tanhshrink", {}, 1.0, 1.0 - math.tanh(1.0)),
    ("tanhshrink", {}, 0.0, 0.0),
]


@pytest.mark.parametrize("act_id,params,x,expected", KNOWN)
def test_known_values(act_id, params, x, expected):
    act = ACTS[act_id]
    full = {**act.defaults(), **params}
    got = act.f(np.array([x]), **full)[0]
    assert got == pytest.approx(expected, rel=1e-14, abs=1e-300)


def test_every_activation_has_known_values():
    assert {k[0] for k in KNOWN} == set(A.IDS)


# --------------------------------------------------------------------------- against mpmath


def _grid(act_id: str, params: dict, breaks: list[float]) -> np.ndarray:
    """Dense near 0, log-spaced out to ±1e4 (through the ±700..800 underflow zone), offset
    so the grid does not sit on the usual kinks, minus points within 1e-6 of a breakpoint."""
    core = np.linspace(-12.0, 12.0, 121) + 0.0123
    tails = np.geomspace(12.5, 1e4, 14)
    xs = np.concatenate([core, tails, -tails, [-745.3, -710.2, -37.5, 37.5, 710.2, 745.3]])
    # both sides of every breakpoint, close by
    near = [b + s * d for b in breaks for s in (-1, 1) for d in (1e-5, 0.37)]
    xs = np.unique(np.concatenate([xs, near]))
    keep = [all(abs(x - b) > 1e-6 * max(1.0, abs(b)) for b in breaks) for x in xs]
    return xs[np.array(keep)]


@pytest.mark.parametrize("act_id,params", CASES, ids=CASE_IDS)
def test_against_mpmath_reference(act_id, params):
    """f and f' agree with the mpmath reference and mp.diff to ~1e-12, relative to the
    conditioning of the value (|f| + |x·f'| for f, |f'| + |x·f''| for f')."""
    act = ACTS[act_id]
    breaks = sorted(set(act.kinks(**params)) | set(REFS[act_id][1](**params)))
    xs = _grid(act_id, params, breaks)
    got_f = act.f(xs, **params)
    got_d = act.df(xs, **params)
    assert got_f.shape == got_d.shape == xs.shape
    bad = []
    for x, gf, gd in zip(xs, got_f, got_d):
        f, d, d2 = ref_point(act_id, float(x), params)
        tol_f = RTOL * (abs(f) + abs(x * d)) + TINY
        tol_d = RTOL * (abs(d) + abs(x * d2)) + TINY
        if not abs(gf - f) <= tol_f:
            bad.append(f"f({x!r}) = {gf!r}, reference {mp.nstr(f, 17)}")
        if not abs(gd - d) <= tol_d:
            bad.append(f"f'({x!r}) = {gd!r}, reference {mp.nstr(d, 17)}")
    assert not bad, f"{act_id} {params}: " + "; ".join(bad[:6])


def test_noisy_relu_closed_form_reference_is_the_definition():
    """The mpmath closed form used above equals E[max(0, x + sZ)] integrated numerically."""
    with mp.workdps(30):
        for sigma, growth in ((0.5, 0.0), (3.0, 1.0), (0.0, 1.0), (0.2, 0.3)):
            for x in (-6.0, -1.3, -0.2, 0.4, 2.5):
                a = noisy_mean(x, sigma, growth)
                b = noisy_mean_quad(x, sigma, growth)
                assert abs(a - b) <= mp.mpf(10) ** -25 * (abs(b) + 1e-300), (x, sigma, growth)


# --------------------------------------------------------------------------- kinks

# (id, params, x, f'(x)) as PyTorch's autograd gives it
AUTOGRAD_AT_KINKS = [
    ("relu", {}, 0.0, 0.0),
    ("leaky_relu", {}, 0.0, 0.01),
    ("leaky_relu", {"leak": 0.0}, 0.0, 0.0),
    ("leaky_relu", {"leak": 0.3}, 0.0, 0.3),
    ("prelu", {}, 0.0, 0.25),
    ("prelu", {"a": -1.0}, 0.0, -1.0),
    ("prelu", {"a": 2.0}, 0.0, 2.0),
    ("elu", {}, 0.0, 1.0),
    ("elu", {"alpha": 0.0}, 0.0, 0.0),
    ("elu", {"alpha": 2.5}, 0.0, 2.5),
    ("elu", {"alpha": 5.0}, 0.0, 5.0),
    ("celu", {"alpha": 0.05}, 0.0, 1.0),
    ("celu", {"alpha": 5.0}, 0.0, 1.0),
    ("selu", {}, 0.0, 1.0507009873554805 * 1.6732632423543772),
    ("hardtanh", {}, -1.0, 0.0),
    ("hardtanh", {}, 1.0, 0.0),
    ("hardtanh", {"min_val": -5.0, "max_val": 5.0}, -5.0, 0.0),
    ("hardtanh", {"min_val": -5.0, "max_val": 5.0}, 5.0, 0.0),
    ("hardtanh", {"min_val": 0.5, "max_val": 2.0}, 0.5, 0.0),
    ("hardswish", {}, -3.0, 0.0),  # torch 2.13 autograd (2.6 and earlier gave −0.5 and 1.5)
    ("hardswish", {}, 3.0, 1.0),
    ("relu6", {}, 0.0, 0.0),
    ("relu6", {}, 6.0, 0.0),
    ("hardsigmoid", {}, -3.0, 0.0),
    ("hardsigmoid", {}, 3.0, 0.0),
    ("rrelu", {}, 0.0, (1 / 8 + 1 / 3) / 2),
    ("rrelu", {"lower": 0.0, "upper": 1.0}, 0.0, 0.5),
    ("softplus", {}, 20.0, 1 / (1 + math.exp(-20.0))),  # βx = threshold is not above it
    ("softplus", {"beta": 2.0, "threshold": 10.0}, 5.0, 1 / (1 + math.exp(-10.0))),
    ("noisy_relu", {"sigma": 0.0}, 0.0, 0.0),  # ReLU
    ("squareplus", {"b": 0.0}, 0.0, 0.0),  # ReLU
    ("softshrink", {}, 0.5, 0.0),  # torch: grad·(x > λ or x < −λ)
    ("softshrink", {}, -0.5, 0.0),
    ("softshrink", {"lambd": 2.0}, 2.0, 0.0),
    ("hardshrink", {}, 0.5, 0.0),
    ("hardshrink", {}, -0.5, 0.0),
    ("hardshrink", {"lambd": 5.0}, -5.0, 0.0),
]


@pytest.mark.parametrize("act_id,params,x,expected", AUTOGRAD_AT_KINKS)
def test_derivative_convention_at_kinks(act_id, params, x, expected):
    act = ACTS[act_id]
    full = {**act.defaults(), **params}
    assert act.df(np.array([x]), **full)[0] == pytest.approx(expected, rel=1e-15, abs=0)


def test_every_kinked_activation_has_its_convention_checked():
    kinked = {a.id for a in A.CATALOGUE if any(a.kinks(**p) for p in param_sets(a))}
    assert kinked <= {k[0] for k in AUTOGRAD_AT_KINKS}


def _jumps(act: A.Activation, params: dict, x: np.ndarray) -> np.ndarray:
    """Midpoints of grid intervals across which f' jumps (an isolated step much larger
    than its neighbours)."""
    d = act.df(x, **params)
    step = np.abs(np.diff(d))
    pad = np.concatenate([[0.0], step, [0.0]])
    neighbour = np.maximum(pad[:-2], pad[2:])
    hit = step > 1e-7 + 20.0 * neighbour
    return 0.5 * (x[:-1] + x[1:])[hit]


@pytest.mark.parametrize("act_id,params", CASES, ids=CASE_IDS)
def test_kinks_are_declared_exactly(act_id, params):
    """Every jump of f' on a fine grid is a declared kink, and every declared kink is a
    jump (softplus's threshold switch: a jump of exactly 1 − σ(threshold))."""
    act = ACTS[act_id]
    kinks = act.kinks(**params)
    x = np.linspace(-12.0, 12.0, 24001) + 1e-4 * math.pi  # step 1e-3; 0 is not on the grid
    for j in _jumps(act, params, x):
        assert any(abs(j - k) < 1e-3 for k in kinks), f"{act_id} {params}: f' jumps near {j:.4f}; kinks {kinks}"
    for k in kinks:
        left, right = act.df(np.array([k - 1e-9, k + 1e-9]), **params)
        if act_id == "softplus":
            z = params["threshold"]
            assert right - left == pytest.approx(1.0 - 1.0 / (1.0 + math.exp(-z)), rel=1e-6, abs=1e-16)
        else:
            assert abs(right - left) > 1e-9, f"{act_id} {params}: declared kink {k} has no jump in f'"


def test_noisy_relu_with_growing_sigma_has_a_kink_at_zero():
    """s(x) = σ + γ|x| is not differentiable at 0, so neither is the mean: its one-sided
    slopes are Φ(0) ± γφ(0). (The catalogue declared no kink there for σ > 0.)"""
    act = ACTS["noisy_relu"]
    g = 0.5
    left, right = act.df(np.array([-1e-9, 1e-9]), sigma=0.5, sigma_growth=g)
    assert right - left == pytest.approx(2 * g / math.sqrt(2 * math.pi), rel=1e-6)
    assert act.kinks(sigma=0.5, sigma_growth=g) == [0.0]
    assert act.kinks(sigma=0.5, sigma_growth=0.0) == []


# --------------------------------------------------------------------------- identities


def _logistic(z):
    return 1.0 / (1.0 + np.exp(-z))


@pytest.mark.parametrize("beta", [0.1, 0.5, 1.0, 3.0, 20.0])
@pytest.mark.parametrize("threshold", [1.0, 20.0, 50.0])
def test_softplus_derivative_is_the_logistic(beta, threshold):
    act = ACTS["softplus"]
    x = np.linspace(-30.0, 30.0, 6001) / beta
    below = beta * x <= threshold
    d = act.df(x, beta=beta, threshold=threshold)
    np.testing.assert_allclose(d[below], _logistic(beta * x[below]), rtol=1e-14, atol=1e-300)
    assert np.all(d[~below] == 1.0)
    if beta == 1.0:
        np.testing.assert_allclose(d[below], ACTS["sigmoid"].f(x[below]), rtol=1e-15, atol=0)


@pytest.mark.parametrize("a", [-1.0, -0.3, 0.0, 0.25, 0.5, 1.0])
def test_prelu_is_max_of_x_and_ax_for_a_at_most_1(a):
    x = np.linspace(-50.0, 50.0, 2001)
    np.testing.assert_array_equal(ACTS["prelu"].f(x, a=a), np.maximum(x, a * x))


def test_prelu_is_not_max_for_a_above_1():
    x = np.array([-1.0])
    assert ACTS["prelu"].f(x, a=2.0)[0] == -2.0 != np.maximum(x, 2.0 * x)[0]


def test_prelu_gradient_wrt_a():
    act = ACTS["prelu"]
    x = np.linspace(-5.0, 5.0, 101) + 0.01
    h = 1e-6
    fd = (act.f(x, a=0.25 + h) - act.f(x, a=0.25 - h)) / (2 * h)
    np.testing.assert_allclose(act.param_grads["a"](x, a=0.25), fd, rtol=1e-8, atol=1e-9)


@pytest.mark.parametrize("alpha", [0.0, 0.5, 1.0, 5.0])
def test_elu_continuous_at_zero(alpha):
    act = ACTS["elu"]
    for h in (1e-4, 1e-8, 1e-12):
        left, mid, right = act.f(np.array([-h, 0.0, h]), alpha=alpha)
        assert mid == 0.0
        assert abs(left) <= 1.01 * alpha * h and abs(right) <= h
    # the one-sided slopes: α on the left, 1 on the right
    left, right = act.df(np.array([-1e-12, 1e-12]), alpha=alpha)
    assert left == pytest.approx(alpha, rel=1e-11) and right == 1.0


@pytest.mark.parametrize("act_id,params", [("relu", {}), ("leaky_relu", {"leak": 0.1}), ("prelu", {"a": -0.5}), ("rrelu", {}), ("identity", {}), ("noisy_relu", {"sigma": 0.0})])
@pytest.mark.parametrize("a", [0.0, 0.3, 1.0, 7.5])
def test_positive_homogeneity(act_id, params, a):
    """max(0, a·x) = a·max(0, x) for a ≥ 0, and so for every piecewise-linear-through-0 unit."""
    act = ACTS[act_id]
    full = {**act.defaults(), **params}
    x = np.linspace(-20.0, 20.0, 801)
    np.testing.assert_allclose(act.f(a * x, **full), a * act.f(x, **full), rtol=1e-15, atol=1e-300)


@pytest.mark.parametrize("act_id,params", [("elu", {}), ("softplus", {}), ("gelu", {}), ("gelu", {"approximate": "tanh"}), ("silu", {}), ("noisy_relu", {})])
def test_scale_invariance_fails_for_curved_units(act_id, params):
    act = ACTS[act_id]
    full = {**act.defaults(), **params}
    x = np.linspace(-5.0, 5.0, 101)
    a = 3.0
    assert np.max(np.abs(act.f(a * x, **full) - a * act.f(x, **full))) > 0.1


@pytest.mark.parametrize("lower,upper", [(0.0, 0.0), (0.125, 1 / 3), (0.0, 1.0), (0.3, 0.3), (1.0, 1.0)])
def test_rrelu_eval_slope_is_the_mean(lower, upper):
    act = ACTS["rrelu"]
    x = np.linspace(-10.0, -0.1, 100)
    m = (lower + upper) / 2
    np.testing.assert_allclose(act.f(x, lower=lower, upper=upper), m * x, rtol=1e-15, atol=0)
    assert np.all(act.df(x, lower=lower, upper=upper) == m)
    np.testing.assert_array_equal(act.f(x, lower=lower, upper=upper), ACTS["leaky_relu"].f(x, leak=m))


def test_selu_is_scaled_elu_and_celu_is_elu_at_alpha_1():
    x = np.linspace(-20.0, 20.0, 801)
    np.testing.assert_allclose(ACTS["selu"].f(x), A.SELU_SCALE * ACTS["elu"].f(x, alpha=A.SELU_ALPHA), rtol=1e-15)
    np.testing.assert_allclose(ACTS["celu"].f(x, alpha=1.0), ACTS["elu"].f(x, alpha=1.0), rtol=1e-15)


def test_hardswish_is_x_times_hardsigmoid_and_relu6_is_hardtanh_0_6():
    x = np.linspace(-10.0, 10.0, 2001)
    np.testing.assert_allclose(ACTS["hardswish"].f(x), x * ACTS["hardsigmoid"].f(x), rtol=1e-15, atol=0)
    np.testing.assert_array_equal(ACTS["relu6"].f(x), ACTS["hardtanh"].f(x, min_val=0.0, max_val=6.0))


@pytest.mark.parametrize("act", [a for a in A.CATALOGUE if any(p.kind == "float" for p in a.params)], ids=lambda a: a.id)
def test_float_params_broadcast_against_x(act):
    """The training engine stacks K variants: params of shape (K, 1) against x of shape (N,)."""
    sets = [p for p in param_sets(act) if all(not isinstance(v, str) for v in p.values())]
    x = np.linspace(-8.0, 8.0, 41) + 0.013
    stacked = {k: np.array([s[k] for s in sets])[:, None] for k in sets[0]}
    for fn in (act.f, act.df):
        got = fn(x[None, :], **stacked)
        assert got.shape == (len(sets), x.size)
        for i, s in enumerate(sets):
            np.testing.assert_array_equal(got[i], fn(x, **s))


# --------------------------------------------------------------------------- stochastic units

MC_N = 200_000


@pytest.mark.parametrize("sigma,growth", [(0.5, 0.0), (3.0, 0.0), (0.5, 0.5), (0.0, 1.0), (3.0, 1.0)])
def test_noisy_relu_mean_matches_monte_carlo(sigma, growth):
    act = ACTS["noisy_relu"]
    rng = np.random.default_rng(20240611)
    for x in (-2.0, -0.3, 0.0, 0.7, 3.0):
        s = sigma + growth * abs(x)
        y = np.maximum(0.0, x + s * rng.standard_normal(MC_N))
        se = y.std() / math.sqrt(MC_N)
        mean = act.f(np.array([x]), sigma=sigma, sigma_growth=growth)[0]
        assert abs(mean - y.mean()) <= 5 * se + 1e-8, (x, mean, y.mean(), se)
        # the catalogue's own sampler: its values average to the mean, and its pathwise
        # derivatives to the mean's derivative
        sy, sd = act.stochastic.sample(np.full(MC_N, x), rng, sigma=sigma, sigma_growth=growth)
        assert np.all(sy >= 0)
        assert abs(mean - sy.mean()) <= 5 * sy.std() / math.sqrt(MC_N) + 1e-8
        d = act.df(np.array([x]), sigma=sigma, sigma_growth=growth)[0]
        # (+1e-8: P(x + Y < 0) < 1e-8 may not show up in the draws at all)
        assert abs(d - sd.mean()) <= 5 * sd.std() / math.sqrt(MC_N) + 1e-8, (x, d, sd.mean())


@pytest.mark.parametrize("sigma,growth", [(0.5, 0.0), (3.0, 0.0), (0.01, 0.0), (0.5, 0.5), (3.0, 1.0), (0.0, 0.7)])
def test_noisy_relu_derivative_matches_finite_differences(sigma, growth):
    act = ACTS["noisy_relu"]
    x = np.linspace(-6.0, 6.0, 241) + 0.0123
    h = 1e-6
    fd = (act.f(x + h, sigma=sigma, sigma_growth=growth) - act.f(x - h, sigma=sigma, sigma_growth=growth)) / (2 * h)
    np.testing.assert_allclose(act.df(x, sigma=sigma, sigma_growth=growth), fd, rtol=1e-7, atol=1e-8)


@pytest.mark.parametrize("sigma,growth", [(0.5, 0.0), (3.0, 0.0), (0.5, 0.5)])
@pytest.mark.parametrize("p_low,p_high", [(0.05, 0.95), (0.25, 0.75)])
def test_noisy_relu_quantile_band(sigma, growth, p_low, p_high):
    act = ACTS["noisy_relu"]
    rng = np.random.default_rng(7)
    for x in (-1.0, 0.0, 0.4, 2.0):
        s = sigma + growth * abs(x)
        y = np.maximum(0.0, x + s * rng.standard_normal(MC_N))
        lo = act.stochastic.quantile(np.array([x]), p_low, sigma=sigma, sigma_growth=growth)[0]
        hi = act.stochastic.quantile(np.array([x]), p_high, sigma=sigma, sigma_growth=growth)[0]
        # quantile definition: P(y ≤ q_p) ≥ p and P(y < q_p) ≤ p, within Monte Carlo error
        tol = 5 * math.sqrt(0.25 / MC_N)
        for q, p in ((lo, p_low), (hi, p_high)):
            assert np.mean(y <= q) >= p - tol and np.mean(y < q) <= p + tol, (x, q, p)
        inside = np.mean((y >= lo) & (y <= hi))
        if lo > 0:  # no atom at 0 inside the band: the band holds the stated fraction
            assert abs(inside - (p_high - p_low)) <= tol
        else:
            assert inside >= p_high - p_low - tol


def test_noisy_relu_with_zero_sigma_is_relu():
    act = ACTS["noisy_relu"]
    x = np.concatenate([np.linspace(-1e4, 1e4, 2001), [0.0, -1e-300, 1e-300]])
    np.testing.assert_array_equal(act.f(x, sigma=0.0, sigma_growth=0.0), A.relu(x))
    np.testing.assert_array_equal(act.df(x, sigma=0.0, sigma_growth=0.0), A.relu_grad(x))
    for p in (0.05, 0.5, 0.95):
        np.testing.assert_array_equal(act.stochastic.quantile(x, p, sigma=0.0, sigma_growth=0.0), A.relu(x))
    y, d = act.stochastic.sample(x, np.random.default_rng(0), sigma=0.0, sigma_growth=0.0)
    np.testing.assert_array_equal(y, A.relu(x))
    np.testing.assert_array_equal(d, A.relu_grad(x))
    assert act.kinks(sigma=0.0, sigma_growth=0.0) == [0.0]


@pytest.mark.parametrize("lower,upper", [(0.125, 1 / 3), (0.0, 1.0), (0.3, 0.3)])
def test_rrelu_quantiles_and_samples(lower, upper):
    act = ACTS["rrelu"]
    rng = np.random.default_rng(11)
    for x in (-3.0, -0.5, 0.0, 2.0):
        r = rng.uniform(lower, upper, MC_N)
        y = np.where(x > 0, x, r * x)
        lo = act.stochastic.quantile(np.array([x]), 0.05, lower=lower, upper=upper)[0]
        hi = act.stochastic.quantile(np.array([x]), 0.95, lower=lower, upper=upper)[0]
        assert lo <= hi
        if x < 0 and upper > lower:
            assert lo == pytest.approx(x * (lower + 0.95 * (upper - lower)), rel=1e-14)
            assert hi == pytest.approx(x * (lower + 0.05 * (upper - lower)), rel=1e-14)
            inside = np.mean((y >= lo) & (y <= hi))
            assert abs(inside - 0.9) <= 5 * math.sqrt(0.09 / MC_N)
        else:
            assert lo == hi == act.f(np.array([x]), lower=lower, upper=upper)[0]
        sy, slope = act.stochastic.sample(np.full(MC_N, x), rng, lower=lower, upper=upper)
        np.testing.assert_allclose(sy, slope * x, rtol=1e-15)
        if x <= 0:  # x = 0 takes the random slope too (PyTorch: r·x for x ≤ 0); f = 0 either way
            assert slope.min() >= lower and slope.max() <= upper
            assert abs(slope.mean() - (lower + upper) / 2) <= 5 * (upper - lower) / math.sqrt(12 * MC_N) + 1e-15
            assert np.mean((sy >= lo) & (sy <= hi)) >= 0.9 - 5 * math.sqrt(0.09 / MC_N)
        else:
            assert np.all(slope == 1.0)


# --------------------------------------------------------------------------- extreme inputs

X_EXTREME = np.unique(
    np.concatenate(
        [
            np.linspace(-1e4, 1e4, 20001),
            np.linspace(-800.0, -700.0, 1001),
            np.linspace(700.0, 800.0, 1001),
            np.linspace(-50.0, 50.0, 10001),
            [-1e4, -745.2, -709.8, -37.42, -1e-30, 0.0, 1e-30, 37.42, 709.8, 745.2, 1e4],
        ]
    )
)

@pytest.mark.parametrize("act_id,params", CASES, ids=CASE_IDS)
def test_finite_and_warning_free_up_to_1e4(act_id, params):
    act = ACTS[act_id]
    with np.errstate(all="raise"):
        for x in (X_EXTREME, np.array([-1e4]), np.array([1e4]), np.array(-1e4), np.array(1e4)):
            y = act.f(x, **params)
            d = act.df(x, **params)
            assert np.all(np.isfinite(y)) and np.all(np.isfinite(d))
            assert np.shape(y) == np.shape(d) == np.shape(x)
        if act.stochastic is not None:
            for p in (1e-6, 0.05, 0.5, 0.95, 1 - 1e-6):
                assert np.all(np.isfinite(act.stochastic.quantile(X_EXTREME, p, **params)))
            y, d = act.stochastic.sample(X_EXTREME, np.random.default_rng(0), **params)
            assert np.all(np.isfinite(y)) and np.all(np.isfinite(d))
        for name, g in act.param_grads.items():
            assert np.all(np.isfinite(g(X_EXTREME, **params)))


# --------------------------------------------------------------------------- properties

X_PROP = np.unique(np.concatenate([np.linspace(-20.0, 20.0, 40001), np.geomspace(20.0, 1e4, 200), -np.geomspace(20.0, 1e4, 200)]))
X_MID = np.linspace(-15.0, 15.0, 30001)


def _at_defaults(act):
    return act.f(X_PROP, **act.defaults()), act.df(X_PROP, **act.defaults())


def _parse_range(text: str, params: dict) -> tuple[float, float, bool, bool, bool]:
    """'(−α, ∞)' → (lo, hi, lo_closed, hi_closed, approximate) at the given parameters."""
    approximate = "≈" in text
    if " ≈ " in text and text.rstrip()[-1] in ")]" and text.split(" ≈ ")[-1][0] in "([":
        text = text.split(" ≈ ")[-1]  # "(−λα, ∞) ≈ (−1.758, ∞)": use the numbers
    text = text.replace("≈", "").replace("−", "-").replace("∞", "inf").replace("β", "beta").replace("α", "alpha").strip()
    lo_closed, hi_closed = text[0] == "[", text[-1] == "]"
    lo_s, hi_s = text[1:-1].split(",")
    names = {"inf": math.inf, **{k: v for k, v in params.items() if not isinstance(v, str)}}
    lo, hi = (float(eval(s.strip(), {"__builtins__": {}}, names)) for s in (lo_s, hi_s))
    return lo, hi, lo_closed, hi_closed, approximate


@pytest.mark.parametrize("act", A.CATALOGUE, ids=A.IDS)
def test_property_output_range(act):
    lo, hi, lo_closed, hi_closed, approx = _parse_range(act.properties.output_range, act.defaults())
    tol = 2e-3 + 0.01 * max(abs(lo) if math.isfinite(lo) else 0, abs(hi) if math.isfinite(hi) else 0) if approx else 1e-9
    y, _ = _at_defaults(act)
    ymid = act.f(X_MID, **act.defaults())
    for bound, closed, extreme, mid_extreme, sign in ((lo, lo_closed, y.min(), ymid.min(), -1), (hi, hi_closed, y.max(), ymid.max(), 1)):
        if math.isinf(bound):
            assert sign * extreme > 50, f"{act.id}: declared unbounded, but f stays within {extreme}"
            continue
        assert sign * (extreme - bound) <= tol, f"{act.id}: f reaches {extreme}, outside the declared {bound}"
        assert abs(extreme - bound) <= max(tol, 1e-3), f"{act.id}: f never gets near the declared bound {bound} (extreme {extreme})"
        if closed:
            assert abs(mid_extreme - bound) <= tol, f"{act.id}: declared bound {bound} is not attained"
        elif not approx:
            assert sign * (mid_extreme - bound) < 0, f"{act.id}: declared open bound {bound} is attained on [−15, 15]"


@pytest.mark.parametrize("act", A.CATALOGUE, ids=A.IDS)
def test_property_monotonic(act):
    y, d = _at_defaults(act)
    if act.properties.monotonic:
        assert np.all(d >= 0) and np.all(np.diff(y) >= 0)
    else:
        assert np.any(d < -1e-6) and np.any(np.diff(y) < 0)


@pytest.mark.parametrize("act", A.CATALOGUE, ids=A.IDS)
def test_property_bounded(act):
    p = act.properties
    f = lambda r: act.f(np.array([-r, r]), **act.defaults())
    far, near = f(1e4), f(1e3)
    # unbounded ones still move by ≥ 1 between |x| = 1e3 and 1e4 (leaky ReLU: −10 → −100);
    # bounded ones by < 1e-3 (softsign: −0.999 → −0.9999)
    assert p.bounded_below == (far.min() >= near.min() - 0.01), act.id
    assert p.bounded_above == (far.max() <= near.max() + 0.01), act.id
    assert act.properties.as_dict()["bounded"] == (p.bounded_below and p.bounded_above)


@pytest.mark.parametrize("act", A.CATALOGUE, ids=A.IDS)
def test_property_saturates(act):
    dl, dr = np.abs(act.df(np.array([-1e4, 1e4]), **act.defaults()))
    for d in (dl, dr):
        assert d < 1e-6 or d > 1e-3, f"{act.id}: |f'| = {d} at the edge is ambiguous"
    left, right = dl < 1e-6, dr < 1e-6
    expected = {(False, False): "none", (True, False): "left", (False, True): "right", (True, True): "both"}[(left, right)]
    assert act.properties.saturates == expected


@pytest.mark.parametrize("act", A.CATALOGUE, ids=A.IDS)
def test_property_zero_centred(act):
    z, w = np.polynomial.hermite_e.hermegauss(160)
    w = w / math.sqrt(2 * math.pi)  # E[g(Z)] = Σ w g(z) for Z ~ N(0, 1)
    mean = float(np.sum(w * act.f(z, **act.defaults())))
    y, _ = _at_defaults(act)
    both_signs = y.min() < 0 < y.max()
    # the zero-centred ones have |E f(Z)| < 1e-3; the others > 0.15 (ELU's 0.16 is the closest)
    assert act.properties.zero_centred == (both_signs and abs(mean) < 0.05), (act.id, mean, both_signs)


@pytest.mark.parametrize("act", A.CATALOGUE, ids=A.IDS)
def test_property_smooth(act):
    """C¹ ⇔ f' has no jump at a declared kink (softplus's threshold switch jumps by
    e^{-20}, which the notes disclose); non-smooth ones jump visibly."""
    params = act.defaults()
    candidates = set(act.kinks(**params)) | set(REFS[act.id][1](**params))
    jumps = [abs(np.subtract(*act.df(np.array([k + 1e-9, k - 1e-9]), **params))) for k in candidates]
    if act.properties.smooth:
        assert all(j < 1e-6 for j in jumps), (act.id, jumps)
    else:
        assert any(j > 1e-3 for j in jumps), (act.id, jumps)
    assert not _jumps(act, params, np.linspace(-12.0, 12.0, 24001) + 1e-4 * math.pi).size or not act.properties.smooth


@pytest.mark.parametrize("lo,hi,zero_centred", [(-1.0, 1.0, True), (-2.0, 3.0, True), (0.5, 3.0, False), (-5.0, 0.1, False), (-0.3, 4.0, False)])
def test_hard_tanh_properties_at_its_bounds(lo, hi, zero_centred):
    """The card said "output range [min_val, max_val]" (the parameters' ids) and "zero-centred:
    yes" whatever the bounds. At given bounds: the range in numbers, and zero-centred by the
    measure typed formulas get — checked against the formula min(max(x, lo), hi) measured."""
    from app.core.formula import compile_formula

    p = A.get("hardtanh").properties_at({"min_val": lo, "max_val": hi})
    assert p.output_range == f"[{lo:g}, {hi:g}]".replace("-", "−")
    assert p.zero_centred is zero_centred
    measured = compile_formula(f"min(max(x, {lo}), {hi})").properties()
    assert (measured.output_range, measured.zero_centred) == (p.output_range, p.zero_centred)
    # what does not change with the bounds stays as declared
    assert (p.monotonic, p.bounded_below, p.bounded_above, p.saturates) == (True, True, True, "both")


PROPERTY_FIELDS = ("monotonic", "smooth", "zero_centred", "bounded_below", "bounded_above", "saturates")


@pytest.mark.parametrize("act", A.CATALOGUE, ids=lambda a: a.id)
def test_measured_properties_agree_with_the_declared_ones_at_the_defaults(act):
    """Away from the defaults a card's properties are measured (as a typed formula's are): the
    measurement, run at the defaults, must say what the catalogue declares there."""
    from app.core.activations.declare import _measure

    measured = _measure(act, act.defaults())
    assert tuple(getattr(measured, f) for f in PROPERTY_FIELDS) == tuple(getattr(act.properties, f) for f in PROPERTY_FIELDS)


# (activation, parameters, the same function typed as a formula, the range): each card said the
# declared properties whatever the sliders — PReLU at a = −1 (|x|) "monotonic", SiLU at β = 0
# (x/2) "[≈ −0.278/β, ∞)", leaky ReLU at leak = 1 (x) "not smooth"
AT_VALUES = [
    ("prelu", {"a": -1.0}, "where(x > 0, x, -x)", "[0, ∞)"),
    ("prelu", {"a": 0.0}, "max(x, 0)", "[0, ∞)"),
    ("leaky_relu", {"leak": 0.0}, "max(x, 0)", "[0, ∞)"),
    ("leaky_relu", {"leak": 1.0}, "x", "(−∞, ∞)"),
    ("silu", {"beta": 0.0}, "x/2", "(−∞, ∞)"),
    ("silu", {"beta": 2.0}, "x*sigmoid(2*x)", None),
    ("elu", {"alpha": 0.0}, "max(x, 0)", "[0, ∞)"),
    ("elu", {"alpha": 2.0}, "where(x > 0, x, 2*(exp(x) - 1))", "(−2, ∞)"),
    ("hardtanh", {"min_val": 0.5, "max_val": 3.0}, "min(max(x, 0.5), 3)", "[0.5, 3]"),
]


@pytest.mark.parametrize("name,params,formula,output_range", AT_VALUES, ids=[f"{a}-{p}" for a, p, _, _ in AT_VALUES])
def test_properties_at_slider_values_are_those_of_the_function_drawn(name, params, formula, output_range):
    from app.core.formula import compile_formula

    act = A.get(name)
    got = act.properties_at({**act.defaults(), **params})
    want = compile_formula(formula).properties()  # the formula's own parser, derivative and kinks
    assert tuple(getattr(got, f) for f in PROPERTY_FIELDS) == tuple(getattr(want, f) for f in PROPERTY_FIELDS)
    assert got.output_range == (output_range or want.output_range)
    assert got.notes == act.properties.notes  # the declared notes stay


def test_noisy_relu_with_growing_noise_is_neither_monotonic_nor_saturating():
    """Its own note says so (the mean rises again for x < 0); the card said monotonic and saturating."""
    act = A.get("noisy_relu")
    p = act.properties_at({"sigma": 3.0, "sigma_growth": 1.0})
    assert not p.monotonic and p.saturates == "none"
    x = np.array([-4.0, -2.0])
    assert act.f(x, sigma=3.0, sigma_growth=1.0)[0] > act.f(x, sigma=3.0, sigma_growth=1.0)[1]  # (the mean rises leftwards)


def test_jumps_are_the_kinks_where_f_itself_is_discontinuous():
    """Softplus' threshold switch is a jump of log(1 + e^(−threshold))/β (3.13 at β = 0.1,
    threshold = 1; 2·10⁻⁹ at the defaults, below KINK_JUMP: none); hardshrink jumps by λ at ±λ;
    a kink of a continuous f (ReLU, hardtanh, softshrink) is no jump."""
    soft = A.get("softplus")
    ((x, size),) = soft.jumps(beta=0.1, threshold=1.0)
    assert x == 10.0 and size == pytest.approx(-math.log1p(math.exp(-1.0)) / 0.1, rel=1e-12)
    assert soft.jumps(**soft.defaults()) == []
    assert [(x, round(h, 12)) for x, h in A.get("hardshrink").jumps(lambd=0.5)] == [(-0.5, 0.5), (0.5, 0.5)]
    for name in ("relu", "hardtanh", "softshrink", "relu6"):
        act = A.get(name)
        assert act.kinks(**act.defaults()) and act.jumps(**act.defaults()) == [], name


@pytest.mark.parametrize("x", [1e-200, 1e-160, -1e-200, -1e-160, 3e-155])
@pytest.mark.parametrize("b", [0.0, 1e-310, 4.0])
def test_squareplus_near_zero_does_not_underflow(x, b):
    """x² underflows for |x| < 1e-154: b = 0 (ReLU) gave f = x/2 and f′ = 0 there; against mpmath."""
    ref_f = REFS["squareplus"][0]
    with mp.workdps(60):
        xm, bm = mp.mpf(x), mp.mpf(b)
        want_f = float(ref_f(xm, bm))
        want_df = float((1 + xm / mp.sqrt(xm * xm + bm)) / 2) if (b or x > 0) else 0.0
    assert A.get("squareplus").f(np.array([x]), b=b)[0] == pytest.approx(want_f, rel=1e-13, abs=0.0)
    assert A.get("squareplus").df(np.array([x]), b=b)[0] == pytest.approx(want_df, rel=1e-13, abs=0.0)
