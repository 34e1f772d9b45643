"""The activation-list notation of links and lessons: ``leaky_relu(leak=0.1),elu(alpha=0.5)``.

One grammar, here (and its twin ``static/js/lib/spec.js``; both run the cases in
``tests/cases/spec_cases.json``)::

    specs   := spec ("," spec)*                      (empty text: no specs)
    spec    := head ["(" [pair (sep pair)*] ")"]
    head    := name | "[" formula "]"                 (formula: any text without "]")
    name    := [A-Za-z0-9_]+
    pair    := key "=" value        sep := "," | ";"          (empty pieces and pairs are skipped)
    key     := [A-Za-z0-9_]+        value := text without , ; ( ) = [ ] (spaces trimmed)

:func:`parse` reads text into :class:`Spec` s with the values as written (strings) and
reports each piece it could not read; :func:`sanitise` applies the links' one rule (below)
against the catalogue; :func:`format` writes specs back, leaving out parameters at their
default, with numbers as :func:`format_number` writes them (JavaScript's shortest form, so
the page and the server write the same link).

The rule for a value in a link (README, "Links"): a name the catalogue does not know is
left out; an unknown parameter is ignored; a value that is not a plain decimal number
takes the default; a number outside its range is moved to the nearest end; a choice not
offered takes the default; parameters that break a constraint between them (hard tanh's
bounds) all take their defaults; beyond ``max_count`` activations the rest are left out.
Every such change is reported as a :data:`Note` with a ``code`` and its numbers.

A typed formula (``[x*sigmoid(b*x)](b=1.5:0:5)``, see :mod:`app.core.formula`) is compiled:
one that does not compile is left out (note ``formula_error`` with the formula's own
``error`` code and the ``position`` in its text); it comes out in its canonical text. Its
parameters' values are written ``value`` or ``value:min:max`` or ``value:min:max:default``
(:func:`formula_value`): the range and default it declares travel with it. A range that is
not min < max with the default inside (or beyond ±1e6) takes the usual declaration,
default 1 in [−10, 10] (note ``bad_range``); without a default, the default is 1 moved
into the range; the value is then held to the range like any other.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from . import activations as acts
from .formula import FormulaError, compile_formula
from .formula.formula import DEFAULT_PARAM, PARAM_LIMIT

Note = dict[str, Any]

_NAME = re.compile(r"[A-Za-z0-9_]+")
_VALUE_FORBIDDEN = set(",;()=[]")


@dataclass(frozen=True)
class Spec:
    """One activation of a list: a catalogue ``name`` or a typed ``formula``, its parameters
    and, for a formula, the ranges it declares ({param: {min, max, default}}; a parameter
    not listed has the usual default 1 in [−10, 10])."""

    name: str | None = None
    formula: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    ranges: Mapping[str, Mapping[str, float]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"formula": self.formula} if self.formula is not None else {"name": self.name}
        out["params"] = dict(self.params)
        if self.ranges:
            out["ranges"] = {k: dict(v) for k, v in self.ranges.items()}
        return out


# ----------------------------------------------------------------------------- reading


def _pieces(text: str) -> list[str]:
    """Split at top-level commas (not inside parentheses or a bracketed formula)."""
    pieces, depth, bracket, start = [], 0, False, 0
    for i, ch in enumerate(text):
        if bracket:
            bracket = ch != "]"
        elif ch == "[":
            bracket = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        elif ch == "," and depth == 0:
            pieces.append(text[start:i])
            start = i + 1
    pieces.append(text[start:])
    return [p.strip() for p in pieces]


def _parse_piece(piece: str) -> Spec | None:
    name = formula = None
    if piece.startswith("["):
        end = piece.find("]")
        if end < 0:
            return None
        formula, rest = piece[1:end].strip(), piece[end + 1 :].strip()
        if not formula:
            return None
    else:
        m = _NAME.match(piece)
        if not m:
            return None
        name, rest = m.group(0), piece[m.end() :].strip()
    params: dict[str, str] = {}
    if rest:
        if not (rest.startswith("(") and rest.endswith(")")):
            return None
        inner = rest[1:-1].strip()
        for pair in re.split(r"[;,]", inner) if inner else []:
            if not pair.strip():  # "leak=0.1;" or "a=1,,b=2": an empty pair is no pair
                continue
            key, eq, value = (s.strip() for s in pair.partition("="))
            if not eq or not _NAME.fullmatch(key) or not value or _VALUE_FORBIDDEN & set(value) or key in params:
                return None
            params[key] = value
    return Spec(name, formula, params)


def parse(text: str) -> tuple[list[Spec], list[Note]]:
    """The specs in ``text`` (values as written), and a note for each piece not readable."""
    specs: list[Spec] = []
    notes: list[Note] = []
    if not text or not text.strip():
        return specs, notes
    for piece in _pieces(text):
        if not piece:  # "relu,,elu" or a trailing comma
            continue
        spec = _parse_piece(piece)
        if spec is None:
            notes.append({"code": "unreadable", "text": piece[:60]})
        else:
            specs.append(spec)
    return specs, notes


# ----------------------------------------------------------------------------- the links' rule


def is_number(text: str) -> bool:
    return bool(acts.DECIMAL.fullmatch(text))


def default_range(lo: float = DEFAULT_PARAM[1], hi: float = DEFAULT_PARAM[2]) -> float:
    """A formula parameter's default when none is declared: 1 moved into [lo, hi]."""
    return min(max(DEFAULT_PARAM[0], lo), hi)


