"""A new user's findings of issue 16, each as a user meets it in the browser: the mode bar
offers nothing that leaves the site, the newest Train click wins and a busy server is asked
again after a visible countdown, compare mode draws full-size plots, the f′ axis shows 0,
embeds size their frame to their content and say what they could not show, failed runs say
the plots are older, and number boxes show the value exactly."""

from __future__ import annotations

import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from .conftest import ROOT, PageWatch, free_port, shot, start_server

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
# Actions a mode-bar button may perform (Plotly's names): all of them stay on this page.
LOCAL_BUTTONS = {"toImage", "zoom2d", "pan2d", "zoomIn2d", "zoomOut2d", "autoScale2d", "resetScale2d", "hoverClosestCartesian",
                 "hoverCompareCartesian", "toggleSpikelines", "resetViews", "toggleHover", "resetCameraDefault3d"}


def rendered(page, selector: str, timeout: int = 60_000) -> None:
    page.locator(f"{selector}[data-rendered='1'] .main-svg").first.wait_for(timeout=timeout)


def wait_trained(page, timeout: int = 90_000) -> None:
    page.wait_for_function("() => /^Trained/.test(document.querySelector('#train-status').textContent)", timeout=timeout)


# ----------------------------------------------------------------------------- the mode bar


MODEBAR_PAGES = [
    ("/?fn=relu,elu", '[data-panel="function"] .plot'),
    ("/?view=network&epochs=30", '[data-panel="loss"] .plot'),
    ("/lessons/sparse-activation", ".panel .plot"),
    ("/embed/function?fn=elu", ".embed-plot"),
    ("/embed/loss?act=relu&epochs=30", ".embed-plot"),
]


@pytest.mark.parametrize("path, plot", MODEBAR_PAGES, ids=[p for p, _ in MODEBAR_PAGES])
def test_no_mode_bar_button_leaves_the_origin(context, server, path, plot):
    """Every button of Plotly's mode bar, on every kind of page, is pressed: none opens
    another page, offers to upload the chart, or sends a request elsewhere."""
    page = context.new_page()
    page.set_viewport_size(DESKTOP)
    watch = PageWatch(page, server)
    popups: list = []
    page.on("popup", lambda p: popups.append(p.url))
    page.goto(server + path)
    rendered(page, plot)
    target = page.locator(f"{plot}[data-rendered='1']").first
    target.hover()
    bar = target.locator(".modebar")
    bar.wait_for(state="attached")
    buttons = bar.locator(".modebar-btn")
    assert buttons.count() > 0
    names = [buttons.nth(i).get_attribute("data-title") or "" for i in range(buttons.count())]
    attrs = [(buttons.nth(i).get_attribute("data-attr"), buttons.nth(i).get_attribute("data-val")) for i in range(buttons.count())]
    assert not [n for n in names if re.search(r"share|cloud|studio|plotly", n, re.I)], names
    links = bar.locator("a[href]")
    assert links.count() == 0 or all(not (links.nth(i).get_attribute("href") or "").startswith("http") for i in range(links.count()))
    ids = page.evaluate("(sel) => { const gd = document.querySelector(sel); return [...gd.querySelectorAll('.modebar-btn')].map(b => b.getAttribute('data-title')); }", plot)
    assert ids == names
    before = page.url
    for i in range(buttons.count()):
        if "download" in names[i].lower():
            with page.expect_download():
                target.hover()
                buttons.nth(i).click()
            continue
        target.hover()
        buttons.nth(i).click()
        page.wait_for_timeout(150)
        assert page.locator(".plotly-cloud-dialog-box").count() == 0, names[i]
    assert page.url == before and not popups
    assert not watch.foreign and not watch.errors, (watch.foreign, watch.errors)
    # and by name: only Plotly's local actions are on the bar
    known = page.evaluate("""(sel) => {
        const gd = document.querySelector(sel);
        const bar = gd._fullLayout && gd._fullLayout._modeBar;
        return bar ? bar.buttons.flat().map(b => typeof b === 'string' ? b : b.name) : [];
    }""", plot)
    assert known and set(known) <= LOCAL_BUTTONS, (known, attrs)
    if path == "/?fn=relu,elu":
        target.hover()
        shot(page, "modebar-function-view-1280")
    page.close()


# ----------------------------------------------------------------------------- Train, again and again


