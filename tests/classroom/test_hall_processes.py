"""An operator's first day: the pid printed is the process that serves, a busy port is refused in words, "ready" is
said only by the server that holds the port, and killing any process of a hall with SIGKILL — a replica, HAProxy,
Redis, the hall itself — loses no class and leaves no orphan (checked by walking the process table)."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cnnviz.classroom.hall import free_port, healthy, listens_here, start_server

ROOT = Path(__file__).resolve().parents[2]


def _cmdlines_with(text: str) -> list[tuple[int, str]]:
    """Every live process whose command line contains `text` (zombies excluded)."""
    found = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (d / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if text in cmd and state != "Z" and int(d.name) != os.getpid():
            found.append((int(d.name), cmd))
    return found


def _until(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.3)


@pytest.mark.unit
def test_listens_here_tells_this_processs_socket_from_another_processs():
    with socket.socket() as mine:
        mine.bind(("127.0.0.1", 0))
        mine.listen()
        assert listens_here(mine.getsockname()[1])
    port = free_port()
    other = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _until(lambda: not _port_free(port), 20, "http.server did not listen")
        assert not listens_here(port)
    finally:
        other.kill()
        other.wait()


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


@pytest.mark.slow
def test_serve_refuses_a_busy_port_in_one_sentence_and_starts_nothing():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        out = subprocess.run([sys.executable, "-m", "cnnviz", "serve", "--port", str(port), "--address", "127.0.0.1"],
                             cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and f"port {port} is in use" in out.stderr
    assert "ready" not in out.stdout and not _cmdlines_with(f"--server.port {port}")


@pytest.mark.browser
def test_the_printed_pid_serves_and_kill_9_of_it_leaves_nothing(tmp_path):
    port = free_port()
    log = tmp_path / "serve.log"
    proc = start_server(port, log)
    try:
        _until(lambda: "CNN Explorer is ready" in log.read_text() or proc.poll() is not None, 150, "never ready")
        said = re.search(r"ready: (\S+)\s+\(pid (\d+)\)", log.read_text())
        assert said and int(said[2]) == proc.pid and healthy(said[1])
        assert [pid for pid, _ in _cmdlines_with(f"--port {port}")] == [proc.pid]  # one process: no wrapper
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        _until(lambda: _port_free(port), 10, "the port is still held")
        assert not _cmdlines_with(f"--port {port}")
    finally:
        if proc.poll() is None:
            proc.kill()


def _start_hall(tmp_path: Path) -> tuple[subprocess.Popen, Path, int]:
    port = free_port()
    log = tmp_path / "hall.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "cnnviz", "hall", "--replicas", "2", "--port", str(port),
                                 "--address", "127.0.0.1"], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    _until(lambda: "The hall is ready" in log.read_text() or proc.poll() is not None, 300, "no hall")
    assert "The hall is ready" in log.read_text(), log.read_text()
    return proc, log, port


def _parts(log: Path) -> dict[str, int]:
    line = next(x for x in log.read_text().splitlines() if x.startswith("Processes"))
    return {what: int(pid) for what, pid in re.findall(r"(replica \d|HAProxy|results' Redis|Redis) pid (\d+)", line)}


@pytest.mark.browser
def test_killing_each_part_of_a_hall_is_survived_and_killing_the_hall_leaves_no_orphan(tmp_path):
    from cnnviz.classroom.redis_store import RedisStore

    proc, log, port = _start_hall(tmp_path)
    parts = _parts(log)
    assert set(parts) == {"replica 1", "replica 2", "HAProxy", "Redis", "results' Redis"}
    url, results_url = re.search(r"Redis: (\S+) \(classes; shared results: (\S+)\)", log.read_text()).groups()
    assert url != results_url  # classes and results: two Redis servers, each with its own eviction
    store = RedisStore(url)
    code, token = store.open()
    store.publish(code, token, "convolution", {"step": "3"})
    store.shutdown()
    time.sleep(1.5)  # Redis appends to its file every second
    try:
        for what, words in (("replica 1", "replica 1 had stopped"), ("HAProxy", "HAProxy had stopped"),
                            ("Redis", "Redis had stopped"), ("results' Redis", "results' Redis had stopped")):
            os.kill(parts[what], signal.SIGKILL)
            _until(lambda words=words: words in log.read_text(), 180, f"{what} was not restarted")
            _until(lambda: healthy(f"http://127.0.0.1:{port}"), 180, f"the hall did not answer after {what}")
        again = RedisStore(url)
        view = again.view(code)
        again.shutdown()
        assert view is not None and dict(view.params).get("step") == "3"  # the class survived Redis's death
        os.kill(proc.pid, signal.SIGKILL)  # the hall itself, without a chance to stop anything
        proc.wait(10)
        ports = [str(port)] + [str(p) for p in re.findall(r"127\.0\.0\.1:(\d+) pid", log.read_text())]
        _until(lambda: not any(_cmdlines_with(p) for p in [f"--port {x}" for x in ports]), 30,
               "a replica outlived the hall")
        _until(lambda: _port_free(port), 30, "HAProxy outlived the hall")
        for u in (url, results_url):
            _until(lambda u=u: _port_free(int(u.rsplit(":", 1)[1].split("/")[0])), 30, "a Redis outlived the hall")
    finally:
        if proc.poll() is None:
            proc.kill()

