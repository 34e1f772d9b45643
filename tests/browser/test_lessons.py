"""The lessons in a real browser: the index, presentation mode walked through with the
keyboard (every lesson renders its plots and its measured readout, no console errors),
and a lesson page whose readout follows its controls. Screenshots go to tests/artifacts/."""

from __future__ import annotations

import re
import threading
import urllib.request

import pytest

from app.core import lessons as L

from .conftest import PageWatch, shot

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


def _measured(page) -> None:
    page.wait_for_selector("#readout .headline [data-readout]", state="attached", timeout=60_000)
    page.wait_for_function("() => !document.getElementById('main').dataset.measuring", timeout=60_000)


def test_index_lists_every_lesson(page, server):
    page.goto(f"{server}/lessons")
    page.wait_for_selector(READY)
    slugs = page.locator(".lesson-card").evaluate_all("cards => cards.map(c => c.dataset.slug)")
    assert slugs == list(L.SLUGS)
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
