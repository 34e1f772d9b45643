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
from .responses import dynamic

RETRY_AFTER_S = 2


class TrainingPool:
    """``workers`` threads computing runs, with up to ``queue`` more waiting."""

    def __init__(self, workers: int, queue: int):
        self.workers = max(1, workers)
        self.capacity = self.workers + max(0, queue)
        self.executor = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="actlab-train")
        self._lock = threading.Lock()
        self.in_flight = 0  # running + waiting

    def submit(self, fn: Callable[[], Any]) -> Future:
        """Queue ``fn``, or raise 503 when every worker is busy and the queue is full."""
        with self._lock:
            if self.in_flight >= self.capacity:
                raise ApiError(
                    503,
                    f"all {self.workers} training workers are busy and {self.capacity - self.workers} runs are waiting; "
                    f"retry in {RETRY_AFTER_S} s",
                    "request",
                    headers={"Retry-After": str(RETRY_AFTER_S)},
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
    """Run ``job(stop)`` in the pool; set ``stop`` if the client disconnects meanwhile."""
    stop = threading.Event()
    future = asyncio.wrap_future(pool.submit(lambda: job(stop)))
    try:
        while True:
            done, _ = await asyncio.wait({future}, timeout=0.25)
            if done:
                break
            if await request.is_disconnected():
                stop.set()
    finally:
        stop.set()
    return dynamic(request, future.result(), headers=headers)
