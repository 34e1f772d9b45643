"""Lesson 4. scale invariance."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import activations as acts
from .formatting import _names, _verdict, fmt
from .framework import Control, Lesson, Measurement, Plot, Readout, Runner, function_view

SCALE_EXACT = 1e-12
SCALE_FAILS = 1e-6
SCALE_GRID = (-5.0, 5.0, 1001)
SCALE_RANGE = f"[−{fmt(-SCALE_GRID[0])}, {fmt(SCALE_GRID[1])}]"
SCALE_BROKEN = ("elu", "softplus", "gelu")
SCALE_COMPARE = ("elu", "softplus", "gelu", "silu", "tanh", "sigmoid", "leaky_relu", "prelu")


def measure_scale(p: dict[str, Any], run: Runner) -> Measurement:
    a = float(p["a"])
    x = np.linspace(*SCALE_GRID)
    names = ["relu", "leaky_relu", *SCALE_BROKEN]
    if p["compare"] not in names:
        names.append(p["compare"])
    curves = {}
    for name in names:
        act = acts.get(name)
        d = act.defaults()
        lhs = act.f(a * x, **d)
        rhs = a * act.f(x, **d)
        err = np.abs(lhs - rhs)
        curves[name] = {"label": act.name, "lhs": lhs, "rhs": rhs, "error": err, "max_error": float(err.max())}
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
    if p["compare"] not in ("relu", "leaky_relu", *SCALE_BROKEN):
        e = curves[p["compare"]]["max_error"]
        readouts.append(Readout(f"{p['compare']}_error", f"{acts.get(p['compare']).name}: max |f(a·x) − a·f(x)|", e, fmt(e), "for comparison"))
    broken = ", ".join(f"{acts.get(n).name} {fmt(curves[n]['max_error'])}" for n in SCALE_BROKEN)
    verdict = _verdict(
        readouts,
        f"Supports the claim: for a = {fmt(a)} ReLU's two sides agree to {fmt(relu_err)} on {SCALE_RANGE}"
        + (f", while the identity fails for {broken}." if not trivial else " (a = 1 is trivial: every function passes)."),
        f"Does not support the claim at a = {fmt(a)}: ReLU error {fmt(relu_err)}; {broken}.",
    )
    data = {
        "a": a,
        "x": x,
        "compare": p["compare"],
        "curves": [{"activation": n, **curves[n]} for n in names],
    }
    return Measurement(readouts, verdict, data, function_view("relu", p["compare"], xmin=SCALE_GRID[0], xmax=SCALE_GRID[1]))


def note_scale(p: dict[str, Any], m: Measurement) -> str:
    return (f"The explorer draws f and f′ of ReLU and {acts.get(p['compare']).name} on {SCALE_RANGE}, the range measured here. "
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
        "Curved activations break it: ELU's negative side e^x − 1, softplus' log(1 + e^x) and GELU's x·Φ(x) all bend, so scaling the input is not the same as scaling the output. (Leaky ReLU and PReLU keep the identity: they are also straight lines through 0 on each side.)",
        "For a < 0 the identity fails even for ReLU: the claim says a ≥ 0 for a reason.",
    ),
    controls=(
        Control("a", "Scale a", "float", 2.0, 0.0, 10.0, 0.05, help="The claim is for a ≥ 0; a = 1 is the trivial case."),
        Control("compare", "Compare with", "choice", "elu", choices=SCALE_COMPARE, labels=_names(SCALE_COMPARE), help="A second activation to plot both sides for."),
    ),
    plots=(
        Plot("sides", "Both sides of the identity", "Solid: f(a·x); dashed: a·f(x). ReLU's two lines coincide; the comparison's do not."),
        Plot("error", "Error |f(a·x) − a·f(x)|", "Zero everywhere for ReLU and leaky ReLU; the curved activations depart from it."),
    ),
    measure=measure_scale,
    explorer_note=note_scale,
)
