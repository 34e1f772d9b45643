"""The catalogue and curve endpoints: validate, call ``app.core``, shape JSON."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from latex2mathml.converter import convert as latex_to_mathml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from app.core import activations as acts
from app.core import spec as specs
from app.core.curves import SATURATION_EPS, Curve, sample_curve
from app.core.formula import CONVENTION, DEFAULT_LIMITS, FormulaError
from app.core.formula.activation import formula_activation
from app.core.formula.formula import DEFAULT_PARAM, PARAM_LIMIT
from app.core.formula.properties import GRID as PROPERTY_GRID
from app.core.formula.tree import FUNCTIONS

from .errors import ERROR_RESPONSES, ApiError, ErrorResponse
from .pool import TrainingPool
from .responses import CACHE_CONTROL, JSON_TYPE, cached_json, cached_response, dumps, dynamic, etag_for, headers_of, pack, render_stored, stored_response

router = APIRouter(prefix="/api", tags=["activations"], responses=ERROR_RESPONSES)

# Sizes a request controls, and their caps.
X_LIMIT = 1e4
# A formula's derivative is typeset as MathML up to this much LaTeX (a few lines; beyond,
# latex2mathml takes 0.1–0.5 s and the page shows the derivative's text instead)
MATHML_MAX_LATEX = 2000
MAX_POINTS = 10_001
MAX_SAMPLES = 5_000
MAX_SPECS = 8
# Curves not yet cached are computed — and compressed — by CURVE_THREADS threads of their
# own, with at most CURVE_QUEUE more waiting (beyond: 503 busy): a flood of new, large curves
# neither blocks the event loop nor takes the threads other routes run in.
CURVE_THREADS = 1
CURVE_QUEUE = 256
ActivationName = Literal[acts.IDS]  # type: ignore[valid-type]


@lru_cache(maxsize=4096)  # bounded: typed formulas bring new LaTeX
def mathml(latex: str) -> str:
    return latex_to_mathml(latex)


def describe(act: acts.Activation) -> dict[str, Any]:
    """The public description of one activation (drives the explorer's controls and the docs)."""
    return {
        "id": act.id,
        "name": act.name,
        "latex": act.latex,
        "mathml": mathml(act.latex),
        "description": act.description,
        "reference": act.reference,
        "torch": act.torch_call(act.defaults()),
        "in_source": act.in_source,
        "params": [p.as_dict() for p in act.params],
        "learnable": sorted(act.param_grads),
        "properties": act.properties_at(act.defaults()).as_dict(),
        "convention": act.convention,
        "kinks": act.kinks(**act.defaults()),
        "orders": [o.as_dict() for o in act.orders],
        "stochastic": act.stochastic.description if act.stochastic else None,
    }


# What a page needs to know about typed formulas (the language itself is app.core.formula's).
FORMULA_VOCABULARY: dict[str, Any] = {
    "example": "x*sigmoid(b*x)",
    "functions": sorted(FUNCTIONS),
    "max_chars": DEFAULT_LIMITS.max_chars,
    "max_params": DEFAULT_LIMITS.max_params,
    "default_param": dict(zip(("default", "min", "max"), DEFAULT_PARAM)),
    "param_limit": PARAM_LIMIT,
    "convention": CONVENTION,
}


@lru_cache(maxsize=1)
def catalogue_json() -> dict[str, Any]:
    return {"activations": [describe(a) for a in acts.CATALOGUE], "saturation_eps": SATURATION_EPS, "formula": FORMULA_VOCABULARY}


# ----------------------------------------------------------------------------- schemas


class GridOptions(BaseModel):
    """Where to sample curves, and what to add for stochastic activations."""

    xmin: float = Field(-5.0, ge=-X_LIMIT, le=X_LIMIT, allow_inf_nan=False, description="Left end of the x grid.")
    xmax: float = Field(5.0, ge=-X_LIMIT, le=X_LIMIT, allow_inf_nan=False, description="Right end of the x grid.")
    n: int = Field(401, ge=2, le=MAX_POINTS, description="Number of grid points.")
    band: float = Field(0.9, gt=0.0, lt=1.0, allow_inf_nan=False, description="Central probability of the stochastic band (0.9 → 5–95 %).")
    samples: int = Field(0, ge=0, le=MAX_SAMPLES, description="Random draws to scatter for stochastic activations.")
    seed: int = Field(0, ge=0, le=2**32 - 1, description="Seed of the sample scatter.")

    @field_validator("xmin", "xmax", "n", "band", "samples", "seed", mode="before")
    @classmethod
    def _plain_decimal(cls, v: Any) -> Any:
        # query-string text: the same number grammar as the activation parameters
        if isinstance(v, str) and not acts.DECIMAL.fullmatch(v):
            raise ValueError("must be a plain decimal number")
        return v

    def check(self) -> GridOptions:
        if not self.xmin < self.xmax:
            raise ApiError(422, f"xmax must be greater than xmin (got xmin={self.xmin:g}, xmax={self.xmax:g})", "xmax", code="constraint")
        return self


class FormulaRange(BaseModel):
    """A formula parameter's declaration; what is not given is the usual: [−10, 10], default 1
    (moved into the range)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    min: float | None = Field(None, allow_inf_nan=False)
    max: float | None = Field(None, allow_inf_nan=False)
    default: float | None = Field(None, allow_inf_nan=False)

    def declared(self) -> dict[str, float]:
        return {k: v for k, v in (("min", self.min), ("max", self.max), ("default", self.default)) if v is not None}


class ActivationFields(BaseModel):
    """An activation in a JSON body: a catalogue ``name``, or a typed ``formula`` with the
    ranges of its parameters."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: ActivationName | None = Field(None, description="Activation id, as listed by /api/activations (or give formula).")  # type: ignore[valid-type]
    formula: str | None = Field(None, description=f"Your own activation as a formula of x, e.g. x*sigmoid(b*x) (at most {DEFAULT_LIMITS.max_chars} characters; "
                                f"functions: {', '.join(sorted(FUNCTIONS))}); its parameters are named in params and ranges.")
    params: dict[str, float | str] = Field(default_factory=dict, max_length=8, description="Parameter values; missing ones take their defaults.")
    ranges: dict[str, FormulaRange] = Field(default_factory=dict, max_length=8, description="A formula's parameters' ranges and defaults: {\"b\": {\"min\": 0, \"max\": 5, \"default\": 1}}.")

    @model_validator(mode="after")
    def _name_or_formula(self):
        if self.name is not None and self.formula is not None:
            raise PydanticCustomError("value_error", "give name or formula, not both", {"code": "name_and_formula"})
        if self.formula is None and self.ranges:
            raise PydanticCustomError("value_error", "ranges are for a formula's parameters", {"code": "ranges_without_formula"})
        return self

    def resolve(self, prefix: str, default: str | None = "relu") -> tuple[acts.Activation, dict]:
        """The activation and its validated parameters (``default`` when neither name nor
        formula is given; None: that is a 422 naming ``prefix`` + name)."""
        if self.formula is not None:
            return resolve_formula(self.formula, self.params, {k: r.declared() for k, r in self.ranges.items()}, prefix, text_numbers=False)
        if self.name is None and default is None:
            ids = ", ".join(repr(i) for i in acts.IDS)
            raise ApiError(422, f"{prefix}name: Field required; allowed: one of {ids} (or give formula)", prefix + "name", code="missing", choices=list(acts.IDS))
        return resolve(self.name or default or "relu", self.params, prefix + "params.", text_numbers=False)


class CurveSpec(ActivationFields):
    """A curve's activation: ``name`` or ``formula`` (one of them is required)."""


class CurvesRequest(GridOptions):
    # strict: a JSON body says what it means (no "5" for 5, no true for 1); the query
    # string of GET /api/curve is text, so GridOptions itself stays lax.
    model_config = ConfigDict(extra="forbid", strict=True)

    curves: list[CurveSpec] = Field(min_length=1, max_length=MAX_SPECS)


class FormulaInfo(BaseModel):
    """A typed formula as the server reads it (documentation of the ``formula`` blocks)."""

    id: str = Field(description="formula: and a hash of the canonical text and the parameters' declarations.")
    text: str = Field(description="The canonical text.")
    latex: str
    mathml: str
    dformula: dict[str, str | None] = Field(description="The exact derivative: text, latex, mathml (null when too long to typeset).")
    params: list[dict[str, Any]] = Field(description="Each parameter's name, default, min and max.")
    values: dict[str, float]
    properties: dict[str, Any] = Field(description="Measured numerically at these values.")
    convention: str
    kinks_known: bool
    torch_source: str = Field(description="A torch.nn.Module whose forward is the formula, at these values.")
    finite: dict[str, Any] | None = Field(None, description="Where f or f′ is not finite — on the curve's grid (a curve), on [−1e4, 1e4] (GET /api/formula): ok, message, which, kind (overflow or undefined), side, threshold.")


class CurveResponse(BaseModel):
    """The schema of one curve (documentation; responses are serialised straight from numpy)."""

    name: str
    params: dict[str, float | str]
    x: list[float]
    y: list[float]
    dy: list[float]
    kinks: list[float] = Field(description="Kinks within [xmin, xmax] (the plot's dotted lines).")
    all_kinks: list[float] = Field(description="Every kink of f at these parameters, in view or not.")
    jumps: list[dict[str, float]] = Field(description="The kinks where f itself jumps: {x, size}, size = f(x⁺) − f(x⁻).")
    convention: str
    torch: str | None = Field(description="The torch.nn module with these parameters (null where torch.nn has none).")
    mathml: str | None = Field(None, description="The formula as MathML where a choice parameter changes it (GELU's tanh form), else null: the catalogue's.")
    properties: dict[str, Any] | None = Field(None, description="A catalogue activation's properties at these values: declared at the defaults, else measured (null for a typed formula: see formula).")
    regions: list[dict[str, Any]] = Field(description="Runs of the grid where f′ = 0 (kind dead) or |f′| < ε on out to ±∞ (kind saturated), from x0 to x1.")
    saturation_eps: float = Field(description="ε of the saturated regions (|f′| < ε from there on out to ±∞).")
    noise: dict[str, Any] | None = None
    formula: FormulaInfo | None = Field(None, description="For a typed formula: its canonical text, derivative, measured properties, PyTorch snippet and where it overflows.")


class CurvesResponse(BaseModel):
    curves: list[CurveResponse]


class ActivationInfo(BaseModel):
    """One catalogue entry (documentation of GET /api/activations)."""

    id: str
    name: str
    latex: str
    mathml: str
    description: str
    reference: str
    torch: str | None
    in_source: bool
    params: list[dict[str, Any]]
    learnable: list[str]
    properties: dict[str, Any]
    convention: str
    kinks: list[float]
    orders: list[dict[str, Any]] = Field(default_factory=list, description="Constraints between parameters: low < high (strict) or low ≤ high.")
    stochastic: str | None


class CatalogueResponse(BaseModel):
    activations: list[ActivationInfo]
    saturation_eps: float


# ----------------------------------------------------------------------------- helpers


def resolve(name: str, given: dict[str, Any], field_prefix: str = "", *, text_numbers: bool = True) -> tuple[acts.Activation, dict]:
    """The activation and its validated parameters; errors name the field (with ``field_prefix``).
    ``text_numbers``: numbers may be written as text (query strings, not JSON bodies)."""
    try:
        act = acts.get(name)
    except KeyError:
        shown = name if len(name) <= 40 else name[:39] + "…"
        raise ApiError(422, f"name: unknown activation {shown!r}; allowed: one of {', '.join(repr(i) for i in acts.IDS)}", "name",
                       code="not_a_choice", choices=list(acts.IDS)) from None
    try:
        return act, acts.resolve_params(act, given, text_numbers=text_numbers)
    except acts.ParamError as e:
        raise ApiError.of(e, field_prefix) from None


def formula_api_error(e: FormulaError, prefix: str = "", *, range_field: str = "ranges.", param_field: str = "params.") -> ApiError:
    """A formula problem as a 422 naming the field (``formula``, or the parameter's range or
    value), with the formula's ``code`` and where in the text (``position``, ``end``; null
    for a problem with no place)."""
    field = "formula"
    if e.param is not None and e.code in ("param_spec", "param_value", "unknown_param"):
        field = (range_field if e.code == "param_spec" else param_field) + e.param
    where = prefix + field
    return ApiError(422, f"{where}: {e.message}", where, code=e.code, position=e.position, end=e.end, param=e.param)


def resolve_formula(text: str, given: dict[str, Any], ranges: dict[str, dict[str, float]], prefix: str = "",
                    *, text_numbers: bool = True, query: bool = False) -> tuple[acts.Activation, dict]:
    """A typed formula's activation and its validated parameter values; errors name the field
    (``prefix`` + formula, ranges.p or params.p; in a ``query`` the parameter's own name)
    with the formula's code and position."""
    fields = {"range_field": "", "param_field": ""} if query else {}
    try:
        act = formula_activation(text, ranges)
    except FormulaError as e:
        raise formula_api_error(e, prefix, **fields) from None
    try:
        return act, acts.resolve_params(act, given, text_numbers=text_numbers)
    except acts.ParamError as e:
        raise ApiError.of(e, prefix + ("" if query else "params.")) from None


def formula_json(act: acts.Activation, values: dict) -> dict[str, Any]:
    """What the page shows of a typed formula: canonical text, derivative (text, LaTeX,
    MathML — null for a derivative too long to typeset, see MATHML_MAX_LATEX), parameters,
    properties measured at ``values``, kink conventions, PyTorch."""
    f = act.formula
    dlatex = "f'(x) = " + f.dlatex
    at_defaults = values == act.defaults()
    return {
        "id": act.id,
        "text": f.text,
        "latex": act.latex,
        "mathml": mathml(act.latex),
        "dformula": {"text": f.dtext, "latex": dlatex, "mathml": mathml(dlatex) if len(dlatex) <= MATHML_MAX_LATEX else None},
        "params": [p.as_dict() for p in f.params],
        "values": values,
        "properties": (act.properties if at_defaults else f.properties(**values)).as_dict(),
        "convention": act.convention,
        "kinks_known": f.kinks_known,
        "torch_source": f.torch_source("MyActivation", **values),
    }


def activation_json(act: acts.Activation, values: dict) -> dict[str, Any]:
    """An activation as a request names it: {name, params} or {formula, params, ranges}."""
    if act.formula is None:
        return {"name": act.id, "params": values}
    return {"formula": act.formula.text, "params": values, "ranges": {p.name: {"min": p.min, "max": p.max, "default": p.default} for p in act.formula.params}}


def curve_json(act: acts.Activation, params: dict, opts: GridOptions) -> dict[str, Any]:
    half = round((1.0 - opts.band) / 2.0, 12)
    c: Curve = sample_curve(act, params, opts.xmin, opts.xmax, opts.n, (half, 1.0 - half), opts.samples, opts.seed)
    out: dict[str, Any] = {
        "name": act.id,
        "params": params,
        "x": c.x,
        "y": c.y,
        "dy": c.dy,
        "kinks": [k for k in act.kinks(**params) if opts.xmin <= k <= opts.xmax],
        "all_kinks": act.kinks(**params),  # a property of f, whatever the plotted range
        "jumps": [{"x": k, "size": h} for k, h in act.jumps(**params)],
        "convention": act.form_at(params)[1],
        "torch": act.torch_call(params),
        "mathml": mathml(act.form_at(params)[0]) if act.forms else None,  # the formula where a choice changes it (GELU's tanh form)
        "properties": act.properties_at(params).as_dict() if act.formula is None else None,  # at these parameter values (a formula's: its own block)
        "regions": [{"kind": r.kind, "x0": r.x0, "x1": r.x1} for r in c.regions],
        "saturation_eps": SATURATION_EPS,  # the ε of the "saturated" regions, |f′| < ε
        "noise": None,
    }
    if c.band_low is not None:
        out["noise"] = {
            "p_low": half,
            "p_high": round(1.0 - half, 12),
            "low": c.band_low,
            "high": c.band_high,
            "samples": None if c.sample_x is None else {"x": c.sample_x, "y": c.sample_y, "seed": opts.seed},
        }
    if act.formula is not None:
        out["formula"] = formula_json(act, params)
        out["formula"]["finite"] = finite_json(act.formula.check_finite(c.x, **params))  # non-finite values are JSON null
    return out


def finite_json(report) -> dict[str, Any]:
    """Where f or f′ is not finite, and why (``kind``: "overflow" or "undefined")."""
    return {"ok": report.ok, "message": report.message, "which": report.which, "kind": report.kind,
            "side": report.side, "threshold": report.threshold}


def _param_ids() -> list[str]:
    seen: dict[str, list[str]] = {}
    for a in acts.CATALOGUE:
        for p in a.params:
            seen.setdefault(p.id, []).append(a.id)
    return list(seen)


PARAM_IDS = _param_ids()
GRID_KEYS = frozenset(GridOptions.model_fields)
_QUERY_KEYS = frozenset({"name", *GRID_KEYS, *PARAM_IDS})


def _param_doc(pid: str) -> str:
    parts = []
    for a in acts.CATALOGUE:
        for p in a.params:
            if p.id == pid:
                rng = f"one of {', '.join(p.choices)}" if p.kind == "choice" else f"[{p.min:g}, {p.max:g}], default {p.default:g}"
                parts.append(f"{a.id}: {rng}")
    return "Activation parameter — " + "; ".join(parts)


def _curve_parameters(grid_too: bool = True) -> list[dict[str, Any]]:
    """The OpenAPI parameters of GET /api/curve (and, without the grid, GET /api/formula):
    the activation or the formula, its parameters, the grid."""
    grid = GridOptions.model_json_schema()["properties"]
    out: list[dict[str, Any]] = []
    if grid_too:
        out.append({"name": "name", "in": "query", "required": False, "description": "Activation id (or give formula)", "schema": {"type": "string", "enum": list(acts.IDS)}})
    out.append({"name": "formula", "in": "query", "required": not grid_too, "schema": {"type": "string"},
                "description": f"Your own activation as a formula of x, e.g. x*sigmoid(b*x) (at most {DEFAULT_LIMITS.max_chars} characters). "
                "Its parameters are query names too: b=1.5, or b=value:min:max[:default] to declare the range (default: [-10, 10], 1)."})
    if grid_too:
        out += [{"name": pid, "in": "query", "required": False, "description": _param_doc(pid), "schema": {"type": "string", "maxLength": 32}} for pid in PARAM_IDS]
        for key, schema in grid.items():
            schema = {k: v for k, v in schema.items() if k != "title"}
            out.append({"name": key, "in": "query", "required": False, "description": schema.pop("description", ""), "schema": schema})
    return out


@dataclass(frozen=True)
class CurveQuery:
    """A validated GET /api/curve query: the activation, its parameters, the grid and the key
    (everything the body depends on) that names the response."""

    act: acts.Activation
    params: dict[str, Any]
    grid: GridOptions
    etag: str


# query string → CurveQuery for queries seen before (their validation cannot change); bounded
_PARSED: dict[bytes, CurveQuery] = {}
_PARSED_MAX = 4096
MAX_VALUE_CHARS = 32  # a parameter's value in a query (a formula's: value:min:max:default, 4 × 32)


def _pairs(query_string: bytes) -> dict[str, str]:
    """The query's names and values; a repeated name is a 422."""
    seen: dict[str, str] = {}
    for key, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
        if key in seen:
            raise ApiError(422, f"{key} is given more than once", key, code="repeated")
        seen[key] = value
    return seen


def _unknown(key: str, allowed: list[str]) -> ApiError:
    return ApiError(422, f"unknown query parameter {key!r}; allowed: {', '.join(allowed)}", key, code="unknown_field", allowed=allowed)


def _query_formula(seen: dict[str, str], other_keys: frozenset[str], other_names: list[str]) -> tuple[acts.Activation, dict]:
    """The formula of a query and its parameters, named by the formula's own parameter names
    (``b=1.5`` or ``b=value:min:max[:default]``, the links' notation)."""
    text = seen["formula"]
    try:
        names = specs.compiled(text).param_names
    except FormulaError as e:
        raise formula_api_error(e) from None
    for key in seen:
        if key != "formula" and key not in other_keys and key not in names:
            raise _unknown(key, ["formula", *names, *other_names])
    values: dict[str, float] = {}
    ranges: dict[str, dict[str, float]] = {}
    for name in names:
        if name not in seen:
            continue
        raw = seen[name]
        read = specs.formula_value(raw) if len(raw) <= 4 * MAX_VALUE_CHARS else None
        if read is None:
            raise ApiError(422, f"{name}: must be a number, or value:min:max or value:min:max:default in plain decimals (got {raw[:40]!r})",
                           name, code="not_a_number")
        values[name], declared = read
        if declared is not None:
            ranges[name] = dict(zip(("min", "max", "default"), declared))
    return resolve_formula(text, values, ranges, text_numbers=False, query=True)


def parse_curve_query(query_string: bytes) -> CurveQuery:
    """The one reader of GET /api/curve's query: unknown or repeated names, bad numbers and
    out-of-range parameters raise errors naming the field. ``name=`` reads a catalogue
    activation; ``formula=`` a typed formula, whose parameters are then the allowed names."""
    hit = _PARSED.get(query_string)
    if hit is not None:
        return hit
    seen = _pairs(query_string)
    if "name" in seen and "formula" in seen:
        raise ApiError(422, "give name or formula, not both", "formula", code="name_and_formula")
    if "formula" not in seen:
        for key in seen:
            if key not in _QUERY_KEYS:
                raise _unknown(key, ["name", "formula", *sorted(GRID_KEYS), *PARAM_IDS])
    if "name" not in seen and "formula" not in seen:
        raise RequestValidationError([{"type": "missing", "loc": ("query", "name"), "msg": "Field required (name, or formula)", "input": None}])
    try:
        grid = GridOptions.model_validate({k: v for k, v in seen.items() if k in GRID_KEYS})
    except ValidationError as e:
        raise RequestValidationError([{**err, "loc": ("query", *err["loc"])} for err in e.errors()]) from None
    grid.check()
    if "formula" in seen:
        act, values = _query_formula(seen, GRID_KEYS, sorted(GRID_KEYS))
    else:
        params = {k: v for k, v in seen.items() if k in PARAM_IDS}
        for k, v in params.items():
            if len(v) > MAX_VALUE_CHARS:
                raise ApiError(422, f"{k}: at most {MAX_VALUE_CHARS} characters (got {len(v)})", k, code="too_long", max=MAX_VALUE_CHARS)
        act, values = resolve(seen["name"], params)
    key = dumps({"n": act.id, "p": values, "g": grid.model_dump()}).decode()
    query = CurveQuery(act, values, grid, etag_for(key))
    if len(_PARSED) >= _PARSED_MAX:
        _PARSED.clear()
    _PARSED[query_string] = query
    return query


def parse_formula_query(query_string: bytes) -> tuple[acts.Activation, dict, str]:
    """GET /api/formula's query: ``formula=`` and its parameters (as in /api/curve)."""
    seen = _pairs(query_string)
    if "formula" not in seen:
        raise RequestValidationError([{"type": "missing", "loc": ("query", "formula"), "msg": "Field required", "input": None}])
    act, values = _query_formula(seen, frozenset(), [])
    return act, values, etag_for(dumps({"formula": act.id, "p": values}).decode())


# ----------------------------------------------------------------------------- routes


# (response_class=JSONResponse only tells /docs the body is the response_model's JSON; the
# handlers return orjson bytes themselves)
@router.get("/activations", summary="The activation catalogue", response_model=CatalogueResponse, response_class=JSONResponse)
def list_activations(request: Request) -> Response:
    """Every activation: id, name, formula (LaTeX and MathML), parameters with ranges and
    defaults, properties, derivative convention at kinks."""
    return cached_json(request, "activations", catalogue_json)


@router.get(
    "/curve",
    summary="One activation's curve and exact derivative",
    response_model=CurveResponse,
    response_class=JSONResponse,
    openapi_extra={"parameters": _curve_parameters()},
    responses={503: {"model": ErrorResponse, "description": "Too many new curves are being computed; retry after Retry-After seconds"}},
)
async def get_curve(request: Request) -> Response:
    """f(x) and f'(x) on a grid, plus the noisy/random band and samples where they apply.
    Parameters not given take their defaults; each is checked against its declared range.
    A curve seen before is answered from memory (or 304); a new one is computed off the
    event loop."""
    q = parse_curve_query(request.scope["query_string"])
    inm, ae = headers_of(request)
    hit = cached_response(q.etag, JSON_TYPE, CACHE_CONTROL, inm, ae)
    if hit is not None:
        return hit
    build = lambda: dumps(curve_json(q.act, q.params, q.grid))
    payload, gzipped = await asyncio.wrap_future(curve_pool(request).submit(lambda: render_stored(q.etag, build, ae)))
    return stored_response(q.etag, payload, gzipped, JSON_TYPE, CACHE_CONTROL)


@router.post("/curves", summary="Several curves at once (overlays)", response_model=CurvesResponse, response_class=JSONResponse,
             responses={503: {"model": ErrorResponse, "description": "Too many new curves are being computed; retry after Retry-After seconds"}})
async def post_curves(body: CurvesRequest, request: Request) -> Response:
    body.check()
    resolved = [spec.resolve(f"curves.{i}.", default=None) for i, spec in enumerate(body.curves)]
    accept = request.headers.get("accept-encoding")
    job = lambda: pack(dumps({"curves": [curve_json(act, values, body) for act, values in resolved]}), accept)
    payload, packed = await asyncio.wrap_future(curve_pool(request).submit(job))
    return dynamic(request, payload, packed=packed)


def curve_pool(request: Request) -> TrainingPool:
    """The app's threads for curves (see CURVE_THREADS)."""
    return request.app.state.curve_pool


class FormulaResponse(FormulaInfo):
    activation: ActivationInfo = Field(description="The formula as a catalogue entry (what GET /api/activations lists for a built-in).")


@router.get(
    "/formula",
    summary="Your own activation: check a formula, its derivative, properties and PyTorch snippet",
    response_model=FormulaResponse,
    response_class=JSONResponse,
    openapi_extra={"parameters": _curve_parameters(grid_too=False)},
)
async def get_formula(request: Request) -> Response:
    """The formula in its canonical text, with its exact derivative (text, LaTeX, MathML),
    its parameters (declared ranges), properties measured numerically at the given values,
    the convention at kinks, a torch.nn.Module with the same forward, and the formula as a
    catalogue entry. A formula that does not compile is a 422 whose ``code`` says why and
    whose ``position`` and ``end`` say where in the text."""
    act, values, etag = parse_formula_query(request.scope["query_string"])
    inm, ae = headers_of(request)
    hit = cached_response(etag, JSON_TYPE, CACHE_CONTROL, inm, ae)
    if hit is not None:
        return hit
    # where f or f′ is not finite on the line (the grid its properties are measured on)
    build = lambda: dumps({**formula_json(act, values), "finite": finite_json(act.formula.check_finite(PROPERTY_GRID, **values)), "activation": describe(act)})
    payload, gzipped = await asyncio.wrap_future(curve_pool(request).submit(lambda: render_stored(etag, build, ae)))
    return stored_response(etag, payload, gzipped, JSON_TYPE, CACHE_CONTROL)
