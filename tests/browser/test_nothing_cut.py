"""No control's text is cut: on every page, at 1366×768 (a laptop) and at 1280×720 in presentation mode (a projector),
no label, button, tab or select box value overflows its box, and no button of a segmented control is clipped by its
row (a learner would read "Yo…" for "Your photo")."""

from __future__ import annotations

import pytest

from cnnviz.pagemap import PAGES
from tests.browser.conftest import IDLE, Watched

CUT = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const out = [];
  const texts = 'button p, [data-testid="stWidgetLabel"] p, [data-baseweb="tab"] p, label p';
  for (const e of main.querySelectorAll(texts)) {
    const r = e.getBoundingClientRect();
    if (r.width > 0 && e.innerText.trim() && e.scrollWidth > e.clientWidth + 1) out.push('text: ' + e.innerText);
  }
  for (const e of main.querySelectorAll('input[type="text"], input[role="combobox"]')) {
    if (e.getBoundingClientRect().width > 0 && e.value && e.scrollWidth > e.clientWidth + 1) out.push('value: ' + e.value);
  }
  const clipper = (e) => {
    for (let a = e.parentElement; a && a !== main; a = a.parentElement) {
      if (['hidden', 'auto', 'scroll', 'clip'].includes(getComputedStyle(a).overflowX)) return a;
    }
    return null;
  };
  for (const e of main.querySelectorAll('button')) {
    const r = e.getBoundingClientRect();
    const c = clipper(e);
    if (r.width > 0 && c && r.right > c.getBoundingClientRect().right + 1) out.push('clipped: ' + e.innerText);
  }
  return out;
}"""

SCREENS = [(1366, 768, ""), (1280, 720, "?present=1")]


@pytest.mark.parametrize(("width", "height", "query"), SCREENS, ids=["laptop-1366", "projected-1280"])
def test_no_control_text_is_cut_on_any_page(server, browser, width, height, query):
    ctx = browser.new_context(viewport={"width": width, "height": height})
    cut = {}
    try:
        w = Watched(ctx.new_page())
        for page in PAGES:
            w.page.goto(f"{server.url}/{page.url_path}{query}")
            w.page.wait_for_selector(IDLE, timeout=180_000)
            w.wait_idle(1200)
            found = w.page.evaluate(CUT)
            if found:
                cut[page.url_path] = found
    finally:
        ctx.close()
    assert not cut, f"cut at {width}×{height}{' projected' if query else ''}: {cut}"


OVERLAPS = """() => {
  const boxes = [];
  for (const chart of document.querySelectorAll('[data-testid="stPlotlyChart"]')) {
    const svg = chart.querySelector('svg');
    if (!svg || chart.getBoundingClientRect().width === 0) continue;
    const frame = svg.getBoundingClientRect();
    for (const e of chart.querySelectorAll('g.annotation, g.textpoint')) {
      const r = e.getBoundingClientRect();
      if (r.width === 0 || !e.textContent.trim()) continue;
      boxes.push([e.textContent, r]);
      if (r.left < frame.left - 1 || r.right > frame.right + 1) boxes.push(['CUT ' + e.textContent, null]);
    }
  }
  const bad = boxes.filter(b => b[1] === null).map(b => b[0]);
  const real = boxes.filter(b => b[1] !== null);
  for (let i = 0; i < real.length; i++) for (let j = i + 1; j < real.length; j++) {
    const a = real[i][1], b = real[j][1];
    if (a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1)
      bad.push(real[i][0] + ' / ' + real[j][0]);
  }
  return bad;
}"""


@pytest.mark.parametrize("query", ["", "&present=1"], ids=["normal", "projected"])
def test_chart_labels_do_not_overlap_or_fall_off_the_chart(server, browser, query):
    ctx = browser.new_context(viewport={"width": 1366, "height": 900})
    found = {}
    try:
        w = Watched(ctx.new_page())
        views = [f"detection?tab=Non-maximum+suppression&nms={k}" for k in range(4)] + \
                ["architectures?arch=alexnet", "architectures?arch=googlenet"]
        for view in views:
            w.page.goto(f"{server.url}/{view}{query}")
            w.page.wait_for_selector(IDLE, timeout=180_000)
            w.wait_idle(1500)
            for chart in w.page.locator('[data-testid="stPlotlyChart"]').all():
                if chart.is_visible():  # other tabs' charts stay hidden
                    chart.scroll_into_view_if_needed()
            bad = w.page.evaluate(OVERLAPS)
            if bad:
                found[view] = bad
    finally:
        ctx.close()
    assert not found, found
