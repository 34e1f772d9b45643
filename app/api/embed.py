"""Embeddable plots (/embed/<panel>?<explorer query>) and their oEmbed endpoint.

An embed page takes the explorer's own query string, so any explorer view can become an
iframe. Training embeds run on load only when the run is cheap; otherwise they show a
"Run" button (the API's caps apply either way).
"""

from __future__ import annotations

import html
import re
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ValidationError

from app.core.training import cost

from . import training
from .errors import ERROR_RESPONSES, ApiError, ErrorResponse
from .pages import render
from .responses import JSON

router = APIRouter(tags=["embed"])

# Plots that can be embedded: panel name → (kind, default title).
PANELS: dict[str, tuple[str, str]] = {
    "function": ("function", "Activation function and its derivative"),
    "loss": ("train", "Loss and test accuracy"),
    "boundary": ("train", "Decision boundary"),
    "gradient-flow": ("train", "Gradient flow (layer × epoch)"),
    "gradient-norms": ("train", "Gradient norm per layer"),
    "sparsity": ("train", "Sparsity: fraction of active units"),
    "dead": ("train", "Dead units"),
    "prelu": ("train", "Learned PReLU slopes"),
    "histogram": ("train", "Pre-activations at init and at the end"),
    "sweep": ("sweep", "Sweep"),
    "sweep-curves": ("sweep", "Training loss for every swept value"),
}
EMBED_ONLY_KEYS = {"controls", "title", "modebar"}
DEFAULT_SIZE = (720, 480)
MIN_SIZE = (200, 150)
# Training embeds run on load up to this share of the API's compute budget (≈ 1 s here).
AUTORUN_COST = 1.5e9

_SPEC = re.compile(r"^([a-z0-9_]+)(?:\((.*)\))?$", re.I)


def parse_specs(text: str) -> list[dict[str, Any]]:
    """The explorer's list syntax, ``elu(alpha=0.5),relu``, as [{name, params}]."""
    pieces, depth, start = [], 0, 0
    for i, ch in enumerate(text + ","):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        elif ch == "," and depth == 0:
            pieces.append(text[start:i].strip())
            start = i + 1
    specs = []
    for piece in pieces:
        m = _SPEC.match(piece)
        if not m:
            continue
        params: dict[str, Any] = {}
        for pair in re.split(r"[;,]", m.group(2) or ""):
            key, _, value = pair.partition("=")
            if key.strip() and value.strip():
                v = value.strip()
                try:
                    params[key.strip()] = float(v)
                except ValueError:
                    params[key.strip()] = v
        specs.append({"name": m.group(1), "params": params})
    return specs


def training_request(query: dict[str, str], kind: str) -> BaseModel:
    """The /api/train or /api/sweep body an embed's query describes (validated)."""
    fields = set(training.TrainRequest.model_fields) - {"activations", "include_weights", "dtype"}
    body: dict[str, Any] = {k: v for k, v in query.items() if k in fields}
    body["activations"] = parse_specs(query.get("act", "relu")) or [{"name": "relu", "params": {}}]
    if kind == "sweep":
        values = [v for v in query.get("values", "0.001,0.01,0.1,0.3,1,3").split(",") if v.strip()]
        body["sweep"] = {"param": query.get("sweep", "learning_rate"), "values": values}
        body["boundary_frames"] = 0
        return training.SweepRequest.model_validate(body, strict=False)
    return training.TrainRequest.model_validate(body, strict=False)


def run_cost(query: dict[str, str], kind: str) -> float | None:
    """The compute the embed's run needs (None when the query is not a valid run)."""
    try:
        body = training_request(query, kind)
        resolved = training.resolve_activations(body)
        if kind == "sweep":
            variants = training.sweep_variants(body, resolved)  # type: ignore[arg-type]
        else:
            variants = [training.Variant(name, params) for name, params in resolved]
        return cost(training.make_config(body, variants))
    except (ValidationError, ApiError, ValueError, KeyError, TypeError):
        return None


def explorer_query(query: dict[str, str], panel: str) -> str:
    keep = {k: v for k, v in query.items() if k not in EMBED_ONLY_KEYS}
    keep["view"] = "function" if PANELS[panel][0] == "function" else "network"
    if PANELS[panel][0] == "sweep":
        keep["mode"] = "sweep"
    return urlencode(keep, safe="(),=:")


def embed_title(query: dict[str, str], panel: str) -> str:
    return (query.get("title") or "").strip()[:120] or PANELS[panel][1]


@router.get("/embed/{panel}", response_class=HTMLResponse, include_in_schema=False)
def embed_page(panel: str, request: Request) -> Response:
    if panel not in PANELS:
        raise ApiError(404, f"no embeddable plot {panel!r}; available: {', '.join(PANELS)}", "panel")
    query = dict(request.query_params)
    kind = PANELS[panel][0]
    c = run_cost(query, kind) if kind != "function" else 0.0
    return render(
        request,
        "embed.html",
        panel=panel,
        kind=kind,
        title=embed_title(query, panel),
        show_title=bool(query.get("title")),
        controls=query.get("controls") == "1",
        modebar=query.get("modebar", "1") != "0",
        theme=query.get("theme") if query.get("theme") in ("light", "dark", "contrast") else "light",
        autorun=c is not None and c <= AUTORUN_COST,
        explorer_url="/?" + explorer_query(query, panel),
        oembed_target=str(request.url),
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
    cache_age: int = 3600


def embed_target(url: str, request: Request) -> tuple[str, dict[str, str]]:
    """The embed panel and query a URL of this site stands for; 404 for anything else."""
    try:
        parts = urlsplit(url)
        netloc = parts.netloc.lower()
    except ValueError:  # e.g. an unclosed IPv6 bracket
        raise ApiError(404, "url is not a valid URL of this Activation Lab", "url") from None
    ours = urlsplit(str(request.base_url))
    if parts.scheme not in ("http", "https") or netloc != ours.netloc.lower():
        raise ApiError(404, "url is not a page of this Activation Lab", "url")
    query = dict(parse_qsl(parts.query, keep_blank_values=False))
    path = parts.path.rstrip("/")
    if path.startswith("/embed/") and path[len("/embed/"):] in PANELS:
        return path[len("/embed/"):], query
    if path == "":
        if query.pop("view", "function") == "network":
            return ("sweep" if query.get("mode") == "sweep" else "loss"), query
        return "function", query
    raise ApiError(404, "url is not an explorer view or an embeddable plot of this site", "url")


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
        raise ApiError(501, f"format {format!r} is not implemented; use json", "format")
    panel, query = embed_target(url, request)
    width = min(DEFAULT_SIZE[0], maxwidth) if maxwidth else DEFAULT_SIZE[0]
    height = min(DEFAULT_SIZE[1], maxheight) if maxheight else DEFAULT_SIZE[1]
    title = f"Activation Lab: {embed_title(query, panel)}"
    base = str(request.base_url).rstrip("/")
    src = f"{base}/embed/{panel}" + (f"?{urlencode(query, safe='(),=:')}" if query else "")
    snippet = (
        f'<iframe src="{html.escape(src, quote=True)}" width="{width}" height="{height}" '
        f'title="{html.escape(title, quote=True)}" style="border:0;max-width:100%" loading="lazy"></iframe>'
    )
    body = OEmbedResponse(html=snippet, width=width, height=height, title=title, provider_url=base + "/")
    return JSON(body.model_dump())
