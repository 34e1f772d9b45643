"""One error shape for every 4xx/5xx::

    {"detail": str, "field": str | null, "code": str, "errors": [{"field", "message", "code"}], …numbers}

``detail`` is for people; ``code`` (and each error's) is for programs, with the numbers that
go with it as top-level keys (``min``/``max`` for a range, ``limit``/``cost``/``fit_epochs``
for the compute budget, ``retry_after`` when busy), so no caller reads the English.
Validation messages name the field (dotted path into the body, or the query parameter) and
the allowed values, which are read from the route's own OpenAPI schema — so the message and
/docs can never disagree, and routes added later get the same treatment. Errors the core
raises (:class:`app.core.errors.CoreError`) are mapped here by a registered handler.
"""

from __future__ import annotations

import math
import re
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core.errors import CoreError

from .responses import JSON


class FieldError(BaseModel):
    field: str | None
    message: str
    code: str = "invalid"


class ErrorResponse(BaseModel):
    """Every error. Besides these keys, an error may carry the numbers its ``code`` names
    (e.g. ``budget``: ``limit``, ``cost``, ``fit_epochs``, ``reduce``; ``out_of_range``:
    ``min``, ``max``; ``busy``: ``retry_after``)."""

    model_config = ConfigDict(extra="allow")

    detail: str
    field: str | None = None
    code: str = "invalid"
    errors: list[FieldError] = []


class ApiError(Exception):
    """A client error naming the offending field, with a machine ``code`` and its numbers."""

    def __init__(self, status: int, message: str, field: str | None = None, headers: dict[str, str] | None = None, code: str | None = None, **info: Any):
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field
        self.headers = headers or {}
        self.code = code or _STATUS_CODES.get(status, "invalid")
        self.info = info

    @classmethod
    def of(cls, err: CoreError, prefix: str = "") -> ApiError:
        """The API's error for a core error, its field inside ``prefix``."""
        return cls(err.status, err.message, prefix + (err.field or ""), code=err.code, **err.info)


# the code an error gets from its status alone, when nothing more specific is known
_STATUS_CODES = {400: "invalid_json", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
                 409: "conflict", 413: "body_too_large", 422: "invalid", 429: "rate_limited", 500: "internal", 501: "not_implemented", 503: "busy"}


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "Malformed request: the body is not valid JSON (or not UTF-8, or nested too deeply)"},
    413: {"model": ErrorResponse, "description": "Request body too large"},
    422: {"model": ErrorResponse, "description": "A field is missing, of the wrong type, or out of range; `detail` names it and the allowed values"},
}

_LOCATIONS = ("body", "query", "path", "header", "cookie")
# The tags pydantic appends to a location for each member of a failed union (float, str,
# list[...], function-after[...], ...).
_UNION_TAG = re.compile(r"^(float|int|str|bool|none|bytes|decimal|[a-z-]+\[.*\]|[A-Z][A-Za-z0-9_]*)$")
_PARSE_FAILED = "There was an error parsing the body"
_MAX_SHOWN = 40  # characters of a rejected input quoted back
MAX_ERRORS = 20  # errors described in one response (a hostile body can carry thousands)


def printable(text: str) -> str:
    """Text fit for a JSON answer: a lone surrogate (which UTF-8 cannot carry) written as its escape."""
    return text if text.isascii() else text.encode("utf-8", "backslashreplace").decode("utf-8")


def error_body(message: str, field: str | None = None, errors: list[dict] | None = None, code: str = "invalid", **info: Any) -> dict:
    # user text (a key, a value) may reach the message or the field: never let it break the JSON
    message = printable(message)
    field = field if field is None else printable(field)
    if errors is not None:
        errors = [{**e, "field": e.get("field") if e.get("field") is None else printable(str(e["field"])), "message": printable(str(e.get("message", "")))} for e in errors]
    body = {"detail": message, "field": field, "code": code, "errors": errors if errors is not None else [{"field": field, "message": message, "code": code}]}
    body.update({k: v for k, v in info.items() if k not in body})
    return body


# ----------------------------------------------------------------------------- schema lookup


def _operation(request: Request) -> tuple[dict, dict] | None:
    """(the OpenAPI document, this route's operation), or None."""
    route = request.scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    if not path:
        return None
    try:
        spec = request.app.openapi()
    except Exception:
        return None
    op = spec.get("paths", {}).get(path, {}).get(request.method.lower())
    return (spec, op) if op else None


