"""The Theory tab in a real browser: every plot renders, a click on the phase diagram sets the
network view's initialisation (custom, at that point), and the network view lays the
prediction over its measured gradients — as a user sees it, with screenshots at 1280×800 and
390×844 (the `page` fixture checks for console errors and foreign requests after each test)."""

from __future__ import annotations

import re
import time

import httpx
import pytest

from .conftest import PageWatch, hold, shot, wait_held

pytestmark = pytest.mark.browser

PANELS = ("phase", "gradient-prediction", "init-depth", "mean-var", "kernel", "hermite")
PHASE = "#view-theory [data-panel='phase'] .plot"


def open_theory(page, server, query: str = "") -> None:
    page.goto(f"{server}/?view=theory{query}")
    page.wait_for_selector("body[data-ready='1']")
    for name in PANELS:
        page.wait_for_selector(f"#view-theory [data-panel='{name}'] .plot[data-rendered='1']", timeout=90_000)


def names(page, selector: str) -> list[str]:
    return page.eval_on_selector(selector, "e => (e.data || []).map(t => `${t.name}|${t.type}|${(t.line || {}).dash || ''}`)")


def test_theory_tab_renders_every_plot(page, server):
    page.set_viewport_size({"width": 1280, "height": 800})
    open_theory(page, server)
    phase = names(page, PHASE)
    assert any(n.startswith("log χ₁|heatmap") for n in phase), phase
    assert any(n.startswith("critical line χ₁ = 1|scatter") for n in phase), phase
    assert any(n.startswith("your point (2, 0)") for n in phase), phase
    # the phases are named on the plane, and the summary says where the point is
    labels = page.eval_on_selector(PHASE, "e => e.layout.annotations.map(a => a.text)")
    assert "<b>ordered</b>" in labels and "<b>chaotic</b>" in labels
    stats = page.locator("#th-summary .stat").all_inner_texts()
    assert len(stats) == 3 and "chaotic" in stats[0] and "critical" in stats[1]  # tanh, ReLU at (2, 0)
    # the init plot draws LeCun, Glorot, He and custom, each predicted (dashed) and measured
    init = names(page, "#view-theory [data-panel='init-depth'] .plot")
    assert sum("|scatter|dash" in n for n in init) >= 4 and any(n.startswith("He (Kaiming)") for n in init)
    assert "converge on (0.000, 1.000)" in page.inner_text("#view-theory [data-panel='mean-var'] .note")
    hermite = page.inner_text("#view-theory [data-panel='hermite'] .note")
    assert "ReLU a₁ = 0.5" in hermite and "GELU a₁ = 0.5" in hermite
    page.locator(PHASE).scroll_into_view_if_needed()
    shot(page, "theory-1280x800")
    page.locator("#view-theory [data-panel='init-depth']").scroll_into_view_if_needed()
    shot(page, "theory-1280x800-init-and-kernel")


def test_theory_tab_on_a_phone(browser, server):
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = ctx.new_page()
    watch = PageWatch(page, server)
    try:
        open_theory(page, server, "&th=relu,gelu")
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 390, f"page scrolls sideways: {width}px"
        page.locator(PHASE).scroll_into_view_if_needed()
        shot(page, "theory-390x844-phase")
        page.locator("#view-theory [data-panel='init-depth']").scroll_into_view_if_needed()
        shot(page, "theory-390x844-init")
        watch.assert_clean()
    finally:
        ctx.close()


