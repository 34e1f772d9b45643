"""Lesson 9. PReLU learns its leak."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..datasets import DATASET_LABELS, DATASETS, DatasetSpec
from ..network import Architecture, Variant
from ..training import TrainConfig, cost
from .formatting import _finite, _verdict, fmt, pct
from .framework import Control, Lesson, Measurement, Plot, Readout, Runner, check_budget, network_view

PRELU_STARTS: tuple[float, ...] = (0.0, 0.25, 0.5, 1.0)
PRELU_EXPLORED = (0.0, 0.25, 1.0)  # the explorer compares up to three activations
PRELU_MOVES = 0.05


def _config(p: dict[str, Any]) -> TrainConfig:
    """PReLU from every starting slope, stacked in one run."""
    return TrainConfig(
        data=DatasetSpec(p["dataset"]), arch=Architecture(p["depth"], p["width"]), variants=tuple(Variant("prelu", {"a": a}) for a in PRELU_STARTS),
        learning_rate=p["learning_rate"], epochs=p["epochs"], frames=min(51, p["epochs"] + 1), boundary_frames=0, histograms=False, seed=p["seed"],
    )


def cost_prelu(p: dict[str, Any]) -> float:
    return cost(_config(p))


def measure_prelu(p: dict[str, Any], run: Runner) -> Measurement:
    starts = PRELU_STARTS
    cfg = _config(p)
    check_budget([cfg], p, PRELU.controls)
    tr = run(cfg)
    slopes = tr.learned["a"]  # (K, F, D)
    last = np.array([s[np.isfinite(s).all(axis=1)][-1] if np.isfinite(s).all(axis=1).any() else np.full(s.shape[1], np.nan) for s in slopes])
    change = np.abs(last - np.array(starts)[:, None])
    moved = np.where(np.isfinite(change), change, -np.inf).max(axis=1)  # per start: largest change over layers
    least = float(moved.min()) if np.isfinite(moved).all() else math.nan
    # the start whose largest move is the smallest, and the layer that made that move
    k = int(np.argmin(moved))
    layer = int(np.argmax(np.where(np.isfinite(change[k]), change[k], -np.inf)))
    layers = "layer 1" if p["depth"] == 1 else f"layers 1–{p['depth']}"
    readouts = [
        Readout("least_moved", "Largest change of a in any layer, for the starting value that moved least", _finite(least), f"{fmt(least)} (start a = {fmt(starts[k])})",
                f"> {fmt(PRELU_MOVES)}: from every start some layer's a moves — a is learned", math.isfinite(least) and least > PRELU_MOVES),
    ]
    for a0, fin in zip(starts, last):
        readouts.append(Readout(f"from_{a0:g}", f"a starting at {fmt(a0)} → after {tr.epochs_run} epochs, in {layers}", _finite(float(fin.mean())),
                                ", ".join(fmt(float(v), 2) for v in fin), "learned per layer"))
    readouts.append(Readout("accuracy", f"Test accuracy per starting value (a = {' / '.join(fmt(a) for a in starts)})", _finite(float(tr.acc_test[0, -1])),
                            " / ".join(pct(_finite(float(a)), 0) for a in tr.acc_test[:, -1]), "for reference"))
    weakest = (f"from a = {fmt(starts[k])}, layer {layer + 1} went to {fmt(float(last[k, layer]), 2)}" if math.isfinite(least)
               else f"the slopes from a = {fmt(starts[k])} did not stay finite")
    verdict = _verdict(
        readouts,
        f"Supports the claim: from every starting value, some layer's slope a moved by at least {fmt(least)} ({weakest}) — "
        "the network learns its leak, one per layer, and the same start can end at different values in different layers.",
        f"Does not support the claim at these settings: from a = {fmt(starts[k])}, no layer's slope moved by more than {fmt(least)}."
        if math.isfinite(least) else f"Does not support the claim at these settings: {weakest}.",
    )
    data = {
        "frames": tr.frames,
        "layers": list(range(1, p["depth"] + 1)),
        "starts": list(starts),
        "variants": [
            {"activation": {"name": "prelu", "params": {"a": a0}}, "label": f"start a = {fmt(a0)}", "layers": {"prelu_slope": slopes[k]}, "final": last[k]}
            for k, a0 in enumerate(starts)
        ],
    }
    view = network_view(
        "compare", *(("prelu", {"a": a}) for a in PRELU_EXPLORED), dataset=p["dataset"], depth=p["depth"], width=p["width"],
        learning_rate=p["learning_rate"], epochs=p["epochs"], seed=p["seed"],
    )
    return Measurement(readouts, verdict, data, view, tr.cut_short)


def note_prelu(p: dict[str, Any], m: Measurement) -> str:
    left_out = [a for a in PRELU_STARTS if a not in PRELU_EXPLORED]
    return (f"The explorer compares at most three networks: it trains PReLU from a = {', '.join(fmt(a) for a in PRELU_EXPLORED)} "
            f"(seed {p['seed']}, these settings){' and leaves out a = ' + ', '.join(fmt(a) for a in left_out) if left_out else ''}. "
            "Those are the same runs as here — same data, initial weights and updates — so its learned-slope plot ends at the slopes listed here.")


PRELU = Lesson(
    slug="prelu-learns",
    number=9,
    title="PReLU learns its own leak",
    claim="parametric ReLU (PReLU) f(x) = x if x > 0, else a·x: the leak a is learned with the other parameters (He et al.); for a ≤ 1 this equals max(x, a·x), relating it to maxout.",
    source="Functions, parametric ReLU",
    measures=f"The slope a of each hidden layer, recorded while training PReLU networks that start from a = {', '.join(fmt(a) for a in PRELU_STARTS)} (same data and initial weights otherwise).",
    threshold=f"From every starting value, a moves by more than {fmt(PRELU_MOVES)} in at least one layer.",
    explanation=(
        "PReLU's negative slope a is a parameter like the weights: backpropagation gives ∂L/∂a = Σ ∂L/∂h · min(z, 0) over the layer's units and inputs, and the optimiser updates it with everything else. Here each hidden layer has its own a.",
        "Starting from a = 0 (plain ReLU) the slopes move away from 0: the network learns a negative-side slope of its own; from a = 1 (a linear unit!) it must bend to become non-linear. Different layers settle at different slopes, and the same layer ends elsewhere from a different start: there is no single 'right' leak.",
        "Learned slopes may leave [0, 1]: a negative a makes the unit non-monotonic, and a > 1 steeper on the left than on the right.",
    ),
    controls=(
        Control("dataset", "Dataset", "choice", "xor", choices=DATASETS, labels=tuple(DATASET_LABELS[d] for d in DATASETS)),
        Control("depth", "Hidden layers", "int", 3, 1, 6, 1),
        Control("width", "Units per layer", "int", 8, 2, 24, 1),
        Control("learning_rate", "Learning rate (Adam)", "float", 0.01, 0.0001, 0.3, 0.0001, log=True),
        Control("epochs", "Epochs", "int", 300, 10, 600, 10),
        Control("seed", "Seed", "int", 0, 0, 10_000, 1),
    ),
    plots=(
        Plot("slopes", "Learned slope a per layer during training", "One colour per starting value; solid, dashed, dotted… for layers 1, 2, 3…"),
        Plot("final", "Where the slopes end, per layer", "The learned a of each layer after training, one marker per starting value (dotted line: its start)."),
    ),
    measure=measure_prelu,
    cost=cost_prelu,
    explorer_note=note_prelu,
    trains=True,
)
