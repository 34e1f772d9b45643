"""Lesson 7. not differentiable at zero."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from .. import activations as acts
from ..network import Architecture, Variant
from ..training import TrainConfig, cost
from .formatting import _finite, _names, _verdict, fmt
from .framework import Array, Control, Lesson, Measurement, Plot, Readout, Runner, check_budget, function_view
from .runs import _pass_after

KINK_JUMP = 0.5
KINK_SMOOTH = 1e-6
EXACT_ZEROS_MAX = 1e-4
KINK_STEPS = tuple(10.0 ** -k for k in range(1, 11))
KINK_VIEW = 1.0  # the explorer link's x range: [−1, 1]
KINK_BINS = (-9, 1, 41)  # distances to the kink: 0, then log-spaced edges 10⁻⁹ … 10
KINK_ACTS = ("relu", "leaky_relu", "prelu", "elu", "relu6", "hardtanh", "softplus", "gelu")


def one_sided_slopes(act: acts.Activation, at: float, params: Mapping[str, Any] | None = None) -> tuple[Array, Array]:
    """Left and right difference quotients (f(at) − f(at − h))/h and (f(at + h) − f(at))/h for h in KINK_STEPS."""
    params = dict(params or act.defaults())
    h = np.array(KINK_STEPS)
    f0 = act.f(np.array([at]), **params)[0]
    left = (f0 - act.f(at - h, **params)) / h
    right = (act.f(at + h, **params) - f0) / h
    return left, right


def _config(p: dict[str, Any]) -> TrainConfig:
    """One network of the chosen activation, trained; its pre-activations are read before and after."""
    return TrainConfig(
        arch=Architecture(p["depth"], p["width"]), variants=(Variant(p["activation"]),), epochs=p["epochs"], frames=2, boundary_frames=0,
        histograms=False, include_weights=True, seed=p["seed"], dtype=p["dtype"],
    )


def cost_kink(p: dict[str, Any]) -> float:
    return cost(_config(p))


def measure_kink(p: dict[str, Any], run: Runner) -> Measurement:
    relu = acts.get("relu")
    chosen = acts.get(p["activation"])
    cd = chosen.defaults()
    rl, rr = one_sided_slopes(relu, 0.0)
    cl, cr = one_sided_slopes(chosen, 0.0)
    away = max(float(np.abs(a[-4] - b[-4]).max()) for a, b in (one_sided_slopes(relu, -0.5), one_sided_slopes(relu, 0.5)))
    jump = float(rr[-1] - rl[-1])
    cfg = _config(p)
    check_budget([cfg], p, KINK.controls)
    tr = run(cfg)
    x = tr.data.x_all.astype(np.float64)
    own = chosen.kinks(**cd)
    kinks = own or [0.0]  # a smooth activation: count where ReLU's kink is
    # softplus's x = 20 is PyTorch's switch to f = x, where f jumps (by 2·10⁻⁹): not a kink
    jumps = [abs(float(np.diff(chosen.f(np.array([np.nextafter(k, -np.inf), np.nextafter(k, np.inf)]), **cd))[0])) for k in own]
    point = "switch" if own and max(jumps) > 1e-12 * max(1.0, *map(abs, own)) else "kink"
    at = ", ".join(fmt(k).replace("-", "−") for k in own)
    where = ((f"at a kink of {chosen.name} (x = {at})" if point == "kink"
              else f"at {chosen.name}'s threshold switch (x = {at}, where f jumps by {fmt(max(jumps))}: not a kink)") if own
             else f"exactly at 0 ({chosen.name} has no kink; ReLU's is there)")
    zs = [_pass_after(cfg, tr.theta_initial, x)]
    trained = tr.epochs_run > 0 and tr.diverged_at[0] is None and tr.theta_final is not None
    if trained:  # (0 epochs: the same pre-activations, counted once)
        zs.append(_pass_after(cfg, tr.theta_final, x))
    z = np.concatenate([a.ravel() for a in zs]).astype(np.float64)
    dist = np.min(np.abs(z[:, None] - np.array(kinks, dtype=np.float64)[None, :]), axis=1)
    hits = int((dist == 0).sum())
    total = int(z.size)
    closest = float(dist.min()) if total else math.nan
    edges = np.concatenate([[0.0], np.logspace(*KINK_BINS)])
    counts, _ = np.histogram(np.minimum(dist, edges[-1]), bins=edges)
    df0 = float(chosen.df(np.zeros(1), **cd)[0])
    readouts = [
        Readout("relu_sides", "ReLU at x = 0: left and right derivative", jump, f"{fmt(float(rl[-1]))} and {fmt(float(rr[-1]))}", f"they differ (by ≥ {fmt(KINK_JUMP)}): not differentiable", jump >= KINK_JUMP),
        Readout("relu_elsewhere", "ReLU at x = ±0.5: |right − left| slope", away, fmt(away), f"equal (≤ {fmt(KINK_SMOOTH)}): differentiable elsewhere", away <= KINK_SMOOTH),
        Readout("exact_hits", f"Pre-activations {where}, {'at init and after training' if trained else 'at init'} ({p['dtype']})", hits / total if total else None,
                f"{hits:,} of {total:,}", f"essentially none (≤ {fmt(EXACT_ZEROS_MAX)} of them)", total > 0 and hits / total <= EXACT_ZEROS_MAX),
        Readout("closest", f"Closest any pre-activation came to {f'the {point}' if own else '0'}", _finite(closest), fmt(closest), "a continuous distribution almost never hits a point"),
        Readout("convention", f"{chosen.name}: the value used for f′(0)", df0, fmt(df0), chosen.convention),
    ]
    if chosen.id != "relu":
        readouts.insert(4, Readout("chosen_sides", f"{chosen.name} at x = 0: left and right derivative", float(cr[-1] - cl[-1]), f"{fmt(float(cl[-1]))} and {fmt(float(cr[-1]))}", "differ only if it has a kink at 0"))
    verdict = _verdict(
        readouts,
        f"Supports the claim: ReLU's slope is {fmt(float(rl[-1]))} just left of 0 and {fmt(float(rr[-1]))} just right of it, so f′(0) does not exist; "
        f"the convention f′(0) = 0 is needed — yet {hits:,} of {total:,} pre-activations landed "
        + (f"exactly on {chosen.name}'s {point}" + ("s" if len(own) > 1 else "") if own else f"exactly on 0 ({chosen.name} has no kink)")
        + ", so the choice almost never matters.",
        "Does not support the claim at these settings: see the rows marked ✗.",
    )
    data = {
        "steps": KINK_STEPS,
        "relu": {"left": rl, "right": rr, "label": relu.name},
        "chosen": {"left": cl, "right": cr, "label": chosen.name, "activation": chosen.id, "kinks": kinks},
        "distance": {"edges": edges, "counts": counts, "total": total, "hits": hits, "to": f"the {point}" if own else "0"},
    }
    shown = ("relu", chosen.id) if chosen.id != "relu" else ("relu",)
    return Measurement(readouts, verdict, data, function_view(*shown, xmin=-KINK_VIEW, xmax=KINK_VIEW), tr.cut_short)


def note_kink(p: dict[str, Any], m: Measurement) -> str:
    chosen = acts.get(p["activation"])
    shown = f"ReLU and {chosen.name} with their derivatives" if chosen.id != "relu" else "ReLU and its derivative"
    return (f"The explorer draws {shown} on [−{fmt(KINK_VIEW)}, {fmt(KINK_VIEW)}], with kinks dotted and the value used for f′ at a kink on each card. "
            "It does not train a network here: the counts of pre-activations at the kink are made only in this lesson.")


KINK = Lesson(
    slug="kink-at-zero",
    number=7,
    title="Not differentiable at zero — and why it does not matter",
    claim="Not differentiable at zero (differentiable everywhere else).",
    source="Claimed problems, 1",
    measures="One-sided difference quotients of ReLU at 0 as the step shrinks; the derivative value the app (like PyTorch) uses at the kink; and how many pre-activations of a real network land exactly on the kink, at initialisation and after training.",
    threshold=f"ReLU's left and right slopes at 0 differ by at least {fmt(KINK_JUMP)} but agree (to {fmt(KINK_SMOOTH)}) away from 0; at most {fmt(EXACT_ZEROS_MAX)} of the network's pre-activations are exactly at the kink.",
    explanation=(
        "Just left of 0, ReLU is flat (slope 0); just right of 0 it is the identity (slope 1). The difference quotients settle on these two values as the step shrinks, so there is no single derivative at 0. Anywhere else the two sides agree.",
        "Backpropagation still needs a number at 0. This app, like PyTorch, uses f′(0) = 0 for ReLU (the left derivative); leaky ReLU uses its leak, ELU uses α. Any value in [0, 1] — a subgradient — would be as valid.",
        "Why it does not matter: pre-activations are sums of products of real-valued weights and inputs, so landing exactly on 0.0 is a probability-zero event. The count over every unit and input of a network, before and after training, is the proof; the histogram shows how close they come.",
    ),
    controls=(
        Control("activation", "Network's activation", "choice", "relu", choices=KINK_ACTS, labels=_names(KINK_ACTS), help="Whose kink is counted (ReLU's slopes are always shown)."),
        Control("dtype", "Arithmetic", "choice", "float64", choices=("float64", "float32"), help="float32 has fewer values to land on."),
        Control("depth", "Hidden layers", "int", 3, 1, 8, 1),
        Control("width", "Units per layer", "int", 32, 4, 32, 1),
        Control("epochs", "Epochs", "int", 200, 0, 600, 10),
        Control("seed", "Seed", "int", 0, 0, 10_000, 1),
    ),
    plots=(
        Plot("slopes", "One-sided slopes at x = 0 as the step shrinks", "(f(0) − f(−h))/h and (f(h) − f(0))/h against h (log scale). Two different limits: no derivative."),
        Plot("distance", "How close pre-activations come to the kink", f"Count of pre-activations by their distance to the kink, in log-spaced bins; the first bar (below {fmt(10.0 ** KINK_BINS[0])}) would hold any exact hits, which the note in the plot counts."),
    ),
    measure=measure_kink,
    cost=cost_kink,
    explorer_note=note_kink,
    trains=True,
)
