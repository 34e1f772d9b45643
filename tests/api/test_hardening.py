"""Issue 16, round two: text that is not text, strict settings, absolute URLs from the public
origin, headers that say what is cacheable, an honest schema, bodies that never arrive,
and new curves computed off the event loop."""

from __future__ import annotations

import asyncio
import json
import re
import threading

import pytest
from fastapi.testclient import TestClient

from app.api import activations as curve_api
from app.api import responses
from app.main import create_app
from app.settings import Settings, SettingsError

PUBLIC = "https://lab.example.org"
HOSTILE_HOST = "evil.example"


@pytest.fixture(scope="module")
def public() -> TestClient:
    """The app behind a public origin, asked with someone else's Host header."""
    with TestClient(create_app(Settings(public_url=PUBLIC, log_level="warning")), headers={"Host": HOSTILE_HOST}) as c:
        yield c


# ----------------------------------------------------------------------------- text that is not text


SURROGATE_BODIES = [
    ("/api/train", '{"activations": [{"name": "relu", "params": {"\\ud800": 1}}], "epochs": 1}', "activations.0.params.\\ud800"),
    ("/api/curves", '{"curves": [{"name": "relu", "params": {"\\ud800": 1}}]}', "curves.0.params.\\ud800"),
    ("/api/sweep", '{"activations": [{"name": "relu", "params": {"\\udc00": 1}}], "sweep": {"param": "learning_rate", "values": [0.1]}, "epochs": 1}',
     "activations.0.params.\\udc00"),
    ("/api/init_stats", '{"activations": [{"name": "relu", "params": {"\\ud800": 1}}], "seeds": 1}', "activations.0.params.\\ud800"),
    ("/api/curves", '{"curves": [{"name": "elu", "params": {"alpha": "\\udfff"}}]}', "curves.0.params.alpha"),
    ("/api/train", '{"\\ud800": 1}', "\\ud800"),
    ("/api/sweep", '{"sweep": {"param": "\\ud800x", "values": [0.1]}, "epochs": 1}', "sweep.param"),
]


@pytest.mark.parametrize("path, body, field", SURROGATE_BODIES)
def test_lone_surrogates_are_a_422_naming_the_field(client, path, body, field) -> None:
    for headers in ({"Content-Type": "application/json"}, {}):  # without a Content-Type FastAPI reads JSON too
        r = client.post(path, content=body.encode(), headers=headers)
        assert r.status_code == 422, (path, r.status_code, r.text[:300])
        j = r.json()
        assert j["code"] == "invalid_text" and j["field"] == field, j


