"""The in-process store: one worker process holds every class (the embedded default).

Fan-out is a queue per subscriber in this process; nothing is shared with other processes,
which is why the API refuses to start a class when several workers run without Redis.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from .codes import new_code
from .store import (
    CLOSED,
    PRESENCE_S,
    RESULTS,
    STOP,
    ClassInfo,
    Event,
    Limits,
    LiveError,
    LocalSubscription,
    NotFound,
    apply_change,
)

MAX_CLASSES = 10_000  # live classes held at once by one process
_RATE_PRUNE_AT = 50_000  # rate-limit windows kept before expired ones are dropped


@dataclass
class _Class:
    info: ClassInfo
    expires: float
    present: dict[str, float] = field(default_factory=dict)  # connection → last sign of life
    exploring: set[str] = field(default_factory=set)  # connections exploring on their own
    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    subscribers: set[LocalSubscription] = field(default_factory=set)


class MemoryStore:
    def __init__(self, idle_s: float, limits: Limits | None = None, clock=time.monotonic):
        self.idle_s = idle_s
        self.limits = limits or Limits()
        self._salt = secrets.token_bytes(32)
        self._clock = clock
        self._classes: dict[str, _Class] = {}
        self._windows: dict[str, tuple[int, float]] = {}  # rate-limit key → (count, window end)
        self._ended: dict[str, float] = {}  # code of a class its teacher ended → until when it is said so

    # -------------------------------------------------------------- helpers

    def _live(self, code: str) -> _Class | None:
        """The class if it has not expired; an expired one is dropped and its streams closed."""
        c = self._classes.get(code)
        if c is None:
            return None
        if self._clock() >= c.expires:
            self._drop(code)
            return None
        return c

    def _drop(self, code: str, reason: str = "expired") -> None:
        c = self._classes.pop(code, None)
        if c is not None:
            for sub in list(c.subscribers):
                sub.deliver(Event(CLOSED, {"reason": reason}))

    def _touch(self, c: _Class) -> None:
        c.expires = self._clock() + self.idle_s

    def _count(self, c: _Class) -> int:
        stale = self._clock() - PRESENCE_S
        for conn in [k for k, t in c.present.items() if t < stale]:
            del c.present[conn]
        c.exploring.intersection_update(c.present)
        return len(c.present)

    def _info(self, c: _Class) -> ClassInfo:
        c.info.students = self._count(c)
        c.info.exploring = len(c.exploring)
        c.info.results = len(c.results)
        return c.info

    def _fan_out(self, c: _Class, event: Event) -> None:
        for sub in c.subscribers:
            sub.deliver(event)

    def _sweep(self) -> None:
        now = self._clock()
        for code in [k for k, c in self._classes.items() if now >= c.expires]:
            self._drop(code)
        for code in [k for k, until in self._ended.items() if now >= until]:
            del self._ended[code]

    # -------------------------------------------------------------- ClassStore

    async def salt(self) -> bytes:
        return self._salt

    async def create(self, token_hash: str, query: str) -> ClassInfo:
        self._sweep()
        if len(self._classes) >= MAX_CLASSES:
            raise LiveError("too_many_classes", f"this server holds {MAX_CLASSES} live classes already; try again later", 60.0)
        code = new_code()
        while code in self._classes or code in self._ended:
            code = new_code()
        c = _Class(ClassInfo(code=code, token_hash=token_hash, query=query), expires=0.0)
        self._touch(c)
        self._classes[code] = c
        return c.info

    async def get(self, code: str) -> ClassInfo | None:
        c = self._live(code)
        return None if c is None else self._info(c)

    async def change(self, code: str, kind: str, data: dict[str, Any]) -> Event:
        c = self._live(code)
        if c is None:
            raise NotFound()
        event_data, fresh = apply_change(c.info, kind, data, c.info.seq + 1)
        if fresh:
            c.results.clear()
        self._touch(c)
        event = Event(kind, event_data, c.info.seq)
        self._fan_out(c, event)
        return event

    async def join(self, code: str, conn: str) -> int:
        c = self._live(code)
        if c is None:
            raise NotFound()
        if self._count(c) >= self.limits.max_students:
            raise LiveError("class_full", f"this class has its maximum of {self.limits.max_students} students")
        c.present[conn] = self._clock()
        self._touch(c)
        return len(c.present)

    async def heartbeat(self, code: str, conn: str) -> bool:
        c = self._live(code)
        if c is None:
            return False
        if conn in c.present:
            c.present[conn] = self._clock()
        return True

    async def leave(self, code: str, conn: str) -> None:
        c = self._classes.get(code)
        if c is not None:
            c.present.pop(conn, None)
            c.exploring.discard(conn)

    async def set_following(self, code: str, conn: str, following: bool) -> bool:
        c = self._live(code)
        if c is None:
            raise NotFound()
        if conn not in c.present:
            return False
        if following:
            c.exploring.discard(conn)
        else:
            c.exploring.add(conn)
        return True

    async def end(self, code: str) -> None:
        if self._live(code) is None:
            raise NotFound()
        self._drop(code, "ended")
        self._ended[code] = self._clock() + self.idle_s

    async def ended(self, code: str) -> bool:
        return self._clock() < self._ended.get(code, 0.0)

    async def subscribe(self, code: str) -> LocalSubscription:
        c = self._live(code)
        if c is None:
            raise NotFound()

        async def unsubscribe(sub: LocalSubscription) -> None:
            c.subscribers.discard(sub)

        sub = LocalSubscription(on_close=unsubscribe)
        c.subscribers.add(sub)
        return sub

    async def add_result(self, code: str, key: str, result: dict[str, Any], experiment_id: int | None) -> int:
        c = self._live(code)
        if c is None:
            raise NotFound()
        exp = c.info.experiment
        if exp is None or not exp["open"]:
            raise LiveError("no_experiment", "the teacher has no class experiment open")
        if experiment_id is not None and experiment_id != exp["id"]:
            raise LiveError("experiment_changed", f"the class experiment is now number {exp['id']}, not {experiment_id}: read the new prompt")
        if key not in c.results and len(c.results) >= self.limits.max_results:
            raise LiveError("results_full", f"this experiment has its maximum of {self.limits.max_results} results")
        c.results[key] = result
        c.info.results_revision += 1
        self._touch(c)
        self._fan_out(c, Event(RESULTS, {"count": len(c.results), "revision": c.info.results_revision}))
        return len(c.results)

    async def results(self, code: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        c = self._live(code)
        if c is None:
            raise NotFound()
        return c.info.experiment, list(c.results.values())

    async def rate(self, key: str, limit: int, window_s: float, cost: int = 1) -> float | None:
        now = self._clock()
        if len(self._windows) > _RATE_PRUNE_AT:
            self._windows = {k: v for k, v in self._windows.items() if v[1] > now}
        count, end = self._windows.get(key, (0, 0.0))
        if end <= now:
            count, end = 0, now + window_s
        if count >= limit:
            return max(end - now, 0.001)
        if cost:
            self._windows[key] = (count + cost, end)
        return None

    def end_streams(self) -> None:
        for c in list(self._classes.values()):
            for sub in list(c.subscribers):
                sub.deliver(Event(STOP, {}))

    async def close(self) -> None:
        self.end_streams()
        self._classes.clear()
