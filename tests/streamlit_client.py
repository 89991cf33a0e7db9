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

    async def __aenter__(self) -> Session:
        self.ws = await websockets.connect(self.ws_url, subprotocols=["streamlit"], max_size=2**28,
                                           open_timeout=60, ping_interval=None)
        return self

    async def __aexit__(self, *exc) -> None:
        await self.ws.close()

    async def open(self, page: str, query: str = "", timeout: float = 300) -> Run:
        self.page = page
        self.widgets = {}
        return await self._rerun(query, timeout)

    async def set_widget(self, state: WidgetState, timeout: float = 300, fragment_id: str = "") -> Run:
        self.widgets[state.id] = state
        run = await self._rerun("", timeout, fragment_id)
        if state.HasField("trigger_value"):
            self.widgets.pop(state.id, None)  # a click is an event, not a state
        return run

    async def select(self, run: Run, label: str, option: str, timeout: float = 300) -> Run:
        el = run.widget("selectbox", label)
        return await self.set_widget(WidgetState(id=el.id, string_value=option), timeout)

    async def click(self, run: Run, label: str, timeout: float = 300) -> Run:
        el = run.widget("button", label)
        return await self.set_widget(WidgetState(id=el.id, trigger_value=True), timeout, el.fragment_id)

    async def _rerun(self, query: str, timeout: float, fragment_id: str = "") -> Run:
        msg = BackMsg()
        msg.rerun_script.fragment_id = fragment_id
        msg.rerun_script.query_string = query
        msg.rerun_script.page_name = self.page
        msg.rerun_script.widget_states.widgets.extend(self.widgets.values())
        t0 = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        elements: list[Element] = []
        exceptions: list[str] = []
        texts: list[str] = []
        not_found = False
        deadline = t0 + timeout
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                raise TimeoutError(f"page {self.page!r} did not finish within {timeout:.0f} s")
            fwd = ForwardMsg()
            fwd.ParseFromString(await asyncio.wait_for(self.ws.recv(), left))
            kind = fwd.WhichOneof("type")
            if kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
                el = fwd.delta.new_element
                etype = el.WhichOneof("type")
                proto = getattr(el, etype)
                if etype == "exception":
                    exceptions.append(proto.message)
                if etype == "markdown":
                    texts.append(proto.body)
                elements.append(Element(etype, getattr(proto, "label", ""), getattr(proto, "id", ""), proto,
                                        fwd.delta.fragment_id))
            elif kind == "page_not_found":
                not_found = True
            elif kind == "script_finished" and fwd.script_finished in (
                    FINISHED.FINISHED_SUCCESSFULLY, FINISHED.FINISHED_WITH_COMPILE_ERROR,
                    *((FINISHED.FINISHED_FRAGMENT_RUN_SUCCESSFULLY,) if fragment_id else ())):
                return Run(time.perf_counter() - t0, elements, exceptions, not_found, texts)