@pytest.fixture(scope="module")
def one_slot():
    """A server that trains one run at a time with nobody waiting: a second run is 503 at once
    (no result cache: a page asking again for a run it already has would be answered from it)."""
    port = free_port()
    proc = start_server(port, {"ACTLAB_TRAIN_WORKERS": "1", "ACTLAB_TRAIN_QUEUE": "0", "ACTLAB_TRAIN_TIMEOUT_S": "6", "ACTLAB_TRAIN_CACHE_BYTES": "0"})
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=10)


HEAVY = "/?view=network&epochs=4000&n_points=1200&width=24&auto=0"


def test_newest_train_click_wins(context, one_slot):
    """Clicking Train again and again on a heavy run: each click gives up the run before it
    (aborted, and the server stops computing it; a 503 meanwhile is waited out), and the
    last one trains — never a plot-less error."""
    page = context.new_page()
    page.set_viewport_size(DESKTOP)
    sent: list = []
    aborted: list = []
    page.on("request", lambda r: sent.append(r) if r.url.endswith("/api/train/stream") else None)
    page.on("requestfailed", lambda r: aborted.append(r) if r.url.endswith("/api/train/stream") else None)
    # (not until "load": the run starts without waiting for plotly.js, and may be over by then)
    page.goto(one_slot + HEAVY, wait_until="commit")
    page.wait_for_selector("body[data-ready='1']")
    page.wait_for_function("() => /^Epoch \\d+ of 4000/.test(document.querySelector('#train-status').textContent)", timeout=60_000)
    # Train again while it trains: the new request reaches the server before the slot of the
    # run given up is free (a 503), and is asked again; then four clicks 30 ms apart
    page.click("#train")
    wait_trained(page, timeout=120_000)
    page.click("#train")
    page.wait_for_function("() => /^Epoch \\d+ of 4000/.test(document.querySelector('#train-status').textContent)", timeout=60_000)
    rapid = len(sent) - 1  # the run training now, then what the four clicks send
    page.evaluate("() => new Promise(done => { let n = 0; const t = setInterval(() => { document.querySelector('#train').click(); if (++n === 4) { clearInterval(t); done(); } }, 30); })")
    wait_trained(page, timeout=120_000)
    page.wait_for_selector('[data-panel="loss"] .plot[data-rendered="1"] .main-svg')  # (drawn once plotly.js has run: a fresh server compresses it first)
    assert page.locator('[data-panel="loss"] .plot[data-rendered="1"] .main-svg').count() >= 1
    assert page.locator('[data-panel="boundary"] .plot[data-rendered="1"] .main-svg').count() >= 1
    assert sent[0] in aborted, "the first run was not given up"
    last = sent[-1].response()
    story = [(r.response().status if r.response() else None, r.failure) for r in sent]
    assert last is not None and last.status == 200, str(story)  # (Chromium may still call a finished stream aborted)
    assert sent[rapid] in aborted, str(story)
    for r in sent[rapid:-1]:  # every run the clicks replaced was given up or turned away
        assert r in aborted or (r.response() and r.response().status == 503), str(story)
    # the server computes nothing for the runs given up
    page.wait_for_timeout(1500)
    assert httpx.get(one_slot + "/readyz", timeout=5).json()["checks"]["training_pool"]["in_flight"] == 0
    shot(page, "train-clicked-five-times-1280")
    page.close()


def test_a_busy_server_is_asked_again_after_a_visible_countdown(context, one_slot):
    page = context.new_page()
    page.set_viewport_size(DESKTOP)
    page.goto(one_slot + "/?view=network&epochs=200&auto=0")
    page.wait_for_selector("body[data-ready='1']")
    wait_trained(page)
    # someone else's long run takes the only slot
    heavy = {"epochs": 5000, "n_points": 1500, "width": 16}  # within the budget, and longer than the server's 6 s limit
    other = threading.Thread(target=lambda: httpx.post(one_slot + "/api/train", json=heavy, timeout=60), daemon=True)
    other.start()
    deadline = time.monotonic() + 10
    while httpx.get(one_slot + "/readyz", timeout=5).status_code == 200 and time.monotonic() < deadline:
        time.sleep(0.05)
    page.click("#train")
    page.wait_for_function("() => /The server is busy — trying again in \\d+ s/.test(document.querySelector('#train-status').textContent)", timeout=20_000)
    shot(page, "train-busy-countdown-1280")
    seen = page.inner_text("#train-status")
    wait_trained(page, timeout=60_000)  # the other run ends (its time limit is 6 s), the retry trains
    assert "trying again" in seen, seen
    other.join(timeout=30)
    page.close()