def test_clicking_the_phase_diagram_sets_the_networks_init(page, server):
    page.set_viewport_size({"width": 1280, "height": 800})
    open_theory(page, server)
    assert "init=custom" not in page.url
    box = page.locator(f"{PHASE} .nsewdrag").bounding_box()
    page.mouse.click(box["x"] + 0.75 * box["width"], box["y"] + 0.5 * box["height"])  # the chaotic side
    page.wait_for_function("() => /sigma_w2=/.test(location.search)")
    q = dict(re.findall(r"(\w+)=([^&]+)", page.url.split("?", 1)[1]))
    assert q["init"] == "custom"
    sw2, sb2 = float(q["sigma_w2"]), float(q["sigma_b2"])
    assert 2.5 < sw2 < 3.5 and 0.3 < sb2 < 0.7, (sw2, sb2)
    page.wait_for_function("(w) => document.querySelector('#th-point .point-text').textContent.includes(w)", arg=f"σ_w² = {q['sigma_w2']}")
    assert f"your point ({q['sigma_w2']}, {q['sigma_b2']})" in " ".join(names(page, PHASE))
    # the network view already holds that init, before any training
    page.click("#tab-network")
    page.wait_for_selector("#net-network select[data-param='init']")  # (the view's module loads on first use)
    assert page.eval_on_selector("#net-network select[data-param='init']", "e => e.value") == "custom"
    assert float(page.input_value("#net-network [data-param-box='sigma_w2']")) == sw2
    assert float(page.input_value("#net-network [data-param-box='sigma_b2']")) == sb2
    # back to the Theory tab: "Train at this point" trains its activation there
    page.click("#tab-theory")
    at_theory = page.url
    page.click("#th-train")
    page.wait_for_selector("#view-network:not([hidden])")
    assert "view=network" in page.url and "act=tanh" in page.url and "init=custom" in page.url
    trained = page.url
    # one history entry (Back went first to a Theory view with act=tanh that looked the same)
    page.go_back()
    page.wait_for_function("(u) => location.href === u", arg=at_theory)
    page.go_forward()
    page.wait_for_function("(u) => location.href === u", arg=trained)
    page.wait_for_selector("#view-network:not([hidden])")
    norms = "#view-network [data-panel='gradient-norms'] .plot"
    flow_plot = "#view-network [data-panel='gradient-flow'] .plot"
    # the overlay is laid again after every drawing of the run (training's last drawing may come after it)
    deadline = time.monotonic() + 90
    while True:
        shown, flow = names(page, norms), names(page, flow_plot)
        predicted = [n for n in shown if "mean-field theory" in n]
        measured = [n for n in shown if ": median of" in n]
        if (predicted and measured and any(n.startswith("predicted|heatmap") for n in flow)) or time.monotonic() > deadline:
            break
        page.wait_for_timeout(100)
    assert predicted and predicted[0].endswith("|dash"), shown  # predicted: dashed
    assert measured and not measured[0].endswith("|dash"), shown  # measured: solid
    assert any(n.startswith("predicted|heatmap") for n in flow), flow
    assert "Theory (σ_w²" in page.inner_text("#view-network [data-panel='gradient-norms'] .note")
    page.locator("#view-network [data-panel='gradient-flow']").scroll_into_view_if_needed()
    shot(page, "theory-trained-at-the-point")


def test_theory_panel_embeds(page, server):
    page.goto(f"{server}/embed/kernel?th=relu,gelu")
    page.wait_for_selector(".embed-plot[data-rendered='1']", timeout=60_000)
    assert [n.split("|")[0] for n in names(page, ".embed-plot")][:2] == ["ReLU", "ReLU: arc-cosine (Cho & Saul 2009)"]
    page.goto(f"{server}/embed/phase?th=tanh&sigma_w2=1.5&sigma_b2=0.2&init=custom")
    page.wait_for_selector(".embed-plot[data-rendered='1']", timeout=60_000)
    assert any(n.startswith("your point (1.5, 0.2)") for n in names(page, ".embed-plot"))


def test_a_click_on_the_phase_embed_moves_the_point_and_the_link(page, server):
    """The embed's note invites a click: it moves the point, and "Open in Activation Lab" then
    opens the lab with a network initialised there."""
    page.goto(f"{server}/embed/phase?th=tanh")
    page.wait_for_selector(".embed-plot[data-rendered='1']", timeout=60_000)
    assert "Click the plane to move the point" in page.text_content(".embed-status")
    assert "takes it there" in page.text_content(".embed-status")
    before = [n for n in names(page, ".embed-plot") if n.startswith("your point")]
    box = page.locator(".embed-plot .nsewdrag").first.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.8, box["y"] + box["height"] * 0.7)
    page.wait_for_function("() => new URL(document.querySelector('.embed-foot a').href).searchParams.get('init') === 'custom'")
    href = page.get_attribute(".embed-foot a", "href")
    page.wait_for_function("(b) => document.querySelector('.embed-plot').data.some((d) => (d.name || '').startsWith('your point') && d.name !== b)", arg=before[0].split("|")[0])
    after = [n for n in names(page, ".embed-plot") if n.startswith("your point")]
    assert after != before and "sigma_w2=" in href and "sigma_b2=" in href
    from urllib.parse import parse_qs, urlparse

    sw2 = parse_qs(urlparse(href).query)["sigma_w2"][0]
    assert len(sw2.replace(".", "").lstrip("0")) <= 3, sw2  # rounded as a person would type it


