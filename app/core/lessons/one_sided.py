"""Lesson extra: one-sided."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import activations as acts
from .formatting import _verdict, fmt, pct
from .framework import Lesson, Measurement, Plot, Readout, Runner, function_view

ONE_SIDED_X = 5.0  # inputs of each sign up to this size


def measure_one_sided(p: dict[str, Any], run: Runner) -> Measurement:
    x = np.linspace(0.0, ONE_SIDED_X, 501)
    out = {}
    for n in ("relu", "tanh", "sigmoid"):
        act = acts.get(n)
        pos, neg = act.f(x), act.f(-x)
        out[n] = {"label": act.name, "pos": pos, "neg": neg, "antisym": float(np.abs(pos + neg).max()), "neg_zero": float((neg[1:] == 0).mean())}
    readouts = [
        Readout("relu_silent", "ReLU: share of negative inputs with output exactly 0", out["relu"]["neg_zero"], pct(out["relu"]["neg_zero"], 0), "100 %: responds to one side only", out["relu"]["neg_zero"] == 1.0),
        Readout("tanh_antisym", "tanh: max |f(x) + f(−x)|", out["tanh"]["antisym"], fmt(out["tanh"]["antisym"]), "0: antisymmetric, answers both sides", out["tanh"]["antisym"] <= 1e-15),
        Readout("relu_antisym", "ReLU: max |f(x) + f(−x)|", out["relu"]["antisym"], fmt(out["relu"]["antisym"]), "large: not antisymmetric", out["relu"]["antisym"] > 1.0),
    ]
    verdict = _verdict(readouts, "Supports the claim: ReLU is silent for every negative input, like a neuron below threshold, while tanh answers negative inputs with the mirror image.", "Does not support the claim: see the rows marked ✗.")
    data = {"x": x, "series": [{"activation": n, **v} for n, v in out.items()]}
    return Measurement(readouts, verdict, data, function_view("relu", "tanh", xmin=-ONE_SIDED_X, xmax=ONE_SIDED_X))


def note_one_sided(p: dict[str, Any], m: Measurement) -> str:
    return f"The explorer draws ReLU and tanh on [−{fmt(ONE_SIDED_X)}, {fmt(ONE_SIDED_X)}], the inputs of both signs measured here."


ONE_SIDED = Lesson(
    slug="one-sided",
    number=12,
    title="Biological plausibility: one-sided, like a neuron",
    claim="Biological plausibility: one-sided, unlike the antisymmetric tanh.",
    source="Claimed advantages of the rectifier, 1",
    measures="For inputs of each sign: whether ReLU outputs exactly 0 on the negative side, and how far tanh and ReLU are from antisymmetry f(−x) = −f(x).",
    threshold="ReLU outputs 0 for every negative input; tanh is antisymmetric to rounding (≤ 10⁻¹⁵).",
    explanation=(
        "A biological neuron's firing rate is zero below a threshold and grows above it: it answers one side of its input. ReLU does the same.",
        "tanh is antisymmetric: a negative input gives an equally strong negative output — there is no silent regime, and no 'rate' below zero in a real neuron.",
    ),
    controls=(),
    plots=(Plot("sides", "Response to x and to −x", "Solid: f(x); dashed: f(−x), both for x ≥ 0."),),
    measure=measure_one_sided,
    explorer_note=note_one_sided,
    optional=True,
)
