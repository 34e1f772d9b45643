"""Settings from the environment (prefix ``ACTLAB_``), each with a safe default.

Every value is checked when the settings are built; a bad one raises ``SettingsError``
whose message names the environment variable, the allowed range and the value given, so
a misconfigured server stops at startup instead of misbehaving later.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field, fields
from urllib.parse import urlsplit

PREFIX = "ACTLAB_"
LOG_LEVELS = ("critical", "error", "warning", "info", "debug")

# One CSP frame-ancestors source: *, 'self', 'none', a scheme (https:), or
# [scheme://]host[:port] where host may start with "*." (no paths, quotes or separators).
_SOURCE = re.compile(
    r"^(\*|'self'|'none'|[a-z][a-z0-9+.-]*:|"
    r"(?:[a-z][a-z0-9+.-]*://)?(?:\*\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*(?::(?:\d{1,5}|\*))?)$",
    re.IGNORECASE,
)


class SettingsError(ValueError):
    """A setting (usually an ACTLAB_* environment variable) has a value outside its range."""

    def __init__(self, field: str, allowed: str, value: object):
        shown = _without_password(value) if field == "redis_url" and isinstance(value, str) else value
        super().__init__(f"{env_name(field)} must be {allowed} (got {shown!r})")
        self.field, self.allowed, self.value = field, allowed, value


def env_name(field: str) -> str:
    return PREFIX + field.upper()


# field → (description of the allowed values, check); the check gets the parsed value.
_RULES = {
    "host": ("a non-empty host name or IP address without spaces", lambda v: bool(v) and not any(c.isspace() for c in v)),
    "port": ("an integer in [1, 65535]", lambda v: 1 <= v <= 65535),
    "workers": ("an integer in [1, 64]", lambda v: 1 <= v <= 64),
    "log_level": (f"one of {', '.join(LOG_LEVELS)}", lambda v: v in LOG_LEVELS),
    "train_workers": ("an integer in [1, 64]", lambda v: 1 <= v <= 64),
    "train_queue": ("an integer in [0, 1000]", lambda v: 0 <= v <= 1000),
    "train_timeout_s": ("a number of seconds in [0.1, 3600]", lambda v: 0.1 <= v <= 3600),
    "train_batching": ("0 (off) or 1 (on)", lambda v: v in (0, 1)),
    "train_cache_bytes": ("an integer in [0, 4294967296] (0: no cache; at most 4 GiB)", lambda v: 0 <= v <= 4 * 1024**3),
    "max_body_bytes": ("an integer in [1024, 16777216] (1 KiB – 16 MiB)", lambda v: 1024 <= v <= 16 * 1024 * 1024),
    "train_max_body_bytes": ("an integer in [1024, 67108864] (1 KiB – 64 MiB)", lambda v: 1024 <= v <= 64 * 1024 * 1024),
    "frame_ancestors": (
        "'*', or a space- or comma-separated list of CSP sources such as https://example.org, "
        "https://*.example.org, 'self' or 'none'",
        lambda v: bool(frame_ancestor_sources(v)) and all(_SOURCE.match(s) for s in frame_ancestor_sources(v)),
    ),
    "redis_url": ("empty (no Redis), or a URL such as redis://127.0.0.1:6379/0, rediss://host:6380 or unix:///run/redis.sock", lambda v: redis_url_ok(v)),
    "class_idle_s": ("a number of seconds in [1, 604800] (1 s – 7 days)", lambda v: 1 <= v <= 604800),
    "class_max_students": ("an integer in [1, 10000]", lambda v: 1 <= v <= 10000),
    "public_url": ("empty (http://HOST:PORT of the bind address), or an origin such as https://lab.example.org or http://10.0.0.5:8000 (no path, query or user)", lambda v: public_url_ok(v)),
    "header_timeout_s": ("a number of seconds in [0.5, 300]", lambda v: 0.5 <= v <= 300),
    "body_timeout_s": ("a number of seconds in [0.5, 300]", lambda v: 0.5 <= v <= 300),
    "keep_alive_s": ("an integer number of seconds in [1, 300]", lambda v: 1 <= v <= 300),
    "max_connections": ("an integer in [16, 100000]", lambda v: 16 <= v <= 100000),
    "max_header_bytes": ("an integer in [4096, 1048576] (4 KiB – 1 MiB)", lambda v: 4096 <= v <= 1024 * 1024),
}

# Numbers in the environment follow the API's grammar for numbers written as text (plain
# ASCII decimals: no "3_0", no spaces inside, no full-width or Arabic-Indic digits); an
# integer setting takes a whole number.
_NETLOC = re.compile(r"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)(?::[0-9]{1,5})?")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)


def redis_url_ok(value: str) -> bool:
    """Empty (no Redis), or a redis://, rediss:// or unix:// URL redis-py can open."""
    if value == "":
        return True
    if any(c.isspace() for c in value):
        return False
    try:
        url = urlsplit(value)
        url.port  # noqa: B018 — raises ValueError for a port out of range
    except ValueError:
        return False
    if url.scheme in ("redis", "rediss"):
        return bool(url.hostname)
    return url.scheme == "unix" and bool(url.path)


