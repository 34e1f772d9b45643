"""Training requests that share a network shape, trained together in one stacked pass.

Inference servers batch requests; so does this one. Concurrent ``/api/train`` (and stream)
requests that differ only in values — activations and their parameters, learning rate,
momentum — share a *shape* (:func:`app.core.stacking.shape_key`: the data, the network,
the recording…), and the engine trains K variants at once (for the explorer's small default
network K runs alone take 0.9–1.7× as long as the one pass, bench/README.md). The larger gain is
admission: a request that joins a *pending* batch of its shape — one queued in the training
pool, not yet taken by a worker — takes no queue place, so a burst of similar requests is
not turned away with 503 (``bench/load.py``: the burst). It joins when the combined run fits
the compute budget, the memory cap and :data:`MAX_BATCH_VARIANTS`; otherwise it queues a
batch of its own. Nothing waits on purpose: with a worker free a request's batch is taken at
once and runs alone; under a burst, the requests that wait for a worker accumulate. With a
shape's pending batches already as many as the pool has workers (or the queue full), a
request joins the smallest, so a burst is spread over the workers.

When a worker takes a batch, its requests' variants are trained in one pass and the trace is
split back per request; each response is shaped as the request alone would have it (same
keys; the numbers agree to rounding, see :mod:`app.core.stacking`), and each request's flight
(:mod:`app.api.pool`) gets its own result. A request whose variants all diverged is trained
again alone (alone, such a run stops early). The pass stops when every request in it has
lost all its waiters.

Not batched: runs with a ``state`` or ``include_state`` (continuations are bit for bit),
stochastic activations, float32, sweeps, init_stats, probes and lessons. ``ACTLAB_TRAIN_BATCHING=0``
turns batching off (every request is its own run, as before).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.core import stacking
from app.core.state import RunState
from app.core.training import RunAbandoned, TrainConfig, train

from .errors import ApiError
from .pool import Flight, Result, TrainingPool
from .responses import dumps
from .train_json import train_json

# Variants in one stacked pass at most: every request in a batch waits for the whole pass.
MAX_BATCH_VARIANTS = 16
# Progress (the training stream) at most this often.
PROGRESS_INTERVAL_S = 0.05


def progress_to(flight: Flight, total: int, where: list[int] | None = None) -> Callable[[int, Any], None]:
    """The engine's on_progress for one request: {"epoch", "epochs", "loss"} to its waiters
    (``where``: its variants in a combined pass)."""

    def progress(epoch: int, losses: Any) -> None:
        flight.publish({"epoch": epoch, "epochs": total, "loss": losses[where] if where is not None else losses.copy()})

    return progress


def train_alone(config: TrainConfig, echo: dict[str, Any], state: RunState | None, flight: Flight, limit: float, total: int) -> Result:
    """One request's run by itself: the /api/train body and whether it was cut short."""
    trace = train(config, state=state, abandoned=flight.stop.is_set, on_progress=progress_to(flight, total), time_limit_s=limit,
                  progress_interval_s=PROGRESS_INTERVAL_S, first_frame=False)
    return Result(dumps(train_json(config, trace, echo)), trace.cut_short, batch=1)


@dataclass
class Member:
    """A request in a batch: its flight, its own configuration and echo, its total epochs."""

    flight: Flight
    config: TrainConfig
    echo: dict[str, Any]
    total: int


class Batch:
    def __init__(self, shape: str, first: Member, limit: float):
        self.shape, self.members, self.limit = shape, [first], limit

    def fits(self, member: Member) -> bool:
        combined, _ = stacking.combine([m.config for m in [*self.members, member]])
        return stacking.fits(combined, MAX_BATCH_VARIANTS)

    @property
    def variants(self) -> int:
        return sum(len(m.config.variants) for m in self.members)


class Batcher:
    """The pending batches of one training pool, by shape."""

    def __init__(self, pool: TrainingPool):
        self.pool = pool
        self._lock = threading.Lock()
        self._pending: dict[str, list[Batch]] = {}

    def add(self, flight: Flight, config: TrainConfig, echo: dict[str, Any], limit: float, total: int) -> None:
        """Put a request in a pending batch of its shape, or queue a batch for it (503 when
        the pool is full and no pending batch can take it)."""
        member = Member(flight, config, echo, total)
        shape = stacking.shape_key(config)
        with self._lock:
            waiting = self._pending.get(shape, [])
            fitting = [b for b in waiting if b.fits(member)]
            if fitting and (len(waiting) >= self.pool.workers or self.pool.full()):
                self._join(min(fitting, key=lambda b: b.variants), member)
                return
            batch = Batch(shape, member, limit)
            try:
                self.pool.submit(lambda: self._run(batch))
            except ApiError:
                if not fitting:
                    raise
                self._join(min(fitting, key=lambda b: b.variants), member)
                return
            self._pending.setdefault(shape, []).append(batch)

    def _join(self, batch: Batch, member: Member) -> None:
        batch.members.append(member)
        self.pool.stats["batched"] += 1

    def _run(self, batch: Batch) -> None:
        """In a worker: close the batch to joiners, train it, answer each request."""
        with self._lock:
            waiting = self._pending.get(batch.shape, [])
            if batch in waiting:
                waiting.remove(batch)
            if not waiting:
                self._pending.pop(batch.shape, None)
        live = []
        for m in batch.members:
            if m.flight.stop.is_set():  # every waiter left while it waited
                m.flight.finish(error=RunAbandoned())
            else:
                live.append(m)
        if len(live) == 1:
            m = live[0]
            m.flight.run(lambda stop: train_alone(m.config, m.echo, None, m.flight, batch.limit, m.total))
        elif live:
            self.pool.stats["batches"] += 1
            train_together(live, batch.limit)


def train_together(members: list[Member], limit: float) -> None:
    """Train the members' runs in one stacked pass and settle each one's flight."""
    config, where = stacking.combine([m.config for m in members])
    updates = [progress_to(m.flight, m.total, w) for m, w in zip(members, where)]

    def progress(epoch: int, losses: Any) -> None:
        for update in updates:
            update(epoch, losses)

    try:
        trace = train(config, abandoned=lambda: all(m.flight.stop.is_set() for m in members), on_progress=progress,
                      time_limit_s=limit, progress_interval_s=PROGRESS_INTERVAL_S, first_frame=False)
    except BaseException as e:
        for m in members:
            m.flight.finish(error=e)
        return
    alone = []
    for m, w in zip(members, where):
        if stacking.all_diverged(trace, w):
            alone.append(m)  # alone it would have stopped at the divergence
            continue
        try:
            own = stacking.split(trace, config, m.config, w)
            m.flight.finish(Result(dumps(train_json(m.config, own, m.echo)), own.cut_short, batch=len(members)))
        except BaseException as e:
            m.flight.finish(error=e)
    for m in alone:
        m.flight.run(lambda stop, m=m: train_alone(m.config, m.echo, None, m.flight, limit, m.total))
