"""First loads of the pages a lecture opens first, as a learner waits for them: a real server and chromium.

For each page: a fresh server started as the README starts it (`python -m cnnviz serve`, which opens the heavy pages
once itself after it is ready), then the time from navigation until the page's title is drawn and the script has
finished ("first": the first learner after a restart), then the same page in a new browser tab on the same server
("later": every later learner), each in a new browser tab (nothing cached), and once more from a tab that has shown
Pooling, by its sidebar link (a learner moving on within the app). With --cold the first visit comes as soon as the server is ready, before it has opened
the heavy pages itself (a learner who arrives within seconds of the start). A trivial page (Home) is measured the
same way beside them. python -m bench.first_loads [--cold] [page ...]   (default: networks backward convolution)
"""

from __future__ import annotations

import sys
from pathlib import Path

from tests.browser.conftest import CHROMIUM, CHROMIUM_FLAGS, Server

# Timed inside the page (performance.now(), from navigation start or from the click), when the DOM first shows the
# state: a test's polling runs on animation frames, which a busy page (plotly.js compiling) delays by seconds.
# "drawn": the title is the page's and the script has finished; "charts": also no grey placeholder left (an element
# whose code is still loading: Streamlit loads plotly.js, 4.7 MB, the first time a tab needs it) and every chart drawn.
WATCH = """() => {
  window.__marks = {t0: 0};
  const check = () => {
    const m = window.__marks, h = document.querySelector('h1');
    const idle = document.querySelector('[data-test-script-state="notRunning"]');
    if (!m.title || !h || h.innerText.trim() !== m.title || !idle) return;
    const now = performance.now() - m.t0;
    if (m.drawn === undefined) m.drawn = now;
    const charts = !document.querySelector('[data-testid=stMain] [data-testid=stSkeleton]') &&
      [...document.querySelectorAll('[data-testid=stPlotlyChart]')].every(c => c.querySelector('.main-svg'));
    if (charts && m.charts === undefined) m.charts = now;
  };
  new MutationObserver(check).observe(document, {subtree: true, childList: true, attributes: true});
}"""
PAGES = {"": "CNN Explorer", "networks": "Networks on your photo", "backward": "Backward pass",
         "convolution": "Convolution"}


def _timed(page, title: str) -> tuple[float, float]:
    page.wait_for_function("() => window.__marks && window.__marks.charts !== undefined", timeout=180_000)
    m = page.evaluate("() => window.__marks")
    return m["drawn"] / 1000, m["charts"] / 1000


def _drawn(page, url: str, title: str) -> tuple[float, float]:
    """A new tab opening `url`: (s until drawn, s until its charts are drawn too), from navigation start."""
    page.add_init_script(f"document.addEventListener('DOMContentLoaded', {WATCH}); window.__title = {title!r};")
    page.add_init_script("document.addEventListener('DOMContentLoaded', () => { window.__marks.title = window.__title; })")
    page.goto(url)
    return _timed(page, title)


def _via_sidebar(page, server_url: str, title: str) -> float:
    """Seconds from clicking the page's sidebar link, in a tab that has shown Pooling, until it and its charts are
    drawn (a learner moving on within the app: Streamlit's code, plotly.js included, is loaded already)."""
    _drawn(page, f"{server_url}/pooling", "Pooling")
    page.evaluate("t => { window.__marks = Object.assign(window.__marks, {title: t, t0: performance.now()}); "
                  "delete window.__marks.drawn; delete window.__marks.charts; }", title)
    page.get_by_role("link", name=title, exact=True).click()
    return _timed(page, title)[1]


def main(paths: list[str], cold: bool = False) -> None:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        print("chromium not installed")
        return
    print("seconds until the page is drawn / until its charts are drawn too"
          + ("   (first visit as soon as the server was ready)" if cold else ""))
    print(f"{'page':<14} {'first visitor':>14} {'later visitor':>14} {'from Pooling':>13}")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        for path in ["", *paths]:
            server = Server()
            if not cold and not server.wait_for("once in", 300):
                print("the server did not open its heavy pages once (see its log in artifacts/)")
            try:
                url = f"{server.url}/{path}"
                times = []
                for _ in range(2):
                    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
                    times.append(_drawn(ctx.new_page(), url, PAGES[path]))
                    ctx.close()
                ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
                moved = _via_sidebar(ctx.new_page(), server.url, PAGES[path]) if path else None
                ctx.close()
            finally:
                server.stop()
            cells = [f"{a:.1f} / {b:.1f}" for a, b in times] + ["–" if moved is None else f"{moved:.1f}"]
            print(f"{path or 'home':<14} {cells[0]:>14} {cells[1]:>14} {cells[2]:>13}", flush=True)
        browser.close()


if __name__ == "__main__":
    args = sys.argv[1:]
    main([a for a in args if a != "--cold"] or ["networks", "backward", "convolution"], "--cold" in args)
