"""A class on one server: N sessions at once over Streamlit's websocket protocol, per page.

Starts `streamlit run app.py` with the project's real config (.streamlit/config.toml) on a free
loopback port, then for each page and N in (1, 10, 30) opens N sessions at the same moment;
each opens the page and changes one widget, as a student would. Prints, per page and N, the
median / p95 time to a finished page (open + change) after one cold first visit, errors (exceptions drawn, pages not
found, time-outs), the server's peak RSS, and p95(N=30) ÷ median(N=1); then checks that every
page still renders for a new visitor after the stampede.

    python -m bench.classroom_load [--pages home,convolution,...] [--sizes 1,10,30] [--fresh]

--fresh starts a new server for every page (first visits: tracing, model loads in the run).

A lecture hall (`--hall`): `python -m cnnviz hall`'s parts (Redis, R replicas, HAProxy) on this machine, a
teacher stepping through Convolution every few seconds and S students following through HAProxy, each
checking once a second as the browser's timer does:

    python -m bench.classroom_load --hall --replicas 1,2,3 --students 30,60,90 [--steps 8] [--every 3]
    python -m bench.classroom_load --failover [--replicas 3] [--students 30]
    python -m bench.classroom_load --follow --students 10,30     # one server (`cnnviz serve`), no hall
    python -m bench.classroom_load --ask --students 30            # one "Ask the class" round on one server

Per case: p50/p95/max from the teacher's click to each student's page showing that step, steps a student
never saw (missed), errors, CPU (cores busy) and peak RSS per replica, and the CPU of the followers idling.
--failover kills one replica (SIGKILL) after step 3: each of its students reconnects as a browser tab does
(a new websocket through HAProxy, the same page and link) and the time until it shows the teacher's step again
is reported. --follow measures the same on one server (the in-process class store). --ask: the teacher on
Convolution presses "Ask the class"; each student, once the question shows, sends an answer after a random 0–5 s;
reported: the time until the teacher's page says "N answered" for all of them, and from "Reveal" until every
student's page shows the verdict. Loopback only; every session's wait is bounded (300 s).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import threading
import time
from pathlib import Path

from cnnviz.ui.classroom import POLL_S
from tests.browser.conftest import Server
from tests.streamlit_client import Session

ROOT = Path(__file__).resolve().parents[1]


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


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children (a replica is `cnnviz serve` + its Streamlit)."""
    total = 0.0
    for p in [pid, *_children(pid)]:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            pass
    return total


CELL = re.compile(r"\*\*Cell (\d+) of (\d+)\*\*")


class Student:
    """A following tab: joins with the class link, then fires the one-second follow timer like a browser."""

    def __init__(self, url: str, code: str) -> None:
        self.url, self.code = url, code
        self.seen: dict[int, float] = {}  # step shown → when it first arrived
        self.errors: list[str] = []
        self.session = Session(url)
        self.reconnected_at: float | None = None
        self.killed_at: float | None = None
        self.last = None  # the latest run (its elements: the question's box)
        self.lock = asyncio.Lock()
        self.verdict_at: float | None = None  # when the class question's verdict first showed
        self.answered = False

    async def answer_when_asked(self, stop: asyncio.Event) -> None:
        """Once the teacher's question shows (the follow check reruns the stepper), send an answer 0–5 s later."""
        import random

        from streamlit.proto.WidgetStates_pb2 import WidgetState

        while not stop.is_set() and not self.answered:
            box = next((e for e in (self.last.elements if self.last else []) if e.kind == "text_input"
                        and e.label == "Your prediction"), None)
            if box is None:
                await asyncio.sleep(0.05)
                continue
            send = self.last.widget("button", "Send")
            await asyncio.sleep(random.uniform(0, 5))
            self.session.widgets[box.id] = WidgetState(id=box.id, string_value=random.choice(["5x5", "5x5", "3x3"]))
            async with self.lock:
                self._note(await self.session.set_widget(WidgetState(id=send.id, trigger_value=True), 60,
                                                         send.fragment_id))
            self.answered = True
    def _note(self, run) -> None:
        self.last = run
        for text, t in zip(run.texts, run.text_times, strict=False):
            if self.verdict_at is None and text.startswith(("Right", "Not quite", "The answer")):
                self.verdict_at = t
        if run.exceptions:
            self.errors.append("exception drawn: " + run.exceptions[0][:100])
        for text, t in zip(run.texts, run.text_times, strict=False):
            m = CELL.fullmatch(text.strip())
            if m:
                self.seen.setdefault(int(m.group(1)), t)

    async def join(self) -> None:
        await self.session.__aenter__()
        run = await self.session.open("", f"class={self.code}")
        self._note(run)
        if 1 not in self.seen:
            raise PageError("the student did not land on the teacher's first step")

    async def follow(self, stop: asyncio.Event) -> None:
        import random

        import websockets

        await asyncio.sleep(random.random() * POLL_S)  # browsers' timers are not in phase
        while not stop.is_set():
            t = time.perf_counter()
            try:
                async with self.lock:  # one exchange at a time on the socket (an answer being sent)
                    self._note(await self.session.tick(self.session.timer(POLL_S), timeout=60, settle=0.05))
            except (websockets.ConnectionClosed, OSError, LookupError) as e:
                if self.killed_at is None:
                    self.errors.append(f"{type(e).__name__}: {e}"[:120])
                    return
                await self._reconnect(stop)
                continue
            except TimeoutError as e:
                self.errors.append(f"TimeoutError: {e}"[:120])
            await asyncio.sleep(max(0.0, POLL_S - (time.perf_counter() - t)))

    async def _reconnect(self, stop: asyncio.Event) -> None:
        """As Streamlit's frontend does after a dropped socket: retry (here every 0.5 s) until a replica answers."""
        while not stop.is_set():
            try:
                self._note(await self.session.reconnect(timeout=60))
                self.reconnected_at = time.perf_counter()
                return
            except (OSError, TimeoutError, Exception):  # noqa: BLE001 - a refused or dropped attempt: try again
                await asyncio.sleep(0.5)


