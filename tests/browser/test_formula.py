"""Your own activation in the browser, as a new user meets it: pick "Your own formula…", type
one (a mistake is underlined where the server says it is), drag its parameter (f and f′
redraw), set its range, copy it as PyTorch, train it, and open the copied link in a new
browser context to get the same view. Also the embed, and the lesson's "try your own"."""

from __future__ import annotations

import math
from urllib.parse import quote

import pytest

from .conftest import PageWatch, shot

pytestmark = pytest.mark.browser

PLOT = '[data-panel="function"] .plot[data-rendered="1"]'
CARD = "#fn-curves .curve-card"
ELU_TYPO = "where(x > 0, x, a*(exp(x) - 1)"  # one ")" short
ELU = "where(x > 0, x, a*(exp(x) - 1))"


def traces(page) -> dict[str, list[float]]:
    """The plotted f and f′ of each curve, by legend name."""
    return page.evaluate(
        """() => Object.fromEntries(document.querySelector('[data-panel="function"] .plot').data
             .filter(t => t.mode === 'lines' && t.line && t.line.width > 0).map(t => [t.name, Array.from(t.y)]))"""
    )


def draws(page) -> int:
    return page.evaluate("() => window.__actlab.draws.length")


def drop_expected_422(page) -> None:
    """A formula with a mistake is answered 422 by the server (that is how it says where): the
    browser logs that as a failed resource, which is expected here and nothing else is."""
    page.watch.errors = [e for e in page.watch.errors if "status of 422" not in e]


