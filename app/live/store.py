"""What a live class is and what every store of classes does.

A class has a code, the hash of its teacher's token, a state (the explorer's URL query), a
paused flag with a message, an optional class experiment, the students connected now and
the results they submitted. Every change the teacher makes gets the next number of the
class's sequence and is fanned out, in that order, to everyone following the class.

Two stores implement ``ClassStore``: ``MemoryStore`` (one process, the default) and
``RedisStore`` (any number of processes sharing one Redis). Classes expire after
``idle_s`` seconds without activity (a teacher's change, a join, a result).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Protocol

# Kinds of event. The first four change the class and carry a sequence number.
SEQUENCED = ("state", "pause", "release", "experiment")
RESULTS = "results"  # {"count", "revision"}: a student submitted (or replaced) a result (no sequence number)
CLOSED = "closed"  # {"reason": "expired" | "ended"}: the class is gone (idle, or its teacher ended it); the stream ends
RESYNC = "resync"  # this process may have missed events: send the subscriber a fresh snapshot
STOP = "stop"  # this server is stopping: end the stream (EventSource reconnects elsewhere)

# How long a connected student counts without a sign of life (streams send one per keep-alive).
PRESENCE_S = 60.0
# Events buffered per subscriber; a subscriber that falls this far behind gets a snapshot instead.
SUBSCRIBER_QUEUE = 256


@dataclass(frozen=True)
class Limits:
    """Caps that keep one class, or one client, from taking the server."""

    max_students: int = 200  # connected at once, per class (settings.class_max_students)
    max_results: int = 500  # kept per class experiment
    messages_per_s: int = 20  # a teacher's changes per class per second
    results_per_s: int = 100  # submitted results per class per second
    misses_per_min: int = 20  # unknown codes one client address may try per minute
    creates_per_hour: int = 30  # classes one client address may start per hour


@dataclass(frozen=True)
class Event:
    kind: str
    data: dict[str, Any]
    seq: int | None = None  # set on the sequenced kinds


@dataclass
class ClassInfo:
    """A class as the store holds it (``token_hash`` stays on the server)."""

    code: str
    token_hash: str
    seq: int = 0
    query: str = ""
    paused: bool = False
    message: str = ""
    experiment: dict[str, Any] | None = None
    students: int = 0
    exploring: int = 0  # of the students, those exploring on their own (as their pages say)
    results: int = 0
    results_revision: int = 0  # grows with every result stored, a replacement too (the count may not change)

    def public(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "seq": self.seq,
            "query": self.query,
            "paused": self.paused,
            "message": self.message,
            "experiment": self.experiment,
            "students": self.students,
            "exploring": self.exploring,
            "results": self.results,
            "results_revision": self.results_revision,
        }


class LiveError(Exception):
    """A request the store cannot carry out; ``code`` is the stable machine name."""

    def __init__(self, code: str, message: str, retry_after_s: float | None = None):
        super().__init__(message)
        self.code, self.message, self.retry_after_s = code, message, retry_after_s


class NotFound(LiveError):
    def __init__(self) -> None:
        super().__init__("class_not_found", "no live class has this code (it may have expired)")


class Subscription(Protocol):
    async def next(self, timeout: float) -> Event | None:
        """The next event, or None after ``timeout`` seconds without one."""

    async def close(self) -> None: ...


class ClassStore(Protocol):
    idle_s: float
    limits: Limits

    async def salt(self) -> bytes:
        """The secret that keys client addresses in rate limits (no address is stored)."""

    async def create(self, token_hash: str, query: str) -> ClassInfo: ...
    async def get(self, code: str) -> ClassInfo | None: ...
    async def change(self, code: str, kind: str, data: dict[str, Any]) -> Event:
        """Apply a sequenced change (state, pause, release, experiment) and fan it out."""

    async def join(self, code: str, conn: str) -> int:
        """Count ``conn`` as connected; the number connected, or LiveError (not found, full)."""

    async def heartbeat(self, code: str, conn: str) -> bool:
        """Keep ``conn`` counted; False when the class is gone."""

    async def leave(self, code: str, conn: str) -> None: ...
    async def set_following(self, code: str, conn: str, following: bool) -> bool:
        """Whether connection ``conn`` follows the teacher or explores on its own (its page says
        so when it changes); False when no such connection is counted; NotFound without the class."""

    async def end(self, code: str) -> None:
        """End the class now: its followers get ``closed`` {"reason": "ended"}, and the code
        stays known as ended for ``idle_s`` (``ended``); NotFound if there is no such class."""

    async def ended(self, code: str) -> bool:
        """Whether the teacher ended a class of this code (within the last ``idle_s``)."""

    async def subscribe(self, code: str) -> Subscription: ...
    async def add_result(self, code: str, key: str, result: dict[str, Any], experiment_id: int | None) -> int:
        """Store one result of the open experiment under ``key`` (replacing that key's earlier
        one) and fan out ``results`` {count, revision}; the number of results, or LiveError
        (no experiment, changed, full)."""

    async def results(self, code: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]: ...
    async def rate(self, key: str, limit: int, window_s: float, cost: int = 1) -> float | None:
        """Count ``cost`` against ``key``'s window unless ``limit`` is already reached;
        None when allowed, else the seconds until the window ends."""

    def end_streams(self) -> None:
        """End every stream of this process (the server is stopping); callable from a signal handler."""

    async def close(self) -> None: ...


@dataclass(eq=False)  # compared and hashed by identity: kept in sets
class LocalSubscription:
    """One subscriber's queue in this process (both stores fan out through these)."""

    queue: asyncio.Queue = field(default_factory=lambda: asyncio.Queue(SUBSCRIBER_QUEUE))
    loop: asyncio.AbstractEventLoop = field(default_factory=asyncio.get_running_loop)
    on_close: Any = None

    def deliver(self, event: Event) -> None:
        """Thread- and loop-safe; an overflowing queue gets one resync instead of more events."""
        self.loop.call_soon_threadsafe(self._put, event)

    def _put(self, event: Event) -> None:
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(Event(RESYNC, {}))

    async def next(self, timeout: float) -> Event | None:
        try:
            return await asyncio.wait_for(self.queue.get(), timeout)
        except TimeoutError:
            return None

    async def close(self) -> None:
        if self.on_close is not None:
            callback, self.on_close = self.on_close, None
            await callback(self)


def apply_change(info: ClassInfo, kind: str, data: dict[str, Any], seq: int) -> tuple[dict[str, Any], bool]:
    """Apply a sequenced change to ``info`` (the rules of both stores): (the event's data,
    whether the results start afresh). An experiment change carries ``{"experiment": spec}``
    to open a new one (its id is its sequence number) or ``{"experiment": None}`` to close
    the current one, whose results stay readable."""
    info.seq = seq
    if kind == "state":
        info.query = data["query"]
        return {"seq": seq, "query": info.query}, False
    if kind == "pause":
        info.paused, info.message = True, data["message"]
        return {"seq": seq, "message": info.message}, False
    if kind == "release":
        info.paused, info.message = False, ""
        return {"seq": seq}, False
    if kind == "experiment":
        spec = data["experiment"]
        if spec is not None:
            info.experiment = {**spec, "id": seq, "open": True}
        elif info.experiment is not None:
            info.experiment = {**info.experiment, "open": False}
        return {"seq": seq, "experiment": info.experiment}, spec is not None
    raise ValueError(f"unknown change {kind!r}")