async def start_class(teacher: Session, url: str, n_students: int):
    """The teacher opens Convolution and starts a class; n students join it with its link.
    (the teacher's run, the students, those who joined, the join errors)"""
    run = await teacher.open("convolution")
    run = await teacher.click(run, "Start a class")
    code = re.search(r"Teaching class \*\*([A-Z0-9]{5})", "\n".join(run.texts)).group(1)
    students = [Student(url, code) for _ in range(n_students)]
    joined = await asyncio.gather(*(s.join() for s in students), return_exceptions=True)
    join_errors = [f"{type(e).__name__}: {e}"[:120] for e in joined if isinstance(e, BaseException)]
    alive = [s for s, j in zip(students, joined, strict=True) if not isinstance(j, BaseException)]
    return run, students, alive, join_errors


async def lecture(url: str, n_students: int, steps: int, every: float, replicas: list, kill=None) -> dict:
    """A teacher steps `steps` times, `every` seconds apart, with n students following (see the module doc)."""
    async with Session(url) as teacher:
        run, students, alive, join_errors = await start_class(teacher, url, n_students)
        stop = asyncio.Event()
        tasks = [asyncio.create_task(s.follow(stop)) for s in alive]
        await asyncio.sleep(10)  # every timer running; then 10 s of idle following, CPU measured
        cpu0 = [cpu_seconds(r.proc.pid) for r in replicas]
        await asyncio.sleep(10)
        idle_cpu = [(cpu_seconds(r.proc.pid) - c) / 10 for r, c in zip(replicas, cpu0, strict=True)]
        clicks: dict[int, float] = {}
        cpu0 = [cpu_seconds(r.proc.pid) for r in replicas]
        t_start = time.perf_counter()
        killed_at = None
        with RssWatch(os.getpid()) as _:
            peaks = [RssWatch(r.proc.pid) for r in replicas]
            for w in peaks:
                w.__enter__()
            for k in range(2, steps + 2):
                clicks[k] = time.perf_counter()
                run = await teacher.click(run, "Next")
                if kill is not None and k == 4:
                    killed_at = time.perf_counter()
                    for s in alive:
                        s.killed_at = killed_at
                    kill()
                await asyncio.sleep(max(0.0, every - (time.perf_counter() - clicks[k])))
            await asyncio.sleep(5)  # the last step reaches everyone
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            for w in peaks:
                w.__exit__()
        wall = time.perf_counter() - t_start
        busy = [(cpu_seconds(r.proc.pid) - c) / wall if r.proc.poll() is None else float("nan")
                for r, c in zip(replicas, cpu0, strict=True)]
        for s in students:
            try:
                await s.session.__aexit__()
            except Exception:  # noqa: BLE001
                pass
    lags, missed, back = [], 0, []
    for s in alive:
        for k, t in clicks.items():
            if k in s.seen:
                lags.append(s.seen[k] - t)
            elif killed_at is None or not (s.reconnected_at and t < s.reconnected_at):
                missed += 1  # a step this student never showed (a student away during failover excepted)
        if killed_at is not None and s.reconnected_at is not None:
            later = [t for k, t in s.seen.items() if clicks.get(k, 0) >= killed_at or t >= s.reconnected_at]
            back.append(min(later) - killed_at if later else float("inf"))
    return {"lags": lags, "missed": missed, "errors": join_errors + [e for s in alive for e in s.errors],
            "busy": busy, "rss": [w.peak for w in peaks], "idle_cpu": idle_cpu, "back": back,
            "students": len(alive)}


