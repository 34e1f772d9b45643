"""The training pool: a fixed set of worker threads plus a bounded number of waiting runs.

Runs execute off the event loop (numpy releases the GIL in its heavy loops); beyond the
workers and the queue a request gets 503 with Retry-After (code ``busy``). The app creates
one pool per process in its lifespan (see :func:`app.main.create_app`); routes receive it
as a dependency (:data:`app.api.deps.PoolDep`).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from .errors import ApiError
from .responses import dynamic, pack

RETRY_AFTER_S = 2


class TrainingPool:
    """``workers`` threads computing runs, with up to ``queue`` more waiting (``noun``: what
    they compute, for the busy message). The curve routes have a small one of their own."""

    def __init__(self, workers: int, queue: int, noun: str = "training"):
        self.noun = noun
        self.workers = max(1, workers)
        self.capacity = self.workers + max(0, queue)
        self.executor = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix=f"actlab-{noun}")
        self._lock = threading.Lock()
        self.in_flight = 0  # running + waiting

    def submit(self, fn: Callable[[], Any]) -> Future:
        """Queue ``fn``, or raise 503 when every worker is busy and the queue is full."""
        with self._lock:
            if self.in_flight >= self.capacity:
                raise ApiError(
                    503,
                    f"all {self.workers} {self.noun} workers are busy and {self.capacity - self.workers} {'runs' if self.noun == 'training' else 'requests'} are waiting; "
                    f"retry in {RETRY_AFTER_S} s",
                    "request",
                    headers={"Retry-After": str(RETRY_AFTER_S), "Cache-Control": "no-store"},
                    code="busy",
                    retry_after=RETRY_AFTER_S,
                )
            self.in_flight += 1

        def run() -> Any:
            try:
                return fn()
            finally:
                with self._lock:
                    self.in_flight -= 1

        return self.executor.submit(run)

    def shutdown(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)


async def run_in_pool(request: Request, pool: TrainingPool, job: Callable[[threading.Event], bytes], headers: dict[str, str] | None = None) -> Response:
    """Run ``job(stop)`` in the pool; set ``stop`` if the client disconnects meanwhile. The
    body is compressed in the pool's thread too, not on the event loop. The answer is for
    this request alone (and may be cut short): ``no-store`` unless ``headers`` say otherwise."""
    stop = threading.Event()
    accept = request.headers.get("accept-encoding")
    future = asyncio.wrap_future(pool.submit(lambda: pack(job(stop), accept)))
    try:
        while True:
            done, _ = await asyncio.wait({future}, timeout=0.25)
            if done:
                break
            if await request.is_disconnected():
                stop.set()
    finally:
        stop.set()
    body, packed = future.result()
    return dynamic(request, body, headers={"Cache-Control": "no-store", **(headers or {})}, packed=packed)
