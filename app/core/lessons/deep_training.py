"""Lesson 15. deep networks trained without pre-training."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..datasets import DATASET_LABELS, DatasetSpec
from ..network import INIT_LABELS as INIT_NAMES
from ..network import SCHEME_INITS, Architecture, Variant
from ..training import TrainConfig, cost
from .formatting import _finite, _verdict, fmt, pct
from .framework import INIT_LABELS, Control, Lesson, Measurement, Plot, Readout, Runner, check_budget, fitting_draws, network_view
from .runs import _label, _nanmean

DEEP_ACTS: tuple[str, ...] = ("relu", "sigmoid", "tanh")
DEEP_DATA = DatasetSpec()  # two moons, 256 points: the explorer's default problem, which needs a curved boundary
LOG2 = math.log(2.0)  # the cross-entropy of predicting 50 % for every point: a network that learned nothing
DEEP_TRAINED = 0.90  # ReLU's test accuracy at the deepest setting: "trains"
DEEP_STALLED = 0.9  # sigmoid's final training loss at least this share of log 2: "does not train"
DEEP_SHALLOW = 0.75  # … and at one hidden layer at most this share: it does train when shallow
DEEP_FRAMES = 21


def _config(p: dict[str, Any], depth: int, seed: int) -> TrainConfig:
    """ReLU, sigmoid and tanh stacked: the same network, data and initial weights."""
    return TrainConfig(
        data=DEEP_DATA, arch=Architecture(depth, p["width"]), init=p["init"], variants=tuple(Variant(a) for a in DEEP_ACTS),
        optimizer=p["optimizer"], learning_rate=p["learning_rate"], epochs=p["epochs"], frames=min(DEEP_FRAMES, p["epochs"] + 1),
        boundary_frames=0, histograms=False, seed=seed,
    )


def _sweep(p: dict[str, Any], seed: int) -> list[TrainConfig]:
    """One seed's depth sweep: every depth from 1 hidden layer to the chosen one."""
    return [_config(p, d, seed) for d in range(1, p["depth"] + 1)]


def _seeds(p: dict[str, Any]) -> list[int]:
    """The seeds averaged: as many of those asked for as fit a lesson's compute (at least one)."""
    n = fitting_draws(p["seeds"], sum(cost(c) for c in _sweep(p, p["seed"])))
    return list(range(p["seed"], p["seed"] + n))


def cost_deep(p: dict[str, Any]) -> float:
    return sum(cost(c) for s in _seeds(p) for c in _sweep(p, s))


def _of_seeds(seeds: list[int], epochs: int) -> str:
    """"mean of 2 seeds, after 200 epochs" — or "seed 0, after 200 epochs" for one."""
    return f"{'mean of ' + str(len(seeds)) + ' seeds' if len(seeds) > 1 else 'seed ' + str(seeds[0])}, after {epochs} epoch{'s' if epochs != 1 else ''}"


def _layers(d: int) -> str:
    return f"{d} hidden layer{'s' if d != 1 else ''}"


