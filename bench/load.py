"""Load test: a classroom of students on one server — and a burst of training requests.

Starts real uvicorn servers (``python -m app serve --workers N``, the production entry point)
unless ``--url`` points at one. Two parts, both reported:

**The classroom.** ``--students`` simulated students (default 60) for ``--duration`` seconds,
each with its own connection, doing what a class does with think times between actions
(exponential, mean ``--think`` s):

* *sliders*: drags a parameter — 3–8 ``GET /api/curve`` of one activation, 0.1 s apart;
* *lesson*: opens a lesson — ``GET /api/lessons/{slug}/measure`` (the lesson's measurement);
* *train*: the network view — ``POST /api/train`` of the class's network (the teacher's
  assignment: one dataset and network for everybody, changed every ``--phase`` seconds) with
  the student's own activation and learning rate (a slider's values);
* *compare*: the same with two activations;
* *sweep*: ``POST /api/sweep`` of the learning rate over 4–8 values.

A 503 is retried after its Retry-After as the page does (``retryWhenBusy`` in
static/js/lib/api.js: wait max(1, Retry-After) s, at most 6 tries); the student sees an error
only when the last try fails, or for any other status ≥ 400, a timeout or a dropped
connection. Time-to-result is from the first try to the answer, waits included.

**The burst.** ``--burst`` (default 32) *distinct* training requests of one network shape
(different learning rates and activations), sent at once with the same retries, against a
fresh server with batching on (``ACTLAB_TRAIN_BATCHING=1``) and one with it off, in this run,
``--rounds`` times each (alternating); the ratio is off ÷ on of the median time until the
last of the burst has its answer.

    python3 bench/load.py                                   # 60 students, 40 s, 2 workers, then the burst
    python3 bench/load.py --students 30 --duration 20 --burst 0
    python3 bench/load.py --url http://classroom.example:8000 --burst 0
    python3 bench/load.py --json bench/results/load.json

Exits non-zero if a student saw an error or a server stopped answering /healthz.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import socket
import statistics
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


def start_server(port: int, workers: int, env: dict[str, str], log_path: str | None = None) -> subprocess.Popen:
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


# ----------------------------------------------------------------------------- what students do


TRAIN_ACTIVATIONS = ["relu", "leaky_relu", "elu", "gelu", "tanh", "sigmoid", "softplus", "prelu", "silu", "selu"]
LEARNING_RATES = [0.001, 0.003, 0.01, 0.03, 0.1]
# The teacher's assignments, one after another (a network as the network view sends it).
ASSIGNMENTS = [
    {"dataset": "moons", "depth": 3, "width": 8},
    {"dataset": "spirals", "depth": 4, "width": 12, "n_points": 384},
    {"dataset": "circles", "depth": 2, "width": 8},
    {"dataset": "xor", "depth": 3, "width": 16},
]
BASE = {"epochs": 300, "frames": 100, "boundary_frames": 5, "seed": 0}
LESSONS = ["dying-relu", "vanishing-gradients", "prelu-learns", "he-initialisation", "zero-centred", "sparse-activation"]


def activation(rng: random.Random) -> dict:
    return {"name": rng.choice(TRAIN_ACTIVATIONS)}


def assignment(t: float, args) -> dict:
    return {**BASE, **ASSIGNMENTS[int(t / args.phase) % len(ASSIGNMENTS)]}


def slider_requests(catalogue: list[dict], rng: random.Random) -> list[tuple[str, str, dict]]:
    # (hardtanh and rrelu: a parameter bounded by another — the page keeps min < max, this script does not)
    act = rng.choice([a for a in catalogue if any(p["kind"] != "choice" for p in a["params"]) and a["id"] not in ("hardtanh", "rrelu")])
    floats = [p for p in act["params"] if p["kind"] != "choice"]
    p = rng.choice(floats) if floats else None
    out = []
    for step in range(rng.randint(3, 8)):
        query = {"name": act["id"], "n": 401}
        if p is not None:
            query[p["id"]] = f"{p['min'] + (p['max'] - p['min']) * (0.2 + 0.1 * step):.3g}"
        out.append(("GET", "/api/curve", {"params": query}))
    return out


def action(kind: str, t: float, catalogue: list[dict], rng: random.Random, args) -> list[tuple[str, str, dict]]:
    net = assignment(t, args)
    lr = rng.choice(LEARNING_RATES)
    if kind == "sliders":
        return slider_requests(catalogue, rng)
    if kind == "lesson":
        return [("GET", f"/api/lessons/{rng.choice(LESSONS)}/measure", {})]
    if kind == "train":
        return [("POST", "/api/train", {"json": {**net, "activations": [activation(rng)], "learning_rate": lr}})]
    if kind == "compare":
        return [("POST", "/api/train", {"json": {**net, "activations": [activation(rng), activation(rng)], "learning_rate": lr}})]
    values = sorted(rng.sample(LEARNING_RATES + [0.0003, 0.3, 0.006], rng.randint(4, 8)))
    return [("POST", "/api/sweep", {"json": {**net, "epochs": 200, "frames": 50, "activations": [activation(rng)], "sweep": {"param": "learning_rate", "values": values}}})]


KINDS = {"sliders": 0.4, "lesson": 0.1, "train": 0.25, "compare": 0.15, "sweep": 0.1}


# ----------------------------------------------------------------------------- measuring


@dataclass
class Outcome:
    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))  # kind → time to result, s
    errors: Counter = field(default_factory=Counter)  # what students saw: kind/status
    retries: Counter = field(default_factory=Counter)  # 503s absorbed by a retry, per kind
    served: Counter = field(default_factory=Counter)  # X-Run of the training answers, and X-Run-Batch > 1


def percentile(values: list[float], q: float) -> float:
    v = sorted(values)
    if not v:
        return math.nan
    return v[max(0, min(len(v) - 1, math.ceil(q / 100 * len(v)) - 1))]


async def attempt(client: httpx.AsyncClient, kind: str, method: str, path: str, kw: dict, out: Outcome, tries: int = 6) -> float | None:
    """One request as the page makes it: a 503 is retried after max(1, Retry-After) s, at most
    ``tries`` times. The time to its answer, or None (an error the student sees)."""
    t0 = time.perf_counter()
    for n in range(1, tries + 1):
        try:
            r = await client.request(method, path, **kw)
        except httpx.HTTPError as e:
            out.errors[f"{kind}: {type(e).__name__}"] += 1
            return None
        if r.status_code == 503 and n < tries:
            out.retries[kind] += 1
            await asyncio.sleep(max(1.0, min(30.0, float(r.headers.get("retry-after", "2")))))
            continue
        if r.status_code >= 400:
            out.errors[f"{kind}: {r.status_code}"] += 1
            return None
        if "x-run" in r.headers:
            out.served[r.headers["x-run"]] += 1
            if int(r.headers.get("x-run-batch", "1")) > 1:
                out.served["batched"] += 1
        return time.perf_counter() - t0
    return None


async def student(i: int, client: httpx.AsyncClient, catalogue: list[dict], out: Outcome, start: float, deadline: float, args) -> None:
    rng = random.Random(args.seed * 1000 + i)
    kinds, weights = list(KINDS), list(KINDS.values())
    async with client:
        await asyncio.sleep(rng.uniform(0, args.think))  # students do not all click at once
        while time.monotonic() < deadline:
            kind = rng.choices(kinds, weights)[0]
            for method, path, kw in action(kind, time.monotonic() - start, catalogue, rng, args):
                took = await attempt(client, kind, method, path, kw, out)
                if took is not None:
                    out.times["curve" if kind == "sliders" else kind].append(took)
                if kind == "sliders":
                    await asyncio.sleep(0.1)
            await asyncio.sleep(min(rng.expovariate(1.0 / args.think), max(0.0, deadline - time.monotonic())))


async def classroom(base: str, args) -> tuple[Outcome, float, bool]:
    async with httpx.AsyncClient(base_url=base, timeout=30) as c:
        catalogue = (await c.get("/api/activations")).json()["activations"]
    out = Outcome()
    # The clients first: making one takes ~50 ms (its TLS context), and making them as students
    # start would hold the event loop for seconds, so that every student's first click fell at
    # the same moment instead of over the first think time.
    clients = [httpx.AsyncClient(base_url=base, timeout=args.timeout, limits=httpx.Limits(max_connections=2)) for _ in range(args.students)]
    start = time.monotonic()
    await asyncio.gather(*(student(i, clients[i], catalogue, out, start, start + args.duration, args) for i in range(args.students)))
    wall = time.monotonic() - start
    return out, wall, await healthy(base)


async def healthy(base: str) -> bool:
    async with httpx.AsyncClient(base_url=base, timeout=10) as c:
        try:
            return (await c.get("/healthz")).status_code == 200
        except httpx.HTTPError:
            return False


def burst_bodies(n: int, round_: int) -> list[dict]:
    """n distinct requests of one shape (the explorer's default network): learning rates and
    activations differ; a new round has new learning rates (nothing from the result cache)."""
    return [
        {**BASE, **ASSIGNMENTS[0], "activations": [{"name": TRAIN_ACTIVATIONS[i % len(TRAIN_ACTIVATIONS)]}], "learning_rate": round(0.002 + 0.0005 * i + 1e-5 * round_, 6)}
        for i in range(n)
    ]


async def burst(base: str, bodies: list[dict], args) -> tuple[float, Outcome]:
    out = Outcome()
    clients = [httpx.AsyncClient(base_url=base, timeout=args.timeout) for _ in bodies]
    try:
        t0 = time.perf_counter()
        times = await asyncio.gather(*(attempt(c, "burst", "POST", "/api/train", {"json": b}, out) for c, b in zip(clients, bodies)))
        wall = time.perf_counter() - t0
    finally:
        for c in clients:
            await c.aclose()
    out.times["burst"] = [t for t in times if t is not None]
    return wall, out


# ----------------------------------------------------------------------------- report


def classroom_report(out: Outcome, wall: float, ok: bool, args) -> dict:
    print(f"\nclassroom: {args.students} students for {wall:.1f} s against {args.target} (think time mean {args.think} s)\n")
    head = f"{'kind':<9}{'results':>8}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'503s retried':>14}"
    print(head + "\n" + "-" * len(head))
    rep: dict = {"students": args.students, "duration_s": round(wall, 1), "workers": args.workers, "kinds": {}}
    for kind in ("curve", "lesson", "train", "compare", "sweep"):
        t = out.times.get(kind, [])
        p50, p95 = percentile(t, 50) * 1e3, percentile(t, 95) * 1e3
        mx = max(t) * 1e3 if t else math.nan
        retried = out.retries["sliders" if kind == "curve" else kind]
        print(f"{kind:<9}{len(t):>8}{p50:>9.0f}{p95:>9.0f}{mx:>9.0f}{retried:>14}")
        rep["kinds"][kind] = {"results": len(t), "p50_ms": round(p50, 1), "p95_ms": round(p95, 1), "max_ms": round(mx, 1), "retried_503": retried}
    training = out.times.get("train", []) + out.times.get("compare", [])
    tp50, tp95 = percentile(training, 50) * 1e3, percentile(training, 95) * 1e3
    n_err = sum(out.errors.values())
    print(f"\ntraining time-to-result (train + compare): p50 {tp50:.0f} ms, p95 {tp95:.0f} ms")
    print(f"curve p95: {percentile(out.times.get('curve', []), 95) * 1e3:.0f} ms")
    print(f"training answers: {dict(out.served)}")
    print(f"errors seen by students: {n_err}" + (f" ({dict(out.errors)})" if n_err else ""))
    print("server healthy afterwards:", "yes" if ok else "NO")
    rep.update(training_p50_ms=round(tp50, 1), training_p95_ms=round(tp95, 1), errors=dict(out.errors), served=dict(out.served), healthy_after=ok)
    return rep


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", help="the classroom against this running server instead of one started here (no burst)")
    ap.add_argument("--students", type=int, default=60, help="simulated students (default 60)")
    ap.add_argument("--duration", type=float, default=40.0, help="seconds of classroom (default 40; 0: no classroom)")
    ap.add_argument("--think", type=float, default=3.0, help="mean think time between a student's actions, s (default 3)")
    ap.add_argument("--phase", type=float, default=15.0, help="seconds between the teacher's assignments (default 15)")
    ap.add_argument("--workers", type=int, default=2, help="worker processes of the started servers (default 2)")
    ap.add_argument("--batching", type=int, choices=(0, 1), default=1, help="ACTLAB_TRAIN_BATCHING of the classroom's server (default 1)")
    ap.add_argument("--burst", type=int, default=32, help="distinct same-shape training requests sent at once (default 32; 0: no burst)")
    ap.add_argument("--rounds", type=int, default=2, help="bursts per setting (default 2)")
    ap.add_argument("--queue", type=int, help="ACTLAB_TRAIN_QUEUE of the burst's servers (default: the server's default, 2)")
    ap.add_argument("--timeout", type=float, default=60.0, help="per-request timeout, s (default 60)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--server-log", help="write the classroom server's log here")
    ap.add_argument("--json", help="also write the figures as JSON to this file")
    args = ap.parse_args(argv)
    if args.students < 1 or args.duration < 0:
        ap.error("--students must be ≥ 1 and --duration ≥ 0")
    report: dict = {"load_average_before": os.getloadavg()}
    print(f"load average before: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} ({os.cpu_count()} cores)")
    failed = False
    if args.duration > 0:
        proc = None
        if args.url:
            base = args.target = args.url.rstrip("/")
        else:
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            proc = start_server(port, args.workers, {"ACTLAB_TRAIN_BATCHING": str(args.batching)}, args.server_log)
            args.target = f"python -m app serve --workers {args.workers}, batching {'on' if args.batching else 'off'}"
        try:
            out, wall, ok = asyncio.run(classroom(base, args))
        finally:
            if proc is not None:
                stop_server(proc)
        report["classroom"] = classroom_report(out, wall, ok, args)
        failed |= bool(out.errors) or not ok
    if args.burst > 0 and not args.url:
        walls: dict[int, list[float]] = {1: [], 0: []}
        queue = f"queue {args.queue}" if args.queue is not None else "default queue"
        print(f"\nburst: {args.burst} distinct same-shape /api/train requests at once, {args.workers} workers, {queue}, fresh servers")
        for r in range(args.rounds):
            for batching in (1, 0):
                port = free_port()
                env = {"ACTLAB_TRAIN_BATCHING": str(batching), **({"ACTLAB_TRAIN_QUEUE": str(args.queue)} if args.queue is not None else {})}
                proc = start_server(port, args.workers, env)
                try:
                    bodies = burst_bodies(args.burst, r)
                    wall, out = asyncio.run(burst(f"http://127.0.0.1:{port}", bodies, args))
                finally:
                    stop_server(proc)
                walls[batching].append(wall)
                t = out.times["burst"]
                print(f"  round {r + 1}, batching {'on ' if batching else 'off'}: {len(t)} of {len(bodies)} answered, the last after {wall:.2f} s "
                      f"(p50 {percentile(t, 50):.2f} s, p95 {percentile(t, 95):.2f} s), 503s retried {out.retries['burst']}, "
                      f"errors {sum(out.errors.values())}, batched answers {out.served['batched']}")
                failed |= bool(out.errors)
        on, off = statistics.median(walls[1]), statistics.median(walls[0])
        print(f"  burst ratio (off ÷ on, medians): {off:.2f} s ÷ {on:.2f} s = {off / on:.2f}×")
        report["burst"] = {"requests": args.burst, "on_s": walls[1], "off_s": walls[0], "ratio": round(off / on, 2)}
    report["load_average_after"] = os.getloadavg()
    print(f"\nload average after: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(report, indent=1))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
