"""`python -m cnnviz serve`: start the app with its production config, and open it once at its root.

Streamlit runs the *first* script run of a server process in its old `pages/` mode; when that
first request is a deep link (a student's /convolution link, right after the teacher starts the
server), Streamlit shows "Page not found" over the right page. Serving through this command makes
that first run happen here, at the root, before anyone connects: every visitor's link then goes
straight through the app's navigation. Then, with the app already serving, it opens the pages a lecture
opens first that import torch and build a network (`WARM_PAGES`) once itself, so that their first visitor waits no
longer than every later one. Nothing else differs from `streamlit run app.py`.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app.py"
START_S = 120  # a cold start imports torch and Streamlit: give it time, but not forever
WARM_PAGES = ("networks", "backward")  # a cold first visit imports torch(vision) and loads a network: ~6 s on 2 cores


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
            return r.read() == b"ok"
    except OSError:
        return False


def open_root_once(url: str, timeout: float = START_S) -> None:
    """One script run of the app at its root, as a first visitor's would be."""
    visit(url, "", timeout)


def visit(url: str, page: str, timeout: float = START_S) -> None:
    """One script run of `page` (its URL path; "" is the root) over Streamlit's websocket, in a session of its own:
    what it imports, loads and caches is there for every later session of the process."""
    import asyncio

    import websockets
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    async def visit() -> None:
        ws_url = url.replace("http://", "ws://") + "/_stcore/stream"
        async with websockets.connect(ws_url, subprotocols=["streamlit"], max_size=2**28) as ws:  # type: ignore[list-item]
            msg = BackMsg()
            msg.rerun_script.page_name = page
            await ws.send(msg.SerializeToString())
            while True:
                fwd = ForwardMsg()
                fwd.ParseFromString(await ws.recv())
                if fwd.WhichOneof("type") == "script_finished":
                    return

    asyncio.run(asyncio.wait_for(visit(), timeout))


def cmd_serve(args) -> None:
    port, address = args.port, args.address
    extra = list(args.streamlit_args)
    if extra[:1] == ["--"]:
        extra = extra[1:]
    cmd = [sys.executable, "-m", "streamlit", "run", str(APP), "--server.port", str(port),
           "--server.address", address, *extra]
    proc = subprocess.Popen(cmd, cwd=APP.parent)

    def stop(signum, frame) -> None:  # pass Ctrl-C / a service stop on to Streamlit
        proc.send_signal(signum)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    url = f"http://{'127.0.0.1' if address in ('0.0.0.0', '') else address}:{port}"
    deadline = time.monotonic() + START_S
    while proc.poll() is None and time.monotonic() < deadline and not _healthy(url):
        time.sleep(0.3)
    if proc.poll() is None and _healthy(url):
        try:
            open_root_once(url)
            print(f"CNN Explorer is ready: {url}", flush=True)
        except Exception as e:  # noqa: BLE001 - the app still serves; only the first deep link shows a notice
            print(f"warning: could not open the app once at its root ({e.__class__.__name__}: {e})", flush=True)
        warm(url)
    sys.exit(proc.wait())


def warm(url: str, pages: tuple[str, ...] = WARM_PAGES) -> None:
    """Open `pages` once, after the app is ready (a visitor meanwhile is served at once and shares the work)."""
    t = time.monotonic()
    try:
        for page in pages:
            visit(url, page)
    except Exception as e:  # noqa: BLE001 - the pages still work; only their first visitor waits longer
        print(f"warning: could not open {page} once ({e.__class__.__name__}: {e})", flush=True)
        return
    print(f"Opened {', '.join(pages)} once in {time.monotonic() - t:.1f} s: their first visitors wait no longer "
          "than later ones.", flush=True)


def cmd_hall(args) -> None:
    """Redis, N replicas and HAProxy on this machine, until Ctrl-C or SIGTERM; then nothing is left running."""
    from cnnviz.classroom.hall import Hall

    hall = Hall(args.replicas, args.port, args.redis, args.address)
    hall.check()  # a missing program, a port in use, an unreachable Redis: one line, exit 2, nothing started

    def stop(signum, frame) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        print(f"Starting a hall of {args.replicas} replica(s)…", flush=True)
        hall.start(on_replica=lambda r: print(f"replica {r.index}: {r.url} pid {r.proc.pid}", flush=True))
        print(f"Redis: {hall.redis_url}", flush=True)
        print(f"The hall is ready: {hall.url}  (students open this address; Ctrl-C stops everything)", flush=True)
        while True:
            time.sleep(1)
            for r in hall.restart_dead():  # HAProxy sent its clients elsewhere; it rejoins once healthy
                print(f"replica {r.index} had stopped and was restarted: {r.url} pid {r.proc.pid}", flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        hall.stop()
        print("The hall has stopped: replicas, HAProxy" + (" and Redis" if args.redis is None else "") + ".",
              flush=True)


def register(sub) -> None:
    """Add `serve` and `hall` to the top-level parser."""
    p = sub.add_parser("serve", help="start the app (Streamlit, the project's config) and open it once at its root")
    p.add_argument("--port", type=int, default=8501)
    p.add_argument("--address", default="0.0.0.0", help="0.0.0.0: reachable by a class on the network")
    p.add_argument("streamlit_args", nargs=argparse.REMAINDER,
                   help="anything after -- goes to `streamlit run` (e.g. -- --server.headless true)")
    p.set_defaults(func=cmd_serve)
    h = sub.add_parser("hall", help="a lecture hall: Redis, N replicas of the app and HAProxy in front (Ctrl-C stops all)")
    h.add_argument("--replicas", type=int, default=2, help="app processes (about one per core)")
    h.add_argument("--port", type=int, default=8501, help="the port students open (HAProxy)")
    h.add_argument("--redis", default=None, metavar="URL",
                   help="an existing Redis (redis://HOST:PORT/DB); without it the hall starts its own on 127.0.0.1")
    h.add_argument("--address", default="0.0.0.0", help="where HAProxy listens (0.0.0.0: the class's network)")
    h.set_defaults(func=cmd_hall)