def _deref(schema: dict, spec: dict) -> dict:
    for _ in range(32):
        ref = schema.get("$ref")
        if not ref:
            break
        schema = spec.get("components", {}).get("schemas", {}).get(ref.rsplit("/", 1)[-1], {})
    return schema


def _non_null(schema: dict, spec: dict) -> list[dict]:
    options = schema.get("anyOf") or schema.get("oneOf")
    if not options:
        return [schema]
    return [_deref(o, spec) for o in options if o.get("type") != "null"]


def _schema_at(request: Request, loc: tuple) -> dict | None:
    """The JSON schema of the value at ``loc`` (a pydantic error location), if it has one."""
    found = _operation(request)
    if not found or not loc:
        return None
    spec, op = found
    where, rest = loc[0], list(loc[1:])
    if where == "body":
        schema = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    elif where in _LOCATIONS and rest:
        name = rest.pop(0)
        params = [p for p in op.get("parameters", []) if p.get("name") == name and p.get("in") == where]
        schema = params[0].get("schema") if params else None
    else:
        return None
    if schema is None:
        return None
    schema = _deref(schema, spec)
    for part in rest:
        for option in _non_null(schema, spec):
            if isinstance(part, int) and "items" in option:
                schema = _deref(option["items"], spec)
                break
            if isinstance(part, str) and part in option.get("properties", {}):
                schema = _deref(option["properties"][part], spec)
                break
            if isinstance(part, str) and isinstance(option.get("additionalProperties"), dict):
                schema = _deref(option["additionalProperties"], spec)
                break
        else:
            return None
    return schema


def _num(v: Any) -> str:
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e16:
        return str(int(v))
    return f"{v:g}" if isinstance(v, float) else str(v)


def _allowed(schema: dict, field: str, spec: dict | None = None) -> str | None:
    """The allowed values of ``schema`` in words: "1 ≤ depth ≤ 12", "one of 'adam', 'sgd'", …"""
    spec = spec or {}
    if "enum" in schema:
        return "one of " + ", ".join(repr(v) for v in schema["enum"])
    if "const" in schema:
        return repr(schema["const"])
    options = schema.get("anyOf") or schema.get("oneOf")
    if options:
        words = [w for w in (_allowed(_deref(o, spec), field, spec) for o in options if o.get("type") != "null") if w]
        nullable = any(o.get("type") == "null" for o in options)
        return " or ".join(words + (["null"] if nullable else [])) or None
    kind = schema.get("type")
    if kind in ("integer", "number"):
        lo = [f"{_num(schema['minimum'])} ≤ "] if "minimum" in schema else [f"{_num(schema['exclusiveMinimum'])} < "] if "exclusiveMinimum" in schema else []
        hi = [f" ≤ {_num(schema['maximum'])}"] if "maximum" in schema else [f" < {_num(schema['exclusiveMaximum'])}"] if "exclusiveMaximum" in schema else []
        noun = "an integer" if kind == "integer" else "a finite number"
        return f"{noun} with {''.join(lo)}{field}{''.join(hi)}" if lo or hi else noun
    if kind == "string":
        lo, hi = schema.get("minLength"), schema.get("maxLength")
        if hi is not None:
            return f"a string of {lo or 0}–{hi} characters" if lo else f"a string of at most {hi} characters"
        return "a string"
    if kind == "boolean":
        return "true or false"
    if kind == "array":
        lo, hi = schema.get("minItems"), schema.get("maxItems")
        if lo is not None and hi is not None:
            return f"a list of {lo}–{hi} items"
        if hi is not None:
            return f"a list of at most {hi} items"
        return f"a list of at least {lo} items" if lo is not None else "a list"
    if kind == "object":
        props = schema.get("properties")
        if props and schema.get("additionalProperties") is False:
            return "an object with the fields " + ", ".join(props)
        hi = schema.get("maxProperties")
        return f"an object of at most {hi} entries" if hi is not None else "an object"
    return None


def _shown(value: Any) -> str:
    # a huge count (1e30 sent for seed, read as a whole number) as it was written, not 31 digits
    text = f"{float(value):g}" if type(value) is int and abs(value) >= 10**16 else repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…"


# ----------------------------------------------------------------------------- messages


_KEY_ERRORS = ("extra_forbidden", "missing")  # about a key, never a member of a union
_MAX_UNION = 8  # no union in the API has more members


def _is_tag(part: Any) -> bool:
    return isinstance(part, str) and bool(_UNION_TAG.match(part))


def _union_member(e: dict) -> bool:
    loc = tuple(e.get("loc", ()))
    return len(loc) > 1 and _is_tag(loc[-1]) and e.get("type") not in _KEY_ERRORS


