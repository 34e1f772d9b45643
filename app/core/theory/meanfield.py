"""Mean-field signal propagation: variance and correlation maps, their fixed points,
χ₁, χ_c, the depth scales, the critical line, the phase diagram and the predicted
gradient norms per layer (equations in the package docstring, :mod:`app.core.theory`)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import optimize

from ._json import depth_scale, num, nums
from .quadrature import Q_MAX, Q_TINY, Phi, bivariate_expect, gauss_expect

Array = np.ndarray

FP_ITER = 20  # plain iterations of the variance map before bracketing
BRACKET_CHUNK = 8  # log-grid points evaluated at a time while bracketing
LOG_Q_GRID = np.logspace(math.log10(Q_TINY), math.log10(Q_MAX), 145)  # 4 per decade
C_SCAN = np.array([0.0, 0.25, 0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999, 1 - 1e-4, 1 - 1e-5, 1 - 1e-6])
CRITICAL_TOL = 1e-9  # |χ₁ − 1| below this counts as critical
SW2_SCAN = 33  # points of the σ_w² scan that brackets the critical line
Q_OVERFLOW = 1e300  # a trajectory's q beyond this is reported as None


# --------------------------------------------------------------------------- the variance map


def variance_terms(phi: Phi, q: Array | float, *, derivative: bool = True) -> tuple[Array, Array, Array]:
    """(E[φ(√q z)²], E[φ′(√q z)²], d/dq E[φ(√q z)²]) for each q (floored at Q_TINY).

    The derivative is E[φ(x)φ′(x)·z]/√q (differentiation under the integral, exact for
    any continuous, piecewise-smooth φ; it equals E[φ′² + φφ″] when φ is C²)."""
    q = np.maximum(np.atleast_1d(np.asarray(q, dtype=float)), Q_TINY)
    s = np.sqrt(q)
    if not derivative:
        e = gauss_expect(phi, lambda x, z: [phi.f(x) ** 2], 0.0, s)[0]
        return e, np.full_like(e, np.nan), np.full_like(e, np.nan)

    def func(x: Array, z: Array) -> list[Array]:
        f, d = phi.f(x), phi.df(x)
        return [f * f, d * d, f * d * z]

    e = gauss_expect(phi, func, 0.0, s)
    return e[0], e[1], e[2] / s


def variance_map(phi: Phi, sigma_w2: float, sigma_b2: float, q: Array | float) -> Array:
    """q_l = σ_w²·E[φ(√q_{l−1} z)²] + σ_b², for each q_{l−1}."""
    return sigma_w2 * variance_terms(phi, q, derivative=False)[0] + sigma_b2


@dataclass(frozen=True)
class FixedPoint:
    """q* (0.0 for the q → 0⁺ limit; inf when q grows past Q_MAX), how it was found, and
    χ₁ and dq_l/dq_{l−1} there (at Q_MAX when q diverges: the large-q limit)."""

    q_star: float
    chi1: float
    slope: float
    method: str  # "iteration" | "bracket" | "to_zero" | "diverged" | "undefined" (φ gave NaN)

    @property
    def diverged(self) -> bool:
        return math.isinf(self.q_star)

    @property
    def exists(self) -> bool:
        return math.isfinite(self.q_star)


def _bracket(phi: Phi, sw2: float, sb2: float, q_from: float) -> tuple[float, str]:
    """The root of g(q) = V(q) − q the iteration from q_from moves towards: up when
    V(q_from) > q_from (then ∞ if there is none below Q_MAX), else down (then 0)."""
    g0 = float(variance_map(phi, sw2, sb2, q_from)[0]) - q_from
    if g0 == 0.0:
        return q_from, "bracket"
    up = g0 > 0
    pts = LOG_Q_GRID[q_from < LOG_Q_GRID] if up else LOG_Q_GRID[q_from > LOG_Q_GRID][::-1]
    pts = np.concatenate(([q_from], pts))
    g = np.full(len(pts), np.nan)
    g[0] = g0
    i = None
    for start in range(1, len(pts), BRACKET_CHUNK):  # nearest grid points first, a chunk at a time
        stop = min(start + BRACKET_CHUNK, len(pts))
        g[start:stop] = variance_map(phi, sw2, sb2, pts[start:stop]) - pts[start:stop]
        if np.isnan(g[start:stop]).any():
            return math.nan, "undefined"
        change = np.flatnonzero(np.sign(g[1:stop]) != np.sign(g0))
        if change.size:
            i = int(change[0])
            break
    if i is None:
        return (math.inf, "diverged") if up else (0.0, "to_zero")
    a, b = sorted((math.log(pts[i]), math.log(pts[i + 1])))

    def h(t: float) -> float:
        q = math.exp(t)
        return float(variance_map(phi, sw2, sb2, q)[0]) - q

    ha, hb = h(a), h(b)
    if ha * hb > 0:  # a root within rounding of an end (one-row and batched sums differ in the last bit)
        return math.exp(a if abs(ha) <= abs(hb) else b), "bracket"
    return math.exp(optimize.brentq(h, a, b, xtol=1e-15, rtol=1e-15, maxiter=200)), "bracket"


def solve_fixed_points(phi: Phi, sigma_w2: Array, sigma_b2: Array, q_in: float = 1.0) -> list[FixedPoint]:
    """The q* the variance map reaches from an input of second moment q_in (so from
    q₁ = σ_w² q_in + σ_b²), for each (σ_w², σ_b²) pair.

    All pairs iterate together (one batched quadrature per step) for FP_ITER steps;
    pairs that have not converged to rounding are bracketed on a log grid in the
    direction the iteration moves and polished with Brent's method."""
    sw2 = np.atleast_1d(np.asarray(sigma_w2, dtype=float))
    sw2, sb2 = np.broadcast_arrays(sw2, np.atleast_1d(np.asarray(sigma_b2, dtype=float)))
    n = sw2.size
    q = sw2 * float(q_in) + sb2
    out_q = np.full(n, np.nan)
    method = np.array(["bracket"] * n, dtype=object)
    active = np.ones(n, dtype=bool)
    for _ in range(FP_ITER):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        qn = variance_map(phi, sw2[idx], sb2[idx], q[idx])
        big, small, bad = qn > Q_MAX, qn < Q_TINY, np.isnan(qn)  # NaN: φ undefined somewhere
        conv = np.abs(qn - q[idx]) <= 4e-16 * qn
        for mask, value, how in ((big, math.inf, "diverged"), (small, 0.0, "to_zero"), (bad, math.nan, "undefined"),
                                 (conv & ~big & ~small, None, "iteration")):
            j = idx[mask]
            out_q[j] = qn[mask] if value is None else value
            method[j] = how
            active[j] = False
        q[idx] = qn
    for i in np.flatnonzero(active):
        out_q[i], method[i] = _bracket(phi, float(sw2[i]), float(sb2[i]), float(q[i]))
    q_eval = np.clip(np.where(np.isinf(out_q), Q_MAX, np.nan_to_num(out_q, nan=1.0)), Q_TINY, Q_MAX)
    _e2, ed2, de2 = variance_terms(phi, q_eval)
    undefined = np.isnan(out_q)
    chi1 = np.where(undefined, np.nan, sw2 * ed2)
    slope = np.where(undefined, np.nan, sw2 * de2)
    return [FixedPoint(float(out_q[i]), float(chi1[i]), float(slope[i]), str(method[i])) for i in range(n)]


