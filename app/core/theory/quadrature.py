"""Gaussian expectations of an activation that stay honest at kinks.

Everything in the Theory view is an expectation over Gaussian pre-activations,

    E[g(x)],  x = m + s·z,  z ~ N(0, 1)                              (1-D)
    E[g₁(u₁)·g₂(u₂)],  (u₁, u₂) ~ N(0, q·[[1, c], [c, 1]])            (2-D)

with g built from φ and φ′. A Gauss–Hermite rule assumes g is smooth; at a kink of φ
(or a jump of φ′) it converges slowly and silently. So the rules here split the line:

* **Panel rule** (kinks known, or ``smooth=True``): z ∈ [−Z, Z] is cut into unit panels,
  and also at every kink (z = (k − m)/s) and at "scale points" x ∈ {0, ±2ʲ}, which refine
  geometrically towards x = 0 where activations bend (tanh(√q·z) for q = 10⁴ turns over
  within |z| < 0.01). Every smooth piece gets Gauss–Legendre; the weight is the N(0, 1)
  density. The window is also cut to |x| ≤ 10⁴, where the catalogue promises finite
  values; with q ≤ Q_MAX = 10⁶ that drops mass beyond |z| = 10 (< 10⁻²²).
* **Adaptive rule** (``kinks=None`` and not smooth: a user formula with unknown kinks):
  bisection with a 20- vs 10-point Gauss–Legendre error estimate, vectorised over all
  intervals and rows at once (``scipy.integrate.quad_vec`` does the same one node per
  Python call: ~1 s per expectation, too slow for a fixed-point solve), with bounded work.
* **2-D rule**: the 1-D reduction E[g₁(u₁)·E[g₂(u₂) | u₁]], with u₂ | z₁ ~
  N(√q·c·z₁, q(1 − c²)). The inner rule differs per outer node (the kinks of g₂ sit at
  z₂ = (k − √q c z₁)/(√q √(1 − c²))), so each row is sorted separately; the outer rule
  adds panels around z₁ = k/(√q c), where the inner expectation bends over a width
  √(1 − c²)/|c|. Unknown kinks are located first (:func:`locate_kinks`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from .. import activations as acts

Array = np.ndarray
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
# func(x, z) -> list of arrays shaped like x: the integrands, evaluated at x = m + s·z
Integrand = Callable[[Array, Array], Sequence[Array]]

X_MAX = 1e4  # activations are promised finite (and meaningful) for |x| ≤ 1e4
Z_MAX = 38.0  # the N(0, 1) density is below 1e-313 beyond |z| = 38
Z_2D = 10.0  # 2-D rule: the mass beyond |z| = 10 is 1.5e-23
Z_HERMITE = 14.0  # φ(z)·√pdf(z) falls like e^{-z²/4}: below 1e-21 beyond |z| = 14 for |φ| ≤ |z|
Q_TINY = 1e-30  # q → 0⁺ limits are evaluated here
Q_MAX = 1e6  # pre-activation variance above which q counts as diverged

GL_1D = np.polynomial.legendre.leggauss(12)
GL_2D = np.polynomial.legendre.leggauss(10)
SCALE_1D = np.concatenate(([0.0], 2.0 ** np.arange(-4, 14), -(2.0 ** np.arange(-4, 14))))
SCALE_2D = np.concatenate(([0.0], 2.0 ** np.arange(-2, 5), -(2.0 ** np.arange(-2, 5))))
# unit panels on |z| ≤ 12, where the mass of any polynomially bounded φ lies; width 2 beyond
BASE_1D = np.concatenate((-np.arange(Z_MAX, 12.0, -2.0), np.linspace(-12.0, 12.0, 25), np.arange(14.0, Z_MAX + 1.0, 2.0)))
BASE_2D = np.linspace(-Z_2D, Z_2D, 21)
SOFT_KINK_STEPS = np.array([-8.0, -4.0, -2.0, -1.0, 1.0, 2.0, 4.0, 8.0])
_GL_HI = np.polynomial.legendre.leggauss(20)
_GL_LO = np.polynomial.legendre.leggauss(10)
ADAPTIVE_ROUNDS = 64
ADAPTIVE_MAX_INTERVALS = 4096
ADAPTIVE_POINTS = np.array([-16.0, -8.0, -4.0, -2.0, -1.0, 0.0, 1.0, 2.0, 4.0, 8.0, 16.0])
MAX_LOCATED_KINKS = 32


@dataclass(frozen=True)
class Phi:
    """An activation as the theory needs it: value f, exact derivative df, kinks.

    ``kinks`` are the x where f or f′ is not smooth; ``None`` means unknown (a typed
    formula): they are then located numerically once (:func:`locate_kinks`, cached), and
    1-D expectations are also adaptive. ``smooth=True`` with ``kinks=None`` asserts there
    are none. f must be continuous; df is only integrated, so its value at a kink is moot.
    """

    f: Callable[[Array], Array]
    df: Callable[[Array], Array]
    kinks: tuple[float, ...] | None = None
    smooth: bool = False
    name: str = "φ"
    _located: list = field(default_factory=list, init=False, repr=False, compare=False)
    _grid: list = field(default_factory=list, init=False, repr=False, compare=False)  # (see meanfield.grid_second_moments)

    def __post_init__(self) -> None:
        if self.kinks is not None:
            clean = sorted({float(k) for k in self.kinks if math.isfinite(k)})
            object.__setattr__(self, "kinks", tuple(clean))

    @property
    def adaptive(self) -> bool:
        return self.kinks is None and not self.smooth

    def known_kinks(self) -> tuple[float, ...]:
        """The declared kinks, or (kinks unknown) those located numerically in |x| ≤ X_MAX."""
        if self.kinks is not None:
            return self.kinks
        if self.smooth:
            return ()
        if not self._located:
            self._located.append(locate_kinks(self))
        return self._located[0]


def phi_from_activation(act: acts.Activation, params: Mapping[str, object] | None = None) -> Phi:
    """The catalogue activation at these parameters (defaults filled in and validated).
    Stochastic activations give their deterministic mean curve."""
    p = acts.resolve_params(act, params or {}, text_numbers=False)
    formula = getattr(act, "formula", None)
    if formula is not None and not formula.kinks_known:  # a typed formula whose kinks could not be found exactly
        return Phi(lambda x: act.f(x, **p), lambda x: act.df(x, **p), None, False, act.id)
    kinks = tuple(act.kinks(**p))
    return Phi(lambda x: act.f(x, **p), lambda x: act.df(x, **p), kinks, not kinks, act.id)


# --------------------------------------------------------------------------- 1-D


def _pdf(z: Array) -> Array:
    """N(0, 1) density for |z| ≤ 38.5 (subnormal at the far end, never a warning)."""
    with np.errstate(under="ignore"):
        return np.exp(-0.5 * z * z) * _INV_SQRT_2PI


def _window(mean: Array, std: Array, z_max: float) -> tuple[Array, Array]:
    """[lo, hi] in z: |z| ≤ z_max and |m + s·z| ≤ X_MAX (the whole |z| ≤ z_max if that is empty)."""
    lo = np.maximum(-z_max, (-X_MAX - mean) / std)
    hi = np.minimum(z_max, (X_MAX - mean) / std)
    empty = lo >= hi
    return np.where(empty, -z_max, lo), np.where(empty, z_max, hi)


def _panels(edges: Array, lo: Array, hi: Array, gl: tuple[Array, Array]) -> tuple[Array, Array]:
    """Gauss–Legendre nodes and plain weights (no density) on the panels between the
    sorted, window-clipped ``edges`` (one row per integral; zero-width panels weigh 0)."""
    e = np.sort(np.clip(edges, lo[:, None], hi[:, None]), axis=1)
    half = 0.5 * (e[:, 1:] - e[:, :-1])
    mid = 0.5 * (e[:, 1:] + e[:, :-1])
    z = (mid[..., None] + half[..., None] * gl[0]).reshape(len(e), -1)
    w = (half[..., None] * gl[1]).reshape(len(e), -1)
    return z, w


def panel_rule(
    mean: Array, std: Array, breaks_x: Sequence[float], *, z_max: float = Z_MAX, base: Array = BASE_1D,
    scale: Array = SCALE_1D, gl: tuple[Array, Array] = GL_1D,
) -> tuple[Array, Array]:
    """Nodes z (B, M) and weights w (B, M), density included, with Σ w·g(m + s·z) ≈ E[g(m + s·z)]
    for each row's (m, s); panels end at the x-breakpoints ``breaks_x`` and at the scale points."""
    mean = np.atleast_1d(np.asarray(mean, dtype=float))
    std = np.atleast_1d(np.asarray(std, dtype=float))
    mean, std = np.broadcast_arrays(mean, std)
    lo, hi = _window(mean, std, z_max)
    pts = np.concatenate((np.asarray(breaks_x, dtype=float), scale))
    zp = (pts[None, :] - mean[:, None]) / std[:, None]
    zp = zp[:, np.any((zp > lo[:, None]) & (zp < hi[:, None]), axis=0)]  # drop points outside every row's window
    edges = np.concatenate((np.broadcast_to(base, (len(mean), len(base))), zp), axis=1)
    z, w = _panels(edges, lo, hi, gl)
    return z, w * _pdf(z)


