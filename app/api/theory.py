"""Mean-field theory endpoints: what the Theory view draws, and the predictions the network
view lays over its measured gradients. Thin: validate, bound, call ``app.core.theory``.

Every GET names an activation as /api/curve does (``name=`` and its parameters, checked
against the catalogue; or ``formula=`` with a typed formula, see :func:`phi_for`),
plus its own options. Each request's work is estimated with
:func:`app.core.theory.compute_budget` before anything runs and refused beyond
``MAX_EVALS`` (422, code ``budget``, with ``cost``, ``limit`` and the fields to ``reduce``).
The answers are deterministic, so they carry a strong ETag and are kept in the response
cache; a miss is computed off the event loop. POST /api/theory/network runs the training
engine at initialisation (in the training pool) and sets the prediction beside it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qsl

import numpy as np
from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, ValidationError, ValidationInfo, field_validator
from starlette.concurrency import run_in_threadpool

from app.core import activations as acts
from app.core import theory as T
from app.core.datasets import make_dataset
from app.core.errors import BudgetError
from app.core.formula import DEFAULT_LIMITS
from app.core.network import SIGMA_B2_RANGE, SIGMA_W2_RANGE
from app.core.theory import depth as theory_depth
from app.core.theory import kernels as theory_kernels
from app.core.theory.engine import BAND, measured_gradients, predict_gradients

from . import activations as curve_api
from . import training, training_schemas
from .deps import PoolDep, SettingsDep
from .errors import ERROR_RESPONSES, ApiError, ErrorResponse
from .pool import Result, run_in_pool
from .responses import CACHE_CONTROL, JSON_TYPE, built_response, cached_response, dumps, etag_for, headers_of
from .theory_schemas import CriticalResponse, InitResponse, KernelResponse, MeanVarResponse, NetworkResponse, PhaseResponse, PropagationResponse

router = APIRouter(prefix="/api/theory", tags=["theory"], responses=ERROR_RESPONSES)

# Sizes a request controls, and their caps (the compute budget bounds their products).
MAX_DEPTH = theory_depth.MAX_DEPTH  # 50 layers
MAX_WIDTH = theory_depth.MAX_WIDTH  # 256 units (the Monte Carlo of init_over_depth)
MAX_DRAWS = theory_depth.MAX_DRAWS  # 64 random networks
MAX_GRID = 61  # points per axis of a phase diagram
MAX_LINE = 41  # points of a critical line
MAX_RHO = 201  # points of k(ρ)
MAX_ORDER = 2000  # Hermite coefficients a_0 … a_order
MAX_MV_STEPS = 200  # steps of the (mean, variance) map
Q_RANGE = (1e-3, 100.0)  # input second moments q_in and kernel variances q
# the critical σ_w² is searched in this range (the core's scan)
CRITICAL_SEARCH = (0.1, 10.0)
# starting points (μ₀, ν₀) of the (mean, variance) flows the view draws
MV_STARTS: tuple[tuple[float, float], ...] = ((1.0, 2.0), (-0.8, 3.0), (0.5, 0.25), (-0.5, 0.6), (1.5, 4.0))
THEORY_INITS = (*T.INITS, "custom")  # lecun, glorot, he: σ_w² 1, 1, 2 for square layers


# ----------------------------------------------------------------------------- the activation


@dataclass(frozen=True)
class Source:
    """What a request is about: the theory's Phi, its description in answers, and its cache key."""

    phi: T.Phi
    activation: dict[str, Any]
    key: str


# a formula's text: the formula grammar's own cap (app.core.formula)
MAX_FORMULA_CHARS = DEFAULT_LIMITS.max_chars


