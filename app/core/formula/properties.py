"""Properties of a formula, measured numerically (the catalogue's are declared by hand).

The grid: 4001 points on [−20, 20] (step 0.01), a geometric tail of 299 points each side
out to ±1e4, and the kinks. On it:

* ``monotonic``: f′ ≥ −tol everywhere (non-decreasing) or f′ ≤ tol (non-increasing), and
  f itself never steps the other way (a jump counts); tol = 1e-12·max|f′|.
* ``bounded_below``/``bounded_above``: f is unbounded in a direction when it is still
  moving that way at the end of the grid, i.e. |x·f′(x)| ≥ 0.01 at x = ±1e4 (log-like
  growth or faster) with f at that end within 1e-9 of its extreme, or when it overflows.
  (So softsign's 1 − 1/x approach counts as bounded and log(1 + |x|) as unbounded.)
* ``zero_centred``: takes both signs and |E f(Z)| ≤ 0.1·E|f(Z)| for Z ~ N(0, 1), by
  101-point Gauss–Hermite quadrature.
* ``smooth`` (C¹): no kinks (see :mod:`.kinks`); when the kinks cannot all be found, no jump
  of f or f′ between neighbouring grid points that stands out from its neighbours.
* ``saturates``: |f′| beyond |x| = 5000 is at most 1e-3 of its largest value on [−20, 20].
* ``output_range``: the extremes, with "[" when reached at a turning point or on a flat
  stretch inside [−20, 20] and "(" when only approached in a tail; a bound approached in a
  tail is extrapolated from the last two grid points (f ≈ L + C|x|^−k), so softsign's is 1,
  not 0.9999. Exact when an integer or short decimal, else "≈" and 4 digits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from app.core.activations import Properties

CORE = np.linspace(-20.0, 20.0, 4001)
TAIL = np.geomspace(20.0, 1e4, 300)[1:]
GRID = np.concatenate([-TAIL[::-1], CORE, TAIL])
_HZ, _HW = np.polynomial.hermite_e.hermegauss(101)
_HW = _HW / math.sqrt(2.0 * math.pi)


@dataclass(frozen=True)
class Measurements:
    """Everything measured, at one set of parameter values."""

    properties: Properties
    f_min: float  # −inf when unbounded below (likewise f_max)
    f_max: float
    argmin: float | None  # where a turning-point minimum is (None if approached in a tail)
    argmax: float | None
    derivative_nonnegative: bool
    derivative_nonpositive: bool
    mean_gauss: float  # E f(Z), Z ~ N(0, 1) (nan if f is not finite at the nodes)
    abs_mean_gauss: float
    kinks: tuple[float, ...]
    kinks_known: bool
    undefined: str | None  # a note if f or f′ is NaN somewhere on the grid
    overflow: str | None  # a note if f or f′ is infinite somewhere on the grid


def _nice(v: float, rtol: float = 1e-9) -> str:
    """v as the catalogue writes bounds: exact for integers and short decimals, else ≈ 4 digits."""
    if math.isinf(v):
        return "−∞" if v < 0 else "∞"
    digits = 6 if rtol <= 1e-9 else 3  # an extrapolated limit snaps only to a short number
    short = float(f"{v:.{digits}g}")
    if abs(v - short) <= rtol * max(1.0, abs(v)):
        return f"{short:.{digits}g}".replace("-", "−")
    return ("≈ " + f"{v:.4g}").replace("-", "−")


def _tail_limit(xo: np.ndarray, fo: np.ndarray, do: np.ndarray, end: int) -> float | None:
    """The limit of f at the left (end = 0) or right (end = −1) end of the grid, assuming
    an algebraic approach f ≈ L + C|x|^−k (exponential approaches give L = f there)."""
    i, j = (0, 1) if end == 0 else (-1, -2)
    x1, x2, d1, d2 = xo[j], xo[i], do[j], do[i]
    if d2 == 0.0:
        return float(fo[i])
    if d1 == 0.0 or d1 * d2 < 0 or abs(x2) <= abs(x1):
        return None
    k = math.log(abs(d1 / d2)) / math.log(abs(x2 / x1)) - 1.0
    if not k > 0.05:
        return None
    limit = float(fo[i] + x2 * d2 / k)
    return limit if abs(limit - fo[i]) <= 0.01 * max(1.0, abs(fo[i])) else None


def _jumps(xs: np.ndarray, f: np.ndarray, d: np.ndarray) -> list[float]:
    """x where f or f′ jumps between neighbouring grid points (for formulas whose kinks
    could not be solved for): a difference 10× larger than both neighbouring ones."""
    out = []
    for v in (d, f):
        dv = np.abs(np.diff(v))
        floor = 1e-6 * (1.0 + np.abs(v[:-1]))
        neigh = np.maximum(np.concatenate([[0.0], dv[:-1]]), np.concatenate([dv[1:], [0.0]]))
        hit = (dv > floor) & (dv > 10.0 * neigh)
        out += [float(0.5 * (xs[i] + xs[i + 1])) for i in np.flatnonzero(hit)]
    return sorted(set(out))


def measure(formula, params: dict) -> Measurements:
    kinks = tuple(k for k in formula.kinks(**params) if abs(k) <= 1e4)
    xs = np.unique(np.concatenate([GRID, np.array(kinks, dtype=float)]))
    f, d = formula.f_and_df(xs, **params)
    nan = np.isnan(f) | np.isnan(d)
    undefined = overflow = None
    if nan.any():
        undefined = f"undefined (NaN) at {int(nan.sum())} of {xs.size} sampled x, from x = {xs[nan][0]:.4g}"
    inf = np.isinf(f) | np.isinf(d)
    if inf.any():
        overflow = f"not finite at {int(inf.sum())} of {xs.size} sampled x, from x = {xs[inf][0]:.4g}"
    ok = ~nan & ~inf
    xo, fo, do = xs[ok], f[ok], d[ok]
    core = (xo >= -20.0) & (xo <= 20.0)
    if xo.size < 2:
        props = Properties("undefined", False, False, False, False, False, "none",
                           "f or f′ is not finite almost everywhere on [−1e4, 1e4]")
        return Measurements(props, math.nan, math.nan, None, None, False, False, math.nan, math.nan, kinks,
                            formula.kinks_known, undefined, overflow)

    dmax = float(np.max(np.abs(do))) if do.size else 0.0
    tol = 1e-12 * max(dmax, 1e-300)
    steps = np.diff(fo)
    ftol = 1e-12 * (1.0 + np.abs(fo[:-1]))
    nonneg = bool(np.all(do >= -tol) and np.all(steps >= -ftol))
    nonpos = bool(np.all(do <= tol) and np.all(steps <= ftol))

    fmin, fmax = float(fo.min()), float(fo.max())
    span = max(abs(fmin), abs(fmax), 1e-300)

    def unbounded(direction: int) -> bool:  # direction −1: below, +1: above
        if np.any(np.isinf(f) & (np.sign(f) == direction)):
            return True
        extreme = fmax if direction > 0 else fmin
        for i in (0, -1):  # the left and the right end of the finite grid
            x_end, f_end, d_end = float(xo[i]), float(fo[i]), float(do[i])
            rate = x_end * d_end * direction  # > 0: still moving toward ±∞ at the end
            if rate >= 0.01 and abs(f_end - extreme) <= 1e-9 * span + 1e-300:
                return True
        return False

    below, above = unbounded(-1), unbounded(+1)

    def attained(target: float) -> float | None:
        idx = np.flatnonzero(core & (np.abs(fo - target) <= 1e-12 * span))
        lo, hi = do[np.maximum(idx - 1, 0)], do[np.minimum(idx + 1, do.size - 1)]
        turning = (do[idx] == 0.0) | (np.sign(lo) * np.sign(hi) < 0) | ((lo <= 0.0) & (hi >= 0.0)) | ((lo >= 0.0) & (hi <= 0.0))
        hit = idx[turning]  # vectorised: a huge span (exp) puts every grid point within tolerance
        # the closest to the extreme (x² near 0: x = 0, not the first point within tolerance)
        return float(xo[hit[np.argmin(np.abs(fo[hit] - target))]]) if hit.size else None

    argmin = None if below else attained(fmin)
    argmax = None if above else attained(fmax)

    def bound(value: float) -> str:
        """A bound only approached in a tail: extrapolate to its limit before rounding."""
        for end in (0, -1):
            if abs(float(fo[end]) - value) <= 1e-6 * span:
                limit = _tail_limit(xo, fo, do, end)
                if limit is not None:
                    return _nice(limit, 1e-6)
        return _nice(value)

    lo_s = "(−∞" if below else ("[" + _nice(fmin) if argmin is not None else "(" + bound(fmin))
    hi_s = "∞)" if above else (_nice(fmax) + "]" if argmax is not None else bound(fmax) + ")")
    output_range = f"{lo_s}, {hi_s}"

    with np.errstate(all="ignore"):
        fz, _ = formula.f_and_df(_HZ, **params)
    if np.all(np.isfinite(fz)):
        mean, amean = float(np.dot(_HW, fz)), float(np.dot(_HW, np.abs(fz)))
    else:
        mean = amean = math.nan
    both_signs = fmin < -1e-12 * span and fmax > 1e-12 * span
    zero_centred = bool(both_signs and math.isfinite(mean) and abs(mean) <= 0.1 * amean)

    core_dmax = float(np.max(np.abs(do[core]))) if core.any() else dmax
    left, right = xo <= -5000.0, xo >= 5000.0
    sat_left = bool(left.any() and not np.isinf(f[xs <= -5000.0]).any()
                    and np.max(np.abs(do[left])) <= 1e-3 * core_dmax)
    sat_right = bool(right.any() and not np.isinf(f[xs >= 5000.0]).any()
                     and np.max(np.abs(do[right])) <= 1e-3 * core_dmax)
    saturates = {(True, True): "both", (True, False): "left", (False, True): "right"}.get((sat_left, sat_right), "none")

    jumps = [] if formula.kinks_known else _jumps(xo[core], fo[core], do[core])
    smooth = not kinks and not jumps and undefined is None

    notes = []
    if kinks:
        shown = ", ".join(f"{k:.6g}" for k in kinks[:6]) + ("…" if len(kinks) > 6 else "")
        notes.append("not differentiable at x = " + shown.replace("-", "−"))
    if jumps:
        notes.append("f or f′ appears to jump near x ≈ " + ", ".join(f"{k:.3g}" for k in jumps[:6]))
    if not formula.kinks_known:
        notes.append("some kinks could not be located exactly (a condition or max/min argument is not linear in x)")
    if not (nonneg or nonpos) and argmin is not None and not below:
        notes.append(f"dips to ≈ {fmin:.4g} at x ≈ {argmin:.4g}".replace("-", "−"))
    if nonpos and not nonneg:
        notes.append("decreasing")
    if undefined:
        notes.append("f or f′ is " + undefined)
    if overflow:
        notes.append("f or f′ is " + overflow)
    notes.append("measured numerically on [−1e4, 1e4]")
    props = Properties(
        output_range=output_range,
        monotonic=nonneg or nonpos,
        smooth=bool(smooth),
        zero_centred=zero_centred,
        bounded_below=not below,
        bounded_above=not above,
        saturates=saturates,  # type: ignore[arg-type]
        notes="; ".join(notes) + ".",
    )
    return Measurements(
        props, -math.inf if below else fmin, math.inf if above else fmax, argmin, argmax, nonneg, nonpos,
        mean, amean, kinks, formula.kinks_known, undefined, overflow,
    )