def test_type_drag_train_and_share_a_formula(page, server, browser):
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{server}/?fn=relu")
    page.wait_for_selector(PLOT)
    page.locator(f'{CARD} [data-role="activation"]').select_option(label="Your own formula…")
    field = page.locator(f'{CARD} [data-role="formula"]')
    field.wait_for()
    page.wait_for_function("() => location.search.includes('fn=[')")

    # a typo: the field is marked invalid and the place the server names is underlined
    field.fill(ELU_TYPO)
    page.wait_for_selector(f'{CARD} [data-role="formula"][aria-invalid="true"]')
    error = page.locator(f"{CARD} .formula-error")
    assert "at character 31" in error.inner_text() and "ends too early" in error.inner_text()
    assert page.locator(f"{CARD} .formula-error mark").count() == 1
    assert page.locator(f"{CARD} .formula-echo").inner_text().startswith(ELU_TYPO)
    shot(page, "formula-typo-1280")
    drop_expected_422(page)

    # fixed: the parameter a becomes a slider, the curve and its derivative are drawn
    before = draws(page)
    field.fill(ELU)
    page.wait_for_selector(f'{CARD} input[type="range"][data-param="a"]')
    page.wait_for_function(f"() => window.__actlab.draws.length > {before}")
    assert page.locator(f'{CARD} [data-role="formula"][aria-invalid="true"]').count() == 0
    assert page.locator(f"{CARD} .dformula math").count() == 1  # f′ as MathML
    first = traces(page)
    assert set(first) == {ELU, f"{ELU}: f′"}, first.keys()

    # drag a's slider to the left: f and f′ redraw while it moves
    slider = page.locator(f'{CARD} input[type="range"][data-param="a"]')
    box = slider.bounding_box()
    y = box["y"] + box["height"] / 2
    start = draws(page)
    page.mouse.move(box["x"] + box["width"] * 0.55, y)
    page.mouse.down()
    for k in range(1, 6):
        page.mouse.move(box["x"] + box["width"] * (0.55 - 0.004 * k), y)
        page.wait_for_timeout(60)
    page.mouse.up()
    page.wait_for_function(f"() => window.__actlab.draws.length > {start}")
    page.wait_for_timeout(400)
    a = page.evaluate(f"() => Number(document.querySelector('{CARD} input[type=range][data-param=a]').value)")
    assert 0 < a < 1.0
    after = traces(page)
    (label,) = [k for k in after if k.startswith(f"{ELU} (a=") and not k.endswith("f′")]
    assert after[label] != first[ELU] and after[f"{label}: f′"] != first[f"{ELU}: f′"]
    assert after[label][0] == pytest.approx(a * math.expm1(-5.0), rel=1e-9)  # f(−5) = a(e⁻⁵ − 1)
    assert after[f"{label}: f′"][0] == pytest.approx(a * math.exp(-5.0), rel=1e-9)  # f′(−5) = a·e⁻⁵

    # its range, set in the card, travels in the link
    lo = page.locator(f'{CARD} [data-range="a.min"]')
    lo.fill("0")
    lo.dispatch_event("change")
    # (the min's answer rebuilds the card: typing the max meanwhile is test_typing_in_a_range_box_survives_another_edits_answer)
    page.wait_for_function("() => /a=[0-9.]+:0:/.test(decodeURIComponent(location.search))")
    hi = page.locator(f'{CARD} [data-range="a.max"]')
    hi.fill("2")
    hi.dispatch_event("change")
    page.wait_for_function("() => /a=[0-9.]+:0:2(?![0-9.])/.test(decodeURIComponent(location.search))")
    assert page.locator(f'{CARD} input[type="range"][data-param="a"]').get_attribute("max") == "2"

    # the card: properties measured, the convention at kinks, the derivative
    card = page.locator("#fn-cards article").first
    text = card.inner_text()
    assert "measured numerically" in text and "monotonic" in text and "where(…) takes the derivative" in text
    assert card.locator(".dformula math").count() == 1

    # Copy as PyTorch
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
    page.locator(f"{CARD} .torch-copy").click()
    page.wait_for_function("() => document.querySelector('#fn-curves .formula-note').textContent.length > 0")
    snippet = page.evaluate("() => navigator.clipboard.readText()")
    assert "class MyActivation(torch.nn.Module)" in snippet and "torch.expm1" in snippet and "a: float = 0." in snippet
    shot(page, "formula-function-1280")

    # train it: the network view's card takes the same formula
    page.locator('[role="tab"][data-view="network"]').click()
    net_card = "#net-curves .curve-card"
    page.wait_for_selector('#view-network[data-training="0"] #net-summary .stat', timeout=30000)
    page.locator(f'{net_card} [data-role="activation"]').select_option(label="Your own formula…")
    page.locator(f'{net_card} [data-role="formula"]').wait_for()
    nfield = page.locator(f'{net_card} [data-role="formula"]')
    nfield.fill("x*sigmoid(b*x) + 0.1*x")
    nfield.dispatch_event("change")
    page.wait_for_function(
        "() => document.querySelector('#net-summary .stat .label') && document.querySelector('#net-summary .stat .label').textContent.startsWith('x*sigmoid(b*x) + 0.1*x')",
        timeout=30000,
    )
    status = page.locator("#train-status").inner_text()
    assert status.startswith("Trained 300 epochs"), status
    accuracy = page.locator("#net-summary .stat .value").first.inner_text()
    assert float(accuracy.split("%")[0]) > 80, accuracy
    shot(page, "formula-network-1280")

    # Copy link, and open it in a new browser context: the same view
    page.locator("#copy-link").click()
    link = page.evaluate("() => navigator.clipboard.readText()")
    assert link == page.url and "act=[x*sigmoid(b*x)" in link.replace("%20", " ")
    shown_here = page.locator("#net-summary").inner_text()
    page.locator('[role="tab"][data-view="function"]').click()
    page.wait_for_selector(PLOT)
    function_link = page.url.replace("view=network&", "")
    fresh = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1)
    try:
        other = fresh.new_page()
        other.watch = PageWatch(other, server)
        other.goto(link)
        other.wait_for_selector("#net-summary .stat", timeout=30000)
        other.wait_for_function("() => document.querySelector('#view-network').dataset.training === '0'")
        assert other.url == link  # nothing in the link had to be corrected
        assert other.locator("#net-summary").inner_text() == shown_here  # the same run, bit for bit
        assert other.locator('#net-curves [data-role="formula"]').input_value() == "x*sigmoid(b*x) + 0.1*x"
        shot(other, "formula-network-390")
        other.goto(function_link)
        other.wait_for_selector(PLOT)
        other.wait_for_timeout(300)
        assert other.locator(f'{CARD} [data-role="formula"]').input_value() == ELU
        value = f'{CARD} input[type="range"][data-param="a"]'
        assert other.locator(value).input_value() == page.locator(value).input_value() == str(a)
        assert other.locator(f'{CARD} [data-range="a.max"]').input_value() == "2"
        # the same curves; a phone's legend may cut a long label short (its start, then "…")
        phone, desk = traces(other), traces(page)
        assert sorted(phone.values()) == sorted(desk.values())
        assert all(any(d == p or (p.endswith("…") and d.startswith(p[:-1])) or (": " in p and d.endswith(p.split("…")[-1]) and d.startswith(p.split("…")[0])) for d in desk) for p in phone), (phone.keys(), desk.keys())
        other.locator(CARD).scroll_into_view_if_needed()
        shot(other, "formula-function-390")
        other.watch.assert_clean()
    finally:
        fresh.close()