async def ask_round(url: str, n_students: int, server) -> dict:
    """One "Ask the class" round on Convolution (see the module doc)."""
    async with Session(url) as teacher:
        run, students, alive, _ = await start_class(teacher, url, n_students)
        stop = asyncio.Event()
        tasks = [asyncio.create_task(s.follow(stop)) for s in alive]
        await asyncio.sleep(3)
        cpu0 = cpu_seconds(server.proc.pid)
        t_ask = time.perf_counter()
        run = await teacher.click(run, "Ask the class")
        answering = [asyncio.create_task(s.answer_when_asked(stop)) for s in alive]
        t_all = None
        while time.perf_counter() - t_ask < 120:
            tick = await teacher.tick(teacher.timer(1.0), timeout=60, settle=0.05)
            if any(f"**{len(alive)} answered**" in t for t in tick.texts):
                t_all = time.perf_counter() - t_ask
                break
            await asyncio.sleep(0.5)
        tick = await teacher.tick(teacher.timer(1.0), timeout=60, settle=0.05)
        t_reveal = time.perf_counter()
        await teacher.click(tick, "Reveal")
        while time.perf_counter() - t_reveal < 60 and any(s.verdict_at is None for s in alive):
            await asyncio.sleep(0.2)
        busy = (cpu_seconds(server.proc.pid) - cpu0) / (time.perf_counter() - t_ask)
        stop.set()
        await asyncio.gather(*tasks, *answering, return_exceptions=True)
        for s in students:
            try:
                await s.session.__aexit__()
            except Exception:  # noqa: BLE001
                pass
    seen = [s.verdict_at - t_reveal for s in alive if s.verdict_at is not None]
    return {"students": len(alive), "answered": sum(s.answered for s in alive), "all_answered_s": t_all,
            "reveal_p95": _pct(seen, .95), "reveal_max": max(seen, default=float("nan")),
            "saw_verdict": len(seen), "errors": [e for s in alive for e in s.errors], "busy": busy}


def one_server_bench(student_counts: list[int], steps: int, every: float, ask: bool) -> None:
    """Following (or one ask round) on one `cnnviz serve` with the in-process class store."""
    server = Server()
    try:
        asyncio.run(lecture(server.url, 1, 2, every, [server]))  # warm the page's first run
        if ask:
            print(f"{'students':>8}{'answered':>9}{'all answered, s after Ask':>27}{'Reveal → verdict p95 s':>24}"
                  f"{'max s':>7}{'saw it':>8}{'errors':>8}{'cores busy':>12}", flush=True)
        else:
            print(f"{'students':>8}{'p50 s':>8}{'p95 s':>8}{'max s':>8}{'missed':>8}{'errors':>8}{'cores busy':>12}"
                  f"{'idle followers: cores':>24}", flush=True)
        for n in student_counts:
            if ask:
                r = asyncio.run(ask_round(server.url, n, server))
                print(f"{r['students']:>8}{r['answered']:>9}{r['all_answered_s'] or float('nan'):>27.1f}"
                      f"{r['reveal_p95']:>24.2f}{r['reveal_max']:>7.2f}{r['saw_verdict']:>8}{len(r['errors']):>8}"
                      f"{r['busy']:>12.2f}", flush=True)
            else:
                res = asyncio.run(lecture(server.url, n, steps, every, [server]))
                lags = res["lags"]
                print(f"{res['students']:>8}{_pct(lags, .5):>8.2f}{_pct(lags, .95):>8.2f}"
                      f"{max(lags, default=float('nan')):>8.2f}{res['missed']:>8}{len(res['errors']):>8}"
                      f"{res['busy'][0]:>12.2f}{res['idle_cpu'][0]:>24.3f}", flush=True)
                r = res
            for e in sorted(set(r["errors"]))[:3]:
                print(f"{'':>10}{e}")
    finally:
        server.stop()


def _pct(values: list[float], q: float) -> float:
    return sorted(values)[max(0, round(q * len(values)) - 1)] if values else float("nan")


