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
from app.core.curves import SATURATION_EPS
from app.core.datasets import ALL_DATASETS, DATASET_LABELS, FEATURE_LABELS, MAX_CLASSES, MAX_OWN_POINTS, MIN_OWN_POINTS, OWN, OWN_LIMIT, OWN_PLANE
from app.core.network import INIT_LABELS
from app.core.optim import OPTIMIZER_LABELS
from app.core.recording import BOUNDARY_MARGIN
from app.core.state import CONTINUABLE
from app.core.training import MAX_COST

from . import activations as curve_api
from . import class_bodies as classes
from . import theory, training_schemas
from .responses import cached_json

router = APIRouter(prefix="/api", tags=["meta"])

THEMES = ("light", "dark", "contrast")
MAX_CURVES = 6  # curves the function view overlays (the API takes up to activations.MAX_SPECS)
MAX_COMPARE = 3  # activations the compare mode trains side by side (the API takes up to 4)
GRID_POINTS = 401  # points per curve the pages ask for
SAMPLES = 300  # random draws shown for stochastic activations
# Recorded detail for the explorer's runs (within the API's caps).
RECORDING = {"frames": 100, "boundary_frames": 12, "boundary_grid": 40, "unit_grid": 12}
# Live training (Play / Step): epochs per streamed chunk, the recording of each chunk, and the
# epochs a Step trains (one epoch, or one batch when the batch size is 1 epoch's worth).
LIVE = {"chunk_epochs": 10, "frames": 2, "boundary_frames": 1, "boundary_grid": 40, "unit_grid": 12, "history": 400, "continuable": list(CONTINUABLE)}
# Own points: kept in the link (pts=) up to this many; more go through JSON export/import.
MAX_LINK_POINTS = 200
REGULARISATION_RATES = [0, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10]
# Training embeds run on load up to this share of the compute budget (≈ 0.5 s here).
AUTORUN_COST = MAX_COST / 6
# Activations the "+" buttons add, in this order, skipping those already chosen.
COMPARE_NEXT = ("leaky_relu", "elu", "tanh", "prelu", "gelu")
FUNCTION_NEXT = ("leaky_relu", "elu", "softplus", "gelu", "tanh", "sigmoid")
SWEEP_DEFAULTS = {"learning_rate": ["0.001", "0.01", "0.1", "0.3", "1", "3"], "momentum": ["0", "0.5", "0.9", "0.95", "0.99"]}
EMBED_ONLY_KEYS = ("controls", "title", "modebar")
# Settings of the page rather than of the view: the live class it follows or teaches
# (static/js/live/classroom.js). Links' rule ignores them; they never reach a class's state.
PAGE_KEYS = ("class",)

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
    "function": {"kind": "function", "title": "f(x) and its derivative f′(x)", "help": f"Shaded: where f′ = 0 (dead), or |f′| < ε = {SATURATION_EPS:g} on out to ±∞ (saturated; not a turning point's small slope). Dotted: kinks."},
    "loss": {"kind": "train", "title": "Loss and test accuracy", "help": "Cross-entropy (log scale) for training (solid) and test (dashed) data; dotted: test accuracy (right axis)."},
    "boundary": {"kind": "train", "title": "Decision boundary", "help": "Probability of class 1 over the plane, with the training (●) and test (▲) points. Scrub or play through training."},
    "gradient-flow": {"kind": "train", "title": "Gradient flow (layer × epoch)", "help": "log₁₀ of the gradient's size per layer: at the layer's input (‖∂L/∂h‖, the default) or of its weights (‖∂L/∂W‖; the Gradient menu picks). Dark rows near layer 1 mean vanishing gradients."},
    "gradient-norms": {"kind": "train", "title": "Gradient norm per layer", "help": "The gradient's size per layer (at the layer's input, or of its weights: the Gradient menu picks) at initialisation (dotted) and at the end (solid). A flat line means gradients neither vanish nor explode."},
    "sparsity": {"kind": "train", "title": "Sparsity: fraction of active units", "help": "Share of (unit, input) pairs with a positive pre-activation, per layer. ReLU starts near 50 %."},
    "dead": {"kind": "train", "title": "Dead units", "help": "A unit counts as dead when its |f′(z)|, summed over every training input, is below 10⁻⁸: no gradient reaches its weights. For ReLU that means z ≤ 0 on every input; for sigmoid and tanh, saturated on every input; for ELU (f′ = αeᶻ), z below about −20 on every input."},
    "prelu": {"kind": "train", "title": "Learned PReLU slopes", "help": "PReLU learns its negative slope a, one per layer."},
    "histogram": {"kind": "train", "title": "Pre-activations at init and at the end", "help": "Distribution of z = Wx + b per layer, over every unit and training input. For ReLU, the mass below 0 is inactive."},
    "network": {"kind": "diagram", "title": "The network", "help": "Each node draws its own output over the input plane (blue positive, orange negative). Edges: blue positive weights, orange negative, thicker is larger. ✕ marks a dead unit. Hover, tap or focus a unit (arrow keys) for z = w·a + b, φ(z), φ′(z) and its gradient; [ and ] step through its incoming weights; click a data point on the boundary plot for that point's numbers."},
    "sweep": {"kind": "sweep", "title": "Sweep", "help": "One trained network per value, all from the same data and initial weights. × marks a diverged run."},
    "sweep-curves": {"kind": "sweep", "title": "Training loss for every swept value", "help": "Colour runs from the smallest value (dark) to the largest (light)."},
    "class-results": {"kind": "class", "title": "Class results", "help": "One point per student of a live class: the value each chose of the experiment's parameter (x) against a number their run measured (y), coloured by activation. Updates as results arrive."},
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
# The numbers a class experiment collects from each student's run (app.api.class_bodies.NUMBERS),
# labelled as the sweep's metrics of the same name.
_CLASS_METRIC = {"test_accuracy": "final_test_accuracy", "dead_fraction": "dead_fraction", "final_loss": "final_loss"}
CLASS_NUMBERS = {n: METRICS[_CLASS_METRIC[n]] for n in classes.NUMBERS}

