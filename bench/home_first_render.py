"""First render of the home page: it must not pay for models or torch (goal: under ~2 s).

Measured two ways in one run: (1) the home script's first run under AppTest in a fresh
process (cold imports), next to a trivial page's; (2) a real server and chromium: time
from navigation until the page is drawn and idle, and until the environment panel
(filled in the background) appears.  python -m bench.home_first_render
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CODE = r"""
import sys, time
from streamlit.testing.v1 import AppTest
t = time.perf_counter()
{setup}
at.run(timeout=120)
print(time.perf_counter() - t)
print('torch' in sys.modules)
"""


def cold(setup: str) -> tuple[float, bool]:
    out = subprocess.run([sys.executable, "-c", CODE.format(root=str(ROOT), setup=setup)], capture_output=True,
                         text=True, cwd=ROOT, timeout=300).stdout.split()
    return float(out[0]), out[1] == "True"


def browser() -> None:
    from tests.browser.conftest import CHROMIUM, CHROMIUM_FLAGS, IDLE, Server

    if not Path(CHROMIUM).exists():
        print("chromium not installed: browser timing skipped")
        return
    from playwright.sync_api import sync_playwright

    (ROOT / "artifacts").mkdir(exist_ok=True)
    server = Server()
    try:
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            page = b.new_page()
            t = time.perf_counter()
            page.goto(server.url)
            page.wait_for_selector("h1")
            page.wait_for_selector(IDLE)
            drawn = time.perf_counter() - t
            page.get_by_text("Device in use").wait_for(timeout=60_000)
            env = time.perf_counter() - t
            b.close()
        print(f"browser, fresh server: home drawn and idle after {drawn:.2f} s; environment panel after {env:.2f} s")
    finally:
        server.stop()


if __name__ == "__main__":
    home, torch_loaded = cold('at = AppTest.from_file("app.py")')
    trivial, _ = cold('at = AppTest.from_string("import streamlit as st\\nst.title(\'x\')")')
    print(f"cold first run (AppTest): home {home:.2f} s · trivial page {trivial:.2f} s · ratio {home / trivial:.2f} "
          f"· torch imported by the home script: {torch_loaded}")
    browser()
