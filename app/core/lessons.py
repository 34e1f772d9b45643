"""Guided lessons: every claim of the source article, reproduced and measured.

Each :class:`Lesson` is declared once, here: its title, the claim quoted from the source
(``../shared/SEED.md``), an explanation, the threshold its measurement is held to, the
controls a student may vary (with ranges and defaults) and a ``measure`` function. The
lesson pages, the API (``app.api.lessons``) and the tests are all driven by :data:`LESSONS`.

``measure(params, run)`` takes validated control values (see :func:`resolve_controls`) and
a training runner (``run(config) -> Trace``; the API passes one with a time limit and
cancellation) and returns a :class:`Measurement`: the measured numbers as
:class:`Readout` s — the first is the headline shown next to the claim — a
:class:`Verdict` against the stated threshold, the data behind the lesson's plots, and the
explorer query that reproduces the same setting. ``explorer_note(params, measurement)``
says what that explorer view shows and how its numbers relate to the lesson's (which
quantity, which seeds), see :func:`explorer_note`.

Everything is computed from the activation catalogue (``app.core.activations``) and the
training engine (``app.core.training`` / ``app.core.network``): no formula or network is
re-implemented here. The only formulas written out are the ones the source states and a
lesson checks (the logistic 1/(1 + e^(−x)), the gap (log 2)/β, scale invariance).
Every measurement is deterministic for given controls, except the timing lesson.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from typing import Any, Callable, Literal, Mapping, Sequence

import numpy as np

from . import activations as acts
from .datasets import DATASETS, DatasetSpec, make_dataset
from .network import INITS, Architecture, StackedMLP, Variant, augment
from .training import MAX_ELEMENTS, Trace, TrainConfig, _initial_theta, cost, elements, train

Array = np.ndarray
Runner = Callable[[TrainConfig], Trace]

# The compute one measurement may use, in the engine's cost units (see app.core.training:
# MAX_COST = 9e9 ≈ 7–10 s for one run). Lessons keep far below it with their caps.
LESSON_MAX_COST = 6.0e9


# --------------------------------------------------------------------------- declarations


class ControlError(ValueError):
    """A control value is unknown, of the wrong kind, or out of range (``field`` names it)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Control:
    """One setting a student may vary: its range and default, shown as a slider or a menu."""

    id: str
    label: str
    kind: Literal["int", "float", "choice"]
    default: int | float | str
    min: float = 0.0
    max: float = 1.0
    step: float = 1.0
    choices: tuple[str, ...] = ()
    help: str = ""
    log: bool = False  # slider moves in log10 space (learning rates)
    labels: tuple[str, ...] = ()  # display names of the choices (default: the choices)

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.id, "label": self.label, "kind": self.kind, "default": self.default, "help": self.help}
        if self.kind == "choice":
            d["choices"] = list(self.choices)
            d["labels"] = list(self.labels or self.choices)
        else:
            d.update(min=self.min, max=self.max, step=self.step, log=self.log)
        return d

    def check(self, raw: object) -> int | float | str:
        """The validated value (strings from a query are converted), or ControlError."""
        if self.kind == "choice":
            if raw not in self.choices:
                raise ControlError(self.id, f"{self.id} must be one of {', '.join(self.choices)} (got {raw!r})")
            return str(raw)
        rng = f"[{self.min:g}, {self.max:g}]"
        if isinstance(raw, bool):
            raise ControlError(self.id, f"{self.id} must be a number in {rng} (got {raw!r})")
        try:
            value = float(raw)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ControlError(self.id, f"{self.id} must be a number in {rng} (got {raw!r})") from None
        if not math.isfinite(value) or not (self.min <= value <= self.max):
            raise ControlError(self.id, f"{self.id} must be a number in {rng} (got {raw!r})")
        if self.kind == "int":
            if value != int(value):
                raise ControlError(self.id, f"{self.id} must be a whole number in {rng} (got {raw!r})")
            return int(value)
        return value


@dataclass(frozen=True)
class Readout:
    """One measured number next to what the claim (or its threshold) says.

    ``supports`` is True or False when the number is part of the verdict, None when it is
    shown for information only."""

    id: str
    label: str
    value: float | None
    text: str
    target: str
    supports: bool | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "value": self.value, "text": self.text, "target": self.target, "supports": self.supports}


@dataclass(frozen=True)
class Verdict:
    supports: bool
    text: str


@dataclass
class Measurement:
    readouts: list[Readout]
    verdict: Verdict
    data: dict[str, Any]
    explorer: dict[str, str]  # the explorer's URL state for the same setting
    cut_short: bool = False

    @property
    def headline(self) -> Readout:
        return self.readouts[0]


@dataclass(frozen=True)
class Plot:
    id: str
    title: str
    help: str


@dataclass(frozen=True)
class Lesson:
    slug: str
    number: int
    title: str
    claim: str  # quoted from the source (SEED.md)
    source: str  # where in the source
    measures: str  # what the lesson measures, in one sentence
    threshold: str  # what the measurement must show to support the claim
    explanation: tuple[str, ...]
    controls: tuple[Control, ...]
    plots: tuple[Plot, ...]
    measure: Callable[[dict[str, Any], Runner], Measurement]
    explorer_note: Callable[[dict[str, Any], Measurement], str]  # what "Open in explorer" shows, against this lesson's numbers
    trains: bool = False  # runs the training engine (the API schedules it in the training pool)
    deterministic: bool = True
    optional: bool = False  # one of the brief extra lessons

    def defaults(self) -> dict[str, int | float | str]:
        return {c.id: c.default for c in self.controls}

    def control(self, cid: str) -> Control:
        for c in self.controls:
            if c.id == cid:
                return c
        raise KeyError(cid)

    def summary(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "number": self.number,
            "title": self.title,
            "claim": self.claim,
            "source": self.source,
            "measures": self.measures,
            "threshold": self.threshold,
            "optional": self.optional,
        }

    def describe(self) -> dict[str, Any]:
        return {
            **self.summary(),
            "explanation": list(self.explanation),
            "controls": [c.as_dict() for c in self.controls],
            "plots": [{"id": p.id, "title": p.title, "help": p.help} for p in self.plots],
            "trains": self.trains,
            "deterministic": self.deterministic,
        }


def resolve_controls(lesson: Lesson, given: Mapping[str, object]) -> dict[str, int | float | str]:
    """Validated controls: defaults filled in, unknown names and out-of-range values rejected."""
    known = {c.id for c in lesson.controls}
    for key in given:
        if key not in known:
            raise ControlError(key, f"lesson {lesson.slug!r} has no control {key!r}; its controls: {', '.join(sorted(known)) or 'none'}")
    return {c.id: c.check(given[c.id]) if c.id in given else c.default for c in lesson.controls}


def run_measure(lesson: Lesson, given: Mapping[str, object] | None = None, run: Runner | None = None) -> Measurement:
    """Validate ``given`` and measure (with the plain engine unless ``run`` is given)."""
    return lesson.measure(resolve_controls(lesson, given or {}), run or train)


def explorer_note(lesson: Lesson, params: Mapping[str, Any], m: Measurement) -> str:
    """What the lesson's explorer link shows, and how its numbers relate to the lesson's."""
    return lesson.explorer_note(dict(params), m)


def check_budget(configs: Sequence[TrainConfig], field: str = "epochs", reduce: str = "epochs, depth or width") -> None:
    """ControlError naming ``field`` if the runs together cost more than LESSON_MAX_COST."""
    total = sum(cost(c) for c in configs)
    if total > LESSON_MAX_COST:
        raise ControlError(field, f"these settings cost {total:.3g} units of compute; a lesson may use {LESSON_MAX_COST:.3g}: reduce {reduce}")
    for c in configs:
        if elements(c) > MAX_ELEMENTS:
            raise ControlError("width", f"these settings need {elements(c):,} numbers per layer buffer; the limit is {MAX_ELEMENTS:,}: reduce depth, width or seeds")


INIT_LABELS = ("He (Kaiming)", "Glorot (Xavier)", "LeCun", "Uniform ±0.5")
DATASET_LABELS = {"moons": "Two moons", "circles": "Concentric circles", "xor": "XOR", "spirals": "Two spirals", "blobs": "Gaussian blobs"}


def _names(ids: Sequence[str]) -> tuple[str, ...]:
    """Display names of catalogue activations."""
    return tuple(acts.get(i).name for i in ids)


# --------------------------------------------------------------------------- formatting

_SUP = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def fmt(x: float | None, digits: int = 3) -> str:
    """A number for a projector: 0.483, 12.5, 2.6 × 10⁻⁵, 0 for exact zero, — for none."""
    if x is None or not math.isfinite(x):
        return "—"
    if x == 0:
        return "0"
    if 1e-3 <= abs(x) < 1e5:
        if abs(x) >= 10**digits:
            return f"{x:,.0f}"
        return f"{x:.{digits}g}"
    m, e = f"{x:.{max(digits - 1, 0)}e}".split("e")
    power = f"10{str(int(e)).translate(_SUP)}"
    return power if float(m) == 1.0 else f"{m} × {power}"


def pct(x: float | None, digits: int = 1) -> str:
    if x is None or not math.isfinite(x):
        return "—"
    return f"{100.0 * x:.{digits}f}\u202f%"


def _finite(x: float) -> float | None:
    return float(x) if math.isfinite(float(x)) else None


def _verdict(readouts: Sequence[Readout], yes: str, no: str) -> Verdict:
    decisive = [r for r in readouts if r.supports is not None]
    ok = bool(decisive) and all(r.supports for r in decisive)
    return Verdict(ok, yes if ok else no)


