"""Embeds in a page of another origin: each plot renders inside its iframe and reports its
height; the explorer itself refuses to be framed there."""

from __future__ import annotations

import html
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from .conftest import PageWatch, held_still, settles, shot, until

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
    page.goto(f"{server}/embed/loss?act=relu&epochs=2000&n_points=1000&width=32&depth=4")  # within the budget, not cheap
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
    apart = "(a, c) => a.bottom <= c.top + 1 || c.bottom <= a.top + 1 || a.right <= c.left + 1 || c.right <= a.left + 1"
    clear_js = f"() => {{ const [l, p, t] = ({boxes})(); const ap = {apart}; return ap(l, p) && (!t || ap(l, t)); }}"
    for width in (360, 720):
        page.set_viewport_size({"width": width, "height": 480})
        page.wait_for_timeout(900)  # the redraw waits for the resizing to settle
        settles(page, clear_js)  # (and a busy machine is slower)
        got = page.evaluate(boxes)
        assert clear(got), (width, got)


@pytest.mark.parametrize("heights", [(700, 420), (420, 700)], ids=["taller-to-short", "short-to-taller"])
def test_a_frame_whose_new_height_turns_the_colour_bar_draws_the_map_afresh(page, server, heights):
    """A phone-wide frame tall enough gets the phone layout (colour bar under the map), a short
    one the wide layout (bar beside it); when a host changes only the height across that line
    (the auto-height script does), the map is drawn as a fresh load at the new height draws it:
    Plotly.react had left the old bar's ticks and title over a squeezed map."""
    src = "/embed/boundary?act=relu&epochs=50"
    drawn = """() => ({ bar: [...document.querySelectorAll('.embed-plot .infolayer .colorbar text')].map((t) => t.textContent),
      map: Math.round(document.querySelector('.embed-plot')._fullLayout.xaxis._length) })"""
    first, then = heights
    fresh = _framed(page, server, src, 720, then).evaluate(drawn)
    inner = _framed(page, server, src, 720, first)
    page.evaluate(f"document.getElementById('f').height = '{then}'")
    # (the redraw waits for the resizing to settle: polled, a busy machine is slower)
    settles(inner, f"() => {{ const d = ({drawn})(); return JSON.stringify(d.bar) === {json.dumps(json.dumps(fresh['bar']))} && Math.abs(d.map - {fresh['map']}) <= 2; }}")
    after = inner.evaluate(drawn)
    assert after["bar"] == fresh["bar"], (after, fresh)
    assert abs(after["map"] - fresh["map"]) <= 2, (after, fresh)


def test_a_plotly_resize_still_pending_does_not_stretch_the_map_drawn_afresh(page, server):
    """Plots.resize acts 100 ms later on whatever layout the plot has then. On a busy machine
    (CI) the phone layout drawn afresh for a taller frame came first, and the late resize took
    away its height: the map was stretched to the frame (633 px wide, not 482). Here Plotly's
    timers of 100 ms run late, as on that machine."""
    src = "/embed/boundary?act=relu&epochs=50"
    drawn = "() => Math.round(document.querySelector('.embed-plot')._fullLayout.xaxis._length)"
    fresh = _framed(page, server, src, 720, 700).evaluate(drawn)
    inner = _framed(page, server, src, 720, 420)
    inner.evaluate("""() => { const later = window.setTimeout;
      window.setTimeout = (f, ms, ...rest) => later(f, ms === 100 ? 600 : ms, ...rest); }""")
    page.evaluate("document.getElementById('f').height = '700'")
    settles(inner, f"() => Math.abs(({drawn})() - {fresh}) <= 2")
    inner.wait_for_timeout(1200)  # past the late resize
    assert abs(inner.evaluate(drawn) - fresh) <= 2, (inner.evaluate(drawn), fresh)


def _framed(page, server, src, width, height):
    """The embed in a fixed-size iframe of a host page (no auto-height script): its frame, ready."""
    page.set_viewport_size({"width": max(900, width + 40), "height": max(900, height + 40)})
    page.set_content(f'<iframe id="f" src="{server}{src}" width="{width}" height="{height}" style="border:0"></iframe>')
    page.frame_locator("#f").locator("body[data-ready='1']").wait_for(timeout=60000)
    inner = next(f for f in page.frames if f.url.startswith(server))
    inner.wait_for_function("() => !document.querySelector('.embed-status').textContent.startsWith('Computing')", timeout=60000)
    inner.wait_for_timeout(400)  # a redraw after the caption settled
    return inner


_BOXES = """() => Object.fromEntries(['.embed-plot .main-svg', '.embed-plot .legend', '.embed-status', '.embed-foot a']
  .map((s) => { const e = document.querySelector(s); return [s, e ? e.getBoundingClientRect().toJSON() : null]; }))"""


def _assert_footer_clear(inner, width, height):
    b = inner.evaluate(_BOXES)
    link, svg, legend, status = b[".embed-foot a"], b[".embed-plot .main-svg"], b[".embed-plot .legend"], b[".embed-status"]
    # "Open in Activation Lab ↗" whole and inside the frame, on one line
    assert link["bottom"] <= height + 0.5 and link["right"] <= width + 0.5 and link["top"] >= 0, (link, width, height)
    assert link["height"] < 24, link
    assert inner.evaluate("document.querySelector('.embed-foot a').textContent") == "Open in Activation Lab ↗"
    # the plot and its legend end above the caption
    for box in (svg, legend):
        if box:
            assert box["bottom"] <= status["top"] + 0.5 and box["bottom"] <= link["top"] + 0.5, (box, status, link)
    assert svg["height"] >= 150, svg


@pytest.mark.parametrize("panel", ["phase", "gradient-prediction", "init-depth", "mean-var", "kernel", "hermite"])
@pytest.mark.parametrize("width,height", [(720, 480), (400, 300), (300, 200)])
def test_theory_embeds_in_a_fixed_frame_keep_caption_and_link_in_view(page, server, panel, width, height):
    """The plot was drawn at the height it had before the caption took its second line: its legend
    lay on the caption and "Open in Activation Lab ↗" showed as "Lab ↗". At 300 × 200 the caption's
    two lines pushed the link 5 px out of the frame: there the caption keeps one line."""
    inner = _framed(page, server, f"/embed/{panel}?th=tanh", width, height)
    _assert_footer_clear(inner, width, height)


