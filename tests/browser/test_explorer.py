"""The explorer in a real browser: sliders redraw the plot, training draws its panels, the
URL reproduces the view, exports produce files — with no console error and no request to
another origin (checked by the `page` fixture after every test)."""

from __future__ import annotations

import json
import math
import re
import urllib.request

import pytest

from .conftest import hold, settles, shot, until, wait_held

pytestmark = pytest.mark.browser

FN_PLOT = '[data-panel="function"] .plot'


def open_explorer(page, server, query=""):
    page.goto(f"{server}/{query}")
    page.wait_for_selector("body[data-ready='1']")
    page.wait_for_selector(f"{FN_PLOT}[data-rendered='1']" if "view=network" not in query else "#view-network")


def traces(page, selector=FN_PLOT):
    return page.evaluate(f"() => document.querySelector('{selector}').data.map(t => ({{name: t.name, x: t.x, y: t.y, yaxis: t.yaxis, type: t.type}}))")


def wait_redraw(page, before: int):
    page.wait_for_function(f"() => window.__actlab.draws.length > {before}")


def draws(page) -> int:
    return page.evaluate("() => window.__actlab.draws.length")


def drag_slider(page, selector: str, fraction: float):
    """Drag a range input's thumb with the mouse to `fraction` of its width."""
    box = page.locator(selector).bounding_box()
    y = box["y"] + box["height"] / 2
    value = page.eval_on_selector(selector, "e => (e.value - e.min) / (e.max - e.min)")
    page.mouse.move(box["x"] + 8 + value * (box["width"] - 16), y)
    page.mouse.down()
    for k in range(1, 11):
        page.mouse.move(box["x"] + 8 + (value + (fraction - value) * k / 10) * (box["width"] - 16), y)
    page.mouse.up()


def derivative_on_negative_side(page):
    for t in traces(page):
        if t["yaxis"] == "y2":
            return [dy for x, dy in zip(t["x"], t["y"]) if x < -0.5]
    raise AssertionError("no derivative trace")


def test_page_loads_clean_and_offline(page, server):
    open_explorer(page, server)
    assert page.locator(f"{FN_PLOT} .main-svg").count() > 0
    assert page.locator("#fn-cards article math").count() == 1  # the formula is rendered MathML
    # plotly.js comes from this server, at a versioned, immutable URL
    src = page.eval_on_selector("script[src*='plotly']", "e => e.src")
    assert src.startswith(server) and "/vendor/plotly-" in src
    shot(page, "explorer-function-relu")


def test_leak_slider_sets_negative_side_derivative(page, server):
    open_explorer(page, server, "?fn=leaky_relu")
    before = derivative_on_negative_side(page)
    assert all(math.isclose(d, 0.01) for d in before)
    n = draws(page)
    drag_slider(page, '#fn-curves input[type="range"][data-param="leak"]', 0.3)
    wait_redraw(page, n)
    # (a drag asks for several curves: until the last one's answer is drawn, not a fixed time)
    page.wait_for_function(
        """() => { const v = Number(document.querySelector('#fn-curves [data-param-box="leak"]').value);
            const t = document.querySelector('[data-panel="function"] .plot').data.find((t) => t.yaxis === 'y2');
            return t.x.every((x, i) => x >= -0.5 || Math.abs(t.y[i] - v) <= 1e-9); }"""
    )
    leak = float(page.input_value('#fn-curves [data-param-box="leak"]'))
    assert 0.2 < leak < 0.4, leak
    after = derivative_on_negative_side(page)
    assert all(math.isclose(d, leak, rel_tol=1e-9) for d in after), (leak, after[:3])
    assert f"leak={leak:g}" in page.url or f"leak={leak}" in page.url
    shot(page, "explorer-leaky-relu-dragged")


def test_elu_alpha_sets_lower_asymptote(page, server):
    open_explorer(page, server)
    n = draws(page)
    page.select_option('#fn-curves select[data-role="activation"]', "elu")
    wait_redraw(page, n)
    page.fill("#fn-xmin", "-30")
    page.dispatch_event("#fn-xmin", "change")
    slider = '#fn-curves input[type="range"][data-param="alpha"]'
    page.focus(slider)
    for _ in range(60):  # keyboard: 60 steps of 0.01 up from the default α = 1
        page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.querySelector('#fn-curves [data-param-box=\"alpha\"]').value === '1.6'")
    # (until the curve of α = 1.6 is drawn, not a fixed time: its answer may take a while on a busy machine)
    page.wait_for_function("""() => document.querySelector('[data-panel="function"] .plot').data
        .some((t) => (t.yaxis || 'y') === 'y' && t.name.startsWith('ELU') && t.x[0] === -30 && Math.abs(Math.min(...t.y) + 1.6) < 1e-6)""")
    f = next(t for t in traces(page) if t["yaxis"] in (None, "y") and t["name"].startswith("ELU"))
    assert f["x"][0] == -30
    assert math.isclose(min(f["y"]), -1.6, rel_tol=1e-9), min(f["y"])
    assert "alpha=1.6" in page.url and "xmin=-30" in page.url
    shot(page, "explorer-elu-alpha-1.6")