def hall_bench(replica_counts: list[int], student_counts: list[int], steps: int, every: float,
               failover: bool) -> None:
    from cnnviz.classroom.hall import Hall, free_port

    print(f"{'replicas':>8}{'students':>9}{'p50 s':>8}{'p95 s':>8}{'max s':>8}{'missed':>8}{'errors':>8}"
          f"{'cores busy/replica':>22}{'RSS MB/replica':>18}{'idle followers: cores':>24}", flush=True)
    for r in replica_counts:
        hall = Hall(r, free_port(), address="127.0.0.1").start()
        try:
            asyncio.run(lecture(hall.url, 1, 2, every, hall.started))  # warm every replica's first page run
            for n in student_counts:
                kill = (lambda: hall.kill(2)) if failover else None
                res = asyncio.run(lecture(hall.url, n, steps, every, hall.started, kill))
                lags = res["lags"]
                print(f"{r:>8}{res['students']:>9}{_pct(lags, .5):>8.2f}{_pct(lags, .95):>8.2f}"
                      f"{max(lags, default=float('nan')):>8.2f}{res['missed']:>8}{len(res['errors']):>8}"
                      f"{' '.join(f'{b:.2f}' for b in res['busy']):>22}"
                      f"{' '.join(f'{m:.0f}' for m in res['rss']):>18}"
                      f"{' '.join(f'{c:.3f}' for c in res['idle_cpu']):>24}", flush=True)
                for e in sorted(set(res["errors"]))[:3]:
                    print(f"{'':>10}{e}")
                if failover:
                    back = res["back"]
                    print(f"failover: {len(back)} students were on the killed replica; following again after "
                          f"p50 {_pct(back, .5):.1f} s, p95 {_pct(back, .95):.1f} s, max {max(back, default=0):.1f} s"
                          f"; classes lost: 0 (the class went on: {res['students']} students measured)", flush=True)
                    hall.revive()
        finally:
            hall.stop()


def cold_bench(pages: list[str], n: int) -> None:
    """Each page's first N visits at once on a fresh server whose serve command has finished warming — beside the
    same on a server that warms nothing (CNNVIZ_WARM_PAGES empty)."""
    print(f"{'page':<14}{'server':<12}{'N':>4}{'median s':>10}{'p95 s':>9}{'errors':>8}   (first visits, at once)")
    for page in pages:
        p95s = {}
        for kind, env in (("warms none", {"CNNVIZ_WARM_PAGES": ""}), ("as served", {})):
            server = Server(env)
            try:
                server.wait_for("Opened", 300)  # serve's warm pages are open
                times, errors = asyncio.run(stampede(server.url, page, n))
                med = statistics.median(times) if times else float("nan")
                p95s[kind] = p95(times)
                print(f"{page:<14}{kind:<12}{n:>4}{med:>10.2f}{p95s[kind]:>9.2f}{len(errors):>8}", flush=True)
            finally:
                server.stop()
        print(f"{page:<14}p95 as served ÷ warming none = {p95s['as served'] / p95s['warms none']:.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", default=",".join(PAGES))
    ap.add_argument("--sizes", default="1,10,30")
    ap.add_argument("--fresh", action="store_true", help="a new server for every page")
    ap.add_argument("--cold", type=int, default=0, metavar="N",
                    help="N visitors at once as the page's very first visits on a fresh server (after serve has "
                         "opened its warm pages, as a class arriving after the teacher started it)")
    ap.add_argument("--hall", action="store_true", help="a teacher stepping, students following through HAProxy")
    ap.add_argument("--failover", action="store_true", help="--hall, and one replica killed after step 3")
    ap.add_argument("--replicas", default="1,2,3")
    ap.add_argument("--students", default="30,60,90")
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--every", type=float, default=3.0, help="seconds between the teacher's steps")
    ap.add_argument("--follow", action="store_true", help="a teacher stepping, students following one server")
    ap.add_argument("--ask", action="store_true", help="one 'Ask the class' round on one server")
    args = ap.parse_args()
    if args.follow or args.ask:
        one_server_bench([int(v) for v in args.students.split(",")], args.steps, args.every, args.ask)
        return
    if args.hall or args.failover:
        replicas = [int(v) for v in args.replicas.split(",")] if not args.failover or "," not in args.replicas \
            else [3]
        students = [int(v) for v in args.students.split(",")] if not args.failover or "," not in args.students \
            else [30]
        hall_bench(replicas, students, args.steps, args.every, args.failover)
        return
    pages = args.pages.split(",")
    if args.cold:
        cold_bench(pages, args.cold)
        return
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