def phi_for(name: str | None, params: dict[str, str], formula: str | None, options: frozenset[str] = frozenset()) -> Source:
    """The activation a query names, as the theory's :class:`~app.core.theory.Phi`.

    The one place where a query becomes a Phi. A typed formula (``formula=`` with its own
    parameters, read as GET /api/curve reads them) is compiled to the same Activation the
    rest of the app uses; where its kinks cannot be found exactly it is integrated
    adaptively (``kinks=None``; the budget counts that with ``phi.adaptive``)."""
    if formula is not None:
        if name is not None:
            raise ApiError(422, "name and formula: give one of them", "formula", code="conflict")
        act, values = curve_api._query_formula({"formula": formula, **params}, options, sorted(options))
        return Source(T.phi_from_activation(act, values), curve_api.activation_json(act, values), dumps({"n": act.id, "p": values}).decode())
    if name is None:
        raise RequestValidationError([{"type": "missing", "loc": ("query", "name"), "msg": "Field required", "input": None}])
    act, values = curve_api.resolve(name, params)
    return Source(T.phi_from_activation(act, values), {"name": act.id, "params": values}, dumps({"n": act.id, "p": values}).decode())


def budget(phi: T.Phi, **sizes: int) -> dict[str, int]:
    """compute_budget for this Phi (known kinks, or unknown: adaptive)."""
    return T.compute_budget(n_kinks=len(phi.kinks) if phi.kinks is not None else 2, adaptive=phi.adaptive, **sizes)


def check_budget(cost: float, field: str, reduce: list[str]) -> None:
    if cost > T.MAX_EVALS:
        raise BudgetError(field, f"this request needs about {cost:.3g} evaluations of the activation; the limit is {T.MAX_EVALS:.3g}: reduce {', '.join(reduce)}",
                          "budget", cost=float(cost), limit=T.MAX_EVALS, reduce=reduce)


# ----------------------------------------------------------------------------- options


class TheoryQuery(BaseModel):
    """Options read from a query string: numbers as plain decimals."""

    @field_validator("*", mode="before")
    @classmethod
    def _plain_decimal(cls, v: Any, info: ValidationInfo) -> Any:
        numeric = cls.model_fields[info.field_name].annotation in (int, float, float | None)
        if numeric and isinstance(v, str) and not acts.DECIMAL.fullmatch(v):
            raise ValueError("must be a plain decimal number")
        return v

    def check(self) -> None:
        """Constraints between fields (an ApiError naming one)."""


SigmaW2 = Field(2.0, ge=SIGMA_W2_RANGE[0], le=SIGMA_W2_RANGE[1], allow_inf_nan=False, description="σ_w²: weights N(0, σ_w²/fan_in).")
SigmaB2 = Field(0.0, ge=SIGMA_B2_RANGE[0], le=SIGMA_B2_RANGE[1], allow_inf_nan=False, description="σ_b²: biases N(0, σ_b²).")
QIn = Field(1.0, ge=Q_RANGE[0], le=Q_RANGE[1], allow_inf_nan=False, description="Second moment of the input, ‖x‖²/N (q₁ = σ_w² q_in + σ_b²).")


class PropagationOptions(TheoryQuery):
    sigma_w2: float = SigmaW2
    sigma_b2: float = SigmaB2
    depth: int = Field(20, ge=1, le=MAX_DEPTH, description="Layers of the per-layer predictions.")
    q_in: float = QIn
    c_in: float = Field(0.5, ge=-1.0, le=1.0, allow_inf_nan=False, description="Correlation between two inputs, for the per-layer c_l.")


class CriticalOptions(TheoryQuery):
    sigma_b2: float | None = Field(None, ge=SIGMA_B2_RANGE[0], le=SIGMA_B2_RANGE[1], allow_inf_nan=False, description="σ_b² of the one point wanted; without it, the line on n points of [0, sigma_b2_max] (denser near 0, where it bends most).")
    sigma_b2_max: float = Field(1.0, gt=0.0, le=SIGMA_B2_RANGE[1], allow_inf_nan=False, description="The line's largest σ_b².")
    n: int = Field(7, ge=2, le=MAX_LINE, description="Points of the line.")
    q_in: float = QIn


