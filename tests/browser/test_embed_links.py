"""Links an author writes by hand (or a reader mistypes) for an embed or the explorer: what the
page corrects says so, and nothing is left that can only fail."""

from __future__ import annotations

import pytest

from .conftest import until

pytestmark = pytest.mark.browser


def _notice(page) -> str:
    return page.locator(".embed-notice, #url-notice").first.inner_text()


@pytest.mark.parametrize("query,said,values", [
    ("values=", "values: no value of learning rate to sweep: using 0.001, 0.01, 0.1, 0.3, 1, 3.", [0.001, 0.01, 0.1, 0.3, 1, 3]),
    ("values=1e308,1e-308,0.1", 'values: "1e308", "1e-308" are outside the range of learning rate, 0.0001 to 10: left out.', [0.1]),
    ("act=elu&sweep=alpha&values=-3,0.5", 'values: "-3" is outside the range of α (negative saturation), 0 to 5: left out.', [0.5]),
    ("act=relu&sweep=momentum&values=", "values: no value of momentum to sweep: using 0, 0.5, 0.9, 0.95, 0.99.", [0, 0.5, 0.9, 0.95, 0.99]),
])
def test_a_sweep_embed_corrects_values_it_cannot_sweep_and_runs(page, server, query, said, values):
    """`values=` or values out of range had no notice and a Run that could only fail ("sweep.values:
    List should have at least 1 item", "learning_rate must be in [0.0001, 10]")."""
    page.set_viewport_size({"width": 720, "height": 480})
    page.goto(f"{server}/embed/sweep?epochs=20&{query}")
    until(page, "document.body.dataset.ready === '1'", 60)
    assert said in _notice(page)
    run = page.locator("#embed-run")
    if run.is_visible():
        run.click()
    until(page, "document.querySelector('.embed-plot').dataset.rendered === '1'", 60)
    assert not page.locator(".embed-status.error").count(), page.locator(".embed-status").inner_text()
    drawn = page.evaluate("() => document.querySelector('.embed-plot').data[0].x")
    assert [round(v, 6) for v in drawn] == values


def test_the_explorer_sweeps_usual_values_for_a_link_with_none(page, server):
    page.goto(f"{server}/?view=network&mode=sweep&values=")
    until(page, "document.querySelector('#sweep-values').value !== ''", 60)
    assert "values: no value of learning rate to sweep: using 0.001, 0.01, 0.1, 0.3, 1, 3." in _notice(page)
    assert page.locator("#sweep-values").input_value() == "0.001, 0.01, 0.1, 0.3, 1, 3"


@pytest.mark.parametrize("query,said", [
    ("fn=[log(x)]&xmin=-5&xmax=-1", "log(x): nothing to draw — f(x) is undefined (NaN) at x = -5 (and 400 more points): log(x) is undefined."),
    ("fn=[exp(exp(exp(x)))],relu", "exp(exp(exp(x))): f(x) is infinite for x > 1.88175: exp(exp(exp(x))) overflows."),
])
def test_a_function_embed_says_what_a_formula_cannot_draw(page, server, query, said):
    """Empty axes and no word (the explorer says "nothing to draw — …" under its plot)."""
    page.set_viewport_size({"width": 720, "height": 480})
    page.goto(f"{server}/embed/function?{query}")
    until(page, "document.querySelector('.embed-plot').dataset.rendered === '1' && document.querySelector('.embed-status').textContent !== ''", 60)
    assert page.locator(".embed-status").inner_text() == said


def test_the_listed_prelu_embed_draws_prelus_slopes(page, server):
    page.set_viewport_size({"width": 720, "height": 480})
    page.goto(f"{server}/embed/prelu")
    until(page, "document.querySelector('.embed-plot').dataset.rendered === '1'", 60)
    assert "act=prelu" in page.url
    assert not page.locator(".embed-status.error").count()
    assert page.evaluate("() => document.querySelector('.embed-plot').data.length") >= 1


def test_a_plot_is_a_figure_named_for_what_it_draws(page, server):
    """The name was the panel's title alone ("f(x) and its derivative f′(x)" for any curves), under
    role=img, whose children are presentational although its toolbar's buttons take focus; two
    embeds of one page got the same frame title."""
    page.set_viewport_size({"width": 720, "height": 480})
    page.goto(f"{server}/embed/function?fn=leaky_relu(leak=0.2),elu(alpha=0.5)")
    until(page, "document.querySelector('.embed-plot').dataset.rendered === '1'", 60)
    tree = page.locator("body").aria_snapshot()
    assert 'figure "f(x) and its derivative f′(x): Leaky ReLU (leak=0.2), ELU (alpha=0.5)"' in tree, tree
    assert 'img: "0 ' not in tree and "img: 0 " not in tree, tree  # (Plotly's svgs: numbers, no alternative)
    assert page.evaluate("() => [...document.querySelectorAll('.embed-plot svg.main-svg')].every((s) => s.getAttribute('aria-hidden') === 'true')")
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{server}/?fn=relu,elu(alpha=0.5)")
    until(page, "!!document.querySelector('[data-panel=\"function\"] .plot[data-rendered=\"1\"]')", 60)
    plot = page.locator('[data-panel="function"] .plot')
    assert plot.get_attribute("role") == "figure"
    until(page, "document.querySelector('[data-panel=\"function\"] .plot').getAttribute('aria-label').includes('ELU')")
    assert plot.get_attribute("aria-label") == "f(x) and its derivative f′(x): ReLU, ELU (alpha=0.5)"
    page.locator('[data-panel="function"] [data-export="embed"]').click()
    assert 'title="Activation Lab: f(x) and its derivative f′(x): ReLU, ELU (alpha=0.5)"' in page.input_value("#embed-snippet")
