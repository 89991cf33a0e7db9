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
import os
import signal
import sys
import threading
import time
from pathlib import Path

from cnnviz.classroom.hall import healthy, listens_here, port_free
from cnnviz.errors import CnnvizError

APP = Path(__file__).resolve().parents[2] / "app.py"
START_S = 120  # a cold start imports torch and Streamlit: give it time, but not forever
WARM_PAGES = ("networks", "backward", "architectures")  # a cold first visit imports torch(vision), loads a network or
# traces every built-in architecture (Architectures' comparison): seconds on 2 cores, done here once instead


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
    """This process becomes the Streamlit server (in-process, not a child): the pid an operator sees is the one that
    serves, so `kill -9` of it takes the server down and leaves nothing behind. A thread says "ready" once this very
    process listens on the port and answers, then opens the root and the warm pages once."""
    port, address = args.port, args.address
    if not port_free(port, address or "0.0.0.0"):
        raise CnnvizError(f"port {port} is in use: choose another with --port, or stop what uses it")
    extra = list(args.streamlit_args)
    if extra[:1] == ["--"]:
        extra = extra[1:]
    url = f"http://{'127.0.0.1' if address in ('0.0.0.0', '') else address}:{port}"
    threading.Thread(target=_announce, args=(url, port), name="cnnviz-ready", daemon=True).start()
    from streamlit.web import cli as streamlit_cli

    os.chdir(APP.parent)  # the project's .streamlit/config.toml
    sys.argv = ["streamlit", "run", str(APP), "--server.port", str(port), "--server.address", address, *extra]
    streamlit_cli.main(prog_name="streamlit")  # exits the process when the server stops


def _announce(url: str, port: int) -> None:
    """"ready" only when the server that answers is this process's own (not another that holds the port)."""
    deadline = time.monotonic() + START_S
    while not (listens_here(port) and healthy(url)):
        if time.monotonic() > deadline:
            print(f"warning: the app did not answer on {url} within {START_S} s", flush=True)
            return
        time.sleep(0.3)
    try:
        open_root_once(url)
        print(f"CNN Explorer is ready: {url}  (pid {os.getpid()})", flush=True)
    except Exception as e:  # noqa: BLE001 - the app still serves; only the first deep link shows a notice
        print(f"warning: could not open the app once at its root ({e.__class__.__name__}: {e})", flush=True)
    warm(url, warm_pages())


def warm_pages() -> tuple[str, ...]:
    """WARM_PAGES, or the comma-separated pages of CNNVIZ_WARM_PAGES ("" for none: the benchmark's baseline)."""
    given = os.environ.get("CNNVIZ_WARM_PAGES")
    return WARM_PAGES if given is None else tuple(p for p in given.split(",") if p.strip())


def warm(url: str, pages: tuple[str, ...] = WARM_PAGES) -> None:
    """Open `pages` once, after the app is ready (a visitor meanwhile is served at once and shares the work)."""
    if not pages:
        print("Opened no page once (CNNVIZ_WARM_PAGES is empty).", flush=True)
        return
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
    """Redis, N replicas and HAProxy on this machine, until Ctrl-C or SIGTERM; then nothing is left running (nor
    after a SIGKILL of this process: every part dies with it)."""
    from cnnviz.classroom.hall import Hall

    hall = Hall(args.replicas, args.port, args.redis, args.address, results_url=args.results_redis)
    hall.check()  # a missing program, a port in use, an unreachable Redis: one line, exit 2, nothing started

    def stop(signum, frame) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    ready = False
    try:
        print(f"Starting a hall of {args.replicas} replica(s)…", flush=True)
        hall.start(on_replica=lambda r: print(f"replica {r.index}: {r.url} pid {r.proc.pid}", flush=True))
        ready = True
        print(f"Redis: {hall.redis_url} (classes; shared results: {hall.results_url or hall.redis_url})", flush=True)
        print("Processes (kill -9 any of them to test failover; the hall restarts it): "
              + ", ".join(f"{what} pid {pid}" for what, pid in hall.parts()), flush=True)
        print(f"The hall is ready: {hall.url}  (students open this address; Ctrl-C stops everything)", flush=True)
        while True:
            time.sleep(1)
            for line in hall.revive():  # HAProxy sent a dead replica's clients elsewhere; it rejoins once healthy
                print(line, flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        hall.stop()
        if ready:
            print("The hall has stopped: replicas, HAProxy" + (" and Redis" if args.redis is None else "") + ".",
                  flush=True)
        else:
            print("The hall did not start; nothing it began is left running.", flush=True)


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
                   help="an existing Redis (redis://HOST:PORT/DB) for the classes; without it the hall starts its "
                        "own on 127.0.0.1 (never evicting), and one more for the shared results (least-recently-used)")
    h.add_argument("--results-redis", default=None, metavar="URL",
                   help="an existing Redis for the shared results (best with maxmemory-policy allkeys-lru; "
                        "default: the hall's own, or --redis)")
    h.add_argument("--address", default="0.0.0.0", help="where HAProxy listens (0.0.0.0: the class's network)")
    h.set_defaults(func=cmd_hall)