class PhaseOptions(TheoryQuery):
    sigma_w2_min: float = Field(0.25, ge=SIGMA_W2_RANGE[0], le=SIGMA_W2_RANGE[1], allow_inf_nan=False, description="Left end of the σ_w² axis.")
    sigma_w2_max: float = Field(4.0, ge=SIGMA_W2_RANGE[0], le=SIGMA_W2_RANGE[1], allow_inf_nan=False, description="Right end of the σ_w² axis.")
    n_w: int = Field(24, ge=2, le=MAX_GRID, description="Points along σ_w².")
    sigma_b2_max: float = Field(1.0, gt=0.0, le=SIGMA_B2_RANGE[1], allow_inf_nan=False, description="Top of the σ_b² axis (its bottom is 0).")
    n_b: int = Field(11, ge=2, le=MAX_GRID, description="Points along σ_b².")
    q_in: float = QIn

    def check(self) -> None:
        if not self.sigma_w2_min < self.sigma_w2_max:
            raise ApiError(422, f"sigma_w2_max must be greater than sigma_w2_min (got {self.sigma_w2_min:g} and {self.sigma_w2_max:g})", "sigma_w2_max", code="constraint")


class KernelOptions(TheoryQuery):
    q: float = Field(1.0, ge=Q_RANGE[0], le=Q_RANGE[1], allow_inf_nan=False, description="Variance of the pre-activations u, v.")
    n_rho: int = Field(41, ge=2, le=MAX_RHO, description="Points of ρ on [−1, 1].")
    order: int = Field(24, ge=0, le=MAX_ORDER, description="Hermite coefficients a_0 … a_order.")


class InitOptions(TheoryQuery):
    init: Literal[THEORY_INITS] = Field("he", description="lecun (σ_w² = 1), glorot (1 for square layers), he (2), or custom (sigma_w2, sigma_b2).")  # type: ignore[valid-type]
    sigma_w2: float = SigmaW2
    sigma_b2: float = SigmaB2
    depth: int = Field(MAX_DEPTH, ge=1, le=MAX_DEPTH, description="Layers.")
    width: int = Field(MAX_WIDTH, ge=1, le=MAX_WIDTH, description="Units per layer of the random networks.")
    draws: int = Field(32, ge=1, le=MAX_DRAWS, description="Random networks (weight draws) for the median and the band.")
    q_in: float = QIn
    seed: int = Field(0, ge=0, le=2**32 - 1, description="Seed of the weight draws.")

    def check(self) -> None:
        training.check_custom_only(self)


class MeanVarOptions(TheoryQuery):
    steps: int = Field(20, ge=1, le=MAX_MV_STEPS, description="Layers of each flow.")
    omega: float = Field(0.0, ge=-1.0, le=1.0, allow_inf_nan=False, description="ω = Σ_j w_j of a unit's weights (0: normalised).")
    tau: float = Field(1.0, ge=0.25, le=4.0, allow_inf_nan=False, description="τ = Σ_j w_j² of a unit's weights (1: LeCun normal).")


# ----------------------------------------------------------------------------- reading a query


@dataclass(frozen=True)
class Query:
    source: Source
    options: Any
    etag: str


