"""A minimal Streamlit client over the app's own websocket protocol, for load and concurrency tests.

It does what a browser tab does: connect to /_stcore/stream, ask for a page (a rerun_script
BackMsg with the page name and query string), read ForwardMsgs until the script run finishes,
and send widget changes back. Loopback only; every wait is bounded.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

FINISHED = ForwardMsg.ScriptFinishedStatus


@dataclass
class Element:
    kind: str
    label: str
    id: str
    proto: object = field(repr=False)
    fragment_id: str = ""  # set when the element belongs to an st.fragment (a click reruns only that)


@dataclass
class Run:
    seconds: float
    elements: list[Element]
    exceptions: list[str]
    page_not_found: bool
    texts: list[str]
    full_runs: int = 0  # whole-page script runs in this exchange (0: only fragments ran)
    text_times: list[float] = field(default_factory=list)  # perf_counter() when each of `texts` arrived

    @property
    def ok(self) -> bool:
        return not self.exceptions and not self.page_not_found

    def widget(self, kind: str, label: str) -> Element:
        for e in self.elements:
            if e.kind == kind and e.label.startswith(label):
                return e
        raise LookupError(f"no {kind} labelled {label!r}; have {[(e.kind, e.label) for e in self.elements if e.id]}")


class Session:
    """One browser tab's worth of protocol."""

    def __init__(self, base_url: str) -> None:
        self.ws_url = base_url.replace("http://", "ws://") + "/_stcore/stream"
        self.ws = None
        self.widgets: dict[str, WidgetState] = {}
        self.page = ""
        self.page_hash = ""  # after a switch_page the server names the page by its hash, as the browser then does
        self.query = ""
        self.timers: dict[str, float] = {}  # fragment id → seconds: st.fragment(run_every=…) timers the page asked for

    async def __aenter__(self) -> Session:
        self.ws = await websockets.connect(self.ws_url, subprotocols=["streamlit"], max_size=2**28,
                                           open_timeout=60, ping_interval=None)
        return self

    async def __aexit__(self, *exc) -> None:
        await self.ws.close()

    async def reconnect(self, timeout: float = 300) -> Run:
        """What a browser tab does when its websocket drops: connect again and run its current page and link
        (through a load balancer that may be another replica: a new session there)."""
        try:
            await self.ws.close()
        except Exception:  # noqa: BLE001 - the old socket is already dead
            pass
        self.ws = await websockets.connect(self.ws_url, subprotocols=["streamlit"], max_size=2**28,
                                           open_timeout=10, ping_interval=None)
        self.widgets, self.timers = {}, {}
        return await self._rerun(self.query, timeout)

    async def open(self, page: str, query: str = "", timeout: float = 300) -> Run:
        self.page, self.page_hash, self.query = page, "", query
        self.widgets, self.timers = {}, {}
        return await self._rerun(query, timeout)

    def timer(self, seconds: float) -> str:
        """The fragment id of the page's timer that fires every `seconds` (a student's follow check: 1 s)."""
        for fid, every in self.timers.items():
            if abs(every - seconds) < 1e-6:
                return fid
        raise LookupError(f"no {seconds} s timer; have {self.timers}")

    async def tick(self, fragment_id: str, timeout: float = 300, settle: float = 0.3) -> Run:
        """One firing of a fragment timer, as the browser sends it, and every run it leads to (a page switch,
        another fragment the server reruns next): read until the server has been quiet for `settle` seconds."""
        t0 = time.perf_counter()
        runs = [await self._rerun(self.query, timeout, fragment_id, auto=True)]
        while True:
            try:
                runs.append(await self._read_run(time.perf_counter(), timeout, "any", first_wait=settle))
            except TimeoutError:
                break
        return Run(time.perf_counter() - t0, [e for r in runs for e in r.elements],
                   [x for r in runs for x in r.exceptions], any(r.page_not_found for r in runs),
                   [x for r in runs for x in r.texts], sum(r.full_runs for r in runs),
                   [x for r in runs for x in r.text_times])

    async def set_widget(self, state: WidgetState, timeout: float = 300, fragment_id: str = "") -> Run:
        self.widgets[state.id] = state
        run = await self._rerun(self.query, timeout, fragment_id)  # the browser sends its address's query each time
        if state.HasField("trigger_value"):
            self.widgets.pop(state.id, None)  # a click is an event, not a state
        return run

    async def select(self, run: Run, label: str, option: str, timeout: float = 300) -> Run:
        el = run.widget("selectbox", label)
        return await self.set_widget(WidgetState(id=el.id, string_value=option), timeout)

    async def click(self, run: Run, label: str, timeout: float = 300) -> Run:
        el = run.widget("button", label)
        return await self.set_widget(WidgetState(id=el.id, trigger_value=True), timeout, el.fragment_id)

    async def _rerun(self, query: str, timeout: float, fragment_id: str = "", auto: bool = False) -> Run:
        msg = BackMsg()
        msg.rerun_script.fragment_id = fragment_id
        msg.rerun_script.is_auto_rerun = auto
        msg.rerun_script.query_string = query
        if self.page_hash:
            msg.rerun_script.page_script_hash = self.page_hash
        else:
            msg.rerun_script.page_name = self.page
        msg.rerun_script.widget_states.widgets.extend(self.widgets.values())
        t0 = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        return await self._read_run(t0, timeout, fragment_id)

    async def _read_run(self, t0: float, timeout: float, fragment_id: str, first_wait: float | None = None) -> Run:
        """Messages until a run finishes (a run that ends early for a rerun is followed into the next one)."""
        elements: list[Element] = []
        exceptions: list[str] = []
        texts: list[str] = []
        text_times: list[float] = []
        not_found = False
        full_runs = 0
        deadline = t0 + timeout
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                raise TimeoutError(f"page {self.page!r} did not finish within {timeout:.0f} s")
            if first_wait is not None:  # until another run starts: nothing within this window ends the exchange
                try:
                    raw = await asyncio.wait_for(self.ws.recv(), min(first_wait, left))
                except TimeoutError:
                    raise TimeoutError("quiet") from None
            else:
                raw = await asyncio.wait_for(self.ws.recv(), left)
            fwd = ForwardMsg()
            fwd.ParseFromString(raw)
            kind = fwd.WhichOneof("type")
            if kind == "new_session":  # a run starts (a page's or a fragment's)
                first_wait = None
            elif kind == "navigation":  # a whole page runs (st.navigation): what the browser asks for next
                full_runs += 1
                self.timers = {}
                new_hash = fwd.navigation.page_script_hash
                if self.page_hash and new_hash != self.page_hash:
                    self.widgets = {}  # another page: its widgets start afresh, as in a browser
                self.page_hash = new_hash
            elif kind == "page_info_changed":
                self.query = fwd.page_info_changed.query_string
            elif kind == "auto_rerun":
                self.timers[fwd.auto_rerun.fragment_id] = fwd.auto_rerun.interval
            elif kind == "stop_auto_rerun":
                for fid in fwd.stop_auto_rerun.fragment_ids:
                    self.timers.pop(fid, None)
            if kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
                el = fwd.delta.new_element
                etype = el.WhichOneof("type")
                proto = getattr(el, etype)
                if etype == "exception":
                    exceptions.append(proto.message)
                if etype in ("markdown", "alert"):  # what a reader reads: text, and success/warning/info boxes
                    texts.append(proto.body)
                    text_times.append(time.perf_counter())
                elements.append(Element(etype, getattr(proto, "label", ""), getattr(proto, "id", ""), proto,
                                        fwd.delta.fragment_id))
            elif kind == "page_not_found":
                not_found = True
            elif kind == "script_finished" and fwd.script_finished in (
                    FINISHED.FINISHED_SUCCESSFULLY, FINISHED.FINISHED_WITH_COMPILE_ERROR,
                    *((FINISHED.FINISHED_FRAGMENT_RUN_SUCCESSFULLY,) if fragment_id else ())):
                return Run(time.perf_counter() - t0, elements, exceptions, not_found, texts, full_runs, text_times)
