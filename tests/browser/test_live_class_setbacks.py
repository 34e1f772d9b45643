"""A live class when things go wrong, as its people meet it: the class's store out of reach for
a moment (the teacher's view still reaches the students once it answers), a link the page has
to correct, a pause the students must not escape, a join link no student's device can open,
a class the store lost, a link with a code no class has, and an experiment opened while the
students are in the Network view with an activation that lacks its parameter."""

from __future__ import annotations

import json

import pytest

from .conftest import free_port, shot, start_server, until
from .test_live_class import NETWORK, PHONE, join, open_page, start_class

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server():
    """This module's own server: its classes do not count against the shared one's 30 classes an hour per address."""
    port = free_port()
    proc = start_server(port)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def contexts(browser):
    made = []

    def make(width=1280, height=800, **options):
        ctx = browser.new_context(viewport={"width": width, "height": height}, **options)
        made.append(ctx)
        return ctx

    yield make
    for ctx in made:
        ctx.close()

FN_ACT = '#fn-curves select[data-role="activation"]'
CLASS_QUERY = "(code) => fetch('/api/classes/' + code).then((r) => r.json()).then((i) => i.query)"
STATUS = "#live-panel .live-status"


def status(teacher) -> str:
    return teacher.evaluate(f"document.querySelector('{STATUS}').textContent")


def until_here(page, check, what: str) -> None:
    """Wait on a check made here (in Python: what a route saw), letting the page run meanwhile; 20 s is a hang guard."""
    for _ in range(400):
        if check():
            return
        page.wait_for_timeout(50)
    pytest.fail(f"never: {what}")


def test_a_change_the_store_could_not_take_reaches_the_students_once_it_answers(contexts, server):
    """503 live_store_unavailable (Redis out of reach) is not the end of a change: the panel
    says it is retrying, and the latest view goes once the store answers; the error goes too."""
    teacher = open_page(contexts(), server, "/?fn=relu")
    code = start_class(teacher)
    student = join(contexts(), server, code)
    until(student, "new URLSearchParams(location.search).get('fn') === 'relu'")
    down = [True]
    refused = []

    def store(route):
        if down[0] and route.request.method == "PUT":
            refused.append(json.loads(route.request.post_data)["query"])
            body = {"detail": "the live-class store (Redis) is not reachable; try again in a few seconds", "field": None, "code": "live_store_unavailable"}
            route.fulfill(status=503, headers={"Retry-After": "1", "Content-Type": "application/json"}, body=json.dumps(body))
        else:
            route.continue_()

    teacher.route("**/api/classes/*/state", store)
    teacher.click("#live-panel .live-close")
    teacher.select_option(FN_ACT, "tanh")
    until(teacher, f"document.querySelector('{STATUS}').textContent.includes('retrying')")
    assert "not reachable" in status(teacher) and teacher.evaluate(f"document.querySelector('{STATUS}').classList.contains('error')")
    until_here(teacher, lambda: len(refused) >= 2, "a second try")  # it tries again (after the Retry-After)
    assert set(refused) == {"fn=tanh"}
    assert teacher.evaluate("window.__actlabLive.lastSent") == "fn=relu"  # not taken: not sent
    assert teacher.evaluate(CLASS_QUERY, code) == "fn=relu"
    # a second change while the store is away: the latest is what goes
    teacher.select_option(FN_ACT, "elu")
    until_here(teacher, lambda: refused[-1] == "fn=elu", "the latest view tried")
    down[0] = False
    until(teacher, f"(async (code) => (await fetch('/api/classes/' + code).then((r) => r.json())).query === 'fn=elu')('{code}')")
    until(student, "new URLSearchParams(location.search).get('fn') === 'elu'")
    until(teacher, f"document.querySelector('{STATUS}').textContent === ''")  # the error went with the problem
    assert teacher.evaluate("window.__actlabLive.lastSent") == "fn=elu"
    for p in (teacher, student):
        p.watch.assert_clean()


def test_a_link_the_page_corrects_reaches_the_class_as_corrected(contexts, server):
    """learning_rate=50 is out of range: the page shows 10 and says so; the class gets what
    the page shows, not the link as written (the server would refuse that)."""
    teacher = open_page(contexts(), server, "/?view=network")
    code = start_class(teacher)
    student = join(contexts(), server, code)
    until(student, "new URLSearchParams(location.search).get('view') === 'network'")
    teacher.goto(f"{server}/?view=network&learning_rate=50&act=relu")
    teacher.wait_for_selector("body[data-ready='1']")
    until(teacher, "new URLSearchParams(location.search).get('learning_rate') === '10'")  # the page's correction
    until(teacher, f"(async (code) => (await fetch('/api/classes/' + code).then((r) => r.json())).query.includes('learning_rate=10'))('{code}')")
    query = teacher.evaluate(CLASS_QUERY, code)
    assert query == teacher.evaluate("location.search.slice(1)") and "learning_rate=50" not in query  # (relu: the default, not written)
    until(student, "new URLSearchParams(location.search).get('learning_rate') === '10'")
    until(teacher, f"window.__actlabLive.lastSent === {json.dumps(query)}")
    assert "did not take" not in status(teacher)
    for p in (teacher, student):
        p.watch.assert_clean()  # (no 422: the raw link never went)


