"""Training endpoints: validate, run ``app.core.training`` in a bounded pool, shape JSON.

Runs execute off the event loop in a thread pool of ``settings.train_workers`` threads
(numpy releases the GIL in its heavy loops) with at most ``settings.train_queue`` runs
waiting; beyond that a request gets 503 with Retry-After. Each run stops after
``settings.train_timeout_s`` seconds of wall-clock time and returns what it has, with
``cut_short: true``. A run whose client goes away is cancelled (the engine polls a flag
once per epoch), so no computation outlives its request.

Numbers that do not exist — every value of a variant from the epoch it diverged, a
statistic that overflowed — are JSON ``null``; NaN and Infinity never appear.
"""

from __future__ import annotations

import asyncio
import math
import threading
from dataclasses import replace
from typing import Any, Literal

import numpy as np
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from app.core import activations as acts
from app.core.datasets import DATASETS, MIN_POINTS, DatasetSpec
from app.core.errors import BudgetError
from app.core.network import INITS, Architecture, Layout, Variant
from app.core.training import DTYPES, OPTIMIZERS, Trace, TrainConfig, check_budget, init_statistics, train

from .activations import ActivationFields, activation_json
from .deps import PoolDep, SettingsDep
from .errors import ERROR_RESPONSES, ApiError, ErrorResponse, error_body
from .pool import run_in_pool
from .responses import dumps

router = APIRouter(
    prefix="/api",
    tags=["training"],
    responses={**ERROR_RESPONSES, 503: {"model": ErrorResponse, "description": "Every training slot is busy; retry after Retry-After seconds"}},
)

# Caps on what a request controls (the compute budget in app.core.training caps their product).
MAX_POINTS = 2000
MAX_NOISE = 1.0
MAX_DEPTH = 12
MAX_WIDTH = 64
MAX_EPOCHS = 5000
MAX_FRAMES = 500
MAX_VARIANTS = 4
MAX_SWEEP_ACTIVATIONS = 3
MAX_SWEEP_VALUES = 16
MAX_BOUNDARY_FRAMES = 20
MAX_BOUNDARY_GRID = 80
# boundary_frames × boundary_grid² × variants: the probabilities one response may carry
MAX_BOUNDARY_CELLS = 200_000
MAX_INIT_SEEDS = 64
LEARNING_RATE_RANGE = (1e-4, 10.0)
MOMENTUM_MAX = 0.99
BIAS_INIT_LIMIT = 2.0
# /api/train/stream: progress events at most this often, a keep-alive comment when idle.
PROGRESS_INTERVAL_S = 0.05
KEEPALIVE_S = 1.0

ActivationName = Literal[acts.IDS]  # type: ignore[valid-type]


# ----------------------------------------------------------------------------- schemas


class ActivationChoice(ActivationFields):
    """A catalogue activation by ``name`` (relu when neither is given) or a typed ``formula``."""


