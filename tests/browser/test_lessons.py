"""The lessons in a real browser: the index, presentation mode walked through with the
keyboard (every lesson renders its plots and its measured readout, no console errors),
and a lesson page whose readout follows its controls. Screenshots go to tests/artifacts/."""

from __future__ import annotations

import re
import threading
import urllib.request

import pytest

from app.core import lessons as L

from .conftest import PageWatch, settles, shot, until

pytestmark = pytest.mark.browser

READY = "body[data-ready='1']"
# Keys that move forward, used in turn so each is exercised.
FORWARD = ("ArrowRight", "PageDown", " ")


def _at(page, slug: str, step: int) -> None:
    page.wait_for_function(
        "([slug, step]) => location.pathname === '/lessons/' + slug && new URLSearchParams(location.search).get('step') === String(step)",
        arg=[slug, step],
        timeout=15_000,
    )


def _click_until_gone(page, cue, clicks: int) -> None:
    """Click a "more below" cue until the end is reached and it hides (each click scrolls a screen, smoothly)."""
    for _ in range(clicks):
        if not cue.is_visible():
            break
        cue.click()
        page.wait_for_timeout(600)
    assert not cue.is_visible()


def _measured(page) -> None:
    page.wait_for_selector("#readout .headline [data-readout]", state="attached", timeout=60_000)
    page.wait_for_function("() => !document.getElementById('main').dataset.measuring", timeout=60_000)


def test_index_lists_every_lesson(page, server):
    page.goto(f"{server}/lessons")
    page.wait_for_selector(READY)
    slugs = page.locator(".lesson-card").evaluate_all("cards => cards.map(c => c.dataset.slug)")
    # the source's claims (in number order), then the brief ones, then the theory's predictions
    groups = ([x for x in L.LESSONS if not x.optional and not x.paper], [x for x in L.LESSONS if x.optional], [x for x in L.LESSONS if x.paper])
    assert slugs == [x.slug for g in groups for x in g] and sorted(slugs) == sorted(L.SLUGS)
    assert slugs[9] == "deep-without-pretraining"
    assert page.locator("#present-all").get_attribute("href") == f"/lessons/{L.SLUGS[0]}?present=1&step=1"
    shot(page, "lessons-index")


def _warm(server: str) -> threading.Thread:
    """Measure every lesson once, in order, while the browser walks ahead of it: the pages
    then find their (deterministic) measurements in the server's cache."""

    def run() -> None:
        for slug in L.SLUGS:
            with urllib.request.urlopen(f"{server}/api/lessons/{slug}/measure", timeout=120) as r:
                r.read()

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def test_presentation_walks_through_every_lesson_with_the_keyboard(page, server):
    warm = _warm(server)
    page.goto(f"{server}/lessons/{L.SLUGS[0]}?present=1&step=1")
    presses = 0
    for lesson in L.LESSONS:
        steps = 3 + len(lesson.plots)
        for step in range(1, steps + 1):
            _at(page, lesson.slug, step)
            page.wait_for_selector(READY)
            current = page.locator(f".step[data-step='{step}']")
            assert current.is_visible()
            # one idea per screen: no other step is showing
            assert page.locator(".step:visible").count() == 1, f"{lesson.slug} step {step}"
            if step == 1:
                assert lesson.claim[:40] in page.locator(".step-claim blockquote").inner_text()
            elif step < steps - 1:
                _measured(page)
                plot = current.locator(".plot .main-svg").first
                plot.wait_for(state="visible", timeout=30_000)
                box = plot.bounding_box()
                assert box and box["width"] > 400 and box["height"] > 250, box
                assert page.locator("#readout .badge").is_visible()
                # defaults support every claim, and the page shows the API's own verdict
                assert page.locator("#readout .badge.ok").count() == 1, page.locator("#readout").inner_text()
            elif step == steps - 1:
                assert lesson.explanation[0][:40] in current.inner_text()
            else:
                _measured(page)
                assert page.locator("#readouts tbody tr").count() >= 2
                assert page.locator("#numbers-verdict .badge.ok").is_visible()
                assert page.locator(".step-numbers a.explorer-link").get_attribute("href").startswith("/")
            if 1 < step < steps - 1 or lesson.number == 1 or step == steps:
                shot(page, f"present-{lesson.number:02d}-{lesson.slug}-{step}")
            page.keyboard.press(FORWARD[presses % len(FORWARD)])
            presses += 1
    # past the very last screen nothing happens; going back crosses into the previous lesson
    last = L.LESSONS[-1]
    _at(page, last.slug, 3 + len(last.plots))
    page.goto(f"{server}/lessons/{L.SLUGS[1]}?present=1&step=1")
    page.wait_for_selector(READY)
    page.keyboard.press("ArrowLeft")
    _at(page, L.SLUGS[0], 3 + len(L.LESSONS[0].plots))
    page.keyboard.press("PageUp")
    _at(page, L.SLUGS[0], 3 + len(L.LESSONS[0].plots) - 1)
    page.keyboard.press("Escape")
    page.wait_for_function("() => !document.body.classList.contains('present') && location.search === ''")
    warm.join(timeout=60)


def test_lesson_page_readout_follows_its_controls(page, server):
    page.goto(f"{server}/lessons/scale-invariance")
    page.wait_for_selector(READY)
    _measured(page)
    assert page.locator(".step:visible").count() == 3 + len(L.get("scale-invariance").plots)  # page mode shows every step
    assert page.locator(".plot .main-svg").count() >= 2
    headline = page.locator("#readout .headline .what")
    assert "a = 2" in headline.inner_text()
    box = page.locator("[data-param-box='a']")
    box.fill("3.5")
    box.dispatch_event("change")
    page.wait_for_function("() => document.querySelector('#readout .headline .what').textContent.includes('a = 3.5')")
    assert re.search(r"[?&]a=3\.5\b", page.url)
    page.select_option("[data-param='compare']", "gelu")
    page.wait_for_function("() => document.querySelector('.explorer-link').getAttribute('href').includes('gelu')")
    assert page.locator("#readout .badge.ok").count() == 1
    shot(page, "lesson-scale-invariance-page")
    # a link with the settings reproduces them
    page.goto(f"{server}/lessons/scale-invariance?a=1")
    page.wait_for_selector(READY)
    _measured(page)
    assert "a = 1" in headline.inner_text()
    assert "trivial" in page.locator("#readouts").inner_text()


