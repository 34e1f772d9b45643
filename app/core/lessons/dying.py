"""Lesson 3. dying ReLU."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import activations as acts
from ..network import Architecture, StackedMLP, Variant, augment
from ..training import Trace, TrainConfig, cost
from .formatting import _finite, _verdict, fmt, pct
from .framework import Array, Control, Lesson, Measurement, Plot, Readout, Runner, Verdict, check_budget, fitting_draws, network_view, param_control
from .runs import _label, _nanmean

DYING_LRS: tuple[float, ...] = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
DYING_GAP = 0.25  # "well above"
LEAKY_ALIVE = 0.05
DYING_ACC_GAP = 0.05  # "mitigated": leaky ReLU's test accuracy at the high learning rates above ReLU's by this
DYING_LEAK = float(acts.get("leaky_relu").defaults()["leak"])  # the catalogue's default leak


def _linear(leak: float) -> bool:
    """Leaky ReLU without a kink (leak 1): the line x itself, no longer a rectifier."""
    return not acts.get("leaky_relu").kinks(leak=leak)


def _off_everywhere(config: TrainConfig, trace: Trace) -> Array:
    """Per variant, the share of hidden units whose pre-activation is ≤ 0 on every training
    input with the final weights (NaN for diverged variants). For ReLU these are exactly the
    dead units; leaky ReLU units there still pass leak × their gradient."""
    x = trace.data.x_train
    net = StackedMLP(config.arch, config.variants, len(x), config.dtype)
    net.theta[:] = trace.theta_final
    net.forward(augment(x, config.dtype), need_df=False)
    off = (net.Z <= 0).all(axis=3).mean(axis=(0, 2))  # Z: (depth, K, width, inputs)
    off[[d is not None for d in trace.diverged_at]] = np.nan
    return off


def _configs(p: dict[str, Any], n: int | None = None) -> list[TrainConfig]:
    """One stacked sweep per seed (``n`` of them, else as many as fit): ReLU and leaky ReLU at every learning rate."""
    leaky_params = {"leak": p["leak"]}
    variants = tuple(Variant("relu", {}, learning_rate=lr) for lr in DYING_LRS) + tuple(Variant("leaky_relu", leaky_params, learning_rate=lr) for lr in DYING_LRS)
    return [
        TrainConfig(arch=Architecture(p["depth"], p["width"]), variants=variants, optimizer=p["optimizer"], epochs=p["epochs"],
                    frames=min(21, p["epochs"] + 1), boundary_frames=0, histograms=False, seed=s, include_weights=True)
        for s in range(p["seed"], p["seed"] + (_seeds(p) if n is None else n))
    ]


def _seeds(p: dict[str, Any]) -> int:
    """Seeds averaged: as many of those asked for as fit a lesson's compute (at least one)."""
    return fitting_draws(p["seeds"], cost(_configs(p, 1)[0]))


def cost_dying(p: dict[str, Any]) -> float:
    return sum(cost(c) for c in _configs(p))


