"""Guided lessons: the HTML pages and the JSON API, driven by ``app.core.lessons``.

Pages
    GET /lessons                    the index: every lesson with its claim
    GET /lessons/{slug}             one lesson: claim, live plots, controls, measured readout;
                                    ``?present=1&step=N`` shows it in presentation mode, one
                                    idea per screen (step 1 = the claim, then one step per
                                    plot, then why, last every number measured); the
                                    lesson's controls ride along in the
                                    same query string (e.g. ``&depth=6``)
JSON
    GET /api/lessons                index: slug, number, title, claim, threshold per lesson
    GET /api/lessons/{slug}         one lesson: texts, controls (ranges, defaults), plots
    GET /api/lessons/{slug}/measure the measurement for the controls given as query
                                    parameters (missing ones take their defaults): readouts
                                    (the first is the headline), verdict, plot data, the
                                    explorer URL with the same settings and a note on what
                                    that explorer view shows (which quantity, which seeds)

Measurements are deterministic (except the timing lesson), so responses carry a strong ETag
and recent ones are kept in a small in-process cache. Lessons that train networks run in
the training API's bounded pool, with its cancellation and its time limit (for the whole
measurement: a run cut short says ``cut_short: true`` and is not cached).
"""

from __future__ import annotations

import inspect
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from app.core import lessons as core
from app.core import spec
from app.core.training import train

from .deps import get_pool, get_settings
from .errors import ERROR_RESPONSES, ApiError, ErrorResponse
from .pages import render
from .pool import Result, respond, shared
from .responses import CACHE_CONTROL, cached_json, dumps, dynamic, etag_for, not_modified

router = APIRouter(tags=["lessons"], responses=ERROR_RESPONSES)
NOT_FOUND = {404: {"model": ErrorResponse, "description": "No lesson with this slug; `detail` lists the known ones"}}
BUSY = {503: {"model": ErrorResponse, "description": "Every training slot is busy; retry after Retry-After seconds"}}

THEMES = ("light", "dark", "contrast")
CACHE_SIZE = 256


# ----------------------------------------------------------------------------- schemas (documentation)


class ReadoutOut(BaseModel):
    id: str
    label: str
    value: float | None
    text: str
    target: str
    supports: bool | None


class VerdictOut(BaseModel):
    supports: bool
    text: str


class MeasureResponse(BaseModel):
    slug: str
    params: dict[str, int | float | str]
    claim: str
    threshold: str
    readouts: list[ReadoutOut]
    verdict: VerdictOut
    data: dict[str, Any]
    explorer: str
    explorer_note: str
    cut_short: bool
    elapsed_ms: float


class LessonSummary(BaseModel):
    slug: str
    number: int
    title: str
    claim: str
    source: str
    measures: str
    threshold: str
    optional: bool
    claim_from: str
    quoted: bool
    url: str
    measure_url: str


class LessonIndex(BaseModel):
    lessons: list[LessonSummary]
    presentation: str


# ----------------------------------------------------------------------------- helpers


def explorer_query(view: core.View) -> dict[str, str]:
    """The explorer's URL state for a lesson's view, in the explorer's own names."""
    q: dict[str, str] = {}
    if view.view == "network":
        q["view"] = "network"
        if view.mode:
            q["mode"] = view.mode
        q["act"] = spec.format(view.activations)
    elif view.view == "theory":
        q["view"] = "theory"
        q["th"] = spec.format(view.activations)
    else:
        q["fn"] = spec.format(view.activations)
    for key, value in view.settings.items():
        if isinstance(value, bool):
            q[key] = "1" if value else "0"
        elif isinstance(value, (list, tuple)):
            q[key] = ",".join(spec.format_value(v) for v in value)
        else:
            q[key] = spec.format_value(value)
    return q


def explorer_url(view: core.View | dict[str, str]) -> str:
    """The explorer's URL for a view (or a query dict), in its own encoding (keeps ( ) , = : [ ] readable)."""
    query = explorer_query(view) if isinstance(view, core.View) else view
    if not query:
        return "/"
    return "/?" + "&".join(f"{k}={quote(str(v), safe='(),=:[]')}" for k, v in query.items())


