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
JUMP_TOL = 1e-6  # a crossing of χ₁ = 1 polished to its σ_w² with |χ₁ − 1| above this is a jump over 1
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


def illinois(h, a: Array, b: Array, fa: Array, fb: Array, xtol: float, rtol: float, max_iter: int = 200) -> Array:
    """Roots of h on the brackets [a, b] (one per row; fa·fb ≤ 0), all rows at once.

    ``h(x, rows)`` evaluates row ``rows[j]``'s function at x[j] (one batched call per
    step). The Illinois variant of regula falsi (superlinear), with a bisection step
    whenever two steps have not halved the bracket; a row stops once its bracket is
    within xtol + rtol·|x| or h hits 0. Returns, per row, the end with the smaller |h|."""
    a, b, fa, fb = (np.array(v, dtype=float) for v in (a, b, fa, fb))
    best = np.where(np.abs(fa) <= np.abs(fb), a, b)
    active = (fa != 0.0) & (fb != 0.0)
    width = np.abs(b - a)
    stalls = np.zeros(len(a), dtype=int)
    for _ in range(max_iter):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        A, B, FA, FB = a[idx], b[idx], fa[idx], fb[idx]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            c = B - FB * (B - A) / (FB - FA)
        lo, hi = np.minimum(A, B), np.maximum(A, B)
        bisect = (stalls[idx] >= 2) | ~np.isfinite(c) | (c <= lo) | (c >= hi)
        c = np.where(bisect, 0.5 * (A + B), c)
        fc = np.asarray(h(c, idx), dtype=float)
        swap = fc * FB < 0  # the root lies between B and c: A takes B's place
        fa[idx] = np.where(swap, FB, FA * 0.5)
        a[idx] = np.where(swap, B, A)
        b[idx], fb[idx] = c, fc
        new_width = np.abs(b[idx] - a[idx])
        stalls[idx] = np.where(new_width <= 0.5 * width[idx], 0, stalls[idx] + 1)
        width[idx] = np.where(stalls[idx] == 0, new_width, width[idx])
        best[idx] = np.where(np.abs(fa[idx]) < np.abs(fc), a[idx], c)
        done = (fc == 0.0) | ~np.isfinite(fc) | (new_width <= xtol + rtol * np.abs(c))
        active[idx[done]] = False
    return best


def grid_second_moments(phi: Phi) -> Array:
    """E[φ(√q z)²] at every q of LOG_Q_GRID, computed once per φ (the brackets of every
    (σ_w², σ_b²) pair scan the same grid: V(q) = σ_w²·E + σ_b² there)."""
    if not phi._grid:
        phi._grid.append(variance_terms(phi, LOG_Q_GRID, derivative=False)[0])
    return phi._grid[0]


