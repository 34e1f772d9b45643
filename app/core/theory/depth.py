"""Activation variance over depth at initialisation: the mean-field q_l next to a Monte-
Carlo measurement on random networks (equations in the package docstring)."""

from __future__ import annotations

import math

import numpy as np

from ._json import nums
from .meanfield import q_trajectory
from .quadrature import Phi

Array = np.ndarray

# σ_w² of W ~ N(0, σ_w²/N) for square layers (fan_in = fan_out = N), biases 0:
#   LeCun Var = 1/fan_in                     → σ_w² = 1
#   Glorot Var = 2/(fan_in + fan_out)        → σ_w² = 2·fan_in/(fan_in + fan_out) = 1
#   He     Var = 2/fan_in                    → σ_w² = 2
INITS: dict[str, float] = {"lecun": 1.0, "glorot": 1.0, "he": 2.0}
MAX_WIDTH, MAX_DEPTH, MAX_DRAWS = 256, 50, 64
# Gaussian weights drawn explicitly up to this many per call (≈ 0.1 s); above it the
# exact one-input shortcut is used (see _forward).
MATMUL_WEIGHTS = 1 << 23


def init_sigmas(init: str, sigma_w2: float | None = None, sigma_b2: float | None = None) -> tuple[float, float]:
    """(σ_w², σ_b²) of a named scheme, or of "custom" (both given)."""
    if init == "custom":
        if sigma_w2 is None:
            raise ValueError("custom initialisation needs sigma_w2")
        return float(sigma_w2), float(sigma_b2 or 0.0)
    if init not in INITS:
        raise ValueError(f"unknown initialisation {init!r}; known: {', '.join(INITS)}, custom")
    return INITS[init], 0.0


def _forward(phi: Phi, sw2: float, sb2: float, depth: int, width: int, draws: int, q_in: float, rng: np.random.Generator, method: str) -> Array:
    """Per-draw q_l = mean over units of h_l², shape (draws, depth), for one Gaussian input
    x ~ N(0, q_in·I) per network; h_l = W_l φ(h_{l−1}) + b_l (h_0's φ is the identity).

    "matmul" draws every W_l ~ N(0, σ_w²/N) and multiplies, all draws in one batched
    product per layer. "projection" uses that for a fresh Gaussian W independent of a,
    W a ~ N(0, σ_w²‖a‖²/N · I) exactly, so one input per network needs N normals per layer
    instead of N² (50 layers of 64 × 256 × 256 weights would take seconds to draw)."""
    a = rng.standard_normal((draws, width)) * math.sqrt(q_in)
    out = np.empty((draws, depth))
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        for layer in range(depth):
            if method == "matmul":
                w = rng.standard_normal((draws, width, width)) * math.sqrt(sw2 / width)
                h = np.matmul(w, a[:, :, None])[:, :, 0]
            else:
                h = np.sqrt(sw2 * np.mean(a * a, axis=1))[:, None] * rng.standard_normal((draws, width))
            if sb2 > 0:
                h = h + math.sqrt(sb2) * rng.standard_normal((draws, width))
            out[:, layer] = np.mean(h * h, axis=1)
            a = np.asarray(phi.f(h), dtype=float)
    return out


def init_over_depth(
    phi: Phi, init: str = "he", *, sigma_w2: float | None = None, sigma_b2: float | None = None, depth: int = 50,
    width: int = 256, draws: int = 32, q_in: float = 1.0, seed: int = 0, band: tuple[float, float] = (0.1, 0.9),
    method: str = "auto",
) -> dict:
    """Pre-activation variance q_l, l = 1..depth: the mean-field prediction and the median
    and ``band`` quantiles over ``draws`` random networks (seeded: deterministic), plus the
    median over draws of q_l/q₁. Layers where a draw overflowed are None."""
    sw2, sb2 = init_sigmas(init, sigma_w2, sigma_b2)
    if not (1 <= depth <= MAX_DEPTH and 1 <= width <= MAX_WIDTH and 1 <= draws <= MAX_DRAWS):
        raise ValueError(f"need depth ≤ {MAX_DEPTH}, width ≤ {MAX_WIDTH}, draws ≤ {MAX_DRAWS}")
    if method == "auto":
        method = "matmul" if draws * depth * width * width <= MATMUL_WEIGHTS else "projection"
    if method not in ("matmul", "projection"):
        raise ValueError("method must be auto, matmul or projection")
    q = _forward(phi, sw2, sb2, depth, width, draws, q_in, np.random.default_rng(seed), method)
    ok = np.all(np.isfinite(q), axis=0)
    safe = np.where(np.isfinite(q), q, 0.0)
    lo, med, hi = np.quantile(safe, [band[0], 0.5, band[1]], axis=0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ratio = np.median(safe / safe[:, :1], axis=0)
    ok_ratio = ok & ok[0] & (np.min(safe[:, :1]) > 0)
    return {
        "init": init, "sigma_w2": sw2, "sigma_b2": sb2, "method": method, "layer": list(range(1, depth + 1)),
        "predicted": q_trajectory(phi, sw2, sb2, depth, q_in)["q"],
        "median": nums(np.where(ok, med, np.nan)),
        "low": nums(np.where(ok, lo, np.nan)),
        "high": nums(np.where(ok, hi, np.nan)),
        "median_ratio_to_first": nums(np.where(ok_ratio, ratio, np.nan)),
        "band": list(band),
    }