def test_a_y_title_that_would_take_three_lines_in_a_small_frame_is_its_symbol(page, server):
    """/embed/init-depth at 300 × 200 wrote its y title "second moment q_l" on three lines (a
    third of the plot's width); it is now its symbol, q_l. A larger frame keeps the words."""
    title = "() => document.querySelector('.g-ytitle text').textContent.replace(/\u200b/g, '')"
    assert _framed(page, server, "/embed/init-depth?th=tanh", 300, 200).evaluate(title) == "ql"
    assert _framed(page, server, "/embed/init-depth?th=tanh", 480, 320).evaluate(title) == "second moment ql"


def test_phase_embed_after_a_click_keeps_caption_clear_and_links_the_point(page, server):
    inner = _framed(page, server, "/embed/phase?th=tanh", 720, 520)
    box = inner.evaluate("document.querySelector('.nsewdrag').getBoundingClientRect().toJSON()")
    page.mouse.click(box["x"] + 0.8 * box["width"], box["y"] + 0.3 * box["height"])
    inner.wait_for_function("() => document.querySelector('.embed-foot a').href.includes('init=custom')", timeout=20000)
    inner.wait_for_function("() => !document.querySelector('.embed-status').textContent.startsWith('Computing')")
    inner.wait_for_timeout(400)
    _assert_footer_clear(inner, 720, 520)


def test_hermite_controls_in_a_small_frame_sit_behind_settings(page, server):
    """At 400 × 300 the activation menus were squeezed to a strip: they open over the plot instead."""
    inner = _framed(page, server, "/embed/hermite?controls=1", 400, 300)
    _assert_footer_clear(inner, 400, 300)
    assert not inner.is_visible(".embed-controls")
    inner.click(".embed-settings")
    menu = inner.locator(".embed-controls select").first
    assert menu.is_visible() and menu.bounding_box()["height"] >= 20


@pytest.mark.parametrize("width,height", [(720, 480), (400, 300)])
def test_function_embed_with_many_controls_keeps_the_plot_in_a_fixed_frame(page, server, width, height):
    """Four activation cards took all but ~90 px of a 720 × 480 frame; at 400 × 300 the footer
    scrolled away. The cards go behind Settings, open over the plot, and still change it."""
    inner = _framed(page, server, "/embed/function?fn=relu,elu,tanh,gelu&controls=1", width, height)
    _assert_footer_clear(inner, width, height)
    assert inner.evaluate(_BOXES)[".embed-plot .main-svg"]["height"] >= 0.55 * height
    inner.click(".embed-settings")
    assert inner.get_attribute(".embed-settings", "aria-expanded") == "true"
    form = inner.evaluate("document.querySelector('.embed-controls').getBoundingClientRect().toJSON()")
    assert form["bottom"] <= height and form["height"] > 100
    inner.fill('[data-param-box="alpha"]', "2")
    inner.dispatch_event('[data-param-box="alpha"]', "change")
    inner.wait_for_function("() => document.querySelector('.embed-foot a').href.includes('elu(alpha=2)')")
    assert inner.evaluate("document.documentElement.scrollHeight") <= height + 1


def test_open_in_lab_carries_the_readers_changes(page, server):
    """The footer link kept the link's ?fn= / ?act= after the reader changed the plot."""
    page.goto(f"{server}/embed/function?fn=elu&controls=1")
    page.wait_for_selector(".embed-plot[data-rendered='1']")
    page.fill('[data-param-box="alpha"]', "2")
    page.dispatch_event('[data-param-box="alpha"]', "change")
    page.wait_for_function("() => decodeURIComponent(document.querySelector('.embed-foot a').href).includes('fn=elu(alpha=2)')")
    page.goto(f"{server}/embed/loss?act=relu&epochs=30&controls=1")
    page.wait_for_selector(".embed-plot[data-rendered='1']")
    page.select_option('.embed-controls [data-role="activation"]', "tanh")
    page.click(".embed-controls button.primary")
    page.wait_for_function("() => document.querySelector('.embed-foot a').href.includes('act=tanh')")
    href = page.get_attribute(".embed-foot a", "href")
    assert "view=network" in href and "epochs=30" in href and "act=relu" not in href, href


def test_network_embed_draws_the_trained_diagram(page, server):
    """/embed/network ran FIGURES.network, which does not exist: a blank plot and an error."""
    inner = _framed(page, server, "/embed/network?act=relu,elu&depth=2&width=6&epochs=40", 720, 480)
    inner.wait_for_selector(".embed-plot[data-rendered='1'] .diagram .node")
    assert not inner.evaluate("document.querySelector('.embed-status').classList.contains('error')")
    # inputs, 6 + 6 hidden units, the output
    assert inner.locator(".diagram .node").count() == 2 + 12 + 1
    view = inner.evaluate("document.querySelector('.diagram').getBoundingClientRect().toJSON()")
    link = inner.evaluate("document.querySelector('.embed-foot a').getBoundingClientRect().toJSON()")
    assert view["bottom"] <= link["top"] and link["bottom"] <= 480
    # a frame tall enough keeps units of 30 px, the numbers and the keyboard's hint under them
    info = inner.evaluate("document.querySelector('.diagram-info').getBoundingClientRect().toJSON()")
    assert inner.evaluate("document.querySelector('.diagram .node').getBoundingClientRect().width") >= 30
    assert info["top"] >= view["bottom"] - 0.5
    assert "Tab to the diagram, then the arrow keys" in inner.text_content(".diagram-info")
    # the compared activation's network, from the menu
    inner.select_option(".embed-variant", "1")
    inner.wait_for_function("() => document.querySelector('.embed-status').textContent.startsWith('ELU')")


