"""A flood of new, large curves does not starve the server: /healthz keeps answering within
50 ms at the 99th percentile while 16 clients ask for curves never computed before
(bench/curve_flood.py, shortened), and nothing is answered 5xx."""

from __future__ import annotations

import pytest

from bench import curve_flood

pytestmark = pytest.mark.perf


def test_healthz_stays_fast_during_a_curve_flood() -> None:
    r = curve_flood.run(clients=16, seconds=6.0)
    assert r["fives"] == 0, r["statuses"]
    assert len(r["curve_ms"]) > 0, r["statuses"]  # the flood was served
    assert r["p99_under"] < curve_flood.TARGET_P99_MS, (r["p99_under"], sorted(r["under"])[-10:])