class TrainRequest(BaseModel):
    """One network trained with 1–4 activations side by side (compare mode)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    dataset: Literal[DATASETS] = Field("moons", description="Toy problem: two moons, concentric circles, XOR, two spirals or two Gaussian blobs.")  # type: ignore[valid-type]
    n_points: int = Field(256, ge=MIN_POINTS, le=MAX_POINTS, description="Points in the dataset (training + test).")
    noise: float = Field(0.1, ge=0.0, le=MAX_NOISE, allow_inf_nan=False, description="Standard deviation of the Gaussian jitter added to every point.")
    test_fraction: float = Field(0.25, ge=0.05, le=0.9, allow_inf_nan=False, description="Share of the points held out as the test set.")
    depth: int = Field(3, ge=1, le=MAX_DEPTH, description="Hidden layers.")
    width: int = Field(8, ge=1, le=MAX_WIDTH, description="Units per hidden layer.")
    init: Literal[INITS] = Field("he", description="Weight initialisation: he N(0, 2/fan_in), glorot U(±√(6/(fan_in+fan_out))), lecun N(0, 1/fan_in), uniform U(±0.5).")  # type: ignore[valid-type]
    bias_init: float = Field(0.0, ge=-BIAS_INIT_LIMIT, le=BIAS_INIT_LIMIT, allow_inf_nan=False, description="Initial value of every bias.")
    activations: list[ActivationChoice] = Field(default_factory=lambda: [ActivationChoice()], min_length=1, max_length=MAX_VARIANTS, description="1–4 activations, each trained from the same initial weights on the same data.")
    optimizer: Literal[OPTIMIZERS] = Field("adam", description="adam (PyTorch's defaults β = (0.9, 0.999), ε = 1e-8) or sgd.")  # type: ignore[valid-type]
    learning_rate: float = Field(0.01, ge=LEARNING_RATE_RANGE[0], le=LEARNING_RATE_RANGE[1], allow_inf_nan=False)
    momentum: float = Field(0.0, ge=0.0, le=MOMENTUM_MAX, allow_inf_nan=False, description="SGD momentum (ignored by Adam).")
    batch_size: int = Field(0, ge=0, le=MAX_POINTS, description="Mini-batch size; 0 (or at least the training set) = full batch.")
    epochs: int = Field(300, ge=1, le=MAX_EPOCHS)
    frames: int = Field(100, ge=2, le=MAX_FRAMES, description="Recorded epochs, evenly spaced, first (at initialisation) and last included; clamped to epochs + 1.")
    boundary_frames: int = Field(5, ge=0, le=MAX_BOUNDARY_FRAMES, description="Recorded frames that also get a decision-boundary grid; clamped to frames.")
    boundary_grid: int = Field(40, ge=8, le=MAX_BOUNDARY_GRID, description="Boundary grid points per side.")
    seed: int = Field(0, ge=0, le=2**32 - 1, description="Seeds the data, the initial weights and the training noise (separate streams).")
    include_weights: bool = Field(False, description="Add every variant's initial and final weights and biases.")
    dtype: Literal[DTYPES] = Field("float64", description="Arithmetic precision.")  # type: ignore[valid-type]


class SweepSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    param: str = Field(description="learning_rate, momentum, or a float parameter of every listed activation (e.g. leak, alpha, sigma).", max_length=32)
    values: list[float] = Field(min_length=1, max_length=MAX_SWEEP_VALUES, description="1–16 values.")


class SweepRequest(TrainRequest):
    """The base fields of /api/train, each of 1–3 activations trained at every value of one parameter."""

    activations: list[ActivationChoice] = Field(default_factory=lambda: [ActivationChoice()], min_length=1, max_length=MAX_SWEEP_ACTIVATIONS)
    sweep: SweepSpec


class InitStatsRequest(TrainRequest):
    """Per-layer statistics at initialisation (no training) for ``seeds`` weight seeds."""

    seeds: int = Field(32, ge=1, le=MAX_INIT_SEEDS, description="Weight seeds seed, seed+1, …; the data use seed.")


class ActivationOut(BaseModel):
    """As requested: {name, params}, or {formula (canonical), params, ranges (every parameter's)}."""

    name: str | None = None
    formula: str | None = None
    params: dict[str, float | str]
    ranges: dict[str, dict[str, float]] | None = None


class VariantOut(BaseModel):
    """One trained variant (documentation; responses are serialised straight from numpy)."""

    activation: ActivationOut
    diverged_at_epoch: int | None
    loss: dict[str, list[float | None]]
    accuracy: dict[str, list[float | None]]
    layers: dict[str, list[list[float | None]] | None]
    histograms: dict[str, list[dict[str, list[float]]] | None]
    boundary: dict[str, Any] | None
    weights: dict[str, Any] | None


class TrainResponse(BaseModel):
    config: dict[str, Any]
    epochs: int
    frames: list[int]
    cut_short: bool
    elapsed_ms: float
    data: dict[str, Any]
    variants: list[VariantOut]


class InitStatsSeries(BaseModel):
    activation: ActivationOut
    layers: dict[str, list[list[float | None]]]  # statistic → [seed][layer]
    mean_over_seeds: dict[str, list[float | None]]
    loss: list[float | None]
    accuracy: list[float | None]


class InitStatsResponse(BaseModel):
    config: dict[str, Any]
    seeds: list[int]
    series: list[InitStatsSeries]


class SweepSeries(BaseModel):
    activation: ActivationOut
    final_loss: list[float | None]
    final_test_loss: list[float | None]
    final_train_accuracy: list[float | None]
    final_test_accuracy: list[float | None]
    dead_fraction: list[float | None]
    active_fraction: list[float | None]
    diverged_at_epoch: list[int | None]
    loss: list[list[float | None]]
    dead_fraction_curve: list[list[float | None]]


class SweepResponse(BaseModel):
    config: dict[str, Any]
    param: str
    values: list[float]
    frames: list[int]
    epochs: int
    cut_short: bool
    elapsed_ms: float
    series: list[SweepSeries]


# ----------------------------------------------------------------------------- planning


Resolved = list[tuple["str | acts.Activation", dict]]


def resolve_activations(body: TrainRequest) -> Resolved:
    """(what a Variant takes — a catalogue id, or a typed formula's Activation — and the
    validated params) per requested activation; errors name activations.i.params.p (or
    activations.i.formula with the formula's code and position)."""
    out: Resolved = []
    for i, choice in enumerate(body.activations):
        act, params = choice.resolve(f"activations.{i}.")
        out.append((act.id if act.formula is None else act, params))
    return out


def make_config(body: TrainRequest, variants: list[Variant], variants_field: str = "activations", **overrides: Any) -> TrainConfig:
    """The core's configuration, within the compute budget (``variants_field``: what the
    stacked variants are in the request — activations, sweep.values, seeds — named among
    what to reduce in a budget error)."""
    frames = min(body.frames, body.epochs + 1)
    config = TrainConfig(
        data=DatasetSpec(body.dataset, body.n_points, body.noise, body.test_fraction, body.seed),
        arch=Architecture(body.depth, body.width),
        init=body.init,
        bias_init=body.bias_init,
        variants=tuple(variants),
        optimizer=body.optimizer,
        learning_rate=body.learning_rate,
        momentum=body.momentum,
        batch_size=body.batch_size,
        epochs=body.epochs,
        frames=frames,
        boundary_frames=min(body.boundary_frames, frames),
        boundary_grid=body.boundary_grid,
        seed=body.seed,
        include_weights=body.include_weights,
        dtype=body.dtype,
    )
    if overrides:
        config = replace(config, **overrides)
    check_budget(config, variants_field)  # BudgetError: a 422 with code budget or memory
    cells = config.boundary_frames * config.boundary_grid**2 * len(variants)
    if cells > MAX_BOUNDARY_CELLS:
        raise BudgetError(
            "boundary_frames",
            f"boundary_frames × boundary_grid² × activations = {cells:,} exceeds {MAX_BOUNDARY_CELLS:,}: "
            "reduce boundary_frames or boundary_grid",
            "boundary_cells", cells=cells, limit=MAX_BOUNDARY_CELLS, reduce=["boundary_frames", "boundary_grid"],
        )
    return config


def normalised(body: TrainRequest, config: TrainConfig, resolved: Resolved) -> dict[str, Any]:
    out = body.model_dump()
    out["activations"] = [activation_json(acts.get(name), params) for name, params in resolved]
    out["frames"] = config.frames
    out["boundary_frames"] = config.boundary_frames
    return out


def sweep_variants(body: SweepRequest, resolved: Resolved) -> list[Variant]:
    """K = activations × values variants, activation-major."""
    param, values = body.sweep.param, body.sweep.values
    for j, v in enumerate(values):
        if not math.isfinite(v):
            raise ApiError(422, f"sweep.values.{j} must be a finite number", f"sweep.values.{j}", code="not_finite")
    out: list[Variant] = []
    if param in ("learning_rate", "momentum"):
        lo, hi = LEARNING_RATE_RANGE if param == "learning_rate" else (0.0, MOMENTUM_MAX)
        for j, v in enumerate(values):
            if not lo <= v <= hi:
                raise ApiError(422, f"sweep.values.{j}: {param} must be in [{lo:g}, {hi:g}] (got {v:g})", f"sweep.values.{j}", code="out_of_range", min=lo, max=hi)
        for name, params in resolved:
            out += [Variant(name, params, **{param: v}) for v in values]
        return out
    for name, params in resolved:
        act = acts.get(name)
        floats = [p.id for p in act.params if p.kind == "float"]
        if param not in floats:
            shared = set.intersection(*[{p.id for p in acts.get(n).params if p.kind == "float"} for n, _ in resolved])
            allowed = ", ".join(["learning_rate", "momentum", *sorted(shared)])
            raise ApiError(422, f"{act.name if act.formula is not None else act.id} has no float parameter {param!r}; sweep.param may be: {allowed}",
                           "sweep.param", code="not_a_choice", choices=allowed.split(", "))
        for j, v in enumerate(values):
            try:
                out.append(Variant(name, acts.resolve_params(act, {**params, param: v})))
            except acts.ParamError as e:
                raise ApiError(422, f"sweep.values.{j}: {e.message}", f"sweep.values.{j}", code=e.code, **e.info) from None
    return out


# ----------------------------------------------------------------------------- response shaping


def _activation(v: Variant) -> dict[str, Any]:
    return activation_json(acts.get(v.activation), dict(v.params))


def _hist_json(h: list | None) -> list[dict[str, Any]] | None:
    return None if h is None else [{"edges": edges, "counts": counts} for edges, counts in h]


def train_json(config: TrainConfig, trace: Trace, cfg_echo: dict[str, Any]) -> dict[str, Any]:
    layout = Layout(config.arch, ())
    d = trace.data
    variants = []
    for k, v in enumerate(config.variants):
        learns_slope = "a" in trace.learned and "a" in acts.get(v.activation).param_grads
        layers: dict[str, Any] = {name: arr[k] for name, arr in trace.layers.items()}
        layers["prelu_slope"] = trace.learned["a"][k] if learns_slope else None
        diverged = trace.diverged_at[k]
        out: dict[str, Any] = {
            "activation": _activation(v),
            "diverged_at_epoch": diverged,
            "loss": {"train": trace.loss_train[k], "test": trace.loss_test[k]},
            "accuracy": {"train": trace.acc_train[k], "test": trace.acc_test[k]},
            "layers": layers,
            "histograms": {
                "init": _hist_json(trace.hist_init[k]) if trace.hist_init else None,
                "final": _hist_json(trace.hist_final[k]) if trace.hist_final else None,
            },
            "boundary": None,
            "weights": None,
        }
        if len(trace.boundary_frames):
            out["boundary"] = {"frames": trace.boundary_frames, "x": trace.boundary_x, "y": trace.boundary_y, "p": trace.boundary_p[k]}
        if trace.theta_initial is not None and trace.theta_final is not None:
            out["weights"] = {
                "initial": layout.unpack(trace.theta_initial[k]),
                "final": None if diverged is not None else layout.unpack(trace.theta_final[k]),
            }
        variants.append(out)
    return {
        "config": cfg_echo,
        "epochs": trace.epochs_run,
        "frames": trace.frames,
        "cut_short": trace.cut_short,
        "elapsed_ms": round(trace.elapsed_ms, 3),
        "data": {
            "train": {"x": d.x_train, "y": d.y_train},
            "test": {"x": d.x_test, "y": d.y_test},
        },
        "variants": variants,
    }


def sweep_json(config: TrainConfig, trace: Trace, cfg_echo: dict[str, Any], body: SweepRequest) -> dict[str, Any]:
    V = len(body.sweep.values)
    dead = trace.layers["dead_fraction"].mean(axis=2)  # over all hidden units (equal widths): (K, F)
    active = trace.layers["active_fraction"].mean(axis=2)
    series = []
    for i in range(len(config.variants) // V):
        ks = slice(i * V, (i + 1) * V)
        v0 = config.variants[i * V]
        params = {k: val for k, val in v0.params.items() if k != body.sweep.param}
        series.append(
            {
                "activation": activation_json(acts.get(v0.activation), params),
                "final_loss": np.ascontiguousarray(trace.loss_train[ks, -1]),
                "final_test_loss": np.ascontiguousarray(trace.loss_test[ks, -1]),
                "final_train_accuracy": np.ascontiguousarray(trace.acc_train[ks, -1]),
                "final_test_accuracy": np.ascontiguousarray(trace.acc_test[ks, -1]),
                "dead_fraction": np.ascontiguousarray(dead[ks, -1]),
                "active_fraction": np.ascontiguousarray(active[ks, -1]),
                "diverged_at_epoch": trace.diverged_at[ks],
                "loss": trace.loss_train[ks],
                "dead_fraction_curve": dead[ks],
            }
        )
    return {
        "config": cfg_echo,
        "param": body.sweep.param,
        "values": body.sweep.values,
        "frames": trace.frames,
        "epochs": trace.epochs_run,
        "cut_short": trace.cut_short,
        "elapsed_ms": round(trace.elapsed_ms, 3),
        "series": series,
    }


# ----------------------------------------------------------------------------- routes


def _prepare_train(body: TrainRequest) -> tuple[TrainConfig, dict[str, Any]]:
    resolved = resolve_activations(body)
    config = make_config(body, [Variant(name, params) for name, params in resolved])
    return config, normalised(body, config, resolved)


# (response_class=JSONResponse only tells /docs the body is the response_model's JSON; the
# handlers return orjson bytes themselves)
@router.post("/train", summary="Train a small MLP and record what the activation does", response_model=TrainResponse, response_class=JSONResponse)
async def post_train(body: TrainRequest, request: Request, pool: PoolDep, settings: SettingsDep) -> Response:
    """Trains 2 → depth × width → 1 on a 2-D toy problem with each listed activation (same data,
    same initial weights) and returns, per recorded epoch, losses, accuracies and per-layer
    gradient norms, active and dead fractions, activation mean and std, learned PReLU slopes;
    pre-activation histograms at the start and end, and decision-boundary grids."""
    config, echo = _prepare_train(body)
    limit = settings.train_timeout_s

    def job(stop: threading.Event) -> bytes:
        trace = train(config, should_stop=stop.is_set, time_limit_s=limit)
        return dumps(train_json(config, trace, echo))

    return await run_in_pool(request, pool, job)


@router.post("/sweep", summary="Sweep one parameter over up to 16 values, in one stacked pass", response_model=SweepResponse, response_class=JSONResponse)
async def post_sweep(body: SweepRequest, request: Request, pool: PoolDep, settings: SettingsDep) -> Response:
    """Each of 1–3 activations trained at every value of ``sweep.param`` (learning_rate,
    momentum, or an activation parameter such as leak, alpha or sigma), all from the same
    initial weights on the same data; returns final and per-frame losses and dead fractions."""
    resolved = resolve_activations(body)
    variants = sweep_variants(body, resolved)
    config = make_config(body, variants, "sweep.values", boundary_frames=0, histograms=False, include_weights=False)
    echo = normalised(body, config, resolved)
    echo["boundary_frames"] = 0
    limit = settings.train_timeout_s

    def job(stop: threading.Event) -> bytes:
        trace = train(config, should_stop=stop.is_set, time_limit_s=limit)
        return dumps(sweep_json(config, trace, echo, body))

    return await run_in_pool(request, pool, job)


@router.post("/init_stats", summary="Per-layer statistics at initialisation over many seeds", response_model=InitStatsResponse, response_class=JSONResponse)
async def post_init_stats(body: InitStatsRequest, request: Request, pool: PoolDep) -> Response:
    """One forward/backward pass per weight seed (stacked, no training): per hidden layer the
    active and dead fractions, activation mean and std, gradient norms — e.g. about half
    of ReLU units are active at initialisation with He init."""
    resolved = resolve_activations(body)
    seeds = [body.seed + i for i in range(body.seeds)]
    configs = [make_config(body, [Variant(name, params)] * len(seeds), "seeds", epochs=0, boundary_frames=0) for name, params in resolved]
    echo = normalised(body, configs[0], resolved)

    def job(stop: threading.Event) -> bytes:
        series = []
        for config, (name, params) in zip(configs, resolved):
            stats = init_statistics(config, seeds)
            layers = {k: v for k, v in stats.items() if v.ndim == 2}
            series.append(
                {
                    "activation": activation_json(acts.get(name), params),
                    "layers": layers,  # [seed][layer]
                    "mean_over_seeds": {k: v.mean(axis=0) for k, v in layers.items()},
                    "loss": stats["loss"],
                    "accuracy": stats["accuracy"],
                }
            )
        return dumps({"config": echo, "seeds": seeds, "series": series})

    return await run_in_pool(request, pool, job)


def _sse(event: str, data: Any) -> bytes:
    return b"event: " + event.encode() + b"\ndata: " + dumps(data) + b"\n\n"


@router.post(
    "/train/stream",
    summary="/api/train with progress, as server-sent events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "progress events, then one result (or error) event"}},
)
async def post_train_stream(body: TrainRequest, request: Request, pool: PoolDep, settings: SettingsDep) -> StreamingResponse:
    """The body of /api/train; the response is text/event-stream: ``event: progress`` with
    {"epoch", "epochs", "loss": [current training loss per variant]} at most 20 times a
    second, then ``event: result`` with the /api/train response, or ``event: error`` with
    an error body. Invalid requests and a full pool are ordinary 422 / 503 responses.
    Closing the connection stops the run."""
    config, echo = _prepare_train(body)
    limit = settings.train_timeout_s
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    stop = threading.Event()

    def progress(epoch: int, losses: Any) -> None:
        item = {"epoch": epoch, "epochs": config.epochs, "loss": losses.copy()}
        loop.call_soon_threadsafe(queue.put_nowait, item)

    def job() -> bytes:
        trace = train(config, should_stop=stop.is_set, on_progress=progress, time_limit_s=limit, progress_interval_s=PROGRESS_INTERVAL_S)
        return dumps(train_json(config, trace, echo))

    future = asyncio.wrap_future(pool.submit(job))

    async def events():
        try:
            idle = 0.0
            while not future.done():
                try:
                    item = await asyncio.wait_for(queue.get(), timeout=0.25)
                except TimeoutError:
                    idle += 0.25
                    if idle >= KEEPALIVE_S:
                        idle = 0.0
                        yield b": keep-alive\n\n"
                    continue
                idle = 0.0
                yield _sse("progress", item)
            while not queue.empty():
                yield _sse("progress", queue.get_nowait())
            try:
                result = future.result()
            except Exception:
                request.app.state.logger.exception("training run failed")
                yield _sse("error", error_body("internal error during training", code="internal"))
                return
            yield b"event: result\ndata: " + result + b"\n\n"
        finally:
            stop.set()  # the client went away (or we are done): end the computation

    return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