@pytest.mark.parametrize("width,height", [(320, 240), (480, 300), (640, 400)])
def test_network_embed_in_a_short_frame_is_mostly_diagram(page, server, width, height):
    """In a 480 × 300 frame the diagram got 120 px and its units were 10 px dots: the numbers box, the
    table's line and a four-line caption under it took the rest, and at 320 × 240 the caption was cut
    mid-word ("hidden layers o…"). The numbers and the summary now go beside it, in a column that scrolls."""
    inner = _framed(page, server, "/embed/network?epochs=40", width, height)
    inner.wait_for_selector(".embed-plot[data-rendered='1'] .diagram .node")
    box = lambda s: inner.evaluate(f"document.querySelector({s!r}).getBoundingClientRect().toJSON()")
    view, node, link = box(".diagram"), box(".diagram .node"), box(".embed-foot a")
    assert view["height"] >= 0.6 * height and node["width"] >= height / 20, (view, node)
    aside = box(".diagram-aside")
    # beside it the hint and the whole summary (the caption's words), nothing cut off in the footer
    assert view["right"] <= aside["left"] + 0.5 and aside["bottom"] <= link["top"] + 0.5, (view, aside)
    assert inner.evaluate("getComputedStyle(document.querySelector('.diagram-aside .note')).display") != "none"
    assert inner.text_content(".diagram-aside .note").startswith("ReLU: 2 inputs (x₁, x₂), hidden layers of 8, 8, 8 units, 1 output;")
    assert inner.evaluate("(() => { const s = document.querySelector('.embed-status'); return s.scrollHeight <= s.clientHeight + 1; })()")
    assert box(".diagram-table")["bottom"] <= link["top"] + 0.5 and link["bottom"] <= height + 0.5
    assert inner.evaluate("(() => { const p = document.querySelector('.embed-plot'); return p.scrollHeight <= p.clientHeight + 1; })()")
    # a unit's numbers in that column, each within it
    inner.hover(".diagram .node[data-col='1'][data-row='2']")
    inner.locator(".diagram-info").get_by_text("Layer 1, unit 3").wait_for()
    right = inner.evaluate("document.querySelector('.diagram-aside').getBoundingClientRect().right")
    for r in inner.evaluate("[...document.querySelectorAll('.diagram-info dd')].map((d) => d.getBoundingClientRect().right)"):
        assert r <= right + 0.5


def test_network_embed_in_a_large_frame_fills_it(page, server):
    """1200 × 800: the units stopped at the explorer's 36 px, so the diagram took the top ~390 px
    and left ~300 px blank above the caption. A large frame now gets larger units."""
    inner = _framed(page, server, "/embed/network?epochs=40", 1200, 800)
    inner.wait_for_selector(".embed-plot[data-rendered='1'] .diagram .node")
    box = lambda s: inner.evaluate(f"document.querySelector({s!r}).getBoundingClientRect().toJSON()")
    view, node, link = box(".diagram"), box(".diagram .node"), box(".embed-foot a")
    assert node["width"] >= 60 and view["height"] >= 0.7 * 800, (view, node)
    assert link["bottom"] <= 800 + 0.5 and box(".diagram-table")["bottom"] <= link["top"] + 0.5

def test_too_large_training_embed_says_so_without_a_run_button(page, server):
    page.goto(f"{server}/embed/loss?act=relu&epochs=5000&n_points=2000&width=32&depth=6")
    page.wait_for_selector("body[data-ready='1']")
    assert not page.is_visible("#embed-run")
    text = page.text_content(".embed-run p")
    assert "too large to train here" in text and "epochs fit" in text and "/api/meta" not in text and "field:" not in text, text


@pytest.mark.parametrize("src", [
    "/embed/gradient-flow?act=sigmoid,relu&epochs=100",
    "/embed/sweep-curves?act=relu,elu,tanh&values=0.01,0.1,1&epochs=40",
    "/embed/boundary?act=relu,elu,tanh&epochs=40",
])
@pytest.mark.parametrize("width,height", [(400, 300), (320, 480)])
def test_multi_panel_embeds_in_a_narrow_frame_stack_their_panels(page, server, src, width, height):
    """Side by side at 400 px or less the panels' titles ran together and their ticks collided."""
    inner = _framed(page, server, src, width, height)
    inner.wait_for_selector(".embed-plot[data-rendered='1']")
    titles = inner.evaluate("""() => [...document.querySelectorAll('.embed-plot .annotation')]
        .map((a) => a.getBoundingClientRect().toJSON()).filter((r) => r.width > 0)""")
    for i, a in enumerate(titles):
        for b in titles[i + 1:]:
            assert a["bottom"] <= b["top"] + 1 or b["bottom"] <= a["top"] + 1 or a["right"] <= b["left"] + 1 or b["right"] <= a["left"] + 1, (a, b)
    panels = inner.evaluate("() => [...document.querySelectorAll('.embed-plot .nsewdrag')].map((d) => d.getBoundingClientRect().toJSON())")
    assert len({round(p["left"]) for p in panels}) == 1 and min(p["width"] for p in panels) >= 140, panels  # one above the other
    link = inner.evaluate("document.querySelector('.embed-foot a').getBoundingClientRect().toJSON()")
    assert link["bottom"] <= height + 0.5


@pytest.mark.parametrize("src,rows,least", [("/embed/boundary?mode=compare&act=relu,tanh,elu&epochs=40", [2, 1], 250),
                                             ("/embed/gradient-flow?act=relu,tanh,elu&epochs=40", [3], 120)])
def test_three_panels_in_the_embed_dialogs_720_by_480_frame_sit_side_by_side(page, server, src, rows, least):
    """The dialog's own snippet (720 × 480) stacked three maps in a scroll box: one and a half maps
    showed, the colour scale out of view. Too short for the stack, the frame keeps them side by side;
    maps of a fixed aspect go two to a row, larger (in one row they were 170 × 85 px over ~230 px
    left blank)."""
    inner = _framed(page, server, src, 720, 480)
    inner.wait_for_selector(".embed-plot[data-rendered='1']")
    panels = inner.evaluate("() => [...document.querySelectorAll('.embed-plot .nsewdrag')].map((d) => d.getBoundingClientRect().toJSON())")
    tops = sorted({round(p["top"]) for p in panels})
    assert len(panels) == 3 and [sum(round(p["top"]) == t for p in panels) for t in tops] == rows, panels
    assert min(p["width"] for p in panels) >= least, panels
    assert max(p["bottom"] for p in panels) <= 480 and inner.evaluate("document.documentElement.scrollHeight") <= 480 + 1
    bar = inner.evaluate("(() => { const b = document.querySelector('.embed-plot .colorbar'); return b && b.getBoundingClientRect().toJSON(); })()")
    assert bar and bar["bottom"] <= 480 and bar["right"] <= 720 + 0.5, bar
    shot(page, f"embed-three-panels-720x480-{src.split('?')[0].rsplit('/', 1)[1]}")


