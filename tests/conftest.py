"""Shared fixtures: an in-process client for the API."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings


@pytest.fixture(scope="session")
def client() -> TestClient:
    with TestClient(create_app(Settings())) as c:  # runs the app's lifespan (the training pool)
        yield c
