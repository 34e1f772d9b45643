"""How an activation is declared: its parameters, properties and the facts the app uses.

An :class:`Activation` is everything the app knows about one activation function. The API,
the explorer's sliders, the cards, the training engine (kernels, cost, dead-unit test) and
the tests all read these declarations; nothing about an activation is written anywhere else.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np

from ..errors import CoreError

Array = np.ndarray
Params = Mapping[str, "float | str | Array"]

@dataclass(frozen=True)
class Param:
    """A user-facing parameter of an activation."""

    id: str
    label: str
    default: float | str
    min: float = 0.0
    max: float = 1.0
    step: float = 0.01
    help: str = ""
    kind: Literal["float", "choice"] = "float"
    choices: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        d: dict = {"id": self.id, "label": self.label, "kind": self.kind, "default": self.default, "help": self.help}
        if self.kind == "float":
            d.update(min=self.min, max=self.max, step=self.step)
        else:
            d["choices"] = list(self.choices)
        return d


@dataclass(frozen=True)
class Properties:
    """Honest properties at the default parameters (``notes`` says how parameters change them)."""

    output_range: str
    monotonic: bool
    smooth: bool  # continuously differentiable everywhere (C¹)
    zero_centred: bool  # takes both signs, with E[f(z)] close to 0 for z ~ N(0, 1)
    bounded_below: bool
    bounded_above: bool
    saturates: Literal["none", "left", "right", "both"]  # where f' → 0 as |x| → ∞
    notes: str = ""

    def as_dict(self) -> dict:
        return {
            "output_range": self.output_range,
            "monotonic": self.monotonic,
            "smooth": self.smooth,
            "zero_centred": self.zero_centred,
            "bounded": self.bounded_below and self.bounded_above,
            "bounded_below": self.bounded_below,
            "bounded_above": self.bounded_above,
            "saturates": self.saturates,
            "notes": self.notes,
        }


@dataclass(frozen=True)
class Stochastic:
    """What a stochastic activation adds to its deterministic (mean / eval-mode) curve.

    ``quantile(x, p, **params)`` is the p-quantile of f(x); ``sample(x, rng, **params)``
    returns one draw of (f(x), ∂f/∂x) as used while training.
    """

    description: str
    quantile: Callable[..., Array]
    sample: Callable[..., tuple[Array, Array]]


@dataclass(frozen=True)
class Order:
    """A constraint between two parameters: ``low`` < ``high`` (or ≤ when not ``strict``)."""

    low: str
    high: str
    strict: bool = True

    def problem(self, params: Mapping[str, Any]) -> str | None:
        lo, hi = params[self.low], params[self.high]
        ok = lo < hi if self.strict else lo <= hi
        return None if ok else (f"{self.low} must be less than {self.high}" if self.strict else f"{self.low} must not exceed {self.high}")

    def as_dict(self) -> dict[str, Any]:
        return {"low": self.low, "high": self.high, "strict": self.strict}


@dataclass(frozen=True)
class Activation:
    id: str
    name: str
    latex: str
    f: Callable[..., Array]
    df: Callable[..., Array]
    properties: Properties
    convention: str  # the derivative's value at kinks
    params: tuple[Param, ...] = ()
    kinks: Callable[..., list[float]] = lambda **p: []
    description: str = ""
    reference: str = ""
    # the torch.nn equivalent, where one exists: "{leak}" stands for the parameter's value
    torch: str | None = None
    # parameter values outside which torch.nn has no such module (SiLU: only β = 1)
    torch_only: Mapping[str, float] = field(default_factory=dict)
    in_source: bool = False  # named by the Wikipedia article (SEED.md)
    stochastic: Stochastic | None = None
    # ∂f/∂param for parameters the network may learn (PReLU's slope)
    param_grads: Mapping[str, Callable[..., Array]] = field(default_factory=dict)
    # constraints between parameters (hard tanh's bounds, RReLU's slopes)
    orders: tuple[Order, ...] = ()
    # the formula and the convention at a choice parameter's other values (GELU's tanh form):
    # {param: {value: (latex, convention)}}
    forms: Mapping[str, Mapping[str, tuple[str, str]]] = field(default_factory=dict)
    # Facts the training engine uses:
    # elementwise work per hidden unit and input (forward, f′ and backward) in the engine's
    # cost units (≈ one multiply-add); bench/unit_costs.py measures them
    unit_cost: int = 150
    # the same for an evaluation pass (recorded frames, boundary grids: the deterministic
    # curve, no sampling); None: as unit_cost
    eval_unit_cost: int | None = None
    # f′ ≥ 0 for every parameter value in range: the dead-unit test may sum f′ instead of |f′|
    nonnegative_derivative: bool = False
    # f′(z) = 1[z > 0] exactly (ReLU): the backward pass may overwrite buffers in place
    step_derivative: bool = False
    # in-place kernel(z, h, df, mask, **params): h = f(z), df = f′(z) (df may be None), with a
    # boolean scratch ``mask`` of z's shape; must equal f and df exactly (the tests check)
    kernel: Callable[..., None] | None = None
    # a user's own formula (app.core.formula.Formula) this activation was made from, else None
    formula: Any = None

    def param(self, pid: str) -> Param:
        for p in self.params:
            if p.id == pid:
                return p
        raise KeyError(pid)

    def check(self, **params: Any) -> str | None:
        """What is wrong between these (complete) parameters, or None."""
        for o in self.orders:
            problem = o.problem(params)
            if problem:
                return problem
        return None

    def properties_at(self, params: Mapping[str, float | str]) -> Properties:
        """The properties at these (resolved) parameter values: the declared ones at the
        defaults; elsewhere measured as a typed formula's are (app.core.formula.properties:
        PReLU with a = −1 is |x|, not monotonic; SiLU with β = 0 is x/2), the notes kept."""
        if self.formula is not None or dict(params) == self.defaults():
            return self.properties
        key = (self.id, tuple(sorted(params.items())))
        hit = _MEASURED.get(key)
        if hit is None:
            if len(_MEASURED) >= 4096:
                _MEASURED.clear()
            hit = _MEASURED[key] = _measure(self, dict(params))
        return hit

    def jumps(self, **params: Any) -> list[tuple[float, float]]:
        """The kinks where f itself jumps, with the jump f(x⁺) − f(x⁻) (those beyond KINK_JUMP:
        softplus' threshold switch at βx = threshold, 2·10⁻⁹ at its defaults, is none)."""
        ks = np.array(self.kinks(**params), dtype=float)
        if not ks.size:
            return []
        with np.errstate(all="ignore"):
            step = self.f(np.nextafter(ks, np.inf), **params) - self.f(np.nextafter(ks, -np.inf), **params)
        return [(float(k), float(h)) for k, h in zip(ks, step) if np.isfinite(h) and abs(h) > KINK_JUMP]

    def form_at(self, params: Mapping[str, float | str]) -> tuple[str, str]:
        """(latex, convention) at these parameter values: the declared ones unless a choice picks another form."""
        for pid, by_value in self.forms.items():
            hit = by_value.get(params.get(pid))  # type: ignore[arg-type]
            if hit is not None:
                return hit
        return self.latex, self.convention

    def defaults(self) -> dict[str, float | str]:
        return {p.id: p.default for p in self.params}

    def torch_call(self, params: Mapping[str, float | str]) -> str | None:
        """The torch.nn module with these (resolved) parameters, or None where torch has none."""
        if self.torch is None or any(params.get(k) != v for k, v in self.torch_only.items()):
            return None
        return self.torch.format(**{k: repr(v if isinstance(v, str) else float(v)) for k, v in params.items()})



_MEASURED: dict[tuple, Properties] = {}  # (id, params) → properties (deterministic: kept)
KINK_JUMP = 1e-6  # a jump in f′ smaller than this is no kink for the properties (softplus' threshold switch)


class _AsFormula:
    """A catalogue activation at fixed parameters, as the formula measurer reads a formula."""

    kinks_known = True

    def __init__(self, act: Activation, params: dict):
        self.act = act
        with np.errstate(all="ignore"):
            ks = np.array(act.kinks(**params) if act.kinks else [], dtype=float)
            jump = np.abs(act.df(np.nextafter(ks, np.inf), **params) - act.df(np.nextafter(ks, -np.inf), **params))
            step = np.abs(act.f(np.nextafter(ks, np.inf), **params) - act.f(np.nextafter(ks, -np.inf), **params))
        self._kinks = [float(k) for k, j, h in zip(ks, jump, step) if not (j <= KINK_JUMP and h <= KINK_JUMP)]

    def kinks(self, **_: Any) -> list[float]:
        return self._kinks

    def breakpoints(self, **_: Any) -> list[float]:
        return self._kinks

    def f_and_df(self, x: Array, **params: Any) -> tuple[Array, Array]:
        x = np.asarray(x, dtype=float)
        with np.errstate(all="ignore"):
            return self.act.f(x, **params), self.act.df(x, **params)


def _measure(act: Activation, params: dict) -> Properties:
    from app.core.formula.properties import measure  # (the formula package imports this module)

    m = measure(_AsFormula(act, params), params).properties
    return replace(m, notes=act.properties.notes)


class ParamError(CoreError):
    """A parameter is unknown, of the wrong kind, or outside its declared range.

    ``code`` says which (unknown_parameter, not_a_number, out_of_range, not_a_choice,
    constraint) and ``info`` carries the numbers (min, max, choices, allowed)."""

    def __init__(self, field: str, message: str, code: str = "invalid_parameter", **info: Any):
        super().__init__(field, message, code, **info)


# A number written as text (a query string): a plain ASCII decimal. Python's float() would
# also take "1_0", " 1 " and full-width digits.
DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def resolve_params(act: Activation, given: Mapping[str, object], *, text_numbers: bool = True) -> dict[str, float | str]:
    """Validated parameters: defaults filled in, each value checked against its declaration.

    Numeric values are numbers, or (``text_numbers``, for query strings) plain decimal text;
    a JSON body passes ``text_numbers=False``, so "1" is not taken for 1 there."""
    known = {p.id for p in act.params}
    for key in given:
        if key not in known:
            allowed = ", ".join(sorted(known)) or "none"
            who = act.id if act.formula is None else f"the formula {act.formula.text}"  # (not its internal id)
            raise ParamError(key, f"{who} has no parameter {key!r}; its parameters: {allowed}", "unknown_parameter", allowed=sorted(known))
    out: dict[str, float | str] = {}
    for p in act.params:
        raw = given.get(p.id, p.default)
        if p.kind == "choice":
            if raw not in p.choices:
                raise ParamError(p.id, f"{p.id} must be one of {', '.join(p.choices)} (got {raw!r})", "not_a_choice", choices=list(p.choices))
            out[p.id] = str(raw)
            continue
        text = isinstance(raw, str)
        message = f"{p.id} must be a number in [{p.min:g}, {p.max:g}] (got {raw!r})"
        if isinstance(raw, bool) or (text and not (text_numbers and DECIMAL.fullmatch(raw))):  # type: ignore[arg-type]
            raise ParamError(p.id, message, "not_a_number", min=p.min, max=p.max)
        try:
            value = float(raw)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ParamError(p.id, message, "not_a_number", min=p.min, max=p.max) from None
        if not math.isfinite(value) or not (p.min <= value <= p.max):
            raise ParamError(p.id, message, "out_of_range", min=p.min, max=p.max)
        out[p.id] = value
    problem = act.check(**out)
    if problem:
        raise ParamError(",".join(p.id for p in act.params), problem, "constraint")
    return out