def test_phone_wide_boundary_embed_uses_the_width(page, server):
    """At 320 px the map was ~155 × 80 beside a colour bar, whatever the frame's height."""
    inner = _framed(page, server, "/embed/boundary?act=relu&epochs=40", 320, 700)
    inner.wait_for_selector(".embed-plot[data-rendered='1']")
    drag = inner.evaluate("document.querySelector('.nsewdrag').getBoundingClientRect().toJSON()")
    assert drag["width"] >= 0.6 * 320, drag


@pytest.mark.parametrize("src,says", [
    ("/embed/hermite?th=bogus", "bogus"),
    ("/embed/kernel?th=bogus,relu", "bogus"),
    ("/embed/init-depth?th=relu&th_depth=999", "th_depth"),
    ("/embed/phase?th=tanh&sigma_w2=99", "sigma_w2"),
])
def test_theory_embeds_say_what_they_corrected(page, server, src, says):
    page.goto(server + src)
    page.wait_for_selector(".embed-plot[data-rendered='1']")
    assert page.is_visible(".embed-notice") and says in page.text_content(".embed-notice")
    assert "activation menu" not in page.text_content(".embed-notice")  # no menu without controls=1


@pytest.mark.parametrize("src,says,runs", [
    ("/embed/network?widths=999,999&epochs=20", 'widths="999" is out of range (allowed 1 to 64): using 64.', "widths=64,64"),
    ("/embed/loss?features=x1,foo&epochs=20", 'features: "foo" is not one of x1, x2, x1_sq, x2_sq, x1x2, sin_x1, sin_x2: left out.', "features=x1"),
    ("/embed/sweep?act=relu&values=0.1,0.5&optimizer=adam&sweep=momentum&epochs=20",
     'optimizer="adam": a momentum sweep needs SGD (Adam reads no momentum): using sgd.', "optimizer=sgd"),
])
def test_training_embeds_correct_their_link_as_the_explorer_does(page, server, src, says, runs):
    """widths=999,999 was kept as written: the embed offered a Run that failed with "widths.0 must be
    in [1, 64] … (see Widths per layer)", a control it does not have; a momentum sweep with Adam, a
    Run refused with needs_sgd (the explorer corrects both). The embed now corrects the link, says
    so, and trains what it says (the link it opens carries the corrected settings)."""
    page.goto(server + src)
    page.wait_for_selector("body[data-ready='1']", timeout=60_000)
    assert page.is_visible(".embed-notice") and says in page.text_content(".embed-notice"), page.text_content(".embed-notice")
    if page.is_visible("#embed-run"):
        page.click("#embed-run")
    page.wait_for_selector(".embed-plot[data-rendered='1']", timeout=60_000)
    assert not page.locator(".embed-status.error").count(), page.text_content(".embed-status")
    assert runs in page.evaluate("decodeURIComponent(document.querySelector('.embed-foot a').href)")

@pytest.mark.parametrize("query,shown", [("", False), ("&modebar=1", True)])
def test_on_a_phone_the_toolbar_stays_off_the_legend(browser, server, query, shown):
    """On a touch screen Plotly shows its toolbar always (no hover), and in the Embed dialog's
    snippet at 370 × 480 its icons covered the legend's "Leaky ReLU" and "ELU". It is left out
    there unless the link asks for it."""
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = ctx.new_page()
    try:
        page.set_content(f'<iframe id="f" src="{server}/embed/function?fn=relu,leaky_relu(leak=0.1),elu(alpha=0.5){query}" width="370" height="480" style="border:0"></iframe>')
        page.frame_locator("#f").locator(".embed-plot[data-rendered='1']").wait_for(timeout=60_000)
        inner = next(f for f in page.frames if f.url.startswith(server))
        bar = inner.evaluate("() => { const m = document.querySelector('.modebar'); return m ? m.getBoundingClientRect().toJSON() : null; }")
        assert (bar is not None and bar["width"] > 0) == shown, bar
    finally:
        ctx.close()

def test_phase_point_beyond_the_plane_is_on_the_axis(page, server):
    page.goto(f"{server}/embed/phase?th=tanh&sigma_w2=9")
    page.wait_for_selector(".embed-plot[data-rendered='1']")
    lo, hi = page.evaluate("document.querySelector('.embed-plot')._fullLayout.xaxis.range")
    assert lo <= 9 <= hi


def test_sweep_of_one_repeated_value_is_centred_on_it(page, server):
    page.goto(f"{server}/embed/sweep?act=relu&values=0.1,0.1,0.1&epochs=20")
    page.wait_for_selector(".embed-plot[data-rendered='1']")
    lo, hi = page.evaluate("document.querySelector('.embed-plot')._fullLayout.xaxis.range")
    assert 0 < lo < 0.1 < hi < 0.2, (lo, hi)



@pytest.mark.parametrize(
    "src, says",
    [
        ("/embed/loss?act=[exp(x)]&epochs=20", "Nothing to plot:<br>The network diverged at epoch 0."),
        ("/embed/gradient-flow?act=[exp(x)]&epochs=20", "Nothing to plot:<br>The network diverged at epoch 0."),
        ("/embed/sweep?act=squared_relu&values=0.01,1,10&optimizer=sgd&depth=6&epochs=20&metric=final_loss", "Nothing to plot:<br>Every network diverged at epoch 1."),
        ("/embed/sweep-curves?act=relu,[exp(x)]&values=0.01,0.1&epochs=20", "Nothing to plot:<br>every network diverged at epoch 0."),
    ],
)
def test_an_embed_of_networks_that_diverged_says_so(page, server, src, says):
    """The explorer's panels said "Nothing to plot" for a run that left nothing finite; its embeds
    drew empty axes."""
    page.goto(f"{server}{src}")
    page.wait_for_selector(".embed-plot[data-rendered='1']", timeout=60_000)
    said = page.evaluate("() => (document.querySelector('.embed-plot').layout.annotations || []).map((a) => a.text)")
    assert says in said, said
    if "/sweep?" not in src and "sweep-curves" not in src:
        until(page, "!document.querySelector('.embed-status').textContent.includes('Computing')")  # (the gradient plots' theory comes after)
        assert page.text_content(".embed-status") == "The network diverged at epoch 0: no values from then on."
    assert page.watch.errors == [], page.watch.errors

# ----------------------------------------------------------------------------- a 320 px frame
#
# Where each part of the plot lies (its box on screen), read once the plot holds still (an embed
# redraws when its box settles and when its width changes).

