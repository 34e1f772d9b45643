"""Properties of a formula, measured numerically (the catalogue's are declared by hand).

The grid: 4001 points on [−20, 20] (step 0.01, x = 0 among them), a geometric tail of 299
points each side out to ±1e4, the kinks and every candidate breakpoint (abs/max/min ties,
where-conditions). Then the places the grid cannot see are looked for between neighbouring
points a, b (see :func:`_refine`):

* an edge of where f is finite (f finite at one, not at the other: a pole on the grid, a
  domain edge such as sqrt's or log's, an overflow),
* f moving against its own slope (f′(a), f′(b) ≥ 0 but f(b) < f(a), or the mirror image:
  a pole or a jump in between),
* f′ changing sign (a turning point, or a pole of even order, a log-like spike or a cusp).

Each is bisected to neighbouring doubles (the edge of finiteness, the crossing of the
midway value, the sign change of f′; all at once, vectorised). A turning point where |f′|
fell is a sample like the grid's. Otherwise f is followed towards the point from each side
at distances shrinking 1000× a step: values still moving by steps that do not shrink
(ratio ≥ 0.99: poles, log(x) at 0) make f unbounded in that direction (a pole: "f → ±∞ near
x = …"); steps shrinking geometrically have a limit (extrapolated; sqrt's edge, a cusp),
which is part of the range, reached when f there is that limit. Non-finite values are never
values of the range, but f finite where f′ is not (sqrt(0), abs(x)^0.5 at 0) is. On that:

* ``monotonic``: f′ ≥ −tol everywhere (non-decreasing) or f′ ≤ tol (non-increasing), and
  f itself never steps the other way (a jump counts); tol = 1e-12·max|f′|.
* ``bounded_below``/``bounded_above``: f is unbounded in a direction when it is still
  moving that way at the end of the grid, i.e. |x·f′(x)| ≥ 0.01 at x = ±1e4 (log-like
  growth or faster) with f at that end within 1e-9 of its extreme, or when it overflows,
  unless f has a limit there (followed out to ±1e300: see :func:`_far_tail`; x^−0.3 → 0).
  (So softsign's 1 − 1/x approach counts as bounded and log(1 + |x|) as unbounded.) Also
  unbounded: towards a pole or log-like spike found as above, and where f is ±∞ on the grid.
* ``zero_centred``: takes both signs and |E f(Z)| ≤ 0.1·E|f(Z)| for Z ~ N(0, 1), by
  101-point Gauss–Hermite quadrature (never next to a pole: E|f(Z)| need not exist).
* ``smooth`` (C¹): no kinks (see :mod:`.kinks`); when the kinks cannot all be found, no jump
  of f or f′ between neighbouring grid points that stands out from its neighbours.
* ``saturates`` (f′ → 0 as x → ±∞, Gulcehre et al. 2016): followed out to ±1e300 with f (see
  :func:`_far_tail`), |f′| is 0 there or shrinks like |x|^−k with a steady k ≥ 0.005 (√x and
  log x saturate; x·σ(x) + 10⁻⁴x, whose slope tends to 10⁻⁴, does not). Where f or f′ is not
  finite out there (exp(x)), on the grid: |f′| beyond |x| = 5000 is at most 1e-3 of its largest
  value on [−20, 20], leaving out the unit neighbourhoods of the points where f or f′ is not
  finite or blows up (1/x's f′ near 0 says nothing about its tails).
* ``output_range``: the extremes of the finite values of f and of the limits found above,
  with "[" when reached at a turning point or on a flat stretch inside [−20, 20], at an edge
  of where f is defined, where f′ is not finite, or at a limit's point, and "(" when only
  approached (in a tail, or towards a point); a bound approached in a tail is f's limit
  there (:func:`_far_tail`; else extrapolated from the last two grid points, f ≈ L + C|x|^−k),
  so softsign's is 1, not 0.9999, and 1/x²'s and exp(−x/100)'s 0. Exact when an integer or short decimal, else "≈" and 4 digits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from app.core.activations import Properties
from app.core.curves import without_underflow

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
    v += 0.0  # −0 is 0 (−x²'s maximum)
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


# beyond the grid's end, for the limits of f as x → ±∞: |x| = 1e4 … 1e300
FAR = 10.0 ** np.array([4, 4.5, 5, 6, 7, 8, 10, 12, 16, 20, 25, 32, 40, 50, 64, 80, 100, 128, 160, 200, 256, 300])


@dataclass(frozen=True)
class _Tail:
    limit: float | None  # f's limit as x → ±∞, if found
    tol: float  # how far off the limit may be
    lo: float  # the extremes of f's finite values out there
    hi: float
    flattens: bool | None  # f′ → 0 (None: too few finite points out there to tell)


def _far_tail(evalf, side: int) -> _Tail | None:
    """f's limit L as x → side·∞ and how far off it may be (limit None when none is found),
    with the extremes of the values f takes on the way (x·cos x: ±1e299, beyond any bound).

    f is followed out to |x| = 1e300, as far as f and f′ stay finite. Settled: f′ = 0 at 1e4
    (tanh), or f stops moving, having moved only the way its slope at 1e4 points (exp(−x/3000)
    → 0, softsign → 1). Otherwise a power law f ≈ L + C|x|^−k (x^−0.3, 1/√(1 + |x|)): with
    r = x·f′ = −kC|x|^−k, the same k ≥ 0.005 from the last three points (within 5 %), and
    L = f + r/k, known to 1e-3 of r/k. log x, log(log x) and 1/log x have no such k."""
    xs = side * FAR
    with np.errstate(all="ignore"):
        f, d = evalf(xs)
        r = xs * d
    ok = np.isfinite(f) & np.isfinite(r)
    m = ok.size if ok.all() else int(np.argmin(ok))
    if m == 0:
        return None
    f, r = f[:m], r[:m]
    lo, hi = float(f.min()), float(f.max())
    flat = _flattens(xs[:m], np.abs(d[:m]))
    if r[0] == 0.0:
        return _Tail(float(f[0]), 0.0, lo, hi, flat)
    tol = 1e-12 * float(np.max(np.abs(f)))
    steps = np.diff(f)
    if m >= 3 and np.all(steps * np.sign(r[0]) >= -tol) and abs(steps[-1]) <= tol and abs(steps[-2]) <= tol:
        return _Tail(float(f[-1]), tol, lo, hi, flat)
    if m < 3 or not (np.all(r[-3:] > 0) or np.all(r[-3:] < 0)):
        return _Tail(None, 0.0, lo, hi, flat)
    lg = np.log10(np.abs(xs[:m]))
    k1 = math.log10(r[-3] / r[-2]) / (lg[-2] - lg[-3])
    k2 = math.log10(r[-2] / r[-1]) / (lg[-1] - lg[-2])
    if k2 < 0.005 or abs(k1 - k2) > 0.05 * k2:
        return _Tail(None, 0.0, lo, hi, flat)
    return _Tail(float(f[-1] + r[-1] / k2), 1e-3 * abs(float(r[-1]) / k2), lo, hi, flat)


def _flattens(xs: np.ndarray, slope: np.ndarray) -> bool | None:
    """Does |f′| (at the far points ``xs``) tend to 0: 0 at the last point, or shrinking like
    |x|^−k over the last three with a steady k ≥ 0.005 (within a quarter: an oscillating
    slope such as x·sin(x)'s does not shrink steadily)? None with fewer than three points."""
    if slope.size < 3:
        return None
    if slope[-1] == 0.0:
        return True
    a, b, c = (float(v) for v in slope[-3:])
    if not a >= b >= c > 0.0:
        return False
    lg = np.log10(np.abs(xs[-3:]))
    k1 = math.log10(a / b) / (lg[1] - lg[0])
    k2 = math.log10(b / c) / (lg[2] - lg[1])
    return bool(min(k1, k2) >= 0.005 and abs(k1 - k2) <= 0.25 * max(k1, k2))


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


_SIGN_BIT = np.int64(-0x8000000000000000)
_MAGNITUDE = np.int64(0x7FFFFFFFFFFFFFFF)
APPROACH_STEPS = 6  # distances δ0·1000^−j, j = 0…5, towards a point (the nearest at ≥ 64 ulps)
DIVERGES = 0.99  # every step at least this share of the one before: f does not settle (log: 1)


def _key(x: np.ndarray) -> np.ndarray:
    """Doubles as int64 in the same order (neighbouring doubles are neighbouring integers)."""
    i = np.ascontiguousarray(x, dtype=np.float64).view(np.int64)
    return np.where(i < 0, -(i & _MAGNITUDE), i)


def _unkey(k: np.ndarray) -> np.ndarray:
    return np.where(k < 0, (-k) | _SIGN_BIT, k).astype(np.int64).view(np.float64)


def _bisect(evalf, lo: np.ndarray, hi: np.ndarray, side) -> tuple[np.ndarray, np.ndarray]:
    """Shrink every [lo, hi] to neighbouring doubles, keeping ``side(f, d, x)`` at lo what it
    was and at hi the other (at most 64 halvings of the doubles in between, all at once)."""
    at_lo = side(*evalf(lo), lo)
    klo, khi = _key(lo), _key(hi)
    for _ in range(70):
        mid = klo // 2 + khi // 2 + ((klo & 1) + (khi & 1)) // 2  # (no overflow)
        active = (mid > klo) & (mid < khi)
        if not active.any():
            break
        xm = _unkey(mid)
        same = side(*evalf(xm), xm) == at_lo
        klo = np.where(active & same, mid, klo)
        khi = np.where(active & ~same, mid, khi)
    return _unkey(klo), _unkey(khi)


def _settles(values: np.ndarray) -> tuple[int, float]:
    """How f behaves along values at distances shrinking 1000× towards a point (nearest
    last): (+1 or −1, inf) when it grows without bound that way (reaches ±∞, or keeps moving
    the same way by steps that do not shrink: poles, log-like spikes), (0, L) when it settles
    to a limit L (extrapolated from the last steps' ratio), (0, nan) when it cannot tell."""
    finite_run = values[np.flatnonzero(np.isnan(values))[-1] + 1:] if np.isnan(values).any() else values
    inf = np.flatnonzero(np.isinf(finite_run))
    if inf.size:
        return int(np.sign(finite_run[inf[0]])), math.inf
    v = finite_run
    if v.size < 3:
        return 0, math.nan
    steps = np.diff(v)
    scale = float(np.max(np.abs(v)))
    ratios = np.abs(steps[1:]) / np.maximum(np.abs(steps[:-1]), 1e-300)
    if (np.all(steps > 0) or np.all(steps < 0)) and np.all(ratios >= DIVERGES) and abs(steps[-1]) > 1e-9 * scale:
        return int(np.sign(steps[-1])), math.inf
    r = float(steps[-1] / steps[-2]) if steps[-2] != 0.0 else 0.0
    with np.errstate(all="ignore"):
        limit = float(v[-1] + (steps[-1] * r / (1.0 - r) if 0.0 < r < DIVERGES else 0.0))
    if not math.isfinite(limit):
        return 0, math.nan
    return 0, (0.0 if abs(limit) <= 1e-6 * scale else limit)


@dataclass(frozen=True)
class _Found:
    """What :func:`_refine` found between the grid's points."""

    x: np.ndarray  # points to add to the samples (turning points, edges of where f is defined), with f, f′
    f: np.ndarray
    d: np.ndarray
    limits: tuple[tuple[float, bool, float], ...]  # (limit, reached there?, x) of f towards a point
    blowups: tuple[tuple[float, int, int], ...]  # (x, side −1 left / +1 right, direction −1/+1) where f → ±∞
    singular: tuple[float, ...]  # where f or f′ is not finite or blows up (for saturation's reference)


def _refine(evalf, xs: np.ndarray, f: np.ndarray, d: np.ndarray) -> _Found:
    """Look between neighbouring samples for what the grid cannot see (see the module
    docstring): edges of where f is finite, f moving against its slope, f′ changing sign."""
    fin = np.isfinite(f)
    a, b, fa, fb, da, db = xs[:-1], xs[1:], f[:-1], f[1:], d[:-1], d[1:]
    ok2 = fin[:-1] & fin[1:] & np.isfinite(da) & np.isfinite(db)
    with np.errstate(all="ignore"):
        rise = fb - fa
        tol = 1e-9 * (np.abs(fa) + np.abs(fb))
        up, down = (da >= 0) & (db >= 0) & ((da > 0) | (db > 0)), (da <= 0) & (db <= 0) & ((da < 0) | (db < 0))
        against = ok2 & ((up & (rise < -tol)) | (down & (rise > tol)))
        turn = ok2 & (da * db < 0) & ~against
        mid = 0.5 * (fa + fb)
    edge = fin[:-1] != fin[1:]
    # an edge next to a single point where f is not finite (sin(x)/x at 0): a hole, not the end
    # of a domain, so the values next to it are only approached
    bad = np.arange(a.size) + fin[:-1]  # the sample where f is not finite, for an edge
    hole = edge & (bad >= 1) & (bad <= xs.size - 2) & fin[np.clip(bad - 1, 0, xs.size - 1)] & fin[np.clip(bad + 1, 0, xs.size - 1)]
    kind = np.full(a.size, -1)
    kind[turn], kind[against], kind[edge] = 2, 1, 0
    idx = np.flatnonzero(kind >= 0)
    empty = np.empty(0)
    if not idx.size:
        return _Found(empty, empty, empty, (), (), tuple(xs[fin & ~np.isfinite(d)]))
    k, thr = kind[idx], mid[idx]

    def side(fv, dv, _x):
        with np.errstate(invalid="ignore"):
            return np.where(k == 0, np.isfinite(fv), np.where(k == 1, fv > thr, dv > 0))

    lo, hi = _bisect(evalf, a[idx], b[idx], side)
    (f_lo, f_hi), (d_lo, d_hi) = (np.split(v, 2) for v in evalf(np.concatenate([lo, hi])))
    with np.errstate(all="ignore"):
        d_end = np.maximum(np.abs(da[idx]), np.abs(db[idx]))
        smooth_turn = (k == 2) & np.isfinite(f_lo) & np.isfinite(f_hi) & (np.maximum(np.abs(d_lo), np.abs(d_hi)) <= d_end)
        # f moved against its slope but crosses the midway value continuously (sin's tail
        # between sparse samples): nothing to follow
        crossing = (k == 1) & (np.abs(f_hi - f_lo) <= 1e-3 * np.abs(fb[idx] - fa[idx]))

    # follow f towards the rest from the side(s) where it is finite
    pts, sides, d0, who = [], [], [], []
    for j in np.flatnonzero(~smooth_turn & ~crossing):
        width = float(b[idx[j]] - a[idx[j]])
        for sgn, x0, f0, room in ((-1, lo[j], f_lo[j], lo[j] - a[idx[j]]), (+1, hi[j], f_hi[j], b[idx[j]] - hi[j])):
            if k[j] == 0 and not math.isfinite(f0):
                continue  # an edge: only from its finite side
            pts.append(x0)
            sides.append(sgn)
            d0.append(room if room > 0 else 0.5 * width)
            who.append((j, f0))
    add_x = [lo[smooth_turn], hi[smooth_turn]]
    add_f = [f_lo[smooth_turn], f_hi[smooth_turn]]
    add_d = [d_lo[smooth_turn], d_hi[smooth_turn]]
    limits, blowups = [], []
    singular = list(xs[fin & ~np.isfinite(d)])
    if pts:
        p, sg, dd = np.array(pts), np.array(sides, dtype=float), np.array(d0)
        delta = dd[:, None] * 1e-3 ** np.arange(APPROACH_STEPS)
        usable = delta >= 64.0 * np.spacing(np.abs(p))[:, None]
        xq = p[:, None] + sg[:, None] * delta
        fq = evalf(xq.ravel())[0].reshape(xq.shape)
        for r, ((j, f0), sgn) in enumerate(zip(who, sides)):
            x0 = float(p[r])
            singular.append(x0)
            direction, limit = _settles(fq[r][usable[r]])
            if direction:
                # the point itself: where f stops being finite (an edge), else the bracket's middle
                at = float(hi[j] if sgn < 0 else lo[j]) if k[j] == 0 else x0
                blowups.append((at, sgn, direction))
                continue
            if k[j] == 0 and not hole[idx[j]]:  # an edge where f settles (sqrt's at 0): its value there is one of f's
                add_x.append(np.array([x0]))
                add_f.append(np.array([f0]))
                add_d.append(np.array([d_lo[j] if sgn < 0 else d_hi[j]]))
            if math.isfinite(limit):  # (sqrt(x² − 2) at the double next to √2 is 2e−8, its limit 0)
                reached = (math.isfinite(f0) and not (k[j] == 0 and hole[idx[j]])
                           and abs(f0 - limit) <= 1e-6 * max(abs(float(fq[r][0]) - limit), 1e-300))
                limits.append((limit, reached, x0))
    return _Found(np.concatenate(add_x), np.concatenate(add_f), np.concatenate(add_d), tuple(limits), tuple(blowups),
                  tuple(float(v) for v in singular))


def _where(x: float) -> str:
    return ("0" if abs(x) < 1e-12 else f"{x:.6g}").replace("-", "−")


def _blowup_note(blowups: tuple[tuple[float, int, int], ...]) -> str | None:
    """'f → ±∞ near x = 0 (−∞ from the left, ∞ from the right)' for each point (up to 4)."""
    points: list[list] = []  # [x, {side: direction}]
    for x, sgn, direction in sorted(blowups):
        if points and abs(x - points[-1][0]) <= 1e-9 * max(1.0, abs(x)):
            points[-1][1][sgn] = direction
        else:
            points.append([x, {sgn: direction}])
    if not points:
        return None
    parts = []
    for x, by_side in points[:4]:
        inf = {s: "−∞" if g < 0 else "∞" for s, g in by_side.items()}
        if len(inf) == 2 and inf[-1] == inf[1]:
            how = f"{inf[1]} from both sides"
        else:
            how = ", ".join(f"{inf[s]} from the {'left' if s < 0 else 'right'}" for s in (-1, 1) if s in inf)
        parts.append(f"x = {_where(x)} (f → {how})")
    return "unbounded near " + "; ".join(parts) + ("…" if len(points) > 4 else "")


def measure(formula, params: dict) -> Measurements:
    kinks = tuple(k for k in formula.kinks(**params) if abs(k) <= 1e4)
    breaks = [v for v in formula.breakpoints(**params) if abs(v) <= 1e4]
    grid = np.unique(np.concatenate([GRID, np.array(kinks + tuple(breaks), dtype=float)]))

    def evalf(x):
        return formula.f_and_df(x, **params)

    f, d = evalf(grid)
    nan = np.isnan(f) | np.isnan(d)
    undefined = overflow = None
    if nan.any():
        undefined = f"undefined (NaN) at {int(nan.sum())} of {grid.size} sampled x, from x = {grid[nan][0]:.4g}"
    inf = np.isinf(f) | np.isinf(d)
    if inf.any():
        overflow = f"not finite at {int(inf.sum())} of {grid.size} sampled x, from x = {grid[inf][0]:.4g}"
    found = _refine(evalf, grid, f, d)
    xs, first = np.unique(np.concatenate([grid, found.x]), return_index=True)
    f, d = np.concatenate([f, found.f])[first], np.concatenate([d, found.d])[first]

    okf = np.isfinite(f)  # the values of f (also where f′ is not finite: sqrt(0))
    ok = okf & np.isfinite(d)
    xo, fo, do = xs[ok], f[ok], d[ok]
    ff = f[okf]
    core = (xo >= -20.0) & (xo <= 20.0)
    if xo.size < 2:
        props = Properties("undefined", False, False, False, False, False, "none",
                           "f or f′ is not finite almost everywhere on [−1e4, 1e4]")
        return Measurements(props, math.nan, math.nan, None, None, False, False, math.nan, math.nan, kinks,
                            formula.kinks_known, undefined, overflow)

    dmax = float(np.max(np.abs(do))) if do.size else 0.0
    tol = 1e-12 * max(dmax, 1e-300)
    steps = np.diff(ff)
    ftol = 1e-12 * (1.0 + np.abs(ff[:-1]))
    nonneg = bool(np.all(do >= -tol) and np.all(steps >= -ftol))
    nonpos = bool(np.all(do <= tol) and np.all(steps <= ftol))

    lim_lo = min(found.limits, default=None)
    lim_hi = max(found.limits, default=None)
    fmin = min(float(ff.min()), lim_lo[0] if lim_lo else math.inf)
    fmax = max(float(ff.max()), lim_hi[0] if lim_hi else -math.inf)
    span = max(abs(fmin), abs(fmax), 1e-300)

    # f's limits as x → ±∞ (x^−0.3 → 0: still moving at 1e4, yet bounded), by end of the finite grid
    far = {i: _far_tail(evalf, side) if abs(float(xo[i])) >= GRID[-1] else None for i, side in ((0, -1), (-1, 1))}
    tails = {i: (t.limit, t.tol) if t is not None and t.limit is not None else None for i, t in far.items()}
    for t in tails.values():
        if t is not None:
            fmin, fmax = min(fmin, t[0]), max(fmax, t[0])
    span = max(abs(fmin), abs(fmax), 1e-300)

    def unbounded(direction: int) -> bool:  # direction −1: below, +1: above
        if np.any(np.isinf(f) & (np.sign(f) == direction)) or any(g == direction for _, _, g in found.blowups):
            return True
        extreme = float(ff.max() if direction > 0 else ff.min())
        for i in (0, -1):  # the left and the right end of the finite grid
            if tails[i] is not None:
                continue
            t = far[i]  # no limit, and far beyond the grid's values that way (x·cos x): unbounded
            if t is not None and direction * (t.hi if direction > 0 else t.lo) >= 10.0 * max(abs(extreme), 1.0):
                return True
            x_end, f_end, d_end = float(xo[i]), float(fo[i]), float(do[i])
            rate = x_end * d_end * direction  # > 0: still moving toward ±∞ at the end
            if rate >= 0.01 and abs(f_end - extreme) <= 1e-9 * span + 1e-300:
                return True
        return False

    below, above = unbounded(-1), unbounded(+1)

    # where a value of f counts as reached: a turning point or flat stretch inside the core
    # (as measured on the samples where f′ is finite), an edge of where f is finite, or where
    # f′ is not finite (sqrt(0), abs(x)^0.5 at 0)
    reached = np.zeros(xs.size, dtype=bool)
    dd = without_underflow(do)
    lo_d = dd[np.maximum(np.arange(dd.size) - 1, 0)]
    hi_d = dd[np.minimum(np.arange(dd.size) + 1, dd.size - 1)]
    turning = (dd == 0.0) | (np.sign(lo_d) * np.sign(hi_d) < 0) | ((lo_d <= 0.0) & (hi_d >= 0.0)) | ((lo_d >= 0.0) & (hi_d <= 0.0))
    reached[np.flatnonzero(ok)[core & turning]] = True
    neighbour_not_finite = np.zeros(xs.size, dtype=bool)
    neighbour_not_finite[1:] |= ~okf[:-1]
    neighbour_not_finite[:-1] |= ~okf[1:]
    reached |= okf & (~np.isfinite(d) | neighbour_not_finite)

    def attained(target: float, limit: tuple[float, bool, float] | None) -> float | None:
        idx = np.flatnonzero(reached & (np.abs(f - target) <= 1e-12 * span))  # (NaN compares False)
        if idx.size:  # the closest to the extreme (x² near 0: x = 0, not the first point within tolerance)
            return float(xs[idx[np.argmin(np.abs(f[idx] - target))]])
        if limit is not None and limit[1] and abs(limit[0] - target) <= 1e-12 * span:
            return limit[2]
        return None

    argmin = None if below else attained(fmin, lim_lo)
    argmax = None if above else attained(fmax, lim_hi)

    def bound(value: float) -> str:
        """A bound only approached in a tail: its limit (0 when within its uncertainty of 0)."""
        for t in tails.values():
            if t is not None and abs(t[0] - value) <= 1e-12 * span:
                return _nice(0.0 if abs(t[0]) <= max(t[1], 1e-12 * span) else t[0], 1e-6 if t[1] else 1e-9)
        for end in (0, -1):
            if abs(float(fo[end]) - value) <= 1e-6 * span:
                limit = _tail_limit(xo, fo, do, end)
                if limit is not None:  # (1/x²'s 1e-8 − 1e-8 at ±1e4 is 0, not −3e−23)
                    return _nice(0.0 if abs(limit) <= 1e-6 * abs(float(fo[end])) else limit, 1e-6)
        return _nice(value)

    lo_s = "(−∞" if below else ("[" + _nice(fmin) if argmin is not None else "(" + bound(fmin))
    hi_s = "∞)" if above else (_nice(fmax) + "]" if argmax is not None else bound(fmax) + ")")
    output_range = f"{lo_s}, {hi_s}"

    with np.errstate(all="ignore"):
        fz, _ = formula.f_and_df(_HZ, **params)
    if np.all(np.isfinite(fz)) and not found.blowups:  # (E|f(Z)| need not exist next to a pole)
        mean, amean = float(np.dot(_HW, fz)), float(np.dot(_HW, np.abs(fz)))
    else:
        mean = amean = math.nan
    both_signs = fmin < -1e-12 * span and fmax > 1e-12 * span
    zero_centred = bool(both_signs and math.isfinite(mean) and abs(mean) <= 0.1 * amean)

    # f′'s scale on the core, away from where f or f′ is not finite or blows up
    bad = np.sort(np.concatenate([np.array(found.singular, dtype=float), xs[~okf]]))
    if bad.size:
        i = np.searchsorted(bad, xo)
        gap = np.minimum(np.abs(xo - bad[np.maximum(i - 1, 0)]), np.abs(xo - bad[np.minimum(i, bad.size - 1)]))
    else:
        gap = np.full(xo.size, np.inf)
    ref = core & (gap >= 1.0)
    core_dmax = float(np.max(np.abs(do[ref]))) if ref.any() else float(np.max(np.abs(do[core]))) if core.any() else dmax

    def saturates_on(i: int, side: np.ndarray) -> bool:  # i: the finite grid's end (0 or −1)
        t = far[i]
        if t is not None and t.flattens is not None:
            return t.flattens
        return bool(side.any() and not np.isinf(f[xs <= -5000.0] if i == 0 else f[xs >= 5000.0]).any()
                    and np.max(np.abs(do[side])) <= 1e-3 * core_dmax)

    sat_left, sat_right = saturates_on(0, xo <= -5000.0), saturates_on(-1, xo >= 5000.0)
    saturates = {(True, True): "both", (True, False): "left", (False, True): "right"}.get((sat_left, sat_right), "none")

    jumps = [] if formula.kinks_known else _jumps(xo[core], fo[core], do[core])
    smooth = not kinks and not jumps and undefined is None and not found.blowups  # (1/x is not C¹ at its pole)

    notes = []
    if kinks:
        shown = ", ".join(f"{k:.6g}" for k in kinks[:6]) + ("…" if len(kinks) > 6 else "")
        notes.append("not differentiable at x = " + shown.replace("-", "−"))
    if jumps:
        notes.append("f or f′ appears to jump near x ≈ " + ", ".join(f"{k:.3g}" for k in jumps[:6]))
    if not formula.kinks_known:
        notes.append("some kinks could not be located exactly (a condition or max/min argument is not linear in x)")
    if not (nonneg or nonpos) and argmin is not None and not below:
        at = _nice(argmin)
        notes.append(f"dips to {_nice(fmin)} at x {at if at.startswith('≈') else '= ' + at}")
    if nonpos and not nonneg:
        notes.append("decreasing")
    blowup = _blowup_note(found.blowups)
    if blowup:
        notes.append(blowup)
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