def measure_deep(p: dict[str, Any], run: Runner) -> Measurement:
    D, E = p["depth"], p["epochs"]
    seeds = _seeds(p)
    configs = [c for s in seeds for c in _sweep(p, s)]
    check_budget(configs, p, DEEP_TRAINING.controls, "epochs, depth, width or seeds")
    K = len(DEEP_ACTS)
    acc = np.full((len(seeds), D, K), np.nan)  # final test accuracy
    loss = np.full((len(seeds), D, K), np.nan)  # final training loss
    diverged: list[list[list[int | None]]] = []  # [seed][depth][activation]
    curves, frames, cut = [], None, False
    for i, s in enumerate(seeds):
        diverged.append([])
        for j, c in enumerate(_sweep(p, s)):
            tr = run(c)
            cut = cut or tr.cut_short
            acc[i, j], loss[i, j] = tr.acc_test[:, -1], tr.loss_train[:, -1]
            diverged[i].append(list(tr.diverged_at))
            if j == D - 1:
                curves.append(tr.loss_train)  # (K, F): the deepest networks' training loss
                frames = tr.frames if frames is None or len(tr.frames) < len(frames) else frames
    n_frames = min(len(c[0]) for c in curves)
    curve = np.stack([c[:, :n_frames] for c in curves])  # (seeds, K, F)
    acc_mean, loss_mean = _nanmean(acc), _nanmean(loss)  # (D, K)
    first_div = [[min((diverged[i][j][k] for i in range(len(seeds)) if diverged[i][j][k] is not None), default=None) for j in range(D)] for k in range(K)]
    relu, sig, tanh = 0, 1, 2
    relu_acc, sig_acc, tanh_acc = (float(acc_mean[-1, k]) for k in (relu, sig, tanh))
    relu_loss, sig_loss, tanh_loss = (float(loss_mean[-1, k]) for k in (relu, sig, tanh))
    sig_shallow = float(loss_mean[0, sig])
    stalled, shallow = DEEP_STALLED * LOG2, DEEP_SHALLOW * LOG2
    over = _of_seeds(seeds, E)
    at = _layers(D)
    sig_stalls = [d for d in range(1, D + 1) if math.isfinite(loss_mean[d - 1, sig]) and loss_mean[d - 1, sig] >= stalled]
    n_div = sum(d is not None for k in range(K) for d in first_div[k])
    readouts = [
        Readout("relu_deep", f"ReLU: test accuracy at {at} ({over})", _finite(relu_acc), pct(relu_acc, 0),
                f"trains: ≥ {pct(DEEP_TRAINED, 0)}, from random weights, with no pre-training", math.isfinite(relu_acc) and relu_acc >= DEEP_TRAINED),
        Readout("sigmoid_deep", f"Sigmoid: training loss at {at} ({over})", _finite(sig_loss), fmt(sig_loss),
                f"does not train: ends within {pct(1 - DEEP_STALLED, 0)} of the coin-flip loss log 2 = {fmt(LOG2)} (≥ {fmt(stalled)})", math.isfinite(sig_loss) and sig_loss >= stalled),
        Readout("sigmoid_shallow", f"Sigmoid: training loss at 1 hidden layer ({over})", _finite(sig_shallow), fmt(sig_shallow),
                f"trains when shallow: ≤ {fmt(shallow)} ({pct(DEEP_SHALLOW, 0)} of log 2) — depth is what stops it", math.isfinite(sig_shallow) and sig_shallow <= shallow),
        Readout("loss_deep", f"Training loss at {at}: ReLU / sigmoid / tanh ({over})", _finite(relu_loss),
                " / ".join(fmt(v) for v in (relu_loss, sig_loss, tanh_loss)), f"a network that learned nothing: log 2 = {fmt(LOG2)}"),
        Readout("accuracy_deep", f"Test accuracy at {at}: ReLU / sigmoid / tanh ({over})", _finite(sig_acc),
                " / ".join(pct(v, 0) for v in (relu_acc, sig_acc, tanh_acc)), "an untrained network's accuracy is a coin flip: it varies from seed to seed around 50 %"),
        Readout("sigmoid_stalls", f"Depths of the sweep (1–{D}) at which sigmoid's training loss ends within {pct(1 - DEEP_STALLED, 0)} of the coin-flip loss (≥ {fmt(stalled)})", float(len(sig_stalls)),
                (", ".join(str(d) for d in sig_stalls) if sig_stalls else "none") + f" of 1–{D}", "the depth sweep: where sigmoid stops training"),
        Readout("tanh_deep", f"tanh: test accuracy at {at} ({over})", _finite(tanh_acc), pct(tanh_acc, 0),
                "zero-centred, slope 1 at 0" + (" — and Glorot's initialisation was designed for such units" if p["init"] == "glorot" else "") + ": for comparison"),
    ]
    if n_div:
        where = [f"{_label(DEEP_ACTS[k])} at {_layers(j + 1)}" for k in range(K) for j in range(D) if first_div[k][j] is not None]
        readouts.append(Readout("diverged", f"Networks whose loss diverged{' for some seed' if len(seeds) > 1 else ''} (left out of the means)", float(n_div),
                                f"{n_div} of {K * D}: {', '.join(where)}", "marked × in the depth plots"))
    verdict = _verdict(
        readouts,
        f"Supports the claim: trained purely supervised from random {INIT_NAMES[p['init']]} weights, with no pre-training, the {D}-layer ReLU network reaches "
        f"{pct(relu_acc, 0)} test accuracy ({over}); with sigmoid units the same network does not train: its training loss ends at {fmt(sig_loss)}, "
        f"within {pct(1 - DEEP_STALLED, 0)} of the coin-flip loss log 2 = {fmt(LOG2)}, "
        f"though sigmoid trains a 1-layer network (loss {fmt(sig_shallow)}).",
        f"Does not support the claim at these settings: at {at} ReLU reaches {pct(relu_acc, 0)} test accuracy and sigmoid's training loss ends at {fmt(sig_loss)} "
        f"(coin flip: log 2 = {fmt(LOG2)}); at 1 hidden layer sigmoid's ends at {fmt(sig_shallow)} ({over}).",
    )
    series = []
    for k, name in enumerate(DEEP_ACTS):
        series.append({
            "activation": {"name": name, "params": {}},
            "label": _label(name),
            "accuracy_test": acc_mean[:, k].copy(),
            "final_loss": loss_mean[:, k].copy(),
            "diverged_at_epoch": first_div[k],
            "loss_curve": _nanmean(curve[:, k]),
            "loss_curve_min": np.nanmin(np.where(np.isfinite(curve[:, k]), curve[:, k], np.nan), axis=0) if np.isfinite(curve[:, k]).any() else curve[0, k],
            "loss_curve_max": np.nanmax(np.where(np.isfinite(curve[:, k]), curve[:, k], np.nan), axis=0) if np.isfinite(curve[:, k]).any() else curve[0, k],
            "per_seed_accuracy": acc[:, -1, k].copy(),
            "per_seed_loss": loss[:, -1, k].copy(),
        })
    data = {
        "param": "depth", "values": list(range(1, D + 1)), "depth": D, "epochs": E, "seeds": seeds,
        "frames": frames[:n_frames] if frames is not None else [], "log2": LOG2, "stalled": stalled, "trained": DEEP_TRAINED, "series": series,
    }
    view = network_view(
        "compare", *DEEP_ACTS, dataset=DEEP_DATA.name, depth=D, width=p["width"], init=p["init"], optimizer=p["optimizer"],
        learning_rate=p["learning_rate"], epochs=E, seed=p["seed"],
    )
    return Measurement(readouts, verdict, data, view, cut)