def test_training_lesson_page_and_dark_theme(page, server):
    page.goto(f"{server}/lessons/dying-relu?theme=dark")
    page.wait_for_selector(READY)
    _measured(page)
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    assert page.locator(".plot .main-svg").count() >= 2
    href = page.locator("a.explorer-link").first.get_attribute("href")
    assert "mode=sweep" in href and "act=relu,leaky_relu" in href
    shot(page, "lesson-dying-relu-dark")


# ----------------------------------------------------------------------------- presentation on a phone and a projector

# Each kind of slide's main parts, which must not overlap one another (those shown: a lesson
# without controls has no sliders).
SLIDE_PARTS = {
    "claim": [".step-claim .kicker", ".step-claim h1", ".step-claim blockquote.claim", ".step-claim dl.method"],
    "plot": [".step-plot:not([hidden]) .panel-head h2", ".step-plot:not([hidden]) .plot", "#readout", "#lesson-controls", ".measure-bar"],
    "why": ["#why-title", ".why-text p"],
    "numbers": ["#numbers-title", "#numbers-verdict", "#readouts", ".step-numbers a.explorer-link", "#explorer-note-numbers"],
}

# Boxes (in page coordinates, cut to the part a scrolling column shows) of the visible
# elements matching each selector, the page's horizontal overflow, visible elements of the
# slide sticking out of the screen, and the navigation bar.
LAYOUT_JS = """(selectors) => {
  const visible = (e) => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== 'hidden'; };
  const scroller = (e) => {
    for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
      if (/(auto|scroll)/.test(getComputedStyle(a).overflowY) && a.scrollHeight > a.clientHeight) return a;
    }
    return null;
  };
  const box = (e) => {
    const r = e.getBoundingClientRect();
    const s = scroller(e);
    const c = s ? s.getBoundingClientRect() : { top: -Infinity, bottom: Infinity };
    return { left: r.left, right: r.right, top: Math.max(r.top, c.top) + scrollY, bottom: Math.min(r.bottom, c.bottom) + scrollY };
  };
  const parts = [];
  for (const sel of selectors) {
    document.querySelectorAll(sel).forEach((e, i) => {
      const b = visible(e) && box(e);
      if (b && b.bottom > b.top) parts.push({ name: `${sel} #${i}`, ...b });
    });
  }
  const W = document.documentElement.clientWidth;
  const outside = [...document.querySelectorAll('#main *')]
    // inside an SVG Plotly clips what lies beyond the plot area: the SVG's own box is what shows
    .filter((e) => visible(e) && !e.closest('.presenter, [hidden]') && !e.ownerSVGElement)
    .filter((e) => { const r = e.getBoundingClientRect(); return r.left < -1 || r.right > W + 1; })
    .map((e) => `${e.tagName.toLowerCase()}.${e.className && e.className.baseVal !== undefined ? e.className.baseVal : e.className}`);
  const bar = document.querySelector('.presenter').getBoundingClientRect();
  return { parts, outside: outside.slice(0, 10), scrollWidth: document.documentElement.scrollWidth, width: W,
           pageHeight: document.documentElement.scrollHeight, viewHeight: innerHeight, barTop: bar.top, barHeight: bar.height };
}"""


def _kind(lesson: L.Lesson, step: int) -> str:
    steps = 3 + len(lesson.plots)
    return "claim" if step == 1 else "why" if step == steps - 1 else "numbers" if step == steps else "plot"


def _check_slide(page, lesson: L.Lesson, step: int, size: str) -> None:
    kind = _kind(lesson, step)
    where = f"{lesson.slug} step {step} at {size}"
    if kind == "plot":
        # the plot has been drawn to fit its box
        page.wait_for_function(
            "() => { const p = document.querySelector('.step-plot:not([hidden]) .plot'); const s = p && p.querySelector('.main-svg');"
            " return s && s.getBoundingClientRect().width > 200 && s.getBoundingClientRect().right <= p.getBoundingClientRect().right + 1; }",
            timeout=30_000,
        )
    page.wait_for_timeout(300)  # Plotly's resize after the slide is shown
    lay = page.evaluate(LAYOUT_JS, SLIDE_PARTS[kind])
    assert lay["scrollWidth"] <= lay["width"], f"{where}: the page scrolls sideways ({lay['scrollWidth']} > {lay['width']})"
    assert not lay["outside"], f"{where}: sticking out of the screen: {lay['outside']}"
    parts = lay["parts"]
    assert len(parts) >= 3, f"{where}: {parts}"
    for p in parts:
        assert p["left"] >= -0.5 and p["right"] <= lay["width"] + 0.5, f"{where}: {p}"
    for i, a in enumerate(parts):
        for b in parts[i + 1 :]:
            overlap_x = min(a["right"], b["right"]) - max(a["left"], b["left"])
            overlap_y = min(a["bottom"], b["bottom"]) - max(a["top"], b["top"])
            assert overlap_x <= 0.5 or overlap_y <= 0.5, f"{where}: {a['name']} overlaps {b['name']}: {a} {b}"
    # scrolled to the end, the navigation bar covers nothing of the slide
    lowest = max(p["bottom"] for p in parts)
    assert lowest <= lay["pageHeight"] - lay["barHeight"] + 0.5, f"{where}: the navigation bar covers the end of the slide"