def gauss_expect(phi: Phi, func: Integrand, mean: Array | float = 0.0, std: Array | float = 1.0) -> Array:
    """E[func(x, z)] with x = mean + std·z, z ~ N(0, 1), per row: shape (n_integrands, B).

    ``func`` returns a list of integrands (arrays shaped like x); it calls phi.f / phi.df
    itself, so one evaluation of each serves several integrands."""
    mean = np.atleast_1d(np.asarray(mean, dtype=float))
    std = np.maximum(np.atleast_1d(np.asarray(std, dtype=float)), math.sqrt(Q_TINY))
    mean, std = np.broadcast_arrays(mean, std)
    if phi.adaptive:
        return _adaptive_expect(func, mean, std, phi.known_kinks())
    z, w = panel_rule(mean, std, phi.kinks or ())
    x = mean[:, None] + std[:, None] * z
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        vals = np.stack([np.broadcast_to(np.asarray(v, dtype=float), x.shape) for v in func(x, z)])
        return np.where(w > 0, vals * w, 0.0).sum(axis=-1)


def _adaptive_expect(func: Integrand, mean: Array, std: Array, breaks_x: Sequence[float]) -> Array:
    """Adaptive bisection in z for all rows at once, starting from panels cut at the
    (located) kinks and the scale points: each interval gets 20- and 10-point
    Gauss–Legendre; it is accepted when they agree to 1e-13 of the row's ∫|g| (pro rata
    to its width) or it is narrower than 1e-13·(1 + |z|) (a jump), else halved. Bounded
    work: ADAPTIVE_ROUNDS rounds of at most ADAPTIVE_MAX_INTERVALS intervals."""
    n_rows = len(mean)
    lo, hi = _window(mean, std, Z_MAX)
    pts = np.concatenate((np.asarray(breaks_x, dtype=float), SCALE_1D))
    edges = np.concatenate((lo[:, None], np.broadcast_to(ADAPTIVE_POINTS, (n_rows, len(ADAPTIVE_POINTS))),
                            (pts[None, :] - mean[:, None]) / std[:, None], hi[:, None]), axis=1)
    edges = np.sort(np.clip(edges, lo[:, None], hi[:, None]), axis=1)
    row = np.repeat(np.arange(n_rows), edges.shape[1] - 1)
    a, b = edges[:, :-1].ravel(), edges[:, 1:].ravel()
    keep = b > a
    row, a, b = row[keep], a[keep], b[keep]
    nodes = np.concatenate((_GL_HI[0], _GL_LO[0]))
    total: Array | None = None
    tol = None
    span = hi - lo
    for rnd in range(ADAPTIVE_ROUNDS):
        half, mid = 0.5 * (b - a), 0.5 * (a + b)
        z = mid[:, None] + half[:, None] * nodes
        x = mean[row][:, None] + std[row][:, None] * z
        with np.errstate(over="ignore", invalid="ignore", under="ignore"):
            vals = np.stack([np.asarray(v, dtype=float) * np.ones_like(x) for v in func(x, z)]) * _pdf(z)
            fine = (vals[..., : len(_GL_HI[0])] @ _GL_HI[1]) * half
            coarse = (vals[..., len(_GL_HI[0]):] @ _GL_LO[1]) * half
        err = np.max(np.abs(fine - coarse), axis=0)
        if total is None:
            total = np.zeros((len(fine), n_rows))
            tol = 1e-13 * np.bincount(row, weights=np.max(np.abs(fine), axis=0), minlength=n_rows) + 1e-300
        done = (err <= tol[row] * (b - a) / span[row]) | (b - a <= 1e-13 * (1.0 + np.abs(mid)))
        if rnd == ADAPTIVE_ROUNDS - 1 or 2 * np.count_nonzero(~done) > ADAPTIVE_MAX_INTERVALS:
            done[:] = True  # out of budget: keep the best estimates
        for j in range(len(fine)):
            total[j] += np.bincount(row[done], weights=fine[j, done], minlength=n_rows)
        todo = ~done
        if not todo.any():
            break
        row = np.concatenate((row[todo], row[todo]))
        a, b = np.concatenate((a[todo], mid[todo])), np.concatenate((mid[todo], b[todo]))
    assert total is not None
    return total