_GEOMETRY = """() => {
  const box = (e) => { if (!e) return null; const r = e.getBoundingClientRect();
    return {left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width, height: r.height}; };
  const plot = document.querySelector('.embed-plot');
  const texts = [...plot.querySelectorAll('text')];
  return {
    frame: {left: 0, top: 0, right: innerWidth, bottom: innerHeight},
    svg: box(plot.querySelector('.main-svg')),
    legend: box(plot.querySelector('.legend')),
    xtitles: texts.filter((t) => /^x\\d*title$/.test(t.getAttribute('class'))).map(box).filter((b) => b.width > 0),
    panels: [...plot.querySelectorAll('.nsewdrag')].map(box),
    bar: box(plot.querySelector('.colorbar .cbfill')),
    barTexts: [...plot.querySelectorAll('.colorbar text')].map(box).filter((b) => b.width > 0),
    labels: Object.fromEntries([...plot.querySelectorAll('.annotation')].map((a) => [a.textContent, box(a)])),
  };
}"""


def _embed_geometry(page, server, src, how, width, height):
    """The embed at `src` as a top-level page of that viewport ("page") or in an iframe of that
    size in a host page ("framed"): the boxes of its plot's parts, in the embed's own coordinates."""
    if how == "page":
        page.set_viewport_size({"width": width, "height": height})
        page.goto(server + src)
        doc = page
    else:
        page.set_viewport_size({"width": width + 80, "height": height + 80})
        page.set_content(f'<iframe id="f" src="{server}{src}" width="{width}" height="{height}" style="border:0"></iframe>')
        page.frame_locator("#f").locator("body").wait_for()
        doc = next(f for f in page.frames if f.url.startswith(server))
    doc.wait_for_selector("body[data-ready='1']", timeout=60_000)
    doc.wait_for_selector(".embed-plot[data-rendered='1'] .main-svg", timeout=60_000)
    doc.wait_for_function("() => !/^(Computing|Training)/.test(document.querySelector('.embed-status').textContent)", timeout=60_000)
    return held_still(doc, _GEOMETRY)


def _inside(inner, outer, slack=0.5):
    return inner["left"] >= outer["left"] - slack and inner["right"] <= outer["right"] + slack and inner["top"] >= outer["top"] - slack and inner["bottom"] <= outer["bottom"] + slack


def _apart(a, b, slack=0.5):
    return a["right"] <= b["left"] + slack or b["right"] <= a["left"] + slack or a["bottom"] <= b["top"] + slack or b["bottom"] <= a["top"] + slack


NARROW = [("framed", 320, 480), ("framed", 320, 568), ("page", 320, 568)]


@pytest.mark.parametrize("how,width,height", NARROW)
def test_phase_embed_at_320_px_keeps_its_axis_title_whole_and_its_phases_names_apart(page, server, how, width, height):
    """At 320 px the colour bar beside the plane left it ~115 px wide: "ordered" and "chaotic"
    were written over each other (and "chaotic" over the bar), and the x axis' title, centred on
    the plane, ran past the frame's left edge. The bar now lies under the plane."""
    g = _embed_geometry(page, server, "/embed/phase?th=tanh", how, width, height)
    shot(page, f"embed-phase-{how}-{width}x{height}")
    (plane,) = g["panels"]
    assert g["xtitles"] and all(_inside(t, g["frame"]) and _inside(t, g["svg"]) for t in g["xtitles"]), g
    ordered, chaotic = g["labels"]["ordered"], g["labels"]["chaotic"]
    assert _apart(ordered, chaotic), (ordered, chaotic)
    for name in (ordered, chaotic):
        assert plane["left"] - 1 <= name["left"] and name["right"] <= plane["right"] + 1, (name, plane)
    # the bar, its ticks and title clear of the axis title, the names and the legend; all in the frame
    for part in [g["bar"], *g["barTexts"]]:
        assert _inside(part, g["frame"]) and all(_apart(part, other) for other in [*g["xtitles"], ordered, chaotic, g["legend"], plane]), (part, g)
    assert _inside(g["legend"], g["frame"]) and _inside(g["legend"], g["svg"]), g


@pytest.mark.parametrize("src", ["/embed/prelu?act=prelu&epochs=100", "/embed/init-depth?th=tanh"])
@pytest.mark.parametrize("how,width,height", [NARROW[0], NARROW[2]])
def test_a_long_legend_wraps_inside_a_320_px_embed(page, server, src, how, width, height):
    """"Parametric ReLU (PReLU) layer 1 (input side)" and "median of 32 random networks (band:
    10–90 %)" ran past the frame's right edge and were cut off: an entry too long for the
    frame's width now takes two lines."""
    g = _embed_geometry(page, server, src, how, width, height)
    shot(page, f"embed-{src.split('?')[0].rsplit('/', 1)[1]}-{how}-{width}x{height}")
    legend = g["legend"]
    assert legend and _inside(legend, g["frame"]) and _inside(legend, g["svg"]), (legend, g["frame"], g["svg"])
    assert all(_apart(legend, p) for p in g["panels"]), (legend, g["panels"])


@pytest.mark.parametrize("how,width,height", [("framed", 320, 568), ("page", 320, 568), ("framed", 390, 844)])
def test_stacked_gradient_flow_keeps_its_colour_bar_to_a_panels_size(page, server, how, width, height):
    """Stacked in a narrow frame, the panels kept the colour bar beside them, as tall as all of
    them and the gap between; it now stands beside the first one, as tall as it."""
    g = _embed_geometry(page, server, "/embed/gradient-flow?act=sigmoid,relu&epochs=100", how, width, height)
    shot(page, f"embed-gradient-flow-stacked-{how}-{width}x{height}")
    panels, bar = g["panels"], g["bar"]
    assert len(panels) == 2 and abs(panels[0]["left"] - panels[1]["left"]) < 1, panels  # one above the other
    assert bar["height"] <= min(p["height"] for p in panels) and bar["width"] <= max(p["width"] for p in panels) + 1, (bar, panels)
    for part in [bar, *g["barTexts"]]:
        assert _inside(part, g["svg"]) and part["right"] <= width + 0.5 and part["left"] >= -0.5, (part, g["svg"])
        assert all(_apart(part, other) for other in [*panels, *g["xtitles"]]), (part, panels, g["xtitles"])


