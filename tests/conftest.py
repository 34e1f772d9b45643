"""Shared fixtures (an in-process client for the API) and the test tiers.

Every test belongs to one tier, by marker: ``core`` (tests/core: the numbers, no server),
``api`` (tests/api: the app in process), ``live`` (servers started as processes: app
workers, Redis, nginx), ``browser`` (Chromium) and ``deep`` (numerical cross-checks of
seconds each, e.g. the theory against many random networks: kept out of the fast tier).
No test asserts on wall-clock time (a busy machine would fail it): speed is measured in
``bench/`` as ratios. A test marked ``live``, ``browser`` or ``deep`` is in that tier only;
the others take their directory's.
"""

from __future__ import annotations

from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
EXPLICIT = ("live", "browser", "deep")
BY_DIRECTORY = {"core": "core", "api": "api", "browser": "browser", "live": "live", "deploy": "live"}


def pytest_ignore_collect(collection_path, config):
    """With ``-m``, a tier directory none of whose tests can match is not even imported (so
    ``-m core`` does not load the app, Playwright or schemathesis)."""
    expr = config.getoption("markexpr", "")
    if not expr:
        return None
    try:
        path = Path(collection_path).resolve().relative_to(TESTS)
    except ValueError:
        return None
    tier = BY_DIRECTORY.get(path.parts[0]) if path.parts else None
    if tier is None or len(path.parts) > 1:
        return None  # decide once, at the directory
    from _pytest.mark.expression import Expression  # pytest's own -m grammar

    compiled = Expression.compile(expr)
    possible = [{tier}] + [{m} for m in EXPLICIT]
    if not any(compiled.evaluate(lambda name, _m=m, **kw: name in _m) for m in possible):
        return True
    return None


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
def client():
    from fastapi.testclient import TestClient  # imported here: the core tier never loads the app

    from app.main import create_app
    from app.settings import Settings

    # runs the app's lifespan (the training pool); request log lines off (tests that read them set
    # their own); public_url: the origin TestClient requests come from (the app's absolute URLs use it)
    with TestClient(create_app(Settings(log_level="warning", public_url="http://testserver"))) as c:
        yield c
