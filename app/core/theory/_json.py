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


def depth_scale(rate: float | None) -> float | None:
    """ξ = −1/log|rate|: the number of layers over which a perturbation shrinks by e.
    0 for rate 0; None (infinite or undefined) for |rate| ≥ 1 or an undefined rate."""
    if rate is None or not math.isfinite(rate):
        return None
    r = abs(rate)
    if r == 0.0:
        return 0.0
    if r >= 1.0:
        return None
    return num(-1.0 / math.log(r))