TOP_LINKS = ("header.topbar .brand", "header.topbar nav.links a[href='/lessons']", "header.topbar a[rel=prev]", "header.topbar a[rel=next]",
             "header.topbar .explorer-link", "#present-link")
LOCKED_JS = """(sel) => { const n = document.querySelector(sel); const r = n.getBoundingClientRect();
  let o = 1; for (let e = n; e; e = e.parentElement) o *= +getComputedStyle(e).opacity;
  return { inert: Boolean(n.closest('[inert]')), visible: r.width > 0 && r.height > 0, opacity: o }; }"""


def test_a_pause_locks_the_ways_to_another_page_and_its_release_restores_only_what_it_locked(contexts, server):
    teacher = open_page(contexts(), server, "/lessons/dying-relu")
    code = start_class(teacher)
    student = join(contexts(**PHONE), server, code)
    student.wait_for_url("**/lessons/dying-relu**")
    student.wait_for_selector(".live-bar.live-student[data-live='following']")
    until(student, "document.querySelector('#remeasure') && document.body.dataset.ready === '1'")
    # locked for reasons of its own before the pause: it stays so after the release
    student.evaluate("document.querySelector('#lesson-controls').inert = true; document.querySelector('header.topbar a[rel=next]').inert = true")
    until(student, "!document.querySelector('#remeasure').disabled", timeout_s=40)
    student.evaluate("document.querySelector('#remeasure').disabled = true")
    teacher.fill("#live-message", "Eyes on the board")
    teacher.click("#live-pause")
    until(student, "document.querySelector('.live-bar').dataset.paused === '1'")
    for sel in (*TOP_LINKS, "#remeasure", "#live-follow"):
        got = student.evaluate(LOCKED_JS, sel)
        assert got["inert"] and got["visible"], (sel, got)
        if sel != "header.topbar a[rel=next]":  # (inert before the pause: not the pause's to grey)
            assert got["opacity"] < 0.6, (sel, got)
    # the pause's own words stay as readable as ever
    message = student.evaluate(LOCKED_JS, ".live-paused")
    assert not message["inert"] and message["opacity"] == 1 and "Eyes on the board" in student.inner_text(".live-paused")
    assert not student.evaluate(LOCKED_JS, ".live-leave")["inert"]
    # a tap on the next lesson or on "Explore on my own" does nothing
    student.locator("header.topbar a[rel=prev]").click(force=True)
    student.locator("#live-follow").click(force=True)
    student.wait_for_timeout(500)  # (time for a navigation that must not come)
    assert student.evaluate("location.pathname") == "/lessons/dying-relu"
    assert student.evaluate("document.querySelector('.live-bar').dataset.live") == "following"
    shot(student, "live-student-paused-lesson-phone")
    teacher.click("#live-pause")  # release
    until(student, "document.querySelector('.live-bar').dataset.paused === '0'")
    for sel in ("header.topbar .brand", "header.topbar a[rel=prev]", "#present-link", "#remeasure", "#live-follow"):
        assert not student.evaluate(LOCKED_JS, sel)["inert"], sel
    assert student.evaluate("document.querySelector('#lesson-controls').inert && document.querySelector('header.topbar a[rel=next]').inert")
    assert student.evaluate("document.querySelector('#remeasure').disabled")  # not the release's to enable
    assert student.evaluate("document.querySelectorAll('[data-live-locked]').length") == 0
    for p in (teacher, student):
        p.watch.assert_clean()


def test_a_pause_locks_the_network_diagrams_units_and_the_explorers_links(contexts, server):
    teacher = open_page(contexts(), server, NETWORK)
    code = start_class(teacher)
    student = join(contexts(), server, code)
    until(student, "document.querySelector('#diagram-panel .node') !== null", timeout_s=40)
    teacher.click("#live-pause")
    until(student, "document.querySelector('.live-bar').dataset.paused === '1'")
    for sel in ("#diagram-panel .node", "header.topbar nav.links a[href='/lessons']", "header.topbar .brand"):
        got = student.evaluate(LOCKED_JS, sel)
        assert got["inert"] and got["visible"] and got["opacity"] < 0.6, (sel, got)
    # the plots stay as they are
    assert student.evaluate(LOCKED_JS, "[data-panel=loss] .plot")["opacity"] == 1
    student.locator("header.topbar nav.links a[href='/lessons']").click(force=True)
    student.wait_for_timeout(500)  # (time for a navigation that must not come)
    assert student.evaluate("location.pathname") == "/"
    for p in (teacher, student):
        p.watch.assert_clean()


