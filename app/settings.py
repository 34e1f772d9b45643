"""Settings from the environment (prefix ``ACTLAB_``), each with a safe default."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields


def _env(name: str, default: str) -> str:
    return os.environ.get(f"ACTLAB_{name.upper()}", default)


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1  # uvicorn worker processes
    log_level: str = "info"
    train_workers: int = 2  # concurrent training runs per process
    train_queue: int = 2  # runs that may wait for a training slot before new ones get 503
    train_timeout_s: float = 30.0  # wall-clock limit of one training run
    max_body_bytes: int = 64 * 1024
    # Origins allowed to frame /embed/* pages ("*" for anyone); pages and the API only allow 'self'.
    frame_ancestors: str = "*"

    @classmethod
    def from_env(cls) -> "Settings":
        values = {}
        for f in fields(cls):
            raw = _env(f.name, str(f.default))
            values[f.name] = type(f.default)(raw) if not isinstance(f.default, str) else raw
        return cls(**values)
