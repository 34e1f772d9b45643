"""JSON-safe numbers: finite floats, or None where a value is infinite, NaN or undefined."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np


def num(v: object) -> float | None:
    """A finite Python float, or None."""
    if v is None:
        return None
    f = float(v)  # type: ignore[arg-type]
    return f if math.isfinite(f) else None


def nums(values: Iterable[object] | np.ndarray) -> list:
    """A (nested) list of finite floats / None from an array or iterable."""
    arr = np.asarray(values, dtype=object)
    if arr.ndim == 0:
        return num(arr.item())  # type: ignore[return-value]
    return [nums(v) if np.ndim(v) else num(v) for v in arr]


RATE_ONE = 1e-12  # a rate this close to 1 is 1 (see depth_scale)


def depth_scale(rate: float | None) -> float | None:
    """ξ = −1/log|rate|: the number of layers over which a perturbation shrinks by e.
    0 for rate 0; None (infinite or undefined) for |rate| ≥ 1 or an undefined rate, and for a
    rate within 1e-12 of 1: the quadrature that gives it is good to ~1e-15, so ReLU's slope 1 at
    σ_w² = 2 computed as 1 − 1.1e-16 is 1, not a depth scale of 2⁵³ layers."""
    if rate is None or not math.isfinite(rate):
        return None
    r = abs(rate)
    if r == 0.0:
        return 0.0
    if r >= 1.0 - RATE_ONE:
        return None
    return num(-1.0 / math.log(r))