def measure_dying(p: dict[str, Any], run: Runner) -> Measurement:
    lrs = DYING_LRS
    V = len(lrs)
    leaky_params = {"leak": p["leak"]}
    configs = _configs(p)
    seeds = [c.seed for c in configs]
    check_budget(configs, p, DYING.controls, "epochs, depth, width or seeds")
    final, init, curves, diverged, cut = [], [], [], [], False
    off, acc = [], []
    frames = None
    for c in configs:
        tr = run(c)
        cut = cut or tr.cut_short
        off.append(_off_everywhere(c, tr))
        acc.append(tr.acc_test[:, -1])
        dead = tr.layers["dead_fraction"].mean(axis=2)  # (K, F), NaN once diverged
        final.append(dead[:, -1])
        init.append(dead[:, 0])
        curves.append(dead)
        diverged.append(tr.diverged_at)
        frames = tr.frames
    n_frames = min(len(c[0]) for c in curves)
    dead_final = _nanmean(np.stack(final))  # (K,) NaN where every seed diverged
    dead_init = _nanmean(np.stack(init))
    dead_curve = _nanmean(np.stack([c[:, :n_frames] for c in curves]))
    first_div = [min((d[k] for d in diverged if d[k] is not None), default=None) for k in range(2 * V)]
    relu_final, leaky_final = dead_final[:V], dead_final[V:]
    off_final = _nanmean(np.stack(off))
    acc_final = _nanmean(np.stack(acc))

    def mean_of(a: Array, idx: slice) -> float:
        v = a[idx]
        v = v[np.isfinite(v)]
        return float(v.mean()) if v.size else math.nan

    high, low = slice(V - 2, V), slice(0, 2)
    relu_high, relu_low = mean_of(relu_final, high), mean_of(relu_final, low)
    leaky_high = mean_of(leaky_final, high)
    leaky_finite = leaky_final[np.isfinite(leaky_final)]
    leaky_worst = float(leaky_finite.max()) if leaky_finite.size else math.nan
    leaky_off_high = mean_of(off_final[V:], high)
    relu_acc_high, leaky_acc_high = mean_of(acc_final[:V], high), mean_of(acc_final[V:], high)
    acc_ok = math.isfinite(relu_acc_high) and math.isfinite(leaky_acc_high) and leaky_acc_high >= relu_acc_high + DYING_ACC_GAP
    n_div = sum(d is not None for d in first_div)
    hi_txt = f"{fmt(lrs[-2])} and {fmt(lrs[-1])}"
    lo_txt = f"{fmt(lrs[0])} and {fmt(lrs[1])}"
    # leak 1: leaky ReLU is x itself and its network linear; as lesson 4's a = 1, a trivial case, not scored
    linear = _linear(p["leak"])

    def scored(target: str, ok: bool, why: str) -> tuple[str, bool | None]:
        """A row's target and mark; with leak 1, not scored, saying why."""
        if linear:
            return f"not scored: with leak {fmt(p['leak'])} leaky ReLU is the identity x, a linear network, not a rectifier — {why}; choose a leak below 1", None
        return target, ok

    readouts = [
        Readout("relu_dead_high", f"ReLU units dead after training at learning rates {hi_txt} (mean of {len(seeds)} seed{'s' if len(seeds) > 1 else ''})", _finite(relu_high), pct(relu_high, 0),
                *scored(f"well above leaky ReLU's (by ≥ {pct(DYING_GAP, 0)})", math.isfinite(relu_high) and math.isfinite(leaky_high) and relu_high >= leaky_high + DYING_GAP,
                        "none of its units can die, nothing to compare with")),
        Readout("relu_dead_low", f"ReLU units dead at learning rates {lo_txt}", _finite(relu_low), pct(relu_low, 0),
                f"far fewer: the learning rate causes it (≥ {pct(DYING_GAP, 0)} less)", math.isfinite(relu_high) and math.isfinite(relu_low) and relu_high >= relu_low + DYING_GAP),
        Readout("leaky_dead_worst", f"Leaky ReLU (leak {fmt(p['leak'])}) units passing no gradient, worst learning rate", _finite(leaky_worst), pct(leaky_worst, 0),
                *scored(f"≤ {pct(LEAKY_ALIVE, 0)} (none while leak > 0: the leak always passes some gradient)", math.isfinite(leaky_worst) and leaky_worst <= LEAKY_ALIVE,
                        "slope 1 everywhere, it cannot die")),
        Readout("leaky_off_high", f"Leaky ReLU units negative on every input at learning rates {hi_txt}", _finite(leaky_off_high), pct(leaky_off_high, 0),
                "negative inputs pass unchanged: with leak 1 nothing is switched off" if linear
                else "pushed off as well — but still learning through the leak" if p["leak"] > 0 else "pushed off as well — and with leak 0 no gradient passes: dead, as ReLU's"),
        Readout("accuracy_high", f"Test accuracy at learning rates {hi_txt}: leaky ReLU vs ReLU", _finite(leaky_acc_high), f"{pct(leaky_acc_high, 0)} vs {pct(relu_acc_high, 0)}",
                *scored(f"mitigated: leaky ReLU higher by ≥ {pct(DYING_ACC_GAP, 0)} points", acc_ok, "its accuracy is a linear classifier's, not a mitigation")),
        Readout("relu_dead_init", "ReLU units dead already at initialisation", _finite(float(dead_init[0])), pct(float(dead_init[0]), 0), "the starting point"),
        Readout("diverged", f"Settings (activation, learning rate) whose loss diverged{' for some seed' if len(seeds) > 1 else ''} (left out)", float(n_div),
                f"{n_div} of {2 * V}" + (f": {', '.join(f'{_label(a)} at {fmt(lr)}' for k, (a, lr) in enumerate((a, lr) for a in ('relu', 'leaky_relu') for lr in lrs) if first_div[k] is not None)}" if n_div else ""),
                "marked ×"),
    ]
    verdict = _verdict(
        readouts,
        f"Supports the claim: {pct(relu_high, 0)} of ReLU units die at learning rates {hi_txt}, against {pct(relu_low, 0)} at {lo_txt}; "
        f"leaky ReLU keeps a gradient in every unit (worst {pct(leaky_worst, 0)} dead) and ends at {pct(leaky_acc_high, 0)} test accuracy there, against ReLU's {pct(relu_acc_high, 0)}.",
        f"Does not support the claim at these settings: ReLU dead {pct(relu_high, 0)} at high and {pct(relu_low, 0)} at low learning rates, "
        f"leaky ReLU worst {pct(leaky_worst, 0)} dead; test accuracy at high learning rates {pct(leaky_acc_high, 0)} (leaky) vs {pct(relu_acc_high, 0)} (ReLU).",
    )
    if linear:
        verdict = Verdict(False, (
            f"Not a test of the claim at leak {fmt(p['leak'])}: leaky ReLU with leak {fmt(p['leak'])} is the identity x, no longer a rectifier, so its network is linear — "
            f"no unit can die, and its {pct(leaky_acc_high, 0)} test accuracy at learning rates {hi_txt} (ReLU's: {pct(relu_acc_high, 0)}) is a linear classifier's, not a mitigation. "
            f"ReLU alone: {pct(relu_high, 0)} of units dead at learning rates {hi_txt}, against {pct(relu_low, 0)} at {lo_txt}. Choose a leak below 1."))
    series = []
    for i, (name, params) in enumerate((("relu", {}), ("leaky_relu", leaky_params))):
        ks = slice(i * V, (i + 1) * V)
        series.append({
            "activation": {"name": name, "params": params},
            "label": _label(name, params),
            "dead_fraction": dead_final[ks],
            "dead_at_init": dead_init[ks],
            "diverged_at_epoch": first_div[ks],
            "dead_fraction_curve": dead_curve[ks],
            "off_everywhere": off_final[ks],
            "accuracy_test": acc_final[ks],
        })
    data = {"param": "learning_rate", "values": list(lrs), "frames": frames[:n_frames] if frames is not None else [], "series": series, "seeds": seeds}
    view = network_view(
        "sweep", "relu", ("leaky_relu", leaky_params), sweep="learning_rate", values=list(lrs),
        metric="dead_fraction", optimizer=p["optimizer"], depth=p["depth"], width=p["width"], epochs=p["epochs"], seed=p["seed"],
    )
    return Measurement(readouts, verdict, data, view, cut)