def test_training_run_draws_progress_heatmap_and_sparsity(page, server):
    page.goto(f"{server}/?view=network&epochs=1500&width=24&n_points=600")
    page.wait_for_selector("body[data-ready='1']")
    page.wait_for_selector('[data-panel="gradient-flow"] .plot[data-rendered="1"]', timeout=60_000)
    assert int(page.get_attribute("#view-network", "data-progress-events") or 0) >= 1
    assert page.eval_on_selector("#train-progress", "e => e.value") == 1
    flow = traces(page, '[data-panel="gradient-flow"] .plot')
    assert flow[0]["type"] == "heatmap"
    sparsity = traces(page, '[data-panel="sparsity"] .plot')
    assert len(sparsity) == 3 and all(0 <= v <= 1 for t in sparsity for v in t["y"])
    assert "Trained 1500 epochs" in page.inner_text("#train-status")
    assert page.locator("#net-summary .stat").count() == 1
    shot(page, "explorer-network-trained")


def test_compare_mode_trains_side_by_side(page, server):
    page.goto(f"{server}/?view=network&mode=compare&act=relu,leaky_relu(leak=0.1),elu")
    page.wait_for_selector('[data-panel="boundary"] .plot[data-rendered="1"]', timeout=60_000)
    assert page.locator("#net-summary .stat").count() == 3
    until(page, "() => document.querySelector('[data-panel=\"gradient-flow\"] .plot').data.filter((d) => d.name === 'measured').length === 3", 60)
    flow = page.evaluate("() => document.querySelector('[data-panel=\"gradient-flow\"] .plot').data.map((t) => ({ name: t.name, x: t.x, z: t.z, xaxis: t.xaxis, type: t.type }))")
    maps = [t for t in flow if t["type"] == "heatmap" and t.get("name") not in ("predicted", "measured")]
    assert len(maps) == 3  # one map per activation (the theory overlay may add two strips to each)
    strips = [t for t in flow if t.get("name") == "measured"]
    assert len([t for t in flow if t.get("name") == "predicted"]) == len(strips) == 3
    # the measured strip is its map's first column, as wide as the prediction's (one frame was ~3 px)
    for strip in strips:
        (own,) = [m for m in maps if m.get("xaxis", "x") == strip.get("xaxis", "x")]
        assert strip["z"] == [[row[0]] for row in own["z"]]
        (pred,) = [t for t in flow if t.get("name") == "predicted" and t.get("xaxis", "x") == strip.get("xaxis", "x")]
        assert strip["x"][1] - strip["x"][0] == pytest.approx(pred["x"][1] - pred["x"][0]) and pred["x"][1] < strip["x"][0] < strip["x"][1] < 0
    shot(page, "explorer-network-compare")


def test_sweep_mode_plots_dead_fraction_against_learning_rate(page, server):
    page.goto(f"{server}/?view=network&mode=sweep&act=relu,leaky_relu&optimizer=sgd&values=0.01,0.1,1,3&epochs=200")
    page.wait_for_selector('[data-panel="sweep"] .plot[data-rendered="1"]', timeout=60_000)
    lines = traces(page, '[data-panel="sweep"] .plot')
    assert [len(t["x"]) for t in lines] == [4, 4]
    relu, leaky = lines
    assert relu["y"][-1] > leaky["y"][-1]  # at a high learning rate ReLU loses more units
    shot(page, "explorer-network-sweep")


def test_copied_url_restores_controls_and_plots(page, context, server):
    open_explorer(page, server, "?fn=elu")
    n = draws(page)
    drag_slider(page, '#fn-curves input[type="range"][data-param="alpha"]', 0.5)
    wait_redraw(page, n)
    page.click("#fn-add")
    wait_redraw(page, n + 1)
    page.wait_for_timeout(300)
    url = page.url
    original = traces(page)
    alpha = page.input_value('#fn-curves [data-param-box="alpha"]')
    fresh = context.new_page()
    from .conftest import PageWatch

    watch = PageWatch(fresh, server)
    fresh.goto(url)
    fresh.wait_for_selector(f"{FN_PLOT}[data-rendered='1']")
    fresh.wait_for_timeout(300)
    assert fresh.input_value('#fn-curves [data-param-box="alpha"]') == alpha
    assert fresh.locator("#fn-curves .curve-card").count() == 2
    assert traces(fresh) == original
    watch.assert_clean()
    fresh.close()


