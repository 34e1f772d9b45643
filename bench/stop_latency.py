"""How fast runs stop: at the wall-clock limit, and when their clients leave (issue 16).

1. The limit: a server with ACTLAB_TRAIN_TIMEOUT_S=0.1 gets the most expensive runs the
   budget admits (noisy ReLU, Mish, softplus, 4 stacked, 12 × 64 …, each scaled to just
   under the limit); printed: each run's elapsed_ms beyond the limit (target ≤ 250 ms).
2. Abandoned streams: a server whose pool holds 20 runs (2 workers, 18 waiting) gets 20
   /api/train/stream requests for such runs; once the first progress arrives every client
   hangs up, and the script times how long until the pool is empty (/readyz in_flight = 0;
   target ≤ 0.5 s). The request log says "abandoned" for each.

    python3 bench/stop_latency.py
"""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

import app  # noqa: F401,E402
from app.core.budget import MAX_COST, cost  # noqa: E402
from app.core.datasets import DatasetSpec  # noqa: E402
from app.core.network import Architecture, Variant  # noqa: E402
from app.core.training import TrainConfig  # noqa: E402
from tests.browser.conftest import free_port  # noqa: E402

# (request body, label): big, expensive, admissible — epochs filled in to just under the limit
RUNS = [
    ({"activations": [{"name": "noisy_relu"}] * 4, "n_points": 1000, "test_fraction": 0.05, "depth": 12, "width": 64, "frames": 3, "boundary_frames": 2}, "4 × noisy_relu 12×64"),
    ({"activations": [{"name": "mish"}] * 4, "n_points": 1000, "test_fraction": 0.05, "depth": 12, "width": 64, "frames": 3, "boundary_frames": 2}, "4 × mish 12×64"),
    ({"activations": [{"name": "softplus"}] * 2, "n_points": 2000, "depth": 12, "width": 64, "frames": 10, "boundary_frames": 2}, "2 × softplus 12×64"),
    ({"activations": [{"name": "relu"}], "n_points": 2000, "test_fraction": 0.05, "depth": 12, "width": 64, "frames": 10, "boundary_frames": 7, "boundary_grid": 80}, "relu 12×64"),
    ({"activations": [{"name": "noisy_relu"}], "n_points": 2000, "depth": 12, "width": 64, "batch_size": 16, "frames": 3, "boundary_frames": 1}, "noisy_relu 12×64, batch 16"),
]


def fill_epochs(body: dict) -> dict:
    """The most epochs (≤ 5000) that keep the run within the budget."""
    def cfg(e: int) -> TrainConfig:
        return TrainConfig(data=DatasetSpec("moons", body["n_points"], 0.1, body.get("test_fraction", 0.25)), arch=Architecture(body["depth"], body["width"]),
                           variants=tuple(Variant(a["name"]) for a in body["activations"]), batch_size=body.get("batch_size", 0), epochs=e,
                           frames=body["frames"], boundary_frames=body["boundary_frames"], boundary_grid=body.get("boundary_grid", 40))
    lo, hi = 1, 5000
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if cost(cfg(mid)) <= 0.98 * MAX_COST else (lo, mid - 1)
    return {**body, "epochs": lo}


class Server:
    def __init__(self, env: dict[str, str]):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(f"/tmp/actlab-stop-{self.port}.log", "w+")
        self.proc = subprocess.Popen([sys.executable, "-m", "app", "serve", "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "info"],
                                     cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=self.log)
        for _ in range(300):
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("server did not start")

    def in_flight(self) -> int:
        return int(httpx.get(self.url + "/readyz", timeout=5).json()["checks"]["training_pool"]["in_flight"])

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def limit_overshoot() -> list[tuple[str, float, float, bool]]:
    s = Server({"ACTLAB_TRAIN_TIMEOUT_S": "0.1"})
    out = []
    try:
        for body, label in RUNS:
            body = fill_epochs(body)
            t0 = time.perf_counter()
            r = httpx.post(s.url + "/api/train", json=body, timeout=120)
            wall = time.perf_counter() - t0
            j = r.json()
            out.append((f"{label}, {body['epochs']} epochs", j["elapsed_ms"] - 100.0, wall, j["cut_short"]))
    finally:
        s.close()
    return out


def abandoned_streams(n: int = 20) -> tuple[float, int, int]:
    s = Server({"ACTLAB_TRAIN_WORKERS": "2", "ACTLAB_TRAIN_QUEUE": str(n - 2), "ACTLAB_TRAIN_TIMEOUT_S": "60"})
    try:
        body = json.dumps(fill_epochs(RUNS[0][0])).encode()
        socks = []
        for _ in range(n):
            c = socket.create_connection(("127.0.0.1", s.port), timeout=30)
            c.sendall(f"POST /api/train/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
            socks.append(c)
        buf = b""
        while b"event: progress" not in buf:  # the first run is under way
            buf += socks[0].recv(4096)
        taken = s.in_flight()
        t0 = time.perf_counter()
        for c in socks:
            c.close()
        while s.in_flight() > 0:
            time.sleep(0.01)
        free_after = time.perf_counter() - t0
        time.sleep(0.3)
        s.log.flush()
        s.log.seek(0)
        abandoned = sum(1 for line in s.log if '"outcome":"abandoned"' in line)
        return free_after, taken, abandoned
    finally:
        s.close()


def main() -> int:
    print("1. the wall-clock limit (ACTLAB_TRAIN_TIMEOUT_S=0.1): elapsed beyond the limit")
    rows = limit_overshoot()
    for label, over, wall, cut in rows:
        print(f"   {label:42s} +{over:6.0f} ms  (request {wall * 1e3:6.0f} ms, cut_short {cut})")
    worst = max(r[1] for r in rows)
    print(f"   worst: +{worst:.0f} ms (target ≤ 250 ms)")
    free_after, taken, abandoned = abandoned_streams()
    print(f"2. 20 streams ({taken} in the pool) abandoned at once: pool empty after {free_after * 1e3:.0f} ms (target ≤ 500 ms); "
          f"{abandoned} logged as abandoned")
    return 0 if worst <= 250 and free_after <= 0.5 else 1


if __name__ == "__main__":
    _ = dataclasses
    raise SystemExit(main())