def test_the_phase_embed_fades_the_last_diagram_until_the_new_activations_comes(page, server):
    """An embed with its controls: choosing ELU instead of tanh, tanh's diagram stays faded
    (the status says "Computing…") until ELU's is drawn, in full again."""
    page.goto(f"{server}/embed/phase?th=tanh&controls=1")
    page.wait_for_selector(".embed-plot[data-rendered='1']", timeout=60_000)
    assert page.get_attribute(".embed-plot", "data-stale") == "0"
    assert float(page.eval_on_selector(".embed-plot", "e => getComputedStyle(e).opacity")) == 1
    held, release = hold(page, "**/api/theory/phase*")
    page.select_option(".embed-controls select >> nth=0", "elu")
    wait_held(page, held)
    assert page.eval_on_selector(".embed-plot", "e => e.layout.title.text") == "tanh"
    assert page.get_attribute(".embed-plot", "data-stale") == "1"
    assert page.text_content(".embed-status") == "Computing…"
    page.wait_for_function("() => getComputedStyle(document.querySelector('.embed-plot')).opacity < 0.5")
    release()
    page.wait_for_function("() => document.querySelector('.embed-plot').layout.title.text === 'ELU'", timeout=60_000)
    page.wait_for_function("() => getComputedStyle(document.querySelector('.embed-plot')).opacity === '1'")
    assert page.get_attribute(".embed-plot", "data-stale") == "0"
    assert "Click the plane to move the point" in page.text_content(".embed-status")


def test_the_phase_embed_legend_clears_the_axis_title_in_a_short_frame(page, server):
    """The legend under the phase diagram sits at the figure's bottom edge, not a fraction of the
    plot's height below it (which put it on the x axis' title in a short, narrow frame)."""
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{server}/lessons")
    page.set_content(f'<iframe src="{server}/embed/phase?th=tanh" style="width:370px;height:420px"></iframe>')
    frame = page.frame_locator("iframe")
    frame.locator(".embed-plot[data-rendered='1'] .legend").wait_for()
    # the embed refits its plot when its box settles (a second drawing): read once it holds still
    boxes, deadline = None, time.monotonic() + 15
    while time.monotonic() < deadline:
        now = (frame.locator(".legend").bounding_box(), frame.locator(".xtitle").bounding_box())
        if None not in now and now == boxes:
            break
        boxes = now
        page.wait_for_timeout(250)
    legend, title = boxes
    # (under the plane, or above it where the plot is too short for the bar and legend under it)
    assert title["y"] + title["height"] <= legend["y"] + 1 or legend["y"] + legend["height"] <= title["y"] + 1, (title, legend)


def test_a_panels_help_stays_beside_its_title(page, server):
    """Titles that wrap onto two lines (the theory's narrow panels at 1280) keep their "?" on
    their own row, as every other panel does, not at the start of the buttons' row."""
    page.set_viewport_size({"width": 1280, "height": 800})
    open_theory(page, server)
    rows = page.evaluate(
        """() => [...document.querySelectorAll('#view-theory .panel-head')].filter((h) => h.offsetParent).map((h) => {
          const t = h.querySelector('h2').getBoundingClientRect(), d = h.querySelector('.help-dot').getBoundingClientRect();
          return [h.querySelector('h2').textContent, d.top >= t.top - 2 && d.bottom <= t.bottom + 2];
        })"""
    )
    assert rows and all(ok for _, ok in rows), rows


