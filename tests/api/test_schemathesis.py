"""Schemathesis fuzzes every operation of /openapi.json against the app (in process, ASGI).

Checks: no 5xx, every status code documented, every response body and header matching
its documented schema and content type, and no schema-violating request accepted
(negative_data_rejection). A schema-valid request may still get a 422 for what OpenAPI
cannot express — xmin < xmax, an activation's own parameter ranges, the compute budget
of a training run — so positive_data_acceptance accepts 2xx and 422, and 404 (/oembed answers 404 for
a URL that is not a page of this site); a 400, 413 or 5xx for schema-valid data fails.

Bounded: 25 generated cases per operation (12 where every accepted case trains a network or
computes a theory answer) plus schemathesis' explicit-example and
coverage cases, and training runs stop after 0.1 s of wall-clock time. The number of
cases per operation is written to tests/artifacts/schemathesis-<worker>.json.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from app.live import Limits
from app.main import create_app
from app.settings import Settings

MAX_EXAMPLES = 25
MAX_EXAMPLES_SLOW = 12  # operations that train a network on every accepted case
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"

app = create_app(Settings(train_timeout_s=0.1, train_workers=1, train_queue=4))
# one fuzzing client would hit the live classes' per-address limits (tests/api/test_classes.py tests them)
app.state.live_limits = Limits(misses_per_min=10**9, creates_per_hour=10**9, messages_per_s=10**9, results_per_s=10**9)
config = schemathesis.Config.from_dict(
    {
        # (a lesson's measurement may compute for a few seconds within its budget, more on a busy
        # machine: schemathesis' default 10 s read timeout failed one in CI; a hang still fails)
        "request-timeout": 60,
        "generation": {"max-examples": MAX_EXAMPLES},
        "checks": {"positive_data_acceptance": {"expected-statuses": ["2XX", "404", "422"]}},
        "operations": [
            {
                # the body model of /api/train, which gets the full coverage phase: here the
                # stream itself is what is under test
                "include-path": "/api/train/stream",
                "generation": {"max-examples": MAX_EXAMPLES_SLOW},
                "phases": {"coverage": {"enabled": False}},
            },
            {"include-path-regex": "^/api/lessons/.+/measure$", "generation": {"max-examples": MAX_EXAMPLES_SLOW}},
            # the theory's routes compute for up to a few seconds per accepted case (their budget)
            {"include-path-regex": "^/api/theory/", "generation": {"max-examples": MAX_EXAMPLES_SLOW}},
            {
                # oEmbed 1.0 §2.3.4: an unsupported format is answered 501 Not Implemented.
                "include-path": "/oembed",
                "checks": {
                    "not_a_server_error": {"expected-statuses": ["2XX", "3XX", "4XX", "501"]},
                    "positive_data_acceptance": {"expected-statuses": ["2XX", "404", "422", "501"]},
                },
            }
        ],
    }
)
schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=config)
CASES: Counter[str] = Counter()
STATUSES: Counter[str] = Counter()


@pytest.fixture(scope="module", autouse=True)
def _record_case_counts():
    yield
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    out = {"cases": dict(CASES), "total": sum(CASES.values()), "statuses": dict(STATUSES)}
    (ARTIFACTS / f"schemathesis-{worker}.json").write_text(json.dumps(out, indent=1, sort_keys=True))


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_conforms_to_its_schema(case):
    CASES[case.operation.label] += 1
    response = case.call()
    STATUSES[f"{case.operation.label} {response.status_code}"] += 1
    case.validate_response(response)


def test_every_documented_operation_is_fuzzed():
    """The schema lists the API; a route that slips out of it would escape the fuzzing."""
    labels = {op.ok().label for op in schema.get_all_operations()}
    for expected in ("GET /api/curve", "POST /api/curves", "GET /api/activations", "POST /api/train", "POST /api/train/stream", "POST /api/sweep", "POST /api/init_stats", "GET /healthz", "GET /readyz",
                     "GET /api/theory/propagation", "GET /api/theory/critical", "GET /api/theory/phase", "GET /api/theory/kernel",
                     "GET /api/theory/init", "GET /api/theory/mean_var", "POST /api/theory/network"):
        assert expected in labels, labels


def test_json_responses_are_documented_as_json():
    """A route that answers JSON but is documented as ``{"type": "string"}`` (FastAPI's
    default for a non-JSONResponse response class) escapes the response-schema check."""
    spec = app.openapi()
    offenders = set()
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            for code, resp in op["responses"].items():
                schema = resp.get("content", {}).get("application/json", {}).get("schema")
                if schema == {"type": "string"}:
                    offenders.add(f"{method.upper()} {path} {code}")
                if code[0] in "45" and not resp.get("content"):
                    offenders.add(f"{method.upper()} {path} {code} (no body schema)")
    assert not offenders, sorted(offenders)
