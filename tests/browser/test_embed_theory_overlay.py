"""The theory over an embedded plot, as the explorer draws it: /embed/gradient-norms and
/embed/gradient-flow showed the measured gradients only (the explorer's panels add the median
over 16 inits, the mean-field prediction and their caption; the "predicted" strip and the
"measured" outline). And the phase diagram's "your point" ✕, on the plane's bottom edge
(σ_b² = 0), was cut in half in a 320 px phone frame and covered by "chaotic" at 300 × 200."""

from __future__ import annotations

import pytest

from .conftest import PageWatch, held_still, shot, until

pytestmark = pytest.mark.browser

# (how, width, height): an iframe of that size in a host page; "phone": in a 390 × 844 phone's page
SIZES = [("framed", 720, 480), ("framed", 400, 300), ("framed", 300, 200), ("phone", 320, 480)]
NORMS = "/embed/gradient-norms?act=tanh&depth=6"
FLOW = "/embed/gradient-flow?act=tanh&depth=6"
PHASE = "/embed/phase?th=tanh&init=custom&sigma_w2=2&sigma_b2=0"


def _open(browser, server, src, how, width, height):
    """The embed at `src` in an iframe of width × height: (its context, the host page, the
    embed's frame, the host page's watch), the embed ready and its caption no longer "Computing…"."""
    phone = how == "phone"
    opts = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2} if phone else {"viewport": {"width": max(900, width + 40), "height": max(900, height + 40)}}
    ctx = browser.new_context(**opts)
    page = ctx.new_page()
    watch = PageWatch(page, server)
    page.set_content(f'<iframe id="f" src="{server}{src}" width="{width}" height="{height}" style="border:0"></iframe>')
    page.frame_locator("#f").locator("body[data-ready='1']").wait_for(timeout=90_000)
    inner = next(f for f in page.frames if f.url.startswith(server))
    until(inner, "!/^(Computing|Training)/.test(document.querySelector('.embed-status').textContent)", 60)
    return ctx, page, inner, watch


_BOX = "const box = (e) => { const r = e.getBoundingClientRect(); return {left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width, height: r.height}; };"

_GEOMETRY = f"""() => {{ {_BOX}
  const plot = document.querySelector('.embed-plot');
  const legend = plot.querySelector('.legend');
  return {{
    frame: {{left: 0, top: 0, right: innerWidth, bottom: innerHeight}},
    svg: box(plot.querySelector('.main-svg')),
    legend: legend ? box(legend) : null,
    keys: [...plot.querySelectorAll('.legend .traces')].map((t) => t.textContent),
    panels: [...plot.querySelectorAll('.nsewdrag')].map(box),
    ticks: [...plot.querySelectorAll('.xtick text, .ytick text')].map(box).filter((b) => b.width > 0),
    labels: [...plot.querySelectorAll('.annotation')].map(box),
    status: box(document.querySelector('.embed-status')),
    link: box(document.querySelector('.embed-foot a')),
  }};
}}"""


def _inside(inner, outer, slack=0.5):
    return inner["left"] >= outer["left"] - slack and inner["right"] <= outer["right"] + slack and inner["top"] >= outer["top"] - slack and inner["bottom"] <= outer["bottom"] + slack


def _apart(a, b, slack=0.5):
    return a["right"] <= b["left"] + slack or b["right"] <= a["left"] + slack or a["bottom"] <= b["top"] + slack or b["bottom"] <= a["top"] + slack


_DRAWN = "(names) => { const d = document.querySelector('.embed-plot').data || []; return names.every((n) => d.some((t) => t.name === n)); }"


def test_gradient_embeds_draw_the_explorers_theory_with_its_numbers(browser, server):
    """The same link in the embed and in the explorer: the median of 16 inits and the prediction,
    line for line, and the caption's numbers ("predicted 1.3, median of 16 inits 0.99"); the
    predicted strip and the measured column on the flow's map, outlined dashed and solid."""
    ctx, page, norms, watch = _open(browser, server, NORMS, "framed", 720, 480)
    assert norms.evaluate(_DRAWN, ["tanh: median of 16 inits", "tanh: mean-field theory"]), norms.evaluate("document.querySelector('.embed-plot').data.map((d) => d.name)")
    caption = norms.evaluate("document.querySelector('.embed-status').textContent")
    assert "tanh: first ÷ last predicted 1.3, median of 16 inits 0.99" in caption, caption
    lines = "(s) => Object.fromEntries(document.querySelector(s).data.filter((d) => /median of|mean-field/.test(d.name || '')).map((d) => [d.name, d.y]))"
    embedded = norms.evaluate(lines, ".embed-plot")
    href = norms.evaluate("document.querySelector('.embed-foot a').href")
    ctx2, _, flow, watch2 = _open(browser, server, FLOW, "framed", 720, 480)
    assert flow.evaluate(_DRAWN, ["predicted", "measured"])
    strips = "(s) => { const g = document.querySelector(s); return {z: g.data.filter((d) => d.name === 'predicted').map((d) => d.z), dashes: (g.layout.shapes || []).filter((r) => r.type === 'rect').map((r) => r.line.dash || 'solid')}; }"
    embedded_flow = flow.evaluate(strips, ".embed-plot")
    assert embedded_flow["dashes"] == ["dash", "solid"], embedded_flow
    assert "the theory's prediction at initialisation (outlined dashed)" in flow.evaluate("document.querySelector('.embed-status').textContent")

    lab = ctx.new_page()
    lab_watch = PageWatch(lab, server)
    lab.set_viewport_size({"width": 1280, "height": 900})
    lab.goto(href)
    norms_panel, flow_panel = "[data-panel='gradient-norms'] .plot", "[data-panel='gradient-flow'] .plot"
    until(lab, "(s) => (document.querySelector(s).data || []).some((d) => /mean-field theory/.test(d.name || ''))", 90, norms_panel)
    until(lab, "(s) => (document.querySelector(s).data || []).some((d) => d.name === 'predicted')", 30, flow_panel)
    note = lab.evaluate("document.querySelector(\"[data-panel='gradient-norms'] .note\").textContent")
    theory = caption[caption.index("Theory ("):]
    assert theory in note, (theory, note)
    assert lab.evaluate(lines, norms_panel) == embedded
    assert lab.evaluate(strips, flow_panel) == embedded_flow
    for w in (watch, watch2, lab_watch):
        w.assert_clean()
    ctx.close()
    ctx2.close()