def fixed_point(phi: Phi, sigma_w2: float, sigma_b2: float, q_in: float = 1.0) -> dict:
    """q* of the variance map from an input of second moment q_in, with χ₁ and the slope
    dq_l/dq_{l−1} at q* (q_star None when q diverges; then χ₁ is the large-q limit)."""
    fp = solve_fixed_points(phi, sigma_w2, sigma_b2, q_in)[0]
    return {
        "q_star": num(fp.q_star),
        "q_diverges": fp.diverged,
        "method": fp.method,
        "chi1": num(fp.chi1),
        "chi1_at": "large_q" if fp.diverged else "q_star",
        "slope_q": None if fp.diverged else num(fp.slope),
    }


# --------------------------------------------------------------------------- the correlation map


def correlation_map(phi: Phi, sigma_w2: float, sigma_b2: float, c: Array | float, q: float) -> Array:
    """C(c) = (σ_w² E[φ(u₁)φ(u₂)] + σ_b²) / (σ_w² E[φ(u₁)²] + σ_b²) with u's of variance q.

    At the fixed point q* the denominator is q*, which is the textbook map; the ratio
    form also has the right limit when q* → 0 (σ_b² = 0, ordered)."""
    q = max(float(q), Q_TINY)
    den = sigma_w2 * float(variance_terms(phi, q, derivative=False)[0][0]) + sigma_b2
    kinks = phi.known_kinks()
    cs = np.atleast_1d(np.asarray(c, dtype=float))
    num_ = np.array([sigma_w2 * bivariate_expect(phi, phi.f, phi.f, ci, q, kinks) + sigma_b2 for ci in cs])
    return num_ / den