@pytest.mark.parametrize(
    "size, slugs",
    [
        ((390, 844), ("dying-relu", "vanishing-gradients", "efficient-computation")),
        ((1280, 720), ("dying-relu",)),
        ((1920, 1080), ("vanishing-gradients",)),
    ],
    ids=["phone", "1280x720", "projector"],
)
def test_presentation_slides_fit_the_screen(browser, server, size, slugs):
    """Every slide's parts sit side by side or one under the other — never on top of each
    other — and nothing runs off the screen sideways, on a phone as on a projector."""
    width, height = size
    ctx = browser.new_context(viewport={"width": width, "height": height})
    page = ctx.new_page()
    watch = PageWatch(page, server)
    try:
        for slug in slugs:
            lesson = L.get(slug)
            for step in range(1, 3 + len(lesson.plots) + 1):
                page.goto(f"{server}/lessons/{slug}?present=1&step={step}")
                page.wait_for_selector(READY)
                _measured(page)
                assert page.locator(".step:visible").count() == 1
                _check_slide(page, lesson, step, f"{width}×{height}")
                if width < 500:
                    # large type stays readable on a phone
                    size_px = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.step-claim h1')).fontSize)")
                    assert size_px >= 20
                    shot(page, f"present-phone-{lesson.number:02d}-{slug}-{step}")
        watch.assert_clean()
    finally:
        ctx.close()


def test_explorer_link_says_what_the_explorer_shows(page, server):
    """The vanishing-gradients lesson measures ‖∂L/∂W‖ over several seeds; its explorer view
    shows ‖∂L/∂(layer input)‖ for one seed: the page says so, with the explorer's numbers."""
    page.goto(f"{server}/lessons/vanishing-gradients")
    page.wait_for_selector(READY)
    _measured(page)
    m = L.run_measure(L.get("vanishing-gradients"))
    note = L.explorer_note(L.get("vanishing-gradients"), L.get("vanishing-gradients").defaults(), m)
    assert page.locator("#explorer-note-numbers").inner_text() == note
    assert "seed 0" in note and "‖∂L/∂(layer input)‖" in note and "8 weight seeds" in note
    side = page.locator(".explorer-about")
    side.locator("summary").click()
    assert side.locator(".explorer-note").inner_text() == note
    assert page.locator(".lesson-bar a.explorer-link").get_attribute("aria-describedby") == "explorer-note-side"
    row = page.locator("#readouts tr[data-readout='input_ratios']")
    assert "layer input" in row.inner_text() and "explorer" in row.inner_text()


def test_a_refused_formula_stays_out_of_the_lessons_link(page, server):
    """The link and the status keep to the last formula measured; a link with a broken formula
    comes back without it."""
    page.goto(f"{server}/lessons/scale-invariance")
    _measured(page)
    box = page.locator("#control-own")
    box.fill("x^2")
    box.press("Enter")
    page.wait_for_function("() => new URLSearchParams(location.search).get('own') === 'x^2'")
    page.wait_for_function("() => /Your formula x\\^2/.test(document.body.textContent)")
    page.watch.errors.clear()
    box.fill("sin(")
    box.press("Enter")
    page.wait_for_selector(".formula-error:not([hidden])")
    page.wait_for_function("() => /could not be measured/.test(document.getElementById('lesson-status').textContent)")
    assert "still for x^2" in page.text_content("#lesson-status")
    assert page.evaluate("() => new URLSearchParams(location.search).get('own')") == "x^2"
    page.goto(f"{server}/lessons/scale-invariance?own=sin(")
    page.wait_for_selector(".formula-error:not([hidden])")
    page.wait_for_function("() => new URLSearchParams(location.search).get('own') === null")
    assert page.input_value("#control-own") == "sin("
    page.watch.errors = [e for e in page.watch.errors if "status of 422" not in e]


# ----------------------------------------------------------------------------- a new user's pass (a teacher)


def test_a_slider_at_its_end_is_measured_and_a_failure_clears_the_numbers(page, server):
    """/lessons/he-initialisation?depth=50 (its slider's end) said 'Could not measure (width)'
    and left the last numbers on screen. It is measured now; a measurement that fails names the
    setting moved and takes the old numbers away."""
    page.goto(f"{server}/lessons/he-initialisation?depth=50")
    page.wait_for_selector(READY)
    _measured(page)
    assert page.locator("#lesson-status.error").count() == 0
    assert "median over 9 random" in page.locator("#readout .headline .what").inner_text()
    assert page.locator("#readouts tr[data-readout]").count() == len(L.run_measure(L.get("he-initialisation"), {"depth": 50}).readouts)
    body = '{"detail": "these settings cost 2e+10 units of compute", "field": "width", "code": "budget"}'
    page.route("**/api/lessons/he-initialisation/measure?*", lambda route: route.fulfill(status=422, body=body, content_type="application/json"))
    box = page.locator("[data-param-box='seeds']")
    box.fill("8")
    box.dispatch_event("change")
    page.wait_for_selector("#lesson-status.error")
    status = page.locator("#lesson-status").inner_text()
    assert "with Weight draws at 8" in status and "(width)" not in status
    assert "with Weight draws at 8: these settings cost" in page.locator("#readout .error-box").inner_text()
    assert page.locator("#readouts tr[data-readout]").count() == 0
    assert "Not measured" in page.locator("#readouts").inner_text() and page.locator("#numbers-verdict").inner_text() == ""
    assert page.locator(".plot[data-rendered]").count() == 0
    page.watch.errors = [e for e in page.watch.errors if "status of 422" not in e]


# (a slide taller than the screen makes the page scroll: "content" is the page's height)
NUMBERS_JS = """() => {
  const t = document.querySelector('table.readouts');
  const value = document.querySelector('table.readouts thead th:nth-child(2)');
  return { content: document.documentElement.scrollHeight, box: innerHeight, valueShare: value.getBoundingClientRect().width / t.getBoundingClientRect().width,
           table: parseFloat(getComputedStyle(t).fontSize), rows: document.querySelectorAll('#readouts tr[data-readout]').length };
}"""


