"""Lesson 1. ReLU: about half the units active at initialisation."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..network import SCHEME_INITS, Architecture
from .formatting import _verdict, pct
from .framework import INIT_LABELS, Array, Control, Lesson, Measurement, Plot, Readout, Runner, network_view
from .runs import _init_pass, _label

SPARSE_RANGE = (0.45, 0.55)
NOT_SPARSE = 0.99


def measure_sparse(p: dict[str, Any], run: Runner) -> Measurement:
    arch = Architecture(p["depth"], p["width"])
    seeds = list(range(p["seed"], p["seed"] + p["seeds"]))
    per_act: dict[str, dict[str, Any]] = {}
    relu_z: Array | None = None
    for name in ("relu", "leaky_relu", "tanh"):
        z, _, nonzero = _init_pass(arch, p["init"], p["bias_init"], name, seeds)  # nonzero: (S, D)
        if name == "relu":
            relu_z = z
        per_act[name] = {
            "label": _label(name),
            "per_layer": nonzero.mean(axis=0),
            "per_layer_min": nonzero.min(axis=0),
            "per_layer_max": nonzero.max(axis=0),
            "per_seed": nonzero.mean(axis=1),
            "overall": float(nonzero.mean()),
            "positive": float((z > 0).mean()),
            "first_seed_positive": float((z[0] > 0).mean()),  # what the explorer's sparsity plot shows at epoch 0
        }
    assert relu_z is not None
    # pre-activation histogram of the ReLU network, per layer, pooled over seeds, on common bins
    r = float(np.quantile(np.abs(relu_z), 0.995)) or 1.0
    edges = np.linspace(-r, r, 41)
    hist = []
    for layer in range(arch.depth):
        zl = relu_z[:, layer].ravel()
        counts, _ = np.histogram(np.clip(zl, -r, r), bins=edges)
        hist.append({"counts": counts / max(1, zl.size), "positive": float((zl > 0).mean())})
    dead_units = float((relu_z.reshape(len(seeds), arch.depth, arch.width, -1) <= 0).all(axis=3).mean())
    relu, leaky, tanh = per_act["relu"], per_act["leaky_relu"], per_act["tanh"]
    lo, hi = SPARSE_RANGE
    seeds_lo, seeds_hi = float(relu["per_seed"].min()), float(relu["per_seed"].max())
    readouts = [
        Readout("relu_active", "ReLU units active (non-zero output)", relu["overall"], pct(relu["overall"]), f"about 50 % (within {pct(lo, 0)}–{pct(hi, 0)})", lo <= relu["overall"] <= hi),
        Readout("relu_seed_range", f"ReLU, range over {len(seeds)} seeds" if len(seeds) > 1 else "ReLU, one seed", seeds_hi - seeds_lo, f"{pct(seeds_lo)} – {pct(seeds_hi)}" if len(seeds) > 1 else pct(seeds_lo), "each seed near 50 %"),
        Readout("leaky_active", "Leaky ReLU units with non-zero output", leaky["overall"], pct(leaky["overall"]), f"not sparse (≥ {pct(NOT_SPARSE, 0)})", leaky["overall"] >= NOT_SPARSE),
        Readout("tanh_active", "tanh units with non-zero output", tanh["overall"], pct(tanh["overall"]), f"not sparse (≥ {pct(NOT_SPARSE, 0)})", tanh["overall"] >= NOT_SPARSE),
        Readout("tanh_positive", "tanh pre-activations above 0", tanh["positive"], pct(tanh["positive"]), "about half: tanh is on both sides, never off"),
        Readout("relu_dead_units", "ReLU units off for every input (dead at init)", dead_units, pct(dead_units), "few"),
    ]
    verdict = _verdict(
        readouts,
        f"Supports the claim: {pct(relu['overall'])} of ReLU units give a non-zero output at initialisation, "
        f"while leaky ReLU and tanh are non-zero for {pct(leaky['overall'])} and {pct(tanh['overall'])} of them.",
        f"Does not support the claim at these settings: ReLU {pct(relu['overall'])} active "
        f"(wanted {pct(lo, 0)}–{pct(hi, 0)}), leaky ReLU {pct(leaky['overall'])}, tanh {pct(tanh['overall'])}.",
    )
    data = {
        "layers": list(range(1, arch.depth + 1)),
        "series": [{"activation": k, **v} for k, v in per_act.items()],
        "histogram": {"edges": edges, "layers": hist},
        "seeds": seeds,
    }
    view = network_view("compare", "relu", "leaky_relu", "tanh", depth=p["depth"], width=p["width"], init=p["init"], bias_init=p["bias_init"], seed=p["seed"])
    return Measurement(readouts, verdict, data, view)


def note_sparse(p: dict[str, Any], m: Measurement) -> str:
    s = {x["activation"]: x for x in m.data["series"]}
    seeds = m.data["seeds"]
    at0 = ", ".join(f"{s[n]['label']} {pct(s[n]['first_seed_positive'])}" for n in ("relu", "leaky_relu", "tanh"))
    text = (
        f"The explorer trains these three networks from seed {p['seed']} alone. Its sparsity plot shows, per layer and epoch, the share of "
        f"(unit, input) pairs with z > 0 — at epoch 0: {at0}. For ReLU that is exactly a non-zero output; leaky ReLU and tanh "
        "are non-zero on both sides of 0, which is what this lesson counts for them. "
    )
    if len(seeds) > 1:
        return text + f"This lesson averages {len(seeds)} weight seeds ({seeds[0]}–{seeds[-1]}); with Weight seeds set to 1, ReLU's share here is the explorer's."
    return text + "With one weight seed, ReLU's share here is the explorer's."


SPARSE = Lesson(
    slug="sparse-activation",
    number=1,
    title="Sparse activation: about half the units are off",
    claim="Sparse activation: in a randomly initialised network only about 50% of hidden units are active (non-zero output).",
    source="Claimed advantages of the rectifier, 2",
    measures="The share of hidden units whose output is non-zero, over the training inputs, at random initialisation (no training), for ReLU, leaky ReLU and tanh from the same weights.",
    threshold=f"ReLU's share, averaged over layers and weight seeds, lies within {pct(SPARSE_RANGE[0], 0)}–{pct(SPARSE_RANGE[1], 0)}; leaky ReLU and tanh are non-zero on at least {pct(NOT_SPARSE, 0)}.",
    explanation=(
        "With zero biases and weights drawn symmetrically around zero, each pre-activation z = w·x is as likely to be negative as positive. ReLU outputs exactly 0 for every z ≤ 0, so about half the units are silent for any given input: the representation is sparse.",
        "Leaky ReLU and tanh see the same pre-activations, but they return a non-zero value on both sides of 0: nothing is switched off.",
        "The histogram shows the pre-activations of each layer: the mass left of the zero line is the inactive half. The initialisation only sets the spread, not the sign — He, Glorot and LeCun all give about 50 %. A positive initial bias moves the mass right (more units on); a negative one moves it left.",
        "Very narrow, deep networks drift below 50 %: once every unit of a layer is off for an input, the next layer sees only its biases. Try width 4 and depth 12.",
    ),
    controls=(
        Control("depth", "Hidden layers", "int", 4, 1, 12, 1, help="Number of hidden layers."),
        Control("width", "Units per layer", "int", 16, 2, 64, 1, help="Hidden units in each layer."),
        Control("seeds", "Weight seeds", "int", 16, 1, 16, 1, help="Independent random initialisations averaged over."),
        Control("init", "Initialisation", "choice", "he", choices=SCHEME_INITS, labels=INIT_LABELS, help="He N(0, 2/fan-in), Glorot, LeCun, or uniform ±0.5."),
        Control("bias_init", "Initial bias", "float", 0.0, -1.0, 1.0, 0.05, help="Every bias starts here; 0 is the usual choice."),
        Control("seed", "First seed", "int", 0, 0, 10_000, 1, help="Seeds seed, seed+1, … are used."),
    ),
    plots=(
        Plot("active", "Units with non-zero output, per layer", "Share of (unit, training input) pairs with f(z) ≠ 0 at initialisation; the error bars span the seeds."),
        Plot("histogram", "ReLU pre-activations at initialisation", "Distribution of z per layer over all seeds and inputs: left of the zero line the ReLU unit is off."),
    ),
    measure=measure_sparse,
    explorer_note=note_sparse,
)
