"""Builds the application: routers, middleware, static files, error handlers."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app import __version__
from app.settings import Settings

from .api import activations, assets, embed, errors, health, pages
from .api import training
from .api import lessons
from .api.compressed import ASSETS
from .api.middleware import AppMiddleware, NegotiatedGZip, stderr_request_log
from .api.responses import JSON
from .api.static import VersionedStatic

ROOT = Path(__file__).resolve().parent.parent


@asynccontextmanager
async def lifespan(app: FastAPI):
    # compress the static files (gzip, brotli) in the background, before visitors ask for them
    ASSETS.warm_up()
    yield


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    logger = logging.getLogger("actlab")
    if not logger.handlers:  # errors, on stderr, in every worker process
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(settings.log_level.upper())
        logger.propagate = False
    app = FastAPI(
        title="Activation Lab",
        version=__version__,
        description="Activation functions, their exact derivatives, and what they do to tiny networks.",
        default_response_class=JSON,
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.logger = logger
    # one JSON line per request (method, path, status, duration) at log level info and below
    app.state.request_log = stderr_request_log() if logger.isEnabledFor(logging.INFO) else None

    app.add_exception_handler(RequestValidationError, errors.validation_handler)
    app.add_exception_handler(errors.ApiError, errors.api_error_handler)
    app.add_exception_handler(StarletteHTTPException, errors.http_error_handler)
    app.add_exception_handler(Exception, errors.unhandled_handler)

    app.include_router(health.router)
    app.include_router(activations.router)
    app.include_router(assets.router)
    app.include_router(pages.router)
    app.include_router(embed.router)
    app.include_router(training.router)
    app.include_router(lessons.router)
    static = VersionedStatic(directory=ROOT / "static")
    app.state.asset_version = static.version
    app.mount("/static", static, name="static")

    app.add_middleware(NegotiatedGZip, minimum_size=1024)
    app.add_middleware(AppMiddleware, max_body_bytes=settings.max_body_bytes, embed_frame_ancestors=settings.frame_ancestors, state=app.state)
    return app


app = create_app()
