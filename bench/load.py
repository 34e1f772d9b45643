"""Load test: a classroom of students on one server, for a bounded time.

Starts a real uvicorn server (``python -m app serve``, the production entry point) unless
``--url`` points at one, then runs ``--clients`` simulated students for ``--duration``
seconds. Each student has its own HTTP connection and loops:

* mostly ``GET /api/curve`` — a random activation from the catalogue with random
  parameters inside their declared ranges, grid sizes 101–2001, sometimes seeded samples
  (dragging a slider in the explorer);
* sometimes ``POST /api/curves`` — an overlay of 2–4 curves;
* sometimes ``POST /api/train`` — a small run (50–300 epochs, 128–512 points, depth 2–4,
  width 4–16, 1–2 activations), as the network view sends it;

with a short random think time between requests. A 503 from the training pool is counted
on its own (it is the server protecting itself, not a failure) and the student waits the
Retry-After it was given, as the explorer does. Everything else that is not a 2xx/304 is
an error, as is a timeout or a dropped connection.

    python3 bench/load.py                        # 30 students, 30 s, one worker process
    python3 bench/load.py --clients 60 --duration 60 --workers 2
    python3 bench/load.py --url http://classroom.example:8000 --clients 30
    python3 bench/load.py --json bench/results/load.json

Reports, per endpoint: requests, throughput, 503s, errors (by status), latency
p50/p90/p99/max of the successful requests, and the p99 of the 503s (they must be quick).
Exits non-zero if any request failed (a 5xx other than 503, a timeout, a dropped
connection) or the server stopped answering /healthz.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import socket
import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


# ----------------------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, workers: int, env: dict[str, str], log_path: str | None) -> subprocess.Popen:
    """``python -m app serve`` on 127.0.0.1:port; returns once /readyz answers 200."""
    log = open(log_path, "wb") if log_path else subprocess.DEVNULL
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with status {proc.returncode}" + (f"; see {log_path}" if log_path else ""))
        time.sleep(0.1)
    proc.kill()
    raise SystemExit("the server did not become ready within 60 s")


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


# ----------------------------------------------------------------------------- what students send


def random_params(act: dict, rng: random.Random) -> dict[str, str]:
    out = {}
    for p in act["params"]:
        if rng.random() < 0.5:
            continue  # keep the default
        if p["kind"] == "choice":
            out[p["id"]] = rng.choice(p["choices"])
        else:
            out[p["id"]] = f"{rng.uniform(p['min'], p['max']):.3g}"
    # cross-parameter rules (hardtanh min < max, rrelu lower ≤ upper): fall back to defaults
    if act["id"] in ("hardtanh", "rrelu"):
        return {}
    return out


def curve_request(catalogue: list[dict], rng: random.Random) -> tuple[str, str, dict]:
    act = rng.choice(catalogue)
    query: dict = {"name": act["id"], **random_params(act, rng), "n": rng.choice([101, 201, 401, 801, 2001])}
    span = rng.choice([2.0, 5.0, 10.0, 50.0])
    query["xmin"], query["xmax"] = -span, span
    if act["stochastic"] and rng.random() < 0.5:
        query["samples"], query["seed"] = rng.choice([100, 500, 2000]), rng.randrange(1000)
    return "GET", "/api/curve", {"params": query}


def curves_request(catalogue: list[dict], rng: random.Random) -> tuple[str, str, dict]:
    chosen = rng.sample(catalogue, rng.randint(2, 4))
    body = {"curves": [{"name": a["id"], "params": {k: (v if k == "approximate" else float(v)) for k, v in random_params(a, rng).items()}} for a in chosen], "n": 401}
    return "POST", "/api/curves", {"json": body}


TRAIN_ACTIVATIONS = ["relu", "leaky_relu", "elu", "gelu", "tanh", "sigmoid", "softplus", "prelu", "silu"]


def train_request(rng: random.Random) -> tuple[str, str, dict]:
    body = {
        "dataset": rng.choice(["moons", "circles", "xor", "spirals", "blobs"]),
        "n_points": rng.choice([128, 256, 512]),
        "depth": rng.randint(2, 4),
        "width": rng.choice([4, 8, 16]),
        "epochs": rng.choice([50, 100, 200, 300]),
        "frames": rng.choice([20, 50]),
        "boundary_frames": rng.choice([0, 3, 5]),
        "activations": [{"name": n} for n in rng.sample(TRAIN_ACTIVATIONS, rng.randint(1, 2))],
        "seed": rng.randrange(1000),
    }
    return "POST", "/api/train", {"json": body}


# ----------------------------------------------------------------------------- measuring


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)  # successful requests (2xx, 304), seconds
    busy_latencies: list[float] = field(default_factory=list)  # the 503s: how fast the pool said no
    ok: int = 0
    busy: int = 0  # 503 from the training pool
    client_errors: Counter = field(default_factory=Counter)  # 4xx: the script sent something the server refused
    errors: Counter = field(default_factory=Counter)  # 5xx other than 503, timeouts, dropped connections

    @property
    def requests(self) -> int:
        return self.ok + self.busy + sum(self.client_errors.values()) + sum(self.errors.values())


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return math.nan
    k = max(0, min(len(sorted_values) - 1, math.ceil(q / 100 * len(sorted_values)) - 1))
    return sorted_values[k]


async def student(i: int, base: str, catalogue: list[dict], stats: dict[str, Stats], deadline: float, args) -> None:
    rng = random.Random(args.seed * 1000 + i)
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(base_url=base, timeout=args.timeout, limits=limits) as client:
        await asyncio.sleep(rng.uniform(0, min(1.0, args.duration / 10)))  # students do not all click at once
        while time.monotonic() < deadline:
            roll = rng.random()
            if roll < args.train_share:
                method, path, kw = train_request(rng)
            elif roll < args.train_share + args.overlay_share:
                method, path, kw = curves_request(catalogue, rng)
            else:
                method, path, kw = curve_request(catalogue, rng)
            s = stats[f"{method} {path}"]
            t0 = time.perf_counter()
            try:
                r = await client.request(method, path, **kw)
            except httpx.TimeoutException:
                s.errors["timeout"] += 1
                continue
            except httpx.HTTPError as e:
                s.errors[type(e).__name__] += 1
                await asyncio.sleep(0.1)
                continue
            elapsed = time.perf_counter() - t0
            if r.status_code < 400:
                s.ok += 1
                s.latencies.append(elapsed)
            elif r.status_code == 503:
                s.busy += 1
                s.busy_latencies.append(elapsed)
                wait = float(r.headers.get("retry-after", "1"))
                await asyncio.sleep(min(wait, max(0.0, deadline - time.monotonic())))
                continue
            elif r.status_code < 500:
                s.client_errors[r.status_code] += 1
            else:
                s.errors[r.status_code] += 1
            await asyncio.sleep(rng.expovariate(1.0 / args.think) if args.think > 0 else 0)


async def run(base: str, args) -> tuple[dict[str, Stats], float, bool]:
    async with httpx.AsyncClient(base_url=base, timeout=30) as c:
        catalogue = (await c.get("/api/activations")).json()["activations"]
    stats: dict[str, Stats] = defaultdict(Stats)
    start = time.monotonic()
    deadline = start + args.duration
    await asyncio.gather(*(student(i, base, catalogue, stats, deadline, args) for i in range(args.clients)))
    wall = time.monotonic() - start
    async with httpx.AsyncClient(base_url=base, timeout=10) as c:
        try:
            healthy = (await c.get("/healthz")).status_code == 200
        except httpx.HTTPError:
            healthy = False
    return dict(stats), wall, healthy


def report(stats: dict[str, Stats], wall: float, args, healthy: bool) -> dict:
    rows = []
    total = Stats()
    for name in sorted(stats):
        s = stats[name]
        total.latencies += s.latencies
        total.busy_latencies += s.busy_latencies
        total.ok += s.ok
        total.busy += s.busy
        total.client_errors.update(s.client_errors)
        total.errors.update(s.errors)
        rows.append((name, s))
    rows.append(("all", total))
    out = {"clients": args.clients, "duration_s": round(wall, 1), "workers": args.workers, "healthy_after": healthy, "endpoints": {}}
    print(f"\n{args.clients} clients for {wall:.1f} s against {args.target}\n")
    head = f"{'endpoint':<18}{'requests':>9}{'req/s':>8}{'ok':>8}{'503':>6}{'4xx':>6}{'errors':>8}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'max ms':>9}{'503 p99':>9}"
    print(head)
    print("-" * len(head))
    for name, s in rows:
        lat = sorted(s.latencies)
        p50, p90, p99 = (percentile(lat, q) * 1000 for q in (50, 90, 99))
        mx = lat[-1] * 1000 if lat else math.nan
        busy99 = percentile(sorted(s.busy_latencies), 99) * 1000
        n_err = sum(s.errors.values())
        n_4xx = sum(s.client_errors.values())
        print(f"{name:<18}{s.requests:>9}{s.requests / wall:>8.1f}{s.ok:>8}{s.busy:>6}{n_4xx:>6}{n_err:>8}{p50:>9.1f}{p90:>9.1f}{p99:>9.1f}{mx:>9.1f}{busy99:>9.1f}")
        out["endpoints"][name] = {
            "requests": s.requests,
            "throughput_per_s": round(s.requests / wall, 2),
            "ok": s.ok,
            "busy_503": s.busy,
            "client_errors": {str(k): v for k, v in s.client_errors.items()},
            "errors": {str(k): v for k, v in s.errors.items()},
            "latency_ms": {k: (None if math.isnan(v) else round(v, 2)) for k, v in (("p50", p50), ("p90", p90), ("p99", p99), ("max", mx))},
            "busy_503_latency_ms_p99": None if math.isnan(busy99) else round(busy99, 2),
        }
    problems = {k: v for k, v in total.errors.items()}
    print()
    if problems:
        print("errors:", ", ".join(f"{k}: {v}" for k, v in problems.items()))
    if total.client_errors:
        print("4xx (requests the server refused):", ", ".join(f"{k}: {v}" for k, v in total.client_errors.items()))
    print("server healthy afterwards:", "yes" if healthy else "NO")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", help="target this running server instead of starting one")
    ap.add_argument("--clients", type=int, default=30, help="concurrent students (default 30)")
    ap.add_argument("--duration", type=float, default=30.0, help="seconds of load (default 30)")
    ap.add_argument("--workers", type=int, default=1, help="uvicorn worker processes of the started server (default 1)")
    ap.add_argument("--train-share", type=float, default=0.1, help="share of requests that are /api/train runs (default 0.1)")
    ap.add_argument("--overlay-share", type=float, default=0.1, help="share that are /api/curves overlays (default 0.1)")
    ap.add_argument("--think", type=float, default=0.2, help="mean think time between a student's requests, s (default 0.2; 0 = none)")
    ap.add_argument("--timeout", type=float, default=60.0, help="per-request timeout, s (default 60)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--server-log", help="write the started server's log (one JSON line per request) here")
    ap.add_argument("--json", help="also write the figures as JSON to this file")
    args = ap.parse_args(argv)
    if args.clients < 1 or args.duration <= 0:
        ap.error("--clients must be ≥ 1 and --duration > 0")

    proc = None
    if args.url:
        base = args.url.rstrip("/")
    else:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        proc = start_server(port, args.workers, {}, args.server_log)
    args.target = base if args.url else f"{base} (python -m app serve, {args.workers} worker{'s' if args.workers > 1 else ''})"
    try:
        stats, wall, healthy = asyncio.run(run(base, args))
    finally:
        if proc is not None:
            stop_server(proc)
    out = report(stats, wall, args, healthy)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(out, indent=1))
    failed = sum(sum(s.errors.values()) for s in stats.values())
    return 1 if failed or not healthy else 0


if __name__ == "__main__":
    sys.exit(main())
