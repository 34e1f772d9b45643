"""Embeddable plots (/embed/<panel>?<explorer query>) and their oEmbed endpoint.

An embed page takes the explorer's own query string, so any explorer view can become an
iframe. Training embeds run on load only when the run is cheap; otherwise they show a
"Run" button (the API's caps apply either way).
"""

from __future__ import annotations

import html
import json
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field, ValidationError

from app.core import spec
from app.core.errors import CoreError
from app.core.training import cost

from . import training, training_schemas
from .deps import public_url
from .errors import ERROR_RESPONSES, ApiError, ErrorResponse, error_body
from .meta import AUTORUN_COST, EMBED_ONLY_KEYS, MAX_COMPARE, PANELS, RECORDING, SWEEP_DEFAULTS, THEMES, applies, read_link
from .pages import oembed_href, render
from .responses import cached_json

router = APIRouter(tags=["embed"])

DEFAULT_SIZE = (720, 480)
CACHE_AGE_S = 3600
MIN_SIZE = (200, 150)


# Every plot but a live class's results (they need the class): embeddable.
EMBEDDABLE = {name: p for name, p in PANELS.items() if p["kind"] != "class"}


def kind_of(panel: str) -> str:
    return PANELS[panel]["kind"]


def kind_module(kind: str) -> str:
    """The module an embed of this kind imports (static/js/embed/): what its plot needs, nothing else."""
    return "js/embed/" + {"function": "function.js", "theory": "theory.js"}.get(kind, "training.js")


def training_request(query: dict[str, str], kind: str) -> BaseModel:
    """The /api/train or /api/sweep body an embed's query describes, read by the links' rule
    (the page reads it the same way), then validated."""
    state, _ = read_link(query)
    act, _ = spec.sanitise(state["act"], MAX_COMPARE if kind == "sweep" or len(state["act"]) > 1 else 1)
    fields = set(training_schemas.TrainRequest.model_fields) - {"activations", "include_weights", "dtype"}
    body: dict[str, Any] = {k: v for k, v in state.items() if k in fields and applies(k, state)}
    body["activations"] = [s.as_dict() for s in act] or [{"name": "relu", "params": {}}]  # a name, or a formula with its ranges
    body.update(RECORDING)
    if kind == "sweep":
        if state["sweep"] == "momentum":  # the page's correction (settleSweep, formula.js): Adam reads no momentum
            body["optimizer"] = "sgd"
        body["sweep"] = {"param": state["sweep"], "values": [float(v) if spec.is_number(v) else v for v in state["values"]]}
        body["boundary_frames"] = 0
        return training_schemas.SweepRequest.model_validate(body, strict=False)
    return training_schemas.TrainRequest.model_validate(body, strict=False)


# The errors of a run too large for the server: the page says them without asking for the run.
TOO_LARGE = ("budget", "memory", "boundary_cells")


def run_check(query: dict[str, str], kind: str) -> tuple[float | None, dict[str, Any] | None]:
    """The compute the embed's run needs (None when the query is not a valid run) and, for a
    run over the server's limits, the error /api/train would answer (its code and numbers)."""
    try:
        body = training_request(query, kind)
        resolved = training.resolve_activations(body)
        if kind == "sweep":
            body = _sweepable(body, resolved)  # type: ignore[arg-type]
            variants = training.sweep_variants(body, resolved)  # type: ignore[arg-type]
        else:
            variants = [training.Variant(name, params) for name, params in resolved]
        return cost(training.make_config(body, variants)), None
    except (ApiError, CoreError) as err:
        if err.code in TOO_LARGE:
            return None, error_body(err.message, err.field, code=err.code, **err.info)
        return None, None
    except (ValidationError, ValueError, KeyError, TypeError):
        return None, None


def _sweepable(body: training_schemas.SweepRequest, resolved: training.Resolved) -> training_schemas.SweepRequest:
    """A parameter not every activation has sweeps the learning rate (the page's correction, settleSweep)."""
    if body.sweep.param in {"learning_rate", "momentum"} | training.sweepable(resolved):
        return body
    return body.model_copy(update={"sweep": training_schemas.SweepSpec(param="learning_rate", values=[float(v) for v in SWEEP_DEFAULTS["learning_rate"]])})


def explorer_query(query: dict[str, str], panel: str) -> str:
    keep = {k: v for k, v in query.items() if k not in EMBED_ONLY_KEYS}
    keep["view"] = {"function": "function", "theory": "theory"}.get(kind_of(panel), "network")
    if kind_of(panel) == "sweep":
        keep["mode"] = "sweep"
    return urlencode(keep, safe="(),=:[]")


def embed_title(query: dict[str, str], panel: str) -> str:
    return (query.get("title") or "").strip()[:120] or PANELS[panel]["title"]


