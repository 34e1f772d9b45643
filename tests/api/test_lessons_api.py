"""The lessons API and pages: routes, the measurement contract, validation 422s naming the
field, caching, and pages that keep to the CSP (no inline script or handler)."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

import pytest
from fastapi.testclient import TestClient

from app.api.lessons import explorer_url
from app.core import lessons as L


def test_index_lists_every_lesson(client: TestClient) -> None:
    r = client.get("/api/lessons")
    assert r.status_code == 200 and r.headers["etag"]
    j = r.json()
    assert [x["slug"] for x in j["lessons"]] == list(L.SLUGS)
    first = j["lessons"][0]
    assert first["claim"] == L.LESSONS[0].claim and first["threshold"] == L.LESSONS[0].threshold
    assert first["url"] == "/lessons/sparse-activation" and first["measure_url"] == "/api/lessons/sparse-activation/measure"
    assert j["presentation"] == "/lessons/sparse-activation?present=1&step=1"
    assert client.get("/api/lessons", headers={"If-None-Match": r.headers["etag"]}).status_code == 304


def test_lesson_detail(client: TestClient) -> None:
    j = client.get("/api/lessons/dying-relu").json()
    assert j["number"] == 3 and j["previous"] == "vanishing-gradients" and j["next"] == "scale-invariance"
    assert j["steps"] == 3 + len(j["plots"]) and j["trains"] is True
    leak = next(c for c in j["controls"] if c["id"] == "leak")
    # an activation's parameter: the catalogue's range and default
    assert (leak["min"], leak["max"], leak["default"]) == (0.0, 1.0, 0.01)
    opt = next(c for c in j["controls"] if c["id"] == "optimizer")
    assert opt["choices"] == ["adam", "sgd"] and opt["labels"] == ["Adam", "SGD"]
    assert client.get("/api/lessons/sparse-activation").json()["previous"] is None


@pytest.mark.parametrize("path", ["/api/lessons/nope", "/api/lessons/nope/measure"])
def test_unknown_lesson_is_404_listing_the_known_ones(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 404
    j = r.json()
    assert j["field"] == "slug" and "sparse-activation" in j["detail"]


def test_measure_contract_and_the_same_verdict_as_the_core(client: TestClient) -> None:
    r = client.get("/api/lessons/scale-invariance/measure?a=3")
    assert r.status_code == 200
    j = r.json()
    assert j["slug"] == "scale-invariance" and j["params"] == {"a": 3.0, "compare": "elu", "own": ""}
    core = L.run_measure(L.get("scale-invariance"), {"a": 3})
    assert j["verdict"] == {"supports": core.verdict.supports, "text": core.verdict.text}
    assert [ro["id"] for ro in j["readouts"]] == [ro.id for ro in core.readouts]
    head = j["readouts"][0]
    assert head["id"] == "relu_error" and head["value"] == 0.0 and head["supports"] is True
    assert set(head) == {"id", "label", "value", "text", "target", "supports"}
    assert j["explorer"] == "/?fn=relu,elu&xmin=-5&xmax=5"
    assert j["claim"] == L.get("scale-invariance").claim and j["cut_short"] is False
    assert len(j["data"]["x"]) == 1001


def test_deterministic_measurements_are_cached_with_an_etag(client: TestClient) -> None:
    url = "/api/lessons/prelu-learns/measure?epochs=40"
    a = client.get(url)
    b = client.get(url)
    assert a.status_code == b.status_code == 200
    assert a.headers["etag"] == b.headers["etag"] and a.content == b.content
    assert client.get(url, headers={"If-None-Match": a.headers["etag"]}).status_code == 304
    # the normalised settings decide the cache key: an explicit default is the same request
    assert client.get(url + "&seed=0").headers["etag"] == a.headers["etag"]
    assert client.get("/api/lessons/prelu-learns/measure?epochs=50").headers["etag"] != a.headers["etag"]


def test_timing_lesson_is_not_cached(client: TestClient) -> None:
    r = client.get("/api/lessons/efficient-computation/measure")
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store" and "etag" not in r.headers


@pytest.mark.parametrize(
    "path, field, says",
    [
        ("/api/lessons/sparse-activation/measure?depth=13", "depth", "12"),
        ("/api/lessons/sparse-activation/measure?depth=0", "depth", "1"),
        ("/api/lessons/sparse-activation/measure?width=abc", "width", ""),
        ("/api/lessons/sparse-activation/measure?init=zeros", "init", "glorot"),
        ("/api/lessons/sparse-activation/measure?colour=red", "colour", "depth"),
        ("/api/lessons/sparse-activation/measure?depth=3&depth=4", "depth", "more than once"),
        ("/api/lessons/scale-invariance/measure?a=nan", "a", ""),
        ("/api/lessons/scale-invariance/measure?a=-1", "a", "0"),
        ("/api/lessons/scale-invariance/measure?compare=relu6", "compare", "elu"),
        ("/api/lessons/vanishing-gradients/measure?learning_rate=2", "learning_rate", "1"),
        ("/api/lessons/dying-relu/measure?leak=1.5", "leak", "1"),
        ("/api/lessons/dying-relu/measure?width=32", "width", "24"),
        ("/api/lessons/noisy-relu/measure?draws=50", "draws", "100"),
        ("/api/lessons/kink-at-zero/measure?dtype=float16", "dtype", "float32"),
        ("/api/lessons/unbounded/measure?L=5", "L", "none"),
    ],
)
def test_bad_controls_are_422s_naming_the_field(client: TestClient, path: str, field: str, says: str) -> None:
    r = client.get(path)
    assert r.status_code == 422, r.text
    j = r.json()
    assert j["field"] == field, j
    assert says in j["detail"], j["detail"]


def test_every_lesson_documents_its_controls_in_openapi(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for lesson in L.LESSONS:
        op = paths[f"/api/lessons/{lesson.slug}/measure"]["get"]
        params = {p["name"]: p for p in op.get("parameters", [])}
        assert set(params) == {c.id for c in lesson.controls}
        for c in lesson.controls:
            schema = params[c.id]["schema"]
            if c.kind == "choice":
                assert schema["enum"] == list(c.choices)
            elif c.kind == "formula":
                assert schema["type"] == "string"
            else:
                assert schema["minimum"] == c.min and schema["maximum"] == c.max
        assert ("503" in op["responses"]) == lesson.trains


def test_explorer_url_keeps_the_list_syntax_readable() -> None:
    assert explorer_url({"fn": "elu(alpha=0.5),relu", "xmin": "-1"}) == "/?fn=elu(alpha=0.5),relu&xmin=-1"
    assert explorer_url({"act": "a b&c"}) == "/?act=a%20b%26c"
    assert explorer_url({}) == "/"


# ----------------------------------------------------------------------------- pages

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)


def _csp_clean(html: str) -> None:
    assert not INLINE_SCRIPT.search(html), INLINE_SCRIPT.search(html).group(0)
    assert not INLINE_HANDLER.search(html)


def test_index_page(client: TestClient) -> None:
    r = client.get("/lessons")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in r.headers["content-security-policy"]
    html = r.text
    _csp_clean(html)
    for lesson in L.LESSONS:
        assert f'href="/lessons/{lesson.slug}"' in html
    assert re.search(r'href="/static/[0-9a-f]+/css/lessons\.css"', html)
    assert re.search(r'src="/static/[0-9a-f]+/js/lessons\.js"', html)


@pytest.mark.parametrize("slug", L.SLUGS)
def test_lesson_pages(client: TestClient, slug: str) -> None:
    lesson = L.get(slug)
    r = client.get(f"/lessons/{slug}")
    assert r.status_code == 200
    html = r.text
    _csp_clean(html)
    assert f'data-slug="{slug}"' in html and f'data-steps="{3 + len(lesson.plots)}"' in html
    assert "present" not in re.search(r"<body[^>]*>", html).group(0)
    for p in lesson.plots:
        assert f'data-plot="{p.id}"' in html
    assert lesson.explanation[0].replace("'", "&#39;")[:30] in html


def test_presentation_page_and_theme(client: TestClient) -> None:
    html = client.get("/lessons/noisy-relu?present=1&step=2&theme=contrast").text
    assert re.search(r'<body class="[^"]*\bpresent\b', html)
    assert 'data-theme="contrast"' in html
    assert 'data-theme="light"' in client.get("/lessons/noisy-relu?theme=<script>").text


def test_unknown_lesson_page_is_404_with_the_index(client: TestClient) -> None:
    r = client.get("/lessons/no-such-lesson")
    assert r.status_code == 404 and "no lesson called" in r.text and 'href="/lessons/sparse-activation"' in r.text
    assert "<script>" not in client.get("/lessons/%3Cscript%3E").text


# ----------------------------------------------------------------------------- the explorer link's own run

RECORDING = {"frames": 100, "boundary_frames": 12, "boundary_grid": 40}  # the explorer's (static/js/views/network-view.js)


def _explorer_request(url: str) -> tuple[str, dict]:
    """The request the explorer's network view makes for a lesson's link (its requestBody)."""
    q = dict(parse_qsl(url.split("?", 1)[1]))
    acts = []
    for name, params in re.findall(r"([a-z0-9_]+)(?:\(([^)]*)\))?", q["act"]):
        acts.append({"name": name, "params": {k: float(v) for k, v in (kv.split("=") for kv in params.split(",") if kv)}})
    body: dict = {"activations": acts, **RECORDING}
    ints = {"depth", "width", "epochs", "seed", "n_points", "batch_size"}
    for k in ("dataset", "depth", "width", "init", "bias_init", "optimizer", "learning_rate", "epochs", "seed"):
        if k in q:
            body[k] = int(q[k]) if k in ints else q[k] if k in ("dataset", "init", "optimizer") else float(q[k])
    if q["mode"] == "sweep":
        body["sweep"] = {"param": q["sweep"], "values": [float(v) for v in q["values"].split(",")]}
        body["boundary_frames"] = 0
        return "/api/sweep", body
    return "/api/train", body


def test_measure_says_what_the_explorer_shows(client: TestClient) -> None:
    j = client.get("/api/lessons/vanishing-gradients/measure").json()
    lesson = L.get("vanishing-gradients")
    core = L.run_measure(lesson)
    assert j["explorer_note"] == L.explorer_note(lesson, lesson.defaults(), core)
    assert "seed 0" in j["explorer_note"]


def test_vanishing_explorer_run_shows_the_numbers_the_lesson_quotes(client: TestClient) -> None:
    """The explorer's run for the link: its gradient note (‖∂L/∂(layer input)‖ at init) and its
    accuracies are the numbers the lesson quotes for seed 0."""
    j = client.get("/api/lessons/vanishing-gradients/measure").json()
    path, body = _explorer_request(j["explorer"])
    run = client.post(path, json=body).json()
    note = []
    for v in run["variants"]:
        first = v["layers"]["grad_norm_input"][0]
        note.append(L.fmt(first[0] / first[-1], 2))
    ro = {r["id"]: r for r in j["readouts"]}
    assert ro["input_ratios"]["text"] == " / ".join(note)
    # the link opens on the lesson's own quantity (grad=weights): seed 0's ‖∂L/∂W‖ ratios
    assert "grad=weights" in j["explorer"]
    for v, mine in zip(run["variants"], j["data"]["init"]):
        first = v["layers"]["grad_norm_weights"][0]
        assert first[0] / first[-1] == pytest.approx(mine["first_seed_ratio"], rel=1e-9)
    assert ro["accuracy"]["text"] == " / ".join(L.pct(v["accuracy"]["test"][-1], 0) for v in run["variants"])


def test_dying_explorer_sweep_is_the_lessons_networks_with_one_seed(client: TestClient) -> None:
    j = client.get("/api/lessons/dying-relu/measure?seeds=1").json()
    assert "same networks" in j["explorer_note"]
    path, body = _explorer_request(j["explorer"])
    sweep = client.post(path, json=body).json()
    for s, mine in zip(sweep["series"], j["data"]["series"]):
        assert s["dead_fraction"] == mine["dead_fraction"]
        assert s["final_test_accuracy"] == mine["accuracy_test"]
    assert "averages 2 seeds" in client.get("/api/lessons/dying-relu/measure").json()["explorer_note"]


def test_prelu_explorer_run_ends_at_the_lessons_slopes(client: TestClient) -> None:
    j = client.get("/api/lessons/prelu-learns/measure?epochs=60").json()
    path, body = _explorer_request(j["explorer"])
    run = client.post(path, json=body).json()
    mine = {v["activation"]["params"]["a"]: v["final"] for v in j["data"]["variants"]}
    for v in run["variants"]:
        assert v["layers"]["prelu_slope"][-1] == mine[v["activation"]["params"].get("a", 0.25)]


def test_a_slider_at_its_end_is_measured(client: TestClient) -> None:
    """/lessons/he-initialisation?depth=50 (the slider's end, the depth its text discusses) was
    refused 'Could not measure (width)'; it now measures with as many weight draws as fit."""
    r = client.get("/api/lessons/he-initialisation/measure?depth=50")
    assert r.status_code == 200, r.text
    j = r.json()
    assert len(j["data"]["seeds"]) < 16 and f"median over {len(j['data']['seeds'])} random" in j["readouts"][0]["label"]
