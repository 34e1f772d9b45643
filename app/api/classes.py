"""Live classes: a teacher starts one, students follow it by server-sent events.

The teacher's view (the explorer's URL query), pause and release, a class experiment and
ending the class are changes only the holder of the teacher token can make; each gets the class's next
sequence number and reaches every student in order. Students need only the code: they
follow (GET …/events) and submit results; the teacher reads the results back.

Classes live in ``app.live``: in this process by default, in Redis when ACTLAB_REDIS_URL
is set (then any number of workers serve one class). With several workers and no Redis,
starting a class is refused, because each worker would hold its own classes.

Abuse limits: unknown codes per client address per minute (against guessing codes; see
``app.live.codes``), classes started per address per hour, a teacher's changes and
students' results per class per second, students per class, results per experiment.
Errors are the app's one shape plus a ``code`` (e.g. ``class_not_found``).
"""

from __future__ import annotations

import asyncio
import io
import secrets
import signal
import threading
import time
from collections.abc import Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any

import orjson
import segno
from fastapi import APIRouter, Depends, FastAPI, Header, Path, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.background import BackgroundTask

from app.live import ClassInfo, ClassStore, Event, Limits, LiveError, make_store
from app.live.codes import (
    ALPHABET,
    CODE_LENGTH,
    client_key,
    code_problem,
    display_code,
    new_token,
    normalise_code,
    token_hash,
    token_matches,
)
from app.live.store import CLOSED, RESYNC, STOP

from . import errors
from .class_bodies import (
    MAX_NICKNAME,
    NUMBERS,
    ChangeAccepted,
    ClassCreated,
    ClassEnded,
    ClassPublic,
    ClassResults,
    CreateClassBody,
    ExperimentBody,
    ExperimentSet,
    FollowingBody,
    FollowingSet,
    PauseBody,
    ResultAccepted,
    ResultBody,
    StateBody,
)
from .deps import public_url
from .errors import ERROR_RESPONSES, ApiError, ErrorResponse
from .pages import render
from .responses import JSON, dumps

KEEPALIVE_S = 15.0  # a comment line on an idle stream, so proxies keep it open
RECONNECT_MS = 2000  # the EventSource's wait before it reconnects
_STATUS = {  # a store's refusal → HTTP status
    "class_not_found": 404,
    "class_ended": 410,
    "class_full": 409,
    "no_experiment": 409,
    "experiment_changed": 409,
    "results_full": 409,
    "too_many_classes": 503,
    "live_store_unavailable": 503,
}


