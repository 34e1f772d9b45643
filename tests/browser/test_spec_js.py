"""The page's twin of the links' notation and rule (static/js/lib/spec.js, url.js) runs the
same case file as the server (tests/cases/spec_cases.json): one grammar, one rule. Typed
formulas are compiled by the server on both sides (the page asks GET /api/formula)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

CASES = json.loads((Path(__file__).resolve().parents[1] / "cases" / "spec_cases.json").read_text(encoding="utf-8"))

RUN = """
async ([cases, version]) => {
  const spec = await import(`/static/${version}/js/lib/spec.js`);
  const url = await import(`/static/${version}/js/lib/url.js`);
  const formula = await import(`/static/${version}/js/lib/formula.js`);
  const meta = await (await fetch("/api/meta")).json();
  const body = await (await fetch("/api/activations")).json();
  const catalogue = { list: body.activations, byId: Object.fromEntries(body.activations.map((a) => [a.id, a])), formula: body.formula };
  for (const c of cases.sanitise) await formula.prepareFormulas(spec.parse(c.text).specs, catalogue);
  const out = { parse: [], numbers: [], format: [], sanitise: [], link: [] };
  for (const c of cases.parse) out.parse.push(spec.parse(c.text));
  for (const c of cases.numbers) out.numbers.push(spec.formatNumber(c.value));
  for (const c of cases.format) out.format.push(spec.format(c.specs, catalogue));
  for (const c of cases.sanitise) out.sanitise.push(spec.sanitise(spec.parse(c.text).specs, catalogue, c.max));
  out.again = cases.sanitise.map((c) => spec.sanitise(c.specs, catalogue, c.max)); // a page's state reads back as it is
  for (const c of cases.link) {
    const fields = Object.fromEntries(c.fields.map((k) => [k, meta.state[k]]));
    out.link.push(url.readLink(fields, "?" + c.query, meta.embed_keys, meta.ordered));
  }
  return out;
}
"""


def test_the_page_reads_links_as_the_server_does(page, server):
    page.goto(f"{server}/lessons")
    version = page.evaluate("() => document.querySelector('link[rel=stylesheet]').href.split('/static/')[1].split('/')[0]")
    got = page.evaluate(RUN, [CASES, version])
    # the formulas that do not compile were answered 422, as they should be: not a page error
    page.watch.errors = [e for e in page.watch.errors if "status of 422" not in e]
    for case, out in zip(CASES["parse"], got["parse"]):
        assert {"specs": out["specs"], "notes": out["notes"]} == {"specs": case["specs"], "notes": case["notes"]}, case["text"]
    for case, text in zip(CASES["numbers"], got["numbers"]):
        assert text == case["text"], case
    for case, text in zip(CASES["format"], got["format"]):
        assert text == case["text"], case
    for case, out in zip(CASES["sanitise"], got["sanitise"]):
        assert out == {"specs": case["specs"], "notes": case["notes"]}, case["text"]
    for case, out in zip(CASES["sanitise"], got["again"]):
        assert out == {"specs": case["specs"], "notes": []}, case["text"]
    for case, out in zip(CASES["link"], got["link"]):
        assert out == {"state": case["state"], "notes": case["notes"]}, case["query"]