@pytest.mark.parametrize("size", [(1280, 720), (1024, 768)], ids=["1280x720", "1024x768"])
def test_every_number_measured_fits_its_slide(browser, server, size):
    """At 1280×720 lesson 10's table took 1069 px in a 634 px box (its Value column 60 % wide)
    and lesson 2's explorer note was cut; at 1024×768 the type shrank to 12.8 px."""
    width, height = size
    ctx = browser.new_context(viewport={"width": width, "height": height})
    page = ctx.new_page()
    try:
        for slug in ("efficient-computation", "vanishing-gradients", "dying-relu"):
            lesson = L.get(slug)
            page.goto(f"{server}/lessons/{slug}?present=1&step={3 + len(lesson.plots)}")
            page.wait_for_selector("#readouts tr[data-readout]", timeout=60_000)
            lay = page.evaluate(NUMBERS_JS)
            assert lay["content"] <= lay["box"] + 1, (slug, lay)
            assert lay["valueShare"] < 0.3 and lay["table"] >= 16, (slug, lay)
            page.goto(f"{server}/lessons/{slug}?present=1&step={2 + len(lesson.plots)}")  # "why" fits as well
            page.wait_for_selector(READY)
            why = page.evaluate("() => [document.documentElement.scrollHeight, innerHeight, parseFloat(getComputedStyle(document.querySelector('.why-text')).fontSize)]")
            assert why[0] <= why[1] + 1 and why[2] >= 20, (slug, why)
        # a 4:3 projector's type is as large as a 16:9 one's
        page.goto(f"{server}/lessons/dying-relu?present=1&step=1")
        page.wait_for_selector(READY)
        claim = page.evaluate("parseFloat(getComputedStyle(document.querySelector('blockquote.claim')).fontSize)")
        assert claim >= 31
    finally:
        ctx.close()


def test_the_numbers_table_keeps_its_value_column_narrow_on_the_page(page, server):
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{server}/lessons/efficient-computation")
    page.wait_for_selector("#readouts tr[data-readout]", timeout=60_000)
    assert page.evaluate(NUMBERS_JS)["valueShare"] < 0.3