def _end_streams_on_exit(app: FastAPI) -> Callable[[], None]:
    """Chain onto the server's SIGINT/SIGTERM handlers (uvicorn's) so open event streams end
    when it is told to stop: it waits for every open response before it exits, and a class
    stream never ends by itself. Returns what puts the previous handlers back."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None  # signals reach only the main thread (e.g. not under TestClient)
    loop = asyncio.get_running_loop()
    previous = {}

    def on_exit(sig: int, frame: Any) -> None:
        store = getattr(app.state, "live_store", None)
        if store is not None:
            loop.call_soon_threadsafe(store.end_streams)
        handler = previous.get(sig)
        if callable(handler):
            handler(sig, frame)

    for sig in (signal.SIGINT, signal.SIGTERM):
        handler = signal.getsignal(sig)
        if callable(handler) and handler not in (signal.default_int_handler,):
            previous[sig] = handler
            signal.signal(sig, on_exit)

    def restore() -> None:
        for sig, handler in previous.items():
            if signal.getsignal(sig) is on_exit:
                signal.signal(sig, handler)

    return restore


@asynccontextmanager
async def _lifespan(app: FastAPI):
    restore = _end_streams_on_exit(app)
    try:
        yield
    finally:
        restore()
        store = getattr(app.state, "live_store", None)
        if store is not None:
            await store.close()


class _CodedRoute(APIRoute):
    """The app's validation answer (400 / 422 naming the field) plus this API's ``code``:
    ``malformed_json`` or ``invalid_input``. Other routers' errors are left as they are."""

    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()

        async def coded(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as e:
                answer = await errors.validation_handler(request, e)
                body = orjson.loads(answer.body)
                body["code"] = "malformed_json" if answer.status_code == 400 else "invalid_input"
                return JSON(body, status_code=answer.status_code)

        return coded


router = APIRouter(
    tags=["live classes"],
    lifespan=_lifespan,
    route_class=_CodedRoute,
    responses={
        **ERROR_RESPONSES,
        404: {"model": ErrorResponse, "description": "No live class has this code (`class_not_found`); it may have expired"},
        422: {"model": ErrorResponse, "description": "Invalid input (`invalid_input`), or a code that cannot be one (`invalid_class_code`: a character never in a code, named in `character`, or not 8 symbols)"},
        410: {"model": ErrorResponse, "description": "The teacher ended the class of this code (`class_ended`)"},
        429: {"model": ErrorResponse, "description": "Too many attempts from this address or messages to this class; retry after Retry-After seconds"},
        503: {"model": ErrorResponse, "description": "The live-class store is unavailable, or live classes need ACTLAB_REDIS_URL with several workers"},
    },
)
_bearer = HTTPBearer(auto_error=False, description="The teacher_token returned when the class was started")
_TEACHER = {
    401: {"model": ErrorResponse, "description": "No teacher token (`teacher_token_missing`)"},
    403: {"model": ErrorResponse, "description": "A token that is not this class's teacher token (`teacher_token_wrong`)"},
}
_CONFLICT = {409: {"model": ErrorResponse, "description": "The class cannot take this now: full, no experiment open, experiment changed, results full"}}

CodePath = Annotated[str, Path(
    pattern=r"^[A-Za-z0-9-]{1,16}$",
    description=f"The class code: {CODE_LENGTH} symbols from {ALPHABET} (case and hyphens do not matter)",
    examples=["ABCD-EFGH"],
)]


# ----------------------------------------------------------------------------- the store


def get_store(app: FastAPI) -> ClassStore:
    """The app's class store, made on first use from its settings (``app.state.live_limits``
    may replace the default caps, e.g. in tests)."""
    store = getattr(app.state, "live_store", None)
    if store is None:
        s = app.state.settings
        limits = getattr(app.state, "live_limits", None) or Limits(max_students=s.class_max_students)
        store = make_store(s.redis_url, s.class_idle_s, limits, app.state.logger)
        app.state.live_store = store
    return store


def _refused(e: LiveError) -> ApiError:
    headers = {"Retry-After": str(max(1, round(e.retry_after_s)))} if e.retry_after_s else None
    return ApiError(_STATUS.get(e.code, 409), e.message, "code" if e.code in ("class_not_found", "class_ended") else None, headers, code=e.code)


def _too_many(message: str, retry_after_s: float, code: str) -> ApiError:
    return ApiError(429, message, None, {"Retry-After": str(max(1, int(retry_after_s + 0.999)))}, code=code)


async def _client(request: Request, store: ClassStore) -> str:
    return client_key(request.client.host if request.client else None, await store.salt())


async def _find(request: Request, code: str) -> tuple[ClassStore, ClassInfo]:
    """The class named by ``code``; unknown codes count against the client's guessing limit
    (what cannot be a code at all is a 422 naming why, and no guess)."""
    store = get_store(request.app)
    limits = store.limits
    try:
        who = await _client(request, store)
        wait = await store.rate(f"miss:{who}", limits.misses_per_min, 60.0, cost=0)
        if wait is not None:
            raise _too_many(f"too many unknown class codes from this address: at most {limits.misses_per_min} a minute; retry in {int(wait + 0.999)} s", wait, "too_many_attempts")
        canonical = normalise_code(code)
        if canonical is None:  # never a code (no guess: not counted)
            message, character = code_problem(code) or (f"{code!r} cannot be a class code", None)
            raise ApiError(422, message, "code", code="invalid_class_code", **({"character": character} if character else {}))
        info = await store.get(canonical)
        if info is None:
            await store.rate(f"miss:{who}", limits.misses_per_min, 60.0)
            if await store.ended(canonical):
                raise ApiError(410, f"the class {display_code(canonical)} has ended: its teacher ended it (a new class has a new code)", "code", code="class_ended")
            raise ApiError(404, f"no live class has the code {code!r} (it may have expired): check the code with the teacher", "code", code="class_not_found")
    except LiveError as e:
        raise _refused(e) from None
    return store, info


async def _teacher(request: Request, code: str, credentials: HTTPAuthorizationCredentials | None) -> tuple[ClassStore, ClassInfo]:
    """The class, if the request carries its teacher token. No Bearer credentials at all is a
    401 before the lookup; a wrong token (an empty one too) is a 403 once the class is found.
    (``credentials`` only documents the scheme in OpenAPI: the header is read here.)"""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        raise ApiError(401, "only the teacher can do this: send Authorization: Bearer <teacher_token>", "Authorization",
                       {"WWW-Authenticate": 'Bearer realm="live class"'}, code="teacher_token_missing")
    store, info = await _find(request, code)
    if not token_matches(token.strip(), info.token_hash):
        raise ApiError(403, "this is not the teacher token of this class: only the teacher can do this", "Authorization", code="teacher_token_wrong")
    return store, info


async def _change(request: Request, store: ClassStore, info: ClassInfo, kind: str, data: dict[str, Any]) -> Event:
    limit = store.limits.messages_per_s
    try:
        wait = await store.rate(f"msg:{info.code}", limit, 1.0)
        if wait is not None:
            raise _too_many(f"at most {limit} changes a second reach a class: send the latest state a moment later", wait, "too_many_messages")
        return await store.change(info.code, kind, data)
    except LiveError as e:
        raise _refused(e) from None


# ----------------------------------------------------------------------------- routes


def _base(request: Request) -> str:
    return public_url(request, "")


def _public(info: ClassInfo) -> dict[str, Any]:
    return {**info.public(), "display_code": display_code(info.code)}


@router.post(
    "/api/classes", status_code=201, summary="Start a live class", response_model=ClassCreated, response_class=JSONResponse,
    responses={201: {"description": "The class: its code, the join URL, and the teacher token (shown once)"}},
)
async def create_class(request: Request, body: CreateClassBody | None = None) -> dict[str, Any]:
    """A class with a short join code. Keep `teacher_token` secret: it is the only way to
    control the class, and it is not shown again. Refused (503) when the server runs several
    worker processes without ACTLAB_REDIS_URL."""
    settings = request.app.state.settings
    if settings.workers > 1 and not settings.redis_url:
        raise ApiError(
            503,
            f"live classes need ACTLAB_REDIS_URL when the server runs {settings.workers} worker processes "
            "(ACTLAB_WORKERS): each worker would hold its own classes, and a student's connection and the "
            "teacher's changes could land on different workers that never hear of each other. "
            "Start redis-server and set ACTLAB_REDIS_URL=redis://127.0.0.1:6379/0, or run one worker.",
            None,
            code="live_classes_need_redis",
        )
    store = get_store(request.app)
    token = new_token()
    try:
        who = await _client(request, store)
        per_hour = store.limits.creates_per_hour
        wait = await store.rate(f"create:{who}", per_hour, 3600.0)
        if wait is not None:
            raise _too_many(f"at most {per_hour} classes an hour may be started from one address; retry in {int(wait + 0.999)} s", wait, "too_many_classes_started")
        info = await store.create(token_hash(token), body.query if body else "")
    except LiveError as e:
        raise _refused(e) from None
    base = _base(request)
    return {
        "code": info.code,
        "display_code": display_code(info.code),
        "join_url": f"{base}/join/{info.code}",
        "qr_url": f"{base}/api/classes/{info.code}/qr.svg",
        "teacher_token": token,
        "teacher_url": f"{base}/?class={info.code}#teacher={token}",
        "idle_expiry_s": store.idle_s,
        "max_students": store.limits.max_students,
    }


@router.get("/api/classes/{code}", summary="A class's public state", response_model=ClassPublic, response_class=JSONResponse)
async def get_class(code: CodePath, request: Request) -> dict[str, Any]:
    """Whether the class exists, the teacher's view, pause, the experiment, how many follow, and its join link."""
    _, info = await _find(request, code)
    return {**_public(info), "join_url": f"{_base(request)}/join/{info.code}"}


def _sse(event: Event) -> bytes:
    head = b"id: %d\n" % event.seq if event.seq is not None else b""
    return head + b"event: " + event.kind.encode() + b"\ndata: " + dumps(event.data) + b"\n\n"


async def _gone(store: ClassStore, code: str) -> bytes:
    """The last event of a stream whose class is gone: ended by its teacher, or expired."""
    return _sse(Event(CLOSED, {"reason": "ended" if await store.ended(code) else "expired"}))


def _snapshot(info: ClassInfo, resumed_from: int | None, conn: str) -> bytes:
    data = {**_public(info), "resumed_from": resumed_from, "connection": conn}
    return b"retry: %d\nid: %d\nevent: snapshot\ndata: " % (RECONNECT_MS, info.seq) + dumps(data) + b"\n\n"


@router.get(
    "/api/classes/{code}/events",
    summary="Follow a class (server-sent events)",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "snapshot, then state / pause / release / experiment / results events"}, **_CONFLICT},
)
async def class_events(
    code: CodePath,
    request: Request,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", pattern=r"^[0-9]{1,15}$", description="Sent by EventSource on reconnecting")] = None,
) -> StreamingResponse:
    """text/event-stream. First `event: snapshot` (the whole public state, `id:` its sequence
    number), then each change as it happens: `state` {seq, query}, `pause` {seq, message},
    `release` {seq}, `experiment` {seq, experiment}; `results` {count, revision} when a student submits
    (or resubmits: the revision changes, the count may not);
    `closed` {reason} when the class is gone (`expired`, or `ended` by its teacher), and the stream ends. Changes carry `id: seq`, so
    a reconnecting EventSource sends Last-Event-ID and gets a fresh snapshot. A comment line
    every 15 s keeps idle connections open. Each open stream counts as one student."""
    store, info = await _find(request, code)
    code = info.code
    try:
        sub = await store.subscribe(code)  # before the snapshot, so no change falls between
        conn = secrets.token_hex(8)
        try:
            await store.join(code, conn)
        except LiveError:
            await sub.close()
            raise
    except LiveError as e:
        raise _refused(e) from None
    tick = min(KEEPALIVE_S, max(0.25, store.idle_s / 4))
    resumed_from = int(last_event_id) if last_event_id is not None else None

    async def cleanup() -> None:
        await sub.close()
        await store.leave(code, conn)

    async def events():
        try:
            info = await store.get(code)
            if info is None:
                yield await _gone(store, code)
                return
            last = info.seq
            yield _snapshot(info, resumed_from, conn)
            beat = time.monotonic()
            while True:
                event = await sub.next(tick)
                if time.monotonic() - beat >= tick:
                    beat = time.monotonic()
                    if not await store.heartbeat(code, conn):
                        yield await _gone(store, code)
                        return
                if event is None:
                    yield b": keep-alive\n\n"
                    continue
                if event.kind == CLOSED:
                    yield _sse(event)
                    return
                if event.kind == STOP:
                    return  # the server is stopping: EventSource reconnects (to another worker)
                if event.kind == RESYNC or (event.seq is not None and event.seq > last + 1):
                    info = await store.get(code)  # missed something: send the whole state again
                    if info is None:
                        yield await _gone(store, code)
                        return
                    last = info.seq
                    yield _snapshot(info, None, conn)
                    continue
                if event.seq is not None:
                    if event.seq <= last:
                        continue  # already in the snapshot
                    last = event.seq
                yield _sse(event)
        except LiveError as e:
            yield b"event: error\ndata: " + dumps({"detail": e.message, "code": e.code}) + b"\n\n"

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        background=BackgroundTask(cleanup),
    )


