"""LiveClient (static/js/live/client.js) in Chromium: a teacher and two students, each in its
own browser context. Students come in through the join page (the nickname it remembers is
sent with their results); the teacher's view reaches both, a student who breaks away stops
following and one click brings the latest view back; pause and release arrive; a class
experiment collects both results; a student's client cannot control the class.
(The explorer follows ``?class=`` by itself: tests/browser/test_live_class.py. Here each student
goes on to a page that does not, and drives LiveClient directly.)"""

from __future__ import annotations

import pytest

from .conftest import PageWatch, shot, until

IMPORT = "async () => { window.live = await import(new URL('client.js', document.querySelector('script[type=module][src*=\"live/\"]').src).href); return true; }"

FOLLOW = """
async (code) => {
  const { LiveClient } = await import(new URL('/static/' + document.querySelector('link[rel=stylesheet]').href.split('/static/')[1].split('/')[0] + '/js/live/client.js', location.href).href);
  window.got = { states: [], pauses: [], releases: 0, experiments: [] };
  window.student = new LiveClient(code, {
    onState: (q) => window.got.states.push(q),
    onPause: (m) => window.got.pauses.push(m),
    onRelease: () => { window.got.releases++; },
    onExperiment: (e) => window.got.experiments.push(e),
  }).connect();
  return true;
}
"""


def test_a_teacher_and_two_students(browser, server):
    contexts = [browser.new_context(viewport={"width": 1000, "height": 700}) for _ in range(3)]
    try:
        teacher, *students = [ctx.new_page() for ctx in contexts]
        for p in (teacher, *students):
            p.watch = PageWatch(p, server)
        teacher.goto(f"{server}/join")
        teacher.evaluate(IMPORT)
        started = teacher.evaluate("async () => { const s = await live.LiveClient.start({ query: '?fn=relu' }); window.t = new live.LiveClient(s.code, { token: s.teacher_token }); return s; }")
        code = started["code"]
        assert started["join_url"] == f"{server}/join/{code}"

        for nickname, page in zip(("Ada", ""), students):
            page.goto(started["join_url"].replace(code, code.lower()))
            assert page.locator(".join-code").inner_text() == f"{code[:4]}-{code[4:]}"
            if nickname:
                page.fill("#nickname", nickname)
            if page is students[0]:
                shot(page, "live-join")
            page.click("button[type=submit]")
            page.wait_for_url(f"{server}/?class={code}")
            page.evaluate("sessionStorage.clear()")  # the explorer there follows the class itself: leave it to this test's client
            page.goto(f"{server}/join")
            page.evaluate(FOLLOW, code)
            until(page, "window.got.states.length === 1 && window.got.states[0] === 'fn=relu'")
        # the explorer pages each student left had joined too: gone once the server sees their streams close
        until(teacher, "t.info().then((i) => i.students === 2)", timeout_s=30)

        teacher.evaluate("t.setState('fn=leaky_relu(leak=0.2)&view=function')")
        for page in students:
            until(page, "window.got.states.at(-1) === 'fn=leaky_relu(leak=0.2)&view=function'")

        # breaking away and rejoining
        students[0].evaluate("student.unfollow()")
        teacher.evaluate("t.setState('fn=elu')")
        until(students[1], "window.got.states.at(-1) === 'fn=elu'")
        assert students[0].evaluate("[window.got.states.at(-1), student.query]") == ["fn=leaky_relu(leak=0.2)&view=function", "fn=elu"]
        students[0].evaluate("student.follow()")
        assert students[0].evaluate("window.got.states.at(-1)") == "fn=elu"

        # pause and release
        teacher.evaluate("t.pause('Pens down')")
        for page in students:
            until(page, "student.paused && window.got.pauses.at(-1) === 'Pens down'")
        teacher.evaluate("t.release()")
        for page in students:
            until(page, "!student.paused && window.got.releases >= 2")  # one from the snapshot

        # a class experiment collects both results
        teacher.evaluate("t.setExperiment({ prompt: 'Pick a leak, train, submit', param: 'leak', collect: ['test_accuracy', 'dead_fraction'] })")
        for i, page in enumerate(students):
            until(page, "student.experiment && student.experiment.open")
            count = page.evaluate(f"student.submitResult({{ activation: 'leaky_relu(leak=0.{i + 1})', params: {{ leak: 0.{i + 1} }}, test_accuracy: 0.9, dead_fraction: 0.0{i} }}).then((r) => r.count)")
            assert count == i + 1
        # a resubmission from the same tab replaces the first
        students[0].evaluate("student.submitResult({ params: { leak: 0.15 }, test_accuracy: 0.91, dead_fraction: 0.0 })")
        results = teacher.evaluate("t.getResults()")
        assert results["count"] == 2
        assert sorted((r["nickname"] or "", r["params"]["leak"]) for r in results["results"]) == [("", 0.2), ("Ada", 0.15)]

        # a student's client cannot control the class
        refused = students[1].evaluate("""async (code) => {
          const out = [];
          for (const c of [student, new (student.constructor)(code, { token: 'not-the-teacher-token-at-all' })]) {
            try { await c._fetch('POST', '/pause', undefined, true); out.push('accepted'); } catch (e) { out.push([e.status, e.code]); }
          }
          return out;
        }""", code)
        assert refused == [[401, "teacher_token_missing"], [403, "teacher_token_wrong"]]
        students[1].watch.errors = [e for e in students[1].watch.errors if "status of 401" not in e and "status of 403" not in e]

        qr = teacher.evaluate(f"fetch('{started['qr_url']}').then(async (r) => [r.headers.get('content-type'), (await r.text()).slice(0, 4)])")
        assert qr == ["image/svg+xml", "<svg"]
        for p in (teacher, *students):
            p.watch.assert_clean()
    finally:
        for ctx in contexts:
            ctx.close()