def test_a_link_with_a_broken_formula_says_so(page, server):
    page.goto(f"{server}/?fn=relu,[2%5Ex](b=1),[x*sigmoid(b*x)](b=30:0:5)")
    page.wait_for_selector(PLOT)
    notice = page.locator("#url-notice").inner_text()
    assert "Your formula \"2^x\" could not be used (at character 3" in notice
    assert "is outside 0 to 5: using 5" in notice
    assert page.url.endswith("?fn=relu,[x*sigmoid(b*x)](b=5:0:5)")
    drop_expected_422(page)


@pytest.mark.parametrize("view,key,card", [("function", "fn", CARD), ("network", "act", "#view-network .curve-card")])
def test_a_link_whose_only_formula_is_mistyped_opens_it_in_the_editor_to_mend(page, server, view, key, card):
    """The text came from the reader: left out, it was lost (the card showed ReLU). It is in the
    first card's editor with its error, the plots show the default until it reads, and mended
    it is drawn and written to the link."""
    page.goto(f"{server}/?view={view}&{key}=" + quote("[max(0.1*x,]", safe="[]"))
    page.wait_for_selector(f"{card} .formula-input[aria-invalid='true']")
    editor = page.locator(f"{card} .formula-input").first
    assert editor.input_value() == "max(0.1*x,"
    error = page.locator(f"{card} .formula-error").first.inner_text()
    assert "at character 11: the formula ends too early" in error and "The plots show ReLU until it reads." in error
    assert page.locator(f"{card} select[data-role='activation']").first.input_value() == "__formula__"
    assert f"it is in the {view.title()} view's first card, to mend" in page.locator("#url-notice").inner_text()
    assert page.locator(f"{card} .torch-copy").first.is_hidden()  # (nothing of its own to copy yet)
    editor.fill("max(0.1*x, x)")
    editor.dispatch_event("change")
    page.wait_for_function(f"() => new URLSearchParams(location.search).get('{key}') === '[max(0.1*x, x)]'")
    assert page.locator(f"{card} .formula-input").first.get_attribute("aria-invalid") is None
    assert page.locator(f"{card} .torch-copy").first.is_visible()
    if view == "function":
        page.wait_for_function("() => document.querySelector('[data-panel=\"function\"] .plot').data.some((t) => t.name === 'max(0.1*x, x)')")
    drop_expected_422(page)


def test_an_embed_draws_a_formula_and_its_sliders(page, server):
    q = quote("[x*sigmoid(b*x)](b=2:0:5)", safe="()[]=:,")
    page.goto(f"{server}/embed/function?fn={q}&controls=1")
    page.wait_for_selector(".embed-plot[data-rendered='1']")
    names = page.evaluate("() => document.querySelector('.embed-plot').data.map(t => t.name)")
    assert "x*sigmoid(b*x) (b=2)" in names
    assert page.locator('.embed-controls input[type="range"][data-param="b"]').get_attribute("max") == "5"


def test_the_lessons_try_your_own(page, server):
    page.goto(f"{server}/lessons/scale-invariance")
    page.wait_for_function("() => document.body.dataset.ready === '1'")
    own = page.locator('[data-param="own"]')
    own.fill("x*(1 + ")
    own.dispatch_event("change")
    page.wait_for_selector('[data-param="own"][aria-invalid="true"]')
    assert "at character 7" in page.locator(".formula-field .formula-error").inner_text()
    drop_expected_422(page)
    own.fill("where(x > 0, x, 0.2*x)")
    own.dispatch_event("change")
    page.wait_for_selector('tr[data-readout="own_error"]')
    row = page.locator('tr[data-readout="own_error"]').inner_text()
    assert "where(x > 0, x, 0.2*x)" in row and "scale-invariant here" in row
    assert "[where(x" in page.locator("a.explorer-link").first.get_attribute("href")


