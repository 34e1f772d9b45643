"""Training endpoints: validate, run ``app.core.training`` in a bounded pool, shape JSON.

Runs execute off the event loop in a thread pool of ``settings.train_workers`` threads
(numpy releases the GIL in its heavy loops) with at most ``settings.train_queue`` runs
waiting; beyond that a request gets 503 with Retry-After. Each run stops after
``settings.train_timeout_s`` seconds of wall-clock time and returns what it has, with
``cut_short: true``. A run whose client goes away is abandoned (the engine checks after
every layer of every pass), so no computation outlives its request; the request log says
``"outcome": "cut_short"`` or ``"abandoned"``.

The server keeps nothing between requests: ``include_state`` returns the run's state after
its last epoch (weights, optimiser moments, random stream — :mod:`app.core.state`), and a
request with ``state`` continues from it (Step, Play). These routes take bodies up to
``settings.train_max_body_bytes`` (a state and own points are larger than other bodies).
Response shaping is in :mod:`app.api.train_json`.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import threading
import time
from dataclasses import replace
from typing import Any, Literal

import numpy as np
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel

from app.core import activations as acts
from app.core import stacking
from app.core import state as states
from app.core.datasets import MAX_CLASSES, OWN, DatasetSpec, canonical_features, own_points, parse_csv
from app.core.errors import BudgetError
from app.core.network import Architecture, Layout, Variant
from app.core.training import MAX_COST, MAX_ELEMENTS, RunAbandoned, RunState, TrainConfig, check_budget, cost, elements, init_statistics, parameter_count, train

from .activations import activation_json
from .batching import train_alone
from .deps import PoolDep, SettingsDep
from .errors import ERROR_RESPONSES, ApiError, ErrorResponse, error_body
from .middleware import OUTCOME_KEY
from .pool import Flight, Result, attach, respond, shared
from .responses import dumps
from .train_json import sweep_json
from .training_schemas import (
    LEARNING_RATE_RANGE,
    MAX_BOUNDARY_CELLS,
    MAX_DEPTH,
    MAX_EPOCHS,
    MAX_INIT_PARAMS,
    MAX_POINTS,
    MAX_WIDTH,
    MOMENTUM_MAX,
    PROBE_LIMIT,
    InitStatsRequest,
    InitStatsResponse,
    OwnPointsIn,
    SweepRequest,
    SweepResponse,
    TrainRequest,
    TrainResponse,
    _budget_doc,
)

# (filled in below, once the request models exist: an over-budget request's real error)
BUDGET_RESPONSE: dict[str, Any] = {"model": ErrorResponse}
router = APIRouter(
    prefix="/api",
    tags=["training"],
    responses={**ERROR_RESPONSES, 422: BUDGET_RESPONSE, 503: {"model": ErrorResponse, "description": "Every training slot is busy; retry after Retry-After seconds"}},
)

# Routes whose bodies may carry a state or own points (their own body cap).
LARGE_BODY_PATHS = ("/api/train", "/api/train/stream", "/api/train/probe", "/api/sweep", "/api/init_stats", "/api/points")
# /api/train/stream: a keep-alive comment when idle (progress: app.api.batching.PROGRESS_INTERVAL_S).
KEEPALIVE_S = 1.0

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


def data_spec(body: TrainRequest) -> DatasetSpec:
    points = None
    if body.dataset == OWN:
        if body.points is None:
            raise ApiError(422, "points: dataset own needs your points ({\"x\": [[x1, x2], …], \"y\": [...]})", "points", code="missing")
        points = own_points(body.points.x, body.points.y, body.points.task)
    elif body.points is not None:
        raise ApiError(422, "points: only with dataset own", "points", code="not_allowed")
    return DatasetSpec(body.dataset, body.n_points, body.noise, body.test_fraction, body.seed, body.classes, points)


CUSTOM_ONLY = ("sigma_w2", "sigma_b2")  # fields that only init "custom" reads


def check_custom_only(body: BaseModel, init_field: str = "init") -> None:
    """A 422 naming sigma_w2 / sigma_b2 when they are given with another initialisation."""
    init = getattr(body, init_field)
    for key in CUSTOM_ONLY:
        if key in body.model_fields_set and init != "custom":
            raise ApiError(422, f"{key} is read only with {init_field} custom (got {init_field} {init}): leave it out or set {init_field} to custom",
                           key, code="needs_custom_init", requires={init_field: "custom"})


def make_config(body: TrainRequest, variants: list[Variant], variants_field: str = "activations", **overrides: Any) -> TrainConfig:
    """The core's configuration, within the compute budget (``variants_field``: what the
    stacked variants are in the request — activations, sweep.values, seeds — named among
    what to reduce in a budget error)."""
    check_custom_only(body)
    epochs = overrides.pop("epochs", body.epochs)
    frames = min(body.frames, epochs + 1)
    probe = None
    if body.probe is not None:
        x1, x2 = body.probe.x
        if not all(math.isfinite(v) and abs(v) <= PROBE_LIMIT for v in (x1, x2, body.probe.y)):
            raise ApiError(422, f"probe: coordinates and target must be finite, within ±{PROBE_LIMIT:g}", "probe", code="out_of_range", min=-PROBE_LIMIT, max=PROBE_LIMIT)
        probe = (x1, x2, body.probe.y)
    if body.widths:
        for i, w in enumerate(body.widths):
            if not 1 <= w <= MAX_WIDTH:
                raise ApiError(422, f"widths.{i} must be in [1, {MAX_WIDTH}] (got {w})", f"widths.{i}", code="out_of_range", min=1, max=MAX_WIDTH)
    config = TrainConfig(
        data=data_spec(body),
        arch=Architecture(widths=tuple(body.widths)) if body.widths else Architecture(body.depth, body.width),
        features=canonical_features(body.features),
        l1=body.l1,
        l2=body.l2,
        include_state=body.include_state,
        unit_grid=body.unit_grid,
        probe=probe,
        init=body.init,
        bias_init=body.bias_init,
        sigma_w2=body.sigma_w2,
        sigma_b2=body.sigma_b2,
        variants=tuple(variants),
        optimizer=body.optimizer,
        learning_rate=body.learning_rate,
        momentum=body.momentum,
        batch_size=body.batch_size,
        epochs=epochs,
        frames=frames,
        boundary_frames=min(body.boundary_frames, frames),
        boundary_grid=body.boundary_grid,
        seed=body.seed,
        include_weights=body.include_weights,
        dtype=body.dtype,
    )
    if overrides:
        config = replace(config, **overrides)
    if config.data.task == "multiclass" and config.data.n_classes > MAX_CLASSES:
        raise ApiError(422, f"points.y: at most {MAX_CLASSES} classes", "points.y", code="out_of_range", max=MAX_CLASSES - 1)
    check_budget(config, variants_field)  # BudgetError: a 422 with code budget or memory
    classes = config.data.n_classes if config.data.task == "multiclass" else 1
    cells = config.boundary_frames * config.boundary_grid**2 * len(variants) * classes
    if cells > MAX_BOUNDARY_CELLS:
        raise BudgetError(
            "boundary_frames",
            f"boundary_frames × boundary_grid² × activations × classes = {cells:,} exceeds {MAX_BOUNDARY_CELLS:,}: "
            "reduce boundary_frames or boundary_grid",
            "boundary_cells", cells=cells, limit=MAX_BOUNDARY_CELLS, reduce=["boundary_frames", "boundary_grid"],
        )
    return config


def _budget_example() -> dict[str, Any]:
    """The error an over-budget request really gets (every field in range, too much at once)."""
    body = TrainRequest(n_points=MAX_POINTS, depth=MAX_DEPTH, width=MAX_WIDTH, epochs=MAX_EPOCHS, boundary_frames=0)
    try:
        make_config(body, [Variant(name, params) for name, params in resolve_activations(body)])
    except BudgetError as e:
        return error_body(e.message, e.field, code=e.code, **e.info)
    raise AssertionError("the largest request fits the budget: the example needs another")


BUDGET_RESPONSE.update(
    description="A field is missing, of the wrong type or out of range (`detail` names it and the allowed values), or the run is over the compute budget. "
    + _budget_doc(),
    content={"application/json": {"examples": {"budget": {"summary": "a run over the compute budget", "value": _budget_example()}}}},
)


def normalised(body: TrainRequest, config: TrainConfig, resolved: Resolved) -> dict[str, Any]:
    out = body.model_dump(exclude={"state", "points"} | (set() if body.init == "custom" else set(CUSTOM_ONLY)))  # what the run read
    out["activations"] = [activation_json(acts.get(name), params) for name, params in resolved]
    out["widths"] = list(config.arch.widths)
    out["depth"], out["width"] = config.arch.depth, config.arch.width
    out["features"] = list(config.features)
    out["n_points"] = config.data.size
    out["epochs"] = config.epochs
    out["frames"] = config.frames
    out["boundary_frames"] = config.boundary_frames
    return out


def sweepable(resolved: Resolved) -> set[str]:
    """The float parameters every activation has: what a sweep may move besides the learning rate and momentum."""
    return set.intersection(*[{p.id for p in acts.get(n).params if p.kind == "float"} for n, _ in resolved])


def sweep_variants(body: SweepRequest, resolved: Resolved) -> list[Variant]:
    """K = activations × values variants, activation-major."""
    param, values = body.sweep.param, body.sweep.values
    for j, v in enumerate(values):
        if not math.isfinite(v):
            raise ApiError(422, f"sweep.values.{j} must be a finite number", f"sweep.values.{j}", code="not_finite")
    out: list[Variant] = []
    if param == "momentum" and body.optimizer != "sgd":  # Adam reads no momentum: every run would be the same
        raise ApiError(422, f"sweep.param: momentum is read only by SGD (got optimizer {body.optimizer}): set optimizer to sgd",
                       "sweep.param", code="needs_sgd", requires={"optimizer": "sgd"})
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
            allowed = ", ".join(["learning_rate", "momentum", *sorted(sweepable(resolved))])
            raise ApiError(422, f"{act.name if act.formula is not None else act.id} has no float parameter {param!r}; sweep.param may be: {allowed}",
                           "sweep.param", code="not_a_choice", choices=allowed.split(", "))
        for j, v in enumerate(values):
            try:
                out.append(Variant(name, acts.resolve_params(act, {**params, param: v})))
            except acts.ParamError as e:
                raise ApiError(422, f"sweep.values.{j}: {e.message}", f"sweep.values.{j}", code=e.code, **e.info) from None
    return out


# ----------------------------------------------------------------------------- routes


def _prepare_train(body: TrainRequest, **overrides: Any) -> tuple[TrainConfig, dict[str, Any], RunState | None]:
    resolved = resolve_activations(body)
    config = make_config(body, [Variant(name, params) for name, params in resolved], **overrides)
    state = None
    if body.state is not None:
        K, P = len(config.variants), parameter_count(config)
        state = states.decode(body.state, config, K, P)  # CoreError: a 422 naming state.…
    return config, normalised(body, config, resolved), state


def _outcome(request: Request, value: str) -> None:
    """Tell the request log what became of the run (see app.api.middleware.OUTCOME_KEY)."""
    request.scope.setdefault("state", {})[OUTCOME_KEY] = value


def run_key(route: str, echo: dict[str, Any], body: TrainRequest) -> str:
    """What names a computation for single flight and the result cache: the route and the
    normalised request (the echo), with the own points and the state it leaves out."""
    h = hashlib.sha256(route.encode())
    h.update(dumps(echo))
    if body.points is not None:
        h.update(b"|points|" + dumps(body.points.model_dump()))
    if body.state is not None:
        h.update(b"|state|" + dumps(body.state))
    return f"{route}|{h.hexdigest()}"


def _launch_train(pool: Any, config: TrainConfig, echo: dict[str, Any], state: RunState | None, limit: float):
    """How a training request's computation starts: in a batch of its shape (app.api.batching),
    or as a run of its own."""
    total = (state.epoch if state is not None else 0) + config.epochs

    def launch(flight: Flight) -> None:
        if pool.batcher is not None and state is None and stacking.combinable(config):
            pool.batcher.add(flight, config, echo, limit, total)
        else:
            pool.submit(lambda: flight.run(lambda stop: train_alone(config, echo, state, flight, limit, total)))

    return launch


def _noted(request: Request):
    """A result cut short is noted in the request log."""
    return lambda result: result.cut_short and _outcome(request, "cut_short")


def _launch(pool: Any, job: Any):
    """A bulk computation of its own in the pool (see TrainingPool): ``job(stop)`` returns a Result."""
    return lambda flight: pool.submit(lambda: flight.run(job), bulk=True)


async def _answer(request: Request, pool: Any, key: str, launch: Any) -> Response:
    result, how = await shared(request, pool, key, launch)
    if result is None:
        _outcome(request, "abandoned")
        return Response(status_code=499)  # nobody reads it: the client has gone
    _noted(request)(result)
    return await respond(request, result, {"X-Run": how})


# (response_class=JSONResponse only tells /docs the body is the response_model's JSON; the
# handlers return orjson bytes themselves)
@router.post("/train", summary="Train a small MLP and record what the activation does", response_model=TrainResponse, response_class=JSONResponse)
async def post_train(body: TrainRequest, request: Request, pool: PoolDep, settings: SettingsDep) -> Response:
    """Trains features → widths → outputs on a 2-D problem with each listed activation (same
    data, same initial weights) and returns, per recorded epoch, losses, accuracies (R² for
    regression) and per-layer gradient norms, active and dead fractions, activation mean and
    std, learned PReLU slopes; pre-activation histograms at the start and end, boundary
    grids; with ``unit_grid`` the diagram; with ``include_state`` the state to continue from.
    Identical concurrent requests share one run, and concurrent requests of the same shape
    may be trained in one stacked pass (``X-Run``, ``X-Run-Batch``)."""
    config, echo, state = _prepare_train(body)
    return await _answer(request, pool, run_key("train", echo, body), _launch_train(pool, config, echo, state, settings.train_timeout_s))


@router.post("/train/probe", summary="The diagram of a state (or of the initial weights), without training", response_model=TrainResponse, response_class=JSONResponse)
async def post_train_probe(body: TrainRequest, request: Request, pool: PoolDep, settings: SettingsDep) -> Response:
    """The body of /api/train with a ``state``: no epochs run; the response records the state
    as one frame, with its diagram (``unit_grid``, default 12) and, with ``probe``, one
    point's numbers. Without a state, the network at epoch 0 (the seed's initial weights,
    where /api/train starts), its histograms included: with ``include_state``, a state that
    Step continues from exactly as from no state."""
    grid = body.unit_grid or 12
    config, echo, state = _prepare_train(body, epochs=0, unit_grid=grid, histograms=body.state is None)
    return await _answer(request, pool, run_key("probe", echo, body), _launch_train(pool, config, echo, state, settings.train_timeout_s))


@router.post("/sweep", summary="Sweep one parameter over up to 16 values, in one stacked pass", response_model=SweepResponse, response_class=JSONResponse)
async def post_sweep(body: SweepRequest, request: Request, pool: PoolDep, settings: SettingsDep) -> Response:
    """Each of 1–3 activations trained at every value of ``sweep.param`` (learning_rate,
    momentum, or an activation parameter such as leak, alpha or sigma), all from the same
    initial weights on the same data; returns final and per-frame losses and dead fractions."""
    if body.state is not None or body.include_state or body.unit_grid or body.probe is not None:
        raise ApiError(422, "a sweep takes no state, include_state, unit_grid or probe", "state", code="not_allowed")
    resolved = resolve_activations(body)
    variants = sweep_variants(body, resolved)
    config = make_config(body, variants, "sweep.values", boundary_frames=0, histograms=False, include_weights=False)
    echo = normalised(body, config, resolved)
    echo["boundary_frames"] = 0
    limit = settings.train_timeout_s

    def job(stop: threading.Event) -> Result:
        trace = train(config, abandoned=stop.is_set, time_limit_s=limit, first_frame=False)
        return Result(dumps(sweep_json(config, trace, echo, body.sweep.param, body.sweep.values)), trace.cut_short)

    return await _answer(request, pool, run_key("sweep", echo, body), _launch(pool, job))


def init_stats_plan(body: InitStatsRequest, name: str, params: dict) -> tuple[TrainConfig, list[list[int]]]:
    """One seed's configuration (the memory check) and the seeds in groups small enough to
    hold at once; the whole pass — one forward and backward per seed, about one training
    epoch each — is held to the compute budget (code budget, naming seeds)."""
    config = make_config(body, [Variant(name, params)], "seeds", epochs=0, boundary_frames=0)
    seeds = [body.seed + i for i in range(body.seeds)]
    c = cost(replace(config, epochs=1)) * len(seeds)
    if c > MAX_COST:
        fit = int(len(seeds) * MAX_COST / c)
        raise BudgetError(
            "seeds", f"one pass at initialisation over {len(seeds)} seeds costs {c:.3g}; the limit is {MAX_COST:.3g}: "
            f"reduce seeds (at most {fit} fit), n_points, depth or width", "budget", cost=c, limit=MAX_COST, fit_seeds=fit,
            reduce=["seeds", "n_points", "depth", "width"],
        )
    per_seed = max(Layout(config.arch, ()).size, 1)
    group = max(1, min(len(seeds), MAX_INIT_PARAMS // per_seed, MAX_ELEMENTS // max(elements(config), 1)))
    return config, [seeds[i:i + group] for i in range(0, len(seeds), group)]


def init_stats_run(config: TrainConfig, groups: list[list[int]], stop: threading.Event | None = None, deadline: float | None = None) -> tuple[dict[str, Any], bool]:
    """init_statistics for every seed, group by group (statistic → (seeds, depth) or (seeds,)),
    and whether it stopped early: with ``stop`` set or past ``deadline`` (perf_counter), what
    the groups done so far give (the first group always runs)."""
    parts = []
    for seeds in groups:
        if parts and ((stop is not None and stop.is_set()) or (deadline is not None and time.perf_counter() > deadline)):
            break
        parts.append(init_statistics(config, seeds))
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}, len(parts) < len(groups)


@router.post("/init_stats", summary="Per-layer statistics at initialisation over many seeds", response_model=InitStatsResponse, response_class=JSONResponse)
async def post_init_stats(body: InitStatsRequest, request: Request, pool: PoolDep, settings: SettingsDep) -> Response:
    """One forward/backward pass per weight seed (stacked, no training): per hidden layer the
    active and dead fractions, activation mean and std, gradient norms — e.g. about half
    of ReLU units are active at initialisation with He init. Networks may be wider and deeper
    than for training (width ≤ 256, depth ≤ 50), within the compute budget. Past the server's
    time limit the seeds not yet done are left out (``seeds`` lists those done) and
    ``cut_short`` is true."""

    if body.state is not None or body.include_state or body.unit_grid or body.probe is not None:
        raise ApiError(422, "init_stats measures initial weights: it takes no state, include_state, unit_grid or probe", "state", code="not_allowed")
    resolved = resolve_activations(body)
    plans = [init_stats_plan(body, name, params) for name, params in resolved]
    seeds = [body.seed + i for i in range(body.seeds)]
    echo = normalised(body, plans[0][0], resolved)
    limit = settings.train_timeout_s

    def job(stop: threading.Event) -> Result | bytes:
        deadline = time.perf_counter() + limit  # for the whole request, however many activations
        series, cut = [], False
        for (config, groups), (name, params) in zip(plans, resolved):
            stats, short = init_stats_run(config, groups, stop, deadline)
            if stop.is_set():
                return b"{}"  # the client went away: nobody reads this
            cut |= short
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
        done = min(len(s["loss"]) for s in series)
        return Result(dumps({"config": echo, "seeds": seeds[:done], "cut_short": cut, "series": series}), cut)

    return await _answer(request, pool, run_key("init_stats", echo, body), _launch(pool, job))


class PointsOut(BaseModel):
    x: list[list[float]]
    y: list[float]
    task: str
    classes: int


@router.post(
    "/points",
    summary="Read and check own points (CSV or JSON)",
    response_model=PointsOut,
    response_class=JSONResponse,
    openapi_extra={"requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}, "application/json": {"schema": OwnPointsIn.model_json_schema()}}}},
)
async def post_points(request: Request, task: Literal["classify", "regress"] = "classify") -> Response:
    """Own data as the network lab takes it: a CSV file (rows x1,x2,label — or target with
    ``?task=regress`` — an optional header; ≤ 5,000 rows) or JSON {"x", "y", "task"}; returns
    the points checked, or a 422 naming the CSV line and column (field ``csv``) or the JSON
    field (``points.x.12.1``)."""
    raw = await request.body()
    ctype = request.headers.get("content-type", "")
    kind = ctype.split(";")[0].strip().lower()
    if kind and "json" not in kind and kind not in ("text/csv", "text/plain", "application/csv", "application/vnd.ms-excel", "application/octet-stream"):
        raise ApiError(415, f"body: send CSV (Content-Type: text/csv) or JSON (application/json), not {kind[:60]}", "body",
                       code="unsupported_media_type", choices=["text/csv", "application/json"])
    if "json" in ctype:
        try:
            body = OwnPointsIn.model_validate_json(raw)
        except ValueError:
            raise ApiError(422, "points: expected {\"x\": [[x1, x2], …], \"y\": [...], \"task\"}", "points", code="invalid") from None
        pts = own_points(body.x, body.y, body.task)
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ApiError(422, "csv: the file is not UTF-8 text", "csv", code="not_text") from None
        pts = parse_csv(text, task)
    return Response(dumps({"x": pts.x, "y": pts.y, "task": pts.task, "classes": pts.classes}), media_type="application/json")


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
    Closing the connection abandons the run (within a layer's computation)."""
    config, echo, state = _prepare_train(body)
    found, how = attach(request, pool, run_key("train", echo, body), _launch_train(pool, config, echo, state, settings.train_timeout_s))
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no", "X-Run": how}
    if isinstance(found, Result):  # from the result cache: the result at once
        _noted(request)(found)
        return StreamingResponse(iter([b"event: result\ndata: " + found.body + b"\n\n"]), media_type="text/event-stream", headers=headers)
    flight = found
    queue: asyncio.Queue[Any] = asyncio.Queue()
    flight.listeners.add(queue)
    if flight.last_progress is not None:  # joined under way: where it is
        queue.put_nowait(flight.last_progress)

    async def events():
        finished = False
        getter: asyncio.Future | None = None
        try:
            while not flight.done.done():
                getter = asyncio.ensure_future(queue.get())
                done, _ = await asyncio.wait({getter, flight.done}, timeout=KEEPALIVE_S, return_when=asyncio.FIRST_COMPLETED)
                if getter in done:
                    yield _sse("progress", getter.result())
                else:
                    getter.cancel()
                    if not done:
                        yield b": keep-alive\n\n"
            while not queue.empty():
                yield _sse("progress", queue.get_nowait())
            try:
                result = flight.done.result()
            except RunAbandoned:
                return
            except Exception:
                request.app.state.logger.exception("training run failed")
                yield _sse("error", error_body("internal error during training", code="internal"))
                return
            finished = True
            _noted(request)(result)
            yield b"event: result\ndata: " + result.body + b"\n\n"
        finally:
            if getter is not None and not getter.done():  # a client gone mid-wait: no task left pending
                getter.cancel()
            flight.listeners.discard(queue)
            if not finished and not flight.done.done():
                _outcome(request, "abandoned")
            pool.flights.leave(flight)  # the last waiter to go ends the computation

    return StreamingResponse(events(), media_type="text/event-stream", headers=headers)