def test_phase_embed_laid_out_anew_for_a_wider_frame_still_takes_a_click(page, server):
    """A frame that widens past the narrow layout gets the figure drawn afresh (its colour bar
    beside the plane again), and a click on the plane still moves the point."""
    page.set_viewport_size({"width": 320, "height": 568})
    page.goto(f"{server}/embed/phase?th=tanh")
    page.wait_for_selector(".embed-plot[data-rendered='1']")
    bar = "document.querySelector('.embed-plot')._fullData[0].colorbar.orientation"
    until(page, f"{bar} === 'h'")
    page.set_viewport_size({"width": 720, "height": 480})
    until(page, f"{bar} === 'v'")
    page.wait_for_timeout(300)  # (the redraw waits for the resizing to settle)
    box = page.locator(".embed-plot .nsewdrag").first.bounding_box()
    page.mouse.click(box["x"] + 0.8 * box["width"], box["y"] + 0.3 * box["height"])
    until(page, "document.querySelector('.embed-foot a').href.includes('init=custom')")


@pytest.mark.parametrize("src", ["/embed/function?fn=relu,elu,gelu", "/embed/loss?act=relu,elu,gelu&epochs=50"])
@pytest.mark.parametrize("width,height", [(300, 200), (400, 240)])
def test_a_short_frame_keeps_the_legend_off_the_plot(page, server, src, width, height):
    """In a 300 × 200 frame the three curves' legend (with its shaded regions' keys) took six rows,
    over the plot; the loss legend scrolled inside a box over it. The legend now sits above the
    plot in smaller type, the regions' keys left out (their shading stays)."""
    g = _embed_geometry(page, server, src, "framed", width, height)
    shot(page, f"embed-short-{src.split('?')[0].rsplit('/', 1)[1]}-{width}x{height}")
    legend = g["legend"]
    assert legend and _inside(legend, g["frame"]), (legend, g["frame"])
    assert all(_apart(legend, p) for p in g["panels"]), (legend, g["panels"])
    doc = next(f for f in page.frames if f.url.startswith(server))
    names = doc.evaluate("() => [...document.querySelectorAll('.embed-plot .legend .traces')].map((t) => t.textContent)")
    assert all(n in names for n in ("ReLU", "ELU", "GELU")), names
    assert not doc.evaluate("() => { const b = document.querySelector('.embed-plot .legend .scrollbar'); return !!b && b.getBoundingClientRect().height > 0; }")


@pytest.mark.parametrize("act,width,height", [("relu,tanh", 640, 400), ("relu,tanh,elu", 800, 400)])
def test_side_by_side_maps_in_a_tall_frame_keep_bar_and_legend_beside_them(page, server, act, width, height):
    """Decision boundaries side by side keep their aspect, so a frame taller than they are left them
    in its upper half: the colour bar still ran the plot's whole height, and the legend sat at its
    bottom, far under the maps. Both now follow the maps."""
    g = _embed_geometry(page, server, f"/embed/boundary?act={act}", "framed", width, height)
    shot(page, f"embed-boundary-side-by-side-{width}x{height}")
    panels, bar, legend = g["panels"], g["bar"], g["legend"]
    assert len(panels) == len(act.split(",")) and max(p["bottom"] for p in panels) < 0.75 * height, panels  # (side by side, shorter than the frame)
    top, bottom = min(p["top"] for p in panels), max(p["bottom"] for p in panels)
    assert abs(bar["top"] - top) <= 3 and abs(bar["bottom"] - bottom) <= 3, (bar, top, bottom)
    assert bottom <= legend["top"] <= bottom + 60, (legend, bottom)


_YTITLES = """() => [...document.querySelectorAll('.embed-plot text')].filter((t) => /^y\\d*title$/.test(t.getAttribute('class')))
  .map((t) => { const r = t.getBoundingClientRect(); return {text: t.textContent, left: r.left, right: r.right, top: r.top, bottom: r.bottom}; })"""


def _assert_clear(g, doc, min_panel):
    """Panels at least `min_panel` px tall; the legend, the colour bar's texts and the axis titles
    inside the frame, apart from the panels and from each other."""
    assert all(p["height"] >= min_panel for p in g["panels"]), g["panels"]
    legend, ytitles = g["legend"], doc.evaluate(_YTITLES)
    assert all(_inside(t, g["frame"]) for t in [*ytitles, *g["xtitles"]]), (ytitles, g["xtitles"])
    assert all(_apart(a, b) for i, a in enumerate(ytitles) for b in ytitles[i + 1:]), ytitles
    if legend:
        assert _inside(legend, g["frame"]), (legend, g["frame"])
        assert all(_apart(legend, o) for o in [*g["panels"], *g["barTexts"], *g["xtitles"]]), (legend, g)


@pytest.mark.parametrize("th,width,height,min_panel", [("tanh", 320, 300, 120), ("relu", 300, 200, 50)])
def test_phase_embed_in_a_short_narrow_frame_keeps_the_plane(page, server, th, width, height, min_panel):
    """320 × 300: the colour bar and the legend under the plane left it ~30 px tall (≈ 5 px at
    300 × 200), its y title cut, the legend on the bar's title. The bar now goes beside the plane."""
    g = _embed_geometry(page, server, f"/embed/phase?th={th}", "framed", width, height)
    shot(page, f"embed-phase-short-{width}x{height}")
    doc = next(f for f in page.frames if f.url.startswith(server))
    _assert_clear(g, doc, min_panel)
    assert all(_apart(t, p) for t in g["barTexts"] for p in g["panels"]), g


def test_phase_embed_resized_to_a_short_narrow_frame_keeps_the_plane(page, server):
    """A 640 × 400 frame with controls, narrowed to 320 × 300, had the same ~30 px plane."""
    page.set_viewport_size({"width": 720, "height": 480})
    page.set_content(f'<iframe id="f" src="{server}/embed/phase?th=tanh&controls=1" width="640" height="400" style="border:0"></iframe>')
    page.frame_locator("#f").locator(".embed-plot[data-rendered='1'] .main-svg").first.wait_for(timeout=60_000)
    page.evaluate("() => { const f = document.querySelector('#f'); f.width = 320; f.height = 300; }")
    page.wait_for_timeout(1500)  # (the redraw waits for the resizing to settle)
    doc = next(f for f in page.frames if f.url.startswith(server))
    until(doc, "document.querySelector('.embed-plot')._fullData[0].colorbar.orientation === 'v'")
    page.wait_for_timeout(500)
    g = doc.evaluate(_GEOMETRY)
    shot(page, "embed-phase-resized-320x300")
    _assert_clear(g, doc, 110)