def _contrast_on_white(hex_colour: str) -> float:
    def lum(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return 1.05 / (0.2126 * lum(r) + 0.7152 * lum(g) + 0.0722 * lum(b) + 0.05)


FIGURE_JS = "() => { const g = document.querySelector('.step-plot:not([hidden]) .plot'); return { data: g.data.map((t) => ({ name: t.name, line: t.line, marker: t.marker, xaxis: t.xaxis })), annotations: g.layout.annotations || [] }; }"


def test_presentation_plots_are_readable(page, server):
    """At 1280×720: lesson 3's panel titles were 13 px and its 8 learning-rate lines close
    shades of one style; lesson 1's 'layer 4' line was yellow on white; lesson 11's tanh lay
    hidden under the sigmoid line."""
    page.goto(f"{server}/lessons/dying-relu?present=1&step=3")
    page.wait_for_selector(".step-plot:not([hidden]) .plot[data-rendered]", timeout=60_000)
    fig = page.evaluate(FIGURE_JS)
    assert [a["font"]["size"] >= 20 for a in fig["annotations"]] == [True, True]
    first = [t for t in fig["data"] if t.get("xaxis") in (None, "x")]
    assert len(first) == 8 and all(a["line"]["dash"] != b["line"]["dash"] for a, b in zip(first, first[1:]))
    page.goto(f"{server}/lessons/sparse-activation?present=1&step=3")
    page.wait_for_selector(".step-plot:not([hidden]) .plot[data-rendered]", timeout=60_000)
    colours = [t["line"]["color"] for t in page.evaluate(FIGURE_JS)["data"]]
    assert min(_contrast_on_white(c) for c in colours) >= 3, colours  # WCAG: graphics 3:1
    page.goto(f"{server}/lessons/unbounded?present=1&step=2")
    page.wait_for_selector(".step-plot:not([hidden]) .plot[data-rendered]", timeout=60_000)
    traces = {t["name"]: t for t in page.evaluate(FIGURE_JS)["data"]}
    tanh, sigmoid = traces["tanh"], traces["Logistic sigmoid"]
    assert tanh["line"]["width"] > sigmoid["line"]["width"] and tanh["marker"]["size"] > sigmoid["marker"]["size"]
    assert tanh["marker"]["symbol"] != sigmoid["marker"]["symbol"] and tanh["line"]["dash"] != sigmoid["line"]["dash"]


def test_the_side_column_says_when_settings_are_below(page, server):
    """At 1280×800 lesson 1's side column ended at 'Initial bias' with 'First seed' hidden and no cue."""
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{server}/lessons/sparse-activation")
    page.wait_for_selector(READY)
    _measured(page)
    page.evaluate("window.scrollTo(0, 500)")
    cue = page.locator("#more-below")
    cue.wait_for(state="visible")
    _click_until_gone(page, cue, 5)
    seed = page.locator("#lesson-controls label", has_text="Seed").last
    side = page.locator(".side").bounding_box()
    box = seed.bounding_box()
    assert box and side["y"] <= box["y"] and box["y"] + box["height"] <= side["y"] + side["height"] + 1


def test_a_busy_server_is_asked_again_not_reported(page, server):
    """Six sliders moved to their ends within half a second: the page cancels its own earlier
    measurements, the server is still finishing them, and the next answer is 503. The page said
    "The server is busy — measure again in a moment." to one user on an idle server; it now asks
    again after the Retry-After, counting down, as the network view does."""
    calls = {"n": 0}

    def first_busy(route):
        calls["n"] += 1
        if calls["n"] == 1:
            route.fulfill(status=503, headers={"Retry-After": "1", "Content-Type": "application/json"},
                          body='{"detail": "busy", "code": "busy", "retry_after": 1}')
        else:
            route.continue_()

    page.route("**/api/lessons/*/measure*", first_busy)
    page.goto(f"{server}/lessons/scale-invariance", wait_until="commit")  # (the wait may be over by "load")
    seen = set()
    for _ in range(300):  # the status through the wait (polled: a countdown of 1 s)
        seen.add(page.evaluate("document.getElementById('lesson-status') && document.getElementById('lesson-status').textContent"))
        if calls["n"] == 2:
            break
        page.wait_for_timeout(30)
    assert "The server is busy — measuring again in 1 s…" in seen, seen
    page.wait_for_selector(READY)
    _measured(page)
    assert calls["n"] == 2 and page.locator("#lesson-status").text_content().startswith("Measured")
    page.watch.errors = [e for e in page.watch.errors if "503" not in e]


def test_an_outdated_link_says_what_it_corrected(page, server):
    """A link from before the sliders' maxima were lowered (dying ReLU's width 32, depth 9) was
    clamped in silence, and the API answers such values with 422: the page measures what its
    sliders can show, rewrites the address and says what it changed. Presenting, the notice
    floats over the slide and goes with the first key."""
    page.goto(f"{server}/lessons/dying-relu?width=32&depth=9&leak=abc&foo=1")
    page.wait_for_selector(READY)
    _measured(page)
    assert page.locator("#lesson-status.error").count() == 0
    notes = page.locator("#url-notice li").all_inner_texts()
    assert notes == ['"foo" is not a setting of this page: ignored.', 'leak="abc" is not a number: using 0.01.',
                     'depth="9" is out of range (allowed 1 to 6): using 6.', 'width="32" is out of range (allowed 4 to 24): using 24.']
    assert page.evaluate("location.search") == "?depth=6&width=24"
    assert page.locator("[data-param-box='width']").input_value() == "24"
    page.locator("#url-notice button").click()
    assert page.locator("#url-notice").is_hidden()
    page.goto(f"{server}/lessons/dying-relu?width=20")  # a valid link: nothing to say
    page.wait_for_selector(READY)
    assert page.locator("#url-notice").is_hidden() and page.evaluate("location.search") == "?width=20"
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{server}/lessons/dying-relu?present=1&step=1&width=32")
    page.wait_for_selector(READY)
    assert page.locator("#url-notice").is_visible()
    box = page.locator("#url-notice").bounding_box()
    assert page.evaluate("getComputedStyle(document.getElementById('url-notice')).position") == "fixed" and box["y"] < 20
    page.keyboard.press("ArrowRight")
    _at(page, "dying-relu", 2)
    assert page.locator("#url-notice").is_hidden()
    # a step past the last screen is corrected and said (it was rewritten in silence)
    page.goto(f"{server}/lessons/dying-relu?present=1&step=99")
    page.wait_for_selector(READY)
    steps = page.evaluate("new URLSearchParams(location.search).get('step')")
    assert int(steps) > 2
    assert page.locator("#url-notice li").all_inner_texts() == [f'step="99" is out of range (allowed 1 to {steps}): using {steps}.']



def test_a_page_link_with_a_step_opens_at_that_screen_and_a_bad_present_is_said(page, server):
    """?present=0&step=3 (a screen's link, read as a page) opened at the top, and ?present=yes
    was read as 0, both in silence. The page now scrolls to the step's screen (again after the
    plots above it are drawn) and says that "yes" is not 0 or 1."""
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{server}/lessons/sparse-activation?present=0&step=3")
    page.wait_for_selector(READY)
    _measured(page)
    page.wait_for_timeout(300)
    top = page.evaluate("document.querySelector('.step[data-step=\"3\"]').getBoundingClientRect().top")
    bar = page.evaluate("document.querySelector('.topbar, header').getBoundingClientRect().bottom")
    assert bar - 1 <= top <= bar + 40, (top, bar)
    assert page.locator("#url-notice").is_hidden()
    # the address keeps the step (copied now, it opens here again) until the reader scrolls away
    assert page.evaluate("location.search") == "?step=3"
    page.mouse.wheel(0, 400)
    page.wait_for_function("() => location.search === ''")
    page.goto(f"{server}/lessons/sparse-activation?present=yes")
    page.wait_for_selector(READY)
    assert page.evaluate("scrollY") == 0
    assert not page.evaluate("document.body.classList.contains('present')")
    assert page.locator("#url-notice li").all_inner_texts() == ['present="yes" is not 0 or 1: using 0.']

TITLES_JS = """() => {
  const gd = document.querySelector('.step-plot:not([hidden]) .plot[data-rendered]');
  const boxes = [...gd.querySelectorAll('.annotation-text')].map((t) => t.getBoundingClientRect());
  const ticks = [...gd.querySelectorAll('.yaxislayer-above')].map((g) => g.querySelectorAll('.ytick text').length);
  return { boxes: boxes.map((b) => [b.left, b.right]), sizes: gd.layout.annotations.map((a) => a.font.size), ticks };
}"""


@pytest.mark.parametrize("size", [(1024, 768), (1280, 720)], ids=["1024x768", "1280x720"])
def test_gradient_flow_panel_titles_stand_apart(browser, server, size):
    """Lesson 2's gradient-flow slide at 1024×768 read 'Logistic sigmoidtanh' in 13 px type, and
    each panel's layer numbers sat on the heat map before it."""
    ctx = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = ctx.new_page()
    try:
        page.goto(f"{server}/lessons/vanishing-gradients?present=1&step=3")
        page.wait_for_selector(".step-plot:not([hidden]) .plot[data-rendered]", timeout=60_000)
        got = page.evaluate(TITLES_JS)
        boxes = sorted(got["boxes"])
        assert len(boxes) == 3 and all(a[1] + 4 <= b[0] for a, b in zip(boxes, boxes[1:])), boxes
        assert min(got["sizes"]) >= 18
        assert [n > 0 for n in got["ticks"]] == [True, False, False], got["ticks"]
    finally:
        ctx.close()


@pytest.mark.parametrize("slug,step", [("he-initialisation", 2), ("edge-of-chaos", 2)])
def test_phone_presentation_keeps_the_modebar_off_the_legend(browser, server, slug, step):
    """On a phone (390 × 844, touch: the modebar always shown) Plotly's icons sat on the first
    legend row of the lesson's plot."""
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = ctx.new_page()
    try:
        page.goto(f"{server}/lessons/{slug}?present=1&step={step}")
        page.wait_for_selector(".step-plot:not([hidden]) .plot[data-rendered='1'] .legend", timeout=90_000)
        page.wait_for_timeout(500)
        got = page.evaluate("""() => { const plot = document.querySelector('.step-plot:not([hidden]) .plot[data-rendered="1"]');
          const box = (e) => e.getBoundingClientRect().toJSON();
          return {modebar: box(plot.querySelector('.modebar')), rows: [...plot.querySelectorAll('.legend .traces')].map(box)}; }""")
        shot(page, f"lesson-phone-present-{slug}")
        bar = got["modebar"]
        assert bar["height"] > 0 and got["rows"], got
        assert all(r["top"] >= bar["bottom"] - 0.5 or r["right"] <= bar["left"] + 0.5 for r in got["rows"]), got
    finally:
        ctx.close()


def test_on_a_phone_the_sparsity_histograms_legend_is_off_the_bars(browser, server):
    """Lesson 1's legend sat inside the histogram, right of 0: on a phone that is over the peak."""
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = ctx.new_page()
    try:
        page.goto(f"{server}/lessons/sparse-activation?present=1&step=3")
        page.wait_for_selector(".step-plot:not([hidden]) .plot[data-rendered='1'] .legend", timeout=90_000)
        settles(page, f"() => ({FIGURE_LAYOUT_JS})().problems.length === 0", 10)
        assert page.evaluate(FIGURE_LAYOUT_JS)["problems"] == []
    finally:
        ctx.close()


# ----------------------------------------------------------------------------- a projector at 150 % and at 1024×768 (new-user pass 31)

ZOOM_150 = {"viewport": {"width": 853, "height": 533}, "device_scale_factor": 1.5}  # 1280×800 at 150 %
SCREENS = {"150%": ZOOM_150, "1024x768": {"viewport": {"width": 1024, "height": 768}}}

# The end of the claim slide (its last line) and the bar's top, scrolled to the end of the page.
CLAIM_END_JS = """() => {
  window.scrollTo(0, document.documentElement.scrollHeight);
  const dd = [...document.querySelectorAll('.step-claim dl.method dd')].pop();
  return { bottom: dd.getBoundingClientRect().bottom, bar: document.querySelector('.presenter').getBoundingClientRect().top, scrolled: scrollY };
}"""


@pytest.mark.parametrize("screen", list(SCREENS), ids=list(SCREENS))
def test_every_claim_scrolls_clear_of_the_presenter_bar(browser, server, screen):
    """At 150 % the last line of 'Supports the claim if …' stayed 38 px under the fixed bar, scrolled
    to the end (lesson 14 at 1024×768: 15 px): the slide ended at 100vh whatever it held. The
    bar says "More below" while the slide goes on below the screen."""
    ctx = browser.new_context(**SCREENS[screen])
    page = ctx.new_page()
    watch = PageWatch(page, server)
    try:
        for lesson in L.LESSONS:
            page.goto(f"{server}/lessons/{lesson.slug}?present=1&step=1")
            page.wait_for_selector(READY, timeout=60_000)
            end = page.evaluate(CLAIM_END_JS)
            assert end["bottom"] <= end["bar"] + 0.5, f"{lesson.slug} at {screen}: {end}"
            if end["scrolled"] > 0:
                # scrolled to the end the cue goes; back at the top it says there is more
                until(page, "() => document.getElementById('step-more').hidden")
                page.evaluate("window.scrollTo(0, 0)")
                until(page, "() => !document.getElementById('step-more').hidden")
        watch.assert_clean()
    finally:
        ctx.close()


def test_why_and_numbers_scroll_with_the_page_and_say_so(browser, server):
    """At 150 % lesson 3's 'Why' was a box scrolling inside itself (573 px in 447) with no cue."""
    ctx = browser.new_context(**ZOOM_150)
    page = ctx.new_page()
    try:
        lesson = L.get("dying-relu")
        for step, last in ((2 + len(lesson.plots), ".why-text p:last-child"), (3 + len(lesson.plots), ".step-numbers .numbers-explorer")):
            page.goto(f"{server}/lessons/dying-relu?present=1&step={step}")
            page.wait_for_selector(READY, timeout=60_000)
            box = page.evaluate("() => { const s = document.querySelector('.step:not([hidden])'); return [s.scrollHeight, s.clientHeight, document.documentElement.scrollHeight, innerHeight]; }")
            assert box[0] <= box[1] + 1, f"step {step} scrolls inside itself: {box}"
            assert box[2] > box[3], box  # (taller than the screen: the page scrolls)
            more = page.locator("#step-more")
            more.wait_for(state="visible")
            _click_until_gone(page, more, 10)
            end = page.evaluate("(sel) => [document.querySelector(sel).getBoundingClientRect().bottom, document.querySelector('.presenter').getBoundingClientRect().top]", last)
            assert end[0] <= end[1] + 0.5, (step, end)
    finally:
        ctx.close()



def test_page_down_and_space_read_a_tall_slide_to_its_end_before_the_next(browser, server):
    """At 150 % Page Down (a presentation clicker) and Space went to the next slide with the tall
    one's end never shown. They now scroll it a screen at a time, then move on; Page Up and
    Shift+Space scroll back to its start, then go back. → and ← still move at once."""
    ctx = browser.new_context(**ZOOM_150)
    page = ctx.new_page()
    try:
        lesson = L.get("dying-relu")
        why = 2 + len(lesson.plots)
        page.goto(f"{server}/lessons/dying-relu?present=1&step={why}")
        page.wait_for_selector(READY, timeout=60_000)
        room = page.evaluate("document.documentElement.scrollHeight - innerHeight")
        assert room > 4, room  # (taller than the screen)
        ys = []
        for _ in range(10):
            page.keyboard.press("PageDown")
            if page.evaluate("new URLSearchParams(location.search).get('step')") != str(why):
                break
            ys.append(page.evaluate("scrollY"))
        assert ys and ys[0] > 0 and ys[-1] >= room - 1, (ys, room)  # read to the end, then on
        _at(page, "dying-relu", why + 1)
        page.keyboard.press("Shift+Space")  # the numbers' slide starts at the top: back to "why"
        _at(page, "dying-relu", why)
        page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
        page.keyboard.press("PageUp")
        _at(page, "dying-relu", why)
        assert page.evaluate("scrollY") < room, page.evaluate("scrollY")  # back up, still on "why"
        page.evaluate("window.scrollTo(0, 0)")
        page.keyboard.press("PageUp")
        _at(page, "dying-relu", why - 1)
        page.keyboard.press("ArrowRight")
        _at(page, "dying-relu", why)
        page.evaluate("window.scrollTo(0, 1)")
        page.keyboard.press("ArrowRight")  # the arrows move whatever is left to read
        _at(page, "dying-relu", why + 1)
    finally:
        ctx.close()


@pytest.mark.parametrize("screen", [{"viewport": {"width": 1280, "height": 800}},
                                    {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}], ids=["desk", "phone"])
def test_the_lesson_bars_links_are_24_px_targets(browser, server, screen):
    """"‹ 2" and "4 ›" were 20 × 22 px: under the 24 px minimum target (WCAG 2.5.8)."""
    ctx = browser.new_context(**screen)
    page = ctx.new_page()
    try:
        page.goto(f"{server}/lessons/dying-relu")
        sizes = page.evaluate("() => [...document.querySelectorAll('.lesson-bar .links a')].map((a) => [a.textContent, a.getBoundingClientRect().toJSON()])")
        assert [t for t, _ in sizes] == ["All lessons", "‹ 2", "4 ›"], sizes
        assert all(b["width"] >= 24 and b["height"] >= 24 for _, b in sizes), sizes
    finally:
        ctx.close()

SMALL_TARGETS_JS = """() => [...document.querySelectorAll('a, button, summary, input, select')].filter((e) => {
  const r = e.getBoundingClientRect();
  const own = !e.matches('.modebar-btn, input[type=checkbox], input[type=radio]');  // (Plotly's row, a box inside its label)
  return own && r.width > 0 && r.height > 0 && (r.width < 23.5 || r.height < 23.5) && getComputedStyle(e).visibility !== 'hidden';
}).map((e) => `${e.tagName} ${(e.getAttribute('aria-label') || e.textContent).trim().slice(0, 30)} ${Math.round(e.getBoundingClientRect().width)}x${Math.round(e.getBoundingClientRect().height)}`)"""


@pytest.mark.parametrize("path", ["/lessons/dying-relu", "/lessons/kink-at-zero", "/"])
def test_on_a_touch_phone_every_control_is_a_24_px_target(browser, server, path):
    """On a phone the plots' "?" was 19 × 19, PNG/SVG/CSV/JSON 23 px tall, the sliders 16 px,
    "What 'Open in explorer' shows" 20 px and "Open this setting in the explorer" 18 px (WCAG 2.5.8)."""
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = ctx.new_page()
    try:
        page.goto(f"{server}{path}")
        page.wait_for_selector(".plot[data-rendered='1']", timeout=60000)
        assert page.evaluate(SMALL_TARGETS_JS) == []
    finally:
        ctx.close()

# A drawn figure's subplot areas and its text (tick labels, axis titles, notes, legend, colour
# bar) in page pixels, and what of it overlaps, is cut off at the figure's edge or lies on a plot.
FIGURE_LAYOUT_JS = """() => {
  const g = document.querySelector('.step-plot:not([hidden]) .plot[data-rendered]');
  const fl = g._fullLayout;
  const svg = g.querySelector('.main-svg').getBoundingClientRect();
  const xs = [], ys = [], areas = [];
  for (const k of Object.keys(fl).filter((k) => /^xaxis\\d*$/.test(k) && fl[k]._length)) {
    const xa = fl[k], ya = fl['yaxis' + xa.anchor.slice(1)];
    xs.push(xa._length);
    if (ya) areas.push({ name: k, left: svg.left + xa._offset, right: svg.left + xa._offset + xa._length, top: svg.top + ya._offset, bottom: svg.top + ya._offset + ya._length });
  }
  for (const k of Object.keys(fl).filter((k) => /^yaxis\\d*$/.test(k) && fl[k]._length && !fl[k].overlaying && fl[k].visible !== false)) ys.push(fl[k]._length);
  const texts = [];
  const add = (sel, group) => g.querySelectorAll(sel).forEach((e) => {
    const r = e.getBoundingClientRect();
    if (r.width > 0.5 && r.height > 0.5 && e.textContent.trim()) texts.push({ name: group + ': ' + e.textContent.trim().slice(0, 30), left: r.left, right: r.right, top: r.top, bottom: r.bottom });
  });
  add('.xaxislayer-above text', 'x tick'); add('.yaxislayer-above text', 'y tick'); add('.annotation-text', 'note');
  add('[class^="g-x"][class$="title"] text', 'x title'); add('[class^="g-y"][class$="title"] text', 'y title');
  add('.legendtext, .legendtitletext', 'legend'); add('.colorbar text', 'colour bar');
  const cross = (a, b, tol) => Math.min(a.right, b.right) - Math.max(a.left, b.left) > tol && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > tol;
  const problems = [];
  texts.forEach((a, i) => texts.slice(i + 1).forEach((b) => cross(a, b, 2) && problems.push(`"${a.name}" on "${b.name}"`)));
  areas.forEach((a, i) => areas.slice(i + 1).forEach((b) => cross(a, b, 0.5) && problems.push(`subplots ${a.name} and ${b.name} overlap`)));
  for (const t of texts) if (t.left < svg.left - 1 || t.right > svg.right + 1 || t.top < svg.top - 1 || t.bottom > svg.bottom + 1) problems.push(`"${t.name}" cut off`);
  const legend = g.querySelector('.legend .bg');
  if (legend) for (const a of areas) if (cross(legend.getBoundingClientRect(), a, 2)) problems.push(`the legend lies on ${a.name}`);
  return { problems, xs, ys };
}"""


def test_small_slide_plots_stay_readable(browser, server):
    """At 150 % (853×533): lesson 3's panels ran together ('ReLeaky ReLU', 'epochepoch', rotated
    ticks colliding, the second panel's % on the first), lesson 2's read 'epochepochepoch',
    lesson 13's legend squeezed the plot to about 80 px with its log ticks overlapping, lesson
    14's y title lay on the legend, lesson 6's legend scrolled inside itself, lesson 7's note was
    cut. Every plot slide: no text on other text, nothing cut off at the figure's edge, no legend
    on a plot, each panel at least 90 px wide, each y axis at least 64 px tall (one alone 150)."""
    warm = _warm(server)
    ctx = browser.new_context(**ZOOM_150)
    page = ctx.new_page()
    watch = PageWatch(page, server)
    try:
        for lesson in L.LESSONS:
            for step in range(2, 2 + len(lesson.plots)):
                where = f"{lesson.slug} step {step}"
                page.goto(f"{server}/lessons/{lesson.slug}?present=1&step={step}")
                page.wait_for_selector(".step-plot:not([hidden]) .plot[data-rendered]", timeout=90_000)
                # (Plotly's resize after the slide is shown comes a moment later: polled, then asserted)
                settles(page, f"() => ({FIGURE_LAYOUT_JS})().problems.length === 0", 10)
                got = page.evaluate(FIGURE_LAYOUT_JS)
                assert not got["problems"], f"{where}: {got['problems']}"
                assert min(got["xs"]) >= 90, f"{where}: panels {got['xs']} px wide"
                assert min(got["ys"]) >= (64 if len(got["ys"]) > 1 else 150), f"{where}: y axes {got['ys']} px tall"
                # a figure taller than the screen scrolls, clear of the bar
                end = page.evaluate("() => { window.scrollTo(0, document.documentElement.scrollHeight); return [document.querySelector('.step-plot:not([hidden]) .main-svg').getBoundingClientRect().bottom, document.querySelector('.presenter').getBoundingClientRect().top]; }")
                assert end[0] <= end[1] + 0.5, f"{where}: {end}"
        watch.assert_clean()
    finally:
        ctx.close()
        warm.join(timeout=120)


def test_a_zoom_during_the_presentation_refits_the_plot(browser, server):
    """The figures' layout follows the plot's size: zooming in (the window narrowing) mid-slide
    redraws it — lesson 3's legend beside its panels at 1280×800 goes under them at 853 px."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    page = ctx.new_page()
    try:
        page.goto(f"{server}/lessons/dying-relu?present=1&step=3")
        page.wait_for_selector(".step-plot:not([hidden]) .plot[data-rendered]", timeout=90_000)
        legend = "() => document.querySelector('.step-plot:not([hidden]) .plot')._fullLayout.legend.orientation"
        assert page.evaluate(legend) == "v"
        page.set_viewport_size({"width": 853, "height": 533})
        until(page, f"() => ({legend})() === 'h'")
        assert not page.evaluate(FIGURE_LAYOUT_JS)["problems"]
    finally:
        ctx.close()


KINK_BARS_JS = """() => {
  const g = document.querySelector('.step-plot:not([hidden]) .plot[data-rendered]');
  return [...g.querySelectorAll('.bars .point path')].map((p) => p.getBoundingClientRect()).filter((r) => r.height > 0.5).map((r) => [r.left, r.right]);
}"""


def test_the_kink_histogram_bars_span_their_bins(page, server):
    """Lesson 7's bars on a log axis took Plotly's default width from the smallest linear
    spacing: hairlines near 1, and the first bar spread over 1e-10…1e-4. Each bar now spans its
    own (log-equal) bin: about equally wide, side by side, none on another."""
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{server}/lessons/kink-at-zero?present=1&step=3")
    page.wait_for_selector(".step-plot:not([hidden]) .plot[data-rendered]", timeout=90_000)
    page.wait_for_timeout(300)
    bars = sorted(page.evaluate(KINK_BARS_JS))
    widths = [right - left for left, right in bars]
    assert len(bars) >= 10 and min(widths) >= 8 and max(widths) <= 1.3 * min(widths), widths
    assert all(b[0] >= a[1] - 1 for a, b in zip(bars, bars[1:])), bars
    shot(page, "present-kink-bars")


def test_going_back_into_a_lesson_brings_back_its_settings(page, server):
    """Presenting, → from lesson 3 (leak 0.2) into lesson 4 and ← back gave lesson 3 at its
    defaults. A lesson's settings, as its address had them when it was left in this tab, come back;
    a lesson not yet seen opens at its defaults."""
    page.goto(f"{server}/lessons/dying-relu?present=1&step=2&leak=0.2")
    page.wait_for_selector(READY, timeout=60_000)
    steps = 3 + len(L.get("dying-relu").plots)
    for _ in range(steps - 1):
        page.keyboard.press("ArrowRight")
    _at(page, "scale-invariance", 1)
    assert page.evaluate("location.search") == "?present=1&step=1"
    page.wait_for_selector(READY, timeout=60_000)
    page.keyboard.press("ArrowLeft")
    _at(page, "dying-relu", steps)
    assert page.evaluate("new URLSearchParams(location.search).get('leak')") == "0.2"
    page.wait_for_selector(READY, timeout=60_000)
    assert page.locator("[data-param-box='leak']").input_value() == "0.2"


def test_a_strip_shown_above_a_slide_redraws_its_plot_in_the_room_left(page, server):
    """A live class's strip appears above a slide already drawn (a teacher who starts the class
    while presenting, or a page reloaded into one): the slide moved down by the strip, the plot
    kept its height, and its x-axis title went under the presenter bar (no scrolling reaches it)."""
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{server}/lessons/dying-relu?present=1&step=2")
    page.wait_for_selector(".step-plot:not([hidden]) .plot[data-rendered]", timeout=60_000)
    _measured(page)
    plot = "document.querySelector('.step-plot:not([hidden]) .js-plotly-plot')"
    before = page.evaluate(f"{plot}._fullLayout.height")
    page.evaluate("() => document.body.prepend(Object.assign(document.createElement('div'), { style: 'height: 44px' }))")
    settles(page, f"() => {plot}._fullLayout.height < {before} - 40")
    box = page.evaluate(f"""() => {{ const p = {plot}, t = p.querySelector('.g-xtitle'), b = document.querySelector('.presenter');
      return {{ title: t.getBoundingClientRect().bottom, plot: p.getBoundingClientRect().bottom, bar: b.getBoundingClientRect().top,
               drawn: p._fullLayout.height, box: p.clientHeight }}; }}""")
    assert abs(box["drawn"] - box["box"]) <= 2, box
    assert box["title"] <= box["plot"] + 1 and box["title"] <= box["bar"], box
