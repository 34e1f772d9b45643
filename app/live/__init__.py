"""Live classes: a teacher's view followed by every student's screen (issue 18).

Kept out of ``app.core`` because it does I/O: ``memory`` holds classes in this process,
``redis_store`` shares them through Redis between any number of processes.
"""

from __future__ import annotations

from .store import ClassInfo, ClassStore, Event, Limits, LiveError, NotFound


def make_store(redis_url: str, idle_s: float, limits: Limits | None = None, logger=None) -> ClassStore:
    """Redis when a URL is given, else this process's memory."""
    if redis_url:
        from .redis_store import RedisStore

        return RedisStore(redis_url, idle_s, limits, logger)
    from .memory import MemoryStore

    return MemoryStore(idle_s, limits)


__all__ = ["ClassInfo", "ClassStore", "Event", "Limits", "LiveError", "NotFound", "make_store"]