def steps(lesson: core.Lesson) -> int:
    """Screens in presentation mode: the claim, one per plot, why, every number."""
    return 3 + len(lesson.plots)


def _summary(lesson: core.Lesson) -> dict[str, Any]:
    return {**lesson.summary(), "url": f"/lessons/{lesson.slug}", "measure_url": f"/api/lessons/{lesson.slug}/measure"}


def _lesson_or_404(slug: str) -> core.Lesson:
    try:
        return core.get(slug)
    except KeyError as e:
        raise ApiError(404, str(e.args[0]), "slug", code="not_found", choices=list(core.SLUGS)) from None


def measurement_json(lesson: core.Lesson, params: dict[str, Any], m: core.Measurement, elapsed_ms: float) -> dict[str, Any]:
    return {
        "slug": lesson.slug,
        "params": params,
        "claim": lesson.claim,
        "threshold": lesson.threshold,
        "readouts": [r.as_dict() for r in m.readouts],
        "verdict": {"supports": m.verdict.supports, "text": m.verdict.text},
        "data": m.data,
        "explorer": explorer_url(m.view),
        "explorer_note": core.explorer_note(lesson, params, m),
        "cut_short": m.cut_short,
        "elapsed_ms": round(elapsed_ms, 3),
    }


class _Cache:
    """A small LRU of serialised measurements (deterministic lessons only)."""

    def __init__(self, size: int):
        self.size = size
        self.items: OrderedDict[str, bytes] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self.lock:
            body = self.items.get(key)
            if body is not None:
                self.items.move_to_end(key)
            return body

    def put(self, key: str, body: bytes) -> None:
        with self.lock:
            self.items[key] = body
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)


_cache = _Cache(CACHE_SIZE)


def _query_checked(request: Request, lesson: core.Lesson) -> dict[str, str]:
    """The raw query as a dict; unknown and repeated names are 422s naming them."""
    allowed = {c.id for c in lesson.controls}
    seen: dict[str, str] = {}
    for key, value in request.query_params.multi_items():
        if key in seen:
            raise ApiError(422, f"{key} is given more than once", key, code="repeated")
        if key not in allowed:
            names = ", ".join(sorted(allowed)) or "none"
            raise ApiError(422, f"lesson {lesson.slug!r} has no control {key!r}; its controls: {names}", key, code="unknown_field", allowed=sorted(allowed))
        seen[key] = value
    return seen


async def measure_response(request: Request, lesson: core.Lesson) -> Response:
    raw = _query_checked(request, lesson)
    params = core.resolve_controls(lesson, raw)  # a ControlError is a 422 naming the control
    key = f"lesson|{lesson.slug}|{dumps(params).decode()}"
    etag = etag_for(key) if lesson.deterministic else None
    complete = {"ETag": etag, "Cache-Control": CACHE_CONTROL} if etag else {"Cache-Control": "no-store"}
    if etag:
        if not_modified(request, etag):
            return Response(status_code=304, headers=complete)
        cached = _cache.get(key)
        if cached is not None:
            return dynamic(request, cached, headers=complete)

    def compute(run: core.Runner) -> Result:
        start = time.perf_counter()
        m = lesson.measure(params, run)  # a CoreError (budget) is a 422 with its code
        body = dumps(measurement_json(lesson, params, m, (time.perf_counter() - start) * 1e3))
        if etag and not m.cut_short:
            _cache.put(key, body)
        return Result(body, m.cut_short)

    if lesson.trains:
        limit = get_settings(request).train_timeout_s

        def job(stop: threading.Event) -> Result:
            # the time limit is for the whole measurement, however many runs it takes
            deadline = time.perf_counter() + limit
            return compute(lambda config: train(config, should_stop=stop.is_set, time_limit_s=max(0.0, deadline - time.perf_counter())))

        # identical measurements asked at once (a class opening the same lesson) share one computation
        # (the lessons' own cache keeps the complete ones)
        pool = get_pool(request)
        result, how = await shared(request, pool, key if etag else None, lambda flight: pool.submit(lambda: flight.run(job), bulk=True), cache=False)
        if result is None:
            return Response(status_code=499)  # the client has gone
        complete = {**complete, "X-Run": how}
    else:
        result = await run_in_threadpool(compute, train)
    # a measurement cut short by the time limit is partial: never stored, never named by the ETag
    return await respond(request, result, {"Cache-Control": "no-store"} if result.cut_short else complete)