@pytest.fixture(scope="module")
def public_server():
    """A server that knows the address students reach it by (ACTLAB_PUBLIC_URL)."""
    port = free_port()
    proc = start_server(port, {"ACTLAB_PUBLIC_URL": f"http://192.0.2.10:{port}"})
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=10)


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 800}, {"width": 390, "height": 844}], ids=["desktop", "phone"])
def test_a_join_link_only_this_computer_can_open_is_said_so_beside_it(contexts, server, viewport):
    teacher = open_page(contexts(**viewport), server, "/")
    start_class(teacher)
    warning = "#live-loopback"
    assert teacher.is_visible(warning)
    text = teacher.inner_text(warning)
    assert "cannot open this link" in text and "127.0.0.1" in text and "--host 0.0.0.0" in text and "ACTLAB_PUBLIC_URL" in text
    # beside the link, above the QR code, overlapping neither
    link, box, qr = (teacher.evaluate(f"document.querySelector('{s}').getBoundingClientRect().toJSON()") for s in ("#live-panel .live-join a", warning, ".live-qr"))
    assert link["bottom"] <= box["top"] + 1 and box["bottom"] <= qr["top"] + 1
    panel = teacher.evaluate("document.querySelector('#live-panel').getBoundingClientRect().toJSON()")
    assert panel["left"] <= box["left"] and box["right"] <= panel["right"]
    assert teacher.evaluate("document.querySelector('#live-panel .live-join a').getAttribute('aria-describedby')") == "live-loopback"
    shot(teacher, f"live-teacher-loopback-{viewport['width']}")
    teacher.watch.assert_clean()


def test_a_join_link_students_can_open_has_no_warning_and_a_reload_keeps_the_servers_link(contexts, public_server):
    teacher = open_page(contexts(), public_server, "/")
    code = start_class(teacher)
    origin = "http://192.0.2.10:" + public_server.rsplit(":", 1)[1]
    assert teacher.evaluate("document.querySelector('#live-panel .live-join a').href") == f"{origin}/join/{code}"
    assert not teacher.is_visible("#live-loopback")
    teacher.reload()  # the class stays with the tab: its link is still the server's, not this page's origin
    teacher.wait_for_selector("body[data-ready='1']")
    until(teacher, f"document.querySelector('#live-panel .live-join a').href === '{origin}/join/{code}'")
    assert teacher.evaluate("document.querySelector('#live-loopback').hidden")
    teacher.watch.assert_clean()


def test_a_class_the_store_lost_is_said_so_without_a_guessed_cause(contexts, server):
    teacher = open_page(contexts(), server, "/")
    start_class(teacher)
    until(teacher, "document.querySelector('.live-count').textContent === 'No students yet'")
    body = {"detail": "no live class has this code (it may have expired)", "field": "code", "code": "class_not_found"}
    teacher.route("**/api/classes/*", lambda route: route.fulfill(status=404, headers={"Content-Type": "application/json"}, body=json.dumps(body)))
    until(teacher, "document.querySelector('#live-panel').dataset.ended === '1'")
    said = status(teacher)
    assert "no longer in the live-class store" in said and "no activity" not in said, said
    assert teacher.inner_text("#live-panel .live-count") == "The class has ended"
    assert teacher.inner_text("#live-class") == "Live class ended"
    teacher.watch.errors = [e for e in teacher.watch.errors if "404" not in e]  # (how it learnt it)
    teacher.watch.assert_clean()


def test_a_link_with_a_code_no_class_has_says_so(page, server):
    page.goto(f"{server}/?class=ZZZZZZZZ")
    page.wait_for_selector(".live-bar.live-student[data-live='ended']")
    bar = page.inner_text(".live-bar")
    assert "No live class has the code ZZZZZZZZ" in bar and "has ended" not in bar, bar
    page.watch.errors = [e for e in page.watch.errors if "404" not in e]  # (the stream's and the question's answer)


def test_an_experiment_opened_in_the_network_view_offers_an_activation_that_has_its_parameter(contexts, server):
    teacher = open_page(contexts(), server, "/?view=network&act=relu")
    code = start_class(teacher)
    student = join(contexts(), server, code)
    until(student, "document.querySelector('#net-curves select[data-role=activation]')?.value === 'relu'")
    until(student, "document.querySelector('[data-panel=loss] .plot')?.dataset.rendered === '1'", timeout_s=40)
    teacher.select_option("#live-param", "leak")
    teacher.click("#live-experiment")
    until(student, "!document.querySelector('.live-experiment').hidden && document.querySelector('.live-run').textContent.includes('no leak')", timeout_s=30)
    link = student.locator(".live-experiment a")
    assert link.is_visible() and "leak" in link.inner_text()
    link.click()
    until(student, "new URLSearchParams(location.search).get('act')?.startsWith('leaky_relu')")
    until(student, "document.querySelector('.live-bar').dataset.live === 'following' && document.querySelector('.live-bar').dataset.errand === '1'")
    until(student, "!document.querySelector('#live-submit').disabled", timeout_s=40)  # its run has a leak to send
    assert not link.is_visible()  # (the activation shown has it now)
    for p in (teacher, student):
        p.watch.assert_clean()