def test_back_and_forward_restore_state(page, server):
    open_explorer(page, server)
    n = draws(page)
    page.select_option('#fn-curves select[data-role="activation"]', "tanh")
    wait_redraw(page, n)
    assert "fn=tanh" in page.url
    page.go_back()
    page.wait_for_function("() => document.querySelector('#fn-curves select').value === 'relu'")
    page.go_forward()
    page.wait_for_function("() => document.querySelector('#fn-curves select').value === 'tanh'")


def test_png_and_csv_export_produce_files(page, server, tmp_path):
    open_explorer(page, server, "?fn=relu,elu")
    with page.expect_download() as dl:
        page.click('[data-panel="function"] [data-export="png"]')
    path = tmp_path / "plot.png"
    dl.value.save_as(path)
    data = path.read_bytes()
    assert dl.value.suggested_filename.endswith(".png")
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    with page.expect_download() as dl:
        page.click('[data-panel="function"] [data-export="csv"]')
    csv = tmp_path / "plot.csv"
    dl.value.save_as(csv)
    lines = csv.read_text().splitlines()
    assert lines[0] == "x,ReLU f(x),ReLU f'(x),ELU f(x),ELU f'(x)"
    assert len(lines) == 402


def test_noisy_relu_shows_band_and_samples(page, server):
    open_explorer(page, server, "?fn=noisy_relu(sigma=1)")
    names = [t["name"] for t in traces(page)]
    assert any("band" in (n or "") for n in names) and any("samples" in (n or "") for n in names)
    shot(page, "explorer-noisy-relu")


@pytest.mark.parametrize("theme", ["dark", "contrast"])
def test_themes_render(page, server, theme):
    open_explorer(page, server, f"?theme={theme}&fn=relu,leaky_relu,elu")
    assert page.get_attribute("html", "data-theme") == theme
    bg = page.evaluate("() => document.querySelector('.main-svg').style.background || getComputedStyle(document.querySelector('.main-svg')).backgroundColor")
    assert bg not in ("white", "rgb(255, 255, 255)")
    shot(page, f"explorer-theme-{theme}")


def test_phone_width_layout(browser, server):
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = ctx.new_page()
    from .conftest import PageWatch

    watch = PageWatch(page, server)
    page.goto(f"{server}/?fn=gelu,silu")
    page.wait_for_selector(f"{FN_PLOT}[data-rendered='1']")
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"page scrolls sideways: {width}px"
    shot(page, "explorer-phone")
    watch.assert_clean()
    ctx.close()


def test_keyboard_only_tabs_and_controls(page, server):
    open_explorer(page, server)
    page.focus("#tab-function")
    page.keyboard.press("ArrowRight")
    assert page.get_attribute("#tab-network", "aria-selected") == "true"
    assert "view=network" in page.url
    page.wait_for_selector('[data-panel="loss"] .plot[data-rendered="1"]', timeout=60_000)
    # every control in the sidebars has an accessible name
    unnamed = page.evaluate(
        """() => [...document.querySelectorAll('#net-controls input, #net-controls select, #fn-controls input, #fn-controls select')]
             .filter(e => !e.closest('[hidden]'))
             .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
             .map(e => e.outerHTML.slice(0, 80))"""
    )
    assert not unnamed, unnamed


# ----------------------------------------------------------------------------- network view

NET_INVALID = """() => [...document.querySelectorAll('#net-controls input, #net-controls select')]
    .filter(e => !e.checkValidity())
    .map(e => `${e.dataset.param || e.dataset.paramBox || e.id}=${e.value}: ${e.validationMessage}`)"""


def wait_trained(page):
    page.wait_for_function("() => /^Trained/.test(document.querySelector('#train-status').textContent)", timeout=60_000)


@pytest.mark.parametrize(
    "query",
    ["?view=network", "?view=network&epochs=200", "?view=network&epochs=205&noise=0.123&test_fraction=0.33", "?view=network&act=rrelu"],
)
def test_train_button_works_at_defaults_and_lesson_settings(page, server, query):
    """Every network control passes the browser's form check (else Train does nothing), and Train trains."""
    page.goto(f"{server}/{query}")
    page.wait_for_selector('[data-panel="loss"] .plot[data-rendered="1"]', timeout=60_000)
    wait_trained(page)
    assert page.evaluate(NET_INVALID) == []
    assert page.evaluate("() => document.querySelector('#net-controls').checkValidity()")
    epochs = page.input_value('[data-param-box="epochs"]')
    with page.expect_response(lambda r: r.url.endswith("/api/train/stream")) as response:
        page.click("#train")
    assert response.value.status == 200
    page.wait_for_function("() => document.querySelector('#view-network').dataset.training === '0'", timeout=60_000)
    assert page.inner_text("#train-status").startswith(f"Trained {epochs} epochs")