@pytest.mark.parametrize("path", ["/api/train", "/api/curves", "/api/sweep", "/api/init_stats"])
def test_a_duplicated_lone_surrogate_key_is_a_422(client, path) -> None:
    r = client.post(path, content=b'{"\\ud800": 1, "\\ud800": 2}', headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["code"] == "duplicate_key" and r.json()["field"] == "\\ud800"


def test_a_surrogate_pair_is_text(client) -> None:
    """An escaped pair (an emoji) is ordinary text: no invalid_text, the usual answer."""
    r = client.post("/api/curves", content=b'{"curves": [{"name": "relu", "params": {"\\ud83d\\ude00": 1}}]}', headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["code"] == "unknown_parameter"


def test_error_bodies_survive_text_that_utf8_cannot_carry() -> None:
    from app.api.errors import error_body

    body = error_body("a \ud800 b", "x.\udfff", code="invalid")
    assert json.loads(responses.dumps(body))["field"] == "x.\\udfff"


# ----------------------------------------------------------------------------- settings


@pytest.mark.parametrize(
    "var, value",
    [
        ("ACTLAB_PORT", "3_0"),
        ("ACTLAB_PORT", "٣٠٠٠"),  # Arabic-Indic digits
        ("ACTLAB_PORT", "８０００"),  # full-width digits
        ("ACTLAB_PORT", "80 00"),
        ("ACTLAB_PORT", "0x1f90"),
        ("ACTLAB_WORKERS", "2.5"),
        ("ACTLAB_TRAIN_TIMEOUT_S", "1_0"),
        ("ACTLAB_TRAIN_TIMEOUT_S", "१०"),  # Devanagari digits
        ("ACTLAB_TRAIN_TIMEOUT_S", "infinity"),
        ("ACTLAB_BODY_TIMEOUT_S", "0"),
        ("ACTLAB_MAX_CONNECTIONS", "1e9"),
        ("ACTLAB_PUBLIC_URL", "https://lab.example.org/path"),
        ("ACTLAB_PUBLIC_URL", "javascript:alert(1)"),
        ("ACTLAB_PUBLIC_URL", "https://user@lab.example.org"),
        ("ACTLAB_PUBLIC_URL", 'https://a"b.example'),
    ],
)
def test_settings_take_only_plain_ascii_numbers_and_origins(var, value) -> None:
    with pytest.raises(SettingsError) as e:
        Settings.from_env({var: value})
    assert str(e.value).startswith(var + " must be"), str(e.value)


def test_settings_numbers_in_the_apis_grammar() -> None:
    s = Settings.from_env({"ACTLAB_PORT": "8e3", "ACTLAB_TRAIN_TIMEOUT_S": "2.50", "ACTLAB_KEEP_ALIVE_S": " 7 ", "ACTLAB_PUBLIC_URL": "https://lab.example.org/"})
    assert (s.port, s.train_timeout_s, s.keep_alive_s, s.origin) == (8000, 2.5, 7, "https://lab.example.org")


def test_the_public_origin_defaults_to_the_bind_address() -> None:
    assert Settings().origin == "http://127.0.0.1:8000"
    assert Settings(host="0.0.0.0", port=9000).origin == "http://127.0.0.1:9000"
    assert Settings(host="::", port=80).origin == "http://[::1]:80"
    assert Settings(host="lab.internal").origin == "http://lab.internal:8000"


# ----------------------------------------------------------------------------- the public origin


def test_oembed_builds_urls_from_the_public_origin_not_the_host_header(public) -> None:
    r = public.get("/oembed", params={"url": f"{PUBLIC}/embed/loss?act=elu"})
    assert r.status_code == 200, r.text
    j = r.json()
    assert f'src="{PUBLIC}/embed/loss?act=elu"' in j["html"] and j["provider_url"] == PUBLIC + "/"
    assert HOSTILE_HOST not in r.text
    # a URL on the Host the request claims is not ours
    assert public.get("/oembed", params={"url": f"http://{HOSTILE_HOST}/embed/loss"}).status_code == 404


@pytest.mark.parametrize("path", ["/", "/?fn=elu", "/embed/loss?act=relu", "/embed/function?fn=elu(alpha=0.5)"])
def test_discovery_links_use_the_public_origin(public, path) -> None:
    r = public.get(path)
    links = re.findall(r'<link rel="alternate" type="application/json\+oembed" href="([^"]+)"', r.text)
    assert len(links) == 1, r.text[:500]
    href = links[0].replace("&amp;", "&")
    assert href.startswith(f"{PUBLIC}/oembed?url=") and HOSTILE_HOST not in r.text
    target = re.search(r"url=([^&]+)", href).group(1)
    from urllib.parse import unquote

    assert unquote(target) == PUBLIC + path
    # and that discovery URL works
    assert public.get(href.removeprefix(PUBLIC)).status_code == 200


@pytest.mark.parametrize("path, to", [("/static", "/static/"), ("/lessons/", "/lessons")])
def test_redirects_point_at_the_public_origin(public, path, to) -> None:
    r = public.get(path, follow_redirects=False)
    assert 300 <= r.status_code < 400 and r.headers["location"] == PUBLIC + to


def test_live_class_links_use_the_public_origin(public) -> None:
    r = public.post("/api/classes", json={"query": "fn=relu"})
    assert r.status_code == 201, r.text
    j = r.json()
    for key in ("join_url", "qr_url", "teacher_url"):
        assert j[key].startswith(PUBLIC + "/"), (key, j[key])
    assert HOSTILE_HOST not in r.text


# ----------------------------------------------------------------------------- what may be cached


@pytest.mark.parametrize("path", ["/", "/lessons", "/lessons/sparse-activation", "/embed/loss", "/embed/function?fn=elu", "/docs"])
def test_pages_carry_a_strong_etag_and_no_cache(client, path) -> None:
    r = client.get(path)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    etag = r.headers["etag"]
    assert re.fullmatch(r'"[^"]+"', etag) and "no-cache" in r.headers["cache-control"], r.headers
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.headers["etag"] == etag


def test_oembed_says_in_its_headers_what_cache_age_says(client) -> None:
    r = client.get("/oembed", params={"url": "http://testserver/embed/function?fn=elu"})
    assert r.status_code == 200
    assert r.headers["cache-control"] == f"public, max-age={r.json()['cache_age']}"
    assert client.get("/oembed", params={"url": "http://testserver/embed/function?fn=elu"}, headers={"If-None-Match": r.headers["etag"]}).status_code == 304


def test_a_cut_short_lesson_measurement_is_no_store_without_etag() -> None:
    url = "/api/lessons/prelu-learns/measure?epochs=600&width=24&depth=3&seed=7"  # its slowest corner: ~0.6 s
    with TestClient(create_app(Settings(train_timeout_s=0.1, log_level="warning"))) as hurried:
        r = hurried.get(url)
        assert r.status_code == 200 and r.json()["cut_short"] is True
        assert r.headers["cache-control"] == "no-store" and "etag" not in r.headers
    # not kept either: an app with time to finish computes it whole, and names it
    with TestClient(create_app(Settings(log_level="warning"))) as patient:
        r = patient.get(url)
        assert r.status_code == 200 and r.json()["cut_short"] is False and r.headers["etag"]


def test_training_results_are_no_store(client) -> None:
    for path, body in (("/api/train", {"epochs": 3}), ("/api/sweep", {"epochs": 3, "sweep": {"param": "learning_rate", "values": [0.1]}}), ("/api/init_stats", {"seeds": 2})):
        r = client.post(path, json=body)
        assert r.status_code == 200 and r.headers["cache-control"] == "no-store" and "etag" not in r.headers, path
    with client.stream("POST", "/api/train/stream", json={"epochs": 3}) as r:
        assert r.headers["cache-control"] == "no-store"


def test_a_cut_short_training_run_is_no_store() -> None:
    with TestClient(create_app(Settings(train_timeout_s=0.1, log_level="warning"))) as c:
        r = c.post("/api/train", json={"epochs": 2000, "n_points": 1000, "width": 16})
        assert r.status_code == 200 and r.json()["cut_short"] is True
        assert r.headers["cache-control"] == "no-store" and "etag" not in r.headers


# ----------------------------------------------------------------------------- an honest schema


@pytest.mark.parametrize("path", ["/api/train", "/api/train/stream", "/api/sweep", "/api/init_stats"])
def test_the_schema_documents_the_budget_with_a_real_example(client, path) -> None:
    spec = client.app.openapi()
    doc = spec["paths"][path]["post"]["responses"]["422"]
    assert "compute budget" in doc["description"] and "budget" in doc["description"]
    example = doc["content"]["application/json"]["examples"]["budget"]["value"]
    assert example["code"] == "budget" and example["limit"] > 0 and example["cost"] > example["limit"]
    # the example is what the API really answers to that request
    body = {"n_points": 2000, "depth": 12, "width": 64, "epochs": 5000, "boundary_frames": 0}
    r = client.post("/api/train", json=body)
    assert r.status_code == 422 and r.json() == example


# ----------------------------------------------------------------------------- a body that never arrives


def test_a_stalled_body_gets_408_in_process() -> None:
    app = create_app(Settings(body_timeout_s=0.5, log_level="warning"))
    sent: list[dict] = []

    async def run() -> None:
        first = True

        async def receive():
            nonlocal first
            if first:
                first = False
                return {"type": "http.request", "body": b'{"epo', "more_body": True}
            await asyncio.sleep(3600)  # the rest never comes

        async def send(message):
            sent.append(message)

        scope = {"type": "http", "method": "POST", "path": "/api/train", "raw_path": b"/api/train", "query_string": b"", "root_path": "",
                 "headers": [(b"content-type", b"application/json"), (b"content-length", b"100"), (b"host", b"testserver")],
                 "client": ("127.0.0.1", 1), "server": ("testserver", 80), "scheme": "http", "http_version": "1.1", "app": app}
        await asyncio.wait_for(app(scope, receive, send), timeout=5)

    asyncio.run(run())
    start = sent[0]
    assert start["status"] == 408 and (b"connection", b"close") in start["headers"]
    body = json.loads(sent[1]["body"])
    assert body["code"] == "timeout" and body["field"] == "body" and body["limit_s"] == 0.5


# ----------------------------------------------------------------------------- new curves off the loop


def test_new_curves_are_computed_and_compressed_in_the_curve_threads(client, monkeypatch) -> None:
    seen: dict[str, str] = {}
    compute, compress = curve_api.curve_json, responses.gzip.compress

    def spy_compute(*a, **k):
        seen["compute"] = threading.current_thread().name
        return compute(*a, **k)

    def spy_compress(*a, **k):
        seen["compress"] = threading.current_thread().name
        return compress(*a, **k)

    monkeypatch.setattr(curve_api, "curve_json", spy_compute)
    monkeypatch.setattr(responses.gzip, "compress", spy_compress)
    r = client.get("/api/curve", params={"name": "noisy_relu", "n": 4001, "samples": 2000, "seed": 12345}, headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200 and r.headers["content-encoding"] == "gzip"
    assert seen["compute"].startswith("actlab-curve") and seen["compress"].startswith("actlab-curve"), seen
    seen.clear()
    r = client.post("/api/curves", json={"curves": [{"name": "relu"}, {"name": "noisy_relu"}], "n": 3001, "samples": 1000}, headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200 and seen["compute"].startswith("actlab-curve") and seen["compress"].startswith("actlab-curve"), seen


def test_training_bodies_are_compressed_in_the_pool(client, monkeypatch) -> None:
    seen: list[str] = []
    compress = responses.gzip.compress
    monkeypatch.setattr(responses.gzip, "compress", lambda *a, **k: seen.append(threading.current_thread().name) or compress(*a, **k))
    r = client.post("/api/train", json={"epochs": 5}, headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200 and r.headers["content-encoding"] == "gzip"
    assert seen and all(n.startswith("actlab-train") for n in seen), seen


def test_a_full_curve_queue_is_503_busy(monkeypatch) -> None:
    """Beyond the curve threads and their queue a new curve is turned away at once; curves
    already computed are still served from memory."""
    with TestClient(create_app(Settings(log_level="warning"))) as c:
        seen = {"name": "relu", "n": 401}
        assert c.get("/api/curve", params=seen).status_code == 200
        pool = c.app.state.curve_pool
        monkeypatch.setattr(pool, "in_flight", pool.capacity)
        r = c.get("/api/curve", params={"name": "elu", "alpha": "0.123457", "n": 77})
        assert r.status_code == 503 and r.json()["code"] == "busy" and int(r.headers["retry-after"]) >= 1
        assert c.get("/api/curve", params=seen).status_code == 200