@router.get("/embed/{panel}", response_class=HTMLResponse, include_in_schema=False)
def embed_page(panel: str, request: Request) -> Response:
    if panel not in EMBEDDABLE:  # a page in the frame, not JSON: says what can be embedded
        return render(request, "embed_missing.html", status_code=404, panel=panel[:80], panels=list(EMBEDDABLE))
    query = dict(request.query_params)
    if panel == "prelu" and "act" not in query:
        # its plot is PReLU's learned slopes: a link naming no activation (the listing's) means PReLU's
        return RedirectResponse("/embed/prelu?" + urlencode({"act": "prelu", **query}, safe="(),=:[]"), status_code=307)
    kind = kind_of(panel)
    # a run over the server's limits: its error goes in the page (said in words there), no Run button
    c, refused = run_check(query, kind) if kind not in ("function", "theory") else (0.0, None)
    return render(
        request,
        "embed.html",
        panel=panel,
        kind=kind,
        module=kind_module(kind),
        title=embed_title(query, panel),
        show_title=bool(query.get("title")),
        controls=query.get("controls") == "1",
        modebar=query.get("modebar", "1") != "0",
        theme=query.get("theme") if query.get("theme") in THEMES else "light",
        autorun=c is not None and c <= AUTORUN_COST,
        refused=json.dumps(refused) if refused else "",
        explorer_url="/?" + explorer_query(query, panel),
        oembed_href=oembed_href(request),
    )


# ----------------------------------------------------------------------------- oEmbed


class OEmbedResponse(BaseModel):
    """An oEmbed 1.0 "rich" response."""

    version: Literal["1.0"] = "1.0"
    type: Literal["rich"] = "rich"
    html: str
    width: int
    height: int
    title: str
    provider_name: str = "Activation Lab"
    provider_url: str
    cache_age: int = Field(description="Seconds the response may be cached (its Cache-Control says the same).")


def embed_target(url: str, request: Request) -> tuple[str, dict[str, str]]:
    """The embed panel and query a URL of this site stands for; 404 for anything else."""
    try:
        parts = urlsplit(url)
        netloc = parts.netloc.lower()
    except ValueError:  # e.g. an unclosed IPv6 bracket
        raise ApiError(404, "url is not a valid URL of this Activation Lab", "url", code="not_ours") from None
    ours = urlsplit(public_url(request))
    if parts.scheme not in ("http", "https") or netloc != ours.netloc.lower():
        raise ApiError(404, "url is not a page of this Activation Lab", "url", code="not_ours")
    query = dict(parse_qsl(parts.query, keep_blank_values=False))
    path = parts.path.rstrip("/")
    if path.startswith("/embed/") and path[len("/embed/"):] in EMBEDDABLE:
        return path[len("/embed/"):], query
    if path == "":
        view = query.pop("view", "function")
        if view == "network":
            return ("sweep" if query.get("mode") == "sweep" else "loss"), query
        return ("phase" if view == "theory" else "function"), query
    raise ApiError(404, "url is not an explorer view or an embeddable plot of this site", "url", code="not_ours")


@router.get(
    "/oembed",
    summary="oEmbed for explorer views and embeddable plots",
    response_model=OEmbedResponse,
    response_class=JSONResponse,
    responses={
        **ERROR_RESPONSES,
        404: {"model": ErrorResponse, "description": "url is not a page of this site"},
        501: {"model": ErrorResponse, "description": "format other than json"},
    },
)
def oembed(
    request: Request,
    url: Annotated[str, Query(max_length=4096, description="An explorer or /embed/… URL of this site.")],
    maxwidth: Annotated[int | None, Query(ge=1, le=10_000)] = None,
    maxheight: Annotated[int | None, Query(ge=1, le=10_000)] = None,
    format: Annotated[str, Query(max_length=16)] = "json",
) -> Response:
    if format != "json":
        raise ApiError(501, f"format {format!r} is not implemented; use json", "format", code="not_implemented", choices=["json"])
    panel, query = embed_target(url, request)
    width = min(DEFAULT_SIZE[0], maxwidth) if maxwidth else DEFAULT_SIZE[0]
    height = min(DEFAULT_SIZE[1], maxheight) if maxheight else DEFAULT_SIZE[1]
    title = f"Activation Lab: {embed_title(query, panel)}"
    base = public_url(request, "")
    src = f"{base}/embed/{panel}" + (f"?{urlencode(query, safe='(),=:[]')}" if query else "")

    def build() -> dict[str, Any]:
        snippet = (
            f'<iframe src="{html.escape(src, quote=True)}" width="{width}" height="{height}" '
            f'title="{html.escape(title, quote=True)}" style="border:0;max-width:100%" loading="lazy"></iframe>'
        )
        return OEmbedResponse(html=snippet, width=width, height=height, title=title, provider_url=base + "/", cache_age=CACHE_AGE_S).model_dump()

    # cacheable for as long as it says (cache_age), like the curves
    return cached_json(request, f"oembed|{src}|{width}|{height}|{title}", build, f"public, max-age={CACHE_AGE_S}")
