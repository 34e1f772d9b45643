"""One error shape for every 4xx/5xx: ``{"detail": str, "field": str | null, "errors": [...]}``."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from .responses import JSON


class FieldError(BaseModel):
    field: str | None
    message: str


class ErrorResponse(BaseModel):
    detail: str
    field: str | None = None
    errors: list[FieldError] = []


class ApiError(Exception):
    """A client error naming the offending field."""

    def __init__(self, status: int, message: str, field: str | None = None, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field
        self.headers = headers or {}


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "Malformed request"},
    413: {"model": ErrorResponse, "description": "Request body too large"},
    422: {"model": ErrorResponse, "description": "A field is missing, of the wrong type, or out of range"},
}


def error_body(message: str, field: str | None = None, errors: list[dict] | None = None) -> dict:
    return {"detail": message, "field": field, "errors": errors if errors is not None else [{"field": field, "message": message}]}


def _describe(err: dict) -> tuple[str, str]:
    loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header")]
    field = ".".join(loc) or "request"
    msg = err.get("msg", "invalid value")
    ctx = err.get("ctx") or {}
    symbols = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<"}
    bounds = [f"{symbols[k]} {ctx[k]}" for k in symbols if k in ctx]
    if bounds:
        msg = f"{msg} (allowed: {field} {' and '.join(bounds)})"
    return field, f"{field}: {msg}"


async def validation_handler(request: Request, exc: RequestValidationError) -> JSON:
    described = [_describe(e) for e in exc.errors()]
    errors = [{"field": f, "message": m} for f, m in described]
    first_field, first_msg = described[0] if described else ("request", "invalid request")
    return JSON(error_body(first_msg, first_field, errors), status_code=422)


async def api_error_handler(request: Request, exc: ApiError) -> JSON:
    return JSON(error_body(exc.message, exc.field), status_code=exc.status, headers=exc.headers)


async def http_error_handler(request: Request, exc: StarletteHTTPException) -> JSON:
    return JSON(error_body(str(exc.detail)), status_code=exc.status_code, headers=getattr(exc, "headers", None))


async def unhandled_handler(request: Request, exc: Exception) -> JSON:
    request.app.state.logger.exception("unhandled error on %s %s", request.method, request.url.path)
    return JSON(error_body("internal error"), status_code=500)