TeacherAuth = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


@router.put("/api/classes/{code}/following", summary="Student: following the teacher, or exploring on their own", response_model=FollowingSet, response_class=JSONResponse)
async def put_following(code: CodePath, body: FollowingBody, request: Request) -> dict[str, Any]:
    """A student's page says so when it changes (and on reconnecting while exploring), so the
    teacher's count is honest: `exploring` in the class's state."""
    store, info = await _find(request, code)
    limit = store.limits.results_per_s
    try:
        wait = await store.rate(f"following:{info.code}", limit, 1.0)
        if wait is not None:
            raise _too_many(f"at most {limit} such changes a second reach a class: send it again in a moment", wait, "too_many_messages")
        counted = await store.set_following(info.code, body.connection, body.following)
    except LiveError as e:
        raise _refused(e) from None
    return {"counted": counted}


@router.put("/api/classes/{code}/state", summary="Teacher: set the view every student follows", response_model=ChangeAccepted, response_class=JSONResponse, responses=_TEACHER)
async def put_state(code: CodePath, body: StateBody, request: Request, credentials: TeacherAuth) -> dict[str, Any]:
    store, info = await _teacher(request, code, credentials)
    event = await _change(request, store, info, "state", {"query": body.query})
    return {"seq": event.seq}


@router.post("/api/classes/{code}/pause", summary="Teacher: lock the students' controls, with a message", response_model=ChangeAccepted, response_class=JSONResponse, responses=_TEACHER)
async def post_pause(code: CodePath, request: Request, credentials: TeacherAuth, body: PauseBody | None = None) -> dict[str, Any]:
    store, info = await _teacher(request, code, credentials)
    event = await _change(request, store, info, "pause", {"message": (body or PauseBody()).message})
    return {"seq": event.seq}