def _specs(*specs: tuple[str, Mapping[str, float | str]]) -> str:
    """The explorer's list syntax: elu(alpha=0.5),relu (parameters at their default left out)."""
    out = []
    for name, params in specs:
        act = acts.get(name)
        parts = [f"{k}={_num(v)}" for k, v in params.items() if not (k in act.defaults() and act.defaults()[k] == v)]
        out.append(f"{name}({','.join(parts)})" if parts else name)
    return ",".join(out)


def _num(v: float | str) -> str:
    if isinstance(v, str):
        return v
    return f"{float(v):.12g}"


def _network_query(mode: str, specs: str, **fields: object) -> dict[str, str]:
    q = {"view": "network", "mode": mode, "act": specs}
    for k, v in fields.items():
        q[k] = v if isinstance(v, str) else _num(v)  # type: ignore[arg-type]
    return q


# --------------------------------------------------------------------------- engine helpers


DATA = DatasetSpec()  # the explorer's default problem: two moons, 256 points


def _init_pass(arch: Architecture, init: str, bias_init: float, activation: str, seeds: Sequence[int], data: DatasetSpec = DATA, chunk: int = 8) -> tuple[Array, Array, Array]:
    """Pre-activations z and outputs h of every hidden unit at initialisation, for each seed
    of the weights (the engine's own network and initial weights, no training).

    Returns z and h as (seeds, depth, width·n_train) arrays and the share of non-zero
    outputs per seed and layer, (seeds, depth)."""
    x = make_dataset(data).x_train
    n = len(x)
    xT = augment(x)
    zs, hs = [], []
    for lo in range(0, len(seeds), chunk):
        part = list(seeds[lo : lo + chunk])
        cfg = TrainConfig(data=data, arch=arch, init=init, bias_init=bias_init, variants=tuple(Variant(activation) for _ in part))
        net = StackedMLP(arch, cfg.variants, n)
        net.theta[:] = _initial_theta(net, cfg, part)
        with np.errstate(all="ignore"):
            net.forward(xT)
        # (D, K, W, n) → (K, D, W·n)
        zs.append(np.ascontiguousarray(net.Z.transpose(1, 0, 2, 3)).reshape(len(part), arch.depth, -1))
        hs.append(np.ascontiguousarray(net.H.transpose(1, 0, 2, 3)).reshape(len(part), arch.depth, -1))
    z, h = np.concatenate(zs), np.concatenate(hs)
    return z, h, (h != 0).mean(axis=2)


def _pass_after(config: TrainConfig, theta: Array, x: Array) -> Array:
    """Pre-activations (K, depth, width·n) of the trained variants on inputs ``x``."""
    net = StackedMLP(config.arch, config.variants, len(x), np.dtype(config.dtype))
    net.theta[:] = theta
    with np.errstate(all="ignore"):
        net.forward(augment(x, net.dtype))
    return np.ascontiguousarray(net.Z.transpose(1, 0, 2, 3)).reshape(net.K, config.arch.depth, -1)


def _nanmean(a: Array) -> Array:
    """Mean over the first axis ignoring NaN (NaN where every entry is NaN), without warnings."""
    ok = np.isfinite(a)
    n = ok.sum(axis=0)
    total = np.where(ok, a, 0.0).sum(axis=0)
    return np.where(n > 0, total / np.maximum(n, 1), np.nan)


def _label(name: str, params: Mapping[str, float | str] | None = None) -> str:
    act = acts.get(name)
    shown = {k: v for k, v in (params or {}).items() if act.defaults().get(k) != v}
    if not shown:
        return act.name
    return f"{act.name} ({', '.join(f'{k}={_num(v)}' for k, v in shown.items())})"


# =========================================================================== 1. sparse activation

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
        Readout("relu_active", "ReLU units active (non-zero output)", relu["overall"], pct(relu["overall"]), f"about 50 % (within {pct(lo, 0)}–{pct(hi, 0)})", lo <= relu["overall"] <= hi),
        Readout("relu_seed_range", f"ReLU, range over {len(seeds)} seeds", seeds_hi - seeds_lo, f"{pct(seeds_lo)} – {pct(seeds_hi)}", "each seed near 50 %"),
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
    explorer = _network_query("compare", "relu,leaky_relu,tanh", depth=p["depth"], width=p["width"], init=p["init"], bias_init=p["bias_init"], seed=p["seed"])
    return Measurement(readouts, verdict, data, explorer)


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
        "The histogram shows the pre-activations of each layer: the mass left of the zero line is the inactive half. The initialisation only sets the spread, not the sign — He, Glorot and LeCun all give about 50 %. A positive initial bias moves the mass right (more units on); a negative one moves it left.",
        "Very narrow, deep networks drift below 50 %: once every unit of a layer is off for an input, the next layer sees only its biases. Try width 4 and depth 12.",
    ),
    controls=(
        Control("depth", "Hidden layers", "int", 4, 1, 12, 1, help="Number of hidden layers."),
        Control("width", "Units per layer", "int", 16, 2, 64, 1, help="Hidden units in each layer."),
        Control("seeds", "Weight seeds", "int", 16, 1, 16, 1, help="Independent random initialisations averaged over."),
        Control("init", "Initialisation", "choice", "he", choices=INITS, labels=INIT_LABELS, help="He N(0, 2/fan_in), Glorot, LeCun, or uniform ±0.5."),
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


# =========================================================================== 2. vanishing gradients

VANISH_BELOW = 1e-2
HEALTHY_RANGE = (0.1, 10.0)
VANISH_SEEDS = 8  # weight seeds averaged at initialisation, by default
VANISH_DEPTH = 10  # hidden layers, by default


def _ratio(g: Array) -> Array:
    """First-to-last layer ratio of per-layer norms (…, depth)."""
    with np.errstate(all="ignore"):
        return g[..., 0] / g[..., -1]


def measure_vanishing(p: dict[str, Any], run: Runner) -> Measurement:
    from .training import init_statistics

    arch = Architecture(p["depth"], p["width"])
    names = ("sigmoid", "tanh", "relu")
    seeds = list(range(p["seed"], p["seed"] + p["seeds"]))
    cfg = TrainConfig(
        arch=arch, init=p["init"], variants=tuple(Variant(n) for n in names), optimizer=p["optimizer"],
        learning_rate=p["learning_rate"], epochs=p["epochs"], frames=min(26, p["epochs"] + 1), boundary_frames=0,
        histograms=False, seed=p["seed"],
    )
    check_budget([cfg])
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
        Readout("sigmoid_ratio_end", f"Sigmoid ‖∂L/∂W‖ ratio after {trace.epochs_run} epochs ({one_run})", after[0], fmt(after[0]), "during training"),
        Readout("relu_ratio_end", f"ReLU ‖∂L/∂W‖ ratio after {trace.epochs_run} epochs ({one_run})", after[2], fmt(after[2]), "during training"),
        Readout("accuracy", f"Test accuracy after training ({one_run}): sigmoid / tanh / ReLU", _finite(acc[0]), " / ".join(pct(_finite(a), 0) for a in acc), "what vanishing gradients cost"),
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
    explorer = _network_query(
        "compare", "sigmoid,tanh,relu", depth=p["depth"], width=p["width"], init=p["init"], optimizer=p["optimizer"],
        learning_rate=p["learning_rate"], epochs=max(1, p["epochs"]), seed=p["seed"], grad="weights",
    )
    return Measurement(readouts, verdict, data, explorer, trace.cut_short)


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
        f"It opens on this lesson's quantity, the weight gradient ‖∂L/∂W_l‖ (Gradient menu), for that one seed: first ÷ last at initialisation "
        f"{fmt(sig_1)} / {fmt(tanh_1)} / {fmt(relu_1)} (sigmoid / tanh / ReLU)"
        + (f"; this lesson averages the norms over {n} weight seeds ({first}–{first + n - 1}): {fmt(sig_w)} / {fmt(tanh_w)} / {fmt(relu_w)}. " if n > 1 else ". ")
        + "Its Gradient menu also shows ‖∂L/∂(layer input)‖, the gradient arriving at each layer's input, which does not scale with the "
        f"size of the layer's input as ‖∂L/∂W_l‖ does (the raw 2-D data for layer 1): {fmt(sig_in, 2)} / {fmt(tanh_in, 2)} / {fmt(relu_in, 2)}. "
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
        "The size of the loss gradient with respect to each layer's weights, ‖∂L/∂W_l‖, in a deep network with sigmoid, tanh and ReLU from the same initial weights — "
        f"at initialisation (the norms averaged over the weight seeds, {VANISH_SEEDS} by default, then first ÷ last layer) and during training (one run, from the first seed)."
    ),
    threshold=f"The first-to-last layer ratio of these norms at initialisation is below {fmt(VANISH_BELOW)} for sigmoid and between {fmt(HEALTHY_RANGE[0])} and {fmt(HEALTHY_RANGE[1])} for ReLU.",
    explanation=(
        f"Backpropagation multiplies the gradient by f′(z) once per layer on its way to the input. The logistic sigmoid's slope is at most 1/4, so {VANISH_DEPTH} sigmoid layers can shrink it by 4{str(VANISH_DEPTH).translate(_SUP)} ≈ 10{str(round(VANISH_DEPTH * math.log10(4))).translate(_SUP)}: the first layers barely learn.",
        "ReLU's slope is exactly 1 wherever the unit is active, so an active path passes the gradient unchanged; with He initialisation the layer-to-layer scale is kept, and the first layer's gradient stays within a small factor of the last layer's.",
        "tanh′(0) = 1, so with a variance-preserving initialisation tanh fades much less than sigmoid at the start; it vanishes once its units saturate (large |z|).",
        "The heat maps follow ‖∂L/∂W_l‖ while training with plain SGD (one run, from the first seed): sigmoid's rows stay dark — tiny gradients, the input-side layer darkest — and its accuracy lags behind. Its first-to-last ratio creeps back up only because the last layer's gradient shrinks towards the first's (see the numbers).",
        "Which gradient? ‖∂L/∂W_l‖ is the gradient the optimiser applies to layer l's weights. The explorer's Gradient menu shows either it or ‖∂L/∂(layer input)‖, the gradient arriving at the layer's input, for one seed (the link opens on ‖∂L/∂W_l‖); the weight gradient also carries the size of the layer's input, so the two ratios differ (see the note under the numbers) — and a single seed scatters widely around the average (the band in the first plot): compare the explorer with the seed-alone row, not with the average.",
    ),
    controls=(
        Control("depth", "Hidden layers", "int", VANISH_DEPTH, 2, 12, 1),
        Control("width", "Units per layer", "int", 16, 4, 32, 1),
        Control("init", "Initialisation", "choice", "he", choices=INITS, labels=INIT_LABELS, help="The same initial weights for all three activations."),
        Control("seeds", "Weight seeds (at init)", "int", VANISH_SEEDS, 1, 16, 1, help="The norms at initialisation are averaged over seeds seed, seed+1, …; training uses the first."),
        Control("optimizer", "Optimiser", "choice", "sgd", choices=("sgd", "adam"), labels=("SGD", "Adam"), help="Adam rescales each weight's step, which hides vanishing gradients; SGD shows them."),
        Control("learning_rate", "Learning rate", "float", 0.1, 0.001, 1.0, 0.001, log=True),
        Control("epochs", "Epochs", "int", 200, 0, 600, 10),
        Control("seed", "Seed", "int", 0, 0, 10_000, 1),
    ),
    plots=(
        Plot("norms", "Gradient norm per layer at initialisation", "‖∂L/∂W_l‖ for each hidden layer (1 = input side), mean over seeds; the band spans the seeds. Log scale."),
        Plot("flow", "Gradient flow during training", "log₁₀ ‖∂L/∂W_l‖ per layer (rows) and epoch (columns), one map per activation."),
    ),
    measure=measure_vanishing,
    explorer_note=note_vanishing,
    trains=True,
)


