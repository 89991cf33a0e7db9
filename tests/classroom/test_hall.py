"""A lecture hall for real: replicas sharing one redis-server, the hall command with HAProxy, bad input."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from cnnviz.classroom.hall import HallError, free_port, haproxy_config, program
from cnnviz.ui.classroom import POLL_S
from tests.classroom.test_concurrent_sessions import _run_async

ROOT = Path(__file__).resolve().parents[2]


def _cell(run) -> str:
    return next((t for t in run.texts if t.startswith("**Cell ")), "")


def _said(run) -> list[str]:
    """Everything a learner reads in a run: markdown and the bodies of info/warning boxes."""
    return run.texts + [e.proto.body for e in run.elements if e.kind == "alert"]


async def _tick_until(session, fragment: str, expected: str, limit: float = 30.0):
    """A follower's one-second check, as the browser fires it, until the expected text shows (bounded)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        run = await session.tick(fragment)
        assert run.ok, run.exceptions
        if any(expected in t for t in _said(run)):
            return run
        await asyncio.sleep(0.2)
    raise AssertionError(f"{expected!r} not shown within {limit} s")


async def start_class(teacher, page: str = "convolution") -> tuple[object, str]:
    run = await teacher.open(page)
    run = await teacher.click(run, "Start a class")
    code = re.search(r"Teaching class \*\*([A-Z0-9]{5})", "\n".join(run.texts)).group(1)
    return run, code


@pytest.mark.browser
def test_a_student_on_another_replica_follows_steps_without_a_page_run_and_pages_with_one(redis_url, artifacts):
    from tests.browser.conftest import Server
    from tests.streamlit_client import Session

    one, two = Server({"CNNVIZ_REDIS_URL": redis_url}), Server({"CNNVIZ_REDIS_URL": redis_url})

    async def lesson():
        async with Session(one.url) as teacher, Session(two.url) as student:
            run, code = await start_class(teacher)
            first = await student.open("", f"class={code}")
            assert first.ok and _cell(first) == "**Cell 1 of 25**"
            follow = student.timer(POLL_S)
            for n in (2, 3, 4):
                run = await teacher.click(run, "Next")
                seen = await _tick_until(student, follow, f"Cell {n} of 25")
                assert seen.full_runs == 0  # only the stepper's fragment reran on the student's replica
                assert f"step={n - 1}" in student.query  # the student's link keeps the step (a reconnect keeps it)
            idle = await student.tick(follow)
            assert idle.full_runs == 0 and not idle.texts  # nothing changed: the check draws nothing
            await teacher.open("pooling")
            moved = await _tick_until(student, follow, "Cell 1 of")
            assert moved.full_runs >= 1 and any("pooled on its own" in t for t in moved.texts)

    try:
        _run_async(lesson())
    finally:
        one.stop()
        two.stop()
    for s in (one, two):
        assert "Traceback" not in s.log.read_text(errors="replace")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] != "Z"


@pytest.mark.browser
def test_the_hall_command_serves_through_haproxy_and_stops_everything_it_started(tmp_path):
    port = free_port()
    log = tmp_path / "hall.log"
    proc = subprocess.Popen([sys.executable, "-m", "cnnviz", "hall", "--replicas", "2", "--port", str(port),
                             "--address", "127.0.0.1"], cwd=ROOT, stdout=open(log, "w"), stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 240
        while "The hall is ready" not in log.read_text() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.3)
        out = log.read_text()
        assert "The hall is ready: http://127.0.0.1:" in out, out
        replicas = re.findall(r"replica (\d): http://127\.0\.0\.1:(\d+) pid (\d+)", out)
        assert [r[0] for r in replicas] == ["1", "2"]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=5) as r:
            assert r.read() == b"ok"
            assert any("cnnviz_replica=" in c for c in r.headers.get_all("Set-Cookie") or [])  # sticky: one tab, one replica
        children = [int(p) for p in Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()]
        assert len(children) >= 4  # Redis, two replicas, HAProxy
        pids = [int(r[2]) for r in replicas] + children
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
    assert "The hall has stopped" in log.read_text()
    assert not [p for p in pids if _alive(p)]
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cnnviz", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)


