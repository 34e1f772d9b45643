"""A live class in the browser, as its people use it: a teacher starts one from the explorer's
top bar, two students (each in a browser of their own) join with the code, and their
explorers follow the teacher's — the plots, not only the address; a pause locks their
controls and a release unlocks them; a class experiment collects both students' runs into
one plot on the teacher's screen. A lesson's page and presentation step are followed too. The
teacher ends the class: the students are told and keep a page of their own."""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from .conftest import PageWatch, free_port, hold, shot, start_server, until
from .test_explorer import drag_slider

pytestmark = pytest.mark.browser

FN_PLOT = '[data-panel="function"] .plot'
RESULTS_PLOT = '[data-panel="class-results"] .plot'
LEAK = '#fn-curves input[type="range"][data-param="leak"]'


def negative_slope(page) -> float | None:
    """The derivative the function plot draws at x = −1 (the leak of a leaky ReLU)."""
    return page.evaluate(
        """(sel) => {
          const plot = document.querySelector(sel);
          const d = plot && plot.data && plot.data.find((t) => t.yaxis === 'y2');
          if (!d) return null;
          const i = d.x.findIndex((x) => x >= -1);
          return d.y[i];
        }""",
        FN_PLOT,
    )


def open_page(context, server, path: str):
    page = context.new_page()
    page.watch = PageWatch(page, server)
    page.goto(f"{server}{path}")
    page.wait_for_selector("body[data-ready='1']")
    return page


def start_class(teacher) -> str:
    teacher.click("#live-class")
    teacher.wait_for_selector("#live-panel:not([hidden])")
    until(teacher, "document.querySelector('#live-code').textContent.includes('-')")
    return teacher.evaluate("window.__actlabLive.code")


def join(context, server, code: str, nickname: str = ""):
    page = context.new_page()
    page.watch = PageWatch(page, server)
    page.goto(f"{server}/join/{code}")
    if nickname:
        page.fill("#nickname", nickname)
    page.click("button[type=submit]")
    page.wait_for_selector(".live-bar.live-student[data-live='following']")
    return page


@pytest.fixture
def contexts(browser):
    made = []

    def make(width=1280, height=800, **options):
        ctx = browser.new_context(viewport={"width": width, "height": height}, accept_downloads=True, **options)
        made.append(ctx)
        return ctx

    yield make
    for ctx in made:
        ctx.close()


def test_a_teacher_and_two_students(contexts, server):
    teacher = open_page(contexts(), server, "/?fn=leaky_relu")
    code = start_class(teacher)
    ada = join(contexts(), server, code, "Ada")
    bo = join(contexts(), server, code)
    students = (ada, bo)
    for s in students:
        until(s, "location.search.includes('fn=leaky_relu')")  # the teacher's view, not the default
        until(s, f"document.querySelector('{FN_PLOT}')?.dataset.rendered === '1'")
    until(teacher, "document.querySelector('.live-count').textContent.startsWith('2 students')")
    assert negative_slope(ada) == pytest.approx(0.01)
    shot(teacher, "live-teacher-panel")

    # the teacher moves the leak slider: both students' plots change to the same slope
    teacher.click("#live-panel .live-close")
    drag_slider(teacher, LEAK, 0.4)
    leak = float(teacher.input_value('#fn-curves [data-param-box="leak"]'))
    assert 0.3 < leak < 0.5
    until(teacher, f"Math.abs(((d) => d.y[d.x.findIndex((x) => x >= -1)])(document.querySelector('{FN_PLOT}').data.find((t) => t.yaxis === 'y2')) - {leak}) < 1e-9")
    for s in students:
        until(s, f"(() => {{ const p = document.querySelector('{FN_PLOT}'); const d = p.data.find((t) => t.yaxis === 'y2'); return Math.abs(d.y[d.x.findIndex((x) => x >= -1)] - {leak}) < 1e-9; }})()")
        assert s.input_value('#fn-curves [data-param-box="leak"]') in (f"{leak:g}", f"{leak:.3f}", str(leak))
        # following does not fill the history: the address is replaced, not pushed
        assert s.evaluate("history.length") <= 3

    # the teacher switches to the network view and trains leaky ReLU: so do the students
    teacher.click("#tab-network")
    teacher.select_option('#net-curves select[data-role="activation"]', "leaky_relu")
    for s in students:
        until(s, "document.querySelector('#tab-network').getAttribute('aria-selected') === 'true'")
        # (the tab can switch before the network view's code has built its controls)
        until(s, "document.querySelector('#net-curves select[data-role=activation]')?.value === 'leaky_relu'")

    # pause: the students' controls lock with the teacher's message; the plots stay
    teacher.click("#live-class")
    teacher.fill("#live-message", "Pens down, eyes up")
    teacher.click("#live-pause")
    for s in students:
        until(s, "document.querySelector('[data-panel=loss] .plot').dataset.rendered === '1'", timeout_s=30)  # their own run of the teacher's view
        until(s, "document.querySelector('.live-bar').dataset.paused === '1'")
        assert s.evaluate("document.querySelector('#net-controls').inert && document.querySelector('[role=tablist]').inert")
        assert "Pens down, eyes up" in s.inner_text(".live-paused")
    # a locked control does not answer a click (as a user would try it)
    bo.locator('input[name="mode"][value="compare"]').click(force=True)
    assert bo.evaluate("document.querySelector('input[name=\"mode\"][value=\"train\"]').checked")
    assert bo.evaluate("document.querySelector('.live-bar').dataset.live") == "following"
    shot(bo, "live-student-paused")
    teacher.click("#live-pause")  # now "Release the class"
    for s in students:
        until(s, "document.querySelector('.live-bar').dataset.paused === '0' && !document.querySelector('#net-controls').inert")

    # a class experiment: each student picks a leak, trains, submits; the teacher's plot has both
    teacher.fill("#live-prompt", "Pick a leak, train, submit")
    teacher.select_option("#live-param", "leak")
    teacher.click("#live-experiment")
    until(teacher, "document.querySelector('#live-panel').dataset.experiment === 'open'")
    chosen = {}
    for s, fraction in zip(students, (0.2, 0.7)):
        until(s, "!document.querySelector('.live-experiment').hidden")
        assert "Pick a leak, train, submit" in s.inner_text(".live-experiment")
        box = s.locator('#net-curves [data-param-box="leak"]')
        box.fill(str(fraction))
        box.press("Enter")  # the experiment's own work: still following, on its errand
        until(s, "document.querySelector('.live-bar').dataset.live === 'following' && document.querySelector('.live-bar').dataset.errand === '1'")
        until(s, f"location.search.includes('leak={fraction:g}')")
        until(s, f"document.querySelector('.live-run').textContent.includes('leak = {fraction:g}')", timeout_s=30)  # after its own run
        assert s.evaluate("!document.querySelector('#live-submit').disabled")
        s.click("#live-submit")
        until(s, "document.querySelector('.live-experiment output').textContent.startsWith('Sent')")
        chosen[s] = fraction
    until(teacher, f"(document.querySelector('{RESULTS_PLOT}').data || []).reduce((n, t) => n + t.x.length, 0) === 2")
    xs = sorted(teacher.evaluate(f"document.querySelector('{RESULTS_PLOT}').data.flatMap((t) => t.x)"))
    assert xs == pytest.approx(sorted(chosen.values()))
    ys = teacher.evaluate(f"document.querySelector('{RESULTS_PLOT}').data.flatMap((t) => t.y)")
    assert all(0 <= y <= 1 for y in ys)  # test accuracy, the first number collected
    hover = teacher.evaluate(f"document.querySelector('{RESULTS_PLOT}').data.flatMap((t) => t.text)")
    assert any("Ada" in h for h in hover) and any("a student" in h for h in hover)
    # (the count comes with the class's events, the plot from its results: either may come first)
    until(teacher, "document.querySelector('.live-state[aria-live]').textContent.includes('2 results')")
    shot(teacher, "live-teacher-results")
    # exportable like every plot
    with teacher.expect_download() as dl:
        teacher.click('[data-panel="class-results"] [data-export="csv"]')
    csv = Path(dl.value.path()).read_text(encoding="utf-8").splitlines()
    assert csv[0] == "nickname,activation,leak,test_accuracy,dead_fraction,final_loss" and len(csv) == 3

    # one click back: the student's view is the teacher's again
    ada.click("#live-back")
    until(ada, "document.querySelector('.live-bar').dataset.live === 'following' && document.querySelector('.live-bar').dataset.errand === '0' && !location.search.includes('leak=0.2')")
    for p in (teacher, *students):
        p.watch.assert_clean()