def _c_star(phi: Phi, sw2: float, sb2: float, q: float) -> float:
    """The stable fixed point of C in [0, 1) (chaotic phase), 1.0 if none is resolvable."""
    kinks = phi.known_kinks()
    den = sw2 * float(variance_terms(phi, q, derivative=False)[0][0]) + sb2

    def g(c: float) -> float:
        return (sw2 * bivariate_expect(phi, phi.f, phi.f, c, q, kinks) + sb2) / den - c

    prev_c, prev_g = None, None
    for c in C_SCAN:
        gc = g(float(c))
        if gc == 0.0:
            return float(c)
        if prev_g is not None and prev_g > 0 > gc:
            return optimize.brentq(g, prev_c, float(c), xtol=1e-14, rtol=1e-14, maxiter=200)
        prev_c, prev_g = float(c), gc
    return 1.0


def signal_propagation(phi: Phi, sigma_w2: float, sigma_b2: float, q_in: float = 1.0) -> dict:
    """q*, c*, χ₁, χ_c*, ξ_q, ξ_c and the phase at (σ_w², σ_b²).

    When q diverges (no q* below Q_MAX) only χ₁ (its large-q limit) and the phase are
    reported; c*, χ_c* and the depth scales are None. ξ's are None where infinite (critical)."""
    fp = solve_fixed_points(phi, sigma_w2, sigma_b2, q_in)[0]
    out = {
        "sigma_w2": float(sigma_w2), "sigma_b2": float(sigma_b2), "q_star": num(fp.q_star),
        "q_diverges": fp.diverged, "chi1": num(fp.chi1), "chi1_at": "large_q" if fp.diverged else "q_star",
        "phase": phase_of(fp.chi1), "slope_q": None, "xi_q": None, "c_star": None, "chi_c": None, "xi_c": None,
    }
    if not fp.exists:
        return out
    q = max(fp.q_star, Q_TINY)
    c_star = 1.0 if fp.chi1 <= 1.0 else _c_star(phi, sigma_w2, sigma_b2, q)
    if c_star >= 1.0:
        chi_c = fp.chi1
    else:
        chi_c = sigma_w2 * bivariate_expect(phi, phi.df, phi.df, c_star, q, phi.known_kinks())
    out.update(slope_q=num(fp.slope), xi_q=depth_scale(fp.slope), c_star=num(c_star), chi_c=num(chi_c), xi_c=depth_scale(chi_c))
    return out


def phase_of(chi1: float) -> str:
    if not math.isfinite(chi1) or abs(chi1 - 1.0) <= CRITICAL_TOL:
        return "critical" if math.isfinite(chi1) else "undefined"
    return "ordered" if chi1 < 1.0 else "chaotic"


# --------------------------------------------------------------------------- critical line, phase diagram


def critical_sigma_w2(phi: Phi, sigma_b2: float, lo: float = 0.1, hi: float = 10.0, q_in: float = 1.0) -> float | None:
    """σ_w² in [lo, hi] where χ₁(σ_w², σ_b²) = 1 (the first crossing from ordered to
    chaotic on a geometric scan, polished by Brent's method); None if there is none."""
    grid = np.geomspace(lo, hi, SW2_SCAN)
    chi = np.array([fp.chi1 for fp in solve_fixed_points(phi, grid, sigma_b2, q_in)]) - 1.0
    for i in range(len(grid)):
        if chi[i] == 0.0:
            return float(grid[i])
        if i and chi[i - 1] < 0.0 < chi[i]:

            def h(sw2: float) -> float:
                return solve_fixed_points(phi, sw2, sigma_b2, q_in)[0].chi1 - 1.0

            return float(optimize.brentq(h, grid[i - 1], grid[i], xtol=1e-12, rtol=1e-14, maxiter=200))
    return None


def critical_line(phi: Phi, sigma_b2: Sequence[float], lo: float = 0.1, hi: float = 10.0, q_in: float = 1.0) -> dict:
    """The critical σ_w² for each σ_b² (None where there is none in [lo, hi]) and q* there
    (None where q diverges, as for ReLU at σ_w² = 2 with σ_b² > 0)."""
    sw2 = [critical_sigma_w2(phi, float(b), lo, hi, q_in) for b in sigma_b2]
    q_star = []
    for w, b in zip(sw2, sigma_b2):
        fp = solve_fixed_points(phi, w, b, q_in)[0] if w is not None else None
        q_star.append(None if fp is None else num(fp.q_star))
    return {"sigma_b2": nums(sigma_b2), "sigma_w2": [num(v) for v in sw2], "q_star": q_star}


