"""The training pool, and how identical requests share one computation.

Runs execute off the event loop in a fixed set of worker threads (numpy releases the GIL in
its heavy loops), with a bounded number waiting; beyond that a request gets 503 with
Retry-After (code ``busy``). The app creates one pool per process in its lifespan (see
:func:`app.main.create_app`); routes receive it as a dependency (:data:`app.api.deps.PoolDep`).

**Single flight.** A request may name its computation by a *key* — the route and the
normalised request, everything its answer depends on. While a computation of that key is
under way, an identical request joins it (a :class:`Flight`, which counts its waiters)
instead of starting another, and the one result answers them all. A waiter whose client
goes away leaves; the computation is stopped only when its *last* waiter has left, and a
flight told to stop takes no new waiters (the next identical request starts afresh).
Progress (the training stream) is fanned out to every waiter's queue.

**Result cache.** A complete result (never one cut short by the time limit, nor one whose
waiters all left) is kept by key in a per-process LRU bounded in bytes, and answers later
identical requests at once. Every answer depends only on its request, so this is only a
cache: any worker process computes the same bytes.

Answers say how they were served in ``X-Run``: ``computed`` (this request started the
computation), ``joined`` (it joined one under way) or ``cached``; a training run also says
in ``X-Run-Batch`` how many requests its stacked pass trained (see :mod:`app.api.batching`).
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from .errors import ApiError
from .responses import GZIP_MIN_BYTES, BodyCache, _accepts_gzip, gzip_bytes

RETRY_AFTER_S = 1  # interactive work; bulk work is told twice as long
# How often a waiting request checks whether its client is still there.
POLL_S = 0.25
# The largest result kept (the cache's size is a setting: ACTLAB_TRAIN_CACHE_BYTES).
MAX_CACHED_RESULT = 8 * 1024 * 1024


class TrainingPool:
    """``workers`` threads computing runs, with up to ``queue`` more waiting (``noun``: what
    they compute, for the busy message). The curve routes have a small one of their own.
    ``cache_bytes``: the size of its result cache (0: none).

    Two kinds of work share the workers. *Interactive* work is a training run someone is
    watching for (train, its stream, a batch of them); *bulk* work is the rest (sweeps,
    lessons' measurements, init statistics, the theory's network): longer, and fine to wait a
    little. A free worker takes the oldest interactive job first, and bulk jobs hold at most
    ``workers − 1`` workers at once (the one worker, when there is one), so a training run
    never waits behind sweeps. Each kind has its own ``queue`` places; ``in_flight`` and
    ``capacity`` count the interactive kind (``bulk_in_flight``, ``bulk_capacity``: the other).
    """

    def __init__(self, workers: int, queue: int, noun: str = "training", cache_bytes: int = 0):
        self.noun = noun
        self.workers = max(1, workers)
        self.capacity = self.workers + max(0, queue)
        self.bulk_workers = max(1, self.workers - 1)
        self.bulk_capacity = self.bulk_workers + max(0, queue)
        self._cv = threading.Condition()
        self._waiting: dict[bool, deque[tuple[Future, Callable[[], Any]]]] = {False: deque(), True: deque()}  # by bulk
        self._bulk_running = 0
        self._closed = False
        self.in_flight = 0  # interactive jobs running + waiting
        self.bulk_in_flight = 0
        self._threads: list[threading.Thread] = []
        self.results = ResultCache(cache_bytes)
        self.flights = Flights(self.results)
        self.batcher: Any = None  # app.api.batching.Batcher, when training requests are batched
        self.stats: Counter[str] = Counter()  # computed, joined, cached, batches, batched (requests)

    def full(self, bulk: bool = False) -> bool:
        return self.bulk_in_flight >= self.bulk_capacity if bulk else self.in_flight >= self.capacity

    def submit(self, fn: Callable[[], Any], bulk: bool = False) -> Future:
        """Queue ``fn`` (``bulk``: see the class docstring), or raise 503 when its kind has
        every place taken."""
        future: Future = Future()
        with self._cv:
            if self.full(bulk):
                taken, places = (self.bulk_in_flight, self.bulk_capacity) if bulk else (self.in_flight, self.capacity)
                retry = RETRY_AFTER_S * (2 if bulk else 1)
                raise ApiError(
                    503,
                    f"all {places} {self.noun} places are taken ({taken} {'runs' if self.noun == 'training' else 'requests'} running or waiting); "
                    f"retry in {retry} s",
                    "request",
                    headers={"Retry-After": str(retry), "Cache-Control": "no-store"},
                    code="busy",
                    retry_after=retry,
                )
            if bulk:
                self.bulk_in_flight += 1
            else:
                self.in_flight += 1
            self._waiting[bulk].append((future, fn))
            if len(self._threads) < self.workers and len(self._threads) < self.in_flight + self.bulk_in_flight:
                t = threading.Thread(target=self._work, name=f"actlab-{self.noun}_{len(self._threads)}", daemon=True)
                self._threads.append(t)
                t.start()
            self._cv.notify()
        return future

    def _next(self) -> tuple[Future, Callable[[], Any], bool] | None:
        """The job a free worker takes (under the lock), or None."""
        if self._waiting[False]:
            return (*self._waiting[False].popleft(), False)
        if self._waiting[True] and self._bulk_running < self.bulk_workers:
            self._bulk_running += 1
            return (*self._waiting[True].popleft(), True)
        return None

    def _work(self) -> None:
        while True:
            with self._cv:
                job = self._next()
                while job is None and not self._closed:
                    self._cv.wait()
                    job = self._next()
                if job is None:
                    return
            future, fn, bulk = job
            outcome = None
            try:
                if future.set_running_or_notify_cancel():
                    try:
                        outcome = (True, fn())
                    except BaseException as e:
                        outcome = (False, e)
            finally:
                # the place is free before the answer goes out, so the client's next request finds it
                with self._cv:
                    if bulk:
                        self._bulk_running -= 1
                        self.bulk_in_flight -= 1
                        if self._waiting[True]:
                            self._cv.notify_all()  # a worker left idle by the bulk limit may take one now
                    else:
                        self.in_flight -= 1
            if outcome is not None:
                done, value = outcome
                if done:
                    future.set_result(value)
                else:
                    future.set_exception(value)

    def shutdown(self) -> None:
        with self._cv:
            self._closed = True
            for waiting in self._waiting.values():
                while waiting:
                    future, _ = waiting.popleft()
                    future.cancel()
            self._cv.notify_all()


# ----------------------------------------------------------------------------- results


@dataclass
class Result:
    """A computation's answer: the JSON body, whether the time limit cut it short, and for a
    training run how many requests its pass trained (``batch``); ``gz`` once compressed."""

    body: bytes
    cut_short: bool = False
    batch: int | None = None
    gz: bytes | None = field(default=None, repr=False)

    def compress(self) -> None:
        """gzip the body, at level 1 (in a worker thread: a 100 kB training result takes 1 ms
        there, 5 ms at level 6, for 10 % more bytes; results are not kept by proxies)."""
        if self.gz is None and len(self.body) >= GZIP_MIN_BYTES:
            self.gz = gzip_bytes(self.body, level=1)

    @property
    def size(self) -> int:
        return len(self.body) + len(self.gz or b"")


class ResultCache(BodyCache):
    """An LRU of complete results by key, bounded in bytes (thread-safe); a result cut short
    is never kept."""

    def __init__(self, max_bytes: int):
        super().__init__(max_bytes, min(MAX_CACHED_RESULT, max_bytes), lambda result: result.size)

    def put(self, key: str, result: Result) -> None:
        if not result.cut_short:
            super().put(key, result)


class Flight:
    """One computation and the requests waiting for it (on the event loop's thread; the
    worker computing it calls :meth:`publish` and :meth:`finish` from its own)."""

    def __init__(self, key: str | None, loop: asyncio.AbstractEventLoop, owner: Flights):
        self.key = key
        self.loop = loop
        self.owner = owner
        self.waiters = 0
        self.stop = threading.Event()  # set when the last waiter has left: the computation ends
        self.done: asyncio.Future[Result] = loop.create_future()
        self.done.add_done_callback(lambda f: f.cancelled() or f.exception())  # an error nobody waits for is not "never retrieved"
        self.listeners: set[asyncio.Queue] = set()
        self.last_progress: Any = None  # for a stream that joins late
        self.gzip = False  # compress the body in the worker (a waiter takes gzip)
        self.cache = True  # keep a complete result in the result cache

    # from the worker's thread
    def publish(self, item: Any) -> None:
        self._call(self._publish, item)

    def finish(self, result: Result | None = None, error: BaseException | None = None) -> None:
        if result is not None and (self.gzip or (self.key is not None and self.cache)):
            result.compress()  # here, in the worker; a cached result is compressed before it is counted
        self._call(self._settle, result, error)

    def run(self, job: Callable[[threading.Event], Any]) -> None:
        """Compute ``job(stop)`` (a Result, or bytes: a complete body) and settle the flight."""
        try:
            out = job(self.stop)
        except BaseException as e:
            self.finish(error=e)
            return
        self.finish(out if isinstance(out, Result) else Result(out))

    def _call(self, fn: Callable[..., None], *args: Any) -> None:
        try:
            self.loop.call_soon_threadsafe(fn, *args)
        except RuntimeError:  # the loop has closed (the app stopped): nobody is waiting
            pass

    # on the loop
    def _publish(self, item: Any) -> None:
        self.last_progress = item
        for queue in self.listeners:
            queue.put_nowait(item)

    def _settle(self, result: Result | None, error: BaseException | None) -> None:
        if self.done.done():
            return
        self.owner.forget(self)
        if error is not None:
            self.done.set_exception(error)
            return
        assert result is not None
        if self.key is not None and self.cache and not self.stop.is_set():
            self.owner.cache.put(self.key, result)
        self.done.set_result(result)


class Flights:
    """The computations under way, by key (used on the event loop's thread only)."""

    def __init__(self, cache: ResultCache):
        self.cache = cache
        self.active: dict[str, Flight] = {}

    def join(self, key: str) -> Flight | None:
        flight = self.active.get(key)
        if flight is None or flight.stop.is_set():
            return None
        flight.waiters += 1
        return flight

    def open(self, key: str | None) -> Flight:
        flight = Flight(key, asyncio.get_running_loop(), self)
        flight.waiters = 1
        if key is not None:
            self.active[key] = flight
        return flight

    def leave(self, flight: Flight) -> None:
        """A waiter has its answer, or its client went away: the last one to go stops the run."""
        flight.waiters -= 1
        if flight.waiters <= 0 and not flight.done.done():
            flight.stop.set()
            self.forget(flight)

    def forget(self, flight: Flight) -> None:
        if flight.key is not None and self.active.get(flight.key) is flight:
            del self.active[flight.key]


def attach(request: Request, pool: TrainingPool, key: str | None, launch: Callable[[Flight], None], cache: bool = True) -> tuple[Result | Flight, str]:
    """The cached result of ``key``, the flight computing it (joined), or a new flight that
    ``launch(flight)`` starts (it may raise 503: then there is no flight); and how (X-Run).
    Without ``cache`` the result cache is neither read nor filled (the caller keeps its own)."""
    if key is not None and cache:
        hit = pool.results.get(key)
        if hit is not None:
            pool.stats["cached"] += 1
            return hit, "cached"
    if key is not None:
        flight = pool.flights.join(key)
        if flight is not None:
            pool.stats["joined"] += 1
            flight.gzip |= _accepts_gzip(request.headers.get("accept-encoding"))
            return flight, "joined"
    flight = pool.flights.open(key)
    flight.gzip = _accepts_gzip(request.headers.get("accept-encoding"))
    flight.cache = cache
    try:
        launch(flight)
    except BaseException:
        pool.flights.leave(flight)
        raise
    pool.stats["computed"] += 1
    return flight, "computed"


async def wait(request: Request, pool: TrainingPool, flight: Flight) -> Result | None:
    """The flight's result, or None if the client went away first (it leaves the flight)."""
    try:
        while not flight.done.done():
            await asyncio.wait({flight.done}, timeout=POLL_S)
            if not flight.done.done() and await request.is_disconnected():
                return None
        return flight.done.result()
    finally:
        pool.flights.leave(flight)


async def respond(request: Request, result: Result, headers: dict[str, str] | None = None) -> Response:
    """The result as this request's answer: gzip when the client takes it (compressed once
    per result, off the event loop), ``no-store`` unless ``headers`` say otherwise."""
    packed = {"Vary": "Accept-Encoding"}
    body = result.body
    if len(body) >= GZIP_MIN_BYTES and _accepts_gzip(request.headers.get("accept-encoding")):
        if result.gz is None:
            await run_in_threadpool(result.compress)
        body = result.gz or body
        packed["Content-Encoding"] = "gzip"
    if result.batch is not None:
        packed["X-Run-Batch"] = str(result.batch)
    return Response(body, media_type="application/json", headers={**packed, "Cache-Control": "no-store", **(headers or {})})


async def shared(request: Request, pool: TrainingPool, key: str | None, launch: Callable[[Flight], None], cache: bool = True) -> tuple[Result | None, str]:
    """The result of the computation ``key`` names — cached, joined or launched — or None
    if the client went away first; and how it was served."""
    found, how = attach(request, pool, key, launch, cache)
    if isinstance(found, Result):
        return found, how
    return await wait(request, pool, found), how


async def run_in_pool(
    request: Request, pool: TrainingPool, job: Callable[[threading.Event], Any], headers: dict[str, str] | None = None, key: str | None = None,
    on_result: Callable[[Result], None] | None = None,
) -> Response:
    """Run ``job(stop)`` in the pool — it returns a :class:`Result` or a complete body — or,
    with a ``key``, share the computation with identical requests (single flight, result
    cache), as bulk work. ``stop`` is set when every waiting client has gone. The body is compressed in
    the pool's thread. The answer is ``no-store`` unless ``headers`` say otherwise; a client
    that left gets 499 (nobody reads it). ``on_result`` sees the result first."""
    result, how = await shared(request, pool, key, lambda flight: pool.submit(lambda: flight.run(job), bulk=True))
    if result is None:
        return Response(status_code=499)
    if on_result is not None:
        on_result(result)
    return await respond(request, result, {"X-Run": how, **(headers or {})})