def test_a_student_follows_the_teacher_into_a_lesson_and_its_steps(contexts, server):
    teacher = open_page(contexts(), server, "/")
    code = start_class(teacher)
    student = join(contexts(), server, code)
    until(student, "document.querySelector('.live-bar').dataset.live === 'following'")
    # the teacher goes to the lessons and opens one: the student's page goes there too
    teacher.click("#live-panel .live-close")
    teacher.click("nav.links a[href='/lessons']")
    teacher.click("a.lesson-link[href*='softplus-logistic']")
    teacher.wait_for_selector("body[data-ready='1']")
    assert teacher.inner_text("#live-class").startswith("Live ")  # still teaching, in this tab
    student.wait_for_url("**/lessons/softplus-logistic**")
    student.wait_for_selector(".live-bar.live-student[data-live='following']")
    # a control of the lesson
    teacher.locator('[data-param-box="beta"]').fill("5")
    teacher.locator('[data-param-box="beta"]').press("Enter")
    until(student, "new URLSearchParams(location.search).get('beta') === '5'")
    until(student, "document.querySelector('[data-param-box=beta]').value === '5'")
    # the student opens the explorer themselves: they explore there (not taken back), and
    # one click on Rejoin takes them back to the teacher's lesson
    student.click("header a.explorer-link")
    student.wait_for_url(f"{server}/?**")
    student.wait_for_selector(".live-bar.live-student[data-live='exploring']")
    time.sleep(0.5)
    assert student.url.startswith(f"{server}/?")
    student.click("#live-follow")
    student.wait_for_url("**/lessons/softplus-logistic?beta=5")
    student.wait_for_selector(".live-bar.live-student[data-live='following']")
    # presenting: the student's page takes the presentation and each step
    teacher.click("#present-link")
    teacher.wait_for_selector("body.present")
    student.wait_for_selector("body.present")
    teacher.keyboard.press("ArrowRight")
    teacher.keyboard.press("ArrowRight")
    until(teacher, "document.querySelector('main').dataset.step === '3'")
    until(student, "document.querySelector('main').dataset.step === '3' && new URLSearchParams(location.search).get('beta') === '5'")
    assert student.evaluate("document.querySelector('.step-plot[data-step=\"3\"]').hidden") is False
    assert student.evaluate("history.length") <= 4
    shot(teacher, "live-teacher-presenting")
    shot(student, "live-student-presenting")
    for p in (teacher, student):
        p.watch.assert_clean()


def test_the_class_panel_leaves_the_top_bar_in_reach(contexts, server):
    teacher = open_page(contexts(), server, "/")
    start_class(teacher)
    bar, panel = teacher.evaluate("['header.topbar', '#live-panel'].map((s) => document.querySelector(s).getBoundingClientRect().toJSON())")
    assert panel["top"] == pytest.approx(bar["bottom"], abs=1)  # the drawer starts under the bar
    for button in ("#copy-link", "#info-toggle", "#live-class"):  # the bar's buttons are not under the drawer
        assert teacher.evaluate(f"(() => {{ const b = document.querySelector('{button}'), r = b.getBoundingClientRect(); return document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2) === b; }})()"), button
    teacher.click("#live-class")  # the class button toggles the drawer
    until(teacher, "document.querySelector('#live-panel').hidden")
    teacher.click("#live-class")
    until(teacher, "!document.querySelector('#live-panel').hidden")
    teacher.watch.assert_clean()


@pytest.mark.parametrize("width,height", [(390, 844)])
def test_the_class_panel_and_a_paused_student_on_a_phone(contexts, server, width, height):
    teacher = open_page(contexts(width, height), server, "/?fn=elu")
    code = start_class(teacher)
    student = join(contexts(width, height), server, code, "Bo")
    until(teacher, "document.querySelector('.live-count').textContent.startsWith('1 student')")
    box = teacher.evaluate("(() => { const r = document.querySelector('#live-panel').getBoundingClientRect(); return [r.left, r.right]; })()")
    assert box == [0, width]  # the panel takes the phone's whole width
    shot(teacher, "live-teacher-panel-phone")
    teacher.click("#live-pause")
    until(student, "document.querySelector('.live-bar').dataset.paused === '1'")
    assert student.evaluate("document.querySelector('#fn-controls').inert")
    assert student.locator(f"{FN_PLOT} .main-svg").first.is_visible()  # the plot stays
    shot(student, "live-student-paused-phone")
    for p in (teacher, student):
        p.watch.assert_clean()


NETWORK = "/?view=network&act=leaky_relu(leak=0.05)&dataset=moons"
PHONE = {"width": 390, "height": 844, "is_mobile": True, "has_touch": True}
NET_FIELDS = ("input[name=mode]", "#net-curves select[data-role=activation]", "#net-data select", "#net-training input")