def start_a_long_run(page, server, retrain: bool = True) -> list[dict]:
    """Plots of 100 epochs, then a run of 5000 epochs on 1000 points under way (started by the
    change, or with ``retrain`` off by Train); returns the bodies of the stream requests made
    from then on."""
    page.goto(f"{server}/?view=network&epochs=100{'' if retrain else '&auto=0'}")
    wait_trained(page)
    bodies: list[dict] = []
    page.on("request", lambda r: bodies.append(json.loads(r.post_data)) if r.url.endswith("/api/train/stream") else None)
    page.fill('[data-param-box="n_points"]', "1000")
    page.fill('[data-param-box="epochs"]', "5000")
    if retrain:
        page.dispatch_event('[data-param-box="epochs"]', "change")
    else:
        page.click("#train")
    # (a progress past epoch 0: a run stopped at 0 has trained nothing to draw)
    page.wait_for_function("() => /^Epoch [1-9]\\d* of 5000/.test(document.querySelector('#train-status').textContent)", timeout=60_000)
    # the n_points box's change (committed as the epochs box took the focus) retrains at the old
    # 100 epochs 150 ms later, unless the epochs change comes first: on a busy machine (CI) it
    # went out first. From the 5000-epoch run on (the list stays the one the listener fills):
    first = next(i for i, b in enumerate(bodies) if b["epochs"] == 5000)
    assert all(b["epochs"] == 100 for b in bodies[:first]), bodies
    del bodies[:first]
    return bodies


def test_stop_draws_the_network_where_it_stopped(page, server):
    """Stop during a run: the plots show that run at the epoch it stopped at (the server keeps
    nothing: the page trains the same settings to that epoch, which gives the same numbers as
    the API does), and Step goes on from there."""
    bodies = start_a_long_run(page, server)
    # the click blurs the epochs box, whose change commits 5000 again: Stop also cancels the run
    # that commit was about to start (150 ms later)
    page.click("#stop")
    page.wait_for_function("() => /the plots show the network at epoch/.test(document.querySelector('#train-status').textContent)", timeout=60_000)
    status = page.inner_text("#train-status")
    m = re.match(r"Stopped at epoch (\d+) of 5000: the plots show the network at epoch (\d+) \(the run's settings trained again to there in \d+ ms\)\. Step or Play goes on from there; Train starts again\.$", status)
    assert m and m[1] == m[2], status
    epoch = int(m[1])
    assert epoch >= 1
    assert [b["epochs"] for b in bodies] == [5000, epoch], bodies
    assert {**bodies[1], "epochs": 5000} == bodies[0]  # the same settings
    assert page.evaluate("() => document.querySelector('#view-network').dataset.stale") == "0"
    assert "epochs=5000" in page.url  # (the settings are still the user's)
    # the loss plot ends at that epoch, with the loss the API gives for those settings
    x, y = page.eval_on_selector('[data-panel="loss"] .plot', "e => [e.data[0].x.at(-1), e.data[0].y.at(-1)]")
    assert x == epoch
    req = urllib.request.Request(f"{server}/api/train", json.dumps(bodies[1]).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=120) as r:
        direct = json.load(r)
    assert direct["epochs"] == epoch
    assert y == pytest.approx(direct["variants"][0]["loss"]["train"][-1], rel=1e-12)
    page.click("#step")
    page.wait_for_function(f"() => document.querySelector('#train-status').textContent.startsWith('Epoch {epoch + 1} — training loss')", timeout=60_000)


def test_stop_while_the_stopped_run_is_drawn_keeps_the_previous_plots(page, server):
    bodies = start_a_long_run(page, server)
    held, release = hold(page, "**/api/train/stream")
    page.click("#stop")
    wait_held(page, held)
    status = page.inner_text("#train-status")
    assert re.match(r"Stopped at epoch \d+ of 5000\. Drawing the network there: the server keeps no run, so it trains the run's settings again to epoch \d+…$", status), status
    page.click("#stop")
    release()
    page.wait_for_timeout(600)
    status = page.inner_text("#train-status")
    assert re.match(r"Stopped at epoch \d+ of 5000\. The plots still show an earlier run \(ReLU on two moons, 100 epochs\), not these settings\.$", status), status
    assert page.evaluate("() => document.querySelector('#view-network').dataset.training") == "0"
    assert len(bodies) == 2


