"""A lecture hall on one machine: a Redis server, N replicas of the app and HAProxy in front of them.

`python -m cnnviz hall --replicas N --port P` uses this: every part is a child process started with a config
of its own in a temporary directory, bound to 127.0.0.1 except HAProxy's front (the address students open),
and stopped in reverse order. Tests use the same pieces (`LocalRedis` for the store's contract, `Hall` for
cross-replica following and failover).

HAProxy, as Streamlit needs it: cookie-inserted stickiness (`cookie cnnviz_replica insert indirect nocache`:
one browser stays on its replica, whose websocket session and media files live in its memory), `option
redispatch` (a client whose replica died is sent to a live one: its browser reconnects and, because every
link carries the page, the step and the class code, follows again), `timeout tunnel 1h` for websockets, and a
health check on `/_stcore/health` every second (a dead replica is out after two failed checks).
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from cnnviz.errors import CnnvizError

ROOT = Path(__file__).resolve().parents[2]
REDIS_MAXMEMORY_MB = 512  # classes (a few KB each, a shared photo ≤ 4 MB); the shared results have as much again
HEALTH_INTERVAL_MS = 1000
INSTALL = ("sudo apt-get install redis-server haproxy  (Debian/Ubuntu; both are distribution packages, "
           "nothing else is needed)")


class HallError(CnnvizError):
    """A hall that cannot start: a missing program, a port in use, an unreachable Redis."""


HALL_DIR = "cnnviz-hall-"  # + the hall's pid: a hall killed with SIGKILL cannot remove its own directory


def _sweep_stale_dirs() -> None:
    """Remove the temporary directories of halls whose process is gone (a SIGKILL leaves them behind)."""
    for d in Path(tempfile.gettempdir()).glob(f"{HALL_DIR}*-*"):
        pid = d.name[len(HALL_DIR):].split("-", 1)[0]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists() and Path("/proc").is_dir():
            shutil.rmtree(d, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_free(port: int, address: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((address, port))
        except OSError:
            return False
    return True


def program(name: str) -> str:
    """The full path of redis-server or haproxy (Debian puts haproxy in /usr/sbin, not always on PATH)."""
    found = shutil.which(name) or next((str(p) for p in (Path("/usr/sbin") / name, Path("/usr/bin") / name)
                                        if p.exists()), None)
    if not found:
        raise HallError(f"{name} is not installed: {INSTALL}")
    return found


def _die_with_parent() -> None:
    """In the child, before exec: SIGTERM when the hall's process dies, even by SIGKILL (Linux's
    PR_SET_PDEATHSIG) — so no replica, HAProxy or Redis outlives a hall that could not stop them itself."""
    if _PRCTL is not None:
        _PRCTL(1, signal.SIGTERM)  # 1: PR_SET_PDEATHSIG


def _load_prctl():
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl  # loaded here: a forked child must not import
    except (OSError, AttributeError):
        return None  # not Linux: the hall's own stop() is the only guard


_PRCTL = _load_prctl()


def spawn(args: list[str], log: Path | None = None, **kw) -> subprocess.Popen:
    """A child of the hall in a process group of its own (stopped as a group), writing to `log`, that dies with
    the hall. The log is opened for the child and closed here at once (the child keeps its own handle)."""
    out = open(log, "w") if log is not None else subprocess.DEVNULL  # noqa: SIM115 - closed below, once passed on
    try:
        return subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                                preexec_fn=_die_with_parent, **kw)
    finally:
        if log is not None:
            out.close()  # type: ignore[union-attr]


def start_server(port: int, log: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    """`python -m cnnviz serve` on 127.0.0.1:`port`, headless: one replica of a hall, or the tests' server. Its pid
    is the serving process (serve runs Streamlit in-process)."""
    env = dict(os.environ, STREAMLIT_BROWSER_GATHER_USAGE_STATS="false", **(env or {}))
    return spawn([sys.executable, "-m", "cnnviz", "serve", "--port", str(port), "--address", "127.0.0.1", "--",
                  "--server.headless", "true"], log, cwd=ROOT, env=env)


def _stop(proc: subprocess.Popen, sig: int = signal.SIGTERM, wait: float = 15) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, sig)  # the process and anything it started
    except ProcessLookupError:
        return
    try:
        proc.wait(wait)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


def _wait(check, what: str, proc: subprocess.Popen, timeout: float, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log.read_text(errors="replace")[-400:] if log and log.exists() else ""
            raise HallError(f"{what} stopped at start (exit {proc.returncode}): {tail.strip()}")
        if check():
            return
        time.sleep(0.2)
    raise HallError(f"{what} did not become ready within {timeout:.0f} s")


class LocalRedis:
    """redis-server on 127.0.0.1 with a config of its own in `workdir`.

    Two kinds, each with its own eviction (one Redis has one policy): the classes' (`cache=False`: an append-only
    file, so a killed Redis restarted by the hall reloads its classes; `noeviction`, so a class a teacher holds is
    never dropped to make room — a full Redis refuses a write, and the store says so) and the shared results'
    (`cache=True`: nothing persisted, least-recently-used results evicted: each can be computed again)."""

    def __init__(self, workdir: Path, port: int | None = None, maxmemory_mb: int = REDIS_MAXMEMORY_MB,
                 cache: bool = False) -> None:
        self.workdir, self.port = Path(workdir), port or free_port()
        self.maxmemory_mb, self.cache = maxmemory_mb, cache
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> LocalRedis:
        binary = program("redis-server")
        if not port_free(self.port):
            raise HallError(f"port {self.port} (Redis) is in use: choose another or stop what uses it")
        self.workdir.mkdir(parents=True, exist_ok=True)
        conf = self.workdir / "redis.conf"
        conf.write_text("\n".join([
            "bind 127.0.0.1", f"port {self.port}", f"dir {self.workdir}", "save \"\"",
            *(["appendonly no", "maxmemory-policy allkeys-lru"] if self.cache else
              ["appendonly yes", "appendfsync everysec", "maxmemory-policy noeviction"]),
            "protected-mode yes", f"maxmemory {self.maxmemory_mb}mb",
            f"logfile {self.workdir / 'redis.log'}", "daemonize no", ""]))
        self.proc = spawn([binary, str(conf)])
        _wait(self._pings, "redis-server", self.proc, 20, self.workdir / "redis.log")
        return self

    def _pings(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.proc is not None:
            _stop(self.proc)


def healthy(url: str) -> bool:
    """Whether a Streamlit server answers its health route at `url`."""
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
            return bool(r.read() == b"ok")
    except OSError:
        return False


def _listening_inodes(port: int) -> set[str]:
    """Socket inodes listening on `port` (any address), from /proc/net/tcp and tcp6."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            if len(cols) > 9 and cols[3] == "0A" and int(cols[1].rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                found.add(cols[9])
    return found