_SCROLLBAR = "() => { const b = document.querySelector('.embed-plot .legend .scrollbar'); return !!b && b.getBoundingClientRect().height > 0; }"
_XTICKS = "() => [...document.querySelectorAll('.embed-plot .xtick text')].map((t) => t.getBoundingClientRect().toJSON()).filter((b) => b.width > 0)"


@pytest.mark.parametrize("width,height", [(300, 200), (400, 240)])
def test_a_short_boundary_embed_keeps_its_legend_under_the_tick_labels(page, server, width, height):
    """300 × 200: the four entries "class 0 (train)" … were drawn over the x tick labels, with a
    legend scrollbar. The legend now names the classes and the two marker shapes, under the ticks."""
    g = _embed_geometry(page, server, "/embed/boundary?act=relu", "framed", width, height)
    shot(page, f"embed-boundary-short-{width}x{height}")
    doc = next(f for f in page.frames if f.url.startswith(server))
    _assert_clear(g, doc, 60)
    assert all(_apart(g["legend"], t) for t in doc.evaluate(_XTICKS)), (g["legend"], doc.evaluate(_XTICKS))
    assert not doc.evaluate(_SCROLLBAR)


@pytest.mark.parametrize("src,name", [("/embed/function?fn=relu", "ReLU"), ("/embed/function?fn=elu(alpha=0.5)&title=ELU", "ELU (alpha=0.5)")])
def test_one_function_in_a_short_frame_keeps_both_panels_and_its_name(page, server, src, name):
    """300 × 200, one curve: the f′ panel was ~20 px, its title "f′(x)" printed on "f(x)", and the
    legend said "ELU (alpha=…", hiding the value."""
    g = _embed_geometry(page, server, src, "framed", 300, 200)
    shot(page, f"embed-function-one-short-{name.split()[0]}")
    doc = next(f for f in page.frames if f.url.startswith(server))
    _assert_clear(g, doc, 40)
    assert len(g["panels"]) == 2 and {t["text"] for t in doc.evaluate(_YTITLES)} == {"f(x)", "f′(x)"}
    names = doc.evaluate("() => [...document.querySelectorAll('.embed-plot .legend .traces')].map((t) => t.textContent)")
    assert name in names, names


def test_init_depth_embed_in_a_short_narrow_frame_keeps_the_plot(page, server):
    """320 × 300: five legend rows took ~60 % of the frame and left the plot ~50 px. The legend
    now drops the line-style keys and the names' last details in parentheses: two rows."""
    g = _embed_geometry(page, server, "/embed/init-depth?th=relu", "framed", 320, 300)
    shot(page, "embed-init-depth-short-320x300")
    doc = next(f for f in page.frames if f.url.startswith(server))
    _assert_clear(g, doc, 120)
    assert g["legend"]["height"] <= 0.2 * 300, g["legend"]


def test_the_settings_of_a_short_frame_take_the_keyboard_in_and_give_it_back(page, server):
    """Settings (a frame too short for its controls) opened with the keyboard: focus goes to the
    first control (the controls came after Close settings in Tab order, only Shift+Tab reached
    them); Escape closes them and gives focus back to Settings (it fell to the page's start)."""
    inner = _framed(page, server, "/embed/function?fn=leaky_relu(leak=0.2)&controls=1", 320, 240)
    focused = "() => { const a = document.activeElement; return a.closest('form') ? 'form ' + a.tagName : a.className + ' ' + a.textContent; }"
    inner.focus(".embed-settings")
    inner.press(".embed-settings", "Enter")
    assert inner.evaluate("document.querySelector('.embed-root').classList.contains('settings-open')")
    assert inner.evaluate(focused) == "form SELECT"
    page.keyboard.press("Escape")
    assert not inner.evaluate("document.querySelector('.embed-root').classList.contains('settings-open')")
    assert inner.evaluate(focused) == "embed-settings Settings"


# ----------------------------------------------------------------------------- the frame's height
#
# A figure is laid out for the plot's height (a short frame's smaller legend, fewer keys, no x
# title); it was laid out for the height at its first drawing only, and again only when the width
# changed. Here the height changes: controls collapsed behind Settings, the host's script sizing the
# frame to the content, a host resizing the frame.

# the figure's height-dependent decisions as drawn: legend type, its keys, the x axis' title
_LAID_OUT = """() => { const p = document.querySelector('.embed-plot');
  return { font: p._fullLayout.legend.font.size, keys: [...p.querySelectorAll('.legend .legendtext')].map((t) => t.textContent),
    xtitle: [...p.querySelectorAll('.g-xtitle, .g-x2title')].map((t) => t.textContent).join('') }; }"""


def test_init_depth_in_the_dialogs_frame_keeps_the_keys_of_its_band_and_dashed_lines(page, server):
    """720 × 480 is the Embed dialog's frame, not a short one: its legend dropped the keys
    "median of 32 random networks (band: 10–90 %)" and "mean-field prediction", so the grey
    band and the dashed lines went unexplained. Smaller type alone makes the legend fit."""
    g = _embed_geometry(page, server, "/embed/init-depth", "framed", 720, 480)
    doc = next(f for f in page.frames if f.url.startswith(server))
    keys = doc.evaluate(_LAID_OUT)["keys"]
    assert "median of 32 random networks (band: 10–90 %)" in keys and "mean-field prediction" in keys and len(keys) == 6, keys
    assert _inside(g["legend"], g["frame"]) and all(_apart(g["legend"], p) for p in g["panels"]), g
    assert g["legend"]["height"] <= 0.22 * 480, g["legend"]


# README's auto-height script, as an author pastes it; and how many heights the embed has posted
_AUTO_HEIGHT = """<script>
  window.posted = 0;
  window.addEventListener("message", (e) => {
    if (!e.data || e.data.type !== "actlab:embed-height") return;
    window.posted += 1;
    for (const f of document.querySelectorAll("iframe"))
      if (f.contentWindow === e.source) f.style.height = e.data.height + "px";
  });
</script>"""

_SLIDERS = "/embed/function?fn=leaky_relu(leak=0.2),elu(alpha=0.5),[x*sigmoid(b*x)]&controls=1"  # the Embed dialog's snippet


