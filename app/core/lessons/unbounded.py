"""Lesson extra: unbounded output."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import activations as acts
from .formatting import _verdict, fmt
from .framework import Lesson, Measurement, Plot, Readout, Runner, function_view

UNBOUNDED_LIMITS = (1.0, 10.0, 100.0, 1000.0, 10000.0)
UNBOUNDED_VIEW = 10.0  # the explorer link's x range


def measure_unbounded(p: dict[str, Any], run: Runner) -> Measurement:
    names = ("relu", "tanh", "sigmoid", "relu6")
    sups = {}
    for n in names:
        act = acts.get(n)
        sups[n] = [float(act.f(np.linspace(-L, L, 2001), **act.defaults()).max()) for L in UNBOUNDED_LIMITS]
    relu = sups["relu"]
    grows = all(abs(s - L) <= 1e-9 * L for s, L in zip(relu, UNBOUNDED_LIMITS))
    readouts = [
        Readout("relu_sup", f"ReLU: largest output on [−L, L] for L = {fmt(UNBOUNDED_LIMITS[0])} … {fmt(UNBOUNDED_LIMITS[-1])}", relu[-1], " → ".join(fmt(s) for s in relu), "= L: grows without bound", grows),
        Readout("tanh_sup", "tanh: largest output", sups["tanh"][-1], " → ".join(fmt(s, 4) for s in sups["tanh"]), "≤ 1: bounded (1.0 only by rounding)", sups["tanh"][-1] <= 1.0),
        Readout("sigmoid_sup", "sigmoid: largest output", sups["sigmoid"][-1], " → ".join(fmt(s, 4) for s in sups["sigmoid"]), "≤ 1: bounded (1.0 only by rounding)", sups["sigmoid"][-1] <= 1.0),
        Readout("relu6_sup", "ReLU6: largest output", sups["relu6"][-1], " → ".join(fmt(s) for s in sups["relu6"]), "capped at 6 by design"),
    ]
    verdict = _verdict(readouts, "Supports the claim: ReLU's output grows in step with its input, while tanh and sigmoid never pass 1.", "Does not support the claim: see the rows marked ✗.")
    data = {"limits": list(UNBOUNDED_LIMITS), "series": [{"activation": n, "label": acts.get(n).name, "sup": sups[n]} for n in names]}
    return Measurement(readouts, verdict, data, function_view(*names, xmin=-UNBOUNDED_VIEW, xmax=UNBOUNDED_VIEW))


def note_unbounded(p: dict[str, Any], m: Measurement) -> str:
    return (f"The explorer draws ReLU, tanh, sigmoid and ReLU6 on [−{fmt(UNBOUNDED_VIEW)}, {fmt(UNBOUNDED_VIEW)}]; "
            f"widen its x range (up to ±{fmt(UNBOUNDED_LIMITS[-1])}, the largest L here) to watch ReLU keep climbing while the others stay flat.")


UNBOUNDED = Lesson(
    slug="unbounded",
    number=11,
    title="Unbounded: ReLU's output has no ceiling",
    claim="Unbounded.",
    source="Claimed problems, 3",
    measures=f"The largest output of ReLU, tanh, sigmoid and ReLU6 on [−L, L] as L grows from {fmt(UNBOUNDED_LIMITS[0])} to {fmt(UNBOUNDED_LIMITS[-1])}.",
    threshold="ReLU's largest output equals L for every L; tanh's and sigmoid's stay at or below 1.",
    explanation=(
        "ReLU passes positive inputs straight through, so a large input gives an equally large output — activations, and with them the loss, can blow up when weights grow (lesson 3 marks such diverged runs ×; switch it to SGD to see one).",
        "Squashing functions saturate: tanh and sigmoid never exceed 1. ReLU6 caps ReLU at 6 on purpose, trading some of ReLU's linearity for bounded outputs.",
    ),
    controls=(),
    plots=(Plot("sup", "Largest output on [−L, L]", "Log–log: ReLU's line is the diagonal; the bounded functions flatten."),),
    measure=measure_unbounded,
    explorer_note=note_unbounded,
    optional=True,
)
