"""Live-class fan-out latency: the teacher's change → every student's screen.

Starts Debian's redis-server and two app worker processes (`python -m app serve`, each with
ACTLAB_REDIS_URL) on 127.0.0.1, starts a class on the first, and connects `--students`
simulated students (server-sent events, httpx, one asyncio loop) spread over both. The
teacher then changes the view `--changes` times, one every `--interval` seconds, through the
first worker. Each latency is the time from the teacher's PUT being sent to one student
receiving that change, so it includes the request, Redis pub/sub, the other worker's
fan-out and the client's own parsing. Prints p50 / p95 / max over every (student, change),
and the p95 of the time until the last student of the class had a change. Target: p95
< 500 ms; exits 1 if it is missed or any student missed a change or got one out of order.

    python3 bench/live_fanout.py [--students 60] [--changes 100] [--interval 0.1] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.live.harness import Classroom, Cluster, percentile  # noqa: E402

TARGET_P95_MS = 500.0


async def measure(urls: list[str], students: int, changes: int, interval: float) -> dict:
    room = Classroom(urls)
    try:
        await room.start("fn=relu")
        t0 = time.perf_counter()
        await room.join(students, timeout_s=60)
        join_s = time.perf_counter() - t0
        for i in range(1, changes + 1):
            await room.change(f"fn=leaky_relu(leak={i / 1000:g})&view=function")
            await asyncio.sleep(interval)
        complete = await room.received_all(changes, timeout_s=15)
        in_order = all([seq for seq, _, _ in s.states] == list(range(1, changes + 1)) for s in room.students)
        lat = room.latencies_ms()
        # per change: when the last student had it
        last = [max((t for s in room.students for q, _, t in s.states if q == seq), default=float("nan")) - room.sent[seq] for seq in room.sent]
        return {
            "students": students,
            "workers": len(urls),
            "changes": changes,
            "interval_s": interval,
            "join_all_s": round(join_s, 3),
            "every_change_in_order": complete and in_order,
            "samples": len(lat),
            "p50_ms": round(percentile(lat, 0.50), 2),
            "p95_ms": round(percentile(lat, 0.95), 2),
            "max_ms": round(max(lat), 2),
            "mean_ms": round(statistics.fmean(lat), 2),
            "last_student_p95_ms": round(percentile([x * 1000 for x in last], 0.95), 2),
        }
    finally:
        await room.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--students", type=int, default=60)
    ap.add_argument("--changes", type=int, default=100)
    ap.add_argument("--interval", type=float, default=0.1, help="seconds between the teacher's changes (the server takes ≤ 20 a second)")
    ap.add_argument("--workers", type=int, default=2, help="app processes sharing the Redis")
    ap.add_argument("--json", action="store_true", help="print the result as JSON only")
    args = ap.parse_args()

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    cluster = Cluster.start(workers=args.workers, max_students=max(200, args.students))
    try:
        result = asyncio.run(measure(cluster.urls, args.students, args.changes, args.interval))
    finally:
        cluster.stop()
    result["load_average_1m"] = round(load, 2)
    ok = result["every_change_in_order"] and result["p95_ms"] < TARGET_P95_MS
    if args.json:
        print(json.dumps(result))
    else:
        print(f"live-class fan-out: {result['students']} students on {result['workers']} workers (Redis pub/sub), "
              f"{result['changes']} changes every {result['interval_s']} s; load average {load:.2f}")
        print(f"  all {result['students']} joined in {result['join_all_s']} s; every change reached every student in order: {result['every_change_in_order']}")
        print(f"  teacher's PUT → student receipt over {result['samples']} deliveries: "
              f"p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms, max {result['max_ms']} ms (target p95 < {TARGET_P95_MS:.0f} ms)")
        print(f"  until the last student had a change: p95 {result['last_student_p95_ms']} ms")
        print("  OK" if ok else "  MISSED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