# =========================================================================== 3. dying ReLU

DYING_LRS: tuple[float, ...] = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
DYING_GAP = 0.25  # "well above"
LEAKY_ALIVE = 0.05
DYING_ACC_GAP = 0.05  # "mitigated": leaky ReLU's test accuracy at the high learning rates above ReLU's by this
DYING_LEAK = float(acts.get("leaky_relu").defaults()["leak"])  # the catalogue's default leak


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


def measure_dying(p: dict[str, Any], run: Runner) -> Measurement:
    lrs = DYING_LRS
    V = len(lrs)
    leaky_params = {"leak": p["leak"]}
    variants = tuple(Variant("relu", {}, learning_rate=lr) for lr in lrs) + tuple(Variant("leaky_relu", leaky_params, learning_rate=lr) for lr in lrs)
    seeds = list(range(p["seed"], p["seed"] + p["seeds"]))
    configs = [
        TrainConfig(arch=Architecture(p["depth"], p["width"]), variants=variants, optimizer=p["optimizer"], epochs=p["epochs"],
                    frames=min(21, p["epochs"] + 1), boundary_frames=0, histograms=False, seed=s, include_weights=True)
        for s in seeds
    ]
    check_budget(configs, "epochs", "epochs, depth, width or seeds")
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
    readouts = [
        Readout("relu_dead_high", f"ReLU units dead after training at learning rates {hi_txt}", _finite(relu_high), pct(relu_high, 0),
                f"well above leaky ReLU's (by ≥ {pct(DYING_GAP, 0)})", math.isfinite(relu_high) and math.isfinite(leaky_high) and relu_high >= leaky_high + DYING_GAP),
        Readout("relu_dead_low", f"ReLU units dead at learning rates {lo_txt}", _finite(relu_low), pct(relu_low, 0),
                f"far fewer: the learning rate causes it (≥ {pct(DYING_GAP, 0)} less)", math.isfinite(relu_high) and math.isfinite(relu_low) and relu_high >= relu_low + DYING_GAP),
        Readout("leaky_dead_worst", f"Leaky ReLU (leak {fmt(p['leak'])}) units passing no gradient, worst learning rate", _finite(leaky_worst), pct(leaky_worst, 0),
                f"≤ {pct(LEAKY_ALIVE, 0)} (none while leak > 0: the leak always passes some gradient)", math.isfinite(leaky_worst) and leaky_worst <= LEAKY_ALIVE),
        Readout("leaky_off_high", f"Leaky ReLU units negative on every input at learning rates {hi_txt}", _finite(leaky_off_high), pct(leaky_off_high, 0),
                "pushed off as well — but still learning through the leak"),
        Readout("accuracy_high", f"Test accuracy at learning rates {hi_txt}: leaky ReLU vs ReLU", _finite(leaky_acc_high),
                f"{pct(leaky_acc_high, 0)} vs {pct(relu_acc_high, 0)}", f"mitigated: leaky ReLU higher by ≥ {pct(DYING_ACC_GAP, 0)} points", acc_ok),
        Readout("relu_dead_init", "ReLU units dead already at initialisation", _finite(float(dead_init[0])), pct(float(dead_init[0]), 0), "the starting point"),
        Readout("diverged", "Runs whose loss diverged (left out)", float(n_div), f"{n_div} of {2 * V}", "marked ×"),
    ]
    verdict = _verdict(
        readouts,
        f"Supports the claim: {pct(relu_high, 0)} of ReLU units die at learning rates {hi_txt}, against {pct(relu_low, 0)} at {lo_txt}; "
        f"leaky ReLU keeps a gradient in every unit (worst {pct(leaky_worst, 0)} dead) and ends at {pct(leaky_acc_high, 0)} test accuracy there, against ReLU's {pct(relu_acc_high, 0)}.",
        f"Does not support the claim at these settings: ReLU dead {pct(relu_high, 0)} at high and {pct(relu_low, 0)} at low learning rates, "
        f"leaky ReLU worst {pct(leaky_worst, 0)} dead; test accuracy at high learning rates {pct(leaky_acc_high, 0)} (leaky) vs {pct(relu_acc_high, 0)} (ReLU).",
    )
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
    explorer = _network_query(
        "sweep", _specs(("relu", {}), ("leaky_relu", leaky_params)), sweep="learning_rate", values=",".join(_num(v) for v in lrs),
        metric="dead_fraction", optimizer=p["optimizer"], depth=p["depth"], width=p["width"], epochs=p["epochs"], seed=p["seed"],
    )
    return Measurement(readouts, verdict, data, explorer, cut)


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
        f"Leaky ReLU keeps a small slope ({fmt(DYING_LEAK)} by default) for negative inputs: a unit pushed to the negative side still receives leak × its gradient, so by this measure it cannot die while the leak is above 0. That alone proves little, so the lesson also counts the leaky units the high learning rates push below zero on every input (many are), and measures what matters: the test accuracy the network keeps. Set the leak to 0 and leaky ReLU becomes ReLU again — it dies like ReLU and loses its accuracy edge.",
        "Diverged runs (loss became infinite) are left out and marked ×.",
    ),
    controls=(
        Control("optimizer", "Optimiser", "choice", "adam", choices=("adam", "sgd"), labels=("Adam", "SGD")),
        Control("leak", "Leaky ReLU's leak", "float", DYING_LEAK, 0.0, 0.5, 0.005, help="Slope for negative inputs; 0 turns leaky ReLU into ReLU."),
        Control("depth", "Hidden layers", "int", 4, 1, 8, 1),
        Control("width", "Units per layer", "int", 16, 4, 32, 1),
        Control("epochs", "Epochs", "int", 200, 20, 500, 10),
        Control("seeds", "Seeds averaged", "int", 2, 1, 4, 1, help="Each seed is one sweep with its own initial weights."),
        Control("seed", "First seed", "int", 0, 0, 10_000, 1),
    ),
    plots=(
        Plot("sweep", "Dead units after training against the learning rate", "Share of hidden units inactive for every training input; × marks a diverged run."),
        Plot("curves", "Dead units during training, per learning rate", "Colour runs from the smallest learning rate (dark) to the largest (yellow)."),
    ),
    measure=measure_dying,
    explorer_note=note_dying,
    trains=True,
)


# =========================================================================== 4. scale invariance

SCALE_EXACT = 1e-12
SCALE_FAILS = 1e-6
SCALE_GRID = (-5.0, 5.0, 1001)
SCALE_RANGE = f"[−{fmt(-SCALE_GRID[0])}, {fmt(SCALE_GRID[1])}]"
SCALE_BROKEN = ("elu", "softplus", "gelu")
SCALE_COMPARE = ("elu", "softplus", "gelu", "silu", "tanh", "sigmoid", "leaky_relu", "prelu")