def test_the_phases_names_keep_clear_of_the_point(page, server):
    """A point placed where "ordered" is written (the middle of its cells, 60 % up) hid the word
    under its ×; the name then moves to another row. The hover's invitation is in its label."""
    page.set_viewport_size({"width": 1280, "height": 800})
    open_theory(page, server, "&th=tanh")
    spot = page.eval_on_selector(PHASE, "e => e.layout.annotations.filter((a) => a.text === '<b>ordered</b>').map((a) => [a.x, a.y])[0]")
    open_theory(page, server, f"&th=tanh&init=custom&sigma_w2={spot[0]:.3g}&sigma_b2={spot[1]:.3g}")
    got = page.eval_on_selector(PHASE, """e => [e.layout.annotations.filter((a) => a.text === '<b>ordered</b>').map((a) => [a.x, a.y])[0],
      e.layout.xaxis.range, e.layout.yaxis.range, e.data[0].hovertemplate]""")
    (x, y), xr, yr, hover = got
    assert abs(x - spot[0]) > 0.12 * (xr[1] - xr[0]) or abs(y - spot[1]) > 0.1 * (yr[1] - yr[0]), got
    assert "click to initialise here" in hover and hover.endswith("<extra></extra>")


def test_the_cards_say_what_a_missing_number_means(page, server):
    """At (2.86, 0.5) ReLU's and GELU's q grows without bound: the API's c* is null there (no fixed
    point) and the cards wrote "c* = ∞" — a correlation cannot be infinite. tanh is chaotic with
    χ₁ = 1.0033, which the card rounded to "χ₁ = 1"."""
    page.set_viewport_size({"width": 1280, "height": 800})
    open_theory(page, server, "&th=tanh,relu,gelu&init=custom&sigma_w2=2.86&sigma_b2=0.5")
    tanh, relu, gelu = page.locator("#th-summary .stat").all_inner_texts()
    assert "chaotic, χ₁ = 1.003" in tanh, tanh  # (the API: 1.0033)
    assert "ξ_c = 301" in tanh, tanh
    for card in (relu, gelu):
        assert "c* = ∞" not in card and "ξ_q = ∞" not in card, card
        assert "q grows without bound" in card and "c*, ξ_q, ξ_c undefined (no fixed point)" in card, card
    note = page.inner_text("#view-theory [data-panel='gradient-prediction'] .note")
    assert "ReLU: undefined (q grows without bound" in note and "ReLU: ξ_q = ∞" not in note, note
    legend = names(page, "#view-theory [data-panel='gradient-prediction'] .plot")
    assert any(n.startswith("tanh: χ₁ = 1.003, chaotic") for n in legend), legend
    shot(page, "theory-1280x800-cards-undefined")


def test_the_phase_names_stay_inside_the_plot_on_a_phone(browser, server):
    """On a phone "chaotic" sat on the critical line and ran past the heatmap's right edge."""
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = ctx.new_page()
    try:
        for th in ("tanh", "relu", "gelu"):
            open_theory(page, server, f"&th={th}")
            page.locator(PHASE).scroll_into_view_if_needed()
            got = page.evaluate("""(sel) => {
              const gd = document.querySelector(sel);
              const plot = gd.querySelector('.nsewdrag').getBoundingClientRect();
              const fl = gd._fullLayout;
              const line = gd.data.find((d) => /critical line/.test(d.name));
              // the critical line's σ_w² at a σ_b², between its points
              const at = (b) => { for (let i = 1; i < line.y.length; i++) if (line.y[i] >= b) { const t = (b - line.y[i - 1]) / (line.y[i] - line.y[i - 1]); return line.x[i - 1] + t * (line.x[i] - line.x[i - 1]); } return line.x[line.x.length - 1]; };
              return { plot: [plot.left, plot.right], labels: fl.annotations.map((a, k) => {
                const r = gd.querySelectorAll('.annotation')[k].getBoundingClientRect();
                return [a.text, r.left, r.right, plot.left + fl.xaxis.l2p(at(a.y))]; }) };
            }""", PHASE)
            assert len(got["labels"]) == 2, got
            for text, left, right, line in got["labels"]:
                assert got["plot"][0] - 1 <= left and right <= got["plot"][1] + 1, (th, got)
                assert right < line or left > line, (th, text, got)  # not across the critical line
        shot(page, "theory-390x844-phase-names")
    finally:
        ctx.close()