def public_url_ok(value: str) -> bool:
    """Empty, or an http(s) origin: scheme, host and optional port, nothing else."""
    if value == "":
        return True
    if any(c.isspace() for c in value) or not value.isascii():
        return False
    try:
        url = urlsplit(value)
        url.port  # noqa: B018 — raises ValueError for a port out of range
    except ValueError:
        return False
    return url.scheme in ("http", "https") and bool(_NETLOC.fullmatch(url.netloc)) and url.path in ("", "/") and not (url.query or url.fragment or url.username or url.password or value.endswith("?") or value.endswith("#"))


def _without_password(url: str) -> str:
    """A Redis URL fit for an error message: any password replaced by ***."""
    return re.sub(r"(//[^/@]*?:)[^/@]*@", r"\1***@", url)


def frame_ancestor_sources(value: str) -> list[str]:
    """The individual sources of a frame-ancestors setting ("a b", "a,b" and "a, b" alike)."""
    return [p for p in value.replace(",", " ").split() if p]


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1  # uvicorn worker processes
    log_level: str = "info"
    train_workers: int = 2  # concurrent training runs per process
    train_queue: int = 2  # runs that may wait for a training slot before new ones get 503
    train_timeout_s: float = 30.0  # wall-clock limit of one training run
    # concurrent training requests of one network shape trained in one stacked pass (1), or each alone (0)
    train_batching: int = 1
    # complete training results kept per process for identical requests, in bytes (0: none)
    train_cache_bytes: int = 64 * 1024 * 1024
    max_body_bytes: int = 64 * 1024
    # the training routes' bodies: a run's state (weights and optimiser moments) and own data
    train_max_body_bytes: int = 8 * 1024 * 1024
    # Origins allowed to frame /embed/* pages ("*" for anyone); pages and the API only allow 'self'.
    frame_ancestors: str = "*"
    # Live classes: shared through this Redis when set (needed with several workers), else
    # held in the process; a class without activity for class_idle_s seconds is gone.
    redis_url: str = field(default="", repr=False)  # may carry a password
    class_idle_s: float = 10800.0
    class_max_students: int = 200
    # Absolute URLs the app writes (oEmbed, discovery links, redirects, live-class join links)
    # start with this origin, never with the request's Host header; empty: http://host:port.
    public_url: str = ""
    # Slow clients: the request line and headers must arrive within header_timeout_s and a
    # body within body_timeout_s (408 after); an idle keep-alive connection closes after
    # keep_alive_s; beyond max_connections open connections a request gets 503; a request
    # line plus headers longer than max_header_bytes gets 431.
    header_timeout_s: float = 10.0
    body_timeout_s: float = 15.0
    keep_alive_s: int = 5
    max_connections: int = 1000
    max_header_bytes: int = 16384

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            allowed, ok = _RULES[f.name]
            expected = type(f.default)
            if expected is float and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
                object.__setattr__(self, f.name, value)
            if not isinstance(value, expected) or isinstance(value, bool) or (isinstance(value, float) and not math.isfinite(value)) or not ok(value):
                raise SettingsError(f.name, allowed, value)

    @property
    def origin(self) -> str:
        """The public origin, without a trailing slash: ACTLAB_PUBLIC_URL, else the bind address
        (a wildcard address 0.0.0.0 or :: stands for this machine: 127.0.0.1, [::1])."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(self.host, self.host)
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        """Settings from ``ACTLAB_*`` variables of ``environ`` (default: the process environment)."""
        env = os.environ if environ is None else environ
        values = {}
        for f in fields(cls):
            name = env_name(f.name)
            if name not in env:
                continue
            raw = env[name].strip()
            allowed = _RULES[f.name][0]
            kind = type(f.default)
            if kind is str:
                values[f.name] = raw.lower() if f.name == "log_level" else raw
                continue
            if not _NUMBER.fullmatch(raw):
                raise SettingsError(f.name, allowed, env[name])
            number = float(raw)
            if kind is int:
                if not (math.isfinite(number) and number.is_integer()):
                    raise SettingsError(f.name, allowed, env[name])
                values[f.name] = int(number) if abs(number) < 2**53 else number  # a float: out of every range
            else:
                values[f.name] = number
        return cls(**values)