def test_range_edits_answered_out_of_order_keep_the_last_one(page, server):
    """Min, then max, typed quickly, and the server's answer to the first edit arrives last (a
    slow network, a busy server): it must not undo the second edit."""
    held = []

    def hold_the_first(route):
        if held:
            route.continue_()
        else:
            held.append(route)  # answered below, after the second edit's

    page.goto(f"{server}/?fn=[{quote(ELU)}](a=1:0:5)")
    page.wait_for_selector(PLOT)
    page.route("**/api/formula?*", hold_the_first)
    lo, hi = page.locator(f'{CARD} [data-range="a.min"]'), page.locator(f'{CARD} [data-range="a.max"]')
    lo.fill("0.5")
    lo.dispatch_event("change")
    hi.fill("2")
    hi.dispatch_event("change")
    page.wait_for_function("() => /a=[0-9.]+:0.5:2/.test(decodeURIComponent(location.search))")
    assert held, "the first edit asked the server nothing"
    held[0].continue_()
    page.wait_for_timeout(1000)  # the first edit's answer has been handled by now
    assert "0.5:2" in page.evaluate("() => decodeURIComponent(location.search)")
    assert page.locator(f'{CARD} input[type="range"][data-param="a"]').get_attribute("max") == "2"
    assert page.input_value(f'{CARD} [data-range="a.max"]') == "2"


def test_typing_in_a_range_box_survives_another_edits_answer(page, server):
    """The min's answer arrives (and the card is rebuilt) while the max is being typed: the max
    box keeps the focus and what was typed, and sending it then applies it."""
    held = []
    page.goto(f"{server}/?fn=[{quote(ELU)}](a=1:0:5)")
    page.wait_for_selector(PLOT)
    page.route("**/api/formula?*", lambda route: held.append(route) if not held else route.continue_())
    lo, hi = page.locator(f'{CARD} [data-range="a.min"]'), page.locator(f'{CARD} [data-range="a.max"]')
    lo.fill("0.5")
    lo.dispatch_event("change")
    for _ in range(100):  # (Playwright's calls let the request reach the route)
        if held:
            break
        page.wait_for_timeout(20)
    assert held, "the min's edit asked the server nothing"
    hi.fill("2")  # typed, not sent yet
    held[0].continue_()
    page.wait_for_function("() => /a=[0-9.]+:0.5:5/.test(decodeURIComponent(location.search))")  # the min applied: card rebuilt
    assert page.evaluate("() => document.activeElement.getAttribute('data-range')") == "a.max"
    assert hi.input_value() == "2"
    hi.dispatch_event("change")
    page.wait_for_function("() => /a=[0-9.]+:0.5:2/.test(decodeURIComponent(location.search))")


def test_a_formula_with_nothing_to_draw_says_so_under_the_plot(page, server):
    """`x/0` compiles, and every value in view is ±∞ or NaN: the plot was empty with the only
    word about it in the card below, which also called all 401 points NaN."""
    page.goto(f"{server}/?fn=[x%2F0],relu")
    page.wait_for_selector('[data-panel="function"] .plot[data-rendered="1"]')
    note = page.locator('[data-panel="function"] .note')
    page.wait_for_function("() => document.querySelector('[data-panel=\"function\"] .note').textContent.length > 0")
    assert note.inner_text() == ("x/0: nothing to draw — f(x) is infinite at x = -5 (and 399 more points) and undefined (NaN) "
                                 "at x = 0: x/0 divides by zero.")


def test_a_formula_with_nothing_to_draw_does_not_keep_the_last_axes(page, server):
    """After exp(1000·x), typing x/0 left the axes at [−5.6e302, 1.07e304] (loaded fresh: a plain
    range); exp(1000·x)'s tick labels lost their first digit (".8×10³⁰⁴")."""
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{server}/?fn=[exp(1000*x)]")
    page.wait_for_selector(PLOT)
    ranges = "() => { const l = document.querySelector('[data-panel=\"function\"] .plot')._fullLayout; return [l.yaxis.range, l.yaxis2.range]; }"
    assert page.evaluate(ranges)[0][1] > 1e303
    # every y tick label lies inside the figure (the margin grows for them)
    left = page.evaluate("""() => { const p = document.querySelector('[data-panel="function"] .plot');
        const x0 = p.getBoundingClientRect().left;
        return Math.min(...[...p.querySelectorAll('.yaxislayer-above .ytick text, .yaxislayer-above .y2tick text')].map(t => t.getBoundingClientRect().left - x0)); }""")
    assert left >= 0, left
    assert page.evaluate("() => [...document.querySelectorAll('[data-panel=\"function\"] .ytick text')].some(t => t.textContent.startsWith('0.8'))")
    before = draws(page)
    field = page.locator(f'{CARD} [data-role="formula"]')
    field.fill("x/0")
    field.press("Enter")
    page.wait_for_function(f"() => window.__actlab.draws.length > {before} && document.querySelector('[data-panel=\"function\"] .note').textContent.startsWith('x/0: nothing to draw')")
    assert page.evaluate(ranges) == [[-1, 1], [-1, 1]]