@pytest.mark.parametrize("typed", ["abcd-efgh", "ZZZZ ZZZZ"])
def test_the_code_form_goes_to_the_join_page(page, server, typed):
    page.goto(f"{server}/join")
    page.fill("#code", typed)
    page.click("button[type=submit]")
    code = typed.replace('-', '').replace(' ', '').upper()
    page.wait_for_url(f"{server}/join/{code}")
    said = page.locator(".join-problem").inner_text()
    assert said == f"No live class has the code '{code}' (it may have expired): check the code with the teacher.", said  # a sentence
    page.watch.errors = [e for e in page.watch.errors if "404" not in e]  # the page itself answers 404


def test_a_typed_code_with_a_character_no_code_has_is_told_which(page, server):
    """"a9unsak0" has a 0, which the codes' alphabet leaves out: the page said "no live class has
    the code" (as if it might have expired); it names the 0, and the field is there to fix it."""
    page.goto(f"{server}/join")
    page.fill("#code", "a9unsak0")
    page.click("button[type=submit]")
    page.wait_for_url(f"{server}/join/a9unsak0")
    said = page.locator(".join-problem").inner_text()
    assert said.startswith("'a9unsak0' cannot be a class code: no code has '0' (0, O, 1, I and L are left out"), said
    assert said.endswith("check the code with the teacher.") and "no live class" not in said.lower(), said
    assert page.input_value("#code") == "a9unsak0"
    page.watch.errors = [e for e in page.watch.errors if "422" not in e]  # the page itself answers 422


def test_the_class_plot_keeps_a_parameter_that_is_never_negative_above_zero(page, server):
    page.goto(f"{server}/join")
    ranges = page.evaluate(
        """async () => {
      const v = document.querySelector('link[rel=stylesheet]').href.split('/static/')[1].split('/')[0];
      const { classResultsFigure } = await import(`/static/${v}/js/live/results.js`);
      const row = (leak) => ({ activation: `leaky_relu(leak=${leak})`, params: { leak }, test_accuracy: 0.9, nickname: 'a' });
      const fig = (rs) => classResultsFigure(rs, { param: 'leak', paramLabel: 'leak', number: 'test_accuracy', numberLabel: 'test accuracy' });
      return [fig([row(0.3)]).layout.xaxis.range, fig([row(0.3), row(-0.2)]).layout.xaxis.range, fig([row(0), row(0.5)]).layout.xaxis.range];
    }"""
    )
    (lo, hi), (lo2, hi2), (lo3, hi3) = ranges
    assert -0.1 * (hi - lo) < lo < 0 < 0.3 < hi  # from 0 (no axis running far below it), a marker's room either side
    assert lo2 < -0.2 and hi2 > 0.3
    assert -0.1 * (hi3 - lo3) < lo3 < 0 and 0.5 < hi3 < 0.55


def test_the_class_results_hover_names_each_activation(page, server):
    """The teacher's plot named a student's run by the link's text ("a · leaky_relu(leak=0.1)");
    now by its name, its parameters after it. A typed formula keeps its text."""
    page.goto(f"{server}/")
    page.wait_for_selector("body[data-ready='1']")
    texts = page.evaluate(
        """async () => {
      const v = document.querySelector('link[rel=stylesheet]').href.split('/static/')[1].split('/')[0];
      const { classResultsFigure } = await import(`/static/${v}/js/live/results.js`);
      const rows = [{ activation: 'leaky_relu(leak=0.1)', params: { leak: 0.1 }, test_accuracy: 0.9, nickname: 'Ada' },
                    { activation: 'relu', params: {}, test_accuracy: 0.8, nickname: '' },
                    { activation: '[x*sigmoid(b*x)](b=1.5)', params: { b: 1.5 }, test_accuracy: 0.7, nickname: 'Bo' }];
      const names = { leaky_relu: 'Leaky ReLU', relu: 'ReLU' };
      const fig = classResultsFigure(rows, { number: 'test_accuracy', numberLabel: 'test accuracy', nameOf: (id) => names[id] || id });
      return fig.data.flatMap((t) => t.text);
    }"""
    )
    assert sorted(texts) == sorted(["Ada · Leaky ReLU (leak=0.1)", "a student · ReLU", "Bo · [x*sigmoid(b*x)](b=1.5)"])