@router.post("/api/classes/{code}/release", summary="Teacher: unlock the students' controls", response_model=ChangeAccepted, response_class=JSONResponse, responses=_TEACHER)
async def post_release(code: CodePath, request: Request, credentials: TeacherAuth) -> dict[str, Any]:
    store, info = await _teacher(request, code, credentials)
    event = await _change(request, store, info, "release", {})
    return {"seq": event.seq}


@router.post("/api/classes/{code}/experiment", summary="Teacher: open (or close) a class experiment", response_model=ExperimentSet, response_class=JSONResponse, responses=_TEACHER)
async def post_experiment(code: CodePath, body: ExperimentBody, request: Request, credentials: TeacherAuth) -> dict[str, Any]:
    """Opening one (a prompt) starts a fresh set of results; `{"prompt": null}` closes the
    current one, whose results stay readable until the next opens."""
    store, info = await _teacher(request, code, credentials)
    spec = None if body.prompt is None else {"prompt": body.prompt, "collect": list(body.collect), "param": body.param}
    event = await _change(request, store, info, "experiment", {"experiment": spec})
    return {"seq": event.seq, "experiment": event.data["experiment"]}


@router.post("/api/classes/{code}/end", summary="Teacher: end the class for everyone", response_model=ClassEnded, response_class=JSONResponse, responses=_TEACHER)
async def post_end(code: CodePath, request: Request, credentials: TeacherAuth) -> dict[str, Any]:
    """Every follower gets `closed` {"reason": "ended"} and its stream ends; the class and its
    results are gone. For the class's idle lifetime its code answers 410 (`class_ended`)."""
    store, info = await _teacher(request, code, credentials)
    try:
        await store.end(info.code)
    except LiveError as e:
        raise _refused(e) from None
    return {"code": info.code, "ended": True}