def _merge_unions(errs: list[dict]) -> list[dict]:
    """One error per location: the members of a failed union (…alpha.float, …alpha.str)
    become one error at …alpha. Linear in the number of errors."""
    groups: dict[tuple, list[dict]] = {}
    for e in errs:
        if _union_member(e):
            groups.setdefault(tuple(e["loc"])[:-1], []).append(e)
    out: list[dict] = []
    done: set[tuple] = set()
    for e in errs:
        loc = tuple(e.get("loc", ()))
        members = groups.get(loc[:-1]) if _union_member(e) else None
        if not members or not 2 <= len(members) <= _MAX_UNION:
            out.append(e)
            continue
        if loc[:-1] in done:
            continue
        done.add(loc[:-1])
        msgs = [m.get("msg", "") for m in members]
        merged = msgs[0] + "".join(", or " + (m[len("Input should be "):] if m.startswith("Input should be ") else m) for m in msgs[1:])
        out.append({**e, "loc": loc[:-1], "msg": merged, "ctx": None, "type": "union"})
    return out


_TYPE_CODES = {
    "extra_forbidden": "unknown_field", "missing": "missing", "literal_error": "not_a_choice", "enum": "not_a_choice",
    "greater_than_equal": "out_of_range", "less_than_equal": "out_of_range", "greater_than": "out_of_range", "less_than": "out_of_range",
    "finite_number": "not_finite", "string_too_long": "too_long", "too_long": "too_long", "string_too_short": "too_short",
    "too_short": "too_short", "json_invalid": "invalid_json", "union": "wrong_type",
}


def _code(kind: str) -> str:
    if kind in _TYPE_CODES:
        return _TYPE_CODES[kind]
    if kind.endswith(("_type", "_parsing")) or kind in ("int_from_float", "model_attributes_type"):
        return "wrong_type"
    return "invalid"


def _numbers(schema: dict | None, code: str) -> dict[str, Any]:
    """The numbers that go with a code, from the field's schema: a range's ends, the choices."""
    if not schema:
        return {}
    if code == "out_of_range":
        out = {}
        for key, name in (("minimum", "min"), ("exclusiveMinimum", "min"), ("maximum", "max"), ("exclusiveMaximum", "max")):
            if key in schema:
                out[name] = schema[key]
        return out
    if code == "not_a_choice" and "enum" in schema:
        return {"choices": list(schema["enum"])}
    if code == "too_long":
        for key in ("maxLength", "maxItems"):
            if key in schema:
                return {"max": schema[key]}
    return {}


def _is_fraction(v: Any) -> bool:
    """A finite number with a fractional part, or text that reads as one (2.5, '2.5'; not 'abc')."""
    if isinstance(v, bool):
        return False
    try:
        f = float(v)
    except (TypeError, ValueError):
        return False
    return math.isfinite(f) and not f.is_integer()


def _describe(request: Request, err: dict) -> tuple[str, str, str, dict[str, Any]]:
    """(field, message, code, numbers) for one pydantic error."""
    raw_loc = tuple(err.get("loc", ()))
    loc = raw_loc[1:] if raw_loc and raw_loc[0] in _LOCATIONS else raw_loc
    field = ".".join(str(p) for p in loc) or "body"
    kind = err.get("type", "")
    msg = err.get("msg", "invalid value")
    code = _code(kind)

    if kind == "extra_forbidden":
        parent = _schema_at(request, raw_loc[:-1])
        names = list((parent or {}).get("properties", {}))
        allowed = f"; allowed fields: {', '.join(names)}" if names else ""
        return field, f"{field}: unknown field{allowed}", code, {"allowed": names}
    if kind == "missing" and not loc:
        return "body", "body: a JSON object is required (send {} to take every default)", "not_an_object", {}
    if kind in ("model_attributes_type", "dict_type", "model_type") and not loc:
        ctype = request.headers.get("content-type")
        if ctype and "json" not in ctype.lower():
            return "body", f"body: must be a JSON object sent with Content-Type: application/json (got Content-Type: {ctype[:60]})", "not_json", {}
        if not ctype and isinstance(err.get("input"), bytes):
            return "body", "body: must be a JSON object sent with Content-Type: application/json (the request has no Content-Type)", "not_json", {}
        return "body", f"body: must be a JSON object (got {_shown(err.get('input'))})", "not_an_object", {}

    if kind in ("literal_error", "enum"):
        msg = "not one of the allowed values"
    if kind in ("int_from_float", "int_parsing", "int_type") and _is_fraction(err.get("input")):  # 2.5 for a count
        msg, code = "must be a whole number", "not_whole"
    if kind == "value_error":  # our own validators' messages, without pydantic's prefix
        msg = msg.removeprefix("Value error, ")
        code = (err.get("ctx") or {}).get("code") or ("not_a_number" if "decimal" in msg else "invalid")
    schema = _schema_at(request, raw_loc)
    allowed = _allowed(schema, field, (_operation(request) or ({}, {}))[0]) if schema else None
    numbers = _numbers(schema, code)
    if schema and schema.get("type") == "integer":  # a count's ends as counts (1, not 1.0)
        numbers = {k: int(v) if isinstance(v, float) and v.is_integer() else v for k, v in numbers.items()}
    if allowed is None:
        ctx = err.get("ctx") or {}
        symbols = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<"}
        bounds = [f"{field} {symbols[k]} {ctx[k]}" for k in symbols if k in ctx]
        allowed = " and ".join(bounds) or None
        if code == "out_of_range" and not numbers:
            numbers = {("min" if k in ("ge", "gt") else "max"): ctx[k] for k in symbols if k in ctx and isinstance(ctx[k], (int, float))}
    text = f"{field}: {msg}"
    if kind != "missing" and "input" in err and not isinstance(err.get("input"), (dict, list)):
        text += f" (got {_shown(err['input'])})"
    if allowed:
        text += f"; allowed: {allowed}"
    return field, text, code, numbers