# ----------------------------------------------------------------------------- compare mode, the f′ axis


def test_compare_mode_draws_full_size_plots_when_switched_into(page, server):
    page.set_viewport_size(DESKTOP)
    page.goto(f"{server}/?view=network&epochs=40")
    wait_trained(page)
    loss = '[data-panel="loss"] .plot'
    half = page.eval_on_selector(loss, "e => e.clientWidth")
    page.check('input[name="mode"][value="compare"]')
    page.wait_for_function("() => document.querySelector('#view-network').dataset.variants === '2'", timeout=60_000)
    wait_trained(page)
    page.wait_for_timeout(400)
    box, svg = page.eval_on_selector(loss, "e => [e.clientWidth, e.querySelector('.main-svg').getBoundingClientRect().width]")
    assert box > 1.6 * half, (half, box)  # the loss plot spans the grid in compare mode
    assert abs(svg - box) <= 2, (svg, box)  # and Plotly drew it that wide
    shot(page, "compare-mode-switched-1280")


def test_the_derivative_axis_includes_zero(page, server):
    page.set_viewport_size(DESKTOP)
    page.goto(f"{server}/?fn=leaky_relu(leak=0.794)")
    rendered(page, '[data-panel="function"] .plot')
    lo, hi = page.evaluate("() => document.querySelector('[data-panel=\"function\"] .plot')._fullLayout.yaxis2.range")
    assert lo <= 0 < 0.794 < hi, (lo, hi)
    shot(page, "derivative-axis-leak-0.794-1280")


# ----------------------------------------------------------------------------- embeds


def readme_auto_height_script() -> str:
    readme = (ROOT / "README.md").read_text()
    return re.search(r"\*\*Auto-height\.\*\*.*?```html\n(<script>.*?</script>)\n```", readme, re.S).group(1)


@pytest.fixture
def phone_host(server):
    """A course page on another origin, phone-wide, framing an embed with the README's auto-height snippet."""
    src = f"{server}/embed/function?fn=relu,leaky_relu(leak=0.2),elu&controls=1"
    body = f"""<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>Course</title></head>
<body style="margin:8px"><p>A course page.</p>
<iframe id="e" src="{src}" width="100%" height="480" style="border:0" title="embed"></iframe>
{readme_auto_height_script()}</body></html>""".encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_embed_auto_height_reports_its_content_and_keeps_the_plot_tall(context, server, phone_host):
    """A controls=1 embed in a phone-wide host that uses the README's auto-height snippet:
    the frame grows to the content, the plot keeps its height, nothing is clipped."""
    page = context.new_page()
    page.set_viewport_size(PHONE)
    watch = PageWatch(page, phone_host)
    page.goto(phone_host)
    frame = page.frame_locator("#e")
    frame.locator(".embed-plot[data-rendered='1'] .main-svg").first.wait_for(timeout=60_000)
    page.wait_for_function("() => parseFloat(document.querySelector('#e').style.height) > 0", timeout=20_000)
    page.wait_for_timeout(800)
    iframe_h = page.eval_on_selector("#e", "e => e.getBoundingClientRect().height")
    inner = page.query_selector("#e").content_frame()
    plot_h = inner.eval_on_selector(".embed-plot", "e => e._fullLayout._size.h")  # the plotting area, legend and margins aside
    scroll_h = inner.evaluate("() => document.documentElement.scrollHeight")
    controls_h = inner.eval_on_selector(".embed-controls", "e => e.getBoundingClientRect().height")
    assert plot_h >= 200, plot_h
    assert iframe_h > 480 and scroll_h <= iframe_h + 1, (iframe_h, scroll_h)  # grown to the content, nothing clipped
    assert controls_h > 150, controls_h
    page.screenshot(path=str(Path(ROOT / "tests" / "artifacts" / "embed-auto-height-390.png")), full_page=True)
    assert not [u for u in watch.foreign if not u.startswith(server)], watch.foreign
    page.close()


