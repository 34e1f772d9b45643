"""The compiled formula: the object the rest of the app wraps."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .diff import derivative
from .errors import FormulaError
from .evaluate import FiniteReport, Program, compile_trees, evaluate, finite_report
from .kinks import KinkFinder, real_kinks
from .parser import DEFAULT_LIMITS, Limits, parse
from .printers import to_latex, to_text, torch_module_source
from .properties import Measurements, measure
from .rewrite import stabilise
from .simplify import simplify
from .tree import Node, params_in, size

KEY_VERSION = "formula/1"
DEFAULT_PARAM = (1.0, -10.0, 10.0)  # default, min, max of a parameter declared by nothing
PARAM_LIMIT = 1e6  # parameter defaults and bounds are at most this in magnitude
DERIVATIVE_MAX_NODES = 5000


@dataclass(frozen=True)
class ParamSpec:
    """A parameter of a formula: its name, default value and allowed range."""

    name: str
    default: float = DEFAULT_PARAM[0]
    min: float = DEFAULT_PARAM[1]
    max: float = DEFAULT_PARAM[2]

    def as_dict(self) -> dict:
        return {"name": self.name, "default": self.default, "min": self.min, "max": self.max}


def _spec(name: str, given: object) -> ParamSpec:
    if given is None:
        return ParamSpec(name)
    if isinstance(given, ParamSpec):
        values = {"default": given.default, "min": given.min, "max": given.max}
    elif isinstance(given, Mapping):
        extra = set(given) - {"default", "min", "max", "name"}
        if extra:
            fields = ", ".join(sorted(map(str, extra)))
            raise FormulaError("param_spec", f"parameter {name!r}: unknown field(s) {fields}; "
                               "give default, min and max", param=name)
        values = {k: given.get(k, v) for k, v in zip(("default", "min", "max"), DEFAULT_PARAM)}
        if "default" not in given:  # the usual default, moved into a declared range
            lo, hi = values["min"], values["max"]
            if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (lo, hi)) and lo <= hi:
                values["default"] = min(max(DEFAULT_PARAM[0], float(lo)), float(hi))
    else:
        raise FormulaError("param_spec", f"parameter {name!r}: expected {{default, min, max}}", param=name)
    out = {}
    for k, v in values.items():
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
            raise FormulaError("param_spec", f"parameter {name!r}: {k} must be a number (got {v!r})", param=name)
        v = float(v)
        if not (math.isfinite(v) and abs(v) <= PARAM_LIMIT):
            raise FormulaError("param_spec", f"parameter {name!r}: {k} must be a finite number of magnitude at most "
                               f"{PARAM_LIMIT:g} (got {v!r})", param=name)
        out[k] = v
    if not out["min"] <= out["default"] <= out["max"]:
        raise FormulaError("param_spec", f"parameter {name!r}: need min <= default <= max "
                           f"(got {out['min']:g}, {out['default']:g}, {out['max']:g})", param=name)
    return ParamSpec(name, out["default"], out["min"], out["max"])


def compile_formula(
    text: str,
    params: Mapping[str, Mapping[str, float] | ParamSpec | None] | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Formula:
    """Parse, check, differentiate and compile ``text``.

    ``params`` declares the parameters' defaults and ranges ({"a": {"default": 0.25,
    "min": -1, "max": 2}}); undeclared ones get default 1 and range [−10, 10], a declared
    range without a default gets 1 moved into the range (its nearest end); declaring
    a name the formula does not use is a ``param_spec`` error. Raises :class:`FormulaError`."""
    tree = parse(text, limits)
    names = params_in(tree)
    given = dict(params or {})
    for name in given:
        if name not in names:
            used = ", ".join(names) or "none"
            raise FormulaError("param_spec", f"the formula has no parameter {name!r} (its parameters: {used})",
                               param=name)
    specs = tuple(_spec(n, given.get(n)) for n in names)
    return Formula(text, tree, specs)


_TIGHT = re.compile(r"(?<=[^A-Za-z0-9_.]) | (?=[^A-Za-z0-9_.])")  # a space beside a symbol


def _canonical_text(tree: Node) -> str:
    """The text a formula travels as (links, requests): spaced for reading, or without the spaces
    beside symbols when spacing would take it past the length a formula may have (a 488-character
    sum was written as 556 and then refused as its own text). Checked to read back as the same tree."""
    text = to_text(tree)
    if len(text) <= DEFAULT_LIMITS.max_chars:
        return text
    tight = _TIGHT.sub("", text)
    try:
        same = to_text(parse(tight, DEFAULT_LIMITS)) == text
    except FormulaError:
        same = False
    return tight if same else text


class Formula:
    """A user's activation function f(x; params), its exact derivative, and their properties.

    Immutable (attributes cannot be set) and picklable (by its source text and parameter
    declarations). Equal formulas (same canonical text and parameter declarations) are
    ``==`` and hash alike; ``key()`` is the canonical string for caches.

    Functions take ``x`` and keyword parameter values (floats or arrays broadcasting
    against x); missing parameters take their defaults; values are checked to be finite
    and inside their ranges (a ``param_value`` error naming the parameter) and unknown
    names are an ``unknown_param`` error. Results may hold inf/NaN where the formula
    overflows or is undefined: use :meth:`check_finite` before sending values anywhere.
    """

    __slots__ = (
        "source", "text", "params", "tree", "dtree", "eval_tree", "d_eval_tree", "node_count", "_simple", "_cache",
    )

    def __init__(self, source: str, tree: Node, specs: tuple[ParamSpec, ...]):
        put = object.__setattr__
        put(self, "source", source)
        put(self, "tree", tree)
        put(self, "text", _canonical_text(tree))
        put(self, "params", specs)
        simple = simplify(tree)
        put(self, "dtree", derivative(simple, None, DERIVATIVE_MAX_NODES))
        eval_tree = stabilise(simple)
        put(self, "eval_tree", eval_tree)
        d_eval = self.dtree if eval_tree is simple else derivative(eval_tree, None, DERIVATIVE_MAX_NODES)
        put(self, "d_eval_tree", stabilise(d_eval))
        put(self, "node_count", size(tree))
        put(self, "_simple", simple)
        put(self, "_cache", {})

    # ------------------------------------------------------------------ built on first use
    def _lazy(self, key: str, make):
        cache = self._cache
        if key not in cache:
            cache[key] = make()
        return cache[key]

    @property
    def _prog_f(self) -> Program:
        return self._lazy("prog_f", lambda: compile_trees(self.eval_tree))

    @property
    def _prog_df(self) -> Program:
        return self._lazy("prog_df", lambda: compile_trees(self.d_eval_tree))

    @property
    def _prog_both(self) -> Program:
        return self._lazy("prog_both", lambda: compile_trees(self.eval_tree, self.d_eval_tree))

    @property
    def _kinks(self) -> KinkFinder:
        return self._lazy("kinks", lambda: KinkFinder(self._simple))

    @property
    def cost(self) -> float:
        """Per-element cost of evaluating f and f′ together, in units of one np.add on
        float64 (rough weights per operation: see ``evaluate.OP_COST``)."""
        return self._prog_both.cost

    @property
    def kinks_known(self) -> bool:
        """True when every abs/max/min/where boundary could be located (see :mod:`.kinks`)."""
        return self._kinks.known

    # ------------------------------------------------------------------ identity
    def __setattr__(self, name, value):
        raise AttributeError("Formula is immutable")

    def __delattr__(self, name):
        raise AttributeError("Formula is immutable")

    def __reduce__(self):
        return (_rebuild, (self.source, tuple((p.name, p.default, p.min, p.max) for p in self.params)))

    def key(self) -> str:
        ps = ";".join(f"{p.name}={p.default!r}[{p.min!r},{p.max!r}]" for p in self.params)
        return f"{KEY_VERSION}:{self.text}|{ps}"

    def __eq__(self, other):
        return isinstance(other, Formula) and self.key() == other.key()

    def __hash__(self):
        return hash(self.key())

    def __repr__(self):
        return f"Formula({self.text!r}, params={[p.as_dict() for p in self.params]})"

    # ------------------------------------------------------------------ parameters
    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params)

    def defaults(self) -> dict[str, float]:
        return {p.name: p.default for p in self.params}

    def resolve(self, **values) -> dict[str, object]:
        """Parameter values with defaults filled in, each checked finite and within range."""
        specs = {p.name: p for p in self.params}
        for name in values:
            if name not in specs:
                known = ", ".join(specs) or "none"
                raise FormulaError("unknown_param", f"the formula has no parameter {name!r} (its parameters: {known})",
                                   param=name)
        out: dict[str, object] = {}
        for p in self.params:
            v = values.get(p.name, p.default)
            if isinstance(v, (bool, str)):
                raise FormulaError("param_value", f"{p.name} must be a number in [{p.min:g}, {p.max:g}] (got {v!r})",
                                   param=p.name)
            try:
                arr = np.asarray(v, dtype=float)
            except (TypeError, ValueError):
                raise FormulaError("param_value", f"{p.name} must be a number in [{p.min:g}, {p.max:g}] (got {v!r})",
                                   param=p.name) from None
            if not np.all(np.isfinite(arr)) or np.any(arr < p.min) or np.any(arr > p.max):
                shown = repr(float(arr)) if arr.ndim == 0 else "an array with values outside it"
                raise FormulaError("param_value", f"{p.name} must be a finite number in [{p.min:g}, {p.max:g}] "
                                   f"(got {shown})", param=p.name)
            out[p.name] = float(arr) if arr.ndim == 0 else arr
        return out

    # ------------------------------------------------------------------ values
    def f(self, x, **params) -> np.ndarray:
        return evaluate(self._prog_f, x, self.resolve(**params))[0]

    def df(self, x, **params) -> np.ndarray:
        return evaluate(self._prog_df, x, self.resolve(**params))[0]

    def f_and_df(self, x, **params) -> tuple[np.ndarray, np.ndarray]:
        """f and f′ in one pass (shared subexpressions computed once)."""
        f, d = evaluate(self._prog_both, x, self.resolve(**params))
        return f, d

    def _dparam_entry(self, name: str) -> tuple[Node, Node, Program]:
        if name not in self.param_names:
            raise FormulaError("unknown_param", f"the formula has no parameter {name!r}", param=name)
        cache = self._cache
        if ("dparam", name) not in cache:
            shown = derivative(simplify(self.tree), name, DERIVATIVE_MAX_NODES)
            evald = stabilise(derivative(self.eval_tree, name, DERIVATIVE_MAX_NODES))
            cache[("dparam", name)] = (shown, evald, compile_trees(evald))
        return cache[("dparam", name)]

    def dparam(self, name: str):
        """∂f/∂name as a function (x, **params) -> array."""
        prog = self._dparam_entry(name)[2]

        def grad(x, **params):
            return evaluate(prog, x, self.resolve(**params))[0]

        grad.__name__ = f"df_d{name}"
        return grad

    def dparam_text(self, name: str) -> str:
        return to_text(self._dparam_entry(name)[0])

    def dparam_latex(self, name: str) -> str:
        return to_latex(self._dparam_entry(name)[0])

    def check_finite(self, x, **params) -> FiniteReport:
        """f and f′ at x, and whether (and where, and why) either is not finite."""
        p = self.resolve(**params)
        f, d = evaluate(self._prog_both, x, p)
        return finite_report(self._prog_f, self._prog_df, x, p, f, d)

    # ------------------------------------------------------------------ text
    @property
    def dtext(self) -> str:
        return self._text("dtext", lambda: to_text(self.dtree))

    @property
    def latex(self) -> str:
        return self._text("latex", lambda: to_latex(self.tree))

    @property
    def dlatex(self) -> str:
        return self._text("dlatex", lambda: to_latex(self.dtree))

    def _text(self, key: str, make) -> str:
        return self._lazy(key, make)

    def torch_source(self, class_name: str = "MyActivation", **params) -> str:
        """Source of a torch.nn.Module computing this formula (defaults: ``params`` or the
        declared defaults). Uses the numerically stable form that is evaluated here."""
        p = self.resolve(**params)
        for k, v in p.items():
            if not isinstance(v, float):
                raise FormulaError("param_value", f"{k} must be a single number for the PyTorch snippet", param=k)
        try:
            values = [(n, float(p[n])) for n in self.param_names]  # type: ignore[arg-type]
            return torch_module_source(self.eval_tree, self.text, values, class_name)
        except ValueError as e:
            raise FormulaError("param_spec", str(e)) from None

    # ------------------------------------------------------------------ analysis
    def kinks(self, **params) -> list[float]:
        """Sorted x where f or f′ jumps (see :mod:`.kinks`); only the solvable ones when
        ``kinks_known`` is False."""
        p = self.resolve(**params)
        for k, v in p.items():
            if not isinstance(v, float):
                raise FormulaError("param_value", f"{k} must be a single number to locate kinks", param=k)
        return real_kinks(self._prog_both, self._kinks.candidates(p), p)

    def breakpoints(self, **params) -> list[float]:
        """Every candidate kink (abs/max/min ties and where-condition boundaries), before
        checking whether f or f′ really jumps there."""
        p = self.resolve(**params)
        return self._kinks.candidates(p)

    def measurements(self, **params) -> Measurements:
        return measure(self, self.resolve(**params))

    def properties(self, **params):
        """The catalogue's :class:`~app.core.activations.Properties`, measured numerically."""
        return self.measurements(**params).properties


def _rebuild(source: str, specs: tuple) -> Formula:
    return compile_formula(source, {n: {"default": d, "min": lo, "max": hi} for n, d, lo, hi in specs})
