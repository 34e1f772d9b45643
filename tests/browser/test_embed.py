"""Embeds in a page of another origin: each plot renders inside its iframe and reports its
height; the explorer itself refuses to be framed there."""

from __future__ import annotations

import html
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from .conftest import PageWatch, shot

pytestmark = pytest.mark.browser

EMBEDS = [
    "/embed/function?fn=elu(alpha=0.5)&title=ELU%20with%20%CE%B1%20%3D%200.5",
    "/embed/function?fn=relu,leaky_relu(leak=0.1),elu&controls=1",
    "/embed/function?fn=noisy_relu(sigma=1)&theme=dark",
    "/embed/gradient-flow?act=sigmoid&depth=8&epochs=100",
    "/embed/boundary?act=relu,elu&epochs=200",
    "/embed/sweep?act=relu,leaky_relu&optimizer=sgd&values=0.01,0.1,1,3&epochs=150",
]


@pytest.fixture
def host(server):
    """A host page on a different origin (another port) that frames the embeds and the explorer."""
    frames = "".join(
        f'<iframe id="e{i}" src="{server}{src}" width="640" height="420" title="embed {i}"></iframe>' for i, src in enumerate(EMBEDS)
    )
    page_html = f"""<!doctype html><html><head><meta charset="utf-8"><title>Host</title>
<script>
window.heights = {{}};
window.addEventListener("message", (e) => {{
  if (e.data && e.data.type === "actlab:embed-height") window.heights[e.data.src] = e.data.height;
}});
</script></head><body>
<h1>A course page on another origin</h1>{frames}
<iframe id="explorer" src="{server}/" width="640" height="420" title="explorer"></iframe>
</body></html>""".encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(page_html)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_embeds_render_in_foreign_page_and_explorer_refuses(context, server, host):
    page = context.new_page()
    watch = PageWatch(page, host)
    page.goto(host)
    for i, src in enumerate(EMBEDS):
        frame = page.frame_locator(f"#e{i}")
        frame.locator(".embed-plot[data-rendered='1'] .main-svg").first.wait_for(timeout=60_000)
    page.wait_for_function(f"() => Object.keys(window.heights).length >= {len(EMBEDS)}", timeout=20_000)
    heights = page.evaluate("() => window.heights")
    assert all(h > 100 for h in heights.values()), heights
    # the explorer's own page must not render inside a foreign frame
    page.wait_for_timeout(500)
    explorer = page.query_selector("#explorer").content_frame()
    assert explorer is not None
    assert explorer.url.startswith("chrome-error://") or explorer.evaluate("() => !document.body || !document.body.dataset.ready"), explorer.url
    assert explorer.locator(".main-svg").count() == 0
    page.set_viewport_size({"width": 1400, "height": 3000})
    shot(page, "embeds-in-foreign-page")
    # The only console errors allowed are the browser refusing to frame the explorer.
    refused = [e for e in watch.errors if "frame" in e.lower() and ("refused" in e.lower() or "ancestor" in e.lower() or "x-frame-options" in e.lower())]
    others = [e for e in watch.errors if e not in refused]
    assert refused, "the explorer was framed without complaint"
    assert not others, others
    foreign = [u for u in watch.foreign if not u.startswith(server)]
    assert not foreign, foreign
    page.close()


def test_embed_with_controls_redraws(context, server):
    page = context.new_page()
    watch = PageWatch(page, server)
    page.goto(f"{server}/embed/function?fn=leaky_relu&controls=1")
    page.wait_for_selector(".embed-plot[data-rendered='1']")
    page.fill('[data-param-box="leak"]', "0.5")
    page.dispatch_event('[data-param-box="leak"]', "change")
    page.wait_for_function(
        "() => document.querySelector('.embed-plot').data.some(t => t.yaxis === 'y2' && Math.abs(t.y[0] - 0.5) < 1e-12)"
    )
    watch.assert_clean()
    page.close()


def test_large_training_embed_waits_for_run_button(context, server):
    page = context.new_page()
    watch = PageWatch(page, server)
    page.goto(f"{server}/embed/loss?act=relu&epochs=5000&n_points=2000&width=32&depth=6")
    page.wait_for_selector("body[data-ready='1']")
    assert page.is_visible("#embed-run")
    assert not page.locator(".embed-plot[data-rendered='1']").count()
    watch.assert_clean()
    page.close()


