"""Lesson 4. scale invariance."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import activations as acts
from .. import spec
from ..formula.activation import formula_activation
from .formatting import _names, _verdict, fmt
from .framework import Control, Lesson, Measurement, Plot, Readout, Runner, function_view

SCALE_EXACT = 1e-12
SCALE_FAILS = 1e-6
SCALE_GRID = (-5.0, 5.0, 1001)
SCALE_RANGE = f"[−{fmt(-SCALE_GRID[0])}, {fmt(SCALE_GRID[1])}]"
SCALE_BROKEN = ("elu", "softplus", "gelu")
SCALE_COMPARE = ("elu", "softplus", "gelu", "silu", "tanh", "sigmoid", "leaky_relu", "prelu")


OWN = "own"  # the key of a student's own formula among the curves


def _compared(p: dict[str, Any]) -> tuple[str, acts.Activation]:
    """The second activation: the student's own formula when typed, else "Compare with"."""
    if p.get("own"):
        return OWN, formula_activation(p["own"])
    return p["compare"], acts.get(p["compare"])


def measure_scale(p: dict[str, Any], run: Runner) -> Measurement:
    a = float(p["a"])
    x = np.linspace(*SCALE_GRID)
    names = ["relu", "leaky_relu", *SCALE_BROKEN]
    compare, compare_act = _compared(p)
    if compare not in names:
        names.append(compare)
    curves = {}
    for name in names:
        act = compare_act if name == compare else acts.get(name)
        d = act.defaults()
        with np.errstate(all="ignore"):  # an own formula may overflow: its error is then "—"
            lhs = act.f(a * x, **d)
            rhs = a * act.f(x, **d)
            err = np.abs(lhs - rhs)
        worst = float(np.max(err)) if np.all(np.isfinite(err)) else float("nan")
        curves[name] = {"label": act.name, "lhs": lhs, "rhs": rhs, "error": err, "max_error": worst}
    relu_err = curves["relu"]["max_error"]
    trivial = a == 1.0

    def fails(name: str) -> Readout:
        e = curves[name]["max_error"]
        zero_ok = acts.get(name).f(np.zeros(1), **acts.get(name).defaults())[0] == 0
        if trivial or (a == 0 and zero_ok):
            return Readout(f"{name}_error", f"{acts.get(name).name}: max |f(a·x) − a·f(x)|", e, fmt(e), f"a = {fmt(a)} is a trivial case: choose another a")
        return Readout(f"{name}_error", f"{acts.get(name).name}: max |f(a·x) − a·f(x)|", e, fmt(e), f"clearly non-zero (> {fmt(SCALE_FAILS)}): not scale-invariant", e > SCALE_FAILS)

    readouts = [
        Readout("relu_error", f"ReLU: max |max(0, a·x) − a·max(0, x)| for a = {fmt(a)}", relu_err, fmt(relu_err), f"0 (≤ {fmt(SCALE_EXACT)})", relu_err <= SCALE_EXACT),
        Readout("leaky_relu_error", "Leaky ReLU: max |f(a·x) − a·f(x)|", curves["leaky_relu"]["max_error"], fmt(curves["leaky_relu"]["max_error"]), "0 too, up to rounding: a line through 0 on each side"),
        *[fails(n) for n in SCALE_BROKEN],
    ]
    if compare == OWN:
        e = curves[OWN]["max_error"]
        verdict_own = "not finite on the grid" if not np.isfinite(e) else f"scale-invariant here (≤ {fmt(SCALE_EXACT)})" if e <= SCALE_EXACT else "not scale-invariant"
        readouts.append(Readout("own_error", f"Your formula {compare_act.name}: max |f(a·x) − a·f(x)|", e if np.isfinite(e) else None, fmt(e),
                                f"for comparison: {verdict_own}"))
    elif compare not in ("relu", "leaky_relu", *SCALE_BROKEN):
        e = curves[compare]["max_error"]
        readouts.append(Readout(f"{compare}_error", f"{acts.get(compare).name}: max |f(a·x) − a·f(x)|", e, fmt(e), "for comparison"))
    broken = ", ".join(f"{acts.get(n).name} {fmt(curves[n]['max_error'])}" for n in SCALE_BROKEN)
    # a = 0: f(0·x) = 0·f(x) says only f(0) = 0, so it fails just where f(0) ≠ 0
    at_zero = ", ".join(f"{acts.get(n).name} ({fmt(curves[n]['max_error'])})" for n in SCALE_BROKEN if curves[n]["max_error"] > SCALE_FAILS)
    verdict = _verdict(
        readouts,
        f"Supports the claim: for a = {fmt(a)} ReLU's two sides agree to {fmt(relu_err)} on {SCALE_RANGE}"
        + (" (a = 1 is trivial: every function passes)." if trivial
           else " (a = 0 is nearly trivial: it asks only f(0) = 0, which every function here meets"
           + (f" but {at_zero}" if at_zero else "") + "; choose another a)." if a == 0
           else f", while the identity fails for {broken}."),
        f"Does not support the claim at a = {fmt(a)}: ReLU error {fmt(relu_err)}; {broken}.",
    )
    data = {
        "a": a,
        "x": x,
        "compare": compare,
        "curves": [{"activation": n, **curves[n]} for n in names],
    }
    shown = spec.Spec(None, compare_act.name, {}) if compare == OWN else compare
    return Measurement(readouts, verdict, data, function_view("relu", shown, xmin=SCALE_GRID[0], xmax=SCALE_GRID[1]))


