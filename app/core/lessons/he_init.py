"""Lesson 13. Why He initialisation: 2/n keeps ReLU signals alive (a theory's prediction)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import activations as acts
from .. import theory as T
from ..datasets import DatasetSpec
from ..network import Architecture, Variant
from ..training import TrainConfig
from .formatting import _SUP, _verdict, fmt, sub
from .framework import LESSON_MAX_COST, Control, Lesson, Measurement, Plot, Readout, Runner, fitting_draws, moved, over_budget, theory_view
from .runs import _init_cost, _init_pass

HE_KEEPS = (0.25, 4.0)  # He: the measured q_L/q₁ stays within this range (a factor 4 of the predicted 1)
LECUN_WITHIN = 4.0  # LeCun: the measured q_L/q₁ within this factor of 2^-(L-1)
HE_SCATTER = (0.08, 1.9)  # He's q₅₀/q₁ at 50 layers of 128 units: 10 % and 90 % quantiles over draws (tested)
DATA = DatasetSpec(n_points=32)  # the explorer's two moons, fewer points: one pass per weight draw
INITS = (("he", "He (Kaiming)", 2.0), ("lecun", "LeCun", 1.0))  # σ_w² = fan_in·Var(W)


def _q_ratios(z: np.ndarray) -> np.ndarray:
    """Per draw and layer, q_l/q₁: the pre-activations' second moment over units and inputs
    (z of the engine's forward pass, (draws, depth, width·inputs)), relative to layer 1."""
    q = np.mean(z * z, axis=2)
    with np.errstate(all="ignore"):
        return q / q[:, :1]


def _draws(p: dict[str, Any]) -> tuple[int, float]:
    """The weight draws measured (as many of the requested as fit a lesson's compute) and their cost."""
    arch = Architecture(p["depth"], p["width"])
    configs = [TrainConfig(data=DATA, arch=arch, init=init, variants=(Variant("relu"),), epochs=0, boundary_frames=0, histograms=False) for init, _, _ in INITS]
    per_draw = sum(_init_cost(c, 1) for c in configs)  # (a forward pass is about a third of it)
    draws = fitting_draws(p["seeds"], per_draw)
    return draws, draws * per_draw


def cost_he(p: dict[str, Any]) -> float:
    return _draws(p)[1]


def measure_he(p: dict[str, Any], run: Runner) -> Measurement:
    arch = Architecture(p["depth"], p["width"])
    draws, total = _draws(p)
    if total > LESSON_MAX_COST:
        raise over_budget(total, moved(p, HE_INIT.controls, ["depth", "width"]), ["depth", "width"])
    seeds = list(range(p["seed"], p["seed"] + draws))
    relu = T.phi_from_activation(acts.get("relu"))
    series = []
    for init, label, sw2 in INITS:
        ratios = _q_ratios(_init_pass(arch, init, 0.0, "relu", seeds, DATA)[0])
        lo, med, hi = np.quantile(ratios, [0.1, 0.5, 0.9], axis=0)
        predicted = np.array(T.q_trajectory(relu, sw2, 0.0, arch.depth)["q"], dtype=float)
        series.append({"init": init, "label": f"{label} (σ_w² = {fmt(sw2)})", "sigma_w2": sw2, "median": med, "low": lo, "high": hi,
                       "predicted": predicted / predicted[0], "last": float(med[-1]), "predicted_last": float(predicted[-1] / predicted[0])})
    he, lecun = series
    L = arch.depth
    halving = 2.0 ** -(L - 1)
    per_layer = lecun["last"] ** (1.0 / (L - 1)) if L > 1 and lecun["last"] > 0 else math.nan
    gap = max(float(np.nanmax(np.abs(np.log10(s["median"]) - np.log10(s["predicted"])))) for s in series)
    exponent = str(-(L - 1)).translate(_SUP)
    readouts = [
        Readout("he_ratio", f"He: q{sub(L)} ÷ q₁, median over {len(seeds)} random ReLU networks", he["last"], fmt(he["last"]),
                f"stays within {fmt(HE_KEEPS[0])}–{fmt(HE_KEEPS[1])} (predicted {fmt(he['predicted_last'])})", HE_KEEPS[0] <= he["last"] <= HE_KEEPS[1]),
        Readout("lecun_ratio", f"LeCun: q{sub(L)} ÷ q₁, median over the same draws", lecun["last"], fmt(lecun["last"]),
                f"halves every layer: 2{exponent} = {fmt(halving)} (within a factor {fmt(LECUN_WITHIN)})", halving / LECUN_WITHIN <= lecun["last"] <= halving * LECUN_WITHIN),
        Readout("lecun_per_layer", "LeCun: measured factor per layer (geometric mean)", per_layer if math.isfinite(per_layer) else None, fmt(per_layer), "½ (the prediction: σ_w²/2)"),
        Readout("theory_gap", "Largest gap between a measured median and the prediction, any layer", gap, f"{fmt(gap, 2)} decades", "small: the mean-field prediction"),
    ]
    verdict = _verdict(
        readouts,
        f"Supports the claim: through {L} ReLU layers He's qₗ stays put (q{sub(L)}/q₁ = {fmt(he['last'])}) while LeCun's halves every layer "
        f"({fmt(lecun['last'])}, against 2{exponent} = {fmt(halving)}).",
        f"Does not support the claim at these settings: He {fmt(he['last'])} (wanted {fmt(HE_KEEPS[0])}–{fmt(HE_KEEPS[1])}), LeCun {fmt(lecun['last'])} (wanted ≈ {fmt(halving)}).",
    )
    data = {"layers": list(range(1, L + 1)), "seeds": seeds, "series": series, "ratio": f"q{sub(L)}/q₁"}
    view = theory_view("relu", th_depth=p["depth"], th_width=p["width"])
    return Measurement(readouts, verdict, data, view)


def note_he(p: dict[str, Any], m: Measurement) -> str:
    return (
        f"The explorer opens its Theory tab on ReLU, whose “Activation variance over depth” plot draws the same comparison for LeCun, Glorot, He and a custom "
        f"(σ_w², σ_b²) with its own random networks ({p['depth']} layers of {p['width']} units, Gaussian inputs, its own weight draws) next to the mean-field "
        "prediction, so its medians differ a little from this lesson's, which come from the training engine's networks on the two-moons data."
    )


HE_INIT = Lesson(
    slug="he-initialisation",
    number=13,
    title="Why He initialisation: 2/n keeps ReLU signals alive",
    claim="Weights drawn with variance 2/n keep the variance of a ReLU network's signals the same from layer to layer; with variance 1/n it halves at every layer.",
    source="§2.2 (forward propagation case)",
    paper="He, Zhang, Ren & Sun 2015, “Delving Deep into Rectifiers” (ICCV)",
    measures=(
        "The second moment qₗ of the pre-activations, layer by layer, in the training engine's ReLU networks at initialisation (its forward pass, no training), "
        "relative to the first layer, median over random weight draws, with He (W ~ N(0, 2/n)) and LeCun (N(0, 1/n)) initialisation, "
        "next to the mean-field prediction qₗ = (σ_w²/2)ˡ⁻¹·q₁."
    ),
    threshold=f"With He, the last layer's q ÷ q₁ stays within {fmt(HE_KEEPS[0])}–{fmt(HE_KEEPS[1])}; with LeCun it is within a factor {fmt(LECUN_WITHIN)} of 2⁻⁽ᴸ⁻¹⁾ (L layers).",
    explanation=(
        "A ReLU unit passes its input where it is positive and outputs 0 elsewhere, so for a symmetric pre-activation z of variance q, E[relu(z)²] = q/2: half of the signal's energy is cut.",
        "The next layer sums n such outputs with weights of variance σ_w²/n, so its pre-activations have qₗ₊₁ = σ_w² · qₗ/2. With σ_w² = 2 — He's 2/n — the factor is exactly 1: the signal keeps its size however deep the network.",
        "With σ_w² = 1 — LeCun's 1/n, right for tanh — the factor is ½, so after 50 layers the signal is 2⁻⁴⁹ ≈ 10⁻¹⁵ of what entered: the last layers see numerical dust, and the gradient flowing back shrinks the same way.",
        f"A single random network scatters around the prediction (at 50 layers of 128 units, He's q₅₀/q₁ ranges from about {fmt(HE_SCATTER[0], 2)} to {fmt(HE_SCATTER[1], 2)} over the middle 80 % of draws): the plot shows the median and the 10–90 % band over draws. "
        "The theory predicts the average; in a deep, narrow network the per-layer factors multiply, so the median drifts below it — the wider the network, the less.",
        "With the same random draws, LeCun's weights are He's divided by √2, and a ReLU network without biases scales exactly with its weights: LeCun's qₗ is He's times 2⁻⁽ˡ⁻¹⁾, draw by draw.",
    ),
    controls=(
        Control("depth", "Hidden layers", "int", 20, 2, 50, 1),
        Control("width", "Units per layer", "int", 128, 16, 128, 1, help="The prediction is the wide limit; narrow networks scatter more."),
        Control("seeds", "Weight draws", "int", 16, 4, 16, 1, help=f"Random networks (weight seeds seed, seed+1, …) for the median and the band. The deepest networks fit fewer in a lesson's compute "
                f"(at 50 layers of 128 units, {_draws({'depth': 50, 'width': 128, 'seeds': 16})[0]}): the readouts say how many."),
        Control("seed", "Seed", "int", 0, 0, 10_000, 1),
    ),
    plots=(
        Plot("variance", "Signal variance over depth at initialisation", "qₗ ÷ q₁ per layer for ReLU: median over weight draws (solid, band 10–90 %) and the mean-field prediction (dashed). Log scale."),
    ),
    measure=measure_he,
    cost=cost_he,
    explorer_note=note_he,
    trains=True,
)
