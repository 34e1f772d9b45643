"""Shared fixtures (an in-process client for the API) and the test tiers.

Every test belongs to one tier, by marker: ``core`` (tests/core: the numbers, no server),
``api`` (tests/api: the app in process), ``live`` (servers started as processes: app
workers, Redis, nginx), ``browser`` (Chromium) and ``perf`` (assertions on wall-clock time,
run one at a time after the rest, so a busy machine cannot fail them). A test marked
``live``, ``browser`` or ``perf`` is in that tier only; the others take their directory's.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings

TESTS = Path(__file__).resolve().parent
EXPLICIT = ("live", "browser", "perf")
BY_DIRECTORY = {"core": "core", "api": "api", "browser": "browser", "live": "live", "deploy": "live"}


def pytest_collection_modifyitems(config, items) -> None:
    for item in items:
        if any(item.get_closest_marker(m) for m in EXPLICIT):
            continue
        tier = BY_DIRECTORY.get(Path(item.fspath).resolve().relative_to(TESTS).parts[0])
        if tier:
            item.add_marker(getattr(pytest.mark, tier))
    # Browser tests last: Playwright's sync API leaves an event loop marked running in the
    # process, after which asyncio.run() (live and api tests) fails. xdist hands each worker
    # its tests in this order, so in every worker they come after the rest too.
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(scope="session")
def client() -> TestClient:
    # public_url: the origin TestClient requests come from (absolute URLs the app writes use it)
    with TestClient(create_app(Settings(public_url="http://testserver"))) as c:  # runs the app's lifespan (the training pool)
        yield c