def measure_scale(p: dict[str, Any], run: Runner) -> Measurement:
    a = float(p["a"])
    x = np.linspace(*SCALE_GRID)
    names = ["relu", "leaky_relu", *SCALE_BROKEN]
    if p["compare"] not in names:
        names.append(p["compare"])
    curves = {}
    for name in names:
        act = acts.get(name)
        d = act.defaults()
        lhs = act.f(a * x, **d)
        rhs = a * act.f(x, **d)
        err = np.abs(lhs - rhs)
        curves[name] = {"label": act.name, "lhs": lhs, "rhs": rhs, "error": err, "max_error": float(err.max())}
    relu_err = curves["relu"]["max_error"]
    trivial = a == 1.0

    def fails(name: str) -> Readout:
        e = curves[name]["max_error"]
        zero_ok = acts.get(name).f(np.zeros(1), **acts.get(name).defaults())[0] == 0
        if trivial or (a == 0 and zero_ok):
            return Readout(f"{name}_error", f"{acts.get(name).name}: max |f(a·x) − a·f(x)|", e, fmt(e), f"a = {fmt(a)} is a trivial case: choose another a")
        return Readout(f"{name}_error", f"{acts.get(name).name}: max |f(a·x) − a·f(x)|", e, fmt(e), f"clearly non-zero (> {fmt(SCALE_FAILS)}): not scale-invariant", e > SCALE_FAILS)

    readouts = [
        Readout("relu_error", f"ReLU: max |max(0, a·x) − a·max(0, x)| for a = {fmt(a)}", relu_err, fmt(relu_err), f"0 (≤ {fmt(SCALE_EXACT)})", relu_err <= SCALE_EXACT),
        Readout("leaky_relu_error", "Leaky ReLU: max |f(a·x) − a·f(x)|", curves["leaky_relu"]["max_error"], fmt(curves["leaky_relu"]["max_error"]), "0 too, up to rounding: a line through 0 on each side"),
        *[fails(n) for n in SCALE_BROKEN],
    ]
    if p["compare"] not in ("relu", "leaky_relu", *SCALE_BROKEN):
        e = curves[p["compare"]]["max_error"]
        readouts.append(Readout(f"{p['compare']}_error", f"{acts.get(p['compare']).name}: max |f(a·x) − a·f(x)|", e, fmt(e), "for comparison"))
    broken = ", ".join(f"{acts.get(n).name} {fmt(curves[n]['max_error'])}" for n in SCALE_BROKEN)
    verdict = _verdict(
        readouts,
        f"Supports the claim: for a = {fmt(a)} ReLU's two sides agree to {fmt(relu_err)} on {SCALE_RANGE}"
        + (f", while the identity fails for {broken}." if not trivial else " (a = 1 is trivial: every function passes)."),
        f"Does not support the claim at a = {fmt(a)}: ReLU error {fmt(relu_err)}; {broken}.",
    )
    data = {
        "a": a,
        "x": x,
        "compare": p["compare"],
        "curves": [{"activation": n, **curves[n]} for n in names],
    }
    explorer = {"fn": _specs(("relu", {}), (p["compare"], {})), "xmin": _num(SCALE_GRID[0]), "xmax": _num(SCALE_GRID[1])}
    return Measurement(readouts, verdict, data, explorer)


def note_scale(p: dict[str, Any], m: Measurement) -> str:
    return (f"The explorer draws f and f′ of ReLU and {acts.get(p['compare']).name} on {SCALE_RANGE}, the range measured here. "
            f"It does not compare f(a·x) with a·f(x): that check, with a = {fmt(float(p['a']))}, is made only here.")


SCALE = Lesson(
    slug="scale-invariance",
    number=4,
    title="Scale invariance: max(0, a·x) = a·max(0, x)",
    claim="Scale invariance: max(0, a·x) = a·max(0, x) for a ≥ 0.",
    source="Claimed advantages of the rectifier, 5",
    measures=f"Both sides of the identity, f(a·x) and a·f(x), on {SCALE_GRID[2]:,} points in {SCALE_RANGE} for ReLU and for activations that are not piecewise linear, and the largest difference.",
    threshold=f"ReLU's largest difference is at most {fmt(SCALE_EXACT)} for the chosen a ≥ 0; for ELU, softplus and GELU it is above {fmt(SCALE_FAILS)} (for a ≠ 1).",
    explanation=(
        "For a ≥ 0, a·x and x have the same sign, so max(0, a·x) keeps or zeroes exactly the same inputs as max(0, x), and the kept ones are scaled by a. The identity is exact — the measured error is 0 to the last bit.",
        "It means a ReLU network does not care about the overall scale of a layer's weights: doubling them doubles the layer's output and changes no on/off pattern. That is why, in lesson 1, He and LeCun initialisations (the same normal draws at different scales) switch exactly the same units on and off.",
        "Curved activations break it: ELU's negative side e^x − 1, softplus' log(1 + e^x) and GELU's x·Φ(x) all bend, so scaling the input is not the same as scaling the output. (Leaky ReLU and PReLU keep the identity: they are also straight lines through 0 on each side.)",
        "For a < 0 the identity fails even for ReLU: the claim says a ≥ 0 for a reason.",
    ),
    controls=(
        Control("a", "Scale a", "float", 2.0, 0.0, 10.0, 0.05, help="The claim is for a ≥ 0; a = 1 is the trivial case."),
        Control("compare", "Compare with", "choice", "elu", choices=SCALE_COMPARE, labels=_names(SCALE_COMPARE), help="A second activation to plot both sides for."),
    ),
    plots=(
        Plot("sides", "Both sides of the identity", "Solid: f(a·x); dashed: a·f(x). ReLU's two lines coincide; the comparison's do not."),
        Plot("error", "Error |f(a·x) − a·f(x)|", "Zero everywhere for ReLU and leaky ReLU; the curved activations depart from it."),
    ),
    measure=measure_scale,
    explorer_note=note_scale,
)


# =========================================================================== 5. softplus and the logistic

SOFTPLUS_EXACT = 1e-12
SOFTPLUS_FD = 1e-6
SOFTPLUS_FD_STEP = 1e-5
SOFTPLUS_THRESHOLD = 50.0  # the catalogue's maximum: PyTorch's linear switch then changes f′ by less than rounding
SOFTPLUS_PYTORCH_THRESHOLD = float(acts.get("softplus").defaults()["threshold"])
SOFTPLUS_BETAS = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0)


def logistic_source(x: Array) -> tuple[Array, Array]:
    """The logistic function in the two forms the source writes: e^x/(1 + e^x) and 1/(1 + e^(−x))."""
    with np.errstate(over="ignore"):
        e = np.exp(x)
        return e / (1.0 + e), 1.0 / (1.0 + np.exp(-x))


def measure_softplus(p: dict[str, Any], run: Runner) -> Measurement:
    sp = acts.get("softplus")
    R, beta = float(p["range"]), float(p["beta"])
    x = np.linspace(-R, R, 2001)  # odd: contains 0
    d1 = {"beta": 1.0, "threshold": SOFTPLUS_THRESHOLD}
    dsp = sp.df(x, **d1)
    form1, form2 = logistic_source(x)
    diff = np.abs(dsp - form2)
    diff_forms = float(np.abs(form1 - form2).max())
    h = SOFTPLUS_FD_STEP
    fd = (sp.f(x + h, **d1) - sp.f(x - h, **d1)) / (2 * h)
    fd_diff = np.abs(fd - form2)
    max_diff, max_fd = float(diff.max()), float(fd_diff.max())
    relu = acts.get("relu").f(x)

    def gap(b: float) -> float:
        return float(np.abs(sp.f(x, beta=b, threshold=SOFTPLUS_THRESHOLD) - relu).max())

    g = gap(beta)
    predicted = math.log(2.0) / beta
    betas = sorted(set(SOFTPLUS_BETAS) | {beta})
    gaps = [gap(b) for b in betas]
    shrinking = all(g2 < g1 for g1, g2 in zip(gaps, gaps[1:]))
    readouts = [
        Readout("derivative_vs_logistic", "max |softplus′(x) − 1/(1 + e⁻ˣ)|", max_diff, fmt(max_diff), f"0 up to rounding (≤ {fmt(SOFTPLUS_EXACT)})", max_diff <= SOFTPLUS_EXACT),
        Readout("finite_difference", f"max |finite-difference slope of softplus − logistic| (step {fmt(h)})", max_fd, fmt(max_fd), f"≈ 0 (≤ {fmt(SOFTPLUS_FD)}, the step's error)", max_fd <= SOFTPLUS_FD),
        Readout("forms", "max |eˣ/(1 + eˣ) − 1/(1 + e⁻ˣ)|", diff_forms, fmt(diff_forms), "the source's two forms agree"),
        Readout("gap", f"max |softplus_β(x) − max(0, x)| for β = {fmt(beta)}", g, fmt(g, 6), f"(log 2)/β = {fmt(predicted, 6)}", abs(g - predicted) <= 1e-9 * max(1.0, predicted)),
        Readout("gap_shrinks", f"gap for β = {', '.join(fmt(b) for b in betas)}", gaps[-1], " → ".join(fmt(v, 3) for v in gaps), "shrinks as β grows: softplus → ReLU", shrinking),
    ]
    verdict = _verdict(
        readouts,
        f"Supports the claim: softplus′ and the logistic {'agree exactly' if max_diff == 0 else f'differ by at most {fmt(max_diff)}'} on [−{fmt(R)}, {fmt(R)}]; "
        f"the largest gap to ReLU is {fmt(g, 4)} = (log 2)/β at x = 0, shrinking as β grows.",
        "Does not support the claim at these settings: see the rows marked ✗.",
    )
    data = {
        "x": x,
        "derivative": dsp,
        "logistic": form2,
        "difference": diff,
        "fd_difference": fd_diff,
        "beta": beta,
        "relu": relu,
        "betas": betas,
        "gaps": gaps,
        "predicted": [math.log(2.0) / b for b in betas],
        "curves": [{"beta": b, "y": sp.f(x, beta=b, threshold=SOFTPLUS_THRESHOLD)} for b in sorted({1.0, beta, 4.0 if beta != 4.0 else 8.0})],
    }
    # softplus with β = 1 (whose slope is the logistic), the chosen β, ReLU and the logistic itself
    sharp = [("softplus", {"beta": beta, "threshold": SOFTPLUS_THRESHOLD})] if beta != 1.0 else []
    explorer = {"fn": _specs(("softplus", d1), *sharp, ("relu", {}), ("sigmoid", {})), "xmin": _num(-R), "xmax": _num(R)}
    return Measurement(readouts, verdict, data, explorer)