def phase_diagram(phi: Phi, sigma_w2: Sequence[float], sigma_b2: Sequence[float], q_in: float = 1.0) -> dict:
    """χ₁, log χ₁, q* and the phase on the grid; rows are σ_b², columns σ_w²."""
    w, b = np.meshgrid(np.asarray(sigma_w2, dtype=float), np.asarray(sigma_b2, dtype=float))
    fps = solve_fixed_points(phi, w.ravel(), b.ravel(), q_in)
    shape = w.shape
    chi = np.array([fp.chi1 for fp in fps]).reshape(shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_chi = np.where(chi > 0, np.log(np.where(chi > 0, chi, 1.0)), -np.inf)
    return {
        "sigma_w2": nums(sigma_w2),
        "sigma_b2": nums(sigma_b2),
        "chi1": nums(chi),
        "log_chi1": nums(log_chi),
        "q_star": [[num(fp.q_star) for fp in fps[r * shape[1]:(r + 1) * shape[1]]] for r in range(shape[0])],
        "q_diverges": [[fp.diverged for fp in fps[r * shape[1]:(r + 1) * shape[1]]] for r in range(shape[0])],
        "phase": [[phase_of(fp.chi1) for fp in fps[r * shape[1]:(r + 1) * shape[1]]] for r in range(shape[0])],
    }


# --------------------------------------------------------------------------- along depth


def layer_terms(phi: Phi, sigma_w2: float, sigma_b2: float, depth: int, q_in: float = 1.0) -> tuple[list, list, int | None]:
    """(q_l, χ(q_l) = σ_w² E[φ′(√q_l z)²]) for l = 1..depth, with q₁ = σ_w² q_in + σ_b².

    Above Q_MAX, E[φ(√q z)²] is taken as growing linearly in q from its value at Q_MAX
    (exact for ReLU-like, positively homogeneous φ) and χ at Q_MAX; the third result is
    the first such layer (None if none). q beyond Q_OVERFLOW is None from there on."""
    qs: list = []
    chis: list = []
    q = sigma_w2 * q_in + sigma_b2
    extrapolated = None
    for layer in range(1, depth + 1):
        if q is None or not math.isfinite(q) or q > Q_OVERFLOW:
            qs.append(None)
            chis.append(None)
            q = None
            continue
        if q > Q_MAX and extrapolated is None:
            extrapolated = layer
        q_eval = min(max(q, Q_TINY), Q_MAX)
        e2, ed2, _ = variance_terms(phi, q_eval)
        qs.append(q)
        chis.append(sigma_w2 * float(ed2[0]))
        q = sigma_w2 * float(e2[0]) * (q / q_eval if q > Q_MAX else 1.0) + sigma_b2
    return qs, chis, extrapolated


def q_trajectory(phi: Phi, sigma_w2: float, sigma_b2: float, depth: int, q_in: float = 1.0) -> dict:
    """q_l, l = 1..depth, from input second moment q_in (q₁ = σ_w² q_in + σ_b²)."""
    qs, _chis, extrapolated = layer_terms(phi, sigma_w2, sigma_b2, depth, q_in)
    return {"layer": list(range(1, depth + 1)), "q": [num(v) for v in qs], "extrapolated_from": extrapolated}


def gradient_prediction(phi: Phi, sigma_w2: float, sigma_b2: float, depth: int, q_in: float = 1.0) -> dict:
    """Predicted log₁₀‖∂L/∂h_l‖ − log₁₀‖∂L/∂h_L‖ for l = 1..L (0 at the last layer).

    Backpropagation multiplies ‖∂L/∂h‖² by χ(q_l) = σ_w² E[φ′(√q_l z)²] from layer l+1 to
    layer l, so the log norm is ½ Σ_{m=l}^{L−1} log₁₀ χ(q_m), along the actual q_l."""
    qs, chis, extrapolated = layer_terms(phi, sigma_w2, sigma_b2, depth, q_in)
    pred: list = [None] * depth
    total = 0.0
    pred[depth - 1] = 0.0
    for layer in range(depth - 2, -1, -1):  # index = layer − 1
        chi = chis[layer]
        if chi is None or not chi > 0 or total is None:
            total = None
        else:
            total += 0.5 * math.log10(chi)
        pred[layer] = num(total) if total is not None else None
    return {
        "layer": list(range(1, depth + 1)),
        "q": [num(v) for v in qs],
        "chi": [num(v) for v in chis],
        "log10_grad_norm": pred,
        "extrapolated_from": extrapolated,
    }
