"""WCAG 2.1 AA on every page (axe-core's wcag2a/aa and wcag21a/aa rules), on a desktop, on a phone and projected.

What axe reports that is Streamlit's own markup, not ours, is listed once here with its reason and left alone."""

from __future__ import annotations

import pytest

from cnnviz.pagemap import HOME, PAGES
from tests.browser.conftest import STATE_TIMEOUT_MS, Watched

pytestmark = pytest.mark.browser

RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
UPSTREAM = {  # rule → why it is Streamlit's, not ours
    "list": "the sidebar navigation puts <div>s directly inside its <ul> (stSidebarNav)",
    "listitem": "the same navigation's <li>s, whose parent axe then does not count as a list",
    "scrollable-region-focusable": "st.code's scrolling <pre> takes no keyboard focus",
    "duplicate-id-active": "the data grid (glide-data-grid) repeats its cell ids in every table on a page",
}
HIDDEN = [['details:not([open]) [data-testid="stExpanderDetails"]']]  # a closed expander's content is not shown


def _violations(w: Watched) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    w.wait_idle()
    w.page.wait_for_timeout(500)  # charts and images settle
    found = Axe().run(w.page, context={"exclude": HIDDEN},
                      options={"runOnly": {"type": "tag", "values": RULES}, "resultTypes": ["violations"]})
    return [f"{v['id']} ({len(v['nodes'])}×): {v['nodes'][0]['target']} — {v['help']}"
            for v in found.response["violations"] if v["id"] not in UPSTREAM]


def test_every_page_meets_wcag_aa_on_a_desktop(server, browser, artifacts):
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    w = Watched(context.new_page())
    problems = {}
    try:
        for page in [HOME, *PAGES]:
            w.page.goto(f"{server.url}/{page.url_path}")
            w.page.wait_for_selector("h1", timeout=STATE_TIMEOUT_MS)
            found = _violations(w)
            if found:
                problems[page.url_path] = found
    finally:
        context.close()
    assert not problems, problems


@pytest.mark.parametrize("mode", ["phone", "projector"])
def test_the_busiest_pages_meet_wcag_aa_on_a_phone_and_projected(server, browser, mode):
    size = {"width": 390, "height": 844} if mode == "phone" else {"width": 1280, "height": 720}
    context = browser.new_context(viewport=size, is_mobile=mode == "phone", has_touch=mode == "phone")
    w = Watched(context.new_page())
    problems = {}
    try:
        for path in ("convolution", "networks", "attribution"):
            w.page.goto(f"{server.url}/{path}" + ("?present=1" if mode == "projector" else ""))
            w.page.wait_for_selector("h1", timeout=STATE_TIMEOUT_MS)
            found = _violations(w)
            if found:
                problems[path] = found
    finally:
        context.close()
    assert not problems, problems
