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