def _bracket_many(phi: Phi, sw2: Array, sb2: Array, q_from: Array) -> tuple[Array, Array]:
    """For each row, the root of g(q) = V(q) − q the iteration from q_from moves towards:
    up when V(q_from) > q_from (∞ if there is none below Q_MAX), else down (then 0).

    All rows at once: the log grid is scanned BRACKET_CHUNK points at a time in each row's
    direction (nearest first) until g changes sign, then the bracket is polished in log q
    by :func:`illinois`. A NaN of g on the way makes the row "undefined"."""
    n = len(q_from)
    out = np.full(n, np.nan)
    how = np.array(["bracket"] * n, dtype=object)
    g0 = variance_map(phi, sw2, sb2, q_from) - q_from
    pending = g0 != 0.0
    out[~pending] = q_from[~pending]
    nan0 = np.isnan(g0)
    how[nan0], pending[nan0] = "undefined", False
    up = g0 > 0
    # each row's grid points in its direction, nearest first (NaN-padded)
    # (indices into LOG_Q_GRID, −1 past the end: E[φ(√q z)²] there is the same for every row)
    at = np.arange(len(LOG_Q_GRID))
    gi = np.where(up[:, None], at[None, :], at[None, ::-1])
    grid = LOG_Q_GRID[gi]
    ahead = np.where(up[:, None], grid > q_from[:, None], grid < q_from[:, None])
    order = np.argsort(~ahead, axis=1, kind="stable")
    ahead_sorted = np.take_along_axis(ahead, order, axis=1)
    pts = np.where(ahead_sorted, np.take_along_axis(grid, order, axis=1), np.nan)
    pts_at = np.where(ahead_sorted, np.take_along_axis(gi, order, axis=1), -1)
    e_grid = grid_second_moments(phi)
    count = ahead.sum(axis=1)
    lo_q, lo_g = q_from.copy(), g0.copy()  # the last point before the sign change
    hi_q, hi_g = np.full(n, np.nan), np.full(n, np.nan)
    for start in range(0, pts.shape[1], BRACKET_CHUNK):
        gone = pending & (count <= start)  # the grid ran out: no root that way
        out[gone & up], how[gone & up] = math.inf, "diverged"
        out[gone & ~up], how[gone & ~up] = 0.0, "to_zero"
        pending &= ~gone
        rows = np.flatnonzero(pending)
        if rows.size == 0:
            break
        chunk = pts[rows, start:start + BRACKET_CHUNK]
        valid = ~np.isnan(chunk)
        r, j = np.nonzero(valid)
        g = np.full(chunk.shape, np.nan)
        g[r, j] = sw2[rows[r]] * e_grid[pts_at[rows, start:start + BRACKET_CHUNK][r, j]] + sb2[rows[r]] - chunk[r, j]
        bad = np.any(np.isnan(g) & valid, axis=1)
        how[rows[bad]], pending[rows[bad]] = "undefined", False
        change = valid & (np.sign(g) != np.sign(g0[rows])[:, None]) & ~bad[:, None]
        hit = change.any(axis=1)
        first = np.argmax(change, axis=1)
        for k in np.flatnonzero(hit):  # bracket [previous point, first point past the change]
            i, row = first[k], rows[k]
            if i > 0:
                lo_q[row], lo_g[row] = chunk[k, i - 1], g[k, i - 1]
            hi_q[row], hi_g[row] = chunk[k, i], g[k, i]
        pending[rows[hit]] = False
        # rows without a change continue from the chunk's last point
        last = np.flatnonzero(~hit & ~bad)
        if last.size:
            lj = valid[last].sum(axis=1) - 1
            lo_q[rows[last]], lo_g[rows[last]] = chunk[last, lj], g[last, lj]
    rows = np.flatnonzero(~np.isnan(hi_q))
    if rows.size:
        def h(t: Array, idx: Array) -> Array:
            q = np.exp(t)
            return variance_map(phi, sw2[rows[idx]], sb2[rows[idx]], q) - q

        t = illinois(h, np.log(lo_q[rows]), np.log(hi_q[rows]), lo_g[rows], hi_g[rows], xtol=1e-15, rtol=1e-15)
        out[rows] = np.exp(t)
    return out, how


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
    rest = np.flatnonzero(active)
    if rest.size:
        out_q[rest], method[rest] = _bracket_many(phi, sw2[rest], sb2[rest], q[rest])
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
    if not den > 0.0:  # φ ≡ 0 and no bias: every input lands on one point, perfectly correlated
        return np.ones_like(cs)
    num_ = np.array([sigma_w2 * bivariate_expect(phi, phi.f, phi.f, ci, q, kinks) + sigma_b2 for ci in cs])
    return num_ / den


def _c_star(phi: Phi, sw2: float, sb2: float, q: float) -> float:
    """The stable fixed point of C in [0, 1) (chaotic phase), 1.0 if none is resolvable."""
    kinks = phi.known_kinks()
    den = sw2 * float(variance_terms(phi, q, derivative=False)[0][0]) + sb2
    if not den > 0.0:  # φ ≡ 0 and no bias: one point, c = 1
        return 1.0

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


