"""Liveness (/healthz) and readiness (/readyz). HEAD works on both (see the middleware).

Both are ``async`` and cheap so they answer even when the thread pools are busy: a load
balancer asks /readyz whether this process can take computing work right now.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from app import __version__
from app.core import activations as acts
from app.core.curves import sample_curve

from .activations import catalogue_json
from .deps import get_pool

router = APIRouter(tags=["health"])

RETRY_AFTER_S = 2


class Health(BaseModel):
    status: Literal["ok"]
    version: str


class Check(BaseModel):
    model_config = ConfigDict(extra="allow")  # the numbers a check measured (e.g. in_flight, capacity)

    ok: bool
    detail: str


class Readiness(BaseModel):
    status: Literal["ready", "not ready"]
    version: str
    checks: dict[str, Check]


@router.get("/healthz", summary="Alive", response_model=Health, response_class=JSONResponse)
async def healthz() -> JSONResponse:
    """The process is up and serving requests."""
    return JSONResponse({"status": "ok", "version": __version__})


def _check_catalogue() -> Check:
    listed = catalogue_json()["activations"]
    return Check(ok=len(listed) == len(acts.CATALOGUE) > 0, detail=f"{len(listed)} activations", activations=len(listed))


def _check_curve() -> Check:
    c = sample_curve(acts.get("relu"), {}, -1.0, 1.0, 3, (0.05, 0.95), 0, 0)
    ok = bool(np.array_equal(c.y, [0.0, 0.0, 1.0]) and np.all(np.isfinite(c.dy)))
    return Check(ok=ok, detail="relu on 3 points" + ("" if ok else ": wrong values"))


def _check_pool(request: Request) -> Check:
    pool = get_pool(request)
    free = pool.capacity - pool.in_flight
    return Check(
        ok=free > 0,
        detail=f"{pool.in_flight} of {pool.capacity} training places taken ({pool.workers} workers, {pool.capacity - pool.workers} queue places); "
        f"{pool.bulk_in_flight} of {pool.bulk_capacity} places for sweeps and lessons",
        in_flight=pool.in_flight,
        capacity=pool.capacity,
        workers=pool.workers,
        bulk_in_flight=pool.bulk_in_flight,
        bulk_capacity=pool.bulk_capacity,
    )


@router.get(
    "/readyz",
    summary="Ready to compute",
    response_model=Readiness,
    response_class=JSONResponse,
    responses={503: {"model": Readiness, "description": "Not ready: a check failed (see `checks`); retry after Retry-After seconds"}},
)
async def readyz(request: Request) -> JSONResponse:
    """The catalogue loads, a tiny curve computes, and the training pool can take a run
    (a free worker or room in its queue). 503 with Retry-After when any check fails."""
    checks: dict[str, Check] = {}
    for name, run in (("catalogue", _check_catalogue), ("curve", _check_curve), ("training_pool", lambda: _check_pool(request))):
        try:
            checks[name] = run()
        except Exception as e:
            checks[name] = Check(ok=False, detail=f"{type(e).__name__}: {e}"[:200])
    ready = all(c.ok for c in checks.values())
    body = Readiness(status="ready" if ready else "not ready", version=__version__, checks=checks)
    headers = None if ready else {"Retry-After": str(RETRY_AFTER_S)}
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503, headers=headers)

