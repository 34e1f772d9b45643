"""Lesson 6. zero-centred means."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..network import SCHEME_INITS, Architecture, Variant
from ..training import TrainConfig, cost
from .formatting import _finite, _verdict, fmt, pct
from .framework import INIT_LABELS, Control, Lesson, Measurement, Plot, Readout, Runner, check_budget, network_view, param_control
from .runs import _label, _nanmean

FAST_LOSS = 0.1


def _specs(p: dict[str, Any]) -> tuple[tuple[str, dict[str, Any]], ...]:
    return (("relu", {}), ("elu", {"alpha": p["alpha"]}), ("selu", {}))


def _config(p: dict[str, Any]) -> TrainConfig:
    """ReLU, ELU and SELU stacked in one run."""
    specs = _specs(p)
    return TrainConfig(
        arch=Architecture(p["depth"], p["width"]), init=p["init"], variants=tuple(Variant(n, pr) for n, pr in specs),
        learning_rate=p["learning_rate"], epochs=p["epochs"], frames=min(101, p["epochs"] + 1), boundary_frames=0, histograms=False, seed=p["seed"],
    )


def cost_zero_centred(p: dict[str, Any]) -> float:
    return cost(_config(p))


def measure_zero_centred(p: dict[str, Any], run: Runner) -> Measurement:
    specs = _specs(p)
    cfg = _config(p)
    check_budget([cfg], p, ZERO_CENTRED.controls)
    tr = run(cfg)
    mean, std = tr.layers["mean"], tr.layers["std"]  # (K, F, D)
    K = mean.shape[0]
    abs_mean = _nanmean(np.abs(mean).reshape(K, -1).T)  # over frames and layers: (K,)
    with np.errstate(all="ignore"):
        offset = _nanmean((np.abs(mean) / np.where(std > 0, std, np.nan)).reshape(K, -1).T)
    relu_m, elu_m, selu_m = (float(v) for v in abs_mean)
    # a layer whose units all died has mean 0 (and std 0): not evidence either way, so left out
    finite = np.isfinite(mean[0]) & np.isfinite(std[0])
    alive = finite & ~((mean[0] == 0) & (std[0] == 0))
    relu_pos = float(np.mean(mean[0][alive] > 0)) if alive.any() else math.nan
    dead_layers = float(1 - alive.sum() / finite.sum()) if finite.any() else 0.0
    reached = []
    for k in range(K):
        below = np.flatnonzero(np.nan_to_num(tr.loss_train[k], nan=np.inf) < FAST_LOSS)
        reached.append(int(tr.frames[below[0]]) if below.size else None)
    readouts = [
        Readout("elu_vs_relu", "|mean activation|, averaged over layers and training: ELU vs ReLU", _finite(elu_m), f"ELU {fmt(elu_m)} vs ReLU {fmt(relu_m)}", "ELU closer to zero", elu_m < relu_m),
        Readout("selu_vs_relu", "SELU vs ReLU", _finite(selu_m), f"SELU {fmt(selu_m)} vs ReLU {fmt(relu_m)}", "SELU closer to zero", selu_m < relu_m),
        Readout("relu_positive", "ReLU mean activation > 0 (layers × recorded epochs" + (f"; {pct(dead_layers, 0)} with every unit dead, mean 0, left out)" if dead_layers else ")"), _finite(relu_pos), pct(relu_pos, 0), "not zero-centred: 100 %", relu_pos == 1.0),
        Readout("offset", "|mean| ÷ std: ReLU / ELU / SELU", _finite(float(offset[0])), " / ".join(fmt(float(v), 2) for v in offset), "scale-free offset from zero"),
        Readout("accuracy", f"Test accuracy {'after training' if p['epochs'] else 'at initialisation (0 epochs)'}: ReLU / ELU / SELU", _finite(float(tr.acc_test[0, -1])), " / ".join(pct(_finite(float(a)), 0) for a in tr.acc_test[:, -1]), "for reference"),
        Readout("speed", f"First recorded epoch with training loss below {fmt(FAST_LOSS)}: ReLU / ELU / SELU", _finite(float(reached[0])) if reached[0] is not None else None,
                " / ".join("—" if e is None else str(e) for e in reached), "“speeds learning”: compare (one run, one problem)"),
    ]
    verdict = _verdict(
        readouts,
        f"Supports the claim: ReLU's mean activation is positive everywhere (|mean| {fmt(relu_m)}); ELU ({fmt(elu_m)}) and SELU ({fmt(selu_m)}) sit closer to zero.",
        f"Does not support the claim at these settings: |mean| ReLU {fmt(relu_m)}, ELU {fmt(elu_m)}, SELU {fmt(selu_m)}.",
    )
    data = {
        "frames": tr.frames,
        "layers": list(range(1, p["depth"] + 1)),
        "series": [
            {"activation": {"name": n, "params": pr}, "label": _label(n, pr), "mean": mean[k], "std": std[k]}
            for k, (n, pr) in enumerate(specs)
        ],
    }
    view = network_view("compare", *specs, depth=p["depth"], width=p["width"], init=p["init"], learning_rate=p["learning_rate"], epochs=max(1, p["epochs"]), seed=p["seed"])
    return Measurement(readouts, verdict, data, view, tr.cut_short)


def note_zero_centred(p: dict[str, Any], m: Measurement) -> str:
    acc = next(r for r in m.readouts if r.id == "accuracy").text
    run = (f": its loss curves and test accuracies ({acc}) are this lesson's run. " if p["epochs"] > 0
           else ", but for 1 epoch, where this lesson stops at initialisation. ")
    return (f"The explorer trains the same three networks from seed {p['seed']} with these settings{run}"
            "It has no plot of the mean activation measured here: its histograms show the pre-activations z, not the outputs h.")


ZERO_CENTRED = Lesson(
    slug="zero-centred",
    number=6,
    title="Not zero-centred: ELU pulls the mean back to 0",
    claim="Not zero-centred. — ELU: pushes mean activations toward zero, which speeds learning; reported higher accuracy than ReLU.",
    source="Claimed problems, 2; Functions, ELU",
    measures="The mean activation of each hidden layer over the training inputs, recorded while training ReLU, ELU and SELU networks from the same initial weights.",
    threshold="ReLU's mean activation is positive at every layer and recorded epoch; ELU's and SELU's |mean|, averaged over layers and training, are below ReLU's.",
    explanation=(
        "ReLU's output is never negative, so its mean over inputs is always positive: the next layer receives inputs that all lean the same way, and the gradients of a unit's incoming weights tend to share a sign — updates zig-zag.",
        "ELU replaces the flat negative side by α(eˣ − 1), which goes down to −α. Negative outputs pull the mean back towards zero. SELU scales ELU so that, with LeCun initialisation, means stay near 0 and variances near 1 through the layers (try init = lecun).",
        "The curves follow each activation's mean over all hidden units during training, averaged over layers (line) with the spread between layers (band); the second plot shows each layer at the start and at the end.",
    ),
    controls=(
        Control("depth", "Hidden layers", "int", 6, 2, 8, 1),
        Control("width", "Units per layer", "int", 16, 4, 24, 1),
        Control("init", "Initialisation", "choice", "he", choices=SCHEME_INITS, labels=INIT_LABELS),
        param_control("elu", "alpha", "ELU's α", help="ELU saturates at −α for very negative inputs."),
        Control("learning_rate", "Learning rate (Adam)", "float", 0.01, 0.0001, 0.3, 0.0001, log=True),
        Control("epochs", "Epochs", "int", 300, 0, 500, 10),
        Control("seed", "Seed", "int", 0, 0, 10_000, 1),
    ),
    plots=(
        Plot("means", "Mean activation during training", "Mean of h over units and training inputs, averaged over layers; the band spans the layers. Zero is the dashed line."),
        Plot("layers", "Mean activation per layer, at the start and at the end", "Dotted: at initialisation; solid: after training."),
    ),
    measure=measure_zero_centred,
    cost=cost_zero_centred,
    explorer_note=note_zero_centred,
    trains=True,
)
