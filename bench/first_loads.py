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
import time
from pathlib import Path

from tests.browser.conftest import CHROMIUM, CHROMIUM_FLAGS, IDLE, Server

# every element drawn (no grey placeholder left while its code loads: Streamlit loads plotly.js, 4.7 MB, the first
# time a page of a browser tab needs it) and every chart drawn
CHARTS_DRAWN = ("() => !document.querySelector('[data-testid=stMain] [data-testid=stSkeleton]') && "
                "[...document.querySelectorAll('[data-testid=stPlotlyChart]')].every(c => c.querySelector('.main-svg'))")
PAGES = {"": "CNN Explorer", "networks": "Networks on your photo", "backward": "Backward pass",
         "convolution": "Convolution"}


def _drawn(page, url: str, title: str) -> tuple[float, float]:
    """(seconds until the title is drawn and the script has finished, seconds until every chart is drawn too)."""
    t = time.perf_counter()
    page.goto(url)
    page.wait_for_function("t => { const h = document.querySelector('h1'); return h && h.innerText.trim() === t; }",
                           arg=title, timeout=180_000)
    page.wait_for_selector(IDLE, timeout=180_000)
    ready = time.perf_counter() - t
    page.wait_for_function(CHARTS_DRAWN, timeout=180_000)
    return ready, time.perf_counter() - t


def _via_sidebar(page, server_url: str, title: str) -> float:
    """Seconds from clicking the page's sidebar link, in a tab that has shown Pooling, until it and its charts are
    drawn (a learner moving on within the app: Streamlit's code, plotly.js included, is loaded already)."""
    page.goto(f"{server_url}/pooling")
    page.wait_for_selector(IDLE, timeout=180_000)
    page.wait_for_function(CHARTS_DRAWN, timeout=180_000)
    t = time.perf_counter()
    page.get_by_role("link", name=title, exact=True).click()
    page.wait_for_function("t => { const h = document.querySelector('h1'); return h && h.innerText.trim() === t; }",
                           arg=title, timeout=180_000)
    page.wait_for_selector(IDLE, timeout=180_000)
    page.wait_for_function(CHARTS_DRAWN, timeout=180_000)
    return time.perf_counter() - t


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