def note_softplus(p: dict[str, Any], m: Measurement) -> str:
    R, beta = float(p["range"]), float(p["beta"])
    sharp = f", softplus_β for β = {fmt(beta)}" if beta != 1.0 else ""
    return (f"The explorer draws softplus (β = 1){sharp}, ReLU and the logistic sigmoid on [−{fmt(R)}, {fmt(R)}], with softplus' threshold at {fmt(SOFTPLUS_THRESHOLD)} as here. "
            "Compare softplus' f′ (lower panel) with the sigmoid's f (upper panel): the same curve. The gap to ReLU, (log 2)/β, is softplus_β(0) in the upper panel.")


SOFTPLUS = Lesson(
    slug="softplus-logistic",
    number=5,
    title="Softplus: a smooth ReLU whose slope is the logistic",
    claim="softplus f(x) = log(1 + exp(x)): smooth approximation of ReLU; its derivative is the logistic function f'(x) = exp(x)/(1+exp(x)) = 1/(1+exp(-x)).",
    source="Functions, softplus",
    measures="softplus′ (as the catalogue computes it, and as a finite-difference slope of softplus itself) against the source's logistic formula 1/(1 + e⁻ˣ); the largest gap between softplus_β(x) = log(1 + e^(βx))/β and ReLU for several β.",
    threshold=f"softplus′ matches 1/(1 + e⁻ˣ) to {fmt(SOFTPLUS_EXACT)} (the finite-difference slope to {fmt(SOFTPLUS_FD)}); the largest gap to ReLU equals (log 2)/β and shrinks as β grows.",
    explanation=(
        "d/dx log(1 + eˣ) = eˣ/(1 + eˣ) = 1/(1 + e⁻ˣ): the chain rule gives the logistic sigmoid directly. The lesson checks it twice: against the derivative the app uses for training, and against the slope of softplus' own values measured by finite differences.",
        "softplus is smooth everywhere — its slope goes continuously from 0 to 1 — while ReLU's slope jumps at 0. With a sharpness β, softplus_β(x) = log(1 + e^{βx})/β hugs ReLU more tightly as β grows.",
        "Where is it furthest from ReLU? At x = 0, where softplus_β(0) = (log 2)/β and ReLU is 0; on each side the gap shrinks like e^{−β|x|}/β. The measured maximum gap equals (log 2)/β.",
        f"PyTorch switches softplus to the identity where βx > threshold ({fmt(SOFTPLUS_PYTORCH_THRESHOLD)} by default) to avoid overflow; that changes f′ by up to e^(−threshold) ≈ {fmt(math.exp(-SOFTPLUS_PYTORCH_THRESHOLD), 2)}, more than the {fmt(SOFTPLUS_EXACT)} checked here. The lesson sets it to {fmt(SOFTPLUS_THRESHOLD)}, the catalogue's maximum, where the change (≈ {fmt(math.exp(-SOFTPLUS_THRESHOLD), 2)}) is below rounding.",
    ),
    controls=(
        Control("beta", "Sharpness β", "float", 2.0, 0.5, 20.0, 0.1, help="softplus_β(x) = log(1 + e^{βx})/β; larger β is closer to ReLU."),
        Control("range", "x range ±", "float", 6.0, 1.0, 30.0, 0.5, help="The comparison runs over [−range, range]."),
    ),
    plots=(
        Plot("derivative", "softplus′ overlaid on the logistic sigmoid", "Solid: the derivative of softplus; dashed: 1/(1 + e^(−x)). Below: their difference (log scale; exact zeros are not drawn)."),
        Plot("approach", "softplus_β approaches ReLU as β grows", "softplus_β for several β and ReLU (black)."),
        Plot("gap", "Largest gap to ReLU against β", "Measured max |softplus_β − ReLU| (markers) and (log 2)/β (line). Log–log."),
    ),
    measure=measure_softplus,
    explorer_note=note_softplus,
)


# =========================================================================== 6. zero-centred means

FAST_LOSS = 0.1


def measure_zero_centred(p: dict[str, Any], run: Runner) -> Measurement:
    elu_params = {"alpha": p["alpha"]}
    specs = (("relu", {}), ("elu", elu_params), ("selu", {}))
    cfg = TrainConfig(
        arch=Architecture(p["depth"], p["width"]), init=p["init"], variants=tuple(Variant(n, pr) for n, pr in specs),
        learning_rate=p["learning_rate"], epochs=p["epochs"], frames=min(101, p["epochs"] + 1), boundary_frames=0, histograms=False, seed=p["seed"],
    )
    check_budget([cfg])
    tr = run(cfg)
    mean, std = tr.layers["mean"], tr.layers["std"]  # (K, F, D)
    K = mean.shape[0]
    abs_mean = _nanmean(np.abs(mean).reshape(K, -1).T)  # over frames and layers: (K,)
    with np.errstate(all="ignore"):
        offset = _nanmean((np.abs(mean) / np.where(std > 0, std, np.nan)).reshape(K, -1).T)
    relu_m, elu_m, selu_m = (float(v) for v in abs_mean)
    relu_pos = float(np.mean(mean[0][np.isfinite(mean[0])] > 0)) if np.isfinite(mean[0]).any() else math.nan
    reached = []
    for k in range(K):
        below = np.flatnonzero(np.nan_to_num(tr.loss_train[k], nan=np.inf) < FAST_LOSS)
        reached.append(int(tr.frames[below[0]]) if below.size else None)
    readouts = [
        Readout("elu_vs_relu", "|mean activation|, averaged over layers and training: ELU vs ReLU", _finite(elu_m), f"ELU {fmt(elu_m)} vs ReLU {fmt(relu_m)}", "ELU closer to zero", elu_m < relu_m),
        Readout("selu_vs_relu", "SELU vs ReLU", _finite(selu_m), f"SELU {fmt(selu_m)} vs ReLU {fmt(relu_m)}", "SELU closer to zero", selu_m < relu_m),
        Readout("relu_positive", "ReLU mean activation > 0 (layers × recorded epochs)", _finite(relu_pos), pct(relu_pos, 0), "not zero-centred: 100 %", relu_pos == 1.0),
        Readout("offset", "|mean| ÷ std: ReLU / ELU / SELU", _finite(float(offset[0])), " / ".join(fmt(float(v), 2) for v in offset), "scale-free offset from zero"),
        Readout("accuracy", "Test accuracy after training: ReLU / ELU / SELU", _finite(float(tr.acc_test[0, -1])), " / ".join(pct(_finite(float(a)), 0) for a in tr.acc_test[:, -1]), "for reference"),
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
    explorer = _network_query("compare", _specs(*specs), depth=p["depth"], width=p["width"], init=p["init"], learning_rate=p["learning_rate"], epochs=max(1, p["epochs"]), seed=p["seed"])
    return Measurement(readouts, verdict, data, explorer, tr.cut_short)


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
        Control("depth", "Hidden layers", "int", 6, 2, 10, 1),
        Control("width", "Units per layer", "int", 16, 4, 32, 1),
        Control("init", "Initialisation", "choice", "he", choices=INITS, labels=INIT_LABELS),
        Control("alpha", "ELU's α", "float", 1.0, 0.1, 3.0, 0.05, help="ELU saturates at −α for very negative inputs."),
        Control("learning_rate", "Learning rate (Adam)", "float", 0.01, 0.0001, 0.3, 0.0001, log=True),
        Control("epochs", "Epochs", "int", 300, 0, 800, 10),
        Control("seed", "Seed", "int", 0, 0, 10_000, 1),
    ),
    plots=(
        Plot("means", "Mean activation during training", "Mean of h over units and training inputs, averaged over layers; the band spans the layers. Zero is the dashed line."),
        Plot("layers", "Mean activation per layer, at the start and at the end", "Dotted: at initialisation; solid: after training."),
    ),
    measure=measure_zero_centred,
    explorer_note=note_zero_centred,
    trains=True,
)


# =========================================================================== 7. not differentiable at zero

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