def test_a_paused_phone_keeps_the_network_controls_in_view_greyed_and_inert(contexts, server):
    """On a phone the controls stack above the plots; paused, they stay as they are (greyed,
    inert), as on a desktop: they used to fold to the Train row, Mode, Activation and Data gone."""
    teacher = open_page(contexts(), server, NETWORK)
    code = start_class(teacher)
    student = join(contexts(**PHONE), server, code)
    until(student, "document.querySelector('#net-curves select[data-role=activation]')?.value === 'leaky_relu'")
    until(student, "document.querySelector('[data-panel=loss] .plot')?.dataset.rendered === '1'", timeout_s=30)
    form = "document.querySelector('#net-controls').getBoundingClientRect().height"
    before = student.evaluate(form)
    assert before > 1000  # the phone's stack of every field
    teacher.click("#live-pause")
    until(student, "document.querySelector('.live-bar').dataset.paused === '1'")
    assert student.evaluate("document.querySelector('#net-controls').inert")
    assert student.evaluate(form) == pytest.approx(before, abs=1)
    for field in NET_FIELDS:
        assert student.locator(field).first.is_visible(), field
    assert float(student.evaluate("getComputedStyle(document.querySelector('#net-controls')).opacity")) < 1  # greyed
    student.locator("#net-controls select[data-role=activation]").first.scroll_into_view_if_needed()
    shot(student, "live-student-paused-phone-network")
    for p in (teacher, student):
        p.watch.assert_clean()


def test_the_student_bar_names_the_run_as_its_legend_does(contexts, server):
    teacher = open_page(contexts(), server, NETWORK)
    code = start_class(teacher)
    student = join(contexts(), server, code)
    teacher.fill("#live-prompt", "Pick a leak, train, submit")
    teacher.select_option("#live-param", "leak")
    teacher.click("#live-experiment")
    until(student, "!document.querySelector('.live-experiment').hidden && document.querySelector('.live-run').textContent.startsWith('Your run: ')", timeout_s=30)
    run = student.inner_text(".live-run")
    legend = student.evaluate("window.__actlabLive.trace.variants[0].label")  # what the run's legends say
    assert legend.startswith("Leaky ReLU") and "leak=0.05" in legend
    assert student.evaluate("document.querySelector('[data-panel=loss] .plot').data[0].name").startswith(legend)
    assert run.startswith(f"Your run: {legend}: final test accuracy"), run
    assert "leaky_relu" not in run
    shot(student, "live-student-run-label")
    for p in (teacher, student):
        p.watch.assert_clean()


def test_the_teacher_ends_the_class_and_each_student_keeps_a_page_of_their_own(contexts, server):
    teacher = open_page(contexts(), server, NETWORK)
    code = start_class(teacher)
    students = [join(contexts(), server, code), join(contexts(**PHONE), server, code)]
    teacher.click("#live-experiment")
    teacher.fill("#live-message", "One moment")
    teacher.click("#live-pause")
    for s in students:
        until(s, "document.querySelector('.live-bar').dataset.paused === '1' && !document.querySelector('.live-experiment').hidden")
    # the panel tells ending from stopping in this tab
    panel = teacher.inner_text("#live-panel .live-ending")
    assert "every student is told it is over" in panel and "the class goes on for the students" in panel
    teacher.click("#live-end")
    assert teacher.evaluate("document.querySelector('.live-confirm').hidden") is False  # one more click: it cannot be undone
    shot(teacher, "live-teacher-ending")
    teacher.click("#live-end-yes")
    until(teacher, "document.querySelector('#live-panel').dataset.ended === '1'")
    assert "You ended the class" in teacher.inner_text("#live-panel .live-status")
    # the experiment open when the class ended is over too: no "Open: …", no live control left
    state = teacher.inner_text('#live-panel [aria-labelledby="live-exp-title"] .live-state')
    assert state.startswith("Closed: “"), state
    assert "Paused:" not in teacher.inner_text("#live-panel")  # (the students' pages are unlocked)
    assert teacher.evaluate("[...document.querySelectorAll('#live-panel select, #live-panel input, #live-panel button')].filter((e) => !e.disabled && !e.closest('[inert]') && !e.closest('header')).map((e) => e.id || e.textContent)") == ["Close (a new class starts from “Live class”)"]
    assert teacher.evaluate("sessionStorage.getItem('actlab-live-class')") is None
    shot(teacher, "live-teacher-ended")
    for s in students:
        until(s, "document.querySelector('.live-bar').dataset.live === 'ended'")
        bar = s.inner_text(".live-bar")
        assert "The teacher ended the class" in bar and "Following the teacher" not in bar
        assert s.evaluate("document.querySelector('.live-experiment').hidden && document.querySelector('#live-follow').hidden")
        assert not s.evaluate("document.querySelector('#net-controls').inert || document.body.classList.contains('live-locked')")
        assert s.evaluate("sessionStorage.getItem('actlab-live-class')") is None
    shot(students[1], "live-student-ended-phone")
    # the page is the student's: a change of their own works and does not bring the class back
    ada = students[0]
    ada.select_option("#net-curves select[data-role=activation]", "elu")
    until(ada, "new URLSearchParams(location.search).get('act')?.startsWith('elu')")
    assert ada.evaluate("document.querySelector('.live-bar').dataset.live") == "ended"
    assert ada.evaluate("sessionStorage.getItem('actlab-live-class')") is None
    ada.reload()
    ada.wait_for_selector("body[data-ready='1']")
    assert ada.locator(".live-bar.live-student").count() == 0 and ada.is_visible("#live-class")
    # the code is over: the API and the join page say so
    status = teacher.evaluate("(code) => fetch('/api/classes/' + code).then(async (r) => [r.status, (await r.json()).code])", code)
    assert status == [410, "class_ended"]
    late = contexts().new_page()
    late.watch = PageWatch(late, server)
    answer = late.goto(f"{server}/join/{code}")
    assert answer.status == 410 and "has ended" in late.inner_text(".join-problem") and late.is_visible("#code")
    shot(late, "live-join-ended")
    # the browser logs the 410s the pages were answered with: that is how they learnt it
    for p in (teacher, late):
        p.watch.errors = [e for e in p.watch.errors if "410" not in e]
    for p in (teacher, *students, late):
        p.watch.assert_clean()


@pytest.fixture(scope="module")
def idle_server():
    """A server whose classes end after 8 s without activity."""
    port = free_port()
    proc = start_server(port, {"ACTLAB_CLASS_IDLE_S": "8"})
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=10)


def test_a_class_that_idles_out_tells_its_students_and_its_teacher(contexts, idle_server):
    teacher = open_page(contexts(), idle_server, "/")
    code = start_class(teacher)
    student = join(contexts(), idle_server, code)
    teacher.click("#live-pause")
    until(student, "document.querySelector('.live-bar').dataset.paused === '1'")
    until(student, "document.querySelector('.live-bar').dataset.live === 'ended'", timeout_s=30)
    assert "The class has ended" in student.inner_text(".live-bar")
    assert not student.evaluate("document.querySelector('#fn-controls').inert")  # unlocked: the page is the student's again
    assert student.evaluate("sessionStorage.getItem('actlab-live-class')") is None
    until(teacher, "document.querySelector('#live-panel').dataset.ended === '1'", timeout_s=20)
    assert "expired" in teacher.inner_text("#live-panel .live-status")
    # the teacher's page asked once more and got 404: that is how it learnt it
    teacher.watch.errors = [e for e in teacher.watch.errors if "404" not in e]
    for p in (teacher, student):
        p.watch.assert_clean()


