"""The lessons in a real browser: the index, presentation mode walked through with the
keyboard (every lesson renders its plots and its measured readout, no console errors),
and a lesson page whose readout follows its controls. Screenshots go to tests/artifacts/."""

from __future__ import annotations

import re
import threading
import urllib.request

import pytest

from app.core import lessons as L

from .conftest import shot

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