def read_query(request: Request, route: str, model: type[TheoryQuery]) -> Query:
    """The one reader of a theory GET's query: unknown or repeated names, bad numbers and
    out-of-range values raise errors naming the field."""
    pairs = parse_qsl(request.scope["query_string"].decode("latin-1"), keep_blank_values=True)
    allowed = ["name", "formula", *model.model_fields, *curve_api.PARAM_IDS]
    typed = any(k == "formula" for k, _ in pairs)  # then the formula's parameters are checked where it is compiled
    seen: dict[str, str] = {}
    for key, value in pairs:
        if key in seen:
            raise ApiError(422, f"{key} is given more than once", key, code="repeated")
        if key not in allowed and not typed:
            raise ApiError(422, f"unknown query parameter {key!r}; allowed: {', '.join(allowed)}", key, code="unknown_field", allowed=allowed)
        if key == "formula":
            if len(value) > MAX_FORMULA_CHARS:
                raise ApiError(422, f"formula: at most {MAX_FORMULA_CHARS} characters (got {len(value)})", key, code="too_long", max=MAX_FORMULA_CHARS)
        elif len(value) > 64:
            raise ApiError(422, f"{key}: at most 64 characters (got {len(value)})", key, code="too_long", max=64)
        seen[key] = value
    try:
        options = model.model_validate({k: v for k, v in seen.items() if k in model.model_fields})
    except ValidationError as e:
        raise RequestValidationError([{**err, "loc": ("query", *err["loc"])} for err in e.errors()]) from None
    options.check()
    if "formula" in seen:  # a formula's parameters have the names the formula gives them
        params = {k: v for k, v in seen.items() if k not in model.model_fields and k not in ("name", "formula")}
    else:
        params = {k: v for k, v in seen.items() if k in curve_api.PARAM_IDS}
    source = phi_for(seen.get("name"), params, seen.get("formula"), frozenset(model.model_fields))
    return Query(source, options, etag_for(f"theory|{route}|{source.key}|{dumps(options.model_dump()).decode()}"))


async def answer(request: Request, q: Query, build: Callable[[], dict[str, Any]]) -> Response:
    """304, or the cached body, or the body built off the event loop (then cached)."""
    inm, ae = headers_of(request)
    hit = cached_response(q.etag, JSON_TYPE, CACHE_CONTROL, inm, ae)
    if hit is not None:
        return hit
    body = await run_in_threadpool(lambda: dumps(build()))
    return built_response(q.etag, body, JSON_TYPE, CACHE_CONTROL, ae)


def _param_doc(pid: str) -> str:
    return curve_api._param_doc(pid)


def query_parameters(model: type[TheoryQuery]) -> list[dict[str, Any]]:
    """The OpenAPI parameters of a theory GET: the activation, its parameters, the options."""
    out: list[dict[str, Any]] = [
        {"name": "name", "in": "query", "required": False, "description": "Activation id (required unless formula is given).", "schema": {"type": "string", "enum": list(acts.IDS)}},
        {"name": "formula", "in": "query", "required": False, "description": "A typed formula of x (instead of name), e.g. x*sigmoid(b*x); its parameters are query names.", "schema": {"type": "string", "maxLength": MAX_FORMULA_CHARS}},
    ]
    out += [{"name": pid, "in": "query", "required": False, "description": _param_doc(pid), "schema": {"type": "string", "maxLength": 32}} for pid in curve_api.PARAM_IDS]
    for key, schema in model.model_json_schema()["properties"].items():
        schema = {k: v for k, v in schema.items() if k != "title"}
        if "anyOf" in schema:  # optional: its real type
            real = [o for o in schema.pop("anyOf") if o.get("type") != "null"][0]
            schema = {**real, **schema}
        out.append({"name": key, "in": "query", "required": False, "description": schema.pop("description", ""), "schema": schema})
    return out


def _route(path: str, summary: str, model: type[TheoryQuery], response: type[BaseModel]) -> Callable:
    # (response_class=JSONResponse only tells /docs the body is the response model's JSON; the
    # handlers return orjson bytes themselves)
    return router.get(path, summary=summary, response_model=response, response_class=JSONResponse, openapi_extra={"parameters": query_parameters(model)})


# ----------------------------------------------------------------------------- routes