def test_the_phase_note_says_when_there_is_no_critical_line(page, server):
    """Sigmoid's f′ ≤ 1/4 and hard sigmoid's 1/6: χ₁ = 1 needs σ_w² ≥ 16 or 36, past the search's
    10, so no line is drawn — yet the note said "the critical line (χ₁ = 1) on 7 values of σ_b².
    Open circles: …"."""
    page.set_viewport_size({"width": 1280, "height": 800})
    for name in ("sigmoid", "hardsigmoid"):
        open_theory(page, server, f"&th={name}")
        assert not any(n.startswith("critical line") for n in names(page, PHASE))
        note = page.inner_text("#view-theory [data-panel='phase'] .note")
        assert "no critical line: χ₁ = 1 at no σ_w² in [0.1, 10], at any of 7 values of σ_b²" in note, note
        assert "every point is ordered" in note and "Open circles" not in note, note
    open_theory(page, server, "&th=relu")  # σ_w² = 2 on the whole line, q* only at σ_b² = 0
    note = page.inner_text("#view-theory [data-panel='phase'] .note")
    assert "the critical line (χ₁ = 1) on 7 values of σ_b². Open circles: no q* there" in note, note


def test_geLUs_phase_diagram_draws_the_jump_over_chi1_1_apart_from_the_critical_line(page, server):
    """GELU's line at σ_b² ≤ 0.1 was drawn and named "critical line χ₁ = 1" where χ₁ jumps from
    ~0.54 to ~1.08 (q* small on the left, q growing without bound on the right). Those points are
    now a dotted line of their own, and every point of the critical line has χ₁ = 1 (the API's)."""
    page.set_viewport_size({"width": 1280, "height": 800})
    open_theory(page, server, "&th=gelu")
    traces = page.eval_on_selector(PHASE, "e => e.data.filter(t => t.type === 'scatter').map(t => [t.name, t.x, t.y, (t.line || {}).dash || ''])")
    by_name = {t[0]: t for t in traces}
    jump, line = by_name["χ₁ jumps over 1 (q* changes)"], by_name["critical line χ₁ = 1"]
    assert jump[3] == "dot" and line[3] == ""
    assert jump[2][0] == 0 and jump[1][0] == pytest.approx(2.155, abs=1e-3) and max(jump[2]) < min(line[2])
    for sw2, sb2 in zip(line[1], line[2]):
        chi1 = httpx.get(f"{server}/api/theory/propagation", params={"name": "gelu", "sigma_w2": sw2, "sigma_b2": sb2}).json()["chi1"]
        assert chi1 == pytest.approx(1.0, abs=1e-6), (sw2, sb2)
    for sw2, sb2 in zip(jump[1], jump[2]):
        left, right = (httpx.get(f"{server}/api/theory/propagation", params={"name": "gelu", "sigma_w2": sw2 * f, "sigma_b2": sb2}).json()["chi1"] for f in (0.999, 1.001))
        assert left < 1 < right and right - left > 0.01, (sw2, sb2, left, right)
    note = page.inner_text("#view-theory [data-panel='phase'] .note")
    assert f"the critical line (χ₁ = 1) on {len(line[1])} values of σ_b². At {len(jump[1])} values of σ_b², χ₁ jumps over 1 instead (dotted line)" in note, note
    shot(page, "theory-gelu-phase-jump")


PHASE_PANEL = "#view-theory [data-panel='phase']"


