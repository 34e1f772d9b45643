"""The lessons' framework: how a lesson is declared, validated, measured and described.

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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from .. import activations as acts
from .. import spec
from ..errors import BudgetError, CoreError, apart
from ..formula import DEFAULT_LIMITS, FormulaError, compile_formula
from ..network import INIT_LABELS as INIT_NAMES
from ..network import SCHEME_INITS
from ..training import MAX_COST, MAX_ELEMENTS, Trace, TrainConfig, cost, elements, train

Array = np.ndarray
Runner = Callable[[TrainConfig], Trace]

# The compute one measurement may use: two thirds of one run's (app.core.budget.MAX_COST,
# about 3 CPU s here). Every corner of every lesson's controls fits it (tests/core/test_lessons.py);
# the init lessons (and dying ReLU's seeds) take as many draws as fit, and say how many.
LESSON_MAX_COST = 2.0 / 3.0 * MAX_COST


# --------------------------------------------------------------------------- declarations


class ControlError(CoreError):
    """A control value is unknown, of the wrong kind, or out of range (``field`` names it)."""

    def __init__(self, field: str, message: str, code: str = "invalid", **info: Any):
        super().__init__(field, message, code, **info)


@dataclass(frozen=True)
class Control:
    """One setting a student may vary: its range and default, shown as a slider or a menu."""

    id: str
    label: str
    kind: Literal["int", "float", "choice", "formula"]  # formula: a student's own activation, "" for none
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
        elif self.kind == "formula":
            d["max_chars"] = DEFAULT_LIMITS.max_chars
        else:
            d.update(min=self.min, max=self.max, step=self.step, log=self.log)
        return d

    def check(self, raw: object) -> int | float | str:
        """The validated value (strings from a query are converted), or ControlError. A
        formula is compiled like any typed activation and comes back in its canonical text;
        its error carries the formula's code and ``position``/``end`` in the text."""
        if self.kind == "formula":
            text = str(raw)
            if not text.strip():
                return ""
            try:
                return compile_formula(text).text
            except FormulaError as e:
                raise ControlError(self.id, f"{self.id}: {e.message}", e.code, position=e.position, end=e.end) from None
        if self.kind == "choice":
            if raw not in self.choices:
                raise ControlError(self.id, f"{self.id} must be one of {', '.join(self.choices)} (got {raw!r})", "not_a_choice", choices=list(self.choices))
            return str(raw)
        rng = f"[{self.min:g}, {self.max:g}]"
        bounds = {"min": self.min, "max": self.max}
        if isinstance(raw, bool):
            raise ControlError(self.id, f"{self.id} must be a number in {rng} (got {raw!r})", "not_a_number", **bounds)
        try:
            value = float(raw)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ControlError(self.id, f"{self.id} must be a number in {rng} (got {raw!r})", "not_a_number", **bounds) from None
        if not math.isfinite(value) or not (self.min <= value <= self.max):
            raise ControlError(self.id, f"{self.id} must be a number in {rng} (got {raw!r})", "out_of_range", **bounds)
        if self.kind == "int":
            if value != int(value):
                raise ControlError(self.id, f"{self.id} must be a whole number in {rng} (got {raw!r})", "not_whole", **bounds)
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


@dataclass(frozen=True)
class View:
    """The explorer setting that reproduces a lesson's, neutrally: which view, which
    activations (with parameters), which mode, and the other settings by their names in the
    explorer (``xmin``, ``learning_rate``, ``values``, ``grad`` …). The API makes it a link."""

    view: Literal["function", "network", "theory"]
    activations: tuple[spec.Spec, ...]
    mode: str | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return [s.name or "" for s in self.activations]


ActivationLike = str | tuple[str, Mapping[str, Any]] | spec.Spec


def _specs(items: Sequence[ActivationLike]) -> tuple[spec.Spec, ...]:
    return tuple(a if isinstance(a, spec.Spec) else spec.Spec(a, None, {}) if isinstance(a, str) else spec.Spec(a[0], None, dict(a[1])) for a in items)


def function_view(*activations: ActivationLike, **settings: Any) -> View:
    """The function view of these activations ("relu", ("elu", {"alpha": 0.5}) or a Spec, e.g. a formula's)."""
    return View("function", _specs(activations), None, settings)


def network_view(mode: str, *activations: ActivationLike, **settings: Any) -> View:
    """The network view in ``mode`` (train, compare, sweep) with these activations."""
    return View("network", _specs(activations), mode, settings)


def theory_view(*activations: ActivationLike, **settings: Any) -> View:
    """The Theory view comparing these activations (the first one's phase diagram)."""
    return View("theory", _specs(activations), None, settings)


@dataclass
class Measurement:
    readouts: list[Readout]
    verdict: Verdict
    data: dict[str, Any]
    view: View  # the explorer setting that reproduces this one
    cut_short: bool = False

    @property
    def headline(self) -> Readout:
        return self.readouts[0]


