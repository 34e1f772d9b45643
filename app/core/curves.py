"""Sampled activation curves: f(x), f'(x), the regions where the gradient dies or
saturates, and for stochastic activations a quantile band and seeded samples."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .activations import Activation, Array

# |f'(x)| below this counts as saturated (gradient too small to learn from).
SATURATION_EPS = 1e-2


@dataclass(frozen=True)
class Region:
    """An interval of x where the derivative is exactly 0 ("dead") or below ε ("saturated")."""

    kind: str
    x0: float
    x1: float


@dataclass(frozen=True)
class Curve:
    x: Array
    y: Array
    dy: Array
    regions: list[Region]
    band_p: tuple[float, float] | None = None
    band_low: Array | None = None
    band_high: Array | None = None
    sample_x: Array | None = None
    sample_y: Array | None = None


def grid(xmin: float, xmax: float, n: int) -> Array:
    return np.linspace(xmin, xmax, n)

# below this, a sampled f′ next to a run of exact zeros is a tail that underflowed, not a kink
UNDERFLOW = 1e-200


def without_underflow(d: np.ndarray) -> np.ndarray:
    """f′ with each run of exact zeros that a tail's underflow made (σ′(40x) = 0 for x > 18.6,
    where sigmoid(40x) rounds to 1 but never reaches it) given the sign of the slope it continues,
    so that it is no flat stretch where f would count as reached. A run is one where f′ beside it
    is below UNDERFLOW in size on each side it has (ReLU's x ≤ 0 has f′ = 1 beside it: flat)."""
    zero = d == 0.0
    if not zero.any() or zero.all():
        return d
    out = d.copy()
    edges = np.flatnonzero(np.diff(zero.astype(np.int8))) + 1
    for s, e in zip(np.concatenate(([0], edges)), np.concatenate((edges, [d.size]))):
        if not zero[s]:
            continue
        beside = [d[i] for i in (s - 1, e) if 0 <= i < d.size]
        if all(abs(v) < UNDERFLOW for v in beside):
            out[s:e] = math.copysign(1e-300, beside[0])
    return out


def flat_regions(x: Array, dy: Array, eps: float = SATURATION_EPS, beyond: tuple[bool, bool] = (True, True)) -> list[Region]:
    """Maximal runs of grid points where dy == 0 (dead) or 0 < |dy| < eps (saturated).

    A run of small slope is saturation only where it goes on to ±∞: it reaches an end of the
    grid and ``beyond`` says |f′| stays below ε past that end (left, right). Elsewhere it is a
    turning point or a plateau (swish's minimum, tanhshrink's x = 0) and is not marked. Exact zeros
    that a tail's underflow made (σ′ for x < −700, exp(1000x)′ for x < −0.75) are that tail's small slope, not dead."""
    dy = without_underflow(dy)
    kind = np.where(dy == 0, 1, np.where(np.abs(dy) < eps, 2, 0))
    regions: list[Region] = []
    if kind.size == 0:
        return regions
    # an isolated exact zero of f′ (tanhshrink's x = 0, a turning point on the grid) is no dead
    # stretch: part of the small-slope run around it, else nothing
    lone = (kind == 1) & (np.r_[0, kind[:-1]] != 1) & (np.r_[kind[1:], 0] != 1)
    if lone.any() and kind.size > 1:
        beside = (np.r_[0, kind[:-1]] == 2) | (np.r_[kind[1:], 0] == 2)
        kind = np.where(lone, np.where(beside, 2, 0), kind)
    # the stretches of small slope (dead or not) reaching an end of the grid that goes on flat
    small = kind > 0
    first_big = int(np.argmin(small)) if not small.all() else kind.size
    last_big = kind.size - 1 - int(np.argmin(small[::-1])) if not small.all() else -1
    edges = np.flatnonzero(np.diff(kind)) + 1
    starts = np.concatenate(([0], edges))
    ends = np.concatenate((edges, [kind.size]))
    for s, e in zip(starts, ends):
        k = kind[s]
        if k == 1:
            regions.append(Region("dead", float(x[s]), float(x[e - 1])))
        elif k == 2 and ((e <= first_big and beyond[0]) or (s > last_big and beyond[1])):
            regions.append(Region("saturated", float(x[s]), float(x[e - 1])))
    return regions


def stays_flat(act: Activation, params: dict, x: Array, eps: float = SATURATION_EPS) -> tuple[bool, bool]:
    """Whether |f′| stays below ε from each end of the grid x out to 10⁶ past it (left, right),
    sampled on a geometric grid of 64 offsets (points where f′ is NaN are skipped)."""
    step = float(x[1] - x[0]) if x.size > 1 else 1.0
    off = np.geomspace(max(step, 1e-6), 1e6, 64)
    out = []
    for edge, sign in ((x[0], -1.0), (x[-1], 1.0)):
        with np.errstate(all="ignore"):
            d = np.abs(act.df(edge + sign * off, **params))
        out.append(bool(np.all(d[~np.isnan(d)] < eps)))
    return out[0], out[1]


def sample_curve(
    act: Activation,
    params: dict,
    xmin: float,
    xmax: float,
    n: int,
    band: tuple[float, float] = (0.05, 0.95),
    samples: int = 0,
    seed: int = 0,
    eps: float = SATURATION_EPS,
) -> Curve:
    """The curve of ``act`` with validated ``params`` over an n-point grid on [xmin, xmax]."""
    x = grid(xmin, xmax, n)
    y = act.f(x, **params)
    dy = act.df(x, **params)
    bad = ~np.isfinite(y)
    if bad.any():  # no slope where f is not a number (log(x) at x < 0: f′ = 1/x is not f's; 1/(x − x))
        dy = np.where(bad, np.nan, dy)
    with np.errstate(invalid="ignore"):
        at_ends = dy.size > 0 and bool(np.abs(dy[0]) < eps or np.abs(dy[-1]) < eps)
    regions = flat_regions(x, dy, eps, stays_flat(act, params, x, eps) if at_ends else (False, False))
    st = act.stochastic
    if st is None:
        return Curve(x, y, dy, regions)
    low = st.quantile(x, band[0], **params)
    high = st.quantile(x, band[1], **params)
    sx = sy = None
    if samples > 0:
        rng = np.random.default_rng(seed)
        sx = np.sort(rng.uniform(xmin, xmax, samples))
        sy, _ = st.sample(sx, rng, **params)
    return Curve(x, y, dy, regions, band, low, high, sx, sy)