def phase_boundaries(phi: Phi, sigma_b2: Sequence[float], lo: float = 0.1, hi: float = 10.0, q_in: float = 1.0) -> tuple[list[float | None], list[float | None]]:
    """For each σ_b², where the phase turns from ordered to chaotic on a geometric scan of
    σ_w² ∈ [lo, hi], each crossing polished by :func:`illinois` (all σ_b² at once: one
    batched fixed-point solve per step), as (critical, jump):

    * critical: the first σ_w² where χ₁ passes through 1 (|χ₁ − 1| ≤ JUMP_TOL there);
    * jump: where χ₁ skips over 1 before that, because the q* reached from q_in changes
      (GELU, SiLU, Mish at small σ_b²: q → a small fixed point below, q → ∞ above, χ₁ from
      ~0.54 to ~1.08 for GELU at σ_b² = 0). It bounds the phases but is not critical.

    None where there is none."""
    b2 = np.atleast_1d(np.asarray(sigma_b2, dtype=float))
    grid = np.geomspace(lo, hi, SW2_SCAN)
    fps = solve_fixed_points(phi, np.tile(grid, len(b2)), np.repeat(b2, len(grid)), q_in)
    chi = np.array([fp.chi1 for fp in fps]).reshape(len(b2), len(grid)) - 1.0
    critical: list[float | None] = [None] * len(b2)
    jump: list[float | None] = [None] * len(b2)
    brackets: list[list[tuple]] = [[] for _ in b2]  # each row's crossings from ordered to chaotic, in order
    for r in range(len(b2)):
        for i in range(len(grid)):
            if chi[r, i] == 0.0:
                brackets[r].append((grid[i], grid[i], 0.0, 0.0))
                break
            if i and chi[r, i - 1] < 0.0 < chi[r, i]:
                brackets[r].append((grid[i - 1], grid[i], chi[r, i - 1], chi[r, i]))

    def h(sw2: Array, idx: Array) -> Array:
        return np.array([fp.chi1 for fp in solve_fixed_points(phi, sw2, rb2[idx], q_in)]) - 1.0

    for k in range(max(map(len, brackets), default=0)):  # the k-th crossing of the rows not yet critical
        rows = [r for r in range(len(b2)) if critical[r] is None and len(brackets[r]) > k]
        if not rows:
            break
        rb2 = b2[rows]
        lo_w, hi_w, lo_f, hi_f = (np.array([brackets[r][k][j] for r in rows]) for j in range(4))
        at = illinois(h, lo_w, hi_w, lo_f, hi_f, xtol=1e-12, rtol=1e-14)  # (an exact zero on the grid: returned as is)
        there = h(at, np.arange(len(rows)))
        for r, w, off in zip(rows, at, there):
            if abs(off) <= JUMP_TOL:
                critical[r] = float(w)
            elif jump[r] is None:
                jump[r] = float(w)
    return critical, jump


def critical_sigma_w2s(phi: Phi, sigma_b2: Sequence[float], lo: float = 0.1, hi: float = 10.0, q_in: float = 1.0) -> list[float | None]:
    """For each σ_b², the σ_w² in [lo, hi] where χ₁(σ_w², σ_b²) = 1 (see :func:`phase_boundaries`); None where there is none."""
    return phase_boundaries(phi, sigma_b2, lo, hi, q_in)[0]


def critical_sigma_w2(phi: Phi, sigma_b2: float, lo: float = 0.1, hi: float = 10.0, q_in: float = 1.0) -> float | None:
    """σ_w² in [lo, hi] where χ₁(σ_w², σ_b²) = 1 (see :func:`phase_boundaries`); None if there is none."""
    return critical_sigma_w2s(phi, [sigma_b2], lo, hi, q_in)[0]


def critical_line(phi: Phi, sigma_b2: Sequence[float], lo: float = 0.1, hi: float = 10.0, q_in: float = 1.0) -> dict:
    """The critical σ_w² for each σ_b² (None where there is none in [lo, hi]) and q* there
    (None where q diverges, as for ReLU at σ_w² = 2 with σ_b² > 0); and where the phase
    changes by a jump instead (``jump_sigma_w2``, see :func:`phase_boundaries`)."""
    sw2, jump = phase_boundaries(phi, sigma_b2, lo, hi, q_in)
    found = [i for i, w in enumerate(sw2) if w is not None]
    q_star: list = [None] * len(sw2)
    if found:
        fps = solve_fixed_points(phi, np.array([sw2[i] for i in found]), np.array([float(sigma_b2[i]) for i in found]), q_in)
        for i, fp in zip(found, fps):
            q_star[i] = num(fp.q_star)
    return {"sigma_b2": nums(sigma_b2), "sigma_w2": [num(v) for v in sw2], "q_star": q_star, "jump_sigma_w2": [num(v) for v in jump]}


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


