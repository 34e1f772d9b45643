"""A user's formula as a catalogue :class:`~app.core.activations.Activation`: the one adapter.

Everything that takes a built-in — curves, cards, the training engine, sweeps, lessons —
takes the adapter's output unchanged (``app.core.activations.get`` returns an Activation it
is given). What a catalogue entry declares by hand is measured or derived here:

* ``id``: ``"formula:"`` and 12 hex digits of the SHA-256 of :meth:`Formula.key` (the
  canonical text and the parameters' declarations), ``name`` the canonical text;
* ``params``: one float :class:`Param` per formula parameter, range and default from its
  :class:`ParamSpec`, the slider's step a power of ten about 1/1000 of the range;
* ``properties``: measured at the defaults (:mod:`.properties`); ``kinks`` located exactly;
* ``unit_cost``: :attr:`Formula.cost` (np.add units for f and f′ together) times
  :data:`UNIT_COST_PER_OP` plus :data:`UNIT_COST_BASE` (the per-call overhead), fitted to
  the catalogue's declared costs by ``bench/formula_unit_cost.py``;
* ``nonnegative_derivative``: f′ ≥ 0 on the measuring grid at the defaults (as measured for
  the properties) and with each parameter at either end of its range (the others at their
  defaults);
* ``kernel``: f and f′ in one pass (shared subexpressions computed once);
* no ``torch`` module: :meth:`Formula.torch_source` writes one instead.
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections import OrderedDict
from collections.abc import Mapping

import numpy as np

from app.core.activations import Activation, Param

from .formula import Formula, compile_formula
from .properties import GRID

PREFIX = "formula:"
# engine cost units (≈ one multiply-add per element) per np.add unit of Formula.cost, and
# the per-call overhead; bench/formula_unit_cost.py fits both (they err on the high side:
# estimate ÷ measured worth, median 1.23, min 0.74, over the built-ins typed as formulas)
UNIT_COST_PER_OP = 6.0
UNIT_COST_BASE = 40
# the conventions at kinks in one line (diff.CONVENTION says them in full)
CONVENTION_SHORT = ("where(…) takes the derivative of the branch its condition selects; at a max/min tie the smaller "
                    "slope; abs′(0) = 0 — PyTorch's autograd values where they overlap")
DESCRIPTION = "Your own formula: derivative exact (symbolic), properties measured numerically."
CACHE_SIZE = 256

Ranges = Mapping[str, Mapping[str, float]]


def _step(lo: float, hi: float) -> float:
    """A power of ten near 1/1000 of the range (0.01 for the default [−10, 10])."""
    span = hi - lo
    if not span > 0:
        return 0.01
    return float(10.0 ** math.floor(math.log10(span / 1000.0) + 1e-9))


def _derivative_nonnegative(formula: Formula, at_defaults: bool) -> bool:
    """f′ ≥ 0 at the defaults (``at_defaults``: as measured) and at each parameter's range ends."""
    if not at_defaults:
        return False
    trials = []
    for p in formula.params:
        trials += [{**formula.defaults(), p.name: p.min}, {**formula.defaults(), p.name: p.max}]
    for values in trials:
        with np.errstate(all="ignore"):
            d = formula.df(GRID, **values)
        if np.any(np.isnan(d)) or np.any(d < 0):
            return False
    return True


def activation_id(formula: Formula) -> str:
    return PREFIX + hashlib.sha256(formula.key().encode()).hexdigest()[:12]


def as_activation(formula: Formula) -> Activation:
    """The catalogue's view of ``formula`` (see the module's docstring)."""
    params = tuple(
        Param(p.name, p.name, p.default, p.min, p.max, _step(p.min, p.max),
              f"A parameter of your formula, in [{p.min:g}, {p.max:g}].")
        for p in formula.params
    )

    def kernel(z, h, df, mask, **p):
        if df is None:
            h[...] = formula.f(z, **p)
            return
        f, d = formula.f_and_df(z, **p)
        h[...] = f
        df[...] = d

    def kinks(**p):
        return formula.kinks(**p)

    measured = formula.measurements()
    return Activation(
        id=activation_id(formula),
        name=formula.text,
        latex="f(x) = " + formula.latex,
        f=formula.f,
        df=formula.df,
        properties=measured.properties,
        convention=CONVENTION_SHORT,
        params=params,
        kinks=kinks,
        description=DESCRIPTION,
        reference="",
        torch=None,
        unit_cost=int(math.ceil(UNIT_COST_PER_OP * formula.cost)) + UNIT_COST_BASE,
        nonnegative_derivative=_derivative_nonnegative(formula, measured.derivative_nonnegative and measured.undefined is None),
        kernel=kernel,
        formula=formula,
    )


def freeze_ranges(ranges: Ranges | None) -> tuple:
    """``ranges`` as a hashable key: ((name, ((field, value), …)), …), sorted."""
    if not ranges:
        return ()
    return tuple(sorted((str(k), tuple(sorted(dict(v).items())) if isinstance(v, Mapping) else v) for k, v in ranges.items()))


class _Cache:
    """The last CACHE_SIZE compiled formulas and their adapters (compiling measures the
    properties, a few ms): a cache only, every entry rebuilt the same from its key."""

    def __init__(self, size: int):
        self.size = size
        self.items: OrderedDict[tuple, Activation] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, text: str, ranges: Ranges | None) -> Activation:
        key = (text, freeze_ranges(ranges))
        with self.lock:
            hit = self.items.get(key)
            if hit is not None:
                self.items.move_to_end(key)
                return hit
        act = as_activation(compile_formula(text, {k: dict(v) for k, v in (ranges or {}).items()}))
        with self.lock:
            self.items[key] = act
            while len(self.items) > self.size:
                self.items.popitem(last=False)
        return act


_cache = _Cache(CACHE_SIZE)


def formula_activation(text: str, ranges: Ranges | None = None) -> Activation:
    """The adapter for ``text`` with these parameter declarations ({name: {min, max,
    default}}), compiled once and kept while used. Raises :class:`FormulaError`."""
    return _cache.get(text, ranges)
