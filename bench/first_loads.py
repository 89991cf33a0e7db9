"""First loads of the pages a lecture opens first, as a learner waits for them: a real server and chromium.

For each page: a fresh server started as the README starts it (`python -m cnnviz serve`, which opens the heavy pages
once itself after it is ready), then the time from navigation until the page's title is drawn and the script has
finished ("first": the first learner after a restart), then the same page in a new browser tab on the same server
("later": every later learner). With --cold the first visit comes as soon as the server is ready, before it has opened
the heavy pages itself (a learner who arrives within seconds of the start). A trivial page (Home) is measured the
same way beside them. python -m bench.first_loads [--cold] [page ...]   (default: networks backward convolution)
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from tests.browser.conftest import CHROMIUM, CHROMIUM_FLAGS, IDLE, Server

PAGES = {"": "CNN Explorer", "networks": "Networks on your photo", "backward": "Backward pass",
         "convolution": "Convolution"}


def _drawn(page, url: str, title: str) -> float:
    t = time.perf_counter()
    page.goto(url)
    page.wait_for_function("t => { const h = document.querySelector('h1'); return h && h.innerText.trim() === t; }",
                           arg=title, timeout=180_000)
    page.wait_for_selector(IDLE, timeout=180_000)
    return time.perf_counter() - t


def main(paths: list[str], cold: bool = False) -> None:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        print("chromium not installed")
        return
    print(f"{'page':<14} {'first s':>8} {'later s':>8}" + ("   (visited as soon as the server was ready)" if cold else ""))
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
            finally:
                server.stop()
            print(f"{path or 'home':<14} {times[0]:>8.2f} {times[1]:>8.2f}", flush=True)
        browser.close()


if __name__ == "__main__":
    args = sys.argv[1:]
    main([a for a in args if a != "--cold"] or ["networks", "backward", "convolution"], "--cold" in args)
