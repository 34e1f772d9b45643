"""Builds the application: routers, middleware, static files, error handlers, the training pool."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app import __version__
from app.core.errors import CoreError
from app.settings import Settings

from .api import activations, assets, classes, embed, errors, health, lessons, meta, pages, theory, training
from .api.batching import Batcher
from .api.compressed import ASSETS
from .api.middleware import AppMiddleware, stderr_request_log
from .api.pool import TrainingPool
from .api.responses import JSON
from .api.static import VersionedStatic

ROOT = Path(__file__).resolve().parent.parent


def _logger(settings: Settings) -> logging.Logger:
    """The app's error log on stderr, at this app's level (each app built sets it)."""
    logger = logging.getLogger("actlab")
    if not logger.handlers:  # errors, on stderr, in every worker process
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.propagate = False
    logger.setLevel(settings.log_level.upper())
    return logger


def create_app(settings: Settings | None = None) -> FastAPI:
    """The app for ``settings`` (default: from the environment), honouring every one of them."""
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        pool = app.state.training_pool = TrainingPool(settings.train_workers, settings.train_queue, cache_bytes=settings.train_cache_bytes)
        pool.batcher = Batcher(pool) if settings.train_batching else None
        ASSETS.warm_up()  # compress the static files (gzip, brotli) in the background, before visitors ask
        try:
            yield
        finally:
            app.state.training_pool.shutdown()

    app = FastAPI(
        title="Activation Lab",
        version=__version__,
        description="Activation functions, their exact derivatives, and what they do to tiny networks.",
        default_response_class=JSON,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,  # served by app.api.pages with an ETag and compression, like the other documents
        lifespan=lifespan,
        # no OpenTelemetry: its per-request provider check costs ~13 µs and the app exports nothing
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    # new curves: threads of their own (threads start on first use, so no lifespan is needed)
    app.state.curve_pool = TrainingPool(activations.CURVE_THREADS, activations.CURVE_QUEUE, noun="curve", cache_bytes=0)
    app.state.logger = logger = _logger(settings)
    # one JSON line per request (method, path, status, duration) at log level info and below
    app.state.request_log = stderr_request_log() if logger.isEnabledFor(logging.INFO) else None

    app.add_exception_handler(RequestValidationError, errors.validation_handler)
    app.add_exception_handler(errors.ApiError, errors.api_error_handler)
    app.add_exception_handler(CoreError, errors.core_error_handler)
    app.add_exception_handler(StarletteHTTPException, errors.http_error_handler)
    app.add_exception_handler(Exception, errors.unhandled_handler)

    # the hot path first: routes are matched in order
    # The hot path (curves, the catalogue) in the app's own route list: FastAPI ≥ 0.16 keeps an
    # included router as one nested route and matches through it twice per request (~25 µs
    # here). These routes already carry their prefix, tags and responses; nothing else differs.
    app.router.routes.extend(activations.router.routes)
    app.include_router(health.router)
    app.include_router(meta.router)
    app.include_router(assets.router)
    app.include_router(pages.router)
    app.include_router(embed.router)
    app.include_router(training.router)
    app.include_router(theory.router)
    app.include_router(lessons.router)
    app.include_router(classes.router)
    static = VersionedStatic(directory=ROOT / "static")
    app.state.asset_version = static.version
    app.mount("/static", static, name="static")

    app.add_middleware(
        AppMiddleware, max_body_bytes=settings.max_body_bytes, embed_frame_ancestors=settings.frame_ancestors, state=app.state,
        large_body_paths=training.LARGE_BODY_PATHS, large_body_bytes=settings.train_max_body_bytes,
        body_timeout_s=settings.body_timeout_s, origin=settings.origin,
    )
    return app


app = create_app()
