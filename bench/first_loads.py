"""First loads of the pages a lecture opens first, as a learner waits for them: a real server and chromium.

For each page: a fresh server (nothing imported, no network built), then the time from navigation until the page's
title is drawn and the script has finished ("cold": the first learner after a restart), then the same page in a new
browser tab on the same server ("warm": every later learner). A trivial page (Home) is measured the same way beside
them. python -m bench.first_loads [page ...]   (default: networks backward convolution)
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


def main(paths: list[str]) -> None:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        print("chromium not installed")
        return
    print(f"{'page':<14} {'cold s':>7} {'warm s':>7}")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        for path in ["", *paths]:
            server = Server()
            try:
                url = f"{server.url}/{path}"
                times = []
                for _ in range(2):
                    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
                    times.append(_drawn(ctx.new_page(), url, PAGES[path]))
                    ctx.close()
            finally:
                server.stop()
            print(f"{path or 'home':<14} {times[0]:>7.2f} {times[1]:>7.2f}", flush=True)
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1:] or ["networks", "backward", "convolution"])
