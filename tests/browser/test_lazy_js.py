"""JS per view (issue 17): a cold explorer loads the function view's modules and nothing of
the network view, the theory view or a live class until asked; an embed loads its kind's
module and what it imports, nothing else; what the page preloads (the modules, /api/meta,
/api/activations, plotly.js) is what it uses, each fetched once."""

from __future__ import annotations

from collections import Counter

import pytest

from app.api.pages import modules

from .conftest import shot

pytestmark = pytest.mark.browser

LATER = ("views/network-view.js", "views/theory-view.js", "lib/theory.js", "views/live-training.js", "lib/diagram.js", "live/teacher.js", "live/student.js", "lessons")


class Requests:
    """Every request the page makes (path and query, this origin), and the console's warnings."""

    def __init__(self, page, server: str):
        self.urls: list[str] = []
        self.warnings: list[str] = []
        page.on("request", lambda r: self.urls.append(r.url.removeprefix(server)))
        page.on("console", lambda m: self.warnings.append(m.text) if m.type == "warning" else None)

    def js(self) -> set[str]:
        """The modules asked for, as paths under static/ (js/…)."""
        return {u.split("/", 3)[3] for u in self.urls if u.startswith("/static/") and u.endswith(".js")}

    def loaded(self, name: str) -> bool:
        return any(name in u for u in self.urls)

    def assert_each_once(self):
        """Each script, the vocabulary and the catalogue fetched once: the preloads were used."""
        wanted = [u for u in self.urls if u.endswith(".js") or u in ("/api/meta", "/api/activations")]
        twice = {u: n for u, n in Counter(wanted).items() if n > 1}
        assert not twice, f"fetched more than once: {twice}"
        unused = [w for w in self.warnings if "preload" in w]
        assert not unused, unused