# Hints that promise an effect carry their recipe ("try": the settings to change from the
# defaults); tests/api/test_hints.py runs every hint through the engine and checks its promise.
DYING_LEARNING_RATE = 1.0  # with the default network and Adam: most ReLU units die (15–17 of 24 over seeds 0–4)
DEAD_BIAS = -1.0  # at initialisation about half or more of the ReLU units are dead (12–21 of 24 over seeds 0–4)

# The network form: which request field, in which group, labelled how, moving in which steps.
# A step is a power of ten, so every value a number box shows is a whole number of steps from
# the minimum and passes the browser's form check. Ranges and defaults come from the request model.
FORM: tuple[dict[str, Any], ...] = (
    {"key": "dataset", "group": "data", "label": "Dataset"},
    {"key": "n_points", "group": "data", "label": "Points", "step": 1, "when": {"dataset": [d for d in ALL_DATASETS if d != OWN]}},
    {"key": "noise", "group": "data", "label": "Noise σ", "step": 0.01, "help": "Gaussian jitter added to every point.", "when": {"dataset": [d for d in ALL_DATASETS if d != OWN]}},
    {"key": "test_fraction", "group": "data", "label": "Test fraction", "step": 0.01},
    {"key": "classes", "group": "data", "label": "Classes", "step": 1, "when": {"dataset": ["class_blobs", "class_spirals"]}},
    {"key": "depth", "group": "network", "label": "Hidden layers", "step": 1, "when": {"widths": []}},
    {"key": "width", "group": "network", "label": "Units per layer", "step": 1, "when": {"widths": []}},
    {"key": "widths", "group": "network", "label": "Widths per layer", "kind": "widths", "help": "One number per hidden layer, e.g. 8, 4, 2 (empty: hidden layers × units per layer)."},
    {"key": "features", "group": "network", "label": "Input features", "kind": "checks", "help": "What the network sees of each point (TensorFlow Playground's inputs)."},
    {"key": "init", "group": "network", "label": "Initialisation"},
    {"key": "bias_init", "group": "network", "label": "Initial bias", "step": 0.01,
     "help": f"A negative initial bias starts ReLU units dead: try {DEAD_BIAS:g} and about half of them are dead before training starts.", "try": {"bias_init": DEAD_BIAS}},
    {"key": "sigma_w2", "group": "network", "label": "Weight variance σ_w²", "step": 0.01, "when": {"init": "custom"}, "help": "Weights N(0, σ_w²/fan_in). The Theory tab's phase diagram sets it."},
    {"key": "sigma_b2", "group": "network", "label": "Bias variance σ_b²", "step": 0.01, "when": {"init": "custom"}, "help": "Biases N(initial bias, σ_b²)."},
    {"key": "optimizer", "group": "training", "label": "Optimiser"},
    {"key": "learning_rate", "group": "training", "label": "Learning rate", "log": True,
     "help": f"Too high and ReLU units die: try {DYING_LEARNING_RATE:g} and watch most of them die (Dead units) as accuracy falls to chance.", "try": {"learning_rate": DYING_LEARNING_RATE}},
    {"key": "momentum", "group": "training", "label": "Momentum", "step": 0.01, "when": {"optimizer": "sgd"}},
    {"key": "l1", "group": "training", "label": "L1 regularisation", "options": REGULARISATION_RATES, "help": "Adds l1·Σ|w| over the weights to what is minimised: pushes many weights to about 0 — try 0.01 and a quarter of them end below 0.001.", "try": {"l1": 0.01}},
    {"key": "l2", "group": "training", "label": "L2 regularisation", "options": REGULARISATION_RATES, "help": "Adds ½·l2·Σw² over the weights: shrinks them (weight decay) — try 0.01 and the weights end about half as large.", "try": {"l2": 0.01}},
    {"key": "batch_size", "group": "training", "label": "Batch size (0 = full batch)", "step": 1},
    {"key": "epochs", "group": "training", "label": "Epochs", "step": 1},
    {"key": "seed", "group": "training", "label": "Seed", "step": 1, "number": True, "help": "Same seed, same data and initial weights: runs are reproducible bit for bit."},
)
LABELS = {"dataset": DATASET_LABELS, "init": INIT_LABELS, "optimizer": OPTIMIZER_LABELS, "features": FEATURE_LABELS}
# settings the form shows only when others have given values (momentum with SGD, the variances with init custom)
FORM_WHEN = {f["key"]: f["when"] for f in FORM if "when" in f}


