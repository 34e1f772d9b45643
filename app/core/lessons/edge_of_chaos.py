"""Lesson 14. The edge of chaos: gradients vanish when ordered, explode when chaotic (a theory's prediction)."""

from __future__ import annotations

from typing import Any

from .. import activations as acts
from .. import theory as T
from ..datasets import DatasetSpec, make_dataset
from ..errors import CoreError
from ..network import Architecture, Variant
from ..theory.engine import measured_gradients, predict_gradients
from ..training import TrainConfig
from .formatting import _names, _verdict, fmt
from .framework import LESSON_MAX_COST, Control, Lesson, Measurement, Plot, Readout, Runner, fitting_draws, moved, network_view, over_budget
from .runs import _init_cost, _init_statistics

EDGE_ACTIVATIONS = ("tanh", "hardtanh", "selu", "softsign")  # each has a critical line χ₁ = 1
ORDERED_FACTOR, CHAOTIC_FACTOR = 0.57, 1.7  # the ordered and chaotic points: this times the critical σ_w²
VANISH_BELOW, EXPLODE_ABOVE = 1 / 3, 3.0  # first ÷ last layer gradient
CRITICAL_RANGE = (0.5, 2.0)
DATA = DatasetSpec(n_points=32)
EXPLORER_DEPTH, EXPLORER_WIDTH = 12, 64  # the network view's caps


def _configs(p: dict[str, Any], sigma_w2s: list[float]) -> list[TrainConfig]:
    """The networks at initialisation, one per σ_w² (ordered, critical, chaotic)."""
    arch = Architecture(p["depth"], p["width"])
    return [TrainConfig(data=DATA, arch=arch, init="custom", sigma_w2=sw2, sigma_b2=p["sigma_b2"], variants=(Variant(p["activation"]),), epochs=0, boundary_frames=0, histograms=False)
            for sw2 in sigma_w2s]


def _draws(p: dict[str, Any], configs: list[TrainConfig]) -> tuple[int, float]:
    """The weight draws measured (as many of the requested as fit a lesson's compute) and their cost."""
    per_draw = sum(_init_cost(c, 1) for c in configs)
    draws = fitting_draws(p["seeds"], per_draw)
    return draws, draws * per_draw


def cost_edge(p: dict[str, Any]) -> float:
    """The cost does not depend on σ_w² (only the three points' count): priced at 1."""
    return _draws(p, _configs(p, [1.0, 1.0, 1.0]))[1]