@pytest.mark.slow
def test_a_busy_port_or_an_unreachable_redis_is_one_line_exit_2_and_nothing_left_running():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        out = _cli("hall", "--replicas", "1", "--port", str(busy.getsockname()[1]), "--address", "127.0.0.1")
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "is in use" in out.stderr
    assert "Starting" not in out.stdout
    out = _cli("hall", "--port", str(free_port()), "--redis", f"redis://127.0.0.1:{free_port()}/0")
    assert out.returncode == 2 and "no Redis answers at" in out.stderr and out.stderr.count("\n") == 1
    out = _cli("hall", "--port", str(free_port()), "--redis", "http://nowhere")
    assert out.returncode == 2 and "not a Redis URL" in out.stderr
    out = _cli("hall", "--replicas", "0")
    assert out.returncode == 2 and "--replicas must be 1 to 16" in out.stderr


@pytest.mark.unit
def test_a_missing_program_names_the_package_to_install():
    with pytest.raises(HallError, match="apt-get install redis-server haproxy"):
        program("no-such-program-cnnviz")


@pytest.mark.unit
def test_haproxy_keeps_a_tab_on_its_replica_checks_health_and_sends_a_dead_replicas_clients_elsewhere():
    conf = haproxy_config("0.0.0.0", 8501, [9001, 9002, 9003])
    assert "cookie cnnviz_replica insert indirect nocache" in conf and "option redispatch" in conf
    assert "option httpchk GET /_stcore/health" in conf and "inter 1000" in conf
    assert "timeout tunnel 1h" in conf
    assert re.findall(r"server r(\d) 127\.0\.0\.1:(\d+) check cookie r\d", conf) == [
        ("1", "9001"), ("2", "9002"), ("3", "9003")]


@pytest.mark.browser
def test_redis_stopped_is_said_to_teacher_and_students_and_following_resumes_when_it_is_back(redis_server):
    from cnnviz.classroom.hall import LocalRedis
    from tests.browser.conftest import Server
    from tests.streamlit_client import Session

    own = LocalRedis(redis_server.workdir.parent / "app-restart").start()
    server = Server({"CNNVIZ_REDIS_URL": own.url})

    async def lesson():
        async with Session(server.url) as teacher, Session(server.url) as student:
            run, code = await start_class(teacher)
            await student.open("", f"class={code}")
            follow, panel = student.timer(POLL_S), teacher.timer(3.0)
            run = await teacher.click(run, "Next")
            await _tick_until(student, follow, "Cell 2 of 25")
            own.stop()
            warned = await _tick_until(student, follow, "cannot be reached")
            assert any("following resumes by itself" in t for t in _said(warned))
            run = await teacher.click(run, "Next")  # the teacher keeps teaching: the page works
            assert run.ok and _cell(run) == "**Cell 3 of 25**"
            told = await teacher.tick(panel)
            assert any("cannot be reached" in t for t in _said(told))
            own.start()  # back, and empty: the teacher's panel sends the view again and restores the class
            deadline, moved = time.monotonic() + 60, False
            while time.monotonic() < deadline:  # the page moves once (perhaps while the warning is still on),
                await teacher.tick(panel)  # then the follow check's own redraw drops the warning
                got = await student.tick(follow)
                moved = moved or any("Cell 3 of 25" in t for t in got.texts)
                if moved and not any("cannot be reached" in t for t in _said(got)):
                    break
                await asyncio.sleep(0.5)
            else:
                raise AssertionError("following did not resume within 60 s of Redis's return")

    try:
        _run_async(lesson())
    finally:
        server.stop()
        own.stop()
    assert "Traceback" not in server.log.read_text(errors="replace")
