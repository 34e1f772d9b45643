"""What a page asks for while it is parsed (issue 17): plotly.js async, the first modules as
modulepreloads (their static imports, read from the files; dynamic imports left for later),
the vocabulary and the catalogue as fetch preloads; an embed names the module of its kind."""

from __future__ import annotations

import re

import pytest

from app.api.pages import STATIC, modules


def test_static_imports_are_followed_and_dynamic_ones_are_not() -> None:
    first = modules("js/explorer.js", "js/live/classroom.js")
    assert first[:2] == ("js/explorer.js", "js/live/classroom.js")
    assert {"js/views/function-view.js", "js/lib/api.js", "js/lib/spec.js", "js/lib/plotly.js", "js/live/client.js"} <= set(first)
    # loaded when their tab opens, or when a class starts
    assert not {"js/views/network-view.js", "js/views/theory-view.js", "js/lib/theory.js", "js/live/teacher.js", "js/live/student.js"} & set(first)
    # an import written over several lines (lib/panels.js) is followed too
    assert "js/lib/figures.js" in modules("js/lib/panels.js")
    for path in first:
        assert (STATIC / path).is_file(), path
    # an embed loads its kind's module and what that imports: no view
    training = modules("js/embed.js", "js/embed/training.js")
    assert "js/lib/runs.js" in training and not any(m.startswith("js/views/") for m in training), training
    assert not any(m.startswith("js/views/") for m in modules("js/embed.js", "js/embed/function.js"))


def _head(html: str) -> str:
    return html[: html.index("</head>")]


def test_the_explorer_asks_for_its_first_requests_in_the_head(client) -> None:
    head = _head(client.get("/").text)
    version = client.app.state.asset_version
    preloaded = re.findall(r'<link rel="modulepreload" href="/static/[^/]+/([^"]+)">', head)
    assert preloaded == list(modules("js/explorer.js", "js/live/classroom.js"))
    assert f'href="/static/{version}/js/explorer.js"' in head
    for api in ("/api/meta", "/api/activations"):  # as fetch() asks: cors, same-origin credentials
        assert f'<link rel="preload" href="{api}" as="fetch" crossorigin>' in head
    assert re.search(r'<script src="/vendor/plotly-[^"]+\.min\.js" async id="plotly-js"></script>', head)
    assert " defer" not in head  # nothing the modules would have to wait for


@pytest.mark.parametrize(("panel", "module"), [("function", "function"), ("kernel", "theory"), ("loss", "training"), ("sweep", "training")])
def test_an_embed_names_its_kinds_module(client, panel, module) -> None:
    html = client.get(f"/embed/{panel}").text
    version = client.app.state.asset_version
    assert f'data-module="/static/{version}/js/embed/{module}.js"' in html
    preloaded = re.findall(r'<link rel="modulepreload" href="/static/[^/]+/([^"]+)">', _head(html))
    assert preloaded == list(modules("js/embed.js", f"js/embed/{module}.js"))