def _auto_framed(page, server, src, width, height):
    """The embed in a host page with README's auto-height script, the frame `width` × `height` as
    pasted: its frame once the frame is as tall as the embed last asked. Its drawings are counted
    (window.drawings)."""
    page.add_init_script("window.drawings = 0; document.addEventListener('actlab:drawn', () => { window.drawings += 1; }, true);")
    page.set_viewport_size({"width": max(900, width + 40), "height": 900})
    page.set_content(f'<iframe id="f" src="{server}{src}" width="{width}" height="{height}" style="border:0"></iframe>{_AUTO_HEIGHT}')
    page.frame_locator("#f").locator("body[data-ready='1']").wait_for(timeout=60000)
    inner = next(f for f in page.frames if f.url.startswith(server))
    inner.wait_for_function("() => !/^(Computing|Training)/.test(document.querySelector('.embed-status').textContent)", timeout=60000)
    until(inner, "document.body.dataset.contentHeight && Math.abs(innerHeight - Number(document.body.dataset.contentHeight)) <= 1")
    return inner


def _assert_settled(page, inner):
    """No drawing loop: the embed stops drawing and posting heights (1.5 s with neither: what a
    loop would fill with a redraw and a new height) after a few of each. (The frame may grow in
    steps, each posted once the last one's layout is measured; a loop goes past the counts.)"""
    read = lambda: (inner.evaluate("window.drawings"), page.evaluate("window.posted"))
    last, quiet = read(), 0
    while quiet < 6 and last[0] <= 3 and last[1] <= 8:
        page.wait_for_timeout(250)
        now = read()
        quiet = quiet + 1 if now == last else 0
        last = now
    assert last[0] <= 3 and last[1] <= 8, ("still drawing or posting heights", last)


def test_the_dialogs_snippet_with_sliders_is_laid_out_for_the_plot_it_gets(page, server):
    """720 × 480 with sliders: the plot was drawn while the sliders still took the frame, and kept
    that tiny plot's layout once they went behind Settings and it had 444 px: 10 px legend, the
    saturated region's key left out, no "x" under the axis. It is laid out again for its height."""
    inner = _framed(page, server, _SLIDERS, 720, 480)
    assert inner.evaluate("document.querySelector('.embed-root').classList.contains('compact')")
    settles(inner, f"() => ({_LAID_OUT})().font === 13")
    got = inner.evaluate(_LAID_OUT)
    assert got["font"] == 13 and got["xtitle"] == "x", got
    assert "ELU (alpha=0.5): |f′| < 0.01 (saturated)" in got["keys"] and len(got["keys"]) == 4, got


def test_the_snippet_with_sliders_in_an_auto_height_frame_is_laid_out_for_its_height_and_settles(page, server):
    """The same snippet with README's auto-height script: the frame grew to 827 px, the plot kept the
    short layout of its first drawing. Laid out again for its height, it then draws no more."""
    inner = _auto_framed(page, server, _SLIDERS, 720, 480)
    settles(inner, f"() => ({_LAID_OUT})().font === 13")
    got = inner.evaluate(_LAID_OUT)
    assert got["font"] == 13 and got["xtitle"] == "x" and len(got["keys"]) == 4, got
    assert not inner.evaluate("document.querySelector('.embed-root').classList.contains('compact')")  # (sliders inline)
    _assert_settled(page, inner)


@pytest.mark.parametrize("heights", [(600, 260), (260, 600)], ids=["shrunk", "grown"])
def test_a_frame_whose_height_alone_changes_is_laid_out_as_a_fresh_load_at_that_height(page, server, heights):
    """720 × 600 → 260 kept the 13 px two-row legend in a 229 px figure (f′ ~60 px); 260 → 600 kept
    the short frame's layout, with no x title, in 569 px."""
    src = "/embed/function?fn=leaky_relu(leak=0.2),elu(alpha=0.5),[x*sigmoid(b*x)]"
    first, then = heights
    fresh = _framed(page, server, src, 720, then).evaluate(_LAID_OUT)
    inner = _framed(page, server, src, 720, first)
    assert inner.evaluate(_LAID_OUT) != fresh  # (the two sizes are laid out differently)
    page.evaluate(f"document.getElementById('f').height = '{then}'")
    settles(inner, f"() => JSON.stringify(({_LAID_OUT})()) === {json.dumps(json.dumps(fresh, ensure_ascii=False))}")
    assert inner.evaluate(_LAID_OUT) == fresh


def test_a_narrow_auto_height_frame_makes_room_for_the_sliders_inline(page, server):
    """300 × 200 with sliders and the auto-height script: the height posted measured the caption cut
    to one line, so the frame grew (622 px) but not enough for the sliders, which stayed behind
    Settings, while the phase plane was stretched into a 573 px strip and the caption stayed cut.
    The frame now gets what the content needs: sliders inline, the whole caption, the plot at
    its preferred height."""
    inner = _auto_framed(page, server, "/embed/phase?mode=compare&act=relu,leaky_relu(leak=0.2),elu(alpha=0.5)&controls=1", 300, 200)
    state = """() => { const r = document.querySelector('.embed-root'), s = document.querySelector('.embed-status');
      const box = (q) => document.querySelector(q).getBoundingClientRect().toJSON();
      return { classes: r.className, settings: !document.querySelector('.embed-settings').hidden, captionCut: s.scrollHeight > s.clientHeight + 1,
        overflow: r.scrollHeight - r.clientHeight, plot: box('.embed-plot'), plane: box('.embed-plot .nsewdrag'), form: box('.embed-controls'),
        link: box('.embed-foot a'), frame: innerHeight }; }"""
    settles(inner, "() => !document.querySelector('.embed-root').classList.contains('compact')")
    _assert_settled(page, inner)
    s = inner.evaluate(state)
    assert s["classes"] == "embed-root" and not s["settings"] and not s["captionCut"], s
    assert s["form"]["height"] > 100 and s["plot"]["bottom"] <= s["form"]["top"] + 0.5, s  # the sliders under the plot
    assert s["overflow"] <= 1 and s["link"]["bottom"] <= s["frame"] + 0.5, s
    assert 280 <= s["plot"]["height"] <= 460 + 60 and s["plane"]["height"] <= 1.5 * s["plane"]["width"], s  # (not a strip)