def note_scale(p: dict[str, Any], m: Measurement) -> str:
    return (f"The explorer draws f and f′ of ReLU and {_compared(p)[1].name} on {SCALE_RANGE}, the range measured here. "
            f"It does not compare f(a·x) with a·f(x): that check, with a = {fmt(float(p['a']))}, is made only here.")


SCALE = Lesson(
    slug="scale-invariance",
    number=4,
    title="Scale invariance: max(0, a·x) = a·max(0, x)",
    claim="Scale invariance: max(0, a·x) = a·max(0, x) for a ≥ 0.",
    source="Claimed advantages of the rectifier, 5",
    measures=f"Both sides of the identity, f(a·x) and a·f(x), on {SCALE_GRID[2]:,} points in {SCALE_RANGE} for ReLU and for activations that are not piecewise linear, and the largest difference.",
    threshold=f"ReLU's largest difference is at most {fmt(SCALE_EXACT)} for the chosen a ≥ 0; for ELU, softplus and GELU it is above {fmt(SCALE_FAILS)} (for a ≠ 1).",
    explanation=(
        "For a ≥ 0, a·x and x have the same sign, so max(0, a·x) keeps or zeroes exactly the same inputs as max(0, x), and the kept ones are scaled by a. The identity is exact — the measured error is 0 to the last bit.",
        "It means a ReLU network does not care about the overall scale of a layer's weights: doubling them doubles the layer's output and changes no on/off pattern. That is why, in lesson 1, He and LeCun initialisations (the same normal draws at different scales) switch exactly the same units on and off.",
        "Curved activations break it: ELU's negative side eˣ − 1, softplus' log(1 + eˣ) and GELU's x·Φ(x) all bend, so scaling the input is not the same as scaling the output. (Leaky ReLU and PReLU keep the identity: they are also straight lines through 0 on each side.)",
        "For a < 0 (not on the slider: the claim is for a ≥ 0) the identity fails even for ReLU: with a = −1, max(0, −x) is ReLU mirrored, not −max(0, x). The claim says a ≥ 0 for a reason.",
    ),
    controls=(
        Control("a", "Scale a", "float", 2.0, 0.0, 10.0, 0.05, help="The claim is for a ≥ 0; a = 1 is the trivial case."),
        Control("compare", "Compare with", "choice", "elu", choices=SCALE_COMPARE, labels=_names(SCALE_COMPARE), help="A second activation to plot both sides for."),
        Control("own", "…or try your own", "formula", "", help="A formula of x, e.g. x*sigmoid(x) or where(x > 0, x, 0.2*x) (its parameters at their defaults); "
                "it replaces “Compare with”. Which are scale-invariant?"),
    ),
    plots=(
        Plot("sides", "Both sides of the identity", "Solid: f(a·x); dashed: a·f(x). ReLU's two lines coincide; the comparison's do not."),
        Plot("error", "Error |f(a·x) − a·f(x)|", "Zero everywhere for ReLU and leaky ReLU; the curved activations depart from it."),
    ),
    measure=measure_scale,
    explorer_note=note_scale,
)
