"""Lesson 2. vanishing gradients."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np

from ..network import SCHEME_INITS, Architecture, Variant
from ..training import TrainConfig, cost, init_statistics
from .formatting import _SUP, _finite, _verdict, fmt, pct
from .framework import INIT_LABELS, Array, Control, Lesson, Measurement, Plot, Readout, Runner, check_budget, network_view
from .runs import _label

VANISH_BELOW = 1e-2
HEALTHY_RANGE = (0.1, 10.0)
VANISH_SEEDS = 8  # weight seeds averaged at initialisation, by default
VANISH_DEPTH = 10  # hidden layers, by default


def _ratio(g: Array) -> Array:
    """First-to-last layer ratio of per-layer norms (…, depth)."""
    with np.errstate(all="ignore"):
        return g[..., 0] / g[..., -1]


def _config(p: dict[str, Any]) -> TrainConfig:
    """The training run: sigmoid, tanh and ReLU stacked, from the same initial weights."""
    return TrainConfig(
        arch=Architecture(p["depth"], p["width"]), init=p["init"], variants=tuple(Variant(n) for n in ("sigmoid", "tanh", "relu")), optimizer=p["optimizer"],
        learning_rate=p["learning_rate"], epochs=p["epochs"], frames=min(26, p["epochs"] + 1), boundary_frames=0,
        histograms=False, seed=p["seed"],
    )


def cost_vanishing(p: dict[str, Any]) -> float:
    return cost(_config(p))


def measure_vanishing(p: dict[str, Any], run: Runner) -> Measurement:
    arch = Architecture(p["depth"], p["width"])
    names = ("sigmoid", "tanh", "relu")
    seeds = list(range(p["seed"], p["seed"] + p["seeds"]))
    cfg = _config(p)
    check_budget([cfg], p, VANISHING.controls)
    at_init: dict[str, dict[str, Any]] = {}
    for name in names:
        stats = init_statistics(replace(cfg, variants=(Variant(name),), epochs=0), seeds)
        g = stats["grad_norm_weights"]  # (S, D)
        gin = stats["grad_norm_input"][0]  # the first seed's: what the explorer's gradient plots show
        mean = g.mean(axis=0)
        at_init[name] = {
            "mean": mean, "min": g.min(axis=0), "max": g.max(axis=0), "ratio": float(mean[0] / mean[-1]) if mean[-1] > 0 else math.nan,
            "first_seed_ratio": float(_ratio(g[0])), "first_seed_input_ratio": float(_ratio(gin)),
        }
    trace = run(cfg)
    gw = trace.layers["grad_norm_weights"]  # (K, F, D)
    ratios = _ratio(gw)  # (K, F)
    sig, tanh, relu = (at_init[n]["ratio"] for n in names)
    lo, hi = HEALTHY_RANGE
    after = [_finite(r) for r in ratios[:, -1]]
    acc = trace.acc_test[:, -1]
    over = f"norms averaged over {len(seeds)} seed{'s' if len(seeds) > 1 else ''}"
    one_run = f"one run, seed {p['seed']}"
    trained = trace.epochs_run > 0
    per_seed = [at_init[n]["first_seed_ratio"] for n in names]
    per_seed_in = [at_init[n]["first_seed_input_ratio"] for n in names]
    readouts = [
        Readout("sigmoid_ratio", f"Sigmoid: first ÷ last layer ‖∂L/∂W‖ at init ({arch.depth} layers, {over})", _finite(sig), fmt(sig), f"vanishes (< {fmt(VANISH_BELOW)})", sig < VANISH_BELOW),
        Readout("relu_ratio", f"ReLU: first ÷ last layer ‖∂L/∂W‖ at init ({over})", _finite(relu), fmt(relu), f"no vanishing or exploding ({fmt(lo)}–{fmt(hi)})", lo < relu < hi),
        Readout("tanh_ratio", f"tanh: first ÷ last layer ‖∂L/∂W‖ at init ({over})", _finite(tanh), fmt(tanh), "tanh′(0) = 1: with this initialisation it fades far less than sigmoid"),
        Readout("seed_ratios", f"Seed {p['seed']} alone: first ÷ last ‖∂L/∂W‖ at init, sigmoid / tanh / ReLU", _finite(per_seed[2]),
                " / ".join(fmt(r) for r in per_seed), "one seed scatters around the average (the band in the plot)"),
        Readout("input_ratios", f"Seed {p['seed']}: first ÷ last ‖∂L/∂(layer input)‖ at init, sigmoid / tanh / ReLU", _finite(per_seed_in[2]),
                " / ".join(fmt(r, 2) for r in per_seed_in), "another quantity: the explorer's default gradient plots (Gradient: at each layer's input)"),
        Readout("sigmoid_ratio_end", f"Sigmoid ‖∂L/∂W‖ ratio after {trace.epochs_run} epochs ({one_run})", after[0], fmt(after[0]), "during training" if trained else "no training (0 epochs): at init"),
        Readout("relu_ratio_end", f"ReLU ‖∂L/∂W‖ ratio after {trace.epochs_run} epochs ({one_run})", after[2], fmt(after[2]), "during training" if trained else "no training (0 epochs): at init"),
        Readout("accuracy", f"Test accuracy {'after training' if trained else 'at initialisation (0 epochs)'} ({one_run}): sigmoid / tanh / ReLU", _finite(acc[0]), " / ".join(pct(_finite(a), 0) for a in acc), "what vanishing gradients cost" if trained else "untrained: for reference"),
    ]
    verdict = _verdict(
        readouts,
        f"Supports the claim: through {arch.depth} sigmoid layers the weight gradient of the first layer is {fmt(sig)} of the last layer's; "
        f"with ReLU it is {fmt(relu)}, neither vanishing nor exploding.",
        f"Does not support the claim at these settings: sigmoid ratio {fmt(sig)} (wanted < {fmt(VANISH_BELOW)}), ReLU ratio {fmt(relu)} (wanted {fmt(lo)}–{fmt(hi)}).",
    )
    data = {
        "layers": list(range(1, arch.depth + 1)),
        "init": [{"activation": n, "label": _label(n), **at_init[n]} for n in names],
        "trace": {
            "frames": trace.frames,
            "variants": [
                {"activation": {"name": n, "params": {}}, "label": _label(n), "layers": {"grad_norm_weights": gw[k]}, "ratio": ratios[k]}
                for k, n in enumerate(names)
            ],
        },
    }
    view = network_view(
        "compare", "sigmoid", "tanh", "relu", depth=p["depth"], width=p["width"], init=p["init"], optimizer=p["optimizer"],
        learning_rate=p["learning_rate"], epochs=max(1, p["epochs"]), seed=p["seed"], grad="weights",
    )
    return Measurement(readouts, verdict, data, view, trace.cut_short)


def note_vanishing(p: dict[str, Any], m: Measurement) -> str:
    sig_w, tanh_w, relu_w = (s["ratio"] for s in m.data["init"])
    sig_1, tanh_1, relu_1 = (s["first_seed_ratio"] for s in m.data["init"])
    sig_in, tanh_in, relu_in = (s["first_seed_input_ratio"] for s in m.data["init"])
    lo, hi = HEALTHY_RANGE
    n, first = p["seeds"], p["seed"]
    acc = next(r for r in m.readouts if r.id == "accuracy").text
    run = (f": its test accuracies ({acc}) are this lesson's run. " if p["epochs"] > 0
           else ", but for 1 epoch, where this lesson stops at initialisation. ")
    text = (
        f"The explorer trains the three networks once, from seed {first}, with these settings{run}"
        f"It opens on this lesson's quantity, the weight gradient ‖∂L/∂Wₗ‖ (Gradient menu), for that one seed: first ÷ last at initialisation "
        f"{fmt(sig_1)} / {fmt(tanh_1)} / {fmt(relu_1)} (sigmoid / tanh / ReLU)"
        + (f"; this lesson averages the norms over {n} weight seeds ({first}–{first + n - 1}): {fmt(sig_w)} / {fmt(tanh_w)} / {fmt(relu_w)}. " if n > 1 else ". ")
        + "Its Gradient menu also shows ‖∂L/∂(layer input)‖, the gradient arriving at each layer's input, which does not scale with the "
        f"size of the layer's input as ‖∂L/∂Wₗ‖ does (the raw 2-D data for layer 1): {fmt(sig_in, 2)} / {fmt(tanh_in, 2)} / {fmt(relu_in, 2)}. "
    )
    if (tanh_in > 1) != (tanh_w > 1):
        bigger, smaller = ("input", "weight") if tanh_in > 1 else ("weight", "input")
        text += f"For tanh they point opposite ways: layer 1 gets a larger {bigger} gradient than the last layer, but a smaller {smaller} gradient. "
    if sig_in < VANISH_BELOW and lo < relu_in < hi:
        return text + f"Both agree on the claim: sigmoid's ratio is below {fmt(VANISH_BELOW)} and ReLU's within {fmt(lo)}–{fmt(hi)}."
    return text + f"By the explorer's measure the threshold (sigmoid below {fmt(VANISH_BELOW)}, ReLU within {fmt(lo)}–{fmt(hi)}) is not met at this seed."


VANISHING = Lesson(
    slug="vanishing-gradients",
    number=2,
    title="Vanishing gradients: sigmoid fades, ReLU carries",
    claim="Efficient gradient propagation: no vanishing or exploding gradients (unlike sigmoid/tanh stacks).",
    source="Claimed advantages of the rectifier, 3",
    measures=(
        "The size of the loss gradient with respect to each layer's weights, ‖∂L/∂Wₗ‖, in a deep network with sigmoid, tanh and ReLU from the same initial weights — "
        f"at initialisation (the norms averaged over the weight seeds, {VANISH_SEEDS} by default, then first ÷ last layer) and during training (one run, from the first seed)."
    ),
    threshold=f"The first-to-last layer ratio of these norms at initialisation is below {fmt(VANISH_BELOW)} for sigmoid and between {fmt(HEALTHY_RANGE[0])} and {fmt(HEALTHY_RANGE[1])} for ReLU.",
    explanation=(
        f"Backpropagation multiplies the gradient by f′(z) once per layer on its way to the input. The logistic sigmoid's slope is at most 1/4, so {VANISH_DEPTH} sigmoid layers can shrink it by 4{str(VANISH_DEPTH).translate(_SUP)} ≈ 10{str(round(VANISH_DEPTH * math.log10(4))).translate(_SUP)}: the first layers barely learn.",
        "ReLU's slope is exactly 1 wherever the unit is active, so an active path passes the gradient unchanged; with He initialisation the layer-to-layer scale is kept, and the first layer's gradient stays within a small factor of the last layer's.",
        "tanh′(0) = 1, so with a variance-preserving initialisation tanh fades much less than sigmoid at the start; it vanishes once its units saturate (large |z|).",
        "The heat maps follow ‖∂L/∂Wₗ‖ while training with plain SGD (one run, from the first seed): sigmoid's rows stay dark — tiny gradients, the input-side layer darkest — and its accuracy lags behind. Its first-to-last ratio creeps back up only because the last layer's gradient shrinks towards the first's (see the numbers).",
        "Which gradient? ‖∂L/∂Wₗ‖ is the gradient the optimiser applies to layer l's weights. The explorer's Gradient menu shows either it or ‖∂L/∂(layer input)‖, the gradient arriving at the layer's input, for one seed (the link opens on ‖∂L/∂Wₗ‖); the weight gradient also carries the size of the layer's input, so the two ratios differ (see the note under the numbers) — and a single seed scatters widely around the average (the band in the first plot): compare the explorer with the seed-alone row, not with the average.",
    ),
    controls=(
        Control("depth", "Hidden layers", "int", VANISH_DEPTH, 2, 12, 1),
        Control("width", "Units per layer", "int", 16, 4, 24, 1),
        Control("init", "Initialisation", "choice", "he", choices=SCHEME_INITS, labels=INIT_LABELS, help="The same initial weights for all three activations."),
        Control("seeds", "Weight seeds (at init)", "int", VANISH_SEEDS, 1, 16, 1, help="The norms at initialisation are averaged over seeds seed, seed+1, …; training uses the first."),
        Control("optimizer", "Optimiser", "choice", "sgd", choices=("sgd", "adam"), labels=("SGD", "Adam"), help="Adam rescales each weight's step, which hides vanishing gradients; SGD shows them."),
        Control("learning_rate", "Learning rate", "float", 0.1, 0.001, 1.0, 0.001, log=True),
        Control("epochs", "Epochs", "int", 200, 0, 500, 10),
        Control("seed", "Seed", "int", 0, 0, 10_000, 1),
    ),
    plots=(
        Plot("norms", "Gradient norm per layer at initialisation", "‖∂L/∂Wₗ‖ for each hidden layer (1 = input side), mean over seeds; the band spans the seeds. Log scale."),
        Plot("flow", "Gradient flow during training", "log₁₀ ‖∂L/∂Wₗ‖ per layer (rows) and epoch (columns), one map per activation."),
    ),
    measure=measure_vanishing,
    cost=cost_vanishing,
    explorer_note=note_vanishing,
    trains=True,
)