def measure_kink(p: dict[str, Any], run: Runner) -> Measurement:
    relu = acts.get("relu")
    chosen = acts.get(p["activation"])
    cd = chosen.defaults()
    rl, rr = one_sided_slopes(relu, 0.0)
    cl, cr = one_sided_slopes(chosen, 0.0)
    away = max(float(np.abs(a[-4] - b[-4]).max()) for a, b in (one_sided_slopes(relu, -0.5), one_sided_slopes(relu, 0.5)))
    jump = float(rr[-1] - rl[-1])
    cfg = TrainConfig(
        arch=Architecture(p["depth"], p["width"]), variants=(Variant(chosen.id),), epochs=p["epochs"], frames=2, boundary_frames=0,
        histograms=False, include_weights=True, seed=p["seed"], dtype=p["dtype"],
    )
    check_budget([cfg])
    tr = run(cfg)
    x = tr.data.x_all.astype(np.float64)
    kinks = chosen.kinks(**cd) or [0.0]
    zs = [_pass_after(cfg, tr.theta_initial, x)]
    if tr.diverged_at[0] is None and tr.theta_final is not None:
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
        Readout("exact_hits", f"Pre-activations exactly at a kink ({chosen.name}, at init and after training, {p['dtype']})", hits / total if total else None,
                f"{hits:,} of {total:,}", f"essentially none (≤ {fmt(EXACT_ZEROS_MAX)} of them)", total > 0 and hits / total <= EXACT_ZEROS_MAX),
        Readout("closest", "Closest any pre-activation came to the kink", _finite(closest), fmt(closest), "a continuous distribution almost never hits a point"),
        Readout("convention", f"{chosen.name}: the value used for f′(0)", df0, fmt(df0), chosen.convention),
    ]
    if chosen.id != "relu":
        readouts.insert(4, Readout("chosen_sides", f"{chosen.name} at x = 0: left and right derivative", float(cr[-1] - cl[-1]), f"{fmt(float(cl[-1]))} and {fmt(float(cr[-1]))}", "differ only if it has a kink at 0"))
    verdict = _verdict(
        readouts,
        f"Supports the claim: ReLU's slope is {fmt(float(rl[-1]))} just left of 0 and {fmt(float(rr[-1]))} just right of it, so f′(0) does not exist; "
        f"the convention f′(0) = 0 is needed — yet {hits:,} of {total:,} pre-activations landed exactly on the kink, so the choice almost never matters.",
        "Does not support the claim at these settings: see the rows marked ✗.",
    )
    data = {
        "steps": KINK_STEPS,
        "relu": {"left": rl, "right": rr, "label": relu.name},
        "chosen": {"left": cl, "right": cr, "label": chosen.name, "activation": chosen.id, "kinks": kinks},
        "distance": {"edges": edges, "counts": counts, "total": total, "hits": hits},
    }
    explorer = {"fn": _specs(("relu", {}), (chosen.id, {})) if chosen.id != "relu" else "relu", "xmin": _num(-KINK_VIEW), "xmax": _num(KINK_VIEW)}
    return Measurement(readouts, verdict, data, explorer, tr.cut_short)


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
        Control("width", "Units per layer", "int", 32, 4, 64, 1),
        Control("epochs", "Epochs", "int", 200, 0, 1000, 10),
        Control("seed", "Seed", "int", 0, 0, 10_000, 1),
    ),
    plots=(
        Plot("slopes", "One-sided slopes at x = 0 as the step shrinks", "(f(0) − f(−h))/h and (f(h) − f(0))/h against h (log scale). Two different limits: no derivative."),
        Plot("distance", "How close pre-activations come to the kink", f"Count of pre-activations by their distance to the kink, in log-spaced bins; the first bar (below {fmt(10.0 ** KINK_BINS[0])}) would hold any exact hits, which the note in the plot counts."),
    ),
    measure=measure_kink,
    explorer_note=note_kink,
    trains=True,
)


# =========================================================================== 8. noisy ReLU

NOISY_SMOOTH = 1e-3
NOISY_MC_SE = 5.0  # Monte-Carlo agreement, in standard errors
NOISY_GRID = (-3.0, 3.0, 121)
NOISY_H = 1e-6


def measure_noisy(p: dict[str, Any], run: Runner) -> Measurement:
    act = acts.get("noisy_relu")
    params = {"sigma": p["sigma"], "sigma_growth": p["sigma_growth"]}
    x = np.linspace(*NOISY_GRID)
    mean = act.f(x, **params)
    slope = act.df(x, **params)
    assert act.stochastic is not None
    rng = np.random.default_rng(p["seed"])
    draws = p["draws"]
    samples, _ = act.stochastic.sample(np.broadcast_to(x, (draws, x.size)), rng, **params)
    mc_mean = samples.mean(axis=0)
    se = samples.std(axis=0) / math.sqrt(draws)
    mc_err = np.abs(mc_mean - mean)
    # where (almost) every draw is 0 the sample spread is 0: floor the standard error at one
    # draw's worth of the noise scale
    floor = (p["sigma"] + p["sigma_growth"] * np.abs(x)) / draws
    se_floored = np.maximum(se, floor)
    worst = float((mc_err / se_floored).max()) if np.all(se_floored > 0) else (0.0 if np.all(mc_err == 0) else math.inf)
    q_lo, q_hi = act.stochastic.quantile(x, 0.05, **params), act.stochastic.quantile(x, 0.95, **params)
    emp_lo, emp_hi = np.quantile(samples, 0.05, axis=0), np.quantile(samples, 0.95, axis=0)
    # the slope of the mean just left and right of 0
    h = NOISY_H
    f0 = act.f(np.zeros(1), **params)[0]
    left = float((f0 - act.f(np.array([-h]), **params)[0]) / h)
    right = float((act.f(np.array([h]), **params)[0] - f0) / h)
    jump = abs(right - left)
    at0 = float(f0)
    expected0 = p["sigma"] / math.sqrt(2 * math.pi)
    scatter_x = np.repeat(x[::2], 4)
    scatter_y, _ = act.stochastic.sample(scatter_x, rng, **params)
    readouts = [
        Readout("slope_jump", "Slope of E[f] just right minus just left of 0", jump, fmt(jump), f"≈ 0 (< {fmt(NOISY_SMOOTH)}): smooth, unlike ReLU's jump of 1", jump < NOISY_SMOOTH),
        Readout("mc_agreement", f"Monte-Carlo mean of {draws:,} draws vs the closed form E[f]", float(mc_err.max()), f"max diff {fmt(float(mc_err.max()))} ({fmt(worst, 2)} standard errors)", f"agree within {fmt(NOISY_MC_SE)} standard errors", worst <= NOISY_MC_SE),
        Readout("at_zero", "E[f(0)] against σ/√(2π)", at0, f"{fmt(at0, 5)} vs {fmt(expected0, 5)}", "equal: noise lifts the mean above ReLU", abs(at0 - expected0) <= 1e-12),
        Readout("band", "5–95 % band: empirical vs exact quantiles, max diff", float(max(np.abs(emp_lo - q_lo).max(), np.abs(emp_hi - q_hi).max())),
                fmt(float(max(np.abs(emp_lo - q_lo).max(), np.abs(emp_hi - q_hi).max()))), "close (sampling error)"),
    ]
    no_noise = p["sigma"] == 0 and p["sigma_growth"] == 0
    verdict = _verdict(
        readouts,
        f"Supports the claim: averaged over the noise, noisy ReLU is smooth — its slope changes by only {fmt(jump)} across 0 (ReLU's jumps by 1) — "
        f"and the sampled mean matches the formula x·Φ(x/σ) + σ·φ(x/σ).",
        "Does not support the claim here: " + ("with σ = 0 there is no noise and the mean is ReLU itself, kink included." if no_noise
                                                else "with σ growing with |x| (γ > 0) the noise scale σ + γ|x| has a kink at 0, and so does the mean." if p["sigma_growth"] > 0 and jump >= NOISY_SMOOTH
                                                else "see the rows marked ✗."),
    )
    data = {
        "x": x,
        "mean": mean,
        "slope": slope,
        "relu": acts.get("relu").f(x),
        "relu_slope": acts.get("relu").df(x),
        "mc_mean": mc_mean,
        "band": {"low": q_lo, "high": q_hi},
        "samples": {"x": scatter_x, "y": scatter_y},
        "sigma": p["sigma"],
    }
    explorer = {"fn": _specs(("noisy_relu", params), ("relu", {})), "xmin": _num(NOISY_GRID[0]), "xmax": _num(NOISY_GRID[1]), "samples": "1"}
    return Measurement(readouts, verdict, data, explorer)


def note_noisy(p: dict[str, Any], m: Measurement) -> str:
    growth = f", γ = {fmt(p['sigma_growth'])}" if p["sigma_growth"] else ""
    return (f"The explorer draws noisy ReLU with σ = {fmt(p['sigma'])}{growth} next to ReLU on [−{fmt(-NOISY_GRID[0])}, {fmt(NOISY_GRID[1])}]: "
            f"the same closed-form mean and 5–95 % band, with its own seeded samples (not this lesson's {p['draws']:,} draws per x).")


NOISY = Lesson(
    slug="noisy-relu",
    number=8,
    title="Noisy ReLU: noise smooths the kink on average",
    claim="noisy ReLU f(x) = max(0, x + Y), Y ~ N(0, σ(x)): Gaussian noise added before rectifying; σ may depend on x; used in restricted Boltzmann machines (Nair & Hinton 2010).",
    source="Functions, noisy ReLU",
    measures="Random draws of max(0, x + Y) on a grid of x: their mean and 5–95 % band against the closed-form expected value E[f(x)] = x·Φ(x/σ) + σ·φ(x/σ) and its quantiles; the slope of E[f] on each side of 0.",
    threshold=f"The slope of E[f] changes by less than {fmt(NOISY_SMOOTH)} across 0 (ReLU's changes by 1); the sampled mean agrees with the closed form within {fmt(NOISY_MC_SE)} standard errors.",
    explanation=(
        "Each draw of a noisy ReLU is still a ReLU — of a jittered input — so every sample has a kink. But the network's behaviour on average is E[max(0, x + Y)], and averaging over Gaussian noise blurs the corner: E[f(x)] = x·Φ(x/σ) + σ·φ(x/σ), a smooth curve whose slope Φ(x/σ) rises gently from 0 to 1.",
        "At x = 0 the mean is σ/√(2π), not 0: noise that pushes the input up is kept, noise that pushes it down is cut off. The larger σ, the wider the band and the softer the corner; at σ = 0 it is plain ReLU again.",
        "If σ grows with |x| (γ > 0, as the source allows), σ(x) itself has a kink at 0 and so does the mean — smoothness needs a noise scale that is smooth in x.",
    ),
    controls=(
        Control("sigma", "Noise σ", "float", 0.5, 0.0, 3.0, 0.01, help="Standard deviation of the Gaussian noise added before rectifying."),
        Control("sigma_growth", "σ growth γ with |x|", "float", 0.0, 0.0, 1.0, 0.01, help="σ(x) = σ + γ|x|."),
        Control("draws", "Draws per x", "int", 4000, 100, 20_000, 100, help=f"Monte-Carlo samples at each of {NOISY_GRID[2]} grid points."),
        Control("seed", "Seed", "int", 0, 0, 10_000, 1),
    ),
    plots=(
        Plot("mean", "Mean, 5–95 % band and samples", "Dots: single draws of max(0, x + Y). Line: the closed-form mean; markers: the Monte-Carlo mean; shaded: the band. ReLU in grey."),
        Plot("slope", "Slope of the mean", "d/dx E[f(x)] = Φ(x/σ) (smooth) against ReLU's step."),
    ),
    measure=measure_noisy,
    explorer_note=note_noisy,
)