def formula_value(raw: Any) -> tuple[float, tuple[float, float, float] | None] | None:
    """A formula parameter's value in a link, ``value[:min:max[:default]]``: (value, (min,
    max, default) or None when no range is written), or None when it is not that."""
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return (float(raw), None) if math.isfinite(raw) else None
    if not isinstance(raw, str):
        return None
    parts = raw.split(":")
    if len(parts) not in (1, 3, 4) or not all(is_number(p) for p in parts):
        return None
    nums = [float(p) for p in parts]
    if not all(math.isfinite(v) for v in nums):
        return None
    if len(nums) == 1:
        return nums[0], None
    lo, hi = nums[1], nums[2]
    return nums[0], (lo, hi, nums[3] if len(nums) == 4 else default_range(lo, hi))


@lru_cache(maxsize=256)
def compiled(text: str):
    """The formula of ``text`` with no declarations (kept: links and queries repeat)."""
    return compile_formula(text)  # a FormulaError is not cached: it is raised again


def _range_ok(lo: float, hi: float, d: float) -> bool:
    return lo < hi and lo <= d <= hi and max(abs(lo), abs(hi)) <= PARAM_LIMIT


def _sanitise_formula(s: Spec, notes: list[Note]) -> Spec | None:
    """A formula spec under the links' rule (the module's docstring), or None if it does not compile."""
    try:
        formula = compiled(s.formula or "")
        names, text = formula.param_names, formula.text
    except FormulaError as e:
        notes.append({"code": "formula_error", "formula": (s.formula or "")[:60], "error": e.code, "position": e.position, "end": e.end, "message": e.message})
        return None
    for key in [*s.params, *(k for k in s.ranges if k not in s.params)]:
        if key not in names:
            notes.append({"code": "unknown_parameter", "activation": text, "param": key, "allowed": list(names)})
    usual = (DEFAULT_PARAM[1], DEFAULT_PARAM[2], DEFAULT_PARAM[0])
    params: dict[str, float] = {}
    ranges: dict[str, dict[str, float]] = {}
    for name in names:
        given = s.ranges.get(name)  # a spec already read (a page's state): its ranges apart
        if name not in s.params and given is None:
            continue
        if given is not None:
            lo, hi = given.get("min", usual[0]), given.get("max", usual[1])
            given = {"min": lo, "max": hi, "default": given.get("default", default_range(lo, hi))}
        raw = s.params[name] if name in s.params else given["default"]  # type: ignore[index]
        read = formula_value(raw)
        if read is None:
            notes.append({"code": "not_a_number", "activation": text, "param": name, "given": raw, "default": DEFAULT_PARAM[0]})
            continue
        value, declared = read
        if declared is None and given is not None:
            declared = (given["min"], given["max"], given["default"])
        lo, hi, d = declared or usual
        if not _range_ok(lo, hi, d):
            notes.append({"code": "bad_range", "activation": text, "param": name, "given": raw, "min": usual[0], "max": usual[1], "default": usual[2]})
            lo, hi, d = usual
        if (lo, hi, d) != usual:
            ranges[name] = {"min": lo, "max": hi, "default": d}
        used = min(hi, max(lo, value))
        if used != value:
            notes.append({"code": "out_of_range", "activation": text, "param": name, "given": raw, "default": d, "used": used, "min": lo, "max": hi})
        params[name] = used
    return Spec(None, text, params, ranges)