def test_stop_after_a_setting_changed_draws_the_run_with_its_own_settings(page, server):
    """Retraining off, a box changed during a run, then Stop: the stopped run is drawn with the
    settings it was started with (not the box's new value), and the plots say they are not of
    the current settings."""
    bodies = start_a_long_run(page, server, retrain=False)
    page.fill('[data-param-box="noise"]', "0.3")
    page.press('[data-param-box="noise"]', "Enter")
    page.wait_for_function("() => /noise=0.3/.test(location.search)")
    page.click("#stop")
    page.wait_for_function("() => /the plots show the network at epoch/.test(document.querySelector('#train-status').textContent)", timeout=60_000)
    assert len(bodies) == 2 and bodies[1]["noise"] == bodies[0]["noise"] != 0.3, bodies
    status = page.inner_text("#train-status")
    assert status.endswith(f"The plots still show an earlier run (ReLU on two moons, {bodies[1]['epochs']} epochs), not these settings."), status
    assert page.evaluate("() => document.querySelector('#view-network').dataset.stale") == "1"
    assert "Step or Play goes on" not in status, status
    # its state is of other settings: Step starts the current ones afresh
    page.click("#step")
    page.wait_for_function("() => document.querySelector('#train-status').textContent.startsWith('Epoch 1 — training loss')", timeout=60_000)


BOUNDARY_DRAWN = """() => {
  const gd = document.querySelector('[data-panel="boundary"] .plot');
  const bar = [...gd.querySelectorAll('.infolayer .colorbar text')].map((t) => t.textContent);
  return { bar, map: Math.round(gd._fullLayout.xaxis._length) };
}"""


@pytest.mark.parametrize("sizes", [((390, 844), (1280, 800)), ((1280, 800), (390, 844))], ids=["phone-to-wide", "wide-to-phone"])
def test_the_boundary_map_is_drawn_anew_when_the_window_crosses_the_phone_width(page, server, sizes):
    """The phone layout's colour bar lies under the map, the wide one's stands beside it: after
    the window crosses the phone width the map is drawn as a fresh load at that size draws it
    (Plotly.react had left the old bar's ticks and title over a map squeezed to ~65 px)."""
    first, then = sizes
    page.set_viewport_size(dict(zip(("width", "height"), then)))
    page.goto(f"{server}/?view=network")
    wait_trained(page)
    page.wait_for_timeout(400)
    fresh = page.evaluate(BOUNDARY_DRAWN)
    page.set_viewport_size(dict(zip(("width", "height"), first)))
    page.reload()
    wait_trained(page)
    page.wait_for_timeout(400)
    page.set_viewport_size(dict(zip(("width", "height"), then)))
    # the redraw follows the layout's change: on a busy machine later than any fixed wait (20 s: a hang guard)
    settles(page, f"(want) => {{ const d = ({BOUNDARY_DRAWN})(); return JSON.stringify(d.bar) === JSON.stringify(want.bar) && Math.abs(d.map - want.map) <= 2; }}", 20, fresh)
    after = page.evaluate(BOUNDARY_DRAWN)
    assert after["bar"] == fresh["bar"], (after, fresh)
    assert abs(after["map"] - fresh["map"]) <= 2, (after, fresh)


def test_an_emptied_whole_number_box_goes_back_to_its_value(page, server):
    """An emptied seed box is not seed 0: it shows the seed in force again and nothing trains."""
    page.goto(f"{server}/?view=network&epochs=100&seed=3")
    wait_trained(page)
    asked = []
    page.on("request", lambda r: asked.append(r.url) if r.url.endswith("/api/train/stream") else None)
    page.fill("#net-seed", "")
    page.press("#net-seed", "Tab")
    page.wait_for_timeout(600)
    assert page.input_value("#net-seed") == "3"
    assert "seed=3" in page.url and asked == []


def test_a_typed_value_then_train_asks_once(page, server):
    """Train blurs the box just typed in, whose change schedules a run of its own 150 ms later:
    that run is the one Train starts, not a second request that restarts it."""
    page.goto(f"{server}/?view=network&epochs=100")
    wait_trained(page)
    asked = []
    page.on("request", lambda r: asked.append(r.url) if r.url.endswith("/api/train/stream") else None)
    page.fill('[data-param-box="epochs"]', "120")
    page.click("#train")
    wait_trained(page)
    page.wait_for_timeout(600)
    assert len(asked) == 1, asked
    assert page.inner_text("#train-status").startswith("Trained 120 epochs")


def test_with_retraining_off_enter_in_a_box_sets_the_value_and_train_trains(page, server):
    """"Retrain when a setting changes" unticked: Enter in a box commits its value and says so,
    with no run (it used to submit the form, which trained); Train then trains, once."""
    page.goto(f"{server}/?view=network&epochs=100&auto=0")
    wait_trained(page)  # (a link's plots are drawn on load)
    assert not page.is_checked("#net-auto")
    asked = []
    page.on("request", lambda r: asked.append(r.url) if r.url.endswith("/api/train/stream") else None)
    page.fill('[data-param-box="noise"]', "0.25")
    page.press('[data-param-box="noise"]', "Enter")
    page.wait_for_function("() => /noise=0.25/.test(location.search)")
    page.wait_for_timeout(600)
    assert asked == []
    assert page.inner_text("#train-status").startswith("Settings changed — press Train to see them.")
    page.click("#train")
    wait_trained(page)
    page.wait_for_timeout(300)
    assert len(asked) == 1, asked