def test_the_phase_diagram_of_the_last_activation_is_marked_until_the_new_one_comes(page, server):
    """Changing the first activation from tanh to ELU: while ELU's phase diagram is on its way,
    tanh's (titled "tanh", its critical line) is faded under "Computing the phase diagram for ELU…",
    not passed off as ELU's. A click on the plane meanwhile moves the point (the cards answer it
    for ELU) and the diagram waits for ELU's, drawn then with the ✕ there — it stayed tanh's,
    the click's newer request sharing the aborted one."""
    page.set_viewport_size({"width": 1280, "height": 800})
    open_theory(page, server, "&th=tanh,relu,gelu")
    assert page.eval_on_selector(PHASE, "e => e.layout.title.text") == "tanh"
    assert page.get_attribute(PHASE_PANEL, "data-stale") != "1" and page.is_hidden(f"{PHASE_PANEL} .stale-note")
    held, release = hold(page, "**/api/theory/phase*")
    page.select_option("#th-curves select >> nth=0", "elu")
    wait_held(page, held)
    page.wait_for_function("() => [...document.querySelectorAll('#th-summary .stat')].some((s) => s.textContent.startsWith('ELU at (2, 0)'))")
    # the cards are ELU's; the diagram still tanh's, and marked so
    assert page.eval_on_selector(PHASE, "e => e.layout.title.text") == "tanh"
    assert page.get_attribute(PHASE_PANEL, "data-stale") == "1"
    assert page.is_visible(f"{PHASE_PANEL} .stale-note")
    assert page.inner_text(f"{PHASE_PANEL} .stale-note") == "Computing the phase diagram for ELU…"
    assert float(page.eval_on_selector(PHASE, "e => getComputedStyle(e).opacity")) < 1
    page.locator(PHASE).scroll_into_view_if_needed()
    shot(page, "theory-1280x800-phase-computing")
    # a click on the plane meanwhile: the point moves, the cards answer for ELU there, the diagram waits
    box = page.locator(f"{PHASE} .nsewdrag").bounding_box()
    page.mouse.click(box["x"] + 0.75 * box["width"], box["y"] + 0.5 * box["height"])
    page.wait_for_function("() => /sigma_w2=/.test(location.search)")
    q = dict(re.findall(r"(\w+)=([^&]+)", page.url.split("?", 1)[1]))
    at = f"({q['sigma_w2']}, {q['sigma_b2']})"
    page.wait_for_function("(at) => document.querySelector('#th-summary .stat').textContent.startsWith(`ELU at ${at}`)", arg=at)
    assert page.get_attribute("#th-summary", "data-stale") == "0"
    assert page.eval_on_selector(PHASE, "e => e.layout.title.text") == "tanh"
    assert page.get_attribute(PHASE_PANEL, "data-stale") == "1" and page.is_visible(f"{PHASE_PANEL} .stale-note")
    # the answer: ELU's diagram, with the point where it was clicked, no longer marked
    release()
    page.wait_for_function("(sel) => document.querySelector(sel).layout.title.text === 'ELU'", arg=PHASE, timeout=60_000)
    assert page.get_attribute(PHASE_PANEL, "data-stale") == "0" and page.is_hidden(f"{PHASE_PANEL} .stale-note")
    assert float(page.eval_on_selector(PHASE, "e => getComputedStyle(e).opacity")) == 1
    shown = " ".join(names(page, PHASE))
    assert f"your point {at}" in shown and "critical line χ₁ = 1" in shown, shown
    assert page.inner_text(f"{PHASE_PANEL} .note").startswith("ELU: ")
    shot(page, "theory-1280x800-phase-computed")


def test_the_other_theory_panels_are_marked_while_their_answers_come(page, server):
    """The same for the panels drawn from the propagation answers (the predicted gradients, and
    the cards made of them): faded, said, until the new activation's are drawn."""
    page.set_viewport_size({"width": 1280, "height": 800})
    open_theory(page, server, "&th=tanh,relu,gelu")
    panel = "#view-theory [data-panel='gradient-prediction']"
    held, release = hold(page, "**/api/theory/propagation*")
    page.select_option("#th-curves select >> nth=0", "elu")
    wait_held(page, held)
    assert page.get_attribute(panel, "data-stale") == "1"
    assert page.inner_text(f"{panel} .stale-note") == "Computing this plot for the new settings…"
    assert page.get_attribute("#th-summary", "data-stale") == "1"
    assert page.locator("#th-summary .stat").first.inner_text().startswith("tanh at (2, 0)")
    release()
    page.wait_for_function("() => document.querySelector('#th-summary .stat').textContent.startsWith('ELU at (2, 0)')", timeout=60_000)
    assert page.get_attribute(panel, "data-stale") == "0" and page.is_hidden(f"{panel} .stale-note")
    assert page.get_attribute("#th-summary", "data-stale") == "0"
    assert any(n.startswith("ELU: ") for n in names(page, f"{panel} .plot"))
