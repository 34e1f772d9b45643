"""The app's vocabulary, declared once and served to the pages: ``GET /api/meta``.

Everything a page must agree on with the server — the URL state of the explorer (each
setting's type, default, range or choices), the network form's layout and labels, the
datasets, initialisations and optimisers by name, the plots (panels) with their titles and
help, the caps (curves, activations, sweep values) and the compute budget — is declared
here or read from where it is declared (the request models, the catalogue, the core), so
the JavaScript re-declares none of it.

Links follow one rule, on the page (``static/js/lib/url.js``, ``spec.js``) and on the server
(:func:`read_link`, :mod:`app.core.spec`): a setting missing takes its default; a number
that is not a plain decimal takes the default; a number outside its range moves to the
nearest end (a whole-number setting is rounded first); a choice not offered takes the
default; an unknown setting is ignored — each change reported as a note with a ``code``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from app import __version__
from app.core import spec as specs
from app.core.activations import DECIMAL
from app.core.datasets import DATASET_LABELS
from app.core.network import INIT_LABELS
from app.core.optim import OPTIMIZER_LABELS
from app.core.training import MAX_COST

from . import activations as curve_api
from . import theory, training
from .responses import cached_json

router = APIRouter(prefix="/api", tags=["meta"])

THEMES = ("light", "dark", "contrast")
MAX_CURVES = 6  # curves the function view overlays (the API takes up to activations.MAX_SPECS)
MAX_COMPARE = 3  # activations the compare mode trains side by side (the API takes up to 4)
GRID_POINTS = 401  # points per curve the pages ask for
SAMPLES = 300  # random draws shown for stochastic activations
# Recorded detail for the explorer's runs (within the API's caps).
RECORDING = {"frames": 100, "boundary_frames": 12, "boundary_grid": 40}
# Training embeds run on load up to this share of the compute budget (≈ 1 s here).
AUTORUN_COST = 1.5e9
# Activations the "+" buttons add, in this order, skipping those already chosen.
COMPARE_NEXT = ("leaky_relu", "elu", "tanh", "prelu", "gelu")
FUNCTION_NEXT = ("leaky_relu", "elu", "softplus", "gelu", "tanh", "sigmoid")
SWEEP_DEFAULTS = {"learning_rate": ["0.001", "0.01", "0.1", "0.3", "1", "3"], "momentum": ["0", "0.5", "0.9", "0.95", "0.99"]}
EMBED_ONLY_KEYS = ("controls", "title", "modebar")
MAX_THEORY = 3  # activations the Theory view compares
THEORY_DEFAULT = "tanh,relu,gelu"  # tanh's phase diagram is the classic one; GELU and ReLU share a₁
THEORY_DEPTH = 30  # layers of the Theory view's per-layer predictions and random networks
# the Theory view's Monte Carlo and the network view's overlay (weight draws at initialisation)
THEORY_VIEW = {
    "draws": 32, "inits": ["lecun", "glorot", "he", "custom"], "overlay_seeds": 16, "hermite_shown": 12, "mean_var_reference": "selu",
    # the Theory view's own settings (ranges in "state"), as its controls label them
    "controls": [
        {"key": "th_depth", "label": "Layers", "step": 1, "help": "Depth of the per-layer predictions and of the random networks."},
        {"key": "th_width", "label": "Units per layer (random networks)", "step": 1, "help": "Width of the networks drawn at initialisation; the theory is their wide limit."},
        {"key": "q_in", "label": "Input second moment q_in", "log": True, "help": "‖x‖²/N of the input: the first layer's q₁ = σ_w² q_in + σ_b²."},
    ],
}

# Plots: name → (kind, title, help). The explorer, the embeds and the lessons draw them.
PANELS: dict[str, dict[str, str]] = {
    "function": {"kind": "function", "title": "f(x) and its derivative f′(x)", "help": "Shaded: where f′ = 0 (dead) or |f′| < ε (saturated). Dotted: kinks."},
    "loss": {"kind": "train", "title": "Loss and test accuracy", "help": "Cross-entropy (log scale) for training (solid) and test (dashed) data; dotted: test accuracy (right axis)."},
    "boundary": {"kind": "train", "title": "Decision boundary", "help": "Probability of class 1 over the plane, with the training (●) and test (▲) points. Scrub or play through training."},
    "gradient-flow": {"kind": "train", "title": "Gradient flow (layer × epoch)", "help": "log₁₀ of the gradient's size per layer: at the layer's input (‖∂L/∂h‖, the default) or of its weights (‖∂L/∂W‖; the Gradient menu picks). Dark rows near layer 1 mean vanishing gradients."},
    "gradient-norms": {"kind": "train", "title": "Gradient norm per layer", "help": "The gradient's size per layer (at the layer's input, or of its weights: the Gradient menu picks) at initialisation (dotted) and at the end (solid). A flat line means gradients neither vanish nor explode."},
    "sparsity": {"kind": "train", "title": "Sparsity: fraction of active units", "help": "Share of (unit, input) pairs with a positive pre-activation, per layer. ReLU starts near 50 %."},
    "dead": {"kind": "train", "title": "Dead units", "help": "A unit counts as dead when its |f′(z)|, summed over every training input, is below 10⁻⁸: no gradient reaches its weights. For ReLU that means z ≤ 0 on every input; for sigmoid and tanh, saturated on every input; for ELU (f′ = αeᶻ), z below about −20 on every input."},
    "prelu": {"kind": "train", "title": "Learned PReLU slopes", "help": "PReLU learns its negative slope a, one per layer."},
    "histogram": {"kind": "train", "title": "Pre-activations at init and at the end", "help": "Distribution of z = Wx + b per layer, over every unit and training input. For ReLU, the mass below 0 is inactive."},
    "sweep": {"kind": "sweep", "title": "Sweep", "help": "One trained network per value, all from the same data and initial weights. × marks a diverged run."},
    "sweep-curves": {"kind": "sweep", "title": "Training loss for every swept value", "help": "Colour runs from the smallest value (dark) to the largest (light)."},
    "phase": {"kind": "theory", "title": "Phase diagram: order, chaos and the edge between", "help": "log χ₁ over the (σ_w², σ_b²) plane, χ₁ = σ_w² E[φ′(√q* z)²]: below 0 (χ₁ < 1) the network is ordered — gradients vanish with depth, nearby inputs merge; above, chaotic — gradients explode, nearby inputs decorrelate. The line is the critical line χ₁ = 1. Click a point to initialise the network there."},
    "gradient-prediction": {"kind": "theory", "title": "Predicted gradient norm per layer", "help": "Mean-field prediction of log₁₀‖∂L/∂h_l‖ relative to the last layer at the chosen (σ_w², σ_b²): backpropagation multiplies ‖∂L/∂h‖² by χ(q_l) = σ_w² E[φ′(√q_l z)²] per layer. Flat at the edge of chaos; falling towards the input when ordered; rising when chaotic."},
    "init-depth": {"kind": "theory", "title": "Activation variance over depth at initialisation", "help": "q_l, the pre-activations' second moment per layer, for LeCun, Glorot, He and the custom (σ_w², σ_b²): mean-field prediction (dashed) and the median (solid) with the 10–90 % band over random networks. With ReLU, He's σ_w² = 2 keeps q_l; LeCun's 1 halves it every layer."},
    "mean-var": {"kind": "theory", "title": "Self-normalisation: the (mean, variance) map across layers", "help": "Each step maps a layer's (mean μ, variance ν) to the next one's for weights with Σw = 0, Σw² = 1 (normalised LeCun normal, Klambauer et al. 2017). SELU's flows converge on its fixed point (0, 1) from anywhere nearby."},
    "kernel": {"kind": "theory", "title": "The activation's kernel k(ρ)", "help": "k(ρ) = E[φ(u)φ(v)] for unit-variance pre-activations with correlation ρ (the NNGP kernel of one layer). ReLU's is the arc-cosine kernel (dotted: its closed form)."},
    "hermite": {"kind": "theory", "title": "Hermite coefficients a_k", "help": "φ(z) = Σ a_k He_k(z)/√k!: a_0 is the mean, a_1 = E[φ′] the linear part, the rest the non-linearity (k(ρ) = Σ a_k² ρ^k). GELU and ReLU share a₁ = ½."},
}
# The two per-layer gradient sizes a trace records (URL: grad=input|weights).
GRADIENTS = {
    "input": {"key": "grad_norm_input", "label": "‖∂L/∂(layer input)‖", "menu": "at each layer's input ‖∂L/∂h‖"},
    "weights": {"key": "grad_norm_weights", "label": "‖∂L/∂W‖", "menu": "of each layer's weights ‖∂L/∂W‖"},
}
METRICS = {"dead_fraction": "dead fraction", "final_loss": "final training loss", "final_test_accuracy": "final test accuracy", "active_fraction": "active fraction"}

# The network form: which request field, in which group, labelled how, moving in which steps.
# A step is a power of ten, so every value a number box shows is a whole number of steps from
# the minimum and passes the browser's form check. Ranges and defaults come from the request model.
FORM: tuple[dict[str, Any], ...] = (
    {"key": "dataset", "group": "data", "label": "Dataset"},
    {"key": "n_points", "group": "data", "label": "Points", "step": 1},
    {"key": "noise", "group": "data", "label": "Noise σ", "step": 0.01, "help": "Gaussian jitter added to every point."},
    {"key": "test_fraction", "group": "data", "label": "Test fraction", "step": 0.01},
    {"key": "depth", "group": "network", "label": "Hidden layers", "step": 1},
    {"key": "width", "group": "network", "label": "Units per layer", "step": 1},
    {"key": "init", "group": "network", "label": "Initialisation"},
    {"key": "bias_init", "group": "network", "label": "Initial bias", "step": 0.01, "help": "A negative initial bias starts ReLU units closer to dying."},
    {"key": "sigma_w2", "group": "network", "label": "Weight variance σ_w²", "step": 0.01, "when": {"init": "custom"}, "help": "Weights N(0, σ_w²/fan_in). The Theory tab's phase diagram sets it."},
    {"key": "sigma_b2", "group": "network", "label": "Bias variance σ_b²", "step": 0.01, "when": {"init": "custom"}, "help": "Biases N(initial bias, σ_b²)."},
    {"key": "optimizer", "group": "training", "label": "Optimiser"},
    {"key": "learning_rate", "group": "training", "label": "Learning rate", "log": True, "help": "Too high and ReLU units die; try 0.3 with SGD."},
    {"key": "momentum", "group": "training", "label": "Momentum", "step": 0.01, "when": {"optimizer": "sgd"}},
    {"key": "batch_size", "group": "training", "label": "Batch size (0 = full batch)", "step": 1},
    {"key": "epochs", "group": "training", "label": "Epochs", "step": 1},
    {"key": "seed", "group": "training", "label": "Seed", "step": 1, "number": True, "help": "Same seed, same data and initial weights: runs are reproducible bit for bit."},
)
LABELS = {"dataset": DATASET_LABELS, "init": INIT_LABELS, "optimizer": OPTIMIZER_LABELS}
# settings the form shows only when others have given values (momentum with SGD, the variances with init custom)
FORM_WHEN = {f["key"]: f["when"] for f in FORM if "when" in f}


def applies(key: str, state: Mapping[str, Any]) -> bool:
    """Whether a request field is read in this state (the form shows it): requests leave the others out."""
    return all(state.get(k) == v for k, v in FORM_WHEN.get(key, {}).items())


# ----------------------------------------------------------------------------- request fields


def _flatten(schema: Mapping[str, Any], defs: Mapping[str, Any]) -> dict[str, Any]:
    """One field of a request model as {type, default, min, max, choices, description}."""
    node = dict(schema)
    while "$ref" in node:
        node = {**defs[node.pop("$ref").rsplit("/", 1)[-1]], **node}
    if "anyOf" in node:
        real = [o for o in node["anyOf"] if o.get("type") != "null"]
        node = {**real[0], **{k: v for k, v in node.items() if k != "anyOf"}}
    out: dict[str, Any] = {"type": node.get("type"), "default": node.get("default"), "description": node.get("description", "")}
    for key, name in (("minimum", "min"), ("exclusiveMinimum", "min"), ("maximum", "max"), ("exclusiveMaximum", "max")):
        if key in node:
            out[name] = node[key]
    if "enum" in node:
        out["choices"] = list(node["enum"])
    if "maxItems" in node:
        out["max_items"] = node["maxItems"]
    return out


def request_fields(model: type) -> dict[str, dict[str, Any]]:
    schema = model.model_json_schema()
    defs = schema.get("$defs", {})
    return {k: _flatten(v, defs) for k, v in schema["properties"].items()}


# ----------------------------------------------------------------------------- URL state


def state_fields() -> dict[str, dict[str, Any]]:
    """The explorer's URL state: every setting a link may carry, with its type and default
    (types: string (with choices), number, int, bool, specs, list)."""
    train = request_fields(training.TrainRequest)
    grid = request_fields(curve_api.GridOptions)
    out: dict[str, dict[str, Any]] = {
        "view": {"type": "string", "default": "function", "choices": ["function", "network", "theory"]},
        "theme": {"type": "string", "default": "light", "choices": list(THEMES)},
        "fn": {"type": "specs", "default": "relu", "max": MAX_CURVES},
        "xmin": {"type": "number", "default": grid["xmin"]["default"], "min": grid["xmin"]["min"], "max": grid["xmin"]["max"]},
        "xmax": {"type": "number", "default": grid["xmax"]["default"], "min": grid["xmax"]["min"], "max": grid["xmax"]["max"]},
        "regions": {"type": "bool", "default": True},
        "samples": {"type": "bool", "default": True},
        "mode": {"type": "string", "default": "train", "choices": ["train", "compare", "sweep"]},
        "act": {"type": "specs", "default": "relu", "max": MAX_COMPARE},
        "sweep": {"type": "string", "default": "learning_rate"},
        "values": {"type": "list", "default": SWEEP_DEFAULTS["learning_rate"], "max": training.MAX_SWEEP_VALUES},
        "metric": {"type": "string", "default": "dead_fraction", "choices": list(METRICS)},
        "grad": {"type": "string", "default": "input", "choices": list(GRADIENTS)},
        "auto": {"type": "bool", "default": True},
        # the Theory view: its activations (the first one's phase diagram; all compared), the
        # depth of its per-layer predictions and the width of its random networks; its point in
        # the (σ_w², σ_b²) plane is the network's custom init (sigma_w2, sigma_b2)
        "th": {"type": "specs", "default": THEORY_DEFAULT, "max": MAX_THEORY},
        "th_depth": {"type": "int", "default": THEORY_DEPTH, "min": 1, "max": theory.MAX_DEPTH},
        "th_width": {"type": "int", "default": theory.MAX_WIDTH, "min": 1, "max": theory.MAX_WIDTH},
        "q_in": {"type": "number", "default": 1.0, "min": theory.Q_RANGE[0], "max": theory.Q_RANGE[1]},
    }
    for f in FORM:
        info = train[f["key"]]
        if "choices" in info:
            out[f["key"]] = {"type": "string", "default": info["default"], "choices": info["choices"]}
        else:
            out[f["key"]] = {"type": "int" if info["type"] == "integer" else "number", "default": info["default"], "min": info["min"], "max": info["max"]}
    return out


def read_link(query: Mapping[str, str], fields: Mapping[str, Mapping[str, Any]] | None = None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A link's settings under the rule in this module's docstring: (state, notes). Lists of
    activations are parsed (values as written) and left to :func:`app.core.spec.sanitise`."""
    fields = fields or STATE
    state: dict[str, Any] = {}
    notes: list[dict[str, Any]] = []
    for key in query:
        if key not in fields and key not in EMBED_ONLY_KEYS:
            notes.append({"code": "unknown_setting", "key": key})
    for key, f in fields.items():
        raw = query.get(key)
        default = f["default"]
        if raw is None:
            state[key] = _parse_default(f)
            continue
        kind = f["type"]
        if kind in ("number", "int"):
            if not DECIMAL.fullmatch(raw) or not math.isfinite(float(raw)):
                notes.append({"code": "not_a_number", "key": key, "given": raw, "used": default})
                state[key] = default
                continue
            x = float(raw)
            used = float(round(x)) if kind == "int" else x
            used = min(f["max"], max(f["min"], used))
            if kind == "int":
                used = int(used)
            if used != x:
                notes.append({"code": "not_whole" if kind == "int" and x != round(x) else "out_of_range", "key": key, "given": raw, "used": used, "min": f["min"], "max": f["max"]})
            state[key] = used
        elif kind == "bool":
            if raw not in ("0", "1", "true", "false"):
                notes.append({"code": "not_a_bool", "key": key, "given": raw, "used": default})
            state[key] = raw in ("1", "true") if raw in ("0", "1", "true", "false") else default
        elif kind == "specs":
            parsed, problems = specs.parse(raw)
            notes += [{**p, "key": key} for p in problems]
            state[key] = parsed
        elif kind == "list":
            state[key] = [s.strip() for s in raw.split(",") if s.strip()]
        elif "choices" in f and raw not in f["choices"]:
            notes.append({"code": "not_a_choice", "key": key, "given": raw, "used": default, "choices": f["choices"]})
            state[key] = default
        else:
            state[key] = raw
    return state, notes