# =========================================================================== 9. PReLU learns its leak

PRELU_STARTS: tuple[float, ...] = (0.0, 0.25, 0.5, 1.0)
PRELU_EXPLORED = (0.0, 0.25, 1.0)  # the explorer compares up to three activations
PRELU_MOVES = 0.05


def measure_prelu(p: dict[str, Any], run: Runner) -> Measurement:
    starts = PRELU_STARTS
    cfg = TrainConfig(
        data=DatasetSpec(p["dataset"]), arch=Architecture(p["depth"], p["width"]), variants=tuple(Variant("prelu", {"a": a}) for a in starts),
        learning_rate=p["learning_rate"], epochs=p["epochs"], frames=min(51, p["epochs"] + 1), boundary_frames=0, histograms=False, seed=p["seed"],
    )
    check_budget([cfg])
    tr = run(cfg)
    slopes = tr.learned["a"]  # (K, F, D)
    last = np.array([s[np.isfinite(s).all(axis=1)][-1] if np.isfinite(s).all(axis=1).any() else np.full(s.shape[1], np.nan) for s in slopes])
    change = np.abs(last - np.array(starts)[:, None])
    moved = np.where(np.isfinite(change), change, -np.inf).max(axis=1)  # per start: largest change over layers
    least = float(moved.min()) if np.isfinite(moved).all() else math.nan
    readouts = [
        Readout("least_moved", "Smallest change of a (any layer), over the starting values", _finite(least), fmt(least),
                f"every start moves (> {fmt(PRELU_MOVES)}): a is learned", math.isfinite(least) and least > PRELU_MOVES),
    ]
    for a0, fin in zip(starts, last):
        readouts.append(Readout(f"from_{a0:g}", f"a starting at {fmt(a0)} → after {tr.epochs_run} epochs, per layer", _finite(float(fin.mean())),
                                ", ".join(fmt(float(v), 2) for v in fin), "learned per layer"))
    readouts.append(Readout("accuracy", "Test accuracy per starting value", _finite(float(tr.acc_test[0, -1])), " / ".join(pct(_finite(float(a)), 0) for a in tr.acc_test[:, -1]), "for reference"))
    verdict = _verdict(
        readouts,
        f"Supports the claim: from every starting value the slopes moved by at least {fmt(least)} — the network learns its leak, one per layer, and the same start can end at different values in different layers.",
        f"Does not support the claim at these settings: one starting value moved only {fmt(least)}.",
    )
    data = {
        "frames": tr.frames,
        "layers": list(range(1, p["depth"] + 1)),
        "starts": list(starts),
        "variants": [
            {"activation": {"name": "prelu", "params": {"a": a0}}, "label": f"start a = {fmt(a0)}", "layers": {"prelu_slope": slopes[k]}, "final": last[k]}
            for k, a0 in enumerate(starts)
        ],
    }
    explorer = _network_query(
        "compare", _specs(*(("prelu", {"a": a}) for a in PRELU_EXPLORED)), dataset=p["dataset"], depth=p["depth"], width=p["width"],
        learning_rate=p["learning_rate"], epochs=p["epochs"], seed=p["seed"],
    )
    return Measurement(readouts, verdict, data, explorer, tr.cut_short)


def note_prelu(p: dict[str, Any], m: Measurement) -> str:
    left_out = [a for a in PRELU_STARTS if a not in PRELU_EXPLORED]
    return (f"The explorer compares at most three networks: it trains PReLU from a = {', '.join(fmt(a) for a in PRELU_EXPLORED)} "
            f"(seed {p['seed']}, these settings){' and leaves out a = ' + ', '.join(fmt(a) for a in left_out) if left_out else ''}. "
            "Those are the same runs as here — same data, initial weights and updates — so its learned-slope plot ends at the slopes listed here.")


PRELU = Lesson(
    slug="prelu-learns",
    number=9,
    title="PReLU learns its own leak",
    claim="parametric ReLU (PReLU) f(x) = x if x > 0, else a·x: the leak a is learned with the other parameters (He et al.); for a ≤ 1 this equals max(x, a·x), relating it to maxout.",
    source="Functions, parametric ReLU",
    measures=f"The slope a of each hidden layer, recorded while training PReLU networks that start from a = {', '.join(fmt(a) for a in PRELU_STARTS)} (same data and initial weights otherwise).",
    threshold=f"From every starting value, a moves by more than {fmt(PRELU_MOVES)} in at least one layer.",
    explanation=(
        "PReLU's negative slope a is a parameter like the weights: backpropagation gives ∂L/∂a = Σ ∂L/∂h · min(z, 0) over the layer's units and inputs, and the optimiser updates it with everything else. Here each hidden layer has its own a.",
        "Starting from a = 0 (plain ReLU) the slopes move away from 0: the network learns a negative-side slope of its own; from a = 1 (a linear unit!) it must bend to become non-linear. Different layers settle at different slopes, and the same layer ends elsewhere from a different start: there is no single 'right' leak.",
        "Learned slopes may leave [0, 1]: a negative a makes the unit non-monotonic, and a > 1 steeper on the left than on the right.",
    ),
    controls=(
        Control("dataset", "Dataset", "choice", "xor", choices=DATASETS, labels=tuple(DATASET_LABELS.get(d, d) for d in DATASETS)),
        Control("depth", "Hidden layers", "int", 3, 1, 6, 1),
        Control("width", "Units per layer", "int", 8, 2, 32, 1),
        Control("learning_rate", "Learning rate (Adam)", "float", 0.01, 0.0001, 0.3, 0.0001, log=True),
        Control("epochs", "Epochs", "int", 300, 10, 1000, 10),
        Control("seed", "Seed", "int", 0, 0, 10_000, 1),
    ),
    plots=(
        Plot("slopes", "Learned slope a per layer during training", "One colour per starting value; solid, dashed, dotted… for layers 1, 2, 3…"),
        Plot("final", "Where the slopes end, per layer", "The learned a of each layer after training, one marker per starting value (dotted line: its start)."),
    ),
    measure=measure_prelu,
    explorer_note=note_prelu,
    trains=True,
)


# =========================================================================== brief extras

TIMING_N = 200_000
TIMING_REPEATS = 5
TIMED = ("relu", "leaky_relu", "elu", "softplus", "sigmoid", "tanh", "gelu")
EXP_BASED = ("elu", "softplus", "sigmoid", "tanh", "gelu")


def time_activation(name: str, x: Array, repeats: int = TIMING_REPEATS) -> float:
    """Median wall-clock seconds of one call of the catalogue's f on ``x``."""
    act = acts.get(name)
    d = act.defaults()
    act.f(x, **d)  # warm up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        act.f(x, **d)
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def measure_efficiency(p: dict[str, Any], run: Runner) -> Measurement:
    x = np.random.default_rng(0).standard_normal(TIMING_N)
    times = {n: time_activation(n, x, TIMING_REPEATS) for n in TIMED}
    relu_t = times["relu"]
    slowest_ratio = min(times[n] / relu_t for n in EXP_BASED)
    readouts = [
        Readout("fastest_exp_ratio", "Fastest exp-based activation ÷ ReLU, time per call", slowest_ratio, f"{fmt(slowest_ratio, 2)}×", "> 1: ReLU is cheaper", slowest_ratio > 1.0),
        *[Readout(f"time_{n}", f"{acts.get(n).name}: time for {TIMING_N:,} values", times[n], f"{fmt(times[n] * 1e3, 3)} ms", "") for n in TIMED],
        Readout("engine_cost", f"The training engine's measured cost per unit (ReLU = {acts.get('relu').unit_cost})", float(acts.get("relu").unit_cost),
                ", ".join(f"{acts.get(n).name} {acts.get(n).unit_cost}" for n in TIMED ), "forward + derivative + backward, in multiply-add units"),
    ]
    verdict = _verdict(
        readouts,
        f"Supports the claim: a comparison and a multiplication are cheaper than an exponential — the fastest exp-based activation takes {fmt(slowest_ratio, 2)}× ReLU's time here.",
        "Does not support the claim on this machine right now: timing is noisy, try again.",
    )
    data = {
        "names": [acts.get(n).name for n in TIMED],
        "ids": list(TIMED),
        "times_ms": [times[n] * 1e3 for n in TIMED],
        "engine_cost": [acts.get(n).unit_cost for n in TIMED],
        "n": TIMING_N,
    }
    return Measurement(readouts, verdict, data, {"fn": "relu,elu,sigmoid"})