def test_every_embed_button_gives_a_working_link(context, server):
    """The explorer's Embed dialog, for every plot: the link it offers answers and renders."""
    page = context.new_page()
    watch = PageWatch(page, server)
    links = []
    for view in ("/?fn=elu(alpha=0.5),relu", "/?view=network&epochs=50", "/?view=network&mode=sweep&epochs=30&values=0.01,0.1"):
        page.goto(server + view)
        page.wait_for_selector("body[data-ready='1']")
        page.locator(".panel:visible .plot[data-rendered='1']").first.wait_for(timeout=60_000)
        buttons = page.locator(".panel:visible [data-export='embed']")
        assert buttons.count() >= 1, view
        for i in range(buttons.count()):
            buttons.nth(i).click()
            link = page.input_value("#embed-link")
            assert html.escape(link) in page.input_value("#embed-snippet")
            links.append(link)
            page.click("#embed-close")
    assert any("/embed/function?" in u and "elu(alpha=0.5)" in u for u in links), links
    for link in sorted(set(links)):
        assert context.request.get(link).status == 200, link
    # one of them, opened: the ELU curve with α = 0.5 reaches −0.5 on the left
    embed = context.new_page()
    embed.goto(next(u for u in links if "/embed/function?" in u))
    embed.wait_for_selector(".embed-plot[data-rendered='1']")
    assert embed.evaluate("() => Math.min(...document.querySelector('.embed-plot').data[0].y)") < -0.49
    watch.assert_clean()
    page.close()
    embed.close()


def test_boundary_embed_in_a_phone_wide_frame_fits_its_colour_bar_to_the_plot(browser, server):
    """The boundary's axes have equal scales, so its height is fixed by its width: in a narrow
    frame the colour bar is about as tall as the map (not the frame), the legend below it,
    and the height reported to the host is the figure's; other plots still fill the frame."""
    ctx = browser.new_context(viewport={"width": 390, "height": 844})
    page = ctx.new_page()
    watch = PageWatch(page, server)
    page.goto(f"{server}/embed/boundary?act=relu&epochs=50")
    page.wait_for_selector(".embed-plot[data-rendered='1']")
    boxes = page.evaluate(
        """() => ['.nsewdrag', '.colorbar .cbfill', '.legend', '.embed-plot .main-svg']
              .map((s) => document.querySelector(s).getBoundingClientRect().toJSON())"""
    )
    plot, bar, legend, svg = boxes
    assert bar["height"] <= 1.25 * plot["height"], (bar, plot)
    assert legend["top"] >= plot["bottom"]  # below the map, not beside it
    assert svg["height"] < 500 and page.evaluate("document.documentElement.scrollWidth") == 390
    shot(page, "embed-boundary-phone")
    page.goto(f"{server}/embed/loss?act=relu&epochs=50")  # no fixed aspect: fills the frame
    page.wait_for_selector(".embed-plot[data-rendered='1']")
    assert page.evaluate("document.querySelector('.embed-plot .main-svg').getBoundingClientRect().height") > 600
    watch.assert_clean()
    ctx.close()


