"""Browser tests: a live uvicorn server started here, driven with Playwright through
Debian's Chromium (/usr/bin/chromium). Every page must load without console errors and
without a single request to another origin."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.browser


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, env: dict[str, str] | None = None) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return proc
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited: {proc.stderr.read().decode()[-2000:]}")
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start within 30 s")


@pytest.fixture(scope="session")
def server() -> str:
    port = free_port()
    proc = start_server(port)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (bash tests/run.sh does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


class PageWatch:
    """Console errors, page errors and requests that left the server's origin."""

    def __init__(self, page, origin: str):
        self.errors: list[str] = []
        self.foreign: list[str] = []
        page.on("console", lambda m: self.errors.append(f"console.{m.type}: {m.text}") if m.type == "error" and not self.retried(m.text) else None)
        page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))

        def on_request(req):
            url = req.url
            if not (url.startswith(origin) or url.startswith("data:") or url.startswith("blob:") or url.startswith("about:")):
                self.foreign.append(url)

        page.on("request", on_request)

    @staticmethod
    def retried(text: str) -> bool:
        """Chromium logs every 503 it receives; a busy training pool answers 503 with Retry-After
        and the page asks again by design (api.js retryWhenBusy; tests/browser/test_hardening.py)."""
        return text.startswith("Failed to load resource: the server responded with a status of 503")

    def assert_clean(self):
        assert not self.errors, "console errors:\n" + "\n".join(self.errors)
        assert not self.foreign, "requests to other origins:\n" + "\n".join(self.foreign)


@pytest.fixture
def context(browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 720}, accept_downloads=True)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context, server):
    pg = context.new_page()
    pg.watch = PageWatch(pg, server)
    yield pg
    pg.watch.assert_clean()
    pg.close()


def shot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


def until(page, expression: str, timeout_s: float = 20.0, arg=None) -> None:
    """Poll ``expression`` in the page until it is truthy (wait_for_function would eval, which
    the CSP forbids). ``timeout_s`` is a hang guard, generous for a busy machine, not a speed check.
    A TypeError (an element not there yet, e.g. a view whose code is still loading) counts as
    false; the last one is reported if the time runs out."""
    ok, last = _poll(page, expression, timeout_s, arg)
    if not ok:
        pytest.fail(f"still false after {timeout_s} s: {expression}{last}")


def held_still(page, expression: str, timeout_s: float = 15.0):
    """``expression``'s value once two reads 250 ms apart agree (an embed redraws when its box
    settles), else the last one read."""
    seen, deadline = None, time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        now = page.evaluate(expression)
        if now == seen:
            return now
        seen = now
        page.wait_for_timeout(250)
    return seen


def settles(page, expression: str, timeout_s: float = 20.0, arg=None) -> bool:
    """Whether ``expression`` becomes truthy within ``timeout_s`` (polled as ``until`` does, but
    not failing: the caller then asserts with the numbers it reads)."""
    return _poll(page, expression, timeout_s, arg)[0]


def _poll(page, expression: str, timeout_s: float, arg) -> tuple[bool, str]:
    """(became truthy, the last TypeError seen) — a TypeError counts as false."""
    deadline = time.monotonic() + timeout_s
    last = ""
    while True:
        try:
            if page.evaluate(expression, arg):
                return True, last
        except PlaywrightError as e:
            if "TypeError" not in str(e):
                raise
            last = f" (last: {str(e).splitlines()[0][:200]})"
        if time.monotonic() > deadline:
            return False, last
        time.sleep(0.02)


def hold(page, pattern: str):
    """Hold every request to ``pattern`` until release() (the page may give some up meanwhile):
    returns (the held routes, release)."""
    held, holding = [], [True]

    def handler(route):
        if holding[0]:
            held.append(route)
        else:
            route.continue_()

    def release():
        holding[0] = False
        for route in held:
            try:
                route.continue_()
            except PlaywrightError:  # (one the page aborted: "already handled")
                pass

    page.route(pattern, handler)
    return held, release


def wait_held(page, held) -> None:
    for _ in range(250):  # (Playwright's calls let the request reach the route)
        if held:
            return
        page.wait_for_timeout(20)
    assert held, "no request was held"
