"""The catalogue and curve endpoints: validate, call ``app.core``, shape JSON."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any, Literal
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from latex2mathml.converter import convert as latex_to_mathml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from app.core import activations as acts
from app.core.curves import SATURATION_EPS, Curve, sample_curve

from .errors import ERROR_RESPONSES, ApiError, ErrorResponse
from .pool import TrainingPool
from .responses import CACHE_CONTROL, JSON_TYPE, cached_json, cached_response, dumps, dynamic, etag_for, headers_of, pack, render_stored, stored_response

router = APIRouter(prefix="/api", tags=["activations"], responses=ERROR_RESPONSES)

# Sizes a request controls, and their caps.
X_LIMIT = 1e4
MAX_POINTS = 10_001
MAX_SAMPLES = 5_000
MAX_SPECS = 8
# Curves not yet cached are computed — and compressed — by CURVE_THREADS threads of their
# own, with at most CURVE_QUEUE more waiting (beyond: 503 busy): a flood of new, large curves
# neither blocks the event loop nor takes the threads other routes run in.
CURVE_THREADS = 1
CURVE_QUEUE = 256
ActivationName = Literal[acts.IDS]  # type: ignore[valid-type]


@cache
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
        "properties": act.properties.as_dict(),
        "convention": act.convention,
        "kinks": act.kinks(**act.defaults()),
        "orders": [o.as_dict() for o in act.orders],
        "stochastic": act.stochastic.description if act.stochastic else None,
    }


@lru_cache(maxsize=1)
def catalogue_json() -> dict[str, Any]:
    return {"activations": [describe(a) for a in acts.CATALOGUE], "saturation_eps": SATURATION_EPS}


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


class CurveSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: ActivationName = Field(description="Activation id, as listed by /api/activations.")  # type: ignore[valid-type]
    params: dict[str, float | str] = Field(default_factory=dict, max_length=8, description="Parameter values; missing ones take their defaults.")


class CurvesRequest(GridOptions):
    # strict: a JSON body says what it means (no "5" for 5, no true for 1); the query
    # string of GET /api/curve is text, so GridOptions itself stays lax.
    model_config = ConfigDict(extra="forbid", strict=True)

    curves: list[CurveSpec] = Field(min_length=1, max_length=MAX_SPECS)


class CurveResponse(BaseModel):
    """The schema of one curve (documentation; responses are serialised straight from numpy)."""

    name: str
    params: dict[str, float | str]
    x: list[float]
    y: list[float]
    dy: list[float]
    kinks: list[float]
    convention: str
    torch: str | None = Field(description="The torch.nn module with these parameters (null where torch.nn has none).")
    regions: list[dict[str, Any]]
    noise: dict[str, Any] | None = None


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
        "convention": act.convention,
        "torch": act.torch_call(params),
        "regions": [{"kind": r.kind, "x0": r.x0, "x1": r.x1} for r in c.regions],
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
    return out


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


def _curve_parameters() -> list[dict[str, Any]]:
    """The OpenAPI parameters of GET /api/curve: the activation, its parameters, the grid."""
    grid = GridOptions.model_json_schema()["properties"]
    out: list[dict[str, Any]] = [{"name": "name", "in": "query", "required": True, "description": "Activation id", "schema": {"type": "string", "enum": list(acts.IDS)}}]
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


def parse_curve_query(query_string: bytes) -> CurveQuery:
    """The one reader of GET /api/curve's query: unknown or repeated names, bad numbers and
    out-of-range parameters raise errors naming the field."""
    hit = _PARSED.get(query_string)
    if hit is not None:
        return hit
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    seen: dict[str, str] = {}
    for key, value in pairs:
        if key in seen:
            raise ApiError(422, f"{key} is given more than once", key, code="repeated")
        if key not in _QUERY_KEYS:
            allowed = ", ".join(["name", *sorted(GRID_KEYS), *PARAM_IDS])
            raise ApiError(422, f"unknown query parameter {key!r}; allowed: {allowed}", key, code="unknown_field", allowed=["name", *sorted(GRID_KEYS), *PARAM_IDS])
        seen[key] = value
    if "name" not in seen:
        raise RequestValidationError([{"type": "missing", "loc": ("query", "name"), "msg": "Field required", "input": None}])
    try:
        grid = GridOptions.model_validate({k: v for k, v in seen.items() if k in GRID_KEYS})
    except ValidationError as e:
        raise RequestValidationError([{**err, "loc": ("query", *err["loc"])} for err in e.errors()]) from None
    grid.check()
    params = {k: v for k, v in seen.items() if k in PARAM_IDS}
    for k, v in params.items():
        if len(v) > 32:
            raise ApiError(422, f"{k}: at most 32 characters (got {len(v)})", k, code="too_long", max=32)
    act, values = resolve(seen["name"], params)
    key = dumps({"n": act.id, "p": values, "g": grid.model_dump()}).decode()
    query = CurveQuery(act, values, grid, etag_for(key))
    if len(_PARSED) >= _PARSED_MAX:
        _PARSED.clear()
    _PARSED[query_string] = query
    return query


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
    resolved = [resolve(spec.name, spec.params, f"curves.{i}.params.", text_numbers=False) for i, spec in enumerate(body.curves)]
    accept = request.headers.get("accept-encoding")
    job = lambda: pack(dumps({"curves": [curve_json(act, values, body) for act, values in resolved]}), accept)
    payload, packed = await asyncio.wrap_future(curve_pool(request).submit(job))
    return dynamic(request, payload, packed=packed)


def curve_pool(request: Request) -> TrainingPool:
    """The app's threads for curves (see CURVE_THREADS)."""
    return request.app.state.curve_pool