def _opaque_host_html(server: str) -> str:
    """A course page as a teacher saves it to disk or an LMS renders it in srcdoc: one embed and,
    to check the explorer still refuses, the explorer itself."""
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>Local host</title>
<script>
window.heights = {{}};
window.addEventListener("message", (e) => {{
  if (e.data && e.data.type === "actlab:embed-height") window.heights[e.data.src] = e.data.height;
}});
</script></head><body>
<iframe id="embed" src="{server}/embed/function?fn=relu" width="640" height="420" title="ReLU"></iframe>
<iframe id="explorer" src="{server}/?fn=relu" width="640" height="420" title="explorer"></iframe>
</body></html>"""


@pytest.mark.parametrize("how", ["file", "set_content"])
def test_embed_renders_in_a_file_or_srcdoc_host_and_explorer_still_refuses(context, server, tmp_path, how):
    """A host whose origin is opaque — a page opened from disk (file://) or an about:blank/srcdoc
    document (Playwright's set_content, LMS previews) — frames an embed: Chromium refused it while
    embeds sent "frame-ancestors *" ('*' matches only ancestors with a network-scheme URL)."""
    page = context.new_page()
    watch = PageWatch(page, server)
    if how == "file":
        path = tmp_path / "index.html"
        path.write_text(_opaque_host_html(server), encoding="utf-8")
        page.goto(path.as_uri())
    else:
        page.set_content(_opaque_host_html(server))
    frame = page.frame_locator("#embed")
    frame.locator(".embed-plot[data-rendered='1'] .main-svg").first.wait_for(timeout=60_000)
    page.wait_for_function("() => Object.keys(window.heights).length >= 1", timeout=20_000)
    assert all(h > 100 for h in page.evaluate("() => window.heights").values())
    # the explorer keeps its clickjacking protection: it does not render in this host either
    page.wait_for_timeout(500)
    explorer = page.query_selector("#explorer").content_frame()
    assert explorer is not None
    assert explorer.url.startswith("chrome-error://") or explorer.evaluate("() => !document.body || !document.body.dataset.ready"), explorer.url
    assert explorer.locator(".main-svg").count() == 0
    refused = [e for e in watch.errors if "frame" in e.lower() and ("refused" in e.lower() or "ancestor" in e.lower() or "x-frame-options" in e.lower())]
    assert refused, "the explorer was framed without complaint"
    assert all("/embed/" not in e for e in refused), refused  # only the explorer was refused
    others = [e for e in watch.errors if e not in refused]
    assert not others, others
    foreign = [u for u in watch.foreign if not u.startswith("file:")]
    assert not foreign, foreign
    page.close()


@pytest.mark.parametrize("src,width,height", [
    ("/embed/function?fn=elu", 600, 300),
    ("/embed/loss?act=relu&epochs=50", 600, 260),
    ("/embed/boundary?act=relu&epochs=50", 400, 300),  # phone-wide, too short for the phone layout
])
def test_a_short_frame_keeps_the_plot_and_the_footer_in_view(page, server, src, width, height):
    """An author who gives the frame a fixed, short height (and no script that resizes it) gets
    the plot fitted to it and "Open in Activation Lab" in view. The plot kept a 280 px minimum,
    and a phone-wide boundary its phone layout's 294 px, so the footer fell below the frame."""
    page.set_viewport_size({"width": 900, "height": 900})
    page.set_content(f'<iframe id="f" src="{server}{src}" width="{width}" height="{height}" style="border:0"></iframe>')
    frame = page.frame_locator("#f")
    frame.locator(".embed-plot[data-rendered='1']").wait_for(timeout=30000)
    inner = next(f for f in page.frames if f.url.startswith(server))
    boxes = inner.evaluate("""() => ['.embed-plot .main-svg', '.embed-foot a']
      .map((s) => document.querySelector(s).getBoundingClientRect().toJSON())""")
    svg, link = boxes
    assert link["bottom"] <= height + 0.5, (link, height)
    assert svg["bottom"] <= link["top"] + 0.5, (svg, link)
    assert svg["height"] >= 0.6 * height  # the plot is fitted, not squeezed away
    assert inner.evaluate("document.documentElement.scrollHeight") <= height + 1


@pytest.mark.parametrize("src", [
    "/embed/function?fn=leaky_relu(leak=0.2),elu(alpha=0.5),softplus(beta=3)&xmin=-3",
    "/embed/boundary?act=elu&dataset=spirals&depth=5&learning_rate=0.03&epochs=100",
])
def test_a_resized_frame_redraws_its_legend_clear_of_the_plot(page, server, src):
    """A host that narrows the frame and widens it again (a window resized, the auto-height
    script) left the legend laid out for the narrow width, over the plot and its tick labels."""
    page.set_viewport_size({"width": 720, "height": 480})
    page.goto(f"{server}{src}")
    page.wait_for_selector(".embed-plot[data-rendered='1']", timeout=60000)
    boxes = """() => ['.legend', '.nsewdrag', '.xtick'].map((s) => {
      const e = document.querySelector(s); return e ? e.getBoundingClientRect().toJSON() : null; })"""
    def clear(b):
        legend, plot, tick = b
        apart = lambda a, c: a["bottom"] <= c["top"] + 1 or c["bottom"] <= a["top"] + 1 or a["right"] <= c["left"] + 1 or c["right"] <= a["left"] + 1
        return apart(legend, plot) and (tick is None or apart(legend, tick))
    assert clear(page.evaluate(boxes))
    for width in (360, 720):
        page.set_viewport_size({"width": width, "height": 480})
        page.wait_for_timeout(900)  # the redraw waits for the resizing to settle
        got = page.evaluate(boxes)
        assert clear(got), (width, got)