def sanitise(specs: Iterable[Spec], max_count: int) -> tuple[list[Spec], list[Note]]:
    """The specs a link can show (see the module's rule), with one note per change.

    Catalogue activations come out with float parameters as floats and choices as strings;
    formulas compiled, in their canonical text, with float values and declared ranges."""
    out: list[Spec] = []
    notes: list[Note] = []
    specs = list(specs)
    for i, s in enumerate(specs):
        if len(out) >= max_count:
            notes.append({"code": "too_many", "max": max_count, "dropped": len(specs) - i})
            break
        if s.formula is not None:
            checked = _sanitise_formula(s, notes)
            if checked is not None:
                out.append(checked)
            continue
        try:
            act = acts.get(s.name or "")
        except KeyError:
            notes.append({"code": "unknown_activation", "name": s.name})
            continue
        params: dict[str, Any] = {}
        for key in s.params:
            if not any(p.id == key for p in act.params):
                notes.append({"code": "unknown_parameter", "activation": act.id, "param": key, "allowed": [p.id for p in act.params]})
        for p in act.params:
            if p.id not in s.params:
                continue
            raw = s.params[p.id]
            base = {"activation": act.id, "param": p.id, "given": raw, "default": p.default}
            if p.kind == "choice":
                if raw in p.choices:
                    params[p.id] = raw
                else:
                    notes.append({"code": "not_a_choice", **base, "choices": list(p.choices)})
                continue
            value = float(raw) if isinstance(raw, (int, float)) and not isinstance(raw, bool) else float(raw) if isinstance(raw, str) and is_number(raw) else None
            if value is None or math.isnan(value):  # (a decimal beyond float64's range is ±inf: out of range)
                notes.append({"code": "not_a_number", **base})
                continue
            used = min(p.max, max(p.min, value))
            if used != value:
                notes.append({"code": "out_of_range", **base, "used": used, "min": p.min, "max": p.max})
            params[p.id] = used
        problem = act.check(**{**act.defaults(), **params})
        if problem:
            notes.append({"code": "constraint", "activation": act.id, "params": sorted(params), "message": problem})
            params = {}
        out.append(Spec(act.id, None, params))
    return out, notes


# ----------------------------------------------------------------------------- writing


def format_number(x: float) -> str:
    """``x`` rounded to 12 significant digits, written as JavaScript's ``String(number)``
    writes it (shortest round-trip digits; exponent form below 1e-6 and from 1e21)."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise TypeError(f"not a number: {x!r}")
    if not math.isfinite(x):
        return "NaN" if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity")
    x = float(f"{x:.12g}")
    if x == 0:
        return "0"
    sign = "-" if x < 0 else ""
    # x = digits × 10^(n − k) with the shortest round-trip digits (Python's repr, as JavaScript)
    r = repr(abs(x))
    mant, _, e = r.partition("e")
    whole, _, frac = mant.partition(".")
    frac = "" if frac == "0" else frac
    raw = whole + frac
    stripped = raw.rstrip("0")
    digits = stripped.lstrip("0")
    n = int(e or 0) - len(frac) + (len(raw) - len(stripped)) + len(digits)
    k = len(digits)
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        text = "0." + "0" * (-n) + digits
    else:
        e = n - 1
        text = digits[0] + ("." + digits[1:] if k > 1 else "") + "e" + ("+" if e > 0 else "-") + str(abs(e))
    return sign + text


def format_value(v: Any) -> str:
    return v if isinstance(v, str) else format_number(float(v))


def _formula_pairs(s: Spec) -> list[tuple[str, str]]:
    """A formula's parameters as written in a link: ``value``, ``value:min:max`` (default
    1 moved into the range) or ``value:min:max:default``; at the usual declaration and
    value 1, left out."""
    out = []
    for k in [*s.params, *(k for k in s.ranges if k not in s.params)]:
        r = s.ranges.get(k)
        v = s.params.get(k, r["default"] if r else DEFAULT_PARAM[0])
        if isinstance(v, str):
            out.append((k, v))
            continue
        lo, hi, d = (r["min"], r["max"], r["default"]) if r else (DEFAULT_PARAM[1], DEFAULT_PARAM[2], DEFAULT_PARAM[0])
        if (lo, hi, d) == (DEFAULT_PARAM[1], DEFAULT_PARAM[2], DEFAULT_PARAM[0]):
            if float(v) != d:
                out.append((k, format_number(float(v))))
            continue
        text = ":".join(format_number(float(n)) for n in (v, lo, hi))
        out.append((k, text if d == default_range(lo, hi) else f"{text}:{format_number(float(d))}"))
    return out


def format(specs: Iterable[Spec | Mapping[str, Any]]) -> str:
    """The notation for ``specs`` (Spec objects or {name | formula, params, ranges} dicts); a
    catalogue activation's parameters equal to their default are left out, and so are a
    formula's at the usual declaration and value."""
    out = []
    for s in specs:
        if isinstance(s, Mapping):
            s = Spec(s.get("name"), s.get("formula"), s.get("params") or {}, s.get("ranges") or {})
        if s.formula is not None:
            head, keep = f"[{s.formula}]", _formula_pairs(s)
        else:
            act = acts.get(s.name or "")
            keep = []
            for p in act.params:
                if p.id not in s.params:
                    continue
                v = s.params[p.id]
                same = v == p.default if p.kind == "choice" else float(v) == float(p.default)
                if not same:
                    keep.append((p.id, v))
            head = act.id
        parts = [f"{k}={format_value(v)}" for k, v in keep]
        out.append(f"{head}({','.join(parts)})" if parts else head)
    return ",".join(out)
