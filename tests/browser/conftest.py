"""A real Streamlit server and Debian's chromium, driven by playwright (no downloaded browser)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from cnnviz.classroom.hall import start_server

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = os.environ.get("CNNVIZ_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
STATE_TIMEOUT_MS = 180_000  # the overall limit for a state to appear: waits end on the state, not on a clock


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """The app as the README starts it (`python -m cnnviz serve`) on a free loopback port, ready before the
    constructor returns: healthy, and already opened once at its root by the serve command."""

    def __init__(self, env: dict[str, str] | None = None) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        (ROOT / "artifacts").mkdir(exist_ok=True)
        self.log = ROOT / "artifacts" / f"streamlit-{self.port}.log"
        self.proc = start_server(self.port, self.log, env)  # as the hall starts a replica
        if not self.wait_for("CNN Explorer is ready", 150):
            self.stop()
            raise RuntimeError("the app did not become ready within 150 s (see the server log in artifacts/)")

    def wait_for(self, text: str, timeout: float) -> bool:
        """Whether the server's log shows `text` within `timeout` seconds (False at once if the server stopped)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            if text in self.log.read_text(errors="replace"):
                return True
            time.sleep(0.3)
        return False

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def server(artifacts):
    s = Server()
    yield s
    s.stop()


@pytest.fixture
def fresh_server(artifacts):
    """A new server: no network traced or loaded yet (first visits, deep links right after start)."""
    s = Server()
    yield s
    s.stop()


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"chromium not found at {CHROMIUM}: scripts/test.sh installs it (apt-get install chromium)")
        pytest.skip(f"chromium not found at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield b
        b.close()


class Watched:
    """A page plus the console errors and failed requests it produced."""

    # Streamlit's frontend probes the base path of a deep link (/<page>/_stcore/health,
    # /<page>/_stcore/host-config) before falling back to the root: those 404s are expected.
    EXPECTED_404 = ("/_stcore/health", "/_stcore/host-config")

    def __init__(self, page):
        self.page = page
        self.errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))

    def _console(self, msg) -> None:
        if msg.type != "error":
            return
        url = (msg.location or {}).get("url", "")
        if "404" in msg.text and url.endswith(self.EXPECTED_404):
            return
        self.errors.append(f"{msg.text} ({url})")

    def wait_idle(self, settle_ms: int = 400) -> None:
        self.page.wait_for_selector(IDLE, timeout=STATE_TIMEOUT_MS)
        self.page.wait_for_timeout(settle_ms)
        self.page.wait_for_selector(IDLE, timeout=STATE_TIMEOUT_MS)

    def screenshot(self, path: Path) -> None:
        """Whole page: Streamlit scrolls inside stMain, so grow the viewport to its height."""
        self.page.wait_for_function(  # every plotly figure has drawn its SVG
            "() => [...document.querySelectorAll('.js-plotly-plot')].every(p => p.querySelector('.main-svg'))",
            timeout=STATE_TIMEOUT_MS)
        h = self.page.evaluate(
            "() => { const m = document.querySelector('[data-testid=\"stMain\"]'); return m ? m.scrollHeight : 1000; }")
        size = self.page.viewport_size
        self.page.set_viewport_size({"width": size["width"], "height": int(min(max(h + 40, 800), 8000))})
        self.page.wait_for_timeout(600)
        self.page.screenshot(path=str(path), full_page=True)
        self.page.set_viewport_size(size)


@pytest.fixture
def watched(browser):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = ctx.new_page()
    w = Watched(page)
    yield w
    ctx.close()
