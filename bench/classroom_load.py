"""A class on one server: N sessions at once over Streamlit's websocket protocol, per page.

Starts `streamlit run app.py` with the project's real config (.streamlit/config.toml) on a free
loopback port, then for each page and N in (1, 10, 30) opens N sessions at the same moment;
each opens the page and changes one widget, as a student would. Prints, per page and N, the
median / p95 time to a finished page (open + change) after one cold first visit, errors (exceptions drawn, pages not
found, time-outs), the server's peak RSS, and p95(N=30) ÷ median(N=1); then checks that every
page still renders for a new visitor after the stampede.

    python bench/classroom_load.py [--pages home,convolution,...] [--sizes 1,10,30] [--fresh]

--fresh starts a new server for every page (first visits: tracing, model loads in the run).
Loopback only; every session's wait is bounded (300 s).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser.conftest import Server  # noqa: E402
from tests.streamlit_client import Session  # noqa: E402


async def _home(s: Session) -> None:
    run = await s.open("")
    _check(run)


async def _convolution(s: Session) -> None:
    run = await s.open("convolution")
    _check(run)
    _check(await s.click(run, "Next"))


async def _networks(s: Session) -> None:
    run = await s.open("networks")
    _check(run)
    _check(await s.select(run, "Sample photo", "Coffee"))


async def _architectures(s: Session) -> None:
    run = await s.open("architectures")
    _check(run)
    _check(await s.select(run, "Architecture", "resnet18"))


async def _attribution(s: Session) -> None:
    run = await s.open("attribution")
    _check(run)
    _check(await s.select(run, "Sample photo", "Coffee"))


PAGES = {"home": _home, "convolution": _convolution, "networks": _networks, "architectures": _architectures,
         "attribution": _attribution}


class PageError(Exception):
    pass


def _check(run) -> None:
    if run.exceptions:
        raise PageError("exception drawn: " + run.exceptions[0][:120])
    if run.page_not_found:
        raise PageError("page not found")


def rss_mb(pid: int) -> float:
    """Resident memory of the server process (and its children), MB."""
    total = 0
    for p in [pid, *_children(pid)]:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


class RssWatch:
    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0.0, threading.Event()
        self._t = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_mb(self.pid))
            self._stop.wait(0.2)

    def __enter__(self) -> RssWatch:
        self._t.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._t.join()


async def stampede(url: str, page: str, n: int, timeout: float = 300) -> tuple[list[float], list[str]]:
    """n sessions doing the page's action at the same moment: (seconds of each success, error texts)."""
    start = asyncio.Event()

    async def one() -> float:
        async with Session(url) as s:
            await start.wait()
            t0 = time.perf_counter()
            await asyncio.wait_for(PAGES[page](s), timeout)
            return time.perf_counter() - t0

    tasks = [asyncio.create_task(one()) for _ in range(n)]
    await asyncio.sleep(0.5)  # every socket open first, then all at once
    start.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    times = [r for r in results if isinstance(r, float)]
    errors = [f"{type(r).__name__}: {r}" for r in results if isinstance(r, BaseException)]
    return times, errors


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, round(0.95 * len(values)) - 1)] if values else float("nan")


def server_tracebacks(server: Server) -> int:
    server.log.flush()
    return Path(server.log.name).read_text(errors="replace").count("Traceback (most recent call last)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", default=",".join(PAGES))
    ap.add_argument("--sizes", default="1,10,30")
    ap.add_argument("--fresh", action="store_true", help="a new server for every page")
    args = ap.parse_args()
    pages = args.pages.split(",")
    sizes = [int(v) for v in args.sizes.split(",")]
    print(f"{'page':<14}{'N':>4}{'median s':>10}{'p95 s':>9}{'errors':>8}{'RSS peak MB':>13}")
    server = None
    summary = []
    try:
        for page in pages:
            if server is None or args.fresh:
                if server:
                    server.stop()
                server = Server()  # started as the README starts it (python -m cnnviz serve)
            cold_t, cold_e = asyncio.run(stampede(server.url, page, 1))  # tracing, model loads: once per process
            print(f"{page:<14}{'first visit (cold)':>30}: {cold_t[0] if cold_t else float('nan'):.2f} s"
                  + (f"  {cold_e[0][:100]}" if cold_e else ""), flush=True)
            med1 = None
            for n in sizes:
                with RssWatch(server.proc.pid) as watch:
                    times, errors = asyncio.run(stampede(server.url, page, n))
                med = statistics.median(times) if times else float("nan")
                med1 = med if n == 1 else med1
                print(f"{page:<14}{n:>4}{med:>10.2f}{p95(times):>9.2f}{len(errors):>8}{watch.peak:>13.0f}", flush=True)
                for e in sorted(set(errors))[:3]:
                    print(f"{'':<18}{e[:150]}")
                summary.append((page, n, p95(times), med1))
            after_t, after_e = asyncio.run(stampede(server.url, page, 1))
            print(f"{'':<18}afterwards, a new visitor: {'ok' if not after_e else after_e[0][:120]} "
                  f"({after_t[0] if after_t else float('nan'):.2f} s)")
        tb = server_tracebacks(server) if server else 0
        print(f"server tracebacks in the log: {tb}")
        for page, n, p, m1 in summary:
            if n == max(sizes) and m1:
                print(f"{page:<14} p95(N={n}) ÷ median(N=1) = {p / m1:.1f}")
    finally:
        if server:
            server.stop()


if __name__ == "__main__":
    main()