def test_a_sweeps_loss_axis_title_is_clear_of_its_tick_labels(page, server):
    """lr = 3 takes leaky ReLU's loss to ~1e-50: the ticks (10⁻⁴⁸) are wider than the fixed margin
    left for them, and the rotated title "training loss" ran through them."""
    page.goto(f"{server}/?view=network&mode=sweep&act=leaky_relu(leak=0.2)")
    page.wait_for_selector('[data-panel="sweep-curves"] .plot[data-rendered="1"]', timeout=60_000)
    page.wait_for_function("() => /^Trained/.test(document.querySelector('#train-status').textContent)", timeout=60_000)
    page.wait_for_timeout(300)
    boxes = page.evaluate(
        """() => { const p = document.querySelector('[data-panel="sweep-curves"] .plot');
            const box = (e) => { const r = e.getBoundingClientRect(); return [r.left, r.right, r.top, r.bottom]; };
            return { title: box(p.querySelector('.g-ytitle text')), ticks: [...p.querySelectorAll('.ytick text')].map(box),
                     labels: [...p.querySelectorAll('.ytick text')].map((e) => e.textContent) }; }"""
    )
    assert any("48" in t for t in boxes["labels"]), boxes["labels"]  # (the case: ticks down to 10⁻⁴⁸)
    left, right = boxes["title"][:2]
    assert all(right <= t[0] + 0.5 for t in boxes["ticks"]), boxes


def test_sweep_values_error_names_the_value_and_range(page, server):
    page.goto(f"{server}/?view=network&mode=sweep&epochs=50")
    page.wait_for_selector('[data-panel="sweep"] .plot[data-rendered="1"]', timeout=60_000)
    message = "() => document.querySelector('#sweep-values').validationMessage"
    for text, expected in [
        ("0.01, abc", "abc is not a number."),
        ("0.01, 1e9", "1e9 is outside 0.0001–10 for learning rate."),
        (", ".join(["0.1"] * 17), "Up to 16 values (there are 17)."),
    ]:
        page.fill("#sweep-values", text)
        page.dispatch_event("#sweep-values", "change")
        assert page.evaluate(message) == expected
        assert expected in page.inner_text("#train-status")
    page.fill("#sweep-values", "0.01, 0.1")
    page.dispatch_event("#sweep-values", "change")
    assert page.evaluate(message) == ""
    assert "values=0.01%2C0.1" in page.url or "values=0.01,0.1" in page.url


# Boxes (in page pixels) of what Plotly drew: subplot titles, axis titles, legend, plot areas.
PLOT_BOXES = """sel => {
  const gd = document.querySelector(sel);
  const box = (e) => { const r = e.getBoundingClientRect(); return {x0: r.left, y0: r.top, x1: r.right, y1: r.bottom, text: e.textContent}; };
  const lg = gd._fullLayout.legend;
  return {
    titles: [...gd.querySelectorAll('.annotation')].map(box),
    axisTitles: [...gd.querySelectorAll('.g-xtitle text, [class^="g-x"][class$="title"] text')].map(box),
    legend: gd.querySelector('.legend') ? box(gd.querySelector('.legend .bg')) : null,
    legendScrolls: lg ? lg._height > lg._effHeight + 1 : false,
    plots: [...gd.querySelectorAll('.nsewdrag')].map(box),
  };
}"""


def overlap(a, b):
    return min(a["x1"], b["x1"]) - max(a["x0"], b["x0"]) > 1 and min(a["y1"], b["y1"]) - max(a["y0"], b["y0"]) > 1