def measure_edge(p: dict[str, Any], run: Runner) -> Measurement:
    act = p["activation"]
    phi = T.phi_from_activation(acts.get(act))
    crit = T.critical_sigma_w2(phi, p["sigma_b2"])
    if crit is None:
        raise CoreError("sigma_b2", f"{act} has no critical σ_w² in [0.1, 10] at σ_b² = {fmt(p['sigma_b2'])}: choose another σ_b²", "no_critical_point")
    arch = Architecture(p["depth"], p["width"])
    points = (("ordered", ORDERED_FACTOR * crit), ("critical", crit), ("chaotic", CHAOTIC_FACTOR * crit))
    configs = _configs(p, [sw2 for _, sw2 in points])
    draws, total = _draws(p, configs)
    if total > LESSON_MAX_COST:
        raise over_budget(total, moved(p, EDGE_OF_CHAOS.controls, ["depth", "width"]), ["depth", "width"])
    seeds = list(range(p["seed"], p["seed"] + draws))
    x = make_dataset(DATA).x_train
    series = []
    for (phase, sw2), config in zip(points, configs):
        measured = measured_gradients(_init_statistics(config, seeds, chunk=8)["grad_norm_input"])
        predicted = predict_gradients(config, x)
        first = measured["median"][0]
        series.append({
            "phase": phase, "sigma_w2": sw2, "chi1": T.signal_propagation(phi, sw2, p["sigma_b2"])["chi1"],
            "measured": measured, "predicted": predicted["log10_grad_norm"],
            "ratio": 10.0 ** first if first is not None else None,
            "predicted_ratio": 10.0 ** predicted["log10_grad_norm"][0] if predicted["log10_grad_norm"][0] is not None else None,
        })
    ordered, critical, chaotic = series
    name = _names([act])[0]
    # the claim per phase, for a first ÷ last ratio (the measured one, or the predicted)
    meets = {"ordered": lambda r: r < VANISH_BELOW, "critical": lambda r: CRITICAL_RANGE[0] <= r <= CRITICAL_RANGE[1], "chaotic": lambda r: r > EXPLODE_ABOVE}
    checks = {s["phase"]: s["ratio"] is not None and meets[s["phase"]](s["ratio"]) for s in series}
    targets = {"ordered": f"vanishes (< {fmt(VANISH_BELOW)})", "critical": f"neither ({fmt(CRITICAL_RANGE[0])}–{fmt(CRITICAL_RANGE[1])})", "chaotic": f"explodes (> {fmt(EXPLODE_ABOVE)})"}
    readouts = [
        Readout(f"{s['phase']}_ratio", f"{s['phase'].capitalize()} (σ_w² = {fmt(s['sigma_w2'], 4)}, χ₁ = {fmt(s['chi1'])}): first ÷ last layer ‖∂L/∂(layer input)‖, median of {len(seeds)} draws",
                s["ratio"], fmt(s["ratio"]), f"{targets[s['phase']]}; predicted {fmt(s['predicted_ratio'])}", checks[s["phase"]])
        for s in (critical, ordered, chaotic)
    ]
    gaps = [abs(a - b) for s in series for a, b in zip(s["measured"]["median"][1:], s["predicted"][1:]) if a is not None and b is not None]
    readouts += [
        Readout("critical_sigma_w2", f"{name}'s critical σ_w² at σ_b² = {fmt(p['sigma_b2'])} (χ₁ = 1)", crit, fmt(crit, 4), "from the theory (the phase diagram's line)"),
        Readout("theory_gap", "Largest gap between measured median and prediction, layers 2 and up", max(gaps) if gaps else None, f"{fmt(max(gaps) if gaps else None, 2)} decades", "small: the mean-field prediction"),
    ]
    # the thresholds the mean-field prediction itself misses: too few layers for (√χ₁)ᴸ to reach them
    bounds = {"ordered": f"< {fmt(VANISH_BELOW)}", "chaotic": f"> {fmt(EXPLODE_ABOVE)}"}
    short = [s for s in (ordered, chaotic) if s["predicted_ratio"] is not None and not checks[s["phase"]] and not meets[s["phase"]](s["predicted_ratio"])]
    predicted = " and ".join(f"{fmt(s['predicted_ratio'])} {s['phase']}" for s in short)
    deepest = int(next(c.max for c in EDGE_OF_CHAOS.controls if c.id == "depth"))
    more = "add layers to see them" if arch.depth < deepest else f"it takes more layers than the lesson's {deepest}"
    too_shallow = (f" The theory predicts no more: {predicted} over {arch.depth} layers, short of {' and '.join(bounds[s['phase']] for s in short)}."
                   f" The shrinking and the growth compound layer by layer, like (√χ₁)ᴸ: {more}." if short else "")
    # on the critical line the prediction itself may leave the range: q_l still on its way to q*
    # (σ_b² = 0: q* = 0, reached only like 1/l, each layer's χ below 1 all the way)
    pc = critical["predicted_ratio"]
    if not checks["critical"] and pc is not None and not meets["critical"](pc):
        q_star = T.signal_propagation(phi, crit, p["sigma_b2"])["q_star"]
        why = (f"at σ_b² = {fmt(p['sigma_b2'])} the fixed point is q* = 0, which the layers' variance approaches only slowly (like 1/l), "
               "so every layer's χ stays below 1 and the gradient shrinks like a power of the depth: choose σ_b² > 0 to see it keep its size"
               if q_star is not None and q_star < 1e-6 else
               f"the layers' variance has not settled at q* = {fmt(q_star)} within {arch.depth} layers, so χ at each layer is not yet χ₁")
        too_shallow += f" On the critical line the theory itself predicts {fmt(pc)}, outside {fmt(CRITICAL_RANGE[0])}–{fmt(CRITICAL_RANGE[1])}: {why}."
    verdict = _verdict(
        readouts,
        f"Supports the claim: through {arch.depth} {name} layers the gradient reaching layer 1 is {fmt(ordered['ratio'])} of the last layer's when ordered, "
        f"{fmt(critical['ratio'])} at the edge of chaos and {fmt(chaotic['ratio'])} when chaotic.",
        f"Does not support the claim at these settings: ordered {fmt(ordered['ratio'])}, critical {fmt(critical['ratio'])}, chaotic {fmt(chaotic['ratio'])}.{too_shallow}",
    )
    data = {"layers": list(range(1, arch.depth + 1)), "activation": act, "label": name, "critical_sigma_w2": crit, "sigma_b2": p["sigma_b2"], "seeds": seeds, "series": series}
    view = network_view("train", act, init="custom", sigma_w2=round(crit, 2), sigma_b2=p["sigma_b2"], depth=min(p["depth"], EXPLORER_DEPTH),
                        width=min(p["width"], EXPLORER_WIDTH), seed=p["seed"], grad="input")
    return Measurement(readouts, verdict, data, view)


