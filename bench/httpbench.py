"""HTTP throughput: real uvicorn servers and a small asyncio load generator.

The client is plain asyncio (uvloop when installed) speaking HTTP/1.1 with keep-alive over
``concurrency`` connections, each sending its next request as soon as the previous
response is complete (a closed loop). It parses only the status line and Content-Length,
so one client process can drive far more requests per second than one uvicorn worker
serves — the server, not the client, is what gets measured.

    python3 bench/httpbench.py            # /api/curve against a bare FastAPI endpoint
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def server(app: str, port: int, workers: int = 1, env: dict[str, str] | None = None, factory: bool = False, stderr=None):
    """A uvicorn server for ``app`` (module:attribute) on 127.0.0.1:port, as a subprocess:
    httptools + uvloop (uvicorn's defaults when installed), no access log. Its stderr goes
    to ``stderr`` (a file; default: discarded)."""
    cmd = [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port),
           "--workers", str(workers), "--no-access-log", "--log-level", "warning"]
    if factory:
        cmd.append("--factory")
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL, stderr=stderr or subprocess.DEVNULL)
    try:
        wait_ready(port, proc)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait_ready(port: int, proc: subprocess.Popen | None = None, path: str = "/healthz", timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=1) as r:
                if r.status < 500:
                    return
        except Exception:
            time.sleep(0.1)
    raise RuntimeError(f"server on port {port} did not become ready")


def get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


@dataclass
class LoadResult:
    requests: int
    seconds: float
    errors: int
    latencies_ms: list[float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_ms) if self.latencies_ms else float("nan")

    @property
    def p99(self) -> float:
        if not self.latencies_ms:
            return float("nan")
        s = sorted(self.latencies_ms)
        return s[min(len(s) - 1, int(0.99 * len(s)))]


class _Conn(asyncio.Protocol):
    """One keep-alive connection in a closed loop over ``paths`` (round robin)."""

    def __init__(self, requests: list[bytes], start: int, stats: dict, stop_at: float, done: asyncio.Future):
        self.requests, self.i, self.stats, self.stop_at, self.done = requests, start, stats, stop_at, done
        self.buf = bytearray()
        self.need: int | None = None  # bytes of the whole response, once the header is in
        self.status = 0
        self.t0 = 0.0
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport
        transport.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._send()

    def _send(self) -> None:
        self.t0 = time.perf_counter()
        self.transport.write(self.requests[self.i % len(self.requests)])
        self.i += 1

    def data_received(self, data: bytes) -> None:
        buf = self.buf
        buf += data
        while True:
            if self.need is None:
                end = buf.find(b"\r\n\r\n")
                if end < 0:
                    return
                head = bytes(buf[:end]).lower()
                self.status = int(head[9:12])
                length = 0
                pos = head.find(b"\r\ncontent-length:")
                if pos >= 0:
                    length = int(head[pos + 17 : head.find(b"\r\n", pos + 2) if head.find(b"\r\n", pos + 2) > 0 else None])
                self.need = end + 4 + length
            if len(buf) < self.need:
                return
            del buf[: self.need]
            self.need = None
            now = time.perf_counter()
            st = self.stats
            if now <= self.stop_at:
                st["n"] += 1
                if self.status >= 400:
                    st["errors"] += 1
                if now >= st["t_start"]:
                    st["lat"].append((now - self.t0) * 1e3)
            if now >= self.stop_at:
                self.transport.close()
                return
            self._send()

    def connection_lost(self, exc) -> None:
        if not self.done.done():
            self.done.set_result(None)


async def _load(port: int, paths: list[str], concurrency: int, seconds: float, warmup: float, headers: dict[str, str]) -> LoadResult:
    loop = asyncio.get_running_loop()
    extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    requests = [f"GET {p} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{extra}\r\n".encode() for p in paths]
    t_begin = time.perf_counter()
    stats = {"n": 0, "errors": 0, "lat": [], "t_start": t_begin + warmup}
    stop_at = t_begin + warmup + seconds
    dones = []
    for c in range(concurrency):
        done = loop.create_future()
        dones.append(done)
        await loop.create_connection(lambda c=c, done=done: _Conn(requests, c * 7, stats, stop_at, done), "127.0.0.1", port)
    # count only what completes after the warm-up
    await asyncio.sleep(max(0.0, stats["t_start"] - time.perf_counter()))
    n0 = stats["n"]
    t0 = time.perf_counter()
    await asyncio.wait(dones, timeout=seconds + 30)
    t1 = min(time.perf_counter(), stop_at)
    return LoadResult(stats["n"] - n0, t1 - t0, stats["errors"], stats["lat"])


def load(port: int, paths: list[str], concurrency: int = 32, seconds: float = 3.0, warmup: float = 0.5, headers: dict[str, str] | None = None) -> LoadResult:
    """Closed-loop GET load on 127.0.0.1:port over ``paths`` (round robin per connection)."""
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:  # pragma: no cover
        runner = asyncio.run
    return runner(_load(port, paths, concurrency, seconds, warmup, headers or {}))


if __name__ == "__main__":  # a quick look: python3 bench/httpbench.py
    sys.path.insert(0, str(ROOT))
    from bench.run import serving

    serving(rounds=3, seconds=3.0, concurrency=32, report=print)