def _matches(want: Any, have: Any) -> bool:
    """A form field's "when": a value, a list of values, or [] for "empty" (network-view.js twin)."""
    if isinstance(want, list):
        return have in want if want else not have
    return have == want


def applies(key: str, state: Mapping[str, Any]) -> bool:
    """Whether a request field is read in this state (the form shows it): requests leave the others out."""
    return all(_matches(v, state.get(k)) for k, v in FORM_WHEN.get(key, {}).items())


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
    if "items" in node:  # a list's items: their type, range or choices
        out["item"] = _flatten(node["items"], defs)
    return out


def request_fields(model: type) -> dict[str, dict[str, Any]]:
    schema = model.model_json_schema()
    defs = schema.get("$defs", {})
    return {k: _flatten(v, defs) for k, v in schema["properties"].items()}


# ----------------------------------------------------------------------------- URL state


def state_fields() -> dict[str, dict[str, Any]]:
    """The explorer's URL state: every setting a link may carry, with its type and default
    (types: string (with choices), number, int, bool, specs, list)."""
    train = request_fields(training_schemas.TrainRequest)
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
        # (the usual values of a sweep of the learning rate, of momentum: settleSweep, formula.js)
        "values": {"type": "list", "items": "number", "default": SWEEP_DEFAULTS["learning_rate"], "max": training_schemas.MAX_SWEEP_VALUES, "usual": SWEEP_DEFAULTS},
        "metric": {"type": "string", "default": "dead_fraction", "choices": list(METRICS)},
        "grad": {"type": "string", "default": "input", "choices": list(GRADIENTS)},
        "auto": {"type": "bool", "default": True},
        "discrete": {"type": "bool", "default": False},
        "pts": {"type": "points", "default": "", "max": MAX_LINK_POINTS, "limit": OWN_LIMIT},
        "ptask": {"type": "string", "default": "classify", "choices": ["classify", "regress"]},
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
        if f.get("kind") in ("widths", "checks"):
            default = info["default"] if info["default"] is not None else []
            field = out[f["key"]] = {"type": "list", "default": [str(v) for v in default], "max": info.get("max_items") or training_schemas.MAX_DEPTH}
            if f["kind"] == "widths":  # whole numbers in the range of a layer's width
                field.update(items="int", item_min=train["width"]["min"], item_max=train["width"]["max"])
            elif "choices" in info["item"]:  # features: names from a list
                field["choices"] = info["item"]["choices"]
        elif "choices" in info:
            out[f["key"]] = {"type": "string", "default": info["default"], "choices": info["choices"]}
        else:
            out[f["key"]] = {"type": "int" if info["type"] == "integer" else "number", "default": info["default"], "min": info["min"], "max": info["max"]}
    return out