def test_unknown_embeds_say_so(context, server):
    page = context.new_page()
    page.set_viewport_size(DESKTOP)
    watch = PageWatch(page, server)
    response = page.goto(f"{server}/embed/nothing")
    assert response.status == 404 and response.headers["content-type"].startswith("text/html")
    assert "There is no embeddable plot called “nothing”" in page.inner_text("body")
    assert page.locator("a[href='/embed/function']").count() == 1
    shot(page, "embed-unknown-plot-1280")
    page.goto(f"{server}/embed/function?fn=nothing")
    rendered(page, ".embed-plot")
    notice = page.locator(".embed-notice")
    assert notice.is_visible() and "nothing" in notice.inner_text(), notice.inner_text()
    assert page.evaluate("() => document.querySelector('.embed-plot').data[0].name") == "ReLU"
    shot(page, "embed-unknown-activation-1280")
    errors = [e for e in watch.errors if "404" not in e]
    assert not errors and not watch.foreign, (errors, watch.foreign)
    page.close()


# ----------------------------------------------------------------------------- after an error; exact numbers


def test_after_an_error_the_status_says_the_plots_are_older(context, server):
    page = context.new_page()  # the 422 is logged by the browser: no console watch
    page.set_viewport_size(DESKTOP)
    page.goto(f"{server}/?view=network&epochs=50")
    wait_trained(page)
    for key, value in (("n_points", "2000"), ("width", "64"), ("depth", "12"), ("epochs", "5000")):
        page.fill(f'[data-param-box="{key}"]', value)
        page.dispatch_event(f'[data-param-box="{key}"]', "change")
    page.wait_for_function("() => document.querySelector('#train-status').textContent.startsWith('Could not train')", timeout=30_000)
    status = page.inner_text("#train-status")
    assert "The plots still show an earlier run (ReLU on two moons, 50 epochs), not these settings." in status, status
    assert page.eval_on_selector("#view-network", "e => e.dataset.stale") == "1"
    page.wait_for_timeout(500)  # (faded in 0.2 s)
    assert float(page.eval_on_selector('[data-panel="loss"] .plot', "e => getComputedStyle(e).opacity")) < 0.6
    shot(page, "network-error-plots-older-1280")
    page.set_viewport_size(PHONE)
    shot(page, "network-error-plots-older-390")
    # a sweep with values it cannot take says the same
    page.set_viewport_size(DESKTOP)
    page.goto(f"{server}/?view=network&mode=sweep&epochs=30&values=0.01,0.1")
    page.wait_for_selector('[data-panel="sweep"] .plot[data-rendered="1"]', timeout=60_000)
    page.fill("#sweep-values", "0.01, abc")
    page.dispatch_event("#sweep-values", "change")
    status = page.inner_text("#train-status")
    assert "abc is not a number." in status and "The plots still show an earlier run" in status, status
    page.close()


@pytest.mark.parametrize("leak, shown", [("1e-30", "1e-30"), ("0.0005", "0.0005"), ("0.333333", "0.333333")])
def test_number_boxes_show_the_value_exactly(page, server, leak, shown):
    page.set_viewport_size(DESKTOP)
    page.goto(f"{server}/?fn=leaky_relu(leak={leak})")
    rendered(page, '[data-panel="function"] .plot')
    box = '#fn-curves [data-param-box="leak"]'
    assert page.input_value(box) == shown
    assert page.eval_on_selector(box, "e => e.checkValidity()")
    # the derivative drawn is the value shown
    dy = page.evaluate("() => document.querySelector('[data-panel=\"function\"] .plot').data.find(t => t.yaxis === 'y2').y[0]")
    assert dy == float(leak)
    if leak == "0.0005":
        page.focus(box)
        page.keyboard.press("ArrowUp")  # to the slider's next step (0.001) above the value shown
        page.wait_for_function(f"() => document.querySelector('{box}').value === '0.001'")
        shot(page, "number-box-exact-1280")


def test_the_api_docs_fit_a_phone(browser, server):
    """/docs had no viewport meta: on a phone it laid out 980 px wide with ~5 px text."""
    ctx = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = ctx.new_page()
    watch = PageWatch(page, server)
    page.goto(f"{server}/docs")
    page.wait_for_selector("#swagger-ui .opblock", timeout=20_000)
    assert page.evaluate("() => window.innerWidth") == 390
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    shot(page, "docs-phone")
    watch.assert_clean()
    ctx.close()
