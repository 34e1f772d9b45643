"""A live class on real processes: Debian's redis-server, app workers (`python -m app serve`)
sharing it, and simulated students reading server-sent events. Used by
tests/live/test_classes_redis.py and bench/live_fanout.py. Everything listens on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import orjson

ROOT = Path(__file__).resolve().parents[2]
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def start_redis(port: int) -> subprocess.Popen:
    """A throwaway redis-server on 127.0.0.1:port that keeps nothing on disk."""
    proc = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "yes", "--loglevel", "warning"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return proc
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"redis-server exited: {proc.stderr.read().decode()[-2000:]}")
            time.sleep(0.05)
    _stop(proc)
    raise RuntimeError("redis-server did not answer within 10 s")


def start_apps(ports: list[int], env: dict[str, str]) -> list[subprocess.Popen]:
    """One `python -m app serve` process per port (started together), once /healthz answers."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "app", "serve", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for port in ports
    ]
    deadline = time.monotonic() + 30
    pending = dict(zip(ports, procs))
    while pending and time.monotonic() < deadline:
        for port, proc in list(pending.items()):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                    del pending[port]
            except OSError:
                if proc.poll() is not None:
                    for p in procs:
                        _stop(p)
                    raise RuntimeError(f"app on port {port} exited: {proc.stderr.read().decode()[-2000:]}")
        if pending:
            time.sleep(0.1)
    if pending:
        for p in procs:
            _stop(p)
        raise RuntimeError(f"apps on ports {sorted(pending)} did not start within 30 s")
    return procs


@dataclass
class Cluster:
    """redis-server plus app workers; `urls` are the workers' base URLs."""

    redis: subprocess.Popen
    apps: list[subprocess.Popen]
    urls: list[str]
    redis_url: str

    @classmethod
    def start(cls, workers: int = 2, idle_s: float | None = None, max_students: int | None = None) -> Cluster:
        redis_port = free_port()
        redis = start_redis(redis_port)
        redis_url = f"redis://127.0.0.1:{redis_port}/0"
        env = {"ACTLAB_REDIS_URL": redis_url, "ACTLAB_LOG_LEVEL": "warning"}
        if idle_s is not None:
            env["ACTLAB_CLASS_IDLE_S"] = str(idle_s)
        if max_students is not None:
            env["ACTLAB_CLASS_MAX_STUDENTS"] = str(max_students)
        ports = [free_port() for _ in range(workers)]
        try:
            apps = start_apps(ports, env)
        except Exception:
            _stop(redis)
            raise
        return cls(redis, apps, [f"http://127.0.0.1:{p}" for p in ports], redis_url)

    def stop(self) -> None:
        for p in self.apps:
            _stop(p)
        _stop(self.redis)


# ----------------------------------------------------------------------------- students


async def aiter_sse(response: httpx.Response) -> AsyncIterator[dict[str, str]]:
    """Server-sent events as {"event", "data", "id"} dicts (comments skipped)."""
    event: dict[str, str] = {}
    async for line in response.aiter_lines():
        if line == "":
            if "data" in event or "event" in event:
                yield event
            event = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(":")
            event[name] = value[1:] if value.startswith(" ") else value


@dataclass
class Student:
    """One simulated student: what arrived on its event stream, and when (perf_counter)."""

    base: str
    status: int | None = None
    snapshot: dict | None = None
    states: list[tuple[int, str, float]] = field(default_factory=list)  # (seq, query, received at)
    other: list[tuple[str, dict]] = field(default_factory=list)
    closed: str | None = None
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    error: str | None = None

    async def follow(self, client: httpx.AsyncClient, code: str) -> None:
        try:
            async with client.stream("GET", f"{self.base}/api/classes/{code}/events", headers={"Accept": "text/event-stream"}) as r:
                self.status = r.status_code
                if r.status_code != 200:
                    self.ready.set()
                    return
                async for ev in aiter_sse(r):
                    now = time.perf_counter()
                    kind, data = ev.get("event", "message"), orjson.loads(ev.get("data", "null"))
                    if kind == "snapshot":
                        self.snapshot = data
                        self.ready.set()
                    elif kind == "state":
                        if ev.get("id") != str(data["seq"]):
                            self.error = f"id {ev.get('id')!r} is not seq {data['seq']}"
                        self.states.append((data["seq"], data["query"], now))
                    elif kind == "closed":
                        self.closed = data["reason"]
                        return
                    else:
                        self.other.append((kind, data))
        except (httpx.HTTPError, OSError) as e:
            self.error = f"{type(e).__name__}: {e}"
            self.ready.set()


class Classroom:
    """A class started on ``urls[0]`` with students spread over every URL."""

    def __init__(self, urls: list[str], connections: int = 256):
        self.urls = urls
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        self.client = httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(30.0, read=60.0))
        self.code = ""
        self.token = ""
        self.students: list[Student] = []
        self.tasks: list[asyncio.Task] = []
        self.sent: dict[int, float] = {}  # seq → when the teacher's request was sent

    async def start(self, query: str = "fn=relu") -> dict:
        r = await self.client.post(f"{self.urls[0]}/api/classes", json={"query": query})
        r.raise_for_status()
        created = r.json()
        self.code, self.token = created["code"], created["teacher_token"]
        return created

    async def join(self, n: int, timeout_s: float = 20.0) -> None:
        """n students, round-robin over the workers; returns once every one has its snapshot."""
        for i in range(n):
            s = Student(self.urls[i % len(self.urls)])
            self.students.append(s)
            self.tasks.append(asyncio.create_task(s.follow(self.client, self.code)))
        await asyncio.wait_for(asyncio.gather(*(s.ready.wait() for s in self.students)), timeout_s)

    def teacher(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def change(self, query: str, url: str | None = None) -> int:
        t0 = time.perf_counter()
        r = await self.client.put(f"{url or self.urls[0]}/api/classes/{self.code}/state", json={"query": query}, headers=self.teacher())
        r.raise_for_status()
        seq = r.json()["seq"]
        self.sent[seq] = t0
        return seq

    async def received_all(self, seq: int, timeout_s: float = 10.0) -> bool:
        """Wait until every student holds state number ``seq``."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if all(s.states and s.states[-1][0] >= seq for s in self.students):
                return True
            await asyncio.sleep(0.02)
        return False

    def latencies_ms(self) -> list[float]:
        """Teacher's request sent → a student's receipt, for every (student, change)."""
        return [(t - self.sent[seq]) * 1000 for s in self.students for seq, _, t in s.states if seq in self.sent]

    async def close(self) -> None:
        for t in self.tasks:
            t.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.client.aclose()


def percentile(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]
