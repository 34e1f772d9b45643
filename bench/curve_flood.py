"""Does a flood of new, large curves starve the server? /healthz latency while 16 clients ask
/api/curve for curves never seen before (noisy ReLU and RReLU, 10,001 points, 5,000 samples,
a new seed each time: every one a cache miss of ~0.9 MB, gzip-compressed).

    python3 bench/curve_flood.py                      # 16 flooding clients, 10 s
    python3 bench/curve_flood.py --clients 32 --seconds 20
    python3 bench/curve_flood.py --root /tmp/other    # another checkout of the app (before/after)

One real server (``python3 -m app serve``, one worker, as deployed) on 127.0.0.1. A prober
asks /healthz every 10 ms on its own keep-alive connection, first alone (the baseline), then
during the flood. Printed: /healthz p50/p99/max alone and under the flood, the curves served
per second with their p50/p99, and every status seen — 5xx must be 0. The target: /healthz p99
under the flood < 50 ms. Exit status 0 when it holds and no 5xx was seen.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.httpbench import free_port, wait_ready  # noqa: E402

TARGET_P99_MS = 50.0
PROBE_INTERVAL_S = 0.01
CURVES = ("noisy_relu", "rrelu")


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(p * len(s)))]


async def request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str, port: int, gzip: bool) -> int:
    """One GET on a kept-alive connection; the status (the body is read and dropped)."""
    extra = "Accept-Encoding: gzip\r\n" if gzip else ""
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{extra}\r\n".encode())
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    await reader.readexactly(length)
    return status


async def probe(port: int, stop_at: float, out: list[float], statuses: Counter) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < stop_at:
            t0 = time.perf_counter()
            statuses[f"/healthz {await request(reader, writer, '/healthz', port, False)}"] += 1
            out.append((time.perf_counter() - t0) * 1e3)
            await asyncio.sleep(max(0.0, PROBE_INTERVAL_S - (time.perf_counter() - t0)))
    finally:
        writer.close()


async def flood(port: int, stop_at: float, seeds: itertools.count, latencies: list[float], statuses: Counter) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < stop_at:
            seed = next(seeds)
            path = f"/api/curve?name={CURVES[seed % len(CURVES)]}&n=10001&samples=5000&xmin=-9&xmax=9&seed={seed}"
            t0 = time.perf_counter()
            status = await request(reader, writer, path, port, True)
            statuses[f"/api/curve {status}"] += 1
            if status == 200:
                latencies.append((time.perf_counter() - t0) * 1e3)
            elif status == 503:
                await asyncio.sleep(0.5)  # told to come back: as a browser retrying would
    except (ConnectionError, asyncio.IncompleteReadError) as e:
        statuses[f"/api/curve connection {type(e).__name__}"] += 1
    finally:
        writer.close()


async def measure(port: int, clients: int, seconds: float) -> dict:
    statuses: Counter = Counter()
    alone: list[float] = []
    await probe(port, time.perf_counter() + min(3.0, seconds), alone, statuses)
    under: list[float] = []
    curve_ms: list[float] = []
    seeds = itertools.count(int(time.time()) % 100_000 * 1000)  # never seen by this server before
    t0 = time.perf_counter()
    stop_at = t0 + seconds
    await asyncio.gather(probe(port, stop_at, under, statuses), *(flood(port, stop_at, seeds, curve_ms, statuses) for _ in range(clients)))
    elapsed = time.perf_counter() - t0
    return {"alone": alone, "under": under, "curve_ms": curve_ms, "statuses": statuses, "elapsed": elapsed}


def run(clients: int = 16, seconds: float = 10.0, root: str = str(ROOT)) -> dict:
    """Serve the app of ``root`` and measure; the figures, every status seen, and the 5xx count."""
    port = free_port()
    env = {**os.environ, "ACTLAB_LOG_LEVEL": "warning", "PYTHONPATH": root}
    proc = subprocess.Popen([sys.executable, "-m", "app", "serve", "--port", str(port), "--log-level", "warning"], cwd=root, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_ready(port, proc, timeout=60)
        r = asyncio.run(measure(port, clients, seconds))
    finally:
        proc.terminate()
        try:
            _, err = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
    r["fives"] = sum(n for k, n in r["statuses"].items() if k.split()[-1].startswith("5"))
    r["p99_under"] = pct(r["under"], 0.99)
    r["stderr"] = err.decode(errors="replace")
    return r


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--root", default=str(ROOT), help="the checkout whose app is served (default: this one)")
    args = ap.parse_args()
    r = run(args.clients, args.seconds, args.root)
    curves = len(r["curve_ms"])
    print(f"/healthz under a flood of new large curves — {os.cpu_count()} CPUs, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"  app: {args.root}; {args.clients} clients, {args.seconds:g} s; each curve 10,001 points + 5,000 samples, a new seed each time, gzip")
    print(f"  /healthz alone:        p50 {statistics.median(r['alone']):6.1f} ms   p99 {pct(r['alone'], 0.99):6.1f} ms   max {max(r['alone']):6.1f} ms   ({len(r['alone'])} probes)")
    print(f"  /healthz under flood:  p50 {statistics.median(r['under']):6.1f} ms   p99 {r['p99_under']:6.1f} ms   max {max(r['under']):6.1f} ms   ({len(r['under'])} probes)")
    if curves:
        print(f"  /api/curve (200):      {curves / r['elapsed']:.1f} curves/s, p50 {statistics.median(r['curve_ms']):.0f} ms, p99 {pct(r['curve_ms'], 0.99):.0f} ms")
    print("  statuses: " + ", ".join(f"{k} × {n}" for k, n in sorted(r["statuses"].items())))
    ok = r["p99_under"] < TARGET_P99_MS and r["fives"] == 0
    print(f"  target: /healthz p99 under the flood < {TARGET_P99_MS:g} ms and no 5xx: {'met' if ok else 'NOT met'} ({r['fives']} 5xx)")
    if "Traceback" in r["stderr"]:
        print("  server stderr:\n" + r["stderr"][-3000:])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