@pytest.mark.parametrize("size", [(1280, 720), (390, 844)])
def test_compare_plots_are_readable(browser, server, size):
    """Compare mode at desktop and phone size: subplot titles apart, legends neither scroll nor cover a plot."""
    ctx = browser.new_context(viewport={"width": size[0], "height": size[1]}, is_mobile=size[0] < 500, has_touch=size[0] < 500)
    page = ctx.new_page()
    from .conftest import PageWatch

    watch = PageWatch(page, server)
    page.goto(f"{server}/?view=network&mode=compare&act=relu,sigmoid,leaky_relu")
    page.wait_for_selector('[data-panel="histogram"] .plot[data-rendered="1"]', timeout=60_000)
    page.wait_for_timeout(500)
    for panel in ["loss", "boundary", "gradient-flow", "gradient-norms", "sparsity", "dead", "histogram"]:
        boxes = page.evaluate(PLOT_BOXES, f'[data-panel="{panel}"] .plot')
        things = boxes["titles"] + boxes["axisTitles"] + ([boxes["legend"]] if boxes["legend"] else [])
        for i, a in enumerate(things):
            for b in things[i + 1 :]:
                assert not overlap(a, b), (panel, size, a, b)
        assert not boxes["legendScrolls"], (panel, size)
        if boxes["legend"]:
            assert not any(overlap(boxes["legend"], p) for p in boxes["plots"]), (panel, size)
        for t in boxes["titles"]:
            assert not any(overlap(t, p) for p in boxes["plots"]), (panel, size, t)
    titles = [t["text"] for t in page.evaluate(PLOT_BOXES, '[data-panel="boundary"] .plot')["titles"]]
    assert titles == ["ReLU", "Logistic sigmoid", "Leaky ReLU"] or titles == ["ReLU", "Logisticsigmoid", "Leaky ReLU"], titles
    assert page.evaluate("() => document.documentElement.scrollWidth") <= size[0]
    shot(page, f"explorer-network-compare-{size[0]}")
    watch.assert_clean()
    ctx.close()


def test_sweep_curves_name_the_parameter_as_the_controls_do(page, server):
    page.goto(f"{server}/?view=network&mode=sweep&act=relu,leaky_relu&values=0.001,0.01,0.1,0.3,1,3&epochs=100")
    page.wait_for_selector('[data-panel="sweep-curves"] .plot[data-rendered="1"]', timeout=60_000)
    plot = '[data-panel="sweep-curves"] .plot'
    layout = page.evaluate(f"() => document.querySelector('{plot}')._fullLayout.legend.title.text")
    assert layout == "learning rate"
    names = [t["name"] for t in traces(page, plot)[:6]]
    assert names == ["0.001", "0.01", "0.1", "0.3", "1", "3"]
    colours = page.evaluate(f"() => document.querySelector('{plot}').data.slice(0, 6).map(t => t.line.color)")
    rgb = [tuple(int(c[k : k + 2], 16) for k in (1, 3, 5)) for c in colours]
    assert min(sum(abs(a - b) for a, b in zip(p, q)) for p, q in zip(rgb, rgb[1:])) > 60, colours  # neighbours tell apart
    ticks = page.evaluate(f"() => [...document.querySelectorAll('{plot} .ytick text')].map(t => t.textContent)")
    assert ticks and not any("μ" in t for t in ticks), ticks
    assert page.inner_text('[data-panel="sweep"] h2') == "Sweep: dead fraction against learning rate"
    boxes = page.evaluate(PLOT_BOXES, plot)
    assert not any(overlap(boxes["legend"], t) for t in boxes["axisTitles"]), boxes


def test_gradient_menu_switches_quantity_without_retraining(page, server):
    page.goto(f"{server}/?view=network&mode=compare&act=sigmoid,relu&depth=6&epochs=20&grad=weights")
    page.wait_for_selector('[data-panel="gradient-norms"] .plot[data-rendered="1"]', timeout=60_000)
    assert page.input_value("#grad-kind") == "weights"
    norms = '[data-panel="gradient-norms"]'
    title = lambda: page.evaluate(f"() => document.querySelector('{norms} .plot').layout.yaxis.title.text")
    assert title() == "‖∂L/∂W‖"
    assert page.locator(f"{norms} .note").inner_text().startswith("‖∂L/∂W‖, first ÷ last layer at init (seed 0)")
    trains = []
    page.on("request", lambda r: trains.append(r.url) if "/api/train" in r.url else None)
    page.select_option("#grad-kind", "input")
    page.wait_for_function(f"() => document.querySelector('{norms} .plot').layout.yaxis.title.text.includes('layer input')")
    assert "grad=weights" not in page.url and not trains
    shot(page, "explorer-gradient-menu")


@pytest.mark.parametrize("epochs", [20, 300])
def test_loss_axis_shows_numbers_whatever_its_span(page, server, epochs):
    """20 epochs: the losses stay within one decade; 300: they span several. Both get labels."""
    page.goto(f"{server}/?view=network&epochs={epochs}")
    page.wait_for_selector('[data-panel="loss"] .plot[data-rendered="1"]', timeout=60_000)
    labels = page.eval_on_selector_all('[data-panel="loss"] .yaxislayer-above .ytick text', "ns => ns.map(n => n.textContent)")
    assert len(labels) >= 2 and not any("μ" in t for t in labels), labels


