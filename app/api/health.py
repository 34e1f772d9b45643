"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Request

from app import __version__

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Alive")
def healthz() -> dict:
    return {"status": "ok", "version": __version__}