def _json_error(err: dict) -> tuple[str, str]:
    pos = err.get("loc", ("body", 0))[-1]
    reason = (err.get("ctx") or {}).get("error", "invalid JSON")
    return "body", f"body: not valid JSON ({reason} at character {pos + 1})"


async def validation_handler(request: Request, exc: RequestValidationError) -> JSON:
    errs = list(exc.errors())
    decode = [e for e in errs if e.get("type") == "json_invalid"]
    if decode:
        field, message = _json_error(decode[0])
        return JSON(error_body(message, field, code="invalid_json"), status_code=400)
    merged = _merge_unions(errs)
    described = [_describe(request, e) for e in merged[:MAX_ERRORS]]
    errors = [{"field": f, "message": m, "code": c, **n} for f, m, c, n in described]
    if len(merged) > MAX_ERRORS:
        errors.append({"field": None, "message": f"… and {len(merged) - MAX_ERRORS} more errors", "code": "more"})
    first_field, first_msg, first_code, first_numbers = described[0] if described else ("body", "invalid request", "invalid", {})
    return JSON(error_body(first_msg, first_field, errors, first_code, **first_numbers), status_code=422)


async def api_error_handler(request: Request, exc: ApiError) -> JSON:
    return JSON(error_body(exc.message, exc.field, code=exc.code, **exc.info), status_code=exc.status, headers=exc.headers)


async def core_error_handler(request: Request, exc: CoreError) -> JSON:
    """Errors of the core (a parameter out of range, a run over budget, …): 422 with their code."""
    return JSON(error_body(exc.message, exc.field, code=exc.code, **exc.info), status_code=exc.status)


async def http_error_handler(request: Request, exc: StarletteHTTPException) -> JSON:
    detail, field = str(exc.detail), None
    code = _STATUS_CODES.get(exc.status_code, "invalid")
    if exc.status_code == 400 and detail == _PARSE_FAILED:
        # FastAPI's answer to a body that json.loads could not take: bad UTF-8, nesting
        # deeper than the parser's recursion limit, an integer of thousands of digits, …
        detail, field = "body: could not be parsed as JSON (invalid UTF-8, nesting too deep, or a number too long)", "body"
    elif exc.status_code == 404 and detail == "Not Found":
        detail = f"no such page or endpoint: {request.url.path[:200]}"
    elif exc.status_code == 405:
        allow = (getattr(exc, "headers", None) or {}).get("Allow") or (getattr(exc, "headers", None) or {}).get("allow")
        detail = f"{request.method} is not allowed on {request.url.path[:200]}" + (f"; allowed: {allow}" if allow else "")
    return JSON(error_body(detail, field, code=code), status_code=exc.status_code, headers=getattr(exc, "headers", None))


async def unhandled_handler(request: Request, exc: Exception) -> JSON:
    request.app.state.logger.exception("unhandled error on %s %s", request.method, request.url.path)
    return JSON(error_body("internal error", code="internal"), status_code=500)