def note_edge(p: dict[str, Any], m: Measurement) -> str:
    d = m.data
    shrunk = p["depth"] > EXPLORER_DEPTH or p["width"] > EXPLORER_WIDTH
    size = (f"a smaller network ({min(p['depth'], EXPLORER_DEPTH)} layers of {min(p['width'], EXPLORER_WIDTH)} units, the explorer's largest)" if shrunk
            else f"the same network ({p['depth']} layers of {p['width']} units)")
    return (
        f"The explorer trains {d['label']} from the critical point (σ_w² = {fmt(d['critical_sigma_w2'], 3)}, σ_b² = {fmt(p['sigma_b2'])}) on {size}, seed {p['seed']}. "
        "Its gradient plots lay the theory's prediction (dashed) over the measurement: the median over several weight draws at initialisation (solid) and the heat map's epoch-0 column. "
        "Its Theory tab shows the phase diagram: click the ordered or the chaotic side and train again."
    )


EDGE_OF_CHAOS = Lesson(
    slug="edge-of-chaos",
    number=14,
    title="The edge of chaos: where gradients neither vanish nor explode",
    claim="At initialisation, gradients vanish towards the input in the ordered phase (χ₁ < 1) and explode in the chaotic phase (χ₁ > 1); on the critical line χ₁ = 1 — the edge of chaos — they keep their size through depth.",
    source="§3–4 (gradient backpropagation, the phase diagram)",
    paper="Schoenholz, Gilmer, Ganguli & Sohl-Dickstein 2017, “Deep Information Propagation” (ICLR)",
    measures=(
        "The gradient at each layer's input, ‖∂L/∂(layer input)‖, at initialisation (no training) in the training engine's networks initialised with W ~ N(0, σ_w²/n), b ~ N(0, σ_b²) "
        f"at three points: on the critical line (σ_w² where χ₁ = 1), ordered ({fmt(ORDERED_FACTOR)}× that σ_w²) and chaotic ({fmt(CHAOTIC_FACTOR)}×); "
        "median over random weight draws of the first ÷ last layer ratio, next to the mean-field prediction."
    ),
    threshold=(f"The median first ÷ last ratio is below {fmt(VANISH_BELOW)} when ordered, above {fmt(EXPLODE_ABOVE)} when chaotic, "
               f"and within {fmt(CRITICAL_RANGE[0])}–{fmt(CRITICAL_RANGE[1])} at the edge of chaos."),
    explanation=(
        "On its way back, the squared gradient is multiplied at every layer by χ = σ_w² · E[φ′(z)²], the mean squared slope of the activation times the weight variance. "
        "After the first few layers the pre-activations settle at their fixed variance q*, and χ settles at χ₁: over L layers the gradient scales like (√χ₁)ᴸ.",
        "χ₁ < 1 (small weights, or a saturating activation): the network is ordered — inputs that start apart end up alike, and gradients shrink exponentially towards the input. "
        "χ₁ > 1: chaotic — nearby inputs are torn apart and gradients grow. The critical line χ₁ = 1 separates them; the Theory tab draws it for any activation.",
        "At the edge of chaos the depth scales — how many layers a signal's size and the correlation between two inputs survive — diverge: this is where very deep networks can be trained at all (Schoenholz et al. trained tanh networks hundreds of layers deep there).",
        "Layer 1's gradient is ∂L/∂x, with two components per input: it scatters more between draws than the hidden layers' (with width components), so its median sits slightly below the prediction.",
    ),
    controls=(
        Control("activation", "Activation", "choice", "tanh", choices=EDGE_ACTIVATIONS, labels=_names(EDGE_ACTIVATIONS)),
        Control("sigma_b2", "Bias variance σ_b²", "float", 0.05, 0.0, 1.0, 0.01, help="Sets where the critical line is crossed (tanh: σ_w² = 1.76 at σ_b² = 0.05)."),
        Control("depth", "Hidden layers", "int", 20, 6, 30, 1),
        Control("width", "Units per layer", "int", 96, 32, 128, 1, help="The prediction is the wide limit."),
        Control("seeds", "Weight draws", "int", 12, 4, 12, 1, help="Random networks for the median and the band. The deepest, widest networks fit fewer in a lesson's compute: the readouts say how many."),
        Control("seed", "Seed", "int", 0, 0, 10_000, 1),
    ),
    plots=(
        Plot("ratios", "Gradient per layer at initialisation: ordered, critical, chaotic", "log₁₀ of ‖∂L/∂(layer input)‖ relative to the last layer: median over weight draws (solid, band 10–90 %) and the mean-field prediction (dashed)."),
    ),
    measure=measure_edge,
    cost=cost_edge,
    explorer_note=note_edge,
    trains=True,
)