def listens_here(port: int) -> bool:
    """Whether this process holds the listening socket on `port` — so a health answer there is its own, not that of
    another server which had the port first. Without /proc (not Linux) it cannot tell, and says True."""
    if not Path("/proc/self/fd").is_dir():
        return True
    inodes = _listening_inodes(port)
    for fd in os.listdir("/proc/self/fd"):
        try:
            link = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:[") and link[8:-1] in inodes:
            return True
    return False


@dataclass
class Replica:
    index: int
    port: int
    proc: subprocess.Popen
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def haproxy_config(front_address: str, front_port: int, replica_ports: list[int]) -> str:
    """HAProxy in front of Streamlit replicas: sticky by cookie, websockets kept open, dead replicas skipped."""
    servers = "\n".join(f"    server r{i + 1} 127.0.0.1:{p} check cookie r{i + 1}"
                        for i, p in enumerate(replica_ports))
    return f"""global
    maxconn 4096

defaults
    mode http
    option redispatch
    retries 3
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    timeout tunnel 1h
    timeout http-request 10s

frontend hall
    bind {front_address}:{front_port}
    default_backend replicas

backend replicas
    balance roundrobin
    cookie cnnviz_replica insert indirect nocache
    option httpchk GET /_stcore/health
    http-check expect string ok
    default-server inter {HEALTH_INTERVAL_MS} fall 2 rise 2
{servers}
"""


@dataclass
class Hall:
    """Redis (own or given), N replicas and HAProxy; `start()` returns when the hall answers, `stop()` ends all."""

    replicas: int
    port: int
    redis_url: str | None = None
    address: str = "0.0.0.0"
    results_url: str | None = None  # where shared results go (default: the hall's own results Redis, or redis_url)
    workdir: Path | None = None
    started: list[Replica] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not 1 <= self.replicas <= 16:
            raise HallError(f"--replicas must be 1 to 16 (got {self.replicas})")
        if self.workdir is None:
            _sweep_stale_dirs()
        self._tmp = Path(self.workdir or tempfile.mkdtemp(prefix=f"{HALL_DIR}{os.getpid()}-"))
        self._redis: LocalRedis | None = None
        self._results: LocalRedis | None = None
        self._haproxy: subprocess.Popen | None = None
        self._secret = secrets.token_hex(16)  # one cookie secret: XSRF tokens (uploads) valid on every replica

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.address in ("0.0.0.0", "") else self.address
        return f"http://{host}:{self.port}"

    def check(self) -> None:
        """Everything that can be checked before anything starts (nothing is left running on a failure)."""
        program("haproxy")
        if self.redis_url is None:
            program("redis-server")
        else:
            from cnnviz.classroom.redis_store import check_url

            check_url(self.redis_url)
        if self.results_url is not None:
            from cnnviz.classroom.redis_store import check_url

            check_url(self.results_url)
        if not port_free(self.port, self.address if self.address not in ("", "0.0.0.0") else "0.0.0.0"):
            raise HallError(f"port {self.port} is in use: choose another with --port, or stop what uses it")

    def start(self, on_replica=None) -> Hall:
        self.check()
        try:
            if self.redis_url is None:
                self._redis = LocalRedis(self._tmp / "redis").start()
                self.redis_url = self._redis.url
                if self.results_url is None:
                    self._results = LocalRedis(self._tmp / "results", cache=True).start()
                    self.results_url = self._results.url
            for k in range(self.replicas):
                self.started.append(self._start_replica(k))
            for r in self.started:
                _wait(lambda r=r: "CNN Explorer is ready" in r.log.read_text(errors="replace"),
                      f"replica {r.index}", r.proc, 180, r.log)
                if on_replica:
                    on_replica(r)
            self._start_haproxy()
        except BaseException:
            self.stop()
            raise
        return self

    def _start_replica(self, k: int, port: int | None = None) -> Replica:
        port = port or free_port()
        log = self._tmp / f"replica-{k + 1}.log"
        proc = start_server(port, log, {"CNNVIZ_REDIS_URL": str(self.redis_url),
                                        "CNNVIZ_RESULTS_REDIS_URL": str(self.results_url or self.redis_url),
                                        "STREAMLIT_SERVER_COOKIE_SECRET": self._secret})
        return Replica(k + 1, port, proc, log)

    def _start_haproxy(self) -> None:
        conf = self._tmp / "haproxy.cfg"
        conf.write_text(haproxy_config(self.address or "0.0.0.0", self.port, [r.port for r in self.started]))
        log = self._tmp / "haproxy.log"
        # one process, in the foreground (-db): master-worker mode (-W) would orphan its worker if the master died
        self._haproxy = spawn([program("haproxy"), "-db", "-f", str(conf)], log)
        _wait(lambda: healthy(self.url), "haproxy", self._haproxy, 30, log)

    def revive(self) -> list[str]:
        """Start again whatever part has stopped — a replica on its own port (HAProxy's check lets it back in),
        HAProxy on the students' port, our Redis on its port (its append-only file brings the classes back) —
        and say so, one line each."""
        said = []
        if self._redis is not None and self._redis.proc is not None and self._redis.proc.poll() is not None:
            self._redis.start()
            said.append(f"Redis had stopped and was restarted, its classes reloaded: pid {self._redis.proc.pid}")
        if self._results is not None and self._results.proc is not None and self._results.proc.poll() is not None:
            self._results.start()
            said.append(f"The results' Redis had stopped and was restarted (empty: results are computed again): "
                        f"pid {self._results.proc.pid}")
        for i, r in enumerate(self.started):
            if r.proc.poll() is not None:
                self.started[i] = self._start_replica(r.index - 1, r.port)
                said.append(f"replica {r.index} had stopped and was restarted: {r.url} pid {self.started[i].proc.pid}")
        if self._haproxy is not None and self._haproxy.poll() is not None:
            self._start_haproxy()
            said.append(f"HAProxy had stopped and was restarted: {self.url} pid {self._haproxy.pid}")
        return said

    def parts(self) -> list[tuple[str, int]]:
        """(what, pid) of every process the hall runs: what an operator may kill to test failover."""
        out = [(f"replica {r.index}", r.proc.pid) for r in self.started]
        if self._haproxy is not None:
            out.append(("HAProxy", self._haproxy.pid))
        if self._redis is not None and self._redis.proc is not None:
            out.append(("Redis", self._redis.proc.pid))
        if self._results is not None and self._results.proc is not None:
            out.append(("results' Redis", self._results.proc.pid))
        return out

    def kill(self, index: int) -> None:
        """SIGKILL one replica (the failover test and benchmark): no goodbye to its clients."""
        r = self.started[index - 1]
        os.killpg(r.proc.pid, signal.SIGKILL)
        r.proc.wait(10)

    def pids(self) -> list[int]:
        return [pid for _, pid in self.parts()]

    def stop(self) -> None:
        """HAProxy first (no new clients), then the replicas, then our own Redis servers; the temporary files go."""
        if self._haproxy is not None:
            _stop(self._haproxy)
        for r in self.started:
            _stop(r.proc)
        for own in (self._redis, self._results):
            if own is not None:
                own.stop()
        if self.workdir is None:
            shutil.rmtree(self._tmp, ignore_errors=True)