@router.post(
    "/api/classes/{code}/results", status_code=201, summary="Student: submit a result to the class experiment",
    response_model=ResultAccepted, response_class=JSONResponse, responses=_CONFLICT,
)
async def post_result(code: CodePath, body: ResultBody, request: Request) -> dict[str, Any]:
    """A result carries the numbers the experiment collects and no other (a number the teacher
    chose not to collect is refused, 422 `result_not_collected`: it is neither sent nor kept)."""
    store, info = await _find(request, code)
    exp = info.experiment
    collect = list(NUMBERS)
    if exp is not None and exp.get("open"):
        collect = exp["collect"]
        for name in collect:
            if getattr(body, name) is None:
                raise ApiError(422, f"{name}: this class experiment collects it: send a number", name, code="result_incomplete")
        for name in NUMBERS:
            if name not in collect and getattr(body, name) is not None:
                raise ApiError(422, f"{name}: this class experiment does not collect it: leave it out", name, code="result_not_collected")
        if exp.get("param") and exp["param"] not in body.params:
            raise ApiError(422, f"params.{exp['param']}: this class experiment varies {exp['param']}: send the value you chose", f"params.{exp['param']}", code="result_incomplete")
    result = {
        "nickname": body.nickname,
        "activation": body.activation,
        "params": body.params,
        **{name: getattr(body, name) for name in collect},
    }
    limit = store.limits.results_per_s
    try:
        wait = await store.rate(f"results:{info.code}", limit, 1.0)
        if wait is not None:
            raise _too_many(f"at most {limit} results a second reach a class: submit again in a moment", wait, "too_many_messages")
        count = await store.add_result(info.code, body.student or secrets.token_hex(12), result, body.experiment)
    except LiveError as e:
        raise _refused(e) from None
    return {"count": count}


