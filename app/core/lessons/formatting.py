"""How lessons write numbers for a projector, and small shared helpers for readouts."""

from __future__ import annotations

import math
from collections.abc import Sequence

from .. import activations as acts
from .framework import Readout, Verdict


def _names(ids: Sequence[str]) -> tuple[str, ...]:
    """Display names of catalogue activations."""
    return tuple(acts.get(i).name for i in ids)


_SUP = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def sub(n: int) -> str:
    """A whole number as subscript digits: q₅₀."""
    return str(n).translate(_SUB)


def fmt(x: float | None, digits: int = 3) -> str:
    """A number for a projector: 0.483, 12.5, 2.6 × 10⁻⁵, −0.76, 0 for exact zero, — for none."""
    if x is None or not math.isfinite(x):
        return "—"
    if x == 0:
        return "0"
    sign = "−" if x < 0 else ""  # (a minus sign, as in the rest of the app: −0.76, −10⁻³)
    x = abs(x)
    if 1e-3 <= x < 1e5:
        if x >= 10**digits:
            return f"{sign}{x:,.0f}"
        return f"{sign}{x:.{digits}g}"
    m, e = f"{x:.{max(digits - 1, 0)}e}".split("e")
    power = f"10{str(int(e)).translate(_SUP)}"
    return sign + (power if float(m) == 1.0 else f"{m} × {power}")


def pct(x: float | None, digits: int = 1) -> str:
    if x is None or not math.isfinite(x):
        return "—"
    return f"{100.0 * x:.{digits}f}\u202f%"


def _finite(x: float) -> float | None:
    return float(x) if math.isfinite(float(x)) else None


def _verdict(readouts: Sequence[Readout], yes: str, no: str) -> Verdict:
    decisive = [r for r in readouts if r.supports is not None]
    ok = bool(decisive) and all(r.supports for r in decisive)
    if ok:
        return Verdict(True, yes)
    failed = [f"{r.target} — measured {r.text}" for r in decisive if not r.supports]
    return Verdict(False, f"{no} Not met: {'; '.join(failed)}." if failed else no)