HOOK = """() => {
  window.__live = [];
  const at = (kind) => window.__live.push([kind, performance.timeOrigin + performance.now()]);
  window.addEventListener('actlab:state', () => at('state'));
  document.addEventListener('fn:drawn', () => at('drawn'));
}"""


def test_students_plots_follow_each_of_the_teachers_slider_moves(contexts, server):
    """Every change of the teacher's reaches every student's plot; the delay from the teacher's
    page announcing it to the student's plot drawn with it is printed, on one clock (the pages'
    performance.timeOrigin + now(): the same machine); bench/live_fanout.py measures the fan-out."""
    teacher = open_page(contexts(), server, "/?fn=leaky_relu")
    code = start_class(teacher)
    students = [join(contexts(), server, code) for _ in range(2)]
    for s in students:
        until(s, "location.search.includes('fn=leaky_relu')")
    teacher.click("#live-panel .live-close")
    for p in (teacher, *students):
        p.evaluate(HOOK)
    box = teacher.locator('#fn-curves [data-param-box="leak"]')
    delays = []
    for i in range(1, 16):
        leak = round(0.05 * i, 3)
        for p in (teacher, *students):
            p.evaluate("window.__live.length = 0")
        box.fill(str(leak))
        box.press("Enter")
        for s in students:
            until(s, f"Math.abs(((d) => d.y[d.x.findIndex((x) => x >= -1)])(document.querySelector('{FN_PLOT}').data.find((t) => t.yaxis === 'y2')) - {leak}) < 1e-9")
        sent = min(t for kind, t in teacher.evaluate("window.__live") if kind == "state")
        for s in students:
            drawn = max(t for kind, t in s.evaluate("window.__live") if kind == "drawn")
            delays.append((drawn - sent) / 1e3)
    p95 = statistics.quantiles(delays, n=20)[-1]
    print(f"teacher's change → a student's plot drawn: median {statistics.median(delays) * 1e3:.0f} ms, p95 {p95 * 1e3:.0f} ms, max {max(delays) * 1e3:.0f} ms ({len(delays)} draws)")
    assert len(delays) == 15 * len(students) and min(delays) > 0, delays