def note_deep(p: dict[str, Any], m: Measurement) -> str:
    seeds = m.data["seeds"]
    first = {s["label"]: (s["per_seed_loss"][0], s["per_seed_accuracy"][0]) for s in m.data["series"]}
    numbers = "; ".join(f"{name} loss {fmt(lo)}, test accuracy {pct(a, 0)}" for name, (lo, a) in first.items())
    text = (
        f"The explorer trains the same three networks — ReLU, sigmoid and tanh, {_layers(p['depth'])} of {p['width']} units, {INIT_NAMES[p['init']]} initialisation, "
        f"{'SGD' if p['optimizer'] == 'sgd' else 'Adam'} at learning rate {fmt(p['learning_rate'])}, {p['epochs']} epochs on {DATASET_LABELS[DEEP_DATA.name].lower()} — "
        f"from seed {p['seed']} alone: its final training losses and test accuracies are this lesson's for that seed ({numbers}). "
        f"It trains one depth at a time (change its Hidden layers to see another); this lesson also trains every depth from 1 to {p['depth']}"
    )
    if len(seeds) > 1:
        return text + f" and averages {len(seeds)} seeds ({seeds[0]}–{seeds[-1]}), so its single run differs from the means here; with Seeds averaged set to 1 they are the same networks."
    return text + "."


