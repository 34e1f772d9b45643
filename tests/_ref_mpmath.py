"""Independent high-precision references for the activation catalogue.

Every function here is written from its mathematical definition (the PyTorch docs'
formulas where PyTorch has the function), in mpmath, without looking at how
``app.core.activations`` computes it. Derivatives are never written down: the tests take
them with ``mp.diff`` / ``mp.diffs``. The SELU constants are computed from their closed
forms in Klambauer et al. (2017), not copied.
"""

from __future__ import annotations

from collections.abc import Callable

import mpmath as mp

DPS = 40


def _m(v) -> mp.mpf:
    return v if isinstance(v, mp.mpf) else mp.mpf(v)


def pos(x):
    return x if x > 0 else mp.mpf(0)


def neg(x):
    return x if x < 0 else mp.mpf(0)


def selu_constants() -> tuple[mp.mpf, mp.mpf]:
    """(α01, λ01) of the SELU paper, eq. (14) / appendix, at the current precision."""
    e = mp.e
    c = mp.erfc(1 / mp.sqrt(2))
    alpha = -mp.sqrt(2 / mp.pi) / (c * mp.sqrt(e) - 1)
    lam = (1 - c * mp.sqrt(e)) * mp.sqrt(2 * mp.pi) / mp.sqrt(
        2 * mp.erfc(mp.sqrt(2)) * e**2 + mp.pi * c**2 * e - 2 * (2 + mp.pi) * c * mp.sqrt(e) + mp.pi + 2
    )
    return alpha, lam


def phi(z):
    return mp.exp(-z * z / 2) / mp.sqrt(2 * mp.pi)


def noisy_mean(x, sigma, sigma_growth):
    """E[max(0, x + s·Z)] in closed form, ∫_{−x/s}^∞ (x + s z) φ(z) dz = x·Φ(x/s) + s·φ(x/s),
    with s = σ + γ|x| (its x-dependence is left to mp.diff). Checked against
    :func:`noisy_mean_quad`, the definition integrated numerically, by the tests."""
    x = _m(x)
    s = _m(sigma) + _m(sigma_growth) * abs(x)
    if s == 0:
        return pos(x)
    t = x / s
    return x * mp.erfc(-t / mp.sqrt(2)) / 2 + s * phi(t)  # Φ(t) = erfc(−t/√2)/2, exact in the tail


def noisy_mean_quad(x, sigma, sigma_growth):
    """E[max(0, x + s·Z)], Z ~ N(0, 1), s = σ + γ|x|, by numerical integration over z."""
    x = _m(x)
    s = _m(sigma) + _m(sigma_growth) * abs(x)
    if s == 0:
        return pos(x)
    z0 = -x / s  # the integrand is (x + s z)·φ(z) = s·u·φ(z0 + u) for z = z0 + u > z0, else 0
    if z0 > 60:  # the mass above z0 is < e^-1800: below anything a double can hold
        return mp.mpf(0)
    # φ(z0 + u) = φ(z0)·exp(−z0·u − u²/2): integrate the O(1) factor, so that quad's
    # error is relative even where φ(z0) is tiny
    pts = [0, 1 / (1 + max(z0, 0)), 4, mp.inf] if z0 > 0 else [0, -z0, -z0 + 4, mp.inf]
    return s * phi(z0) * mp.quad(lambda u: u * mp.exp(-z0 * u - u * u / 2), pts)


def _softplus(x, beta, threshold):
    bx = _m(beta) * x
    if bx > threshold:  # PyTorch: "reverts to the linear function when input×β > threshold"
        return x
    return mp.log1p(mp.exp(bx)) / beta


def _gelu(x, approximate):
    if approximate == "tanh":
        # 0.5·x·(1 + tanh(u)), with 1 + tanh(u) = 2 / (1 + e^{-2u}) (no cancellation for u ≪ 0)
        u = mp.sqrt(2 / mp.pi) * (x + mp.mpf("0.044715") * x**3)
        return x / (1 + mp.exp(-2 * u))
    # x·Φ(x) = (x/2)·(1 + erf(x/√2)) = (x/2)·erfc(−x/√2) (no cancellation for x ≪ 0)
    return x / 2 * mp.erfc(-x / mp.sqrt(2))


def _hardswish(x):
    if x <= -3:
        return mp.mpf(0)
    if x >= 3:
        return x
    return x * (x + 3) / 6


def _hardsigmoid(x):
    if x <= -3:
        return mp.mpf(0)
    if x >= 3:
        return mp.mpf(1)
    return x / 6 + mp.mpf(1) / 2


_SELU_CACHE: dict[int, tuple[mp.mpf, mp.mpf]] = {}


