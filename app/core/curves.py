"""Sampled activation curves: f(x), f'(x), the regions where the gradient dies or
saturates, and for stochastic activations a quantile band and seeded samples."""

from __future__ import annotations

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


def flat_regions(x: Array, dy: Array, eps: float = SATURATION_EPS) -> list[Region]:
    """Maximal runs of grid points where dy == 0 (dead) or 0 < |dy| < eps (saturated)."""
    kind = np.where(dy == 0, 1, np.where(np.abs(dy) < eps, 2, 0))
    regions: list[Region] = []
    if kind.size == 0:
        return regions
    edges = np.flatnonzero(np.diff(kind)) + 1
    starts = np.concatenate(([0], edges))
    ends = np.concatenate((edges, [kind.size]))
    for s, e in zip(starts, ends):
        k = kind[s]
        if k:
            regions.append(Region("dead" if k == 1 else "saturated", float(x[s]), float(x[e - 1])))
    return regions


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
    regions = flat_regions(x, dy, eps)
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