def note_efficiency(p: dict[str, Any], m: Measurement) -> str:
    return "The explorer draws ReLU, ELU and the logistic sigmoid; it does not time them — the timings are measured only here, on this server, each time you measure."


EFFICIENCY = Lesson(
    slug="efficient-computation",
    number=10,
    title="Efficient computation: no exponentials",
    claim="Efficient computation: only comparison, addition and multiplication.",
    source="Claimed advantages of the rectifier, 4",
    measures=f"Wall-clock time of the app's own activation functions on {TIMING_N:,} random inputs (median of {TIMING_REPEATS} calls), and the per-unit costs the training engine measured for its compute budget.",
    threshold="Every exp-based activation (ELU, softplus, sigmoid, tanh, GELU) takes longer than ReLU.",
    explanation=(
        "max(0, x) is one comparison per input. Sigmoid, tanh, softplus and ELU each need an exponential (or a logarithm), which costs tens of basic operations; GELU needs the error function.",
        f"The app's own functions are timed on {TIMING_N:,} random inputs, median of {TIMING_REPEATS} calls. Timings depend on the machine and on what else it is doing — measure again to see them move. Leaky ReLU is slow here only because the catalogue computes it with np.where for clarity; the training engine uses an in-place fast path (its measured cost is {acts.get('leaky_relu').unit_cost} against ReLU's {acts.get('relu').unit_cost}).",
        "The engine's costs were measured once, for the compute budget of the training API: forward pass, derivative and backward pass per unit and input.",
    ),
    controls=(),
    plots=(Plot("times", "Time per call", "Median wall-clock time of the catalogue's f on the inputs; ReLU first."),),
    measure=measure_efficiency,
    explorer_note=note_efficiency,
    deterministic=False,
    optional=True,
)

UNBOUNDED_LIMITS = (1.0, 10.0, 100.0, 1000.0, 10000.0)
UNBOUNDED_VIEW = 10.0  # the explorer link's x range


def measure_unbounded(p: dict[str, Any], run: Runner) -> Measurement:
    names = ("relu", "tanh", "sigmoid", "relu6")
    sups = {}
    for n in names:
        act = acts.get(n)
        sups[n] = [float(act.f(np.linspace(-L, L, 2001), **act.defaults()).max()) for L in UNBOUNDED_LIMITS]
    relu = sups["relu"]
    grows = all(abs(s - L) <= 1e-9 * L for s, L in zip(relu, UNBOUNDED_LIMITS))
    readouts = [
        Readout("relu_sup", f"ReLU: largest output on [−L, L] for L = {fmt(UNBOUNDED_LIMITS[0])} … {fmt(UNBOUNDED_LIMITS[-1])}", relu[-1], " → ".join(fmt(s) for s in relu), "= L: grows without bound", grows),
        Readout("tanh_sup", "tanh: largest output", sups["tanh"][-1], " → ".join(fmt(s, 4) for s in sups["tanh"]), "≤ 1: bounded (1.0 only by rounding)", sups["tanh"][-1] <= 1.0),
        Readout("sigmoid_sup", "sigmoid: largest output", sups["sigmoid"][-1], " → ".join(fmt(s, 4) for s in sups["sigmoid"]), "≤ 1: bounded (1.0 only by rounding)", sups["sigmoid"][-1] <= 1.0),
        Readout("relu6_sup", "ReLU6: largest output", sups["relu6"][-1], " → ".join(fmt(s) for s in sups["relu6"]), "capped at 6 by design"),
    ]
    verdict = _verdict(readouts, "Supports the claim: ReLU's output grows in step with its input, while tanh and sigmoid never pass 1.", "Does not support the claim: see the rows marked ✗.")
    data = {"limits": list(UNBOUNDED_LIMITS), "series": [{"activation": n, "label": acts.get(n).name, "sup": sups[n]} for n in names]}
    return Measurement(readouts, verdict, data, {"fn": ",".join(names), "xmin": _num(-UNBOUNDED_VIEW), "xmax": _num(UNBOUNDED_VIEW)})


def note_unbounded(p: dict[str, Any], m: Measurement) -> str:
    return (f"The explorer draws ReLU, tanh, sigmoid and ReLU6 on [−{fmt(UNBOUNDED_VIEW)}, {fmt(UNBOUNDED_VIEW)}]; "
            f"widen its x range (up to ±{fmt(UNBOUNDED_LIMITS[-1])}, the largest L here) to watch ReLU keep climbing while the others stay flat.")


UNBOUNDED = Lesson(
    slug="unbounded",
    number=11,
    title="Unbounded: ReLU's output has no ceiling",
    claim="Unbounded.",
    source="Claimed problems, 3",
    measures=f"The largest output of ReLU, tanh, sigmoid and ReLU6 on [−L, L] as L grows from {fmt(UNBOUNDED_LIMITS[0])} to {fmt(UNBOUNDED_LIMITS[-1])}.",
    threshold="ReLU's largest output equals L for every L; tanh's and sigmoid's stay at or below 1.",
    explanation=(
        "ReLU passes positive inputs straight through, so a large input gives an equally large output — activations, and with them the loss, can blow up when weights grow (lesson 3 marks such diverged runs ×; switch it to SGD to see one).",
        "Squashing functions saturate: tanh and sigmoid never exceed 1. ReLU6 caps ReLU at 6 on purpose, trading some of ReLU's linearity for bounded outputs.",
    ),
    controls=(),
    plots=(Plot("sup", "Largest output on [−L, L]", "Log–log: ReLU's line is the diagonal; the bounded functions flatten."),),
    measure=measure_unbounded,
    explorer_note=note_unbounded,
    optional=True,
)


ONE_SIDED_X = 5.0  # inputs of each sign up to this size


def measure_one_sided(p: dict[str, Any], run: Runner) -> Measurement:
    x = np.linspace(0.0, ONE_SIDED_X, 501)
    out = {}
    for n in ("relu", "tanh", "sigmoid"):
        act = acts.get(n)
        pos, neg = act.f(x), act.f(-x)
        out[n] = {"label": act.name, "pos": pos, "neg": neg, "antisym": float(np.abs(pos + neg).max()), "neg_zero": float((neg[1:] == 0).mean())}
    readouts = [
        Readout("relu_silent", "ReLU: share of negative inputs with output exactly 0", out["relu"]["neg_zero"], pct(out["relu"]["neg_zero"], 0), "100 %: responds to one side only", out["relu"]["neg_zero"] == 1.0),
        Readout("tanh_antisym", "tanh: max |f(x) + f(−x)|", out["tanh"]["antisym"], fmt(out["tanh"]["antisym"]), "0: antisymmetric, answers both sides", out["tanh"]["antisym"] <= 1e-15),
        Readout("relu_antisym", "ReLU: max |f(x) + f(−x)|", out["relu"]["antisym"], fmt(out["relu"]["antisym"]), "large: not antisymmetric", out["relu"]["antisym"] > 1.0),
    ]
    verdict = _verdict(readouts, "Supports the claim: ReLU is silent for every negative input, like a neuron below threshold, while tanh answers negative inputs with the mirror image.", "Does not support the claim: see the rows marked ✗.")
    data = {"x": x, "series": [{"activation": n, **v} for n, v in out.items()]}
    return Measurement(readouts, verdict, data, {"fn": "relu,tanh", "xmin": _num(-ONE_SIDED_X), "xmax": _num(ONE_SIDED_X)})


def note_one_sided(p: dict[str, Any], m: Measurement) -> str:
    return f"The explorer draws ReLU and tanh on [−{fmt(ONE_SIDED_X)}, {fmt(ONE_SIDED_X)}], the inputs of both signs measured here."


ONE_SIDED = Lesson(
    slug="one-sided",
    number=12,
    title="Biological plausibility: one-sided, like a neuron",
    claim="Biological plausibility: one-sided, unlike the antisymmetric tanh.",
    source="Claimed advantages of the rectifier, 1",
    measures="For inputs of each sign: whether ReLU outputs exactly 0 on the negative side, and how far tanh and ReLU are from antisymmetry f(−x) = −f(x).",
    threshold="ReLU outputs 0 for every negative input; tanh is antisymmetric to rounding (≤ 10⁻¹⁵).",
    explanation=(
        "A biological neuron's firing rate is zero below a threshold and grows above it: it answers one side of its input. ReLU does the same.",
        "tanh is antisymmetric: a negative input gives an equally strong negative output — there is no silent regime, and no 'rate' below zero in a real neuron.",
    ),
    controls=(),
    plots=(Plot("sides", "Response to x and to −x", "Solid: f(x); dashed: f(−x), both for x ≥ 0."),),
    measure=measure_one_sided,
    explorer_note=note_one_sided,
    optional=True,
)


LESSONS: tuple[Lesson, ...] = (SPARSE, VANISHING, DYING, SCALE, SOFTPLUS, ZERO_CENTRED, KINK, NOISY, PRELU, EFFICIENCY, UNBOUNDED, ONE_SIDED)
BY_SLUG: dict[str, Lesson] = {lesson.slug: lesson for lesson in LESSONS}
SLUGS: tuple[str, ...] = tuple(BY_SLUG)


def get(slug: str) -> Lesson:
    try:
        return BY_SLUG[slug]
    except KeyError:
        raise KeyError(f"unknown lesson {slug!r}; known: {', '.join(SLUGS)}") from None


def neighbours(slug: str) -> tuple[Lesson | None, Lesson | None]:
    i = SLUGS.index(slug)
    return (LESSONS[i - 1] if i > 0 else None, LESSONS[i + 1] if i + 1 < len(LESSONS) else None)