def until_loaded(page, expression: str, timeout_s: float = 20.0) -> None:
    """``until`` across the page's own navigations (an evaluation cut short by one is retried)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if page.evaluate(expression):
                return
        except Exception as e:  # "Execution context was destroyed": the page is navigating
            if "navigat" not in str(e) and "context" not in str(e):
                raise
        if time.monotonic() > deadline:
            pytest.fail(f"still false after {timeout_s} s: {expression} (at {page.url})")
        time.sleep(0.02)


def test_students_reloading_a_lesson_follow_the_teacher_on_to_the_explorer(contexts, server):
    """The teacher leaves a presentation (each student's lesson reloads without it) and opens the
    explorer before the students' lessons are back: each student, who did nothing, follows there.
    The students' reloaded lessons are held (their /api/meta) until the teacher is in the
    explorer, so the race always happens (a page the class reloaded used to take the first state, elsewhere, as a page the
    student had opened themselves: 'Exploring on your own', left on the lesson)."""
    teacher = open_page(contexts(), server, "/")
    code = start_class(teacher)
    students = [join(contexts(w, h), server, code) for w, h in ((1280, 800), (1024, 768), (390, 844))]
    teacher.click("#live-panel .live-close")
    teacher.click("nav.links a[href='/lessons']")
    teacher.click("a.lesson-link[href*='dying-relu']")
    teacher.wait_for_selector("body[data-ready='1']")
    teacher.focus('input[type=range][data-param="leak"]')
    teacher.keyboard.press("End")
    for s in students:
        until_loaded(s, "location.pathname === '/lessons/dying-relu' && new URLSearchParams(location.search).get('leak') === '1'")
    teacher.click("#present-link")
    teacher.wait_for_selector("body.present")
    held = []

    def hold_once():  # a route handler: the reloaded lesson's request waits, the explorer's after it goes through
        mine = []

        def handle(route):
            if mine:
                route.continue_()
            else:
                mine.append(route)
                held.append(route)

        return handle

    for s in students:
        until_loaded(s, "document.body.classList.contains('present') && !!document.querySelector('.live-bar.live-student')")
        s.context.route("**/api/meta", hold_once())  # what a page's class waits for
    teacher.keyboard.press("ArrowRight")
    teacher.keyboard.press("Escape")
    teacher.wait_for_selector("body:not(.present)[data-ready='1']")
    teacher.goto(f"{server}/?view=network&act=leaky_relu(leak=0.01)")
    until(teacher, f"fetch('/api/classes/{code}').then((r) => r.json()).then((c) => c.query.startsWith('view=network') || c.query.includes('&view=network'))")
    deadline = time.monotonic() + 20
    while len(held) < len(students) and time.monotonic() < deadline:
        teacher.wait_for_timeout(50)  # (lets Playwright deliver the held requests)
    assert len(held) == len(students), "every student's lesson reloads without the presentation"
    for route in held:
        route.continue_()
    for s in students:
        until_loaded(s, "location.pathname === '/' && document.querySelector('.live-bar.live-student')?.dataset.live === 'following' && new URLSearchParams(location.search).get('view') === 'network'")
    teacher.wait_for_timeout(500)
    for s in students:
        assert s.evaluate("document.querySelector('.live-bar').dataset.live") == "following", s.url
        s.watch.errors = [e for e in s.watch.errors if "ERR_ABORTED" not in e]
    for p in (teacher, *students):
        p.watch.assert_clean()


def test_a_result_sends_and_keeps_only_the_numbers_collected_and_the_plot_keeps_markers_whole(contexts, server):
    """The teacher unticks the final training loss: the student's submission carries the leak,
    the test accuracy and the dead fraction, no loss, and neither do the teacher's results nor
    their JSON export. A result at accuracy 1 and leak 0 (the plot's corner) is drawn whole."""
    teacher = open_page(contexts(), server, "/?view=network&act=leaky_relu")
    code = start_class(teacher)
    student = join(contexts(), server, code, "Ada")
    teacher.locator("#live-panel .live-collect input[value=final_loss]").uncheck()
    teacher.select_option("#live-param", "leak")
    teacher.click("#live-experiment")
    until(student, "!document.querySelector('.live-experiment').hidden && !document.querySelector('#live-submit').disabled", timeout_s=30)
    says = student.inner_text(".live-experiment")
    assert "final test accuracy" in says and "final training loss" not in says
    with student.expect_request(lambda r: r.url.endswith("/results") and r.method == "POST") as sent:
        student.click("#live-submit")
    body = sent.value.post_data_json
    assert {"test_accuracy", "dead_fraction"} <= set(body) and "final_loss" not in body and body["params"]["leak"] == pytest.approx(0.01)
    until(student, "document.querySelector('.live-experiment output').textContent.startsWith('Sent')")
    token = teacher.evaluate("window.__actlabLive.client.token")
    get = "([code, token]) => fetch(`/api/classes/${code}/results`, {headers: {Authorization: `Bearer ${token}`}}).then((r) => r.json())"
    results = teacher.evaluate(get, [code, token])
    assert results["experiment"]["collect"] == ["test_accuracy", "dead_fraction"]
    assert [sorted(r) for r in results["results"]] == [["activation", "dead_fraction", "nickname", "params", "test_accuracy"]]
    # a second result in the plot's corner: accuracy 1 at leak 0
    corner = {"activation": "leaky_relu(leak=0)", "params": {"leak": 0}, "test_accuracy": 1, "dead_fraction": 0, "experiment": results["experiment"]["id"]}
    status = teacher.evaluate("([code, body]) => fetch(`/api/classes/${code}/results`, {method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body)}).then((r) => r.status)", [code, corner])
    assert status == 201
    until(teacher, f"(document.querySelector('{RESULTS_PLOT}').data || []).reduce((n, t) => n + t.x.length, 0) === 2")
    with teacher.expect_download() as dl:
        teacher.click('[data-panel="class-results"] [data-export="json"]')
    exported = json.loads(Path(dl.value.path()).read_text(encoding="utf-8"))
    assert len(exported["results"]) == 2 and not any("final_loss" in r for r in exported["results"])
    # every marker lies whole inside the plotting area
    boxes = teacher.evaluate(f"""() => {{
      const plot = document.querySelector('{RESULTS_PLOT}');
      const area = plot.querySelector('.nsewdrag').getBoundingClientRect();
      return [...plot.querySelectorAll('.scatterlayer .point')].map((p) => {{
        const b = p.getBoundingClientRect();
        return [b.left - area.left, area.right - b.right, b.top - area.top, area.bottom - b.bottom];
      }});
    }}""")
    assert len(boxes) == 2
    for gaps in boxes:
        assert min(gaps) >= 0, gaps  # left, right, top, bottom: inside
    shot(teacher, "live-teacher-results-corner")
    for p in (teacher, student):
        p.watch.assert_clean()

def test_the_student_bar_spans_the_page_as_its_panels_do(contexts, server):
    """The bar stopped at 70rem (1140 px at 1280) while the panels under it reach 1264 px."""
    teacher = open_page(contexts(), server, NETWORK)
    code = start_class(teacher)
    student = join(contexts(), server, code)
    until(student, "new URLSearchParams(location.search).get('view') === 'network'")
    edges = "(q) => { const r = document.querySelector(q).getBoundingClientRect(); return [Math.round(r.left), Math.round(r.right)]; }"
    bar = student.evaluate(f"({edges})('.live-bar')")
    form = student.evaluate(f"({edges})('#net-controls')")
    content = student.evaluate(f"({edges})('#view-network .content')")
    assert abs(bar[1] - content[1]) <= 1 and abs(bar[0] - form[0]) <= 1, (bar, form, content)
    for p in (teacher, student):
        p.watch.assert_clean()


@pytest.mark.parametrize("viewport", [PHONE, {"width": 1280, "height": 800}], ids=["phone", "desktop"])
def test_a_paused_student_scrolled_down_sees_the_pause_message(contexts, server, viewport):
    """Paused, the student's bar stays at the top of the screen (under the top bar where that
    sticks) however far the page is scrolled; released, it scrolls away with the page again."""
    teacher = open_page(contexts(), server, NETWORK)
    code = start_class(teacher)
    student = join(contexts(**viewport), server, code)
    until(student, "document.querySelector('[data-panel=loss] .plot')?.dataset.rendered === '1'", timeout_s=30)
    teacher.fill("#live-message", "Pens down, eyes up")
    teacher.click("#live-pause")
    until(student, "document.querySelector('.live-bar').dataset.paused === '1'")
    student.evaluate("window.scrollTo(0, 1230)")
    until(student, "window.scrollY > 600")
    seen = """() => {
      const m = document.querySelector('.live-paused'), r = m.getBoundingClientRect();
      const hit = document.elementFromPoint(r.left + Math.min(r.width, 40) / 2, r.top + r.height / 2);
      return r.top >= 0 && r.bottom <= innerHeight && !!hit && m.contains(hit);
    }"""
    assert student.evaluate(seen), student.evaluate("document.querySelector('.live-paused').getBoundingClientRect().toJSON()")
    assert "Pens down, eyes up" in student.inner_text(".live-paused")
    shot(student, f"live-student-paused-scrolled-{viewport['width']}")
    teacher.click("#live-pause")  # release
    until(student, "document.querySelector('.live-bar').dataset.paused === '0'")
    student.evaluate("window.scrollTo(0, 1231)")
    until(student, "document.querySelector('.live-bar').getBoundingClientRect().bottom <= 0")  # out of the way again
    for p in (teacher, student):
        p.watch.assert_clean()


def test_the_teachers_next_page_reaches_the_students_before_it_has_loaded(contexts, server):
    """Leaving a presentation (Esc) and opening the explorer from a lesson send the new state as
    the teacher's page leaves, not once the next page has loaded its code: with the teacher's
    next page held back, each student's page is already there. (Order, not wall-clock time.)"""
    teacher = open_page(contexts(), server, "/lessons/dying-relu")
    code = start_class(teacher)
    student = join(contexts(), server, code)
    teacher.click("#live-panel .live-close")
    teacher.click("#present-link")
    teacher.wait_for_selector("body.present[data-ready='1']")
    until(teacher, "!!window.__actlabLive?.onNavigate")  # the presenting page's class
    until_loaded(student, "document.body.classList.contains('present') && document.body.dataset.ready === '1'")
    held = []
    teacher.context.route(lambda url: urlsplit(url).path in ("/", "/lessons/dying-relu"), lambda route: held.append(route))
    teacher.keyboard.press("Escape")
    until_loaded(student, "!new URLSearchParams(location.search).has('present') && !!document.querySelector('.live-bar.live-student') && !document.body.classList.contains('present')")
    assert len(held) == 1 and "present" not in held[0].request.url  # the teacher's page is still on its way
    assert student.evaluate("document.querySelector('.live-bar').dataset.live") == "following"
    held.pop().continue_()
    teacher.wait_for_selector("body:not(.present)[data-ready='1']")
    until(teacher, "document.querySelector('a.explorer-link')?.href.includes('act=') && !!window.__actlabLive?.onNavigate")  # this page's class is back
    teacher.evaluate("document.querySelector('header a.explorer-link').click()")  # (a link the page holds, as a click follows it)
    until_loaded(student, "location.pathname === '/' && document.querySelector('.live-bar.live-student')?.dataset.live === 'following'")
    assert len(held) == 1 and urlsplit(held[0].request.url).path == "/"  # still held
    held.pop().continue_()
    teacher.wait_for_selector("body[data-ready='1']")
    assert teacher.inner_text("#live-class").startswith("Live ")
    for p in (teacher, student):
        p.watch.assert_clean()


def test_the_teachers_count_says_who_follows_and_who_explores(contexts, server):
    teacher = open_page(contexts(), server, "/?fn=elu")
    code = start_class(teacher)
    ada, bo = join(contexts(), server, code), join(contexts(), server, code)
    count = "document.querySelector('.live-count').textContent"
    until(teacher, f"{count} === '2 students following'")
    ada.click("#live-follow")  # "Explore on my own"
    until(teacher, f"{count} === '2 students · 1 following, 1 exploring'")
    bo.locator('#fn-curves [data-param-box="alpha"]').first.fill("0.5")
    bo.locator('#fn-curves [data-param-box="alpha"]').first.press("Enter")  # a change of their own
    until(bo, "document.querySelector('.live-bar').dataset.live === 'exploring'")
    until(teacher, f"{count} === '2 students · 0 following, 2 exploring'")
    ada.reload()  # a new stream of a student still exploring says so again
    ada.wait_for_selector(".live-bar.live-student[data-live='exploring']")
    bo.click("#live-follow")  # "Rejoin"
    until(teacher, f"{count} === '2 students · 1 following, 1 exploring'", timeout_s=30)
    assert "1 following, 1 exploring" in teacher.get_attribute("#live-class", "title")
    for p in (teacher, ada, bo):
        p.watch.assert_clean()


EXPERIMENT_OPEN = "!document.querySelector('.live-experiment').hidden"
IN_VIEW = """(sel) => {
  const n = document.querySelector(sel), r = n.getBoundingClientRect();
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  return r.height > 0 && r.top >= 0 && r.bottom <= innerHeight && !!hit && n.contains(hit);
}"""


def open_experiment(teacher, prompt: str, param: str) -> None:
    if not teacher.is_visible("#live-panel"):
        teacher.click("#live-class")
    teacher.fill("#live-prompt", prompt)
    teacher.select_option("#live-param", param)
    teacher.click("#live-experiment")
    until(teacher, "document.querySelector('#live-panel').dataset.experiment === 'open'")


def test_a_phone_student_scrolled_down_and_typing_is_told_the_experiment_opened(contexts, server):
    """The student is far down a lesson on a phone, typing in one of its fields, when the teacher
    opens an experiment: a notice (role=status) comes into view with the prompt, without
    scrolling the page or taking the keyboard from the field; its Show brings the experiment
    into view and the keyboard to it. (It used to appear at the top of the page, out of view:
    nothing on screen changed.)"""
    teacher = open_page(contexts(1280, 720), server, "/lessons/dying-relu")
    code = start_class(teacher)
    student = join(contexts(**PHONE), server, code)
    until_loaded(student, "location.pathname === '/lessons/dying-relu' && document.body.dataset.ready === '1' && !!document.querySelector('.live-bar.live-student')")
    field = student.locator('[data-param-box="seed"]')
    field.scroll_into_view_if_needed()
    field.focus()
    student.keyboard.press("End")
    student.keyboard.type("7")  # half typed: no Enter
    typed = field.input_value()
    where = "document.querySelector('[data-param-box=seed]').getBoundingClientRect().top"
    at = student.evaluate(where)
    assert student.evaluate("scrollY") > 600 and student.evaluate("document.querySelector('.live-bar').getBoundingClientRect().bottom") < 0
    open_experiment(teacher, "Pick a leak, train, submit", "leak")
    until(student, EXPERIMENT_OPEN)
    until(student, "document.querySelector('.live-notice')?.dataset.show === 'float'")
    assert student.evaluate(IN_VIEW, ".live-notice"), student.evaluate("document.querySelector('.live-notice').getBoundingClientRect().toJSON()")
    assert "Pick a leak, train, submit" in student.inner_text(".live-notice [role=status]")
    assert student.evaluate(where) == pytest.approx(at, abs=1)  # calm: the page stays where the student is
    assert field.evaluate("(f) => f === document.activeElement") and field.input_value() == typed
    shot(student, "live-student-experiment-notice-phone")
    student.click(".live-notice button:has-text('Show')")
    until(student, "document.activeElement === document.querySelector('.live-experiment')")
    until(student, "document.querySelector('.live-notice').dataset.show === 'quiet'")
    until(student, f"({IN_VIEW})('#live-submit')")
    shot(student, "live-student-experiment-shown-phone")
    for p in (teacher, student):
        p.watch.assert_clean()


def test_following_the_experiments_link_to_the_network_view_is_still_following(contexts, server):
    """On a lesson, the experiment's "Go to the Network view" is the teacher's own instruction:
    the student stays following (so the teacher's count says), their Network view trains an
    activation with the experiment's parameter (submittable as it is), and the teacher's next
    change waits until "Back to the teacher's view" — or the experiment's closing — brings it.
    (Following the link used to count as exploring on one's own, on a run without the parameter.)"""
    teacher = open_page(contexts(1280, 720), server, "/lessons/dying-relu")
    code = start_class(teacher)
    student = join(contexts(**PHONE), server, code)
    until_loaded(student, "location.pathname === '/lessons/dying-relu' && document.body.dataset.ready === '1' && !!document.querySelector('.live-bar.live-student')")
    open_experiment(teacher, "Pick a leak, train, submit", "leak")
    count = "document.querySelector('.live-count').textContent"
    until(teacher, f"{count} === '1 student following'")
    until(student, EXPERIMENT_OPEN)
    student.click(".live-experiment a:has-text('Go to the Network view')")
    until_loaded(student, "location.pathname === '/' && document.body.dataset.ready === '1' && !!document.querySelector('.live-bar.live-student')")
    until(student, "new URLSearchParams(location.search).get('view') === 'network' && document.querySelector('#tab-network').getAttribute('aria-selected') === 'true'")
    assert student.evaluate("document.querySelector('.live-bar').dataset.live") == "following"
    assert "Following the teacher" in student.inner_text(".live-mode")
    until(student, "!document.querySelector('#live-submit').disabled && document.querySelector('.live-run').textContent.includes('leak = 0.01')", timeout_s=60)
    assert student.evaluate("document.querySelector('.live-bar').dataset.live") == "following"
    until(teacher, f"fetch('/api/classes/{code}').then((r) => r.json()).then((c) => c.students === 1 && c.exploring === 0)")
    # (the teacher's count follows the class's events: the student's new page left and came back)
    until(teacher, f"{count} === '1 student following'")
    # the teacher moves on in the lesson: it reaches the student, whose Network view stays
    teacher.click("#live-panel .live-close")
    teacher.focus('input[type=range][data-param="leak"]')
    teacher.keyboard.press("End")
    until(student, "(window.__actlabLive.target || '').includes('leak=1')")
    assert student.evaluate("location.pathname === '/' && new URLSearchParams(location.search).get('view') === 'network'")
    assert student.evaluate("document.querySelector('.live-bar').dataset.live") == "following"
    assert student.is_visible("#live-back")
    student.click("#live-submit")
    until(student, "document.querySelector('.live-experiment output').textContent.startsWith('Sent')")
    shot(student, "live-student-experiment-errand-phone")
    # back: the teacher's lesson as it is now, still following
    student.click("#live-back")
    until_loaded(student, "location.pathname === '/lessons/dying-relu' && new URLSearchParams(location.search).get('leak') === '1' && document.querySelector('.live-bar.live-student')?.dataset.live === 'following'")
    # the new page still says the result is in (it said nothing, and offered "Submit to class")
    until(student, EXPERIMENT_OPEN)
    until(student, "document.querySelector('.live-experiment output').textContent === 'Sent ✓ — 1 result in the class so far.'")
    assert student.inner_text("#live-submit") == "Submit again (replaces yours)"
    # again, and the teacher closes the experiment: the student is brought back to the lesson
    student.click(".live-experiment a:has-text('Go to the Network view')")
    until_loaded(student, "location.pathname === '/' && !!document.querySelector('.live-bar.live-student[data-errand=\"1\"]')")
    teacher.click("#live-class")
    teacher.click("#live-experiment")  # "Close the experiment"
    until_loaded(student, "location.pathname === '/lessons/dying-relu' && document.querySelector('.live-bar.live-student')?.dataset.live === 'following'")
    until(teacher, f"{count} === '1 student following'")
    for p in (teacher, student):
        p.watch.assert_clean()


def test_the_errand_survives_a_network_view_drawn_before_the_class_is_heard_from(contexts, server):
    """The Network view the experiment's link opens may draw before the class's first message
    (a busy server): no experiment known yet is not a closed one, so the student stays on the
    errand (it ended it, and the teacher's lesson took the student back)."""
    teacher = open_page(contexts(1280, 720), server, "/lessons/dying-relu")
    code = start_class(teacher)
    student = join(contexts(**PHONE), server, code)
    until_loaded(student, "location.pathname === '/lessons/dying-relu' && document.body.dataset.ready === '1' && !!document.querySelector('.live-bar.live-student')")
    open_experiment(teacher, "Pick a leak, train, submit", "leak")
    until(student, EXPERIMENT_OPEN)
    held, release = hold(student, "**/events*")
    student.click(".live-experiment a:has-text('Go to the Network view')")
    until_loaded(student, "location.pathname === '/' && /^Trained/.test(document.querySelector('#train-status')?.textContent || '')", timeout_s=60)
    assert held  # (the class's stream waited until the view had drawn)
    release()
    until(student, "document.querySelector('.live-bar.live-student')?.dataset.errand === '1' && !document.querySelector('.live-experiment').hidden")
    student.wait_for_timeout(1500)  # (a following student off the errand was taken to the teacher's lesson by now)
    assert student.evaluate("location.pathname") == "/"
    assert student.evaluate("document.querySelector('.live-bar').dataset.errand") == "1"
    for p in (teacher, student):
        p.watch.assert_clean()


def test_on_the_explorer_the_experiments_link_opens_the_network_view_in_place_still_following(contexts, server):
    """The teacher is in the explorer's Function view: the student's bar offers the Network view
    too (it used to offer nothing there, and choosing the tab oneself is exploring); its link
    changes the view in place, and the student follows on. The network trains the Function
    view's activation with the parameter as the teacher set it (it took ELU's default α)."""
    teacher = open_page(contexts(), server, "/?fn=relu,elu(alpha=2)")
    code = start_class(teacher)
    student = join(contexts(), server, code)
    until(student, "location.search.includes('fn=relu,elu(alpha=2)')")
    open_experiment(teacher, "Pick an alpha, train, submit", "alpha")
    until(student, EXPERIMENT_OPEN)
    link = student.locator(".live-experiment a:has-text('Go to the Network view')")
    assert link.is_visible()
    student.evaluate("window.__same = true")
    link.click()
    until(student, "new URLSearchParams(location.search).get('view') === 'network' && new URLSearchParams(location.search).get('act') === 'elu(alpha=2)'")
    assert student.evaluate("window.__same === true")  # the same page: no load
    until(student, "document.querySelector('.live-experiment a').hidden")
    until(student, "!document.querySelector('#live-submit').disabled", timeout_s=60)
    assert student.evaluate("document.querySelector('.live-bar').dataset.live") == "following"
    # the teacher's next change waits; "Back to the teacher's view" brings it
    teacher.click("#live-panel .live-close")
    box = teacher.locator('#fn-curves [data-param-box="alpha"]').first
    box.fill("0.5")
    box.press("Enter")
    until(student, "(window.__actlabLive.target || '').includes('alpha=0.5')")
    assert student.evaluate("new URLSearchParams(location.search).get('view')") == "network"
    student.click("#live-back")
    until(student, "new URLSearchParams(location.search).get('view') !== 'network' && location.search.includes('alpha=0.5')")
    assert student.evaluate("document.querySelector('.live-bar').dataset.live") == "following"
    until(teacher, "document.querySelector('.live-count').textContent === '1 student following'")
    for p in (teacher, student):
        p.watch.assert_clean()


def test_a_results_dead_fraction_is_the_share_of_all_units(page, server):
    """A run's dead fraction for the class is the share of all hidden units: layers of 16, 8 and
    4 units weigh as many units (it was the plain mean of the layers' shares, 4 units counting
    as 16)."""
    page.goto(f"{server}/")
    page.wait_for_selector("body[data-ready='1']")
    body = {"widths": [16, 8, 4], "epochs": 100, "frames": 5, "learning_rate": 0.3}
    trace = page.context.request.post(f"{server}/api/train", data=body).json()
    base = page.evaluate("() => new URL(document.querySelector('script[type=module]').src).pathname.replace(/js\\/[^/]+$/, 'js/')")
    got = page.evaluate(
        """async ([trace, base]) => {
          const { runResult } = await import(`${base}live/results.js`);
          const { loadCatalogue } = await import(`${base}lib/api.js`);
          return runResult(trace, await loadCatalogue());
        }""",
        [trace, base],
    )
    shares = trace["variants"][0]["layers"]["dead_fraction"][-1]
    assert len(set(shares)) > 1  # (layers that differ: the two means differ)
    assert got["dead_fraction"] == pytest.approx(sum(f * w for f, w in zip(shares, (16, 8, 4))) / 28, rel=1e-12)
    assert got["dead_fraction"] != pytest.approx(statistics.mean(shares))


def test_setting_the_experiments_value_in_the_network_view_is_still_following(contexts, server):
    """The class is in the Network view already (no "Go to the Network view" to follow): a
    student who sets the leak the experiment asks for, and trains, is doing the experiment, not
    exploring on their own — still following, on its errand (the teacher's next change waits
    for "Back to the teacher's view"). It said "Exploring on your own" and dropped them."""
    teacher = open_page(contexts(1280, 800), server, "/?view=network&act=leaky_relu&epochs=60")
    code = start_class(teacher)
    student = join(contexts(**PHONE), server, code)
    until_loaded(student, "new URLSearchParams(location.search).get('view') === 'network' && document.body.dataset.ready === '1' && !!document.querySelector('.live-bar.live-student')")
    until(student, "/^Trained/.test(document.querySelector('#train-status').textContent)", timeout_s=60)
    open_experiment(teacher, "Pick a leak, train, submit", "leak")
    until(student, EXPERIMENT_OPEN)
    student.fill('[data-param-box="leak"]', "0.2")
    student.press('[data-param-box="leak"]', "Enter")
    until(student, "new URLSearchParams(location.search).get('act') === 'leaky_relu(leak=0.2)'")
    until(student, "!document.querySelector('#live-submit').disabled && document.querySelector('.live-run').textContent.includes('leak = 0.2')", timeout_s=60)
    bar = "document.querySelector('.live-bar.live-student')"
    assert student.evaluate(f"[{bar}.dataset.live, {bar}.dataset.errand]") == ["following", "1"]
    until(teacher, f"fetch('/api/classes/{code}').then((r) => r.json()).then((c) => c.students === 1 && c.exploring === 0)")
    # the teacher's next change waits for the student's run …
    teacher.click("#live-panel .live-close")
    teacher.fill('#view-network [data-param-box="noise"]', "0.2")
    teacher.press('#view-network [data-param-box="noise"]', "Enter")
    until(student, "(window.__actlabLive.target || '').includes('noise=0.2')")
    params = student.evaluate("Object.fromEntries(new URLSearchParams(location.search))")
    assert params["act"] == "leaky_relu(leak=0.2)" and params.get("noise") != "0.2", params
    student.click("#live-submit")
    until(student, "document.querySelector('.live-experiment output').textContent.startsWith('Sent')")
    # … until they come back to it
    student.click("#live-back")
    until(student, "new URLSearchParams(location.search).get('noise') === '0.2' && document.querySelector('.live-bar.live-student').dataset.errand === '0'")
    assert student.evaluate(f"{bar}.dataset.live") == "following"
    for p in (teacher, student):
        p.watch.assert_clean()


def test_a_resubmission_redraws_the_teachers_plot_without_a_reload(contexts, server):
    """A student submits leak 0.05, then trains leak 0.7 and submits again (replacing the first):
    the teacher's plot moves to 0.7 by itself. It kept 0.05 until a reload: the class's result
    count did not change, and the panel refetched only when it did."""
    teacher = open_page(contexts(1280, 800), server, "/?view=network&act=leaky_relu")
    code = start_class(teacher)
    student = join(contexts(**PHONE), server, code)
    until_loaded(student, "new URLSearchParams(location.search).get('view') === 'network' && document.body.dataset.ready === '1' && !!document.querySelector('.live-bar.live-student')")
    open_experiment(teacher, "Pick a leak, train, submit", "leak")
    teacher.select_option("#live-y", "final_loss")
    until(student, EXPERIMENT_OPEN)
    xs = f"(document.querySelector('{RESULTS_PLOT}').data || []).flatMap((t) => [...t.x])"
    for leak, button in (("0.05", "Submit to class"), ("0.7", "Submit again (replaces yours)")):
        student.fill('[data-param-box="leak"]', leak)
        student.press('[data-param-box="leak"]', "Enter")
        until(student, f"!document.querySelector('#live-submit').disabled && document.querySelector('.live-run').textContent.includes('leak = {leak}')", timeout_s=60)
        assert student.inner_text("#live-submit") == button
        student.click("#live-submit")
        until(student, "document.querySelector('.live-experiment output').textContent.startsWith('Sent')")
        until(teacher, f"JSON.stringify({xs}) === JSON.stringify([{leak}])")
    assert "1 result in the class" in student.inner_text(".live-experiment output")
    assert teacher.evaluate(f"document.querySelector('{RESULTS_PLOT}').data[0].y.length") == 1
    for p in (teacher, student):
        p.watch.assert_clean()


SLIDE_FIT_JS = """() => {
  const strip = document.querySelector('body > .live-bar').getBoundingClientRect();
  const main = document.querySelector('.lesson-main').getBoundingClientRect();
  const shown = [...document.querySelectorAll('.lesson-main > :not([hidden]):not(.presenter)')];
  return { step: document.querySelector('.lesson-main').dataset.step, scroll: document.scrollingElement.scrollHeight, inner: innerHeight,
    more: !document.getElementById('step-more').hidden, strip: strip.height, stripBottom: strip.bottom, mainTop: main.top,
    top: Math.min(...shown.map((n) => n.getBoundingClientRect().top)), bottom: Math.max(...shown.map((n) => n.getBoundingClientRect().bottom)),
    bar: document.querySelector('.presenter').getBoundingClientRect().top };
}"""


def test_presenting_during_a_live_class_a_slide_that_fits_neither_scrolls_nor_says_more_below(contexts, server):
    """The class strip above the slide (44 px at 1280 × 800) pushed every slide down by its
    height: the page scrolled 844 px in 800 and slides 2–5 said "More below ↓" with their content
    ending well above the bar. The slide now gives the strip its height; a slide taller than the
    screen (at 150 %) still scrolls, and its end comes clear of the bar."""
    teacher = open_page(contexts(1280, 800), server, "/lessons/dying-relu")
    start_class(teacher)
    teacher.keyboard.press("Escape")
    teacher.wait_for_selector("#live-panel", state="hidden")
    teacher.click("#present-link")
    teacher.wait_for_selector("body.present[data-ready='1']")
    steps = teacher.evaluate("document.querySelectorAll('.lesson-main .step[data-step]').length")
    assert steps == 5
    for n in range(1, steps + 1):
        until(teacher, f"document.querySelector('.lesson-main').dataset.step === '{n}' && !!document.querySelector('body > .live-bar')")
        teacher.wait_for_timeout(300)  # (the plot drawn, the bar's cue updated)
        got = teacher.evaluate(SLIDE_FIT_JS)
        assert got["strip"] >= 30 and got["mainTop"] == pytest.approx(got["stripBottom"], abs=1), got
        assert got["scroll"] == got["inner"] and not got["more"], got
        assert got["top"] >= got["stripBottom"] - 0.5 and got["bottom"] <= got["bar"] + 0.5, got
        if n == 2:
            shot(teacher, "live-present-slide-fits")
        if n < steps:
            teacher.keyboard.press("ArrowRight")
    # a slide taller than the screen (1280 × 800 at 150 %, "why") scrolls clear of the strip and the bar
    teacher.goto(f"{server}/lessons/dying-relu?present=1&step=4")
    teacher.set_viewport_size({"width": 853, "height": 533})
    teacher.wait_for_selector("body.present[data-ready='1']")
    until(teacher, "!!document.querySelector('body > .live-bar') && !document.getElementById('step-more').hidden")
    got = teacher.evaluate(SLIDE_FIT_JS)
    assert got["scroll"] > got["inner"] and got["top"] >= got["stripBottom"] - 0.5, got
    teacher.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    until(teacher, "document.getElementById('step-more').hidden")
    end = teacher.evaluate("[document.querySelector('.why-text p:last-child').getBoundingClientRect().bottom, document.querySelector('.presenter').getBoundingClientRect().top]")
    assert end[0] <= end[1] + 0.5, end
    teacher.watch.assert_clean()