def c_trajectory(phi: Phi, sigma_w2: float, sigma_b2: float, depth: int, q_in: float = 1.0, c_in: float = 0.5) -> dict:
    """c_l, l = 1..depth: the correlation between the pre-activations of two inputs of
    second moment q_in whose correlation is c_in,

        c₁ = (σ_w² c_in q_in + σ_b²)/q₁,   c_{l+1} = C(c_l) at q_l   (the correlation map at
    the layer's own variance, so before q_l has reached q*). Beyond Q_MAX the map is taken at
    Q_MAX (exact for positively homogeneous φ); None where q_l is."""
    qs, _chis, extrapolated = layer_terms(phi, sigma_w2, sigma_b2, depth, q_in)
    q1 = sigma_w2 * q_in + sigma_b2
    c: float | None = (sigma_w2 * c_in * q_in + sigma_b2) / q1 if q1 > 0 else 1.0
    out: list = []
    for layer in range(depth):
        q = qs[layer]
        if q is None or c is None or not math.isfinite(c):
            out.append(None)
            c = None
            continue
        out.append(c)
        if layer < depth - 1:
            c = float(correlation_map(phi, sigma_w2, sigma_b2, c, min(q, Q_MAX))[0])
    return {"layer": list(range(1, depth + 1)), "c": [num(v) for v in out], "c_in": float(c_in), "extrapolated_from": extrapolated}


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


def gradient_prediction_inputs(phi: Phi, sigma_w2: float, sigma_b2: float, depth: int, q_in: Sequence[float]) -> dict:
    """:func:`gradient_prediction` for a set of inputs, each of its own second moment q_in[n]
    (a dataset): a gradient norm measured over all inputs is √(Σ_n ‖∂L/∂h_l⁽ⁿ⁾‖²). With the
    last layer's norms alike across inputs (every input's q_L near q*), its log ratio to the
    last layer is ½·log₁₀ mean_n Π_{m=l}^{L−1} χ(q_m⁽ⁿ⁾), each input along its own q_m⁽ⁿ⁾
    (all inputs at once, one batched quadrature per layer; Q_MAX and overflow as in
    :func:`layer_terms`). None from a layer where some input's χ is not positive and finite."""
    qn = np.atleast_1d(np.asarray(q_in, dtype=float))
    q = sigma_w2 * qn + sigma_b2
    log_chi = np.empty((len(qn), depth))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for layer in range(depth):
            q_eval = np.clip(np.nan_to_num(q, nan=1.0, posinf=Q_MAX), Q_TINY, Q_MAX)
            e2, ed2, _ = variance_terms(phi, q_eval)
            chi = sigma_w2 * ed2
            ok = np.isfinite(q) & (q <= Q_OVERFLOW) & (chi > 0) & np.isfinite(chi)
            log_chi[:, layer] = np.where(ok, np.log(np.where(ok, chi, 1.0)), np.nan)
            q = np.where(np.isfinite(q) & (q <= Q_OVERFLOW), sigma_w2 * e2 * np.where(q > Q_MAX, q / q_eval, 1.0) + sigma_b2, np.nan)
    # per input, log Π_{m=l}^{L−1} χ(q_m) for l = 1..L (0 at the last layer), then a log-mean-exp over inputs
    tail = np.concatenate((np.cumsum(log_chi[:, -2::-1], axis=1)[:, ::-1], np.zeros((len(qn), 1))), axis=1) if depth > 1 else np.zeros((len(qn), 1))
    top = np.max(tail, axis=0)
    with np.errstate(over="ignore", invalid="ignore"):
        mean_log = top + np.log(np.mean(np.exp(tail - top), axis=0))
    pred = np.where(np.isfinite(mean_log), 0.5 * mean_log / math.log(10.0), np.nan)
    return {"layer": list(range(1, depth + 1)), "log10_grad_norm": nums(pred), "inputs": len(qn)}
