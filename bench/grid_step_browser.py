"""What a learner waits for: one step click on a 16×16 convolution ÷ one click on a trivial page, in chromium.

AppTest (bench/grid_step_rerun.py) always reruns a whole page; in the browser the stepper and
its view are a fragment, so a step reruns only that. Both apps run under `streamlit run`, and
each click is timed from the click to the new text being drawn and the script idle.
Needs Debian's chromium (as the browser tests). Run: python -m bench.grid_step_browser [clicks]
"""

from __future__ import annotations

import re
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from cnnviz.grids.text import grid_to_url
from tests.browser.conftest import CHROMIUM, CHROMIUM_FLAGS, IDLE, Server

ROOT = Path(__file__).resolve().parents[1]


def clicks(page, button: str, expect, n: int) -> list[float]:
    """Seconds from each click to its text (expect(k)) drawn and the script idle."""
    out = []
    for k in range(1, n + 1):
        t = time.perf_counter()
        page.get_by_role("button", name=re.compile(button)).first.click()
        page.wait_for_function("t => document.body.innerText.includes(t)", arg=expect(k), timeout=30_000)
        page.wait_for_selector(IDLE, timeout=30_000)
        out.append(time.perf_counter() - t)
    return out


def main(n: int = 15) -> None:
    from playwright.sync_api import sync_playwright

    rng = np.random.default_rng(0)
    query = f"x={grid_to_url(rng.integers(0, 10, (16, 16)))}&k={grid_to_url(np.ones((3, 3)))}&p=same"
    app, trivial = Server(), Server("bench/trivial_app.py")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{app.url}/convolution?{query}")
            page.wait_for_selector(IDLE, timeout=90_000)
            page.wait_for_function("() => document.body.innerText.includes('Cell 1 of 256')", timeout=90_000)
            clicks(page, "Next", lambda k: f"Cell {k + 1} of 256", 2)  # warm
            step = clicks(page, "Next", lambda k: f"Cell {k + 3} of 256", n)
            page.goto(trivial.url)
            page.wait_for_selector(IDLE, timeout=90_000)
            clicks(page, "Next", lambda k: f"Count {k}", 2)
            triv = clicks(page, "Next", lambda k: f"Count {k + 2}", n)
            browser.close()
    finally:
        app.stop()
        trivial.stop()
    ms, mt = statistics.median(step), statistics.median(triv)
    print(f"16×16 convolution, one step (fragment) : median {ms * 1000:7.1f} ms over {n} clicks")
    print(f"trivial page, one click                : median {mt * 1000:7.1f} ms over {n} clicks")
    print(f"ratio                                  : {ms / mt:7.2f}×")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
