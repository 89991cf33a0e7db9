"""Presentation mode on a 1280×720 projector: contrast (axe-core), type sizes, the sidebar, one screen per step."""

from __future__ import annotations

import re

import pytest

from cnnviz.pagemap import HOME, PAGES
from cnnviz.present.figures import PROJECTED_DIGITS
from cnnviz.ui.charts import PROJECTED_MIN_PX
from tests.browser.conftest import STATE_TIMEOUT_MS

PROJECTOR = {"width": 1280, "height": 720}
ALL = [HOME, *PAGES]
STEP_PAGES = ("convolution", "pooling", "activations", "backward", "transposed")

# Visible text in the main area (never inside a chart or a hidden element): its smallest computed size.
SMALLEST_TEXT = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
  let smallest = 1e9, where = '';
  while (walker.nextNode()) {
    const n = walker.currentNode, el = n.parentElement;
    if (!n.textContent.trim() || !el || el.closest('svg, [aria-hidden="true"], [data-testid="stTooltipContent"]'))
      continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    const s = getComputedStyle(el);
    if (s.visibility === 'hidden' || s.display === 'none' || parseFloat(s.opacity) === 0) continue;
    const px = parseFloat(s.fontSize);
    if (px < smallest) { smallest = px; where = n.textContent.trim().slice(0, 60); }
  }
  return [smallest, where];
}"""
CUT_LABELS = """() => [...document.querySelectorAll('[data-testid="stMain"] *')].filter(e => {
  const s = getComputedStyle(e), r = e.getBoundingClientRect();
  return r.width > 0 && e.children.length === 0 && e.innerText && e.innerText.trim()
    && e.scrollWidth > e.clientWidth + 1 && !e.closest('details:not([open])')
    && (s.textOverflow === 'ellipsis' || s.overflow === 'hidden' || s.overflowX === 'hidden');
}).map(e => e.innerText.trim().slice(0, 40))"""  # text clipped by its box (a label, a button, a tab ending in "…")
SMALLEST_CHART_TEXT = """sel => {
  let smallest = 1e9, where = '';
  for (const t of document.querySelectorAll(`[data-testid="stMain"] .js-plotly-plot ${sel}`)) {
    if (!t.textContent.trim()) continue;
    const r = t.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    const px = parseFloat(getComputedStyle(t).fontSize);
    if (px < smallest) { smallest = px; where = t.textContent.trim().slice(0, 40); }
  }
  return [smallest, where];
}"""


@pytest.fixture
def projector(browser):
    from tests.browser.conftest import Watched

    ctx = browser.new_context(viewport=PROJECTOR)
    w = Watched(ctx.new_page())
    yield w
    ctx.close()


def _open(projector, server, page) -> None:
    path = "" if page is HOME else page.url_path
    projector.page.goto(f"{server.url}/{path}?present=1")
    projector.wait_idle(1200 if page is HOME else 600)
    if page is HOME:
        projector.page.get_by_text("Device in use").wait_for(timeout=STATE_TIMEOUT_MS)
        projector.wait_idle()
    title = "CNN Explorer" if page is HOME else page.title
    projector.page.wait_for_function(  # the page itself, not the moment before its first run
        "t => { const h = document.querySelector('h1'); return h && h.innerText.trim() === t && getComputedStyle("
        "document.documentElement).getPropertyValue('--cnnviz-presenting').trim() === '1'; }", arg=title,
        timeout=STATE_TIMEOUT_MS)
    projector.wait_idle()
    projector.page.wait_for_function(
        "() => [...document.querySelectorAll('.js-plotly-plot')].every(p => p.querySelector('.main-svg'))",
        timeout=STATE_TIMEOUT_MS)
    projector.page.wait_for_timeout(500)


@pytest.mark.parametrize("page", ALL, ids=lambda p: p.url_path)
def test_a_projected_page_passes_contrast_type_size_and_sidebar_checks(server, projector, artifacts, page):
    from axe_playwright_python.sync_playwright import Axe

    _open(projector, server, page)
    projector.page.screenshot(path=str(artifacts / f"projector_{page.url_path}.png"))  # the first screen, as projected
    problems = []
    if projector.page.locator('[data-testid="stSidebar"]').get_attribute("data-collapsed") != "true":
        problems.append("the sidebar is not collapsed")
    if not projector.page.locator('[data-testid="stExpandSidebarButton"]').is_visible():
        problems.append("the settings (sidebar) cannot be reached")
    smallest, where = projector.page.evaluate(SMALLEST_TEXT)
    if smallest < 18:
        problems.append(f"main-area text of {smallest}px: {where!r}")
    grids = projector.page.evaluate("() => [...document.querySelectorAll('[data-testid=\"stMain\"] "
                                    "[data-testid=\"stDataFrame\"]')].filter(g => g.getBoundingClientRect().width "
                                    "> 0 && !g.closest('details:not([open])')).length")  # editors wait folded
    if grids:  # the data grid draws its cells on a canvas at 16.6 px, beyond the style's reach
        problems.append(f"{grids} data grid(s) shown where an HTML table is legible")
    cut = projector.page.evaluate(CUT_LABELS)
    if cut:
        problems.append(f"labels cut off: {cut}")
    smallest, where = projector.page.evaluate(SMALLEST_CHART_TEXT, "text")  # ticks, titles, legends, colour bars
    if smallest < PROJECTED_MIN_PX:
        problems.append(f"chart text of {smallest}px: {where!r}")
    smallest, where = projector.page.evaluate(SMALLEST_CHART_TEXT, ".textpoint text")  # a grid's numbers
    if smallest < PROJECTED_DIGITS:
        problems.append(f"grid numbers of {smallest}px: {where!r}")
    results = Axe().run(projector.page, options={"runOnly": ["color-contrast"], "resultTypes": ["violations"]})
    if results.violations_count:
        problems.append(results.generate_report())
    assert not problems, "\n".join(problems)
    assert projector.errors == [], projector.errors


@pytest.mark.parametrize("path", STEP_PAGES)
def test_a_projected_step_fits_one_screen_and_steps_from_the_keyboard(server, projector, artifacts, path):
    page = next(p for p in PAGES if p.url_path == path)
    _open(projector, server, page)
    projector.page.screenshot(path=str(artifacts / f"projector_{path}_step1.png"))
    view = projector.page.locator(".st-key-step_view")
    parts = {"the step controls": view.get_by_role("button", name="Next").first,
             "the grids": view.locator(".js-plotly-plot").first,
             "the step's arithmetic": view.locator('[data-testid="stCode"]').last}
    for what, part in parts.items():
        box = part.bounding_box()
        assert box is not None and box["y"] >= 0, what
        assert box["y"] + box["height"] <= PROJECTOR["height"], f"{what} ends at {box['y'] + box['height']:.0f} px"
    scroll = projector.page.evaluate(
        "() => { const m = document.querySelector('[data-testid=\"stMain\"]'); return m.scrollTop; }")
    assert scroll == 0
    projector.page.wait_for_timeout(1000)  # shortcut listeners attach after the buttons render
    view.get_by_text(re.compile(r"\d+ of \d+")).first.click()  # focus the page, on nothing that takes keys
    for key, expected in (("ArrowRight", r" 2 of \d+"), ("End", r" (\d+) of \1\b"), ("Home", r" 1 of \d+"),
                          ("ArrowRight", r" 2 of \d+")):
        projector.page.keyboard.press(key)
        projector.page.wait_for_function(
            "re => new RegExp(re).test(document.querySelector('.st-key-step_view').innerText)", arg=expected,
            timeout=STATE_TIMEOUT_MS)
    projector.wait_idle()
    projector.page.screenshot(path=str(artifacts / f"projector_{path}_step2.png"))


@pytest.mark.parametrize("path", STEP_PAGES)
def test_an_arrow_key_right_after_switching_presentation_on_takes_the_next_step(server, watched, path):
    """The switch keeps the keyboard focus, and Streamlit leaves keys typed into an input alone."""
    watched.page.goto(f"{server.url}/{path}")
    watched.page.get_by_role("button", name="Next").first.wait_for(timeout=STATE_TIMEOUT_MS)
    watched.wait_idle()
    watched.page.get_by_text("Presentation mode").click()
    watched.page.locator(".st-key-step_view").get_by_role("button", name="Next").first.wait_for(
        timeout=STATE_TIMEOUT_MS)
    watched.wait_idle()
    assert watched.page.evaluate("() => document.activeElement.matches('input[type=checkbox]')")
    watched.page.keyboard.press("ArrowRight")
    watched.page.wait_for_function(
        "() => / 2 of \\d+/.test(document.querySelector('.st-key-step_view').innerText)", timeout=STATE_TIMEOUT_MS)
    watched.wait_idle()
    watched.page.wait_for_timeout(300)  # had it stepped twice, the second step would show by now
    assert re.search(r" 2 of \d+", watched.page.locator(".st-key-step_view").inner_text())
    watched.page.keyboard.press("ArrowRight")  # the focus has left the switch: Streamlit's own shortcut takes it
    watched.page.wait_for_function(
        "() => / 3 of \\d+/.test(document.querySelector('.st-key-step_view').innerText)", timeout=STATE_TIMEOUT_MS)
    assert watched.errors == [], watched.errors