def note_dying(p: dict[str, Any], m: Measurement) -> str:
    seeds = m.data["seeds"]
    text = (
        f"The explorer runs the same sweep — ReLU and leaky ReLU (leak {fmt(p['leak'])}) at the {len(DYING_LRS)} learning rates, "
        f"{'Adam' if p['optimizer'] == 'adam' else 'SGD'}, {p['depth']} layers of {p['width']} units, {p['epochs']} epochs — from seed {p['seed']} alone, "
        "and plots each network's share of dead units (its metric menu also has the final test accuracy). "
    )
    if len(seeds) > 1:
        return text + (f"This lesson averages {len(seeds)} seeds ({seeds[0]}–{seeds[-1]}) and pools the two highest and the two lowest learning rates, "
                       "so the explorer's single points differ from the numbers here; with Seeds averaged set to 1 they are the same networks.")
    return text + "With one seed these are the same networks as here; the numbers here pool the two highest and the two lowest learning rates."


DYING = Lesson(
    slug="dying-relu",
    number=3,
    title="Dying ReLU: too high a learning rate kills units",
    claim="Dying ReLU: units can be pushed into a state where they are inactive for essentially all inputs; no gradient flows back, so they stay dead, shrinking model capacity. Typically caused by a too-high learning rate; mitigated by leaky ReLUs.",
    source="Claimed problems, 4",
    measures=f"The share of hidden units that pass no gradient for any training input after training, and the test accuracy, for ReLU and leaky ReLU at {len(DYING_LRS)} learning rates from {fmt(DYING_LRS[0])} to {fmt(DYING_LRS[-1])} (one stacked sweep per seed, same data and initial weights).",
    threshold=(
        f"At the two highest learning rates ReLU's dead share exceeds leaky ReLU's and its own at the two lowest learning rates by at least {pct(DYING_GAP, 0)}; "
        f"leaky ReLU stays at or below {pct(LEAKY_ALIVE, 0)} dead everywhere, and its test accuracy at the two highest learning rates beats ReLU's by at least {pct(DYING_ACC_GAP, 0)} points."
    ),
    explanation=(
        "A ReLU unit whose pre-activation is negative for every input outputs 0 and has slope 0 everywhere: no gradient reaches its weights, so nothing can bring it back. It is dead.",
        "A large update can throw a unit's weights and bias into that region in one step — the bigger the learning rate, the more units land there. The sweep trains one network per learning rate, all from the same initial weights, so the learning rate is the only difference.",
        f"Leaky ReLU keeps a small slope ({fmt(DYING_LEAK)} by default) for negative inputs: a unit pushed to the negative side still receives leak × its gradient, so by this measure it cannot die while the leak is above 0. That alone proves little, so the lesson also counts the leaky units the high learning rates push below zero on every input (many are), and measures what matters: the test accuracy the network keeps. Set the leak to 0 and leaky ReLU becomes ReLU again — it dies like ReLU and loses its accuracy edge. Set it to 1 and it is the identity x: the network is linear, nothing is rectified, and the lesson does not count it as support.",
        "Diverged runs (loss became infinite) are left out and marked ×.",
    ),
    controls=(
        Control("optimizer", "Optimiser", "choice", "adam", choices=("adam", "sgd"), labels=("Adam", "SGD")),
        param_control("leaky_relu", "leak", "Leaky ReLU's leak", help="Slope for negative inputs; 0 turns leaky ReLU into ReLU, 1 into the identity x (a linear network)."),
        Control("depth", "Hidden layers", "int", 4, 1, 6, 1),
        Control("width", "Units per layer", "int", 16, 4, 24, 1),
        Control("epochs", "Epochs", "int", 200, 20, 300, 10),
        Control("seeds", "Seeds averaged", "int", 2, 1, 4, 1, help="Each seed is one sweep with its own initial weights. In the largest networks fewer fit a lesson's compute: the numbers say how many were averaged."),
        Control("seed", "First seed", "int", 0, 0, 10_000, 1),
    ),
    plots=(
        Plot("sweep", "Dead units after training against the learning rate", "Share of hidden units inactive for every training input; × marks a diverged run."),
        Plot("curves", "Dead units during training, per learning rate", "One line per learning rate, darkest for the smallest and lightest for the largest; neighbouring lines also differ in dash."),
    ),
    measure=measure_dying,
    cost=cost_dying,
    explorer_note=note_dying,
    trains=True,
)