def _query_param(c: core.Control) -> inspect.Parameter:
    """The control as a documented, validated query parameter."""
    if c.kind == "choice":
        annotation: Any = Literal[c.choices]  # type: ignore[valid-type]
        default = Query(c.default, description=c.help or c.label)
    elif c.kind == "formula":  # compiled by the control itself: a 422 with the formula's code and position
        annotation = str
        default = Query(c.default, description=c.help or c.label)
    elif c.kind == "int":
        annotation = int
        default = Query(c.default, ge=int(c.min), le=int(c.max), description=c.help or c.label)
    else:
        annotation = float
        default = Query(c.default, ge=c.min, le=c.max, allow_inf_nan=False, description=c.help or c.label)
    return inspect.Parameter(c.id, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)


def _measure_endpoint(lesson: core.Lesson) -> Callable[..., Any]:
    async def endpoint(request: Request, **_: Any) -> Response:
        return await measure_response(request, lesson)

    endpoint.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request), *(_query_param(c) for c in lesson.controls)]
    )
    endpoint.__name__ = f"measure_{lesson.slug.replace('-', '_')}"
    endpoint.__doc__ = f"{lesson.measures}\n\nSupports the claim when: {lesson.threshold}"
    return endpoint


# ----------------------------------------------------------------------------- JSON routes


@router.get("/api/lessons", summary="Every lesson: the claim it checks and how", response_model=LessonIndex, response_class=JSONResponse)
def list_lessons(request: Request) -> Response:
    return cached_json(request, "lessons-index", lambda: {"lessons": [_summary(lesson) for lesson in core.LESSONS], "presentation": f"/lessons/{core.SLUGS[0]}?present=1&step=1"})


@router.get("/api/lessons/{slug}", summary="One lesson: texts, controls and plots", responses=NOT_FOUND, response_class=JSONResponse)
def get_lesson(slug: str, request: Request) -> Response:
    lesson = _lesson_or_404(slug)
    prev, nxt = core.neighbours(slug)

    def build() -> dict[str, Any]:
        return {
            **lesson.describe(),
            "url": f"/lessons/{lesson.slug}",
            "measure_url": f"/api/lessons/{lesson.slug}/measure",
            "previous": prev.slug if prev else None,
            "next": nxt.slug if nxt else None,
            "steps": steps(lesson),
        }

    return cached_json(request, f"lesson-{slug}", build)


for _lesson in core.LESSONS:
    router.add_api_route(
        f"/api/lessons/{_lesson.slug}/measure",
        _measure_endpoint(_lesson),
        methods=["GET"],
        summary=f"Lesson {_lesson.number}: {_lesson.title}",
        response_model=MeasureResponse,
        response_class=JSONResponse,
        responses=BUSY if _lesson.trains else None,
    )


@router.get("/api/lessons/{slug}/measure", include_in_schema=False)
def unknown_measure(slug: str) -> Response:
    _lesson_or_404(slug)  # a known slug is served by its own route above
    raise ApiError(404, "not found", "slug")


# ----------------------------------------------------------------------------- pages


def _theme(request: Request) -> str:
    t = request.query_params.get("theme", "light")
    return t if t in THEMES else "light"


@router.get("/lessons", response_class=HTMLResponse, include_in_schema=False)
def lessons_index(request: Request) -> HTMLResponse:
    return render(request, "lessons_index.html", lessons=core.LESSONS, theme=_theme(request), missing=None)


@router.get("/lessons/{slug}", response_class=HTMLResponse, include_in_schema=False)
def lesson_page(slug: str, request: Request) -> HTMLResponse:
    try:
        lesson = core.get(slug)
    except KeyError:
        return render(request, "lessons_index.html", status_code=404, lessons=core.LESSONS, theme=_theme(request), missing=slug)
    prev, nxt = core.neighbours(slug)
    present = request.query_params.get("present") in ("1", "true")
    return render(
        request,
        "lesson.html",
        lesson=lesson,
        previous=prev,
        next=nxt,
        total=len(core.LESSONS),
        present=present,
        theme=_theme(request),
        steps=steps(lesson),
    )
