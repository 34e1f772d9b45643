"""Static files and the vendored plotly.js: gzip and brotli computed once, chosen by
Accept-Encoding (q-values respected), a strong ETag per encoding, 304 per encoding."""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import re
import threading
from pathlib import Path

import brotli
import pytest

from app.api import compressed
from app.api.assets import PLOTLY_JS, plotly_url
from app.api.compressed import Asset, AssetStore, choose_encoding, parse_accept_encoding

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "static"


def _vendor_script():
    spec = importlib.util.spec_from_file_location("vendor_plotly", ROOT / "deploy" / "vendor_plotly.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _raw_get(client, url: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and the body exactly as sent (not decoded by the client)."""
    with client.stream("GET", url, headers=headers) as r:
        return r.status_code, {k.lower(): v for k, v in r.headers.items()}, b"".join(r.iter_raw())


def _decode(body: bytes, encoding: str | None) -> bytes:
    if encoding == "br":
        return brotli.decompress(body)
    if encoding == "gzip":
        return gzip.decompress(body)
    assert encoding is None, encoding
    return body


def _static_urls(client) -> list[tuple[str, Path]]:
    version = client.app.state.asset_version
    files = sorted(p for p in STATIC.rglob("*") if p.is_file() and p.suffix in (".js", ".css", ".svg"))
    return [(f"/static/{version}/{p.relative_to(STATIC).as_posix()}", p) for p in files]


ENCODINGS = {"identity": None, "gzip": "gzip", "br": "br"}


def test_every_static_file_decodes_to_the_same_bytes_in_every_encoding(client) -> None:
    urls = _static_urls(client) + [(plotly_url(), PLOTLY_JS)]
    assert any(u.endswith(".css") for u, _ in urls) and any(u.endswith(".svg") for u, _ in urls)
    for url, path in urls:
        original = path.read_bytes()
        etags = {}
        for accept, expected in ENCODINGS.items():
            status, headers, body = _raw_get(client, url, {"Accept-Encoding": accept})
            assert status == 200, url
            got = headers.get("content-encoding")
            # a tiny file whose compressed form is no smaller is sent as it is
            assert got in (expected, None), (url, accept, got)
            if len(original) > 1024:
                assert got == expected, (url, accept)
                assert expected is None or len(body) < len(original), (url, accept)
            assert _decode(body, got) == original, (url, accept)
            assert "Accept-Encoding" in headers["vary"], url
            assert re.fullmatch(r'"[0-9a-f]{32}(-gz|-br)?"', headers["etag"]), headers["etag"]
            assert int(headers["content-length"]) == len(body)
            etags[got] = headers["etag"]
        assert len(set(etags.values())) == len(etags), (url, etags)  # one strong ETag per byte sequence
        assert etags[None] == '"' + hashlib.sha256(original).hexdigest()[:32] + '"'


def test_etags_carry_the_encoding_suffix(client) -> None:
    url = plotly_url()
    tags = {a: _raw_get(client, url, {"Accept-Encoding": a})[1]["etag"] for a in ENCODINGS}
    assert tags["gzip"] == tags["identity"][:-1] + '-gz"'
    assert tags["br"] == tags["identity"][:-1] + '-br"'


@pytest.mark.parametrize(
    "accept, expected",
    [
        ("gzip, deflate, br, zstd", "br"),  # Chromium
        ("br;q=0, gzip", "gzip"),
        ("gzip;q=0, br;q=0", None),
        ("gzip;q=0", None),
        ("br;q=0.0, gzip;q=0.000", None),
        ("*;q=0", None),
        ("*;q=0, identity", None),
        ("*", "br"),
        ("*, br;q=0", "gzip"),
        ("br;q=0.5, gzip;q=0.8", "gzip"),
        ("GZIP, BR", "br"),
        ("x-gzip", "gzip"),
        ("identity;q=1, br;q=0.5", None),
        ("deflate", None),
        ("", None),
        ("br;q=bogus, gzip", "gzip"),
    ],
)
def test_accept_encoding_q_values_are_respected(client, accept: str, expected: str | None) -> None:
    url = f"/static/{client.app.state.asset_version}/js/lib/figures.js"
    status, headers, body = _raw_get(client, url, {"Accept-Encoding": accept})
    assert status == 200
    assert headers.get("content-encoding") == expected, accept
    assert _decode(body, expected) == (STATIC / "js/lib/figures.js").read_bytes()


def test_no_accept_encoding_header_means_identity(client) -> None:
    status, headers, body = _raw_get(client, plotly_url(), {"Accept-Encoding": ""})
    assert status == 200 and "content-encoding" not in headers and body == PLOTLY_JS.read_bytes()


def test_gzip_q0_is_respected_by_dynamic_responses_too(client) -> None:
    # /openapi.json goes through the GZip middleware, /api/curve through the cached-body path
    for url in ("/openapi.json", "/api/curve?name=gelu&n=401"):
        status, headers, body = _raw_get(client, url, {"Accept-Encoding": "gzip;q=0, identity"})
        assert status == 200 and "content-encoding" not in headers, url
        status, headers, body = _raw_get(client, url, {"Accept-Encoding": "gzip"})
        assert headers.get("content-encoding") == "gzip", url


@pytest.mark.parametrize("accept", ["identity", "gzip", "br"])
def test_304_on_if_none_match_per_encoding(client, accept: str) -> None:
    for url in (plotly_url(), f"/static/{client.app.state.asset_version}/css/app.css"):
        _, first, _ = _raw_get(client, url, {"Accept-Encoding": accept})
        etag = first["etag"]
        status, headers, body = _raw_get(client, url, {"Accept-Encoding": accept, "If-None-Match": etag})
        assert status == 304 and body == b"", (url, accept)
        assert headers["etag"] == etag and "Accept-Encoding" in headers["vary"]
        assert headers["cache-control"] == first["cache-control"]
        # a list naming it matches; W/ is compared weakly; a stale tag gets the body
        assert _raw_get(client, url, {"Accept-Encoding": accept, "If-None-Match": f'"stale", W/{etag}'})[0] == 304
        assert _raw_get(client, url, {"Accept-Encoding": accept, "If-None-Match": '"stale"'})[0] == 200


def test_a_tag_of_another_encoding_gets_the_body_of_this_one(client) -> None:
    url = plotly_url()
    gz_tag = _raw_get(client, url, {"Accept-Encoding": "gzip"})[1]["etag"]
    status, headers, body = _raw_get(client, url, {"Accept-Encoding": "br", "If-None-Match": gz_tag})
    assert status == 200 and headers["content-encoding"] == "br" and headers["etag"] != gz_tag
    assert brotli.decompress(body) == PLOTLY_JS.read_bytes()


def test_head_has_the_headers_and_no_body(client) -> None:
    r = client.head(plotly_url(), headers={"Accept-Encoding": "br"})
    get = client.get(plotly_url(), headers={"Accept-Encoding": "br"})
    assert r.status_code == 200 and r.content == b""
    assert r.headers["etag"] == get.headers["etag"] and r.headers["content-encoding"] == "br"


def test_unversioned_static_urls_revalidate(client) -> None:
    status, headers, _ = _raw_get(client, "/static/css/app.css", {"Accept-Encoding": "br"})
    assert status == 200 and headers["cache-control"] == "no-cache" and headers["content-encoding"] == "br"
    assert _raw_get(client, "/static/css/app.css", {"Accept-Encoding": "br", "If-None-Match": headers["etag"]})[0] == 304
    for missing in ("/static/nope.js", f"/static/{client.app.state.asset_version}/css/nope.css", "/static/../pyproject.toml", "/static/css"):
        assert client.get(missing).status_code == 404, missing


# ----------------------------------------------------------------------------- the plotly bundle


def test_the_served_plotly_is_the_pinned_partial_bundle(client) -> None:
    pins = _vendor_script()
    dest, sha256 = pins.FILES["plotly.min.js"]
    assert ROOT / dest == PLOTLY_JS and pins.VERSION in plotly_url()
    status, headers, body = _raw_get(client, plotly_url(), {"Accept-Encoding": "identity"})
    assert status == 200 and headers["cache-control"] == "public, max-age=31536000, immutable"
    assert headers["content-type"].startswith("text/javascript")
    assert hashlib.sha256(body).hexdigest() == sha256
    # 1,176,138 bytes (the official cartesian bundle: 1,500,041; the full one: 4.8 MB)
    assert len(body) < 1.2e6
    assert body.startswith(b"/**\n* plotly.js (scatter, bar, heatmap - minified) v" + pins.VERSION.encode())
    # what the browser gets: brotli, under a third of the raw size
    _, headers, packed = _raw_get(client, plotly_url(), {"Accept-Encoding": "gzip, deflate, br, zstd"})
    assert headers["content-encoding"] == "br" and len(packed) < 350_000


def test_pages_load_the_partial_bundle_and_the_full_one_is_gone(client) -> None:
    for page in ("/", "/lessons", "/embed/function"):
        html = client.get(page).text
        scripts = re.findall(r'<script[^>]+src="([^"]+plotly[^"]*)"', html)
        assert scripts == [plotly_url()], (page, scripts)
    assert "plotly" not in client.get("/docs").text.lower()
    for old in ("/vendor/plotly-4.1.1.min.js", "/vendor/plotly-cartesian-4.1.1.min.js", "/vendor/plotly-actlab-9.9.9.min.js"):
        r = client.get(old)
        assert r.status_code == 404 and plotly_url() in r.json()["detail"]


# every trace type of plotly.js 4.1.1's full bundle
ALL_TRACE_TYPES = set(
    ["bar", "barpolar", "box", "candlestick", "carpet", "choropleth", "choroplethmap", "cone", "contour", "contourcarpet", "densitymap", "funnel", "funnelarea", "heatmap", "histogram", "histogram2d", "histogram2dcontour", "icicle", "image", "indicator", "isosurface", "mesh3d", "ohlc", "parcats", "parcoords", "pie", "quiver", "sankey", "scatter", "scatter3d", "scattercarpet", "scattergeo", "scattergl", "scattermap", "scatterpolar", "scatterpolargl", "scattersmith", "scatterternary", "splom", "streamtube", "sunburst", "surface", "table", "treemap", "violin", "volume", "waterfall"]
)


def test_every_trace_type_the_js_names_is_in_the_partial_bundle() -> None:
    """A trace type missing from the bundle would silently draw nothing: the JS may only use
    types the vendored bundle registers (scatter, heatmap and bar: no more)."""
    registered = set(re.findall(r'moduleType:"trace",name:"([a-z0-9]+)"', PLOTLY_JS.read_text(encoding="utf-8")))
    assert registered == {"scatter", "heatmap", "bar"}
    used = set()
    for path in (STATIC / "js").rglob("*.js"):
        used |= set(re.findall(r"""\btype\s*:\s*["'`]([a-z0-9]+)["'`]""", path.read_text(encoding="utf-8"))) & ALL_TRACE_TYPES
    assert {"scatter", "heatmap", "bar"} <= used
    assert used <= registered, f"not in the vendored plotly.js bundle: {sorted(used - registered)}"


# ----------------------------------------------------------------------------- the store


def test_parse_accept_encoding() -> None:
    assert parse_accept_encoding("gzip, br;q=0.5 , *;q=0") == {"gzip": 1.0, "br": 0.5, "*": 0.0}
    assert parse_accept_encoding("br;q=2, gzip;q=-1, deflate;q=x") == {}
    assert parse_accept_encoding(None) == {}
    assert choose_encoding("br, gzip", ("gzip",)) == "gzip"


def test_each_encoding_is_computed_once_even_under_concurrency(tmp_path, monkeypatch) -> None:
    path = tmp_path / "a.js"
    path.write_bytes(b"let a = 1;\n" * 4000)
    asset = Asset.read(path)
    calls: list[str] = []
    original = Asset._compress

    def counting(self, coding):
        calls.append(coding)
        return original(self, coding)

    monkeypatch.setattr(Asset, "_compress", counting)
    results = []
    threads = [threading.Thread(target=lambda: results.append(asset.encoded("br"))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == ["br"] and len({id(r) for r in results}) == 1
    assert brotli.decompress(results[0]) == path.read_bytes()


def test_warm_up_compresses_everything_and_a_changed_file_is_reread(tmp_path) -> None:
    (tmp_path / "js").mkdir()
    (tmp_path / "js" / "x.js").write_bytes(b"const x = 'x';\n" * 500)
    (tmp_path / "icon.png").write_bytes(b"\x89PNG" + bytes(range(256)) * 8)
    store = AssetStore()
    files = store.load_tree(tmp_path)
    assert set(files) == {"js/x.js", "icon.png"}
    store.warm_up(background=False)
    js = files["js/x.js"]
    assert js.ready("br") and js.ready("gzip")
    assert files["icon.png"].encoded("br") is None  # not compressed again
    (tmp_path / "js" / "x.js").write_bytes(b"const y = 'y';\n" * 600)
    again = store.load_tree(tmp_path)["js/x.js"]
    assert again is not js and again.etag != js.etag


def test_gzip_bytes_are_deterministic(tmp_path) -> None:
    path = tmp_path / "a.css"
    path.write_bytes(b"body { color: red }\n" * 300)
    assert Asset.read(path).encoded("gzip") == Asset.read(path).encoded("gzip")
    assert compressed.GZIP_LEVEL == 9 and compressed.BROTLI_QUALITY == 11