def cold(page):
    """No HTTP cache: every request goes to the server (as on a first visit)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})


def test_explorer_loads_other_views_when_their_tab_opens(page, server):
    cold(page)
    seen = Requests(page, server)
    page.goto(f"{server}/")
    page.wait_for_selector("body[data-ready='1']")
    page.wait_for_selector("#view-function .plot[data-rendered='1']")
    page.wait_for_load_state("networkidle")
    assert not [name for name in LATER if seen.loaded(name)], seen.urls
    # what it loaded is what the page names for preloading: its entries' static imports
    assert seen.js() == set(modules("js/explorer.js", "js/live/classroom.js")), seen.js() ^ set(modules("js/explorer.js", "js/live/classroom.js"))
    for url in ("/api/meta", "/api/activations", "/vendor/plotly-actlab-4.1.1.min.js"):
        assert seen.urls.count(url) == 1, (url, seen.urls)
    seen.assert_each_once()
    shot(page, "lazy-explorer-1280")

    page.click("#tab-network")
    page.wait_for_selector("#net-network select[data-param='init']")  # its form, built once loaded
    assert seen.loaded("views/network-view.js") and not seen.loaded("views/theory-view.js")
    page.wait_for_selector("[data-panel='loss'] .plot[data-rendered='1']", timeout=60_000)
    shot(page, "lazy-network-tab-1280")
    page.click("#tab-theory")
    page.wait_for_selector("[data-panel='phase'] .plot[data-rendered='1']", timeout=60_000)
    assert seen.loaded("views/theory-view.js") and seen.loaded("lib/theory.js")
    assert page.get_attribute("#tab-theory", "aria-selected") == "true"
    assert not page.is_visible("#view-network") and page.is_visible("#view-theory")
    assert not seen.loaded("live/teacher.js") and not seen.loaded("live/student.js")
    shot(page, "lazy-theory-tab-1280")
    seen.assert_each_once()


def test_a_link_to_the_network_view_loads_it_first(page, server):
    seen = Requests(page, server)
    page.goto(f"{server}/?view=network&epochs=20")
    page.wait_for_selector("body[data-ready='1']")
    assert page.get_attribute("#tab-network", "aria-selected") == "true"
    assert page.is_visible("#net-network select[data-param='init']")  # built before the page says it is ready
    page.wait_for_selector("[data-panel='loss'] .plot[data-rendered='1']", timeout=60_000)
    assert not seen.loaded("views/theory-view.js")
    # back to the function tab and forward again: one module each, the view kept
    page.click("#tab-function")
    page.click("#tab-network")
    assert page.is_visible("[data-panel='loss'] .plot[data-rendered='1']")
    assert seen.urls.count(next(u for u in seen.urls if u.endswith("views/network-view.js"))) == 1


def test_switching_tabs_before_a_view_has_loaded_shows_the_last_one(page, server):
    page.goto(f"{server}/")
    page.wait_for_selector("body[data-ready='1']")
    page.click("#tab-network")
    page.click("#tab-theory")
    page.click("#tab-function")  # before either module has arrived, or after: the function view stays
    page.wait_for_load_state("networkidle")
    assert page.is_visible("#view-function") and not page.is_visible("#view-network") and not page.is_visible("#view-theory")
    assert "view=function" in page.url or "view=" not in page.url


@pytest.mark.parametrize(
    ("path", "module", "plot"),
    [
        ("/embed/function?fn=elu(alpha=0.5),relu", "js/embed/function.js", ".embed-plot[data-rendered='1']"),
        ("/embed/kernel?th=relu,tanh", "js/embed/theory.js", ".embed-plot[data-rendered='1']"),
        ("/embed/loss?act=tanh&epochs=20", "js/embed/training.js", ".embed-plot[data-rendered='1']"),
    ],
)
def test_an_embed_loads_only_its_kinds_module(page, server, path, module, plot):
    cold(page)
    seen = Requests(page, server)
    page.goto(server + path)
    page.wait_for_selector("body[data-ready='1']", timeout=60_000)
    page.wait_for_selector(plot, timeout=60_000)
    page.wait_for_load_state("networkidle")
    assert seen.js() == set(modules("js/embed.js", module)), seen.js() ^ set(modules("js/embed.js", module))
    others = {"js/embed/function.js", "js/embed/theory.js", "js/embed/training.js"} - {module}
    assert not seen.js() & others
    if module != "js/embed/training.js":
        assert not seen.loaded("views/network-view.js"), seen.urls
    seen.assert_each_once()


def test_screenshots_after_lazy_loading(browser, server):
    for w, h, tag in ((1280, 800, "1280"), (390, 844, "phone")):
        ctx = browser.new_context(viewport={"width": w, "height": h})
        page = ctx.new_page()
        page.goto(f"{server}/")
        page.wait_for_selector("#view-function .plot[data-rendered='1']")
        shot(page, f"lazy-explorer-{tag}")
        page.goto(f"{server}/embed/function?fn=relu,elu(alpha=0.5)&controls=1")
        page.wait_for_selector(".embed-plot[data-rendered='1']")
        shot(page, f"lazy-embed-function-{tag}")
        ctx.close()


def test_a_view_that_fails_to_load_says_so_in_its_place_and_its_tab_retries(page, server):
    """The network view's code cannot be fetched (a dropped connection): the network view
    says which view failed, the function view still works, and its tab loads it once the
    connection is back."""
    page.route("**/views/network-view.js*", lambda route: route.abort())
    page.goto(f"{server}/?view=network")
    page.wait_for_selector("#view-network > .error-box")
    box = page.text_content("#view-network > .error-box")
    assert "Network view could not be loaded" in box and "choose its tab again" in box
    # only the message: none of the view's (empty) controls, and nothing wider than the page
    shown = page.evaluate("[...document.querySelectorAll('#view-network > :not(.error-box)')].filter((e) => e.offsetParent !== null).length")
    assert shown == 0 and page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    assert page.evaluate("document.body.dataset.ready") == "1"  # the explorer itself started
    assert page.locator("#main > .error-box").count() == 0
    page.click("#tab-function")
    page.wait_for_selector("#view-function .plot[data-rendered='1']")
    page.unroute("**/views/network-view.js*")
    page.click("#tab-network")
    page.wait_for_selector("#view-network .plot[data-rendered='1']", timeout=30_000)
    assert page.locator("#view-network > .error-box").count() == 0
    # the failed import was logged (console.error, and Chromium's line for the aborted fetch), nothing else
    assert page.watch.errors and all("network-view.js" in e or "net::ERR_FAILED" in e for e in page.watch.errors), page.watch.errors
    page.watch.errors = []