@_route("/propagation", "Signal propagation at (σ_w², σ_b²): q*, c*, χ₁, depth scales, per-layer predictions", PropagationOptions, PropagationResponse)
async def get_propagation(request: Request) -> Response:
    """q*, c*, χ₁ = σ_w² E[φ′(√q* z)²] (its phase: ordered < 1 < chaotic), χ_c, the depth
    scales ξ_q and ξ_c (null where infinite), and per layer l = 1..depth from an input of
    second moment q_in: q_l, c_l (two inputs of correlation c_in), χ(q_l) and the predicted
    log₁₀ gradient norm relative to the last layer."""
    q = read_query(request, "propagation", PropagationOptions)
    o: PropagationOptions = q.options
    phi = q.source.phi
    b = budget(phi, depth=o.depth)
    check_budget(b["signal_propagation"] + b["gradient_prediction"] + b["c_trajectory"], "depth", ["depth"])

    def build() -> dict[str, Any]:
        sp = T.signal_propagation(phi, o.sigma_w2, o.sigma_b2, o.q_in)
        grad = T.gradient_prediction(phi, o.sigma_w2, o.sigma_b2, o.depth, o.q_in)
        corr = T.c_trajectory(phi, o.sigma_w2, o.sigma_b2, o.depth, o.q_in, o.c_in)
        layers = {"layer": grad["layer"], "q": grad["q"], "c": corr["c"], "chi": grad["chi"], "log10_grad_norm": grad["log10_grad_norm"]}
        return {"activation": q.source.activation, **sp, "q_in": o.q_in, "c_in": o.c_in, "depth": o.depth, "layers": layers, "extrapolated_from": grad["extrapolated_from"]}

    return await answer(request, q, build)


@_route("/critical", "The critical σ_w² (χ₁ = 1) at σ_b², or the whole critical line", CriticalOptions, CriticalResponse)
async def get_critical(request: Request) -> Response:
    """With ``sigma_b2``: the σ_w² where χ₁ = 1 there (null if none in [0.1, 10]) and q*
    there, or where χ₁ jumps over 1 instead (``jump_sigma_w2``: GELU, SiLU, Mish at small σ_b²). Without: the critical line on ``n`` points of σ_b² ∈ [0, sigma_b2_max]. (ReLU:
    σ_w² = 2 on the whole line, but q* exists only at σ_b² = 0: the critical point (2, 0).)
    The line's σ_b² are sigma_b2_max·(i/(n − 1))³, i = 0..n−1: denser near 0, where the line
    rises steeply (tanh: σ_w² 1 at σ_b² = 0, 1.42 at 0.01, 1.76 at 0.05)."""
    q = read_query(request, "critical", CriticalOptions)
    o: CriticalOptions = q.options
    phi = q.source.phi
    b = budget(phi)
    points = 1 if o.sigma_b2 is not None else o.n
    check_budget(points * (b["critical_sigma_w2"] + b["fixed_point"]), "n", ["n"] if o.sigma_b2 is None else [])

    def build() -> dict[str, Any]:
        sb2 = [o.sigma_b2] if o.sigma_b2 is not None else (o.sigma_b2_max * np.linspace(0.0, 1.0, o.n) ** 3).tolist()
        line = T.critical_line(phi, sb2, *CRITICAL_SEARCH, q_in=o.q_in)
        out = {"activation": q.source.activation, "q_in": o.q_in, "search": list(CRITICAL_SEARCH)}
        if o.sigma_b2 is not None:
            return {**out, "sigma_b2": o.sigma_b2, "sigma_w2": line["sigma_w2"][0], "q_star": line["q_star"][0], "jump_sigma_w2": line["jump_sigma_w2"][0]}
        return {**out, "line": line}

    return await answer(request, q, build)