DEEP_TRAINING = Lesson(
    slug="deep-without-pretraining",
    number=15,
    title="Deep networks without pre-training: ReLU trains, sigmoid stalls",
    claim="Enables training deep supervised networks without unsupervised pre-training (Glorot, Bordes & Bengio 2011).",
    source="Claimed advantages of the rectifier, 6",
    measures=(
        "The final training loss and test accuracy of the same deep network with ReLU, sigmoid and tanh units, trained purely supervised from random weights — "
        "with no pre-training, which the app does not have — at every depth from 1 hidden layer to the chosen one (one run per depth and seed, the three activations "
        "stacked on the same data from the same initial weights), averaged over seeds."
    ),
    threshold=(
        f"At the chosen depth ReLU reaches at least {pct(DEEP_TRAINED, 0)} test accuracy while sigmoid's training loss ends within {pct(1 - DEEP_STALLED, 0)} of "
        f"log 2 = {fmt(LOG2)} (≥ {fmt(DEEP_STALLED * LOG2)}), the loss of a network that learned nothing — and with 1 hidden layer sigmoid does train "
        f"(loss at most {pct(DEEP_SHALLOW, 0)} of log 2), so depth is what stops it."
    ),
    explanation=(
        "Before 2011, deep networks were usually pre-trained: each layer first trained alone on unlabelled data (as a restricted Boltzmann machine or an "
        "auto-encoder), then the stack fine-tuned with labels. Glorot, Bordes & Bengio (2011, “Deep Sparse Rectifier Neural Networks”, AISTATS) found that "
        "rectifier networks reach their best results on large labelled data sets without that step.",
        "The app has no pre-training, so the lesson shows the half it can: the same deep network trained purely supervised from random weights, with ReLU and "
        "with the units it replaced, sigmoid and tanh — the same data (two moons: a curved boundary), the same initial weights (Glorot's by default: made for "
        "tanh-like units, they do not favour ReLU as He's would) and the same plain gradient descent.",
        f"A network that learned nothing predicts 50 % everywhere: its loss is log 2 = {fmt(LOG2)} and its test accuracy a coin flip that changes from seed "
        "to seed — so the verdict reads sigmoid's training loss. Sigmoid's slope is at most 1/4: through many layers the gradient fades (lesson 2).",
        "ReLU passes the gradient unchanged where a unit is active. tanh (zero-centred, slope 1 at 0) trains here too: the claim is that rectifiers made deep "
        "training work without pre-training, not that nothing else can. (Glorot and colleagues also compared softplus; it is left out to keep within a lesson's compute.)",
        "Try 1 or 2 hidden layers (sigmoid trains too), Adam at learning rate 0.01 (it rescales each step, hiding the fading gradient) or 20 epochs (ReLU has not finished).",
    ),
    controls=(
        Control("depth", "Hidden layers (the deepest)", "int", 6, 1, 8, 1, help="The sweep trains every depth from 1 hidden layer to this one; the verdict reads this one."),
        Control("width", "Units per layer", "int", 16, 4, 16, 1),
        Control("init", "Initialisation", "choice", "glorot", choices=SCHEME_INITS, labels=INIT_LABELS, help="The same initial weights for all three activations."),
        Control("optimizer", "Optimiser", "choice", "sgd", choices=("sgd", "adam"), labels=("SGD", "Adam"),
                help="Plain gradient descent, as in 2011; Adam rescales each weight's step, which hides vanishing gradients."),
        Control("learning_rate", "Learning rate", "float", 0.3, 0.001, 1.0, 0.001, log=True),
        Control("epochs", "Epochs", "int", 200, 10, 250, 10),
        Control("seeds", "Seeds averaged", "int", 2, 1, 4, 1,
                help="Each seed is one sweep with its own initial weights. In the largest networks fewer fit a lesson's compute: the numbers say how many were averaged."),
        Control("seed", "First seed", "int", 0, 0, 10_000, 1),
    ),
    plots=(
        Plot("curves", "Training loss of the deepest networks", "Mean over seeds (line) and the range of the seeds (band), log scale; the dashed line is log 2, the loss of a network that learned nothing."),
        Plot("depth_loss", "Training loss after training, against depth", "One point per depth of the sweep, mean over seeds, log scale; the dashed line is log 2 (nothing learned). × marks a diverged run."),
        Plot("depth_accuracy", "Test accuracy after training, against depth", "Mean over seeds. An untrained network's accuracy is a coin flip around 50 % (dashed): it varies from seed to seed."),
    ),
    measure=measure_deep,
    cost=cost_deep,
    explorer_note=note_deep,
    trains=True,
)