def _parse_default(f: Mapping[str, Any]) -> Any:
    if f["type"] == "specs":
        return specs.parse(f["default"])[0]
    if f["type"] == "list":
        return list(f["default"])
    return f["default"]


STATE = state_fields()


# ----------------------------------------------------------------------------- the route


@lru_cache(maxsize=1)
def meta_json() -> dict[str, Any]:
    return {
        "version": __version__,
        "state": STATE,
        "embed_keys": list(EMBED_ONLY_KEYS),
        "form": list(FORM),
        "labels": LABELS,
        "requests": {"train": request_fields(training.TrainRequest), "sweep": request_fields(training.SweepRequest)},
        "caps": {
            "curves": MAX_CURVES,
            "compare": MAX_COMPARE,
            "sweep_activations": training.MAX_SWEEP_ACTIVATIONS,
            "sweep_values": training.MAX_SWEEP_VALUES,
            "api_curves": curve_api.MAX_SPECS,
            "curve_points": curve_api.MAX_POINTS,
            "x_limit": curve_api.X_LIMIT,
            "theory": MAX_THEORY,
        },
        "explorer": {"grid_points": GRID_POINTS, "samples": SAMPLES, "recording": RECORDING, "compare_next": list(COMPARE_NEXT), "function_next": list(FUNCTION_NEXT)},
        "sweep_defaults": SWEEP_DEFAULTS,
        "panels": PANELS,
        "gradients": GRADIENTS,
        "metrics": METRICS,
        "themes": list(THEMES),
        "budget": {"max_cost": MAX_COST, "autorun_cost": AUTORUN_COST, "theory_max_evals": theory.T.MAX_EVALS},
        "theory": THEORY_VIEW,
    }


@router.get("/meta", summary="The app's vocabulary: settings, ranges, labels, plots and caps", response_class=JSONResponse)
def get_meta(request: Request) -> Response:
    """What every page reads instead of declaring it: the explorer's URL state (types,
    defaults, ranges, choices), the network form, labels of datasets, initialisations and
    optimisers, the training requests' fields, the plots with their titles and help, the
    caps and the compute budget."""
    return cached_json(request, "meta", meta_json)