@_route("/phase", "Phase diagram: χ₁ over the (σ_w², σ_b²) plane", PhaseOptions, PhaseResponse)
async def get_phase(request: Request) -> Response:
    """χ₁ and log χ₁ at q* (at large q where q diverges), q* and the phase (ordered,
    critical, chaotic) on a grid: rows are σ_b² ∈ [0, sigma_b2_max], columns σ_w²."""
    q = read_query(request, "phase", PhaseOptions)
    o: PhaseOptions = q.options
    phi = q.source.phi
    check_budget(budget(phi, n_sigma_w2=o.n_w, n_sigma_b2=o.n_b)["phase_diagram"], "n_w", ["n_w", "n_b"])

    def build() -> dict[str, Any]:
        sw2 = np.linspace(o.sigma_w2_min, o.sigma_w2_max, o.n_w).tolist()
        sb2 = np.linspace(0.0, o.sigma_b2_max, o.n_b).tolist()
        return {"activation": q.source.activation, "q_in": o.q_in, **T.phase_diagram(phi, sw2, sb2, o.q_in)}

    return await answer(request, q, build)


@_route("/kernel", "The NNGP kernel k(ρ) and the Hermite coefficients", KernelOptions, KernelResponse)
async def get_kernel(request: Request) -> Response:
    """k(ρ) = E[φ(u)φ(v)] for (u, v) of variance q and correlation ρ on ``n_rho`` points of
    [−1, 1] (ReLU also gets the arc-cosine closed form), and the Hermite coefficients a_0 …
    a_order of φ(√q z) with Σ a_k² against E[φ²] (k(ρ) = Σ a_k² ρ^k)."""
    q = read_query(request, "kernel", KernelOptions)
    o: KernelOptions = q.options
    phi = q.source.phi
    b = budget(phi, n_rho=o.n_rho, order=o.order)
    check_budget(b["nngp_kernel"] + b["hermite_coefficients"], "n_rho", ["n_rho", "order"])

    def build() -> dict[str, Any]:
        rho = np.linspace(-1.0, 1.0, o.n_rho)
        k = T.nngp_kernel(phi, rho, o.q)
        closed = {"name": "arc-cosine (Cho & Saul 2009)", "k": T.arccos_kernel(rho, o.q)} if q.source.activation.get("name") == "relu" else None
        return {"activation": q.source.activation, "q": o.q, "rho": k["rho"], "k": k["k"], "closed_form": closed, "hermite": T.hermite_coefficients(phi, o.order, o.q)}

    return await answer(request, q, build)


@_route("/init", "Activation variance over depth at initialisation: prediction and random networks", InitOptions, InitResponse)
async def get_init(request: Request) -> Response:
    """q_l, l = 1..depth, for an initialisation: the mean-field prediction and the median and
    10–90 % band over ``draws`` random networks of ``width`` units (seeded), and the median
    of q_l/q₁ (He keeps ReLU's q_l; LeCun halves it per layer, 2⁻⁴⁹ over 50 layers)."""
    q = read_query(request, "init", InitOptions)
    o: InitOptions = q.options
    phi = q.source.phi
    b = budget(phi, depth=o.depth, width=o.width, draws=o.draws)
    check_budget(b["init_over_depth"] + b["init_over_depth_normals"], "draws", ["draws", "width", "depth"])

    def build() -> dict[str, Any]:
        custom = o.init == "custom"
        out = T.init_over_depth(phi, o.init, sigma_w2=o.sigma_w2 if custom else None, sigma_b2=o.sigma_b2 if custom else None,
                                depth=o.depth, width=o.width, draws=o.draws, q_in=o.q_in, seed=o.seed)
        return {"activation": q.source.activation, "q_in": o.q_in, "width": o.width, "draws": o.draws, "seed": o.seed, **out}

    return await answer(request, q, build)


