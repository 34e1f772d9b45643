"""Hundreds of hostile requests (tests/cases/hostile_requests.json: bodies, queries, headers,
paths and methods; regenerate with tests/cases/make_hostile_requests.py) against the app in
process: never a 5xx (but /oembed's 501 for a format it does not implement, as oEmbed says),
every JSON error in the one shape with a machine ``code``, and no NaN or Infinity in any JSON."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.live import Limits
from app.main import create_app
from app.settings import Settings

CASES_FILE = Path(__file__).resolve().parents[1] / "cases" / "hostile_requests.json"
CASES = json.loads(CASES_FILE.read_text())["cases"]
MIN_CASES = 300


def _strict(text: str):
    def refuse(name: str):
        raise ValueError(f"{name} in a JSON response")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture(scope="module")
def live():
    """The app (training runs cut short at 0.2 s, so the hundreds of runs stay quick) and a
    live class whose code and teacher token the cases may use."""
    app = create_app(Settings(train_timeout_s=0.2, train_queue=100, log_level="warning", public_url="http://testserver"))
    app.state.live_limits = Limits(misses_per_min=10**9, creates_per_hour=10**9, messages_per_s=10**9, results_per_s=10**9)
    with TestClient(app, raise_server_exceptions=False) as c:
        made = c.post("/api/classes", json={"query": "fn=relu"}).json()
        yield c, {"{code}": made["code"], "{token}": made["teacher_token"]}


def _fill(text: str, names: dict[str, str]) -> str:
    for k, v in names.items():
        text = text.replace(k, v)
    return text


def _body(case: dict, names: dict[str, str]) -> bytes | None:
    if "body_hex" in case:
        return bytes.fromhex(case["body_hex"])
    if "body_repeat" in case:
        head, piece, n, tail = case["body_repeat"]
        return (head + piece * n + tail).encode()
    if "body" in case:
        return _fill(case["body"], names).encode("utf-8", "surrogatepass")
    return None


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= MIN_CASES
    kinds = Counter(c["method"] for c in CASES)
    assert kinds["POST"] >= 150 and kinds["GET"] >= 150, kinds


def test_no_hostile_request_gets_a_5xx_and_every_error_has_the_one_shape(live) -> None:
    client, names = live
    failures: list[str] = []
    statuses: Counter[int] = Counter()
    for case in CASES:
        headers = {k: _fill(v, names) for k, v in case["headers"].items()}
        path = _fill(case["path"], names)
        try:
            r = client.request(case["method"], path, content=_body(case, names), headers=headers)
        except Exception as e:  # the client itself refused to send it (e.g. a header it cannot encode)
            failures.append(f"{case['name']}: the request raised {type(e).__name__}: {e}"[:300])
            continue
        statuses[r.status_code] += 1
        where = f"{case['name']} ({case['method']} {path[:60]}) → {r.status_code}"
        if r.status_code >= 500 and not (r.status_code == 501 and path.startswith("/oembed")):
            failures.append(f"{where}: {r.text[:200]}")
            continue
        ctype = r.headers.get("content-type", "")
        if case["method"] == "HEAD" or r.status_code in (204, 304) or not r.content:
            continue
        if "json" in ctype:
            try:
                body = _strict(r.text)
            except ValueError as e:
                failures.append(f"{where}: not strict JSON ({e})")
                continue
            if r.status_code >= 400:
                shape = isinstance(body, dict) and isinstance(body.get("detail"), str) and isinstance(body.get("code"), str) and body["code"]
                shape = shape and "field" in body and isinstance(body.get("errors"), list) and all(isinstance(e.get("code"), str) for e in body["errors"])
                if not shape:
                    failures.append(f"{where}: not the error shape: {r.text[:200]}")
        elif r.status_code >= 400 and not ctype.startswith("text/html"):
            failures.append(f"{where}: an error as {ctype!r}")
        elif ctype.startswith("text/event-stream"):
            for line in r.text.splitlines():
                if line.startswith("data:"):
                    try:
                        _strict(line[5:])
                    except ValueError as e:
                        failures.append(f"{where}: event data not strict JSON ({e})")
    assert not failures, f"{len(failures)} of {len(CASES)} cases failed:\n" + "\n".join(failures[:40])
    assert sum(statuses.values()) == len(CASES)
    assert sum(n for s, n in statuses.items() if 400 <= s < 500) >= len(CASES) // 2, statuses  # mostly refused, as they should be
