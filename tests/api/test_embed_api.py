"""Embed pages and oEmbed (https://oembed.com): required fields, maxwidth/maxheight, status codes."""

from __future__ import annotations

import re

import pytest

REQUIRED = {"version": str, "type": str, "html": str, "width": int, "height": int, "title": str, "provider_name": str}


def oembed(client, url, **params):
    return client.get("/oembed", params={"url": url, **params})


@pytest.mark.parametrize(
    "url",
    [
        "http://testserver/embed/function?fn=elu(alpha=0.5)",
        "http://testserver/?fn=relu,leaky_relu",
        "http://testserver/?view=network&act=relu&learning_rate=0.3",
        "http://testserver/embed/sweep?act=relu,leaky_relu&values=0.01,1",
    ],
)
def test_oembed_rich_response_has_required_fields(client, url):
    r = oembed(client, url, format="json")
    assert r.status_code == 200
    body = r.json()
    for field, kind in REQUIRED.items():
        assert isinstance(body[field], kind), field
    assert body["version"] == "1.0" and body["type"] == "rich"
    assert body["html"].startswith("<iframe ") and 'src="http://testserver/embed/' in body["html"]
    assert re.search(r'title="[^"]+"', body["html"])
    assert f'width="{body["width"]}"' in body["html"] and f'height="{body["height"]}"' in body["html"]


@pytest.mark.parametrize("maxwidth,maxheight", [(300, 200), (1000, 1000), (720, 100), (50, 40)])
def test_oembed_respects_maxwidth_and_maxheight(client, maxwidth, maxheight):
    body = oembed(client, "http://testserver/embed/function", maxwidth=maxwidth, maxheight=maxheight).json()
    assert body["width"] <= maxwidth and body["height"] <= maxheight
    assert body["width"] > 0 and body["height"] > 0


def test_oembed_status_codes(client):
    assert oembed(client, "http://testserver/", format="xml").status_code == 501  # unsupported format
    assert oembed(client, "http://elsewhere.example/embed/function").status_code == 404  # foreign url
    assert oembed(client, "http://testserver/docs").status_code == 404  # not embeddable
    assert oembed(client, "javascript:alert(1)").status_code == 404
    assert client.get("/oembed").status_code == 422  # url is required
    assert oembed(client, "http://testserver/", maxwidth=0).status_code == 422


def test_oembed_escapes_hostile_titles(client):
    body = oembed(client, 'http://testserver/embed/function?title="><script>alert(1)</script>').json()
    assert "<script>" not in body["html"]
    assert "&quot;&gt;&lt;script&gt;" in body["html"]


def test_pages_advertise_oembed(client):
    for path in ["/", "/embed/function?fn=elu"]:
        html = client.get(path).text
        assert re.search(r'<link rel="alternate" type="application/json\+oembed" href="[^"]*/oembed\?url=', html), path


def test_embed_framing_policy(client):
    # embeds: no frame-ancestors at all (not '*', which refuses file: and srcdoc/about:blank
    # hosts, whose origins are opaque) and no X-Frame-Options; the rest of the CSP stays
    embed = client.get("/embed/function")
    assert "frame-ancestors" not in embed.headers["content-security-policy"]
    assert "connect-src 'self'" in embed.headers["content-security-policy"]
    assert "x-frame-options" not in embed.headers
    page = client.get("/")
    assert "frame-ancestors 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "SAMEORIGIN"
    api = client.get("/api/activations")
    assert api.headers["x-frame-options"] == "SAMEORIGIN"


@pytest.mark.parametrize("query", ["act=elu&sweep=leak&values=0.1,0.2&epochs=20", "act=relu&sweep=momentum&optimizer=adam&values=0.1,0.5&epochs=20"])
def test_a_sweep_embed_the_page_corrects_is_costed_as_corrected(client, query):
    """A sweep the page corrects (a parameter ELU lacks: the learning rate; momentum with Adam: SGD)
    was not a valid run for the server's check: no cost, so a Run button for a cheap sweep."""
    assert 'data-autorun="1"' in client.get(f"/embed/sweep?{query}").text


def test_embed_autorun_only_when_cheap(client):
    small = client.get("/embed/loss?act=relu&epochs=100").text
    big = client.get("/embed/loss?act=relu&epochs=2000&n_points=1000&width=32&depth=4").text  # within the budget
    too_big = client.get("/embed/loss?act=relu,elu&epochs=5000&n_points=2000&width=64&depth=4").text
    assert 'data-autorun="1"' in small
    assert 'data-autorun="0"' in big and "data-refused" not in big
    # over the budget: the API's error (code and numbers) in the page, for it to say without a Run button
    assert 'data-autorun="0"' in too_big and "data-refused=" in too_big and "&#34;code&#34;: &#34;budget&#34;" in too_big


def test_unknown_embed_is_an_html_404_page(client):
    """An iframe pointed at a plot that does not exist shows a page saying so, not raw JSON."""
    r = client.get("/embed/nothing")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert r.headers["cache-control"] == "no-store" and "etag" not in r.headers
    assert "There is no embeddable plot called “nothing”" in r.text
    for panel in ("function", "loss", "sweep"):
        assert f'href="/embed/{panel}"' in r.text


def test_class_results_is_not_embeddable(client):
    """A live class's results need the class: listed, served by oEmbed, yet never drawn."""
    assert client.get("/embed/class-results?act=relu").status_code == 404
    assert 'href="/embed/class-results"' not in client.get("/embed/nothing").text
    assert oembed(client, "http://testserver/embed/class-results?act=relu").status_code == 404
    r = client.get("/embed/network?act=relu")
    assert r.status_code == 200 and 'data-kind="diagram"' in r.text
    assert 'href="/embed/network"' in client.get("/embed/nothing").text


@pytest.mark.parametrize("query,to", [
    ("", "/embed/prelu?act=prelu"),
    ("?depth=4&theme=dark", "/embed/prelu?act=prelu&depth=4&theme=dark"),
])
def test_a_prelu_embed_naming_no_activation_is_prelus(client, query, to):
    """The listing's bare /embed/prelu trained ReLU and then showed a blank frame ("This run has
    no PReLU layer")."""
    r = client.get(f"/embed/prelu{query}", follow_redirects=False)
    assert r.status_code == 307 and r.headers["location"] == to
    assert client.get("/embed/prelu?act=relu,prelu", follow_redirects=False).status_code == 200  # named: as written