@_route("/mean_var", "The (mean, variance) map across layers and its fixed point (SELU: (0, 1))", MeanVarOptions, MeanVarResponse)
async def get_mean_var(request: Request) -> Response:
    """Klambauer et al.'s map g(μ, ν) = (E[φ(z)], Var[φ(z)]), z ~ N(μω, ντ): the flows from a
    few starting points over ``steps`` layers and the fixed point the iteration reaches from
    (1, 2), with the spectral radius of its Jacobian (< 1: attracting). SELU with ω = 0,
    τ = 1 (normalised LeCun-normal weights): (0, 1)."""
    q = read_query(request, "mean_var", MeanVarOptions)
    o: MeanVarOptions = q.options
    phi = q.source.phi
    b = budget(phi, mv_steps=o.steps)
    check_budget(len(MV_STARTS) * b["mean_var_flow"] + b["mean_var_fixed_point"], "steps", ["steps"])

    def build() -> dict[str, Any]:
        flows = [{"start": list(s), **T.mean_var_flow(phi, s, o.steps, o.omega, o.tau)} for s in MV_STARTS]
        fp = T.mean_var_fixed_point(phi, o.omega, o.tau)
        return {"activation": q.source.activation, "omega": o.omega, "tau": o.tau, "steps": o.steps, "flows": flows, "fixed_point": fp,
                "max_steps": theory_kernels.MV_MAX_STEPS}

    return await answer(request, q, build)


@router.post(
    "/network", summary="Predicted and measured per-layer gradients at initialisation of an explorer network", response_model=NetworkResponse, response_class=JSONResponse,
    responses={503: {"model": ErrorResponse, "description": "Every training slot is busy; retry after Retry-After seconds"}},
)
async def post_network(body: training_schemas.InitStatsRequest, request: Request, pool: PoolDep, settings: SettingsDep) -> Response:
    """For the network /api/init_stats describes (same body): per hidden layer, the gradient
    at the layer's input ‖∂L/∂(input of layer l)‖ relative to the last layer — predicted by
    mean-field theory for this network's initialisation (each layer's σ_w² = fan_in·Var(W)),
    its training inputs (each with its own second moment) and activation, and measured by
    the training engine over ``seeds`` weight draws (median and 10–90 % band, log₁₀; draws
    whose gradient vanished entirely are left out, ``draws`` counts the rest). No prediction
    with a non-zero ``bias_init`` (the theory's biases have mean 0). Past the server's time
    limit the seeds not yet done are left out and ``cut_short`` is true."""
    resolved = training.resolve_activations(body)
    plans = [training.init_stats_plan(body, name, params) for name, params in resolved]
    seeds = [body.seed + i for i in range(body.seeds)]
    echo = training.normalised(body, plans[0][0], resolved)
    for config, _ in plans:
        phi = T.phi_from_activation(acts.get(config.variants[0].activation), config.variants[0].params)
        n_inputs = min(config.n_train, 33)
        check_budget(budget(phi, depth=config.arch.depth, n_inputs=n_inputs)["gradient_prediction_inputs"], "depth", ["depth"])

    limit = settings.train_timeout_s

    def job(stop: threading.Event) -> Result | bytes:
        deadline = time.perf_counter() + limit
        series, cut, done = [], False, len(seeds)
        for (config, groups), (name, params) in zip(plans, resolved):
            stats, short = training.init_stats_run(config, groups, stop, deadline)
            if stop.is_set():
                return b"{}"  # the client went away
            cut |= short
            done = min(done, len(stats["loss"]))
            predicted = predict_gradients(config, make_dataset(config.data, np.float64).x_train)
            series.append({
                "activation": curve_api.activation_json(acts.get(name), params),
                "sigma_w2": predicted.pop("sigma_w2"), "first_layer_sigma_w2": predicted.pop("first_layer_sigma_w2"),
                "sigma_b2": predicted.pop("sigma_b2"), "q_in": predicted.pop("q_in"),
                "predicted": predicted,
                "measured": measured_gradients(stats["grad_norm_input"]),
            })
        return Result(dumps({"config": echo, "seeds": seeds[:done], "cut_short": cut, "quantity": "grad_norm_input", "band": list(BAND), "series": series}), cut)

    return await run_in_pool(request, pool, job, key=training.run_key("theory_network", echo, body))