ORDERED = (("xmin", "xmax"),)  # settings that are the ends of one range


def read_link(query: Mapping[str, str], fields: Mapping[str, Mapping[str, Any]] | None = None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A link's settings under the rule in this module's docstring: (state, notes). Lists of
    activations are parsed (values as written) and left to :func:`app.core.spec.sanitise`."""
    fields = fields or STATE
    state: dict[str, Any] = {}
    notes: list[dict[str, Any]] = []
    for key in query:
        if key not in fields and key not in EMBED_ONLY_KEYS and key not in PAGE_KEYS:
            notes.append({"code": "unknown_setting", "key": key})
    for key, f in fields.items():
        raw = query.get(key)
        default = f["default"]
        if raw is None:
            state[key] = _parse_default(f)
            continue
        kind = f["type"]
        if kind in ("number", "int"):
            if not DECIMAL.fullmatch(raw):
                notes.append({"code": "not_a_number", "key": key, "given": raw, "used": default})
                state[key] = default
                continue
            x = float(raw)  # (a decimal beyond float64's range is ±inf: out of range)
            whole = kind == "int" and math.isfinite(x)
            used = float(round(x)) if whole else x
            used = min(f["max"], max(f["min"], used))
            if kind == "int":
                used = int(used)
            if used != x:
                notes.append({"code": "not_whole" if whole and x != round(x) else "out_of_range", "key": key, "given": raw, "used": used, "min": f["min"], "max": f["max"]})
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
            state[key] = _read_list(raw, f, key, notes)
        elif kind == "points":
            state[key] = _read_points(raw, f, key, notes)
        elif "choices" in f and raw not in f["choices"]:
            notes.append({"code": "not_a_choice", "key": key, "given": raw, "used": default, "choices": f["choices"]})
            state[key] = default
        else:
            state[key] = raw
    _order(state, notes, fields, query)
    return state, notes


def _read_list(raw: str, f: Mapping[str, Any], key: str, notes: list[dict[str, Any]]) -> list[str]:
    """A comma-separated list: numbers (a sweep's values) or whole numbers in a range (widths)
    with what is not a plain decimal left out, whole numbers rounded and moved into their range;
    names (features) not among the choices left out (repeats too); at most ``max`` items. Each
    change has a note; a list left empty by them takes the default."""
    items = [s.strip() for s in raw.split(",") if s.strip()]
    given = bool(items)
    rule = f.get("items")
    if rule in ("number", "int"):
        bad = [v for v in items if not DECIMAL.fullmatch(v)]
        if bad:
            notes.append({"code": "not_numbers", "key": key, "given": bad[:8], "dropped": len(bad)})
        items = [v for v in items if DECIMAL.fullmatch(v)]
        if rule == "int":
            lo, hi, kept = f["item_min"], f["item_max"], []
            for v in items:
                x = float(v)
                whole = math.isfinite(x)
                used = int(min(hi, max(lo, float(round(x)) if whole else x)))
                note = {"code": "not_whole" if whole and x != round(x) else "out_of_range", "key": key, "given": v, "used": used, "min": lo, "max": hi}
                if used != x and note not in notes:  # (999,999: one note)
                    notes.append(note)
                kept.append(str(used))
            items = kept
    elif "choices" in f:
        bad = [v for v in items if v not in f["choices"]]
        if bad:
            notes.append({"code": "not_choices", "key": key, "given": bad[:8], "dropped": len(bad), "choices": f["choices"]})
        items = list(dict.fromkeys(v for v in items if v in f["choices"]))
    if len(items) > f["max"]:
        notes.append({"code": "too_many", "key": key, "max": f["max"], "dropped": len(items) - f["max"]})
        items = items[: f["max"]]
    return items if items or not given else list(f["default"])


def _order(state: dict[str, Any], notes: list[dict[str, Any]], fields: Mapping[str, Mapping[str, Any]], query: Mapping[str, str]) -> None:
    """A range given the wrong way round (xmin=10&xmax=-10) is turned round; one of no width
    takes the defaults — with a note."""
    for lo, hi in ORDERED:
        if lo not in fields or hi not in fields or (lo not in query and hi not in query):
            continue
        a, b = state[lo], state[hi]
        if a < b:
            continue
        used = [b, a] if a > b else [fields[lo]["default"], fields[hi]["default"]]
        notes.append({"code": "not_ordered", "keys": [lo, hi], "given": [a, b], "used": used})
        state[lo], state[hi] = used


def _read_points(raw: str, f: Mapping[str, Any], key: str, notes: list[dict[str, Any]]) -> list[list[float]]:
    """Own points written x1,x2,label_x1,x2,label_…: a point that is not three plain decimals
    within ±limit is left out, and so are those beyond the cap — each with a note."""
    points: list[list[float]] = []
    parts = [p for p in raw.split("_") if p] if raw else []
    for i, part in enumerate(parts):
        if len(points) >= f["max"]:
            notes.append({"code": "too_many", "key": key, "max": f["max"], "dropped": len(parts) - i})
            break
        nums = part.split(",")
        if len(nums) != 3 or not all(DECIMAL.fullmatch(n) for n in nums) or not all(abs(float(n)) <= f["limit"] for n in nums):
            notes.append({"code": "bad_point", "key": key, "index": i, "given": part, "limit": f["limit"]})
            continue
        points.append([float(n) for n in nums])
    return points


def _parse_default(f: Mapping[str, Any]) -> Any:
    if f["type"] == "specs":
        return specs.parse(f["default"])[0]
    if f["type"] == "list":
        return list(f["default"])
    if f["type"] == "points":
        return []
    return f["default"]


STATE = state_fields()


# ----------------------------------------------------------------------------- the route


@lru_cache(maxsize=1)
def meta_json() -> dict[str, Any]:
    return {
        "version": __version__,
        "state": STATE,
        "ordered": [list(pair) for pair in ORDERED],  # settings that are one range's ends (the links' rule)
        "embed_keys": list(EMBED_ONLY_KEYS),
        "page_keys": list(PAGE_KEYS),
        "form": list(FORM),
        "labels": LABELS,
        "requests": {"train": request_fields(training_schemas.TrainRequest), "sweep": request_fields(training_schemas.SweepRequest)},
        "caps": {
            "curves": MAX_CURVES,
            "compare": MAX_COMPARE,
            "sweep_activations": training_schemas.MAX_SWEEP_ACTIVATIONS,
            "sweep_values": training_schemas.MAX_SWEEP_VALUES,
            "api_curves": curve_api.MAX_SPECS,
            "curve_points": curve_api.MAX_POINTS,
            "x_limit": curve_api.X_LIMIT,
            "theory": MAX_THEORY,
        },
        "explorer": {"grid_points": GRID_POINTS, "samples": SAMPLES, "recording": RECORDING, "live": LIVE, "compare_next": list(COMPARE_NEXT), "function_next": list(FUNCTION_NEXT)},
        "own_points": {"min": MIN_OWN_POINTS, "max": MAX_OWN_POINTS, "link_max": MAX_LINK_POINTS, "limit": OWN_LIMIT, "max_classes": MAX_CLASSES, "plane": OWN_PLANE, "margin": BOUNDARY_MARGIN},
        "panels": PANELS,
        "gradients": GRADIENTS,
        "metrics": METRICS,
        "themes": list(THEMES),
        "budget": {"max_cost": MAX_COST, "autorun_cost": AUTORUN_COST, "theory_max_evals": theory.T.MAX_EVALS},
        "live": {"numbers": CLASS_NUMBERS, "max_prompt": classes.MAX_PROMPT, "max_message": classes.MAX_MESSAGE},
        "theory": THEORY_VIEW,
    }


@router.get("/meta", summary="The app's vocabulary: settings, ranges, labels, plots and caps", response_class=JSONResponse)
def get_meta(request: Request) -> Response:
    """What every page reads instead of declaring it: the explorer's URL state (types,
    defaults, ranges, choices), the network form, labels of datasets, initialisations and
    optimisers, the training requests' fields, the plots with their titles and help, the
    caps and the compute budget."""
    return cached_json(request, "meta", meta_json)
