"""A flood of new, large curves does not starve the server: /healthz keeps answering while 16
clients ask for curves never computed before (bench/curve_flood.py, shortened; the bench
reports its p99, target < 50 ms), and nothing is answered 5xx."""

from __future__ import annotations

import pytest

from bench import curve_flood

pytestmark = pytest.mark.live


def test_healthz_keeps_answering_during_a_curve_flood() -> None:
    r = curve_flood.run(clients=16, seconds=6.0)
    assert r["fives"] == 0, r["statuses"]
    assert len(r["curve_ms"]) > 0, r["statuses"]  # the flood was served
    assert len(r["under"]) > 0  # /healthz answered during the flood