def test_too_large_run_is_explained_in_the_forms_words(context, server):
    page = context.new_page()  # the 422 itself is logged by the browser: no console watch here
    page.goto(f"{server}/?view=network&epochs=5000&n_points=2000&depth=12&width=64")
    page.wait_for_function("() => document.querySelector('#train-status').textContent.startsWith('Could not train')", timeout=30_000)
    text = page.inner_text("#train-status")
    import re

    assert re.search(r"at most [0-9,]+ epochs fit", text) and "hidden layers" in text and "units per layer" in text, text
    assert "n_points" not in text and "Σ" not in text, text
    page.close()


def test_a_swept_parameter_not_every_activation_has_is_noted(page, server):
    """sweep=leak with leaky ReLU and ELU (ELU has no leak): the page swept the learning rate
    while the address still said leak and its values, with no word about it."""
    page.goto(f"{server}/?view=network&mode=sweep&act=leaky_relu,elu&sweep=leak&values=0,0.01,0.1,0.3,1&epochs=50")
    page.wait_for_selector('[data-panel="sweep"] .plot[data-rendered="1"]', timeout=60_000)
    notice = page.locator("#url-notice")
    assert notice.is_visible()
    assert 'sweep="leak" is not a parameter of every activation chosen (Leaky ReLU, ELU): sweeping the learning rate.' in notice.inner_text()
    assert "sweep=leak" not in page.url and "values=0,0.01" not in page.url
    assert page.input_value("#sweep-param") == "learning_rate"
    # leaky ReLU alone has it: swept as asked, no notice
    page.goto(f"{server}/?view=network&mode=sweep&act=leaky_relu&sweep=leak&values=0,0.1,0.3&epochs=50")
    page.wait_for_selector('[data-panel="sweep"] .plot[data-rendered="1"]', timeout=60_000)
    assert page.input_value("#sweep-param") == "leak" and page.is_hidden("#url-notice")


def test_a_momentum_sweep_trains_with_sgd(page, server):
    """'momentum (SGD)' under Adam trained identical runs (Adam reads no momentum; the API now
    refuses it, needs_sgd): choosing it sets the optimizer to SGD, and a link asking for it under
    Adam says so and uses SGD."""
    page.goto(f"{server}/?view=network&mode=sweep&act=relu&epochs=40")
    page.wait_for_selector('[data-panel="sweep"] .plot[data-rendered="1"]', timeout=60_000)
    page.select_option("#sweep-param", "momentum")
    page.wait_for_function("() => new URLSearchParams(location.search).get('optimizer') === 'sgd'")
    page.wait_for_function("() => new URLSearchParams(location.search).get('sweep') === 'momentum'")
    page.wait_for_function("() => [...document.querySelectorAll('[data-panel=\"sweep\"] .plot')].some((p) => p.data && p.data.some((t) => (t.x || []).length === 5))", timeout=60_000)
    assert page.locator("#net-status.error, .status.error").count() == 0
    page.goto(f"{server}/?view=network&mode=sweep&act=relu&sweep=momentum&values=0,0.9&epochs=40")
    page.wait_for_selector('[data-panel="sweep"] .plot[data-rendered="1"]', timeout=60_000)
    assert 'a momentum sweep needs SGD (Adam reads no momentum): using sgd.' in page.locator("#url-notice").inner_text()
    assert "optimizer=sgd" in page.url


FOCUSED_UNDER_BAR = """() => {
  const a = document.activeElement, bar = document.querySelector('header.topbar');
  if (!a || bar.contains(a) || a === document.body || a.matches('.skip')) return null; // (the skip link shows over the bar)
  const r = a.getBoundingClientRect();
  return r.top < bar.getBoundingClientRect().bottom - 0.5 ? `${a.outerHTML.slice(0, 80)} at ${Math.round(r.top)}` : null;
}"""


@pytest.mark.parametrize("path", ["/?view=network", "/lessons/dying-relu"])
def test_a_control_reached_with_the_keyboard_is_not_under_the_top_bar(page, server, path):
    """Tab and Shift+Tab through the page: each control scrolls into view below the sticky top
    bar (the panels' export buttons and help dots went under it)."""
    page.goto(f"{server}{path}")
    page.wait_for_selector(".panel:not([hidden]) .plot[data-rendered='1']:visible", timeout=60_000)
    page.wait_for_timeout(1500)
    under = []
    for key in ("Tab", "Shift+Tab"):
        for _ in range(60):
            page.keyboard.press(key)
            got = page.evaluate(FOCUSED_UNDER_BAR)
            if got:
                under.append(got)
    assert not under, under


def test_skip_to_the_plots_lands_on_the_plots(page, server):
    page.goto(f"{server}/?view=network&epochs=50")
    wait_trained(page)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to the plots"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("!!document.activeElement.closest('#view-network > .content')"), page.evaluate("document.activeElement.outerHTML.slice(0, 120)")
