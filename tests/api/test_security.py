"""Security headers per route kind, and hostile values through every HTML page.

The HTML pages are discovered from ``app.routes`` (every GET route whose response class
is HTMLResponse), so pages added later are probed without touching this file. Each page
gets hostile values (``<script>``, ``"onerror=``, ``javascript:``) in every query
parameter it reflects, and in its path parameters; the HTML that comes back must contain
no script without ``src``, no event-handler attribute, no ``javascript:`` URL, and none of
the payloads verbatim.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from urllib.parse import urlencode, urlsplit

import pytest
from fastapi import routing
from fastapi.responses import HTMLResponse
from fastapi.testclient import TestClient

from app.api.middleware import RequestLog
from app.main import create_app
from app.settings import Settings

PAYLOADS = [
    "<script>alert(1)</script>",
    '" onerror="alert(1)',
    "'><img src=x onerror=alert(1)>",
    "javascript:alert(1)",
]
# Names a page may read besides the ones the API documents (embed and lesson options).
EXTRA_NAMES = ["title", "url", "act", "view", "mode", "theme", "values", "sweep", "controls", "modebar", "present", "step", "panel", "q"]
URL_ATTRS = {"href", "src", "action", "formaction", "data", "poster", "xlink:href", "srcdoc"}
MAX_VALUES_PER_PARAM = 4


APP = create_app(Settings(public_url="http://testserver"))


@pytest.fixture(scope="module")
def app():
    return APP


@pytest.fixture(scope="module")
def client(app) -> TestClient:
    with TestClient(app) as c:
        yield c


# ----------------------------------------------------------------------------- discovery


def _route_contexts(app):
    iterate = getattr(routing, "iter_route_contexts", None)
    return list(iterate(app.routes)) if iterate else list(app.routes)


def html_routes(app) -> list[str]:
    """Path templates of every GET route that answers HTML."""
    out = []
    for rc in _route_contexts(app):
        cls = getattr(rc, "response_class", None)
        cls = getattr(cls, "value", cls)  # a DefaultPlaceholder wraps the class
        methods = getattr(rc, "methods", None) or set()
        path = getattr(rc, "path_format", None) or getattr(rc, "path", None)
        if path and "GET" in methods and isinstance(cls, type) and issubclass(cls, HTMLResponse):
            out.append(path)
    return out


def param_names(app) -> list[str]:
    """Every query parameter and body field the API documents, plus EXTRA_NAMES."""
    spec = app.openapi()
    names: list[str] = []

    def add(n: str) -> None:
        if n not in names:
            names.append(n)

    def walk(schema: dict, depth: int = 0) -> None:
        if depth > 4:
            return
        if "$ref" in schema:
            schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
        for name, sub in schema.get("properties", {}).items():
            add(name)
            walk(sub, depth + 1)

    for ops in spec["paths"].values():
        for op in ops.values():
            for p in op.get("parameters", []):
                if p.get("in") == "query":
                    add(p["name"])
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            if body:
                walk(body)
    for n in EXTRA_NAMES:
        add(n)
    return names


def _template_regex(template: str) -> re.Pattern:
    parts = re.split(r"(\{[^}]+\})", template)
    return re.compile("^" + "".join(f"(?P<{p[1:-1].split(':')[0]}>[^/?#]+)" if p.startswith("{") else re.escape(p) for p in parts) + "$")


def concrete_paths(client: TestClient, templates: list[str]) -> dict[str, list[str]]:
    """Real paths for each template: links found in the parameterless pages, plus the values
    a 404 lists after "available:" (the app's error convention); failing both, the probe path
    itself when it answers HTML."""
    fixed = [t for t in templates if "{" not in t]
    links: set[str] = set()
    for t in fixed:
        links |= {urlsplit(h).path for h in _links(client.get(t).text)}
    out: dict[str, list[str]] = {t: [t] for t in fixed}
    for t in templates:
        if t in out:
            continue
        rx = _template_regex(t)
        found = sorted(p for p in links if rx.match(p))
        probe = re.sub(r"\{[^}]+\}", "zz-no-such-thing", t)
        r = client.get(probe)
        m = re.search(r"available: ([^\"]+?)(?:\"|$)", r.text)
        if m and len(re.findall(r"\{[^}]+\}", t)) == 1:
            for value in [v.strip() for v in m.group(1).split(",") if v.strip()]:
                found.append(re.sub(r"\{[^}]+\}", value, t))
        if not found and "html" in r.headers.get("content-type", ""):
            found.append(probe)  # values that exist only at run time (a class code): the page it shows for an unknown one
        found = sorted(set(found))
        # spread over the list: first, last and a few between
        if len(found) > MAX_VALUES_PER_PARAM:
            step = (len(found) - 1) / (MAX_VALUES_PER_PARAM - 1)
            found = [found[round(i * step)] for i in range(MAX_VALUES_PER_PARAM)]
        out[t] = found
    return out


class _Doc(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def _parse(html: str) -> list[tuple[str, dict[str, str | None]]]:
    doc = _Doc()
    doc.feed(html)
    return doc.tags


def _links(html: str) -> list[str]:
    return [a["href"] for tag, a in _parse(html) if tag == "a" and a.get("href", "").startswith("/")]


def assert_safe_html(html: str, where: str) -> None:
    for payload in PAYLOADS:
        if payload != "javascript:alert(1)":
            assert payload not in html, f"{where}: payload {payload!r} reflected unescaped"
    for tag, attrs in _parse(html):
        if tag == "script":
            src = attrs.get("src") or ""
            assert src.startswith("/") and not src.startswith("//"), f"{where}: script without a same-origin src: {attrs}"
        for name, value in attrs.items():
            assert not name.startswith("on"), f"{where}: event-handler attribute {name}={value!r} on <{tag}>"
            if name in URL_ATTRS and value:
                assert not re.sub(r"[\s\x00-\x1f]", "", value).lower().startswith(("javascript:", "vbscript:", "data:text/html")), f"{where}: {name}={value!r} on <{tag}>"
        assert not (tag == "img" and attrs.get("src") == "x"), f"{where}: injected <img> {attrs}"


# ----------------------------------------------------------------------------- XSS probes


def test_html_routes_are_discovered(app) -> None:
    found = html_routes(app)
    assert "/" in found and "/docs" in found, found  # the explorer and the API docs at least


@pytest.fixture(scope="module")
def pages(app, client) -> dict[str, list[str]]:
    return concrete_paths(client, html_routes(app))


@pytest.mark.parametrize("template", html_routes(APP))
def test_hostile_values_in_every_reflected_query_parameter_come_back_escaped(app, client, pages, template) -> None:
    paths = pages[template]
    names = param_names(app)
    assert paths, f"found no real path for {template}: link to it from a page, or list the allowed values after 'available:' in its 404"
    for path in paths:
        # Which parameters does the page reflect? A unique canary per name tells.
        canaries = {n: f"zq{i}canary" for i, n in enumerate(names)}
        text = client.get(path + "?" + urlencode(canaries)).text
        reflected = [n for n, c in canaries.items() if c in text]
        # a page may drop (or reject) a whole query it cannot use: ask one name at a time
        reflected += [n for n, c in canaries.items() if n not in reflected and c in client.get(path, params={n: c}).text]
        for payload in PAYLOADS:
            r = client.get(path, params={n: payload for n in names})
            if "html" in r.headers.get("content-type", ""):
                assert_safe_html(r.text, f"{path} (every parameter = {payload!r})")
            for n in reflected:
                r = client.get(path, params={n: payload})
                assert r.status_code < 500, (path, n, r.status_code)
                if "html" in r.headers.get("content-type", ""):
                    assert_safe_html(r.text, f"{path}?{n}={payload!r}")


def test_hostile_path_parameters_come_back_escaped(app, client) -> None:
    for template in html_routes(app):
        if "{" not in template:
            continue
        for payload in PAYLOADS:
            path = re.sub(r"\{[^}]+\}", payload.replace("/", "%2F").replace("?", "%3F").replace("#", "%23"), template)
            r = client.get(path)
            assert r.status_code < 500, (path, r.status_code)
            ctype = r.headers.get("content-type", "")
            if "html" in ctype:
                assert_safe_html(r.text, path)
            else:
                assert ctype.startswith("application/json"), (path, ctype)
            assert r.headers["x-content-type-options"] == "nosniff"


def test_a_title_is_shown_escaped_not_dropped(client) -> None:
    """The embed page shows its ``title``: the probe must reach the page, escaped."""
    r = client.get("/embed/function", params={"title": "<script>alert(1)</script>"})
    assert r.status_code == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text
    assert_safe_html(r.text, "/embed/function?title=…")


def test_oembed_html_snippet_is_escaped(client) -> None:
    """oEmbed consumers paste ``html`` into their pages: a hostile title must not escape the iframe."""
    for payload in PAYLOADS:
        target = "http://testserver/embed/loss?" + urlencode({"title": payload, "act": payload})
        r = client.get("/oembed", params={"url": target})
        assert r.status_code == 200, r.text
        snippet = r.json()["html"]
        tags = _parse(snippet)
        assert [t for t, _ in tags] == ["iframe"], snippet
        assert tags[0][1]["src"].startswith("http://testserver/embed/loss"), snippet
        assert_safe_html(snippet, f"oembed html for title={payload!r}")


# ----------------------------------------------------------------------------- headers


def _csp(r) -> dict[str, str]:
    out = {}
    for part in r.headers["content-security-policy"].split(";"):
        name, _, value = part.strip().partition(" ")
        out[name] = value
    return out


def test_page_headers(client) -> None:
    for path in ("/", "/docs", "/lessons"):
        r = client.get(path)
        assert r.status_code == 200, path
        csp = _csp(r)
        assert csp["script-src"] == "'self'", csp  # no inline script, no eval, no CDN
        assert csp["default-src"] == "'self'" and csp["object-src"] == "'none'" and csp["base-uri"] == "'self'"
        assert csp["frame-ancestors"] == "'self'"
        assert r.headers["x-frame-options"] == "SAMEORIGIN"
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "strict-origin-when-cross-origin"


def test_docs_page_uses_only_our_own_scripts(client) -> None:
    scripts = [a.get("src") for t, a in _parse(client.get("/docs").text) if t == "script"]
    assert any(s and s.endswith("/js/docs.js") and s.startswith("/static/") for s in scripts), scripts
    for src in scripts:
        assert src and src.startswith("/"), scripts
        assert client.get(src).status_code == 200, src


def test_embed_headers_allow_framing_by_anyone_by_default(client) -> None:
    r = client.get("/embed/function")
    assert r.status_code == 200
    # Anyone may frame: no frame-ancestors at all. "frame-ancestors *" would not do: '*' (and
    # every scheme source) matches only ancestors with a URL origin, so Chromium refused hosts
    # opened from a file or rendered in about:blank/srcdoc (tests/browser/test_embed.py).
    assert "frame-ancestors" not in _csp(r)
    assert "x-frame-options" not in r.headers
    # every other directive is the pages' own: nothing leaves the origin
    page_csp = _csp(client.get("/"))
    assert _csp(r) == {k: v for k, v in page_csp.items() if k != "frame-ancestors"}
    assert _csp(r)["script-src"] == "'self'" and _csp(r)["connect-src"] == "'self'" and _csp(r)["default-src"] == "'self'"
    assert r.headers["x-content-type-options"] == "nosniff"
    # a 404 under /embed/ is still an embed-path response: same framing policy
    assert "x-frame-options" not in client.get("/embed/nope").headers


def test_embed_frame_ancestors_follow_the_setting() -> None:
    c = TestClient(create_app(Settings(frame_ancestors="https://school.example, https://*.lms.example")))
    r = c.get("/embed/function")
    assert _csp(r)["frame-ancestors"] == "https://school.example https://*.lms.example"
    assert "x-frame-options" not in r.headers
    r = c.get("/")
    assert _csp(r)["frame-ancestors"] == "'self'" and r.headers["x-frame-options"] == "SAMEORIGIN"


@pytest.mark.parametrize("setting", ["*", "* https://school.example", "https://school.example,*"])
def test_embed_frame_ancestors_star_means_no_directive(setting) -> None:
    c = TestClient(create_app(Settings(frame_ancestors=setting)))
    r = c.get("/embed/function")
    assert "frame-ancestors" not in _csp(r) and "x-frame-options" not in r.headers
    r = c.get("/")
    assert _csp(r)["frame-ancestors"] == "'self'" and r.headers["x-frame-options"] == "SAMEORIGIN"


@pytest.mark.parametrize("path", ["/api/curve?name=relu", "/api/activations", "/healthz", "/readyz", "/openapi.json", "/nope", "/api/curve?name=bad"])
def test_api_and_error_responses_carry_the_headers_too(client, path) -> None:
    r = client.get(path)
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "SAMEORIGIN"
    assert _csp(r)["frame-ancestors"] == "'self'"
    assert r.headers["content-type"].startswith("application/json")


def test_static_assets_carry_nosniff_and_a_type(client) -> None:
    html = client.get("/").text
    tags = [a for t, a in _parse(html) if t in ("script", "link") and (a.get("src") or a.get("href", "")).startswith("/")]
    preloaded_json = [a["href"] for a in tags if a.get("as") == "fetch"]  # /api/meta, /api/activations: the API's JSON
    assert preloaded_json
    for path in preloaded_json:
        r = client.get(path)
        assert r.status_code == 200 and r.headers["x-content-type-options"] == "nosniff" and r.headers["content-type"].startswith("application/json"), path
    assets = [a.get("src") or a.get("href") for a in tags if a.get("as") != "fetch"]
    assets = [a for a in assets if not a.startswith("/oembed")]
    assert assets
    for path in assets:
        r = client.get(path)
        assert r.status_code == 200, path
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["content-type"].split(";")[0] in ("text/javascript", "application/javascript", "text/css", "image/svg+xml"), (path, r.headers["content-type"])


def test_413_is_json_with_the_headers() -> None:
    c = TestClient(create_app(Settings(max_body_bytes=2048)))
    r = c.post("/api/curves", content=b"{" + b" " * 4096 + b"}", headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.json()["field"] == "body" and "2048" in r.json()["detail"]
    assert r.headers["x-content-type-options"] == "nosniff"


# ----------------------------------------------------------------------------- request log


class _Lines:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def write(self, record: tuple) -> None:
        self.lines.append(RequestLog.line(record))


def test_one_json_log_line_per_request() -> None:
    app = create_app(Settings(max_body_bytes=2048))
    c = TestClient(app).__enter__()
    sink = _Lines()
    app.state.request_log = sink.write
    try:
        requests = [
            ("GET", "/api/curve?name=relu&secret=1", None, 422),
            ("GET", "/api/curve?name=relu&n=5", None, 200),
            ("HEAD", "/healthz", None, 200),
            ("GET", "/nope", None, 404),
            ("POST", "/api/curves", b"{" + b" " * 4096 + b"}", 413),
            ("POST", "/api/train", b"{bad", 400),
            ("POST", "/api/train/stream", b'{"epochs": 5}', 200),
            ("GET", "/embed/function", None, 200),
        ]
        for method, path, content, status in requests:
            r = c.request(method, path, content=content, headers={"content-type": "application/json"} if content else None)
            assert r.status_code == status, (method, path, r.status_code)
    finally:
        app.state.request_log = None
        c.__exit__(None, None, None)
    assert len(sink.lines) == len(requests), sink.lines
    for line, (method, path, _, status) in zip(sink.lines, requests):
        record = json.loads(line)
        assert set(record) == {"time", "method", "path", "status", "duration_ms", "client"}, record
        assert record["method"] == method and record["path"] == path.split("?")[0] and record["status"] == status
        assert isinstance(record["duration_ms"], (int, float)) and record["duration_ms"] >= 0
        assert record["time"].endswith("+00:00")
        assert "secret" not in line  # query strings are not logged


def test_log_lines_escape_hostile_paths() -> None:
    app = create_app(Settings())
    sink = _Lines()
    app.state.request_log = sink.write
    try:
        TestClient(app).get("/x%0A%7B%22status%22%3A200%7D%0D%1B[31m")
    finally:
        app.state.request_log = None
    (line,) = sink.lines
    assert "\n" not in line and "\r" not in line and "\x1b" not in line
    assert json.loads(line)["status"] == 404


def test_an_unhandled_error_is_a_json_500_with_the_headers_and_a_log_line() -> None:
    app = create_app(Settings())

    @app.get("/boom", include_in_schema=False)
    def boom() -> None:
        raise RuntimeError("a bug")

    sink = _Lines()
    app.state.request_log = sink.write
    try:
        r = TestClient(app, raise_server_exceptions=False).get("/boom")
    finally:
        app.state.request_log = None
    assert r.status_code == 500 and r.json() == {"detail": "internal error", "field": None, "code": "internal", "errors": [{"field": None, "message": "internal error", "code": "internal"}]}
    assert "a bug" not in r.text  # no internals leak
    assert r.headers["x-content-type-options"] == "nosniff" and r.headers["x-frame-options"] == "SAMEORIGIN"
    records = [json.loads(line) for line in sink.lines if line.startswith("{")]
    assert [(x["path"], x["status"]) for x in records] == [("/boom", 500)]