@router.get("/api/classes/{code}/results", summary="Teacher: the class's results", response_model=ClassResults, response_model_exclude_unset=True,
            response_class=JSONResponse, responses=_TEACHER)
async def get_results(code: CodePath, request: Request, credentials: TeacherAuth) -> dict[str, Any]:
    """The current (or last) experiment and every result submitted to it: each with the
    numbers the experiment collects, and only those."""
    store, info = await _teacher(request, code, credentials)
    try:
        experiment, results = await store.results(info.code)
    except LiveError as e:
        raise _refused(e) from None
    return {"experiment": experiment, "count": len(results), "results": results}


@router.api_route("/api/classes/{code}/results", methods=["PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"], include_in_schema=False)
async def results_other_methods(request: Request) -> None:
    """The one path with two methods: without this, a 405 would list only the first's."""
    raise ApiError(405, f"{request.method} is not allowed on {request.url.path[:200]}; allowed: GET, POST", None,
                   {"Allow": "GET, HEAD, POST"}, code="method_not_allowed")


@router.get(
    "/api/classes/{code}/qr.svg", summary="A QR code of the join URL (SVG, drawn here)", response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}, "description": "The QR code"}},
)
async def get_qr(code: CodePath, request: Request) -> Response:
    _, info = await _find(request, code)
    qr = segno.make(f"{_base(request)}/join/{info.code}", error="m")
    out = io.BytesIO()
    qr.save(out, kind="svg", scale=8, border=4, xmldecl=False, title=f"Join class {display_code(info.code)}")
    return Response(out.getvalue(), media_type="image/svg+xml", headers={"Cache-Control": "no-store"})


# ----------------------------------------------------------------------------- the join page


def _sentence(text: str) -> str:
    """An API message (lower-case, no full stop) as the page shows it: a sentence."""
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


@router.get("/join", response_class=HTMLResponse, include_in_schema=False)
@router.get("/join/{code}", response_class=HTMLResponse, include_in_schema=False)
async def join_page(request: Request, code: str | None = None) -> HTMLResponse:
    """Type a code (or arrive with one), pick an optional nickname, then follow the class."""
    code = code if code is not None else request.query_params.get("code")  # the form without JS
    found, status, problem = None, 200, ""
    if code is not None:
        try:
            _, info = await _find(request, code[:32])
            found = info
        except ApiError as e:
            status, problem = e.status, _sentence(e.message)
    response = render(
        request, "join.html", status_code=status,  # (a refusal is not kept: the page cache keys on the URL alone)
        code=found.code if found else "",
        display_code=display_code(found.code) if found else "",
        typed=(code or "")[:32],
        problem=problem,
        alphabet=ALPHABET,
        code_length=CODE_LENGTH,
        max_nickname=MAX_NICKNAME,
    )
    response.headers["Cache-Control"] = "no-store"
    return response
