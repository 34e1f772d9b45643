"""The function view's cards and links: the PyTorch line follows the sliders, card colours follow
the theme, a hand-edited link says what it could not use, and the chosen theme is remembered."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import shot, until

pytestmark = pytest.mark.browser

PLOT = '[data-panel="function"] .plot[data-rendered="1"]'


def drawn_traces(page) -> list[dict]:
    return page.evaluate(
        "() => document.querySelector('[data-panel=\"function\"] .plot').data.filter(t => t.yaxis === 'y' && t.mode === 'lines' && t.line.width > 0).map(t => ({name: t.name, color: t.line.color}))"
    )


def test_pytorch_line_follows_the_parameters(page, server):
    page.goto(f"{server}/?fn=leaky_relu,silu")
    page.wait_for_selector(PLOT)
    torch = page.locator('#fn-cards [data-prop="torch"]')
    assert torch.nth(0).inner_text() == "torch.nn.LeakyReLU(negative_slope=0.01)"
    assert torch.nth(1).inner_text() == "torch.nn.SiLU()"
    box = page.locator('#fn-curves [data-param-box="leak"]').first
    box.fill("0.283")
    box.dispatch_event("change")
    page.wait_for_function("() => document.querySelector('#fn-cards [data-prop=\"torch\"]').textContent.includes('0.283')")
    assert torch.nth(0).inner_text() == "torch.nn.LeakyReLU(negative_slope=0.283)"
    beta = page.locator('#fn-curves [data-param-box="beta"]').first
    beta.fill("2")
    beta.dispatch_event("change")
    page.wait_for_function("() => document.querySelectorAll('#fn-cards [data-prop=\"torch\"]')[1].textContent.startsWith('no torch.nn')")


@pytest.mark.parametrize("theme", ["light", "dark", "contrast"])
def test_card_swatches_match_the_plotted_colours(page, server, theme):
    page.goto(f"{server}/?fn=leaky_relu(leak=0.283),elu(alpha=2.5),noisy_relu(sigma=1.5)&theme={theme}")
    page.wait_for_selector(PLOT)
    plotted = [t["color"] for t in drawn_traces(page)]
    for selector in ("#fn-curves > *", "#fn-cards article"):
        swatches = page.evaluate(
            f"""() => [...document.querySelectorAll('{selector}')].map(c => {{
                const probe = document.createElement('span');
                probe.style.color = getComputedStyle(c).getPropertyValue('--swatch');
                document.body.append(probe);
                const rgb = getComputedStyle(probe).color;
                probe.remove();
                return rgb;
            }})"""
        )
        hexes = [page.evaluate(f"() => {{ const s = document.createElement('span'); s.style.color = '{c}'; document.body.append(s); const v = getComputedStyle(s).color; s.remove(); return v; }}") for c in plotted]
        assert swatches == hexes, (selector, swatches, hexes)
    if theme == "contrast":
        shot(page, "function-contrast-swatches")


def test_switching_theme_recolours_the_cards(page, server):
    page.goto(f"{server}/?fn=relu,elu")
    page.wait_for_selector(PLOT)
    before = page.evaluate("() => getComputedStyle(document.querySelector('#fn-cards article')).borderTopColor")
    page.select_option("#theme", "contrast")
    page.wait_for_function(f"() => getComputedStyle(document.querySelector('#fn-cards article')).borderTopColor !== '{before}'")
    assert page.evaluate("() => getComputedStyle(document.querySelector('#fn-cards article')).borderTopColor") == "rgb(255, 221, 0)"


def test_hand_edited_link_says_what_it_could_not_use(page, server):
    page.goto(f"{server}/?fn=leaky_relu(leak=abc),elu(alpha=1e308),foo,relu(bogus=1)&xmin=zz&samples=maybe")
    page.wait_for_selector(PLOT)
    notice = page.locator("#url-notice")
    assert notice.is_visible()
    text = notice.inner_text()
    for expected in ('leak=abc is not a number: using the default 0.01', "alpha=1e308 is outside 0 to 5: using 5",
                     'There is no activation "foo"', 'has no parameter "bogus"', 'xmin="zz" is not a number: using -5',
                     'samples="maybe" is not 0 or 1'):
        assert expected in text, (expected, text)
    # the address now describes what is shown, so Copy link cannot hand on the bad values
    assert "abc" not in page.url and "foo" not in page.url and "alpha=5" in page.url
    shot(page, "function-url-notice")
    page.click("#url-notice button")
    assert not notice.is_visible()
    # a clean link shows no notice
    page.goto(f"{server}/?fn=elu(alpha=0.5)")
    page.wait_for_selector(PLOT)
    assert not page.locator("#url-notice").is_visible()


def test_chosen_theme_is_remembered_but_a_link_with_a_theme_wins(context, server):
    page = context.new_page()
    page.goto(f"{server}/")
    page.wait_for_selector(PLOT)
    page.select_option("#theme", "dark")
    page.goto(f"{server}/?fn=elu")
    page.wait_for_selector(PLOT)
    assert page.evaluate("() => document.documentElement.dataset.theme") == "dark"
    assert page.input_value("#theme") == "dark"
    page.goto(f"{server}/lessons")  # the lessons follow the explorer's choice
    page.wait_for_selector("body[data-ready='1']")
    assert page.evaluate("() => document.documentElement.dataset.theme") == "dark"
    page.goto(f"{server}/?fn=elu&theme=contrast")
    page.wait_for_selector(PLOT)
    assert page.evaluate("() => document.documentElement.dataset.theme") == "contrast"
    page.close()


def test_every_parameter_box_is_valid_at_its_default(page, server):
    ids = page.request.get(f"{server}/api/activations").json()["activations"]
    names = [a["id"] for a in ids if a["params"]]
    for i in range(0, len(names), 6):
        page.goto(f"{server}/?fn={','.join(names[i:i + 6])}")
        page.wait_for_selector(PLOT)
        invalid = page.eval_on_selector_all("#fn-curves input", "ns => ns.filter(n => !n.checkValidity()).map(n => n.getAttribute('aria-label') + '=' + n.value)")
        assert not invalid, invalid


def test_keyboard_keeps_its_place_when_a_card_is_rebuilt(page, server):
    page.goto(f"{server}/?fn=relu,elu")
    page.wait_for_selector(PLOT)
    select = page.locator('#fn-curves [data-role="activation"]').nth(1)
    select.focus()
    select.select_option("tanh")  # renames the curve: its card is rebuilt
    page.wait_for_function("() => new URLSearchParams(location.search).get('fn') === 'relu,tanh'")
    assert page.evaluate("() => document.activeElement.dataset.role === 'activation' && document.activeElement.closest('[data-index]').dataset.index === '1'")


def test_help_closes_with_escape(page, server):
    page.goto(f"{server}/")
    page.wait_for_selector(PLOT)
    page.click("#info-toggle")
    assert page.is_visible("#info-panel")
    page.keyboard.press("Escape")
    assert not page.is_visible("#info-panel")
    assert page.evaluate("() => document.activeElement.id") == "info-toggle"


def test_unknown_settings_in_a_link_are_named(page, server):
    page.goto(f"{server}/?view=network&act=foo&lr=-1&epochs=abc&points=99&auto=0")
    page.wait_for_selector("body[data-ready='1']")
    text = page.locator("#url-notice").inner_text()
    for expected in ('"lr" is not a setting of this page', '"points" is not a setting', 'There is no activation "foo"', 'epochs="abc" is not a number'):
        assert expected in text, (expected, text)
    assert "act=" not in page.url  # back to the default activation, not an empty list


def test_every_formula_fits_its_card_on_a_phone(browser, server):
    """A long formula (noisy ReLU's noise, SELU's constants, RReLU's two modes) is set on
    lines of its own: no card's formula is wider than the card at 390 px."""
    from app.core.activations import IDS

    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = ctx.new_page()
    names = list(IDS)
    for i in range(0, len(names), 6):
        page.goto(f"{server}/?fn={','.join(names[i : i + 6])}")
        page.wait_for_selector(PLOT)
        wide = page.evaluate("() => [...document.querySelectorAll('#fn-cards .formula')].filter((f) => f.scrollWidth > f.clientWidth + 1).map((f) => f.closest('.card').querySelector('h3').textContent)")
        assert wide == [], wide
    ctx.close()


def test_on_a_touch_phone_the_modebar_is_above_the_legend(browser, server):
    """Plotly always shows its modebar on a screen with no hover, over the figure's top: the
    legend sits below it, not under its buttons. (An embed shows it there only when its link asks:
    test_embed.py.)"""
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = ctx.new_page()
    for url in (f"{server}/?fn=relu,tanh,leaky_relu", f"{server}/embed/function?fn=relu,tanh,leaky_relu&modebar=1"):
        page.goto(url)
        page.wait_for_selector(".plot[data-rendered='1'] .legend")
        bar, legend = (page.locator(f".plot[data-rendered='1'] {s}").first.bounding_box() for s in (".modebar", ".legend"))
        assert bar["y"] + bar["height"] <= legend["y"] + 1, (url, bar, legend)
    ctx.close()


def test_plotlys_buttons_get_the_apps_focus_ring(page, server):
    page.goto(f"{server}/?fn=relu")
    page.wait_for_selector(PLOT)
    page.locator('[data-panel="function"] .modebar-btn').first.focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")  # (from the keyboard: :focus-visible)
    ring = page.evaluate("() => { const s = getComputedStyle(document.activeElement); return [document.activeElement.classList.contains('modebar-btn'), s.outlineWidth]; }")
    assert ring == [True, "3px"]


def test_a_plots_toolbar_is_one_tab_stop_and_the_arrows_move_within_it(page, server):
    """Plotly's toolbar made a Tab stop of each of its 7 buttons, per plot. It is now one, as
    a WAI-ARIA toolbar: the arrows, Home and End move within it, and Tab leaves it."""
    page.goto(f"{server}/?fn=relu")
    page.wait_for_selector(PLOT)
    here = "() => { const e = document.activeElement; return [e.closest('.modebar') ? e.getAttribute('data-title') : null, e.textContent.trim()]; }"
    titles = page.evaluate("() => [...document.querySelectorAll('[data-panel=\"function\"] .modebar-btn')].map(b => b.getAttribute('data-title'))")
    assert len(titles) >= 5
    page.locator('[data-panel="function"] .modebar-btn').first.focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    assert page.evaluate(here)[0] == titles[0]
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert page.evaluate(here)[0] == titles[2]
    page.keyboard.press("End")
    assert page.evaluate(here)[0] == titles[-1]
    page.keyboard.press("ArrowRight")  # (round to the first)
    assert page.evaluate(here)[0] == titles[0]
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("Home")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert page.evaluate(here)[0] == titles[2] == "Pan"
    page.keyboard.press("Tab")  # out of the toolbar at once, to what follows the plot
    assert page.evaluate(here) == [None, "Train a network with this →"]
    page.keyboard.press("Shift+Tab")  # back to the button last used
    assert page.evaluate(here)[0] == "Pan"
    page.keyboard.press("Enter")  # a button still does its work
    assert page.evaluate("() => document.querySelector('[data-panel=\"function\"] .js-plotly-plot')._fullLayout.dragmode") == "pan"


def test_parameters_out_of_order_are_said_beside_them_and_the_plot_kept(page, server):
    """RReLU's l above its u (or hard tanh's bounds crossed) made the server refuse the whole
    batch: every curve vanished behind "lower must not exceed upper", in the API's names, and the
    link kept the bad pair. The card now says it in the sliders' labels, sends nothing, and the
    plot and the link keep the last values that worked."""
    page.goto(f"{server}/?fn=rrelu,hardtanh")
    page.wait_for_selector(PLOT)
    names = lambda: sorted({t["name"] for t in drawn_traces(page)})
    before = names()
    assert "Hard tanh" in before
    lower = page.locator('#fn-curves [data-index="0"] [data-param-box="lower"]')
    lower.fill("0.6")
    lower.dispatch_event("change")
    problem = page.locator('#fn-curves [data-index="0"] .param-problem')
    problem.wait_for(state="visible")
    assert problem.inner_text().startswith("l (lower slope) = 0.6 must be at most u (upper slope) = 0.3333")
    assert lower.get_attribute("aria-invalid") == "true"
    page.wait_for_timeout(600)
    assert names() == before and "lower=0.6" not in page.url
    assert page.locator('[data-panel="function"] .panel-error:visible, [data-panel="function"] .error:visible').count() == 0
    upper = page.locator('#fn-curves [data-index="0"] [data-param-box="upper"]')
    upper.fill("0.7")
    upper.dispatch_event("change")
    page.wait_for_function("() => decodeURIComponent(location.search).includes('rrelu(lower=0.6,upper=0.7)')")
    assert problem.is_hidden() and lower.get_attribute("aria-invalid") is None
    # crossed bounds of hard tanh, the second card
    low = page.locator('#fn-curves [data-index="1"] [data-param-box="min_val"]')
    low.fill("2")
    low.dispatch_event("change")
    other = page.locator('#fn-curves [data-index="1"] .param-problem')
    other.wait_for(state="visible")
    assert other.inner_text().startswith("lower bound = 2 must be less than upper bound = 1")
    assert "min_val=2" not in page.url


def test_hard_tanh_card_follows_its_bounds(page, server):
    """The card read "output range [min_val, max_val]" and "zero-centred: yes" at any bounds."""
    page.goto(f"{server}/?fn=hardtanh(min_val=-2,max_val=3)")
    page.wait_for_selector(PLOT)
    card = page.locator('#fn-cards article[data-activation="hardtanh"]')
    rng = card.locator('[data-prop="output_range"]')
    page.wait_for_function("() => document.querySelector('#fn-cards [data-prop=\"output_range\"]').textContent === '[−2, 3]'")
    assert card.locator('[data-prop="zero_centred"]').inner_text() == "yes"
    low = page.locator('#fn-curves [data-param-box="min_val"]')
    low.fill("0.5")
    low.dispatch_event("change")
    page.wait_for_function("() => document.querySelector('#fn-cards [data-prop=\"output_range\"]').textContent === '[0.5, 3]'")
    assert rng.inner_text() == "[0.5, 3]" and card.locator('[data-prop="zero_centred"]').inner_text() == "no"


@pytest.mark.parametrize("size", [(1280, 800), (390, 844)])
def test_a_long_formula_stays_inside_its_legend_and_card(browser, server, size):
    """A formula of a dozen terms: its legend entry ran past the plot's right edge, and its
    typeset f(x) (and on a phone its f′(x)) was cut at the card's edge."""
    import urllib.parse

    formula = "x*sigmoid(beta*x)" + "".join(f"+0.01*sin({k}*x)" for k in range(2, 14))
    ctx = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = ctx.new_page()
    page.goto(f"{server}/?fn=[{urllib.parse.quote(formula)}],relu")
    page.wait_for_selector(PLOT)
    page.wait_for_timeout(500)
    svg = page.evaluate("() => document.querySelector('[data-panel=\"function\"] .main-svg').getBoundingClientRect().right")
    legend = page.evaluate("() => Math.max(...[...document.querySelectorAll('[data-panel=\"function\"] .legend .traces')].map((e) => e.getBoundingClientRect().right))")
    assert legend <= svg + 1, (legend, svg)
    for sel in (".formula:not(.dformula)", ".dformula"):
        box = page.locator(f"#fn-cards article >> nth=0 >> {sel}")
        if box.count():
            assert box.evaluate("(e) => e.scrollWidth <= e.clientWidth + 1"), sel
    assert "0.01*sin(13*x)" in page.locator("#fn-cards article").first.inner_text()  # all of it, in the card
    # and the editor's f′ preview, in the sidebar
    page.wait_for_timeout(200)
    assert page.locator("#fn-curves .curve-card").first.locator(".dformula").evaluate("(e) => e.scrollWidth <= e.clientWidth + 1")
    ctx.close()


def smooth_text(page, server: str, query: str) -> str:
    page.goto(f"{server}/?{query}")
    page.wait_for_selector(PLOT)
    page.wait_for_selector('#fn-cards [data-prop="smooth"]')
    return page.locator('#fn-cards [data-prop="smooth"]').first.inner_text()


@pytest.mark.parametrize(("fn", "ranges", "want"), [
    ("relu6", ["", "&xmax=10", "&xmin=1&xmax=5"], "no (kink at x = 0, 6)"),
    ("softplus", ["", "&xmax=30"], "yes"),  # its threshold's jump (2e-9) is no kink: declared C¹, and measured so away from the defaults
    ("softplus(beta=2)", ["&xmax=30"], "yes"),
    ("hardtanh", ["", "&xmin=0.5", "&xmax=0.5"], "no (kink at x = -1, 1)"),
    ("tanh", ["", "&xmin=-100&xmax=100"], "yes"),
    # a discontinuity said as one, with its size (it read "kink at x = 10", the note "a tiny jump")
    ("softplus(beta=0.1,threshold=1)", ["&xmin=-20&xmax=20", "&xmin=-5&xmax=5"], "no (f jumps by -3.13 at x = 10)"),
    ("hardshrink", [""], "no (f jumps by 0.5 at x = -0.5, 0.5)"),
])
def test_the_smooth_row_does_not_change_with_the_plotted_range(page, server, fn, ranges, want):
    """"smooth (C¹)" listed only the kinks in view: ReLU6 at −5…5 said "kink at x = 0", at xmax=10
    "0, 6"; softplus said yes by default and no at xmax=30. A property of f, whatever is plotted."""
    for r in ranges:
        assert smooth_text(page, server, f"fn={fn}{r}") == want, (fn, r)


CARD_JS = """() => Object.fromEntries([...document.querySelectorAll('#fn-cards article')[0].querySelectorAll('[data-prop]')]
  .map((e) => [e.dataset.prop, e.innerText]))"""


@pytest.mark.parametrize(("fn", "want"), [
    ("prelu(a=-1)", {"output_range": "[0, ∞)", "monotonic": "no", "bounded": "below only", "saturates": "no"}),
    ("silu(beta=0)", {"output_range": "(−∞, ∞)", "monotonic": "yes", "zero_centred": "yes", "bounded": "no", "saturates": "no"}),
    ("leaky_relu(leak=1)", {"smooth": "yes", "zero_centred": "yes"}),
    ("prelu", {"output_range": "(−∞, ∞)", "monotonic": "yes", "bounded": "no"}),  # the defaults: as declared
])
def test_a_card_says_the_properties_at_its_slider_values(page, server, fn, want):
    """PReLU at a = −1 draws |x| and its card said "monotonic yes", "(−∞, ∞)"; SiLU at β = 0 (x/2)
    said "[≈ −0.278/β, ∞)", not monotonic, bounded below; leaky ReLU at leak = 1 "not smooth"."""
    page.goto(f"{server}/?fn={fn}")
    page.wait_for_selector(PLOT)
    page.wait_for_function("(want) => { const c = document.querySelector('#fn-cards article [data-prop=output_range]'); return c && (!want || c.innerText === want); }",
                           arg=want.get("output_range"))
    got = page.evaluate(CARD_JS)
    assert {k: got[k] for k in want} == want, got


def test_gelus_tanh_form_card_shows_the_tanh_formula(page, server):
    page.goto(f"{server}/?fn=gelu(approximate=tanh)")
    page.wait_for_selector(PLOT)
    page.wait_for_function("() => document.querySelector('#fn-cards article .formula math')?.textContent.includes('tanh')")
    card = page.locator("#fn-cards article").first
    assert "erf" not in card.locator(".formula").first.inner_text()
    assert "sech²u" in card.locator('[data-prop="convention"]').inner_text()


def test_saturation_eps_is_written_where_eps_appears(page, server):
    """The legend, the plot's "?" and the Help panel said "|f′| < ε (saturated)" and never what ε is
    (the server's SATURATION_EPS = 0.01)."""
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{server}/?fn=sigmoid")
    page.wait_for_selector(PLOT)
    legend = page.evaluate("() => document.querySelector('[data-panel=\"function\"] .plot').layout.shapes.filter((s) => s.showlegend).map((s) => s.name)")
    assert "Logistic sigmoid: |f′| < 0.01 (saturated)" in legend, legend
    assert "ε = 0.01" in page.get_attribute('[data-panel="function"] .help-dot', "title")
    page.click("#info-toggle")
    assert "ε = 0.01" in page.inner_text("#info-panel [data-info='function']")
    # the Help panel's box spans the window (it ended at 1120 px of 1280)
    right = page.evaluate("() => document.querySelector('#info-panel').getBoundingClientRect().right")
    assert right >= 1280 - 1, right
    shot(page, "function-1280x800-help")


def test_a_run_of_arrow_keys_on_a_slider_is_one_history_entry(page, server):
    """Each → on a slider added a history entry (Back stepped through α = 1.1, 1.09, …); a drag adds
    one, and so does a run of key presses on one control."""
    page.goto(f"{server}/?fn=elu")
    page.wait_for_selector(PLOT)
    before = page.evaluate("history.length")
    page.locator('#fn-curves input[type="range"][data-param="alpha"]').focus()
    for _ in range(10):
        page.keyboard.press("ArrowRight")
    page.wait_for_function("() => location.search.includes('alpha=1.1')")
    assert page.evaluate("history.length") == before + 1
    # another control, or the same one again after leaving it, is a new entry
    page.locator('#fn-curves [data-param-box="alpha"]').focus()
    page.keyboard.press("ArrowUp")
    page.wait_for_function("() => location.search.includes('alpha=1.11')")
    assert page.evaluate("history.length") == before + 2
    page.go_back()
    page.wait_for_function("() => /alpha=1\\.1\\b/.test(decodeURIComponent(location.search)) && !location.search.includes('1.11')")
    page.go_back()
    page.wait_for_function("() => !location.search.includes('alpha')")


def test_a_card_trains_a_network_with_its_activation_as_set(page, server):
    """"Train a network with this" takes the curve's activation with its slider values to the
    Network view and trains it; in Compare mode it leads the list and the others stay after it
    (it replaced the first one, which was lost without a word)."""
    page.goto(f"{server}/?fn=relu,elu&mode=compare&act=relu,tanh")
    page.wait_for_selector(PLOT)
    box = page.locator('#fn-curves [data-param-box="alpha"]').first
    box.fill("0.5")
    box.dispatch_event("change")
    page.wait_for_function("() => /fn=relu,elu\\(alpha=0.5\\)/.test(location.search)")
    page.click('#fn-cards article:nth-child(2) button.train-with')
    page.wait_for_selector("#view-network:not([hidden])")
    page.wait_for_function("() => document.querySelectorAll('#net-summary .stat').length === 3", timeout=60_000)
    assert "view=network" in page.url and "act=elu(alpha=0.5),relu,tanh" in page.url, page.url
    assert [s.split("\n")[0] for s in page.locator("#net-summary .stat").all_inner_texts()] == ["ELU (alpha=0.5)", "ReLU", "tanh"]
    # one history entry: Back is the Function view as it was (it was a state never seen, then that)
    before = page.url
    page.go_back()
    page.wait_for_selector("#view-function:not([hidden])")
    assert "act=relu,tanh" in page.url and "view=" not in page.url, page.url
    page.go_forward()
    page.wait_for_function("(u) => location.href === u", arg=before)
    page.wait_for_selector("#view-network:not([hidden])")
    # a list already full: ReLU, one of them, moves first (not repeated); then ELU with α = 1 goes
    # first and the last, tanh, is left out
    page.click("#tab-function")
    page.click('#fn-cards article:nth-child(1) button.train-with')
    page.wait_for_function("() => /act=relu,elu\\(alpha=0.5\\),tanh(&|$)/.test(location.search)", timeout=30_000)
    page.click("#tab-function")
    box.fill("1")
    box.dispatch_event("change")
    page.wait_for_function("() => /fn=relu,elu(&|$)/.test(location.search)")
    page.click('#fn-cards article:nth-child(2) button.train-with')
    page.wait_for_function("() => /act=elu,relu,elu\\(alpha=0.5\\)(&|$)/.test(location.search)", timeout=30_000)
    # back in the Function view, Train mode: the network gets that activation alone
    page.click("#net-controls input[name='mode'][value='train']")
    page.click("#tab-function")
    page.click('#fn-cards article:nth-child(1) button.train-with')
    page.wait_for_function("() => document.querySelectorAll('#net-summary .stat').length === 1", timeout=60_000)
    page.wait_for_function("() => document.querySelector('#net-summary .stat').innerText.startsWith('ReLU')", timeout=60_000)
    assert "act=" not in page.url and "view=network" in page.url, page.url  # (ReLU alone is the default)


def test_an_emptied_box_goes_back_to_its_value_and_changes_nothing(page, server):
    """A parameter box emptied (or given text) shows the value in force again, not the one the
    control was made with; an emptied x max is not 0: it is said, and nothing is redrawn."""
    page.goto(f"{server}/?fn=leaky_relu")
    page.wait_for_selector(PLOT)
    box = page.locator('#fn-curves [data-param-box="leak"]').first
    box.fill("0.3")
    box.press("Tab")
    page.wait_for_function("() => /leak%3D0.3|leak=0.3/.test(location.search)")
    box.fill("")
    box.press("Tab")
    page.wait_for_timeout(300)
    assert box.input_value() == "0.3"
    assert page.input_value('#fn-curves input[type="range"][data-param="leak"]') == "0.3"
    assert "0.3" in page.url
    url = page.url
    xrange = page.evaluate("() => document.querySelector('[data-panel=\"function\"] .plot').layout.xaxis.range")
    page.fill("#fn-xmax", "")
    page.press("#fn-xmax", "Tab")
    page.wait_for_timeout(400)
    assert page.url == url
    assert page.evaluate("() => document.querySelector('[data-panel=\"function\"] .plot').layout.xaxis.range") == xrange
    assert page.evaluate("() => document.querySelector('#fn-xmax').validationMessage") == "x max must be a number within ±10000"
    page.fill("#fn-xmax", "4")
    page.press("#fn-xmax", "Tab")
    page.wait_for_function("() => /xmax=4/.test(location.search)")
    assert page.evaluate("() => document.querySelector('#fn-xmax').validationMessage") == ""


def test_the_keyboard_goes_on_from_the_network_tab_after_train_a_network_with_this(page, server):
    """The button is hidden with the function view: focus moves to the Network tab (it fell to
    the page's start); the tabs also take Home and End."""
    page.goto(f"{server}/?fn=elu")
    page.wait_for_selector(PLOT)
    page.focus("#fn-cards .train-with")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('#view-network').hidden === false")
    page.wait_for_function("() => document.activeElement && document.activeElement.dataset.view === 'network'")
    page.keyboard.press("End")
    page.wait_for_function("() => document.activeElement.dataset.view === 'theory' && document.querySelector('#view-theory').hidden === false")
    page.keyboard.press("Home")
    page.wait_for_function("() => document.activeElement.dataset.view === 'function' && document.querySelector('#view-function').hidden === false")


def test_a_cards_controls_are_grouped_under_its_activations_name(page, server):
    """A parameter's control is named for the parameter ("form"); its card, a group named for
    the activation, says whose it is (and follows a new choice)."""
    page.goto(f"{server}/?fn=gelu,leaky_relu")
    page.wait_for_selector(PLOT)
    gelu = page.get_by_role("group", name="Activation 1: GELU")
    assert gelu.get_by_role("combobox", name="form").count() == 1
    assert page.get_by_role("group", name="Activation 2: Leaky ReLU").get_by_role("spinbutton").count() == 1
    page.select_option('#fn-cards [data-index="1"] [data-role="activation"], #fn-curves [data-index="1"] [data-role="activation"]', "elu")
    page.get_by_role("group", name="Activation 2: ELU").wait_for()


def test_a_typed_value_out_of_range_is_clamped_and_said_so(page, server):
    """ELU α "6" became 5 without a word (a link with alpha=6 got a notice); "1e400" too."""
    page.goto(f"{server}/?fn=elu")
    page.wait_for_selector(PLOT)
    box = page.locator('#fn-curves [data-param-box="alpha"]').first
    note = page.locator("#fn-curves .slider .clamped").first
    assert not note.is_visible()
    for typed, said in (("6", "6 is outside 0 to 5: using 5."), ("-1", "-1 is outside 0 to 5: using 0.")):
        box.fill(typed)
        box.dispatch_event("change")
        page.wait_for_function("() => { const n = document.querySelector('#fn-curves .slider .clamped'); return n && !n.hidden; }")
        assert note.inner_text() == said and box.input_value() == said.split("using ")[1].rstrip(".")
    box.fill("2.5")
    box.dispatch_event("change")
    page.wait_for_function("() => document.querySelector('#fn-curves .slider .clamped').hidden")
    assert box.input_value() == "2.5"


def test_a_sliders_default_button_is_a_touch_target_on_a_phone(browser, server):
    """The "default N" buttons were 19 px tall at 390 px: under the 24 px minimum for a finger."""
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = ctx.new_page()
    page.goto(f"{server}/?fn=elu,leaky_relu")
    page.wait_for_selector(".slider .range button")
    sizes = page.evaluate("() => [...document.querySelectorAll('.slider .range button')].map((b) => b.getBoundingClientRect().toJSON())")
    assert sizes and all(s["height"] >= 24 and s["width"] >= 24 for s in sizes), sizes
    ctx.close()


SLIDERS = """(view) => [...document.querySelectorAll(`#view-${view} .slider`)].filter((s) => s.offsetParent).map((s) => ({
  label: s.querySelector('label.name').textContent,
  text: s.querySelector('.range button').textContent,
  group: s.closest('[role="group"][data-index]')?.getAttribute('aria-label') || null }))"""


def test_every_sliders_default_button_names_its_parameter(page, server):
    """The explorer's reset buttons were heard as "default 0.01", "default 256": not what they
    reset. Their names now say the parameter and whose it is, their visible text kept in them."""
    page.goto(f"{server}/?fn=leaky_relu,elu,[x*sigmoid(b*x)](b=30:0:5)")
    page.wait_for_selector(PLOT)
    leak = page.get_by_role("button", name="Reset Leaky ReLU's leak (negative slope) to its default 0.01", exact=True)
    assert leak.inner_text() == "default 0.01"
    # heard once: its tooltip is its name, not a description that says the name again
    nodes = page.context.new_cdp_session(page).send("Accessibility.getFullAXTree")["nodes"]
    heard = [n.get("description", {}).get("value") for n in nodes if n.get("name", {}).get("value", "").startswith("Reset Leaky ReLU's leak")]
    assert heard == [None], heard
    box = page.locator('#fn-curves [data-param-box="leak"]')
    box.fill("0.3")
    box.dispatch_event("change")
    leak.click()
    assert box.input_value() == "0.01"
    assert page.get_by_role("button", name="Reset ELU's α (negative saturation) to its default 1", exact=True).count() == 1
    page.get_by_role("button", name="Reset your own formula's b to its default 1", exact=True).wait_for()
    seen = 0
    for view in ("function", "network", "theory"):
        page.click(f"#tab-{view}")
        page.wait_for_selector(f"#view-{view} .slider")
        for s in page.evaluate(SLIDERS, view):
            value = s["text"].removeprefix("default ") if s["text"].startswith("default ") else None
            value = value or page.locator(f"#view-{view} .slider", has_text=s["label"]).locator("[data-range$='.default']").first.input_value()
            whose = f"{s['group'].split(': ', 1)[1]}'s {s['label']}" if s["group"] else s["label"]
            name = f"Reset {whose} to its default {value}"
            assert page.get_by_role("button", name=name, exact=True).count() >= 1, (view, s, name)
            seen += 1
    assert seen >= 10, seen


def test_an_x_range_the_wrong_way_round_is_said_beside_the_boxes(page, server):
    """x min 10 above x max 5 was said only in Chromium's passing bubble: no aria-invalid, no
    text a screen reader gets. It is now said beside the boxes (role=status), the boxes marked
    invalid and described by it, until the range is right again."""
    page.goto(f"{server}/?fn=relu")
    page.wait_for_selector(PLOT)
    url = page.url
    xmin, xmax = page.get_by_role("spinbutton", name="x min"), page.get_by_role("spinbutton", name="x max")
    said = page.locator("#fn-range-error")
    xmin.fill("10")
    xmin.press("Tab")
    want = "x min must be below x max, both within ±10000: the plot keeps -5 to 5."
    until(page, "(t) => document.querySelector('#fn-range-error').textContent === t", arg=want)
    assert said.get_attribute("role") == "status" and said.is_visible()
    for box in (xmin, xmax):
        expect(box).to_have_attribute("aria-invalid", "true")
        expect(box).to_have_accessible_description(want)
    assert page.url == url
    # out of bounds: only that box is wrong
    xmin.fill("-5")
    xmax.fill("1e6")
    xmax.press("Tab")
    until(page, "() => document.querySelector('#fn-range-error').textContent.startsWith('x max must be a number within ±10000')")
    expect(xmax).to_have_attribute("aria-invalid", "true")
    expect(xmin).not_to_have_attribute("aria-invalid", re.compile(".*"))
    # put right: the message and the marks go, and the plot takes the range
    xmax.fill("20")
    xmax.press("Tab")
    page.wait_for_function("() => /xmax=20/.test(location.search)")
    until(page, "() => document.querySelector('#fn-range-error').textContent === ''")
    for box in (xmin, xmax):
        expect(box).not_to_have_attribute("aria-invalid", re.compile(".*"))
        expect(box).to_have_accessible_description("")


HEAR = """() => { window.__heard = [];
  const live = '[aria-live]:not([aria-live="off"]), [role="status"], [role="alert"], [role="log"]';
  new MutationObserver((ms) => { for (const m of ms) {
    const r = (m.target.nodeType === 1 ? m.target : m.target.parentElement)?.closest(live);
    if (r && r.textContent) window.__heard.push(r.textContent);
  } }).observe(document.body, { subtree: true, childList: true, characterData: true }); }"""


def test_a_sliders_steps_say_what_changed_not_the_whole_card(page, server):
    """The cards were one polite live region: each arrow-key step of a slider re-read a whole
    card (formula, description, properties, ~530 characters). Now no live region holds a card;
    a property that changed is said in words, in a polite status of its own."""
    page.goto(f"{server}/?fn=elu")
    page.wait_for_selector(PLOT)
    card = page.locator("#fn-cards article").first
    description = card.locator("p").first.inner_text()
    page.evaluate(HEAR)
    page.focus('#fn-curves input[type="range"][data-param="alpha"]')
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    until(page, "() => document.querySelector('#fn-cards [data-prop=\"torch\"]').textContent.includes('1.03')")
    heard = page.evaluate("() => window.__heard")
    assert heard and not [h for h in heard if description in h or len(h) > 200], heard
    # (the smoothness, measured at α ≠ 1, changed too if the card was not redrawn between α = 1 and 1.03)
    assert page.text_content("#fn-said") in ("ELU (alpha=1.03): output range: (−1.03, ∞).",
                                             "ELU (alpha=1.03): output range: (−1.03, ∞); smooth (C¹): no (kink at x = 0)."), page.text_content("#fn-said")
    # PReLU with a = −1 is |x|: no longer monotonic, and that is said
    page.goto(f"{server}/?fn=prelu")
    page.wait_for_selector(PLOT)
    page.wait_for_selector("#fn-cards article")
    description = page.locator("#fn-cards article p").first.inner_text()
    page.evaluate(HEAR)
    page.focus('#fn-curves input[type="range"][data-param="a"]')
    page.keyboard.press("Home")
    until(page, "() => document.querySelector('#fn-cards [data-prop=\"monotonic\"]').textContent === 'no'")
    until(page, "() => document.querySelector('#fn-said').textContent.includes('monotonic: no')")
    said = page.locator("#fn-said")
    assert said.get_attribute("role") == "status" and said.get_attribute("aria-live") in (None, "polite")
    assert said.inner_text().startswith("Parametric ReLU (PReLU)") and len(said.inner_text()) < 200, said.inner_text()
    heard = page.evaluate("() => window.__heard")
    assert not [h for h in heard if description in h or len(h) > 200], heard