# --------------------------------------------------------------------------- kinks


def _locate_grid() -> Array:
    """x-grid for kink location: spacing 1e-3 on |x| ≤ 1, then growing by 0.1 % a step to X_MAX."""
    tail = np.minimum(1.001 ** np.arange(1, int(math.log(X_MAX) / math.log(1.001)) + 2), X_MAX)
    return np.unique(np.concatenate((-tail, np.linspace(-1.0, 1.0, 2001), tail)))


def locate_kinks(phi: Phi) -> tuple[float, ...]:
    """Where f′ (or f) jumps in |x| ≤ X_MAX, for a formula with unknown kinks.

    A jump shows as a first difference of f′ (or f) on a fine grid (:func:`_locate_grid`)
    much larger than its neighbours'; each is then bisected to ~1 ulp. Missed: kinks
    closer together than the grid spacing and jumps below 1e-8 relative. A steep smooth
    feature may be flagged too, which only adds a harmless breakpoint. Bounded work: at
    most MAX_LOCATED_KINKS (the largest jumps)."""
    x = _locate_grid()
    n = len(x)
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        vals = [np.nan_to_num(np.asarray(g(x), dtype=float) * np.ones_like(x)) for g in (phi.df, phi.f)]
    flagged = np.zeros(n - 1, dtype=bool)
    size = np.zeros(n - 1)
    for v in vals:
        d = np.abs(np.diff(v))
        # neighbours two and three cells away: a jump at a grid point splits over two cells
        pad = np.pad(d, 3, constant_values=0.0)
        neigh = np.max(np.stack([pad[0:-6], pad[1:-5], pad[5:-1], pad[6:]]), axis=0)
        jump = (d > 8.0 * neigh + 1e-8 * (1.0 + np.max(np.abs(v)))) & np.isfinite(d)
        flagged |= jump
        size = np.maximum(size, np.where(jump, d, 0.0))
    idx = np.flatnonzero(flagged)
    if idx.size == 0:
        return ()
    idx = idx[np.argsort(-size[idx])[:MAX_LOCATED_KINKS]]
    a, b = x[idx].copy(), x[idx + 1].copy()
    for _ in range(64):  # bisect: keep the half across which f′ (or f) changes more
        m = 0.5 * (a + b)
        with np.errstate(over="ignore", invalid="ignore", under="ignore"):
            left = np.zeros_like(m)
            right = np.zeros_like(m)
            for g in (phi.df, phi.f):
                ga, gm, gb = (np.nan_to_num(np.asarray(g(t), dtype=float) * np.ones_like(t)) for t in (a, m, b))
                left = np.maximum(left, np.abs(gm - ga))
                right = np.maximum(right, np.abs(gb - gm))
        go_left = left >= right
        a, b = np.where(go_left, a, m), np.where(go_left, m, b)
    return tuple(sorted({float(v) for v in 0.5 * (a + b)}))