def _selu(x):
    prec = mp.mp.prec
    if prec not in _SELU_CACHE:
        _SELU_CACHE[prec] = selu_constants()
    alpha, lam = _SELU_CACHE[prec]
    return lam * (pos(x) + neg(alpha * mp.expm1(x)))


# id -> (reference f(x, **params), breakpoints(**params) where the reference is piecewise)
REFS: dict[str, tuple[Callable, Callable]] = {
    "identity": (lambda x: x, lambda: []),
    "relu": (lambda x: pos(x), lambda: [0.0]),
    "leaky_relu": (lambda x, leak: pos(x) + leak * neg(x), lambda leak: [0.0]),
    "prelu": (lambda x, a: pos(x) + a * neg(x), lambda a: [0.0]),
    "elu": (lambda x, alpha: pos(x) + neg(alpha * mp.expm1(x)), lambda alpha: [0.0]),
    "celu": (lambda x, alpha: pos(x) + neg(alpha * mp.expm1(x / alpha)), lambda alpha: [0.0]),
    "selu": (_selu, lambda: [0.0]),
    "softplus": (_softplus, lambda beta, threshold: [threshold / beta]),
    "sigmoid": (lambda x: 1 / (1 + mp.exp(-x)), lambda: []),
    "tanh": (lambda x: mp.expm1(2 * x) / (mp.exp(2 * x) + 1), lambda: []),  # (eˣ − e⁻ˣ)/(eˣ + e⁻ˣ)
    "gelu": (_gelu, lambda approximate: []),
    "silu": (lambda x, beta: x / (1 + mp.exp(-beta * x)), lambda beta: []),
    "mish": (lambda x: x * mp.tanh(mp.log1p(mp.exp(x))), lambda: []),
    "relu6": (lambda x: min(pos(x), mp.mpf(6)), lambda: [0.0, 6.0]),
    "hardtanh": (
        lambda x, min_val, max_val: max_val if x > max_val else (min_val if x < min_val else x),
        lambda min_val, max_val: [min_val, max_val],
    ),
    "hardsigmoid": (_hardsigmoid, lambda: [-3.0, 3.0]),
    "hardswish": (_hardswish, lambda: [-3.0, 3.0]),
    "softsign": (lambda x: x / (1 + abs(x)), lambda: [0.0]),
    "rrelu": (lambda x, lower, upper: x if x >= 0 else x * (lower + upper) / 2, lambda lower, upper: [0.0]),
    "noisy_relu": (noisy_mean, lambda sigma, sigma_growth: [0.0] if (sigma == 0 or sigma_growth > 0) else []),
    "squared_relu": (lambda x: pos(x) ** 2, lambda: [0.0]),
    # (x + √(x² + b))/2, as b/(2(√(x² + b) − x)) for x < 0 (the same number, no cancellation)
    "squareplus": (lambda x, b: (x + mp.sqrt(x * x + b)) / 2 if x >= 0 else b / (2 * (mp.sqrt(x * x + b) - x)), lambda b: [0.0]),
    "logsigmoid": (lambda x: -mp.log1p(mp.exp(-x)), lambda: []),
    "softshrink": (lambda x, lambd: x - lambd if x > lambd else (x + lambd if x < -lambd else mp.mpf(0)), lambda lambd: [-lambd, lambd]),
    "hardshrink": (lambda x, lambd: x if abs(x) > lambd else mp.mpf(0), lambda lambd: [-lambd, lambd]),
    "tanhshrink": (lambda x: x - mp.tanh(x), lambda: []),
}


MAX_DPS = 400


def ref_point(act_id: str, x: float, params: dict) -> tuple[mp.mpf, mp.mpf, mp.mpf]:
    """(f, f', f'') of the reference at x, f' and f'' by mpmath's numerical differentiation.

    Numerical differentiation is accurate relative to |f|, so where f' ≪ f (exponential
    tails: ELU's f ≈ −α with f' = αeˣ) the working precision is raised until f' (and
    f'' where it matters) are resolved, or until they are known to be below
    10^-(MAX_DPS - 30)·|f| (far under the smallest double)."""
    f, _ = REFS[act_id]
    mparams = {k: (v if isinstance(v, str) else mp.mpf(v)) for k, v in params.items()}
    dps = DPS
    while True:
        with mp.workdps(dps):
            v0, v1, v2 = mp.diffs(lambda t: f(t, **mparams), mp.mpf(x), 2)
            floor = abs(v0) * mp.mpf(10) ** (25 - dps)  # ≥ the error of v1 and v2
            # f'' only scales the tolerance on f' (by |x·f''|), so it need not be resolved
            # where that term is negligible anyway
            resolved = abs(v1) > floor and (abs(v2) > floor or abs(x) * floor < abs(v1) / 1000)
        if resolved or dps >= MAX_DPS:
            return +v0, +v1, +v2
        dps = min(2 * dps, MAX_DPS)
