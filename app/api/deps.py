"""What routes receive from the app (FastAPI dependencies): its settings and its training pool;
and the one helper that writes absolute URLs of this site."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.settings import Settings

from .pool import TrainingPool


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def public_url(request: Request, path: str = "/") -> str:
    """An absolute URL of this site: the configured public origin (ACTLAB_PUBLIC_URL, else the
    bind address) and ``path`` — never the request's Host header, which any client can set."""
    return get_settings(request).origin + path


def get_pool(request: Request) -> TrainingPool:
    """The pool the app's lifespan created (see app.main)."""
    return request.app.state.training_pool


SettingsDep = Annotated[Settings, Depends(get_settings)]
PoolDep = Annotated[TrainingPool, Depends(get_pool)]