# --------------------------------------------------------------------------- 2-D


def bivariate_expect(
    phi: Phi, g1: Callable[[Array], Array], g2: Callable[[Array], Array], c: float, q: float = 1.0,
    kinks: Sequence[float] | None = None,
) -> float:
    """E[g₁(u₁)·g₂(u₂)] for (u₁, u₂) ~ N(0, q·[[1, c], [c, 1]]), g₁ and g₂ smooth between
    the kinks of φ (``kinks`` overrides them; unknown kinks are located)."""
    c = float(np.clip(c, -1.0, 1.0))
    sq = math.sqrt(max(q, Q_TINY))
    if kinks is None:
        kinks = phi.known_kinks()
    k = np.asarray(kinks, dtype=float)
    s = math.sqrt(max(0.0, 1.0 - c * c))
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        if s < 1e-9:  # u₂ = ±u₁: a 1-D expectation (kinks of g₂(±u) included)
            z, w = panel_rule(0.0, sq, np.concatenate((k, math.copysign(1.0, c) * k)), z_max=Z_2D, base=BASE_2D, scale=SCALE_2D, gl=GL_2D)
            u = sq * z[0]
            return float(np.sum(w[0] * np.where(w[0] > 0, g1(u) * g2(math.copysign(1.0, c) * u), 0.0)))
        # outer: z₁, with extra panels where the inner expectation bends (z₁ ≈ k/(√q c))
        extra = [k]
        if abs(c) > 0 and s / abs(c) < 1.0:
            centres = k / c
            extra += [centres] + [centres + t * s / abs(c) * sq for t in SOFT_KINK_STEPS]
        z1, w1 = panel_rule(0.0, sq, np.concatenate(extra), z_max=Z_2D, base=BASE_2D, scale=SCALE_2D, gl=GL_2D)
        keep = w1[0] > 0
        z1, w1 = z1[0][keep], w1[0][keep]
        # inner: z₂ per outer node, u₂ = √q(c z₁ + s z₂)
        m2 = sq * c * z1
        z2, w2 = panel_rule(m2, np.full_like(m2, sq * s), k, z_max=Z_2D, base=BASE_2D, scale=SCALE_2D, gl=GL_2D)
        inner = np.sum(np.where(w2 > 0, g2(m2[:, None] + sq * s * z2) * w2, 0.0), axis=1)
        return float(np.sum(w1 * g1(sq * z1) * inner))