@dataclass(frozen=True)
class Plot:
    id: str
    title: str
    help: str


# Where a claim comes from: quoted from the app's source article (docs/source.md), or stated
# as a theory's prediction with the paper it comes from (``Lesson.paper``).
ARTICLE = "Wikipedia, “Rectifier (neural networks)”, 5 April 2018"


@dataclass(frozen=True)
class Lesson:
    slug: str
    number: int
    title: str
    claim: str  # quoted from the source (SEED.md), or (with ``paper``) the theory's prediction in our words
    source: str  # where in the source (or in the paper)
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
    # the compute its measurement will use at these controls, before it runs (see check_budget;
    # None: it runs no network). Every corner of the controls fits LESSON_MAX_COST (tested).
    cost: Callable[[dict[str, Any]], float] | None = None
    paper: str = ""  # the claim is this paper's prediction, not a quote of the article ("" = quoted from ARTICLE)

    @property
    def claim_from(self) -> str:
        """Where the claim comes from: the source article, or the paper whose prediction it is."""
        return self.paper or ARTICLE

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
            "claim_from": self.claim_from,
            "quoted": not self.paper,
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
            raise ControlError(key, f"lesson {lesson.slug!r} has no control {key!r}; its controls: {', '.join(sorted(known)) or 'none'}", "unknown_field", allowed=sorted(known))
    return {c.id: c.check(given[c.id]) if c.id in given else c.default for c in lesson.controls}


def run_measure(lesson: Lesson, given: Mapping[str, object] | None = None, run: Runner | None = None) -> Measurement:
    """Validate ``given`` and measure (with the plain engine unless ``run`` is given)."""
    return lesson.measure(resolve_controls(lesson, given or {}), run or train)


def explorer_note(lesson: Lesson, params: Mapping[str, Any], m: Measurement) -> str:
    """What the lesson's explorer link shows, and how its numbers relate to the lesson's."""
    return lesson.explorer_note(dict(params), m)


def moved(p: Mapping[str, Any], controls: Sequence[Control], among: Sequence[str]) -> str:
    """Of the numeric controls named in ``among``, the one furthest above its default (as a
    share of its range): the setting a student most likely raised. The first of ``among`` if none is."""
    numeric = {c.id: c for c in controls if c.kind in ("int", "float") and c.id in among}
    if not numeric:
        return among[0]
    best = max(numeric.values(), key=lambda c: (float(p[c.id]) - float(c.default)) / ((c.max - c.min) or 1.0))
    return best.id if float(p[best.id]) > float(best.default) else next((f for f in among if f in numeric), among[0])


def over_budget(total: float, field: str, reduce: Sequence[str]) -> BudgetError:
    """The error of a lesson whose runs together cost ``total`` > LESSON_MAX_COST."""
    cost_text, limit_text = apart(total, LESSON_MAX_COST)
    fields = reduce[0] if len(reduce) == 1 else f"{', '.join(reduce[:-1])} or {reduce[-1]}"
    return BudgetError(field, f"these settings cost {cost_text} units of compute; a lesson may use {limit_text}: reduce {fields}",
                       "budget", cost=total, limit=LESSON_MAX_COST, reduce=list(reduce))


def check_budget(configs: Sequence[TrainConfig], p: Mapping[str, Any], controls: Sequence[Control], reduce: str = "epochs, depth or width") -> None:
    """BudgetError if the runs together cost more than LESSON_MAX_COST, naming the control
    of ``reduce`` the student raised furthest (:func:`moved`)."""
    names = reduce.replace(" or ", ", ").split(", ")
    total = sum(cost(c) for c in configs)
    if total > LESSON_MAX_COST:
        raise over_budget(total, moved(p, controls, names), names)
    for c in configs:
        if elements(c) > MAX_ELEMENTS:
            raise BudgetError(moved(p, controls, ["width", "depth", "seeds"]), f"these settings need {elements(c):,} numbers per layer buffer; the limit is {MAX_ELEMENTS:,}: reduce depth, width or seeds",
                              "memory", elements=elements(c), limit=MAX_ELEMENTS, reduce=["depth", "width", "seeds"])


def fitting_draws(wanted: int, per_draw: float) -> int:
    """How many of ``wanted`` weight draws (each costing ``per_draw``) fit LESSON_MAX_COST:
    at the largest networks the init lessons use fewer draws, and their readouts say how many."""
    return max(1, min(wanted, int(LESSON_MAX_COST // per_draw)))


def param_control(activation: str, param: str, label: str | None = None, default: float | None = None, help: str | None = None) -> Control:
    """A control that is an activation's parameter: its range and step from the catalogue."""
    p = acts.get(activation).param(param)
    return Control(param, label or p.label, "float", p.default if default is None else default, p.min, p.max, p.step, help=help if help is not None else p.help)


INIT_LABELS = tuple(INIT_NAMES[i] for i in SCHEME_INITS)  # the lessons offer the named schemes