@pytest.mark.parametrize("src", [NORMS, FLOW])
@pytest.mark.parametrize("how,width,height", SIZES)
def test_the_theory_in_a_gradient_embed_fits_the_frame(browser, server, src, how, width, height):
    """At each size: the theory drawn; the legend (its keys for the median and the theory where
    the frame has room for them) in the frame and off the plot; the strips' label off the tick
    labels; the caption under the plot and "Open in Activation Lab ↗" in view."""
    ctx, page, inner, watch = _open(browser, server, src, how, width, height)
    g = held_still(inner, _GEOMETRY)
    shot(page, f"embed-theory-{src.split('?')[0].rsplit('/', 1)[1]}-{how}-{width}x{height}")
    names = ["tanh: median of 16 inits", "tanh: mean-field theory"] if src == NORMS else ["predicted", "measured"]
    assert inner.evaluate(_DRAWN, names), inner.evaluate("document.querySelector('.embed-plot').data.map((d) => d.name)")
    if src == NORMS and height >= 300:
        assert all(n in g["keys"] for n in names), g["keys"]
    link, svg, status = g["link"], g["svg"], g["status"]
    assert _inside(link, g["frame"]) and link["height"] < 24, (link, g["frame"])
    assert svg["bottom"] <= status["top"] + 0.5 and svg["bottom"] <= link["top"] + 0.5, (svg, status, link)
    assert status["bottom"] <= g["frame"]["bottom"] + 0.5, (status, g["frame"])
    if g["legend"]:
        assert _inside(g["legend"], g["frame"]) and all(_apart(g["legend"], p) for p in g["panels"]), (g["legend"], g["panels"])
    for label in g["labels"]:  # ("theory · init", over the strips)
        assert _inside(label, svg) and all(_apart(label, t) for t in g["ticks"]), (label, g["ticks"])
    assert all(p["height"] >= 40 for p in g["panels"]), g["panels"]
    watch.assert_clean()
    ctx.close()


# the ✕'s box with its stroke, and the box it is clipped to (the svg's, when it is drawn unclipped)
_POINT = """(sel) => {
  const plot = document.querySelector(sel);
  const path = [...plot.querySelectorAll('.scatterlayer .trace')].pop().querySelector('.point');
  const r = path.getBoundingClientRect();
  const s = parseFloat(getComputedStyle(path).strokeWidth) / 2;
  const point = {left: r.left - s, right: r.right + s, top: r.top - s, bottom: r.bottom + s};
  let clip = null;
  for (let e = path; e && e.tagName !== 'svg'; e = e.parentElement) {
    const c = e.getAttribute('clip-path');
    if (!c || c === 'none') continue;
    const rect = document.getElementById(c.match(/#([^)'"]+)/)[1]).querySelector('rect');
    const m = e.getScreenCTM();
    const at = (x, y) => new DOMPoint(x, y).matrixTransform(m);
    const [x, y, w, h] = ['x', 'y', 'width', 'height'].map((k) => parseFloat(rect.getAttribute(k)) || 0);
    const [a, b] = [at(x, y), at(x + w, y + h)];
    clip = {left: a.x, top: a.y, right: b.x, bottom: b.y};
    break;
  }
  const svg = plot.querySelector('.main-svg').getBoundingClientRect();
  const labels = [...plot.querySelectorAll('.annotation')].map((a) => { const q = a.getBoundingClientRect(); return {text: a.textContent, left: q.left, right: q.right, top: q.top, bottom: q.bottom}; });
  return {point, clip: clip || {left: svg.left, top: svg.top, right: svg.right, bottom: svg.bottom}, clipped: !!clip, labels};
}"""


def _assert_point_whole_and_clear(m):
    assert _inside(m["point"], m["clip"]), m
    for label in m["labels"]:
        assert _apart(m["point"], label), (m["point"], label)


@pytest.mark.parametrize("how,width,height", SIZES)
def test_the_phase_embeds_point_is_whole_and_clear_of_the_names(browser, server, how, width, height):
    ctx, page, inner, watch = _open(browser, server, PHASE, how, width, height)
    m = held_still(inner, f"() => ({_POINT})('.embed-plot')")
    shot(page, f"embed-theory-phase-point-{how}-{width}x{height}")
    assert {"ordered", "chaotic"} <= {label["text"] for label in m["labels"]}, m["labels"]
    _assert_point_whole_and_clear(m)
    watch.assert_clean()
    ctx.close()


@pytest.mark.parametrize("width,height", [(1280, 900), (390, 844)])
def test_the_explorers_phase_point_is_whole_and_clear_of_the_names(page, server, width, height):
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{server}/?view=theory&th=tanh&init=custom&sigma_w2=2&sigma_b2=0")
    sel = "[data-panel='phase'] .plot"
    until(page, "(s) => document.querySelector(s).dataset.rendered === '1'", 60, sel)
    m = held_still(page, f"() => ({_POINT})(\"{sel}\")")
    _assert_point_whole_and_clear(m)
