"""One shape for every page: its state is one typed dataclass under one session key, and that class also reads and
writes the page's link — one mechanism for all pages.

A page file does three things with it: `state = open_page(MyState)` at the top (the state kept across visits, the
link read into it on the page's first run in a session), widgets → engine → layout in between, and
`publish(state)` at the end (the link made to describe what the page shows). Widgets Streamlit keeps under their
own keys are named in the class's `WIDGETS` table beside the fields, so everything a link can hold for a page is
in that page's class. Shared work is cached in the engine (`caching.KeyedCache`, built once per key for every
session); what is one learner's is kept here, in the page state — the only two caching places.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

import streamlit as st

from cnnviz.ui.address_bar import write_url

Parser = Callable[[str], Any]
S = TypeVar("S", bound="PageState")


@dataclass(kw_only=True, eq=False)
class StepState(Mapping[str, Any]):
    """What one ← → stepper keeps: its step, playback, the clicks it acted on and the predictions made at it.

    Generic widget helpers and the engine's view functions reach fields by name (`state["step"]`: the state is a
    mapping of its fields, each settable by name); a name that is not a field is an error, never a new key, so a
    typo cannot start a second, silent copy of a value.
    """

    _field_names: ClassVar[frozenset[str] | None] = None

    name: str = ""
    version: int = 0  # bumped when the state is replaced as a whole: widgets and editors restart from it
    step: int = 0
    playing: bool = False
    speed: float = 1
    last_tick: float = 0.0
    last_click: dict[str, Any] = field(default_factory=dict)  # chart key → the selection already acted on
    predicted: dict[str, tuple[bool, str]] = field(default_factory=dict)  # question key → (right, verdict)
    pending_question: str | None = None
    drawn: int | None = None  # the step the stepper's last run drew (a follower's lost redraw is asked again)

    __eq__ = object.__eq__  # one state is itself (a field-by-field comparison would compare numpy grids)
    __hash__ = object.__hash__

    def _check(self, key: str) -> None:
        if key not in self.field_names():
            raise KeyError(f"{type(self).__name__} has no field {key!r}")

    @classmethod
    def field_names(cls) -> frozenset[str]:
        """The class's field names, worked out once per class (helpers ask on every widget of every run)."""
        names = cls.__dict__.get("_field_names")
        if names is None:
            names = frozenset(f.name for f in dataclasses.fields(cls))
            cls._field_names = names
        return names

    def __getitem__(self, key: str) -> Any:
        self._check(key)
        return getattr(self, key)

    def __setitem__(self, key: str, value: Any) -> None:
        self._check(key)
        setattr(self, key, value)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key in self.field_names()

    def __iter__(self) -> Iterator[str]:
        return iter(self.field_names())

    def __len__(self) -> int:
        return len(self.field_names())

    def get(self, key: str, default: Any = None) -> Any:
        self._check(key)
        value = getattr(self, key)
        return default if value is None else value

    def update(self, values: Mapping[str, Any]) -> None:
        for key, value in values.items():
            self[key] = value

    def values_of(self, names: tuple[str, ...] | frozenset[str]) -> dict[str, Any]:
        return {n: getattr(self, n) for n in names}


@dataclass(kw_only=True, eq=False)
class PageState(StepState):
    """One page's whole state under one session key (`_page_<name>`), with the page's link reader and writer.

    Subclasses add the page's typed fields and override `read_link` (take what a link says, notices for what it
    could not use) and `link` (the parameters that reopen this view).
    """

    WIDGETS: ClassVar[dict[str, tuple[str, Parser]]] = {}  # link key → (widget key, parser)

    link_read: bool = False  # the page has read its link in this session
    put_back: dict[str, str] = field(default_factory=dict)  # grid editor → the message for cells put back
    last_good: Any = None  # the last result that computed (shown, with a note, while the input is wrong)

    @classmethod
    def initial(cls: type[S]) -> S:
        """The page before a learner touches it (subclasses with required fields say how it starts)."""
        return cls()

    @classmethod
    def session_key(cls) -> str:
        return f"_page_{cls.__dataclass_fields__['name'].default}"

    def read_link(self, params: dict[str, str]) -> list[str]:
        return []

    def link(self) -> dict[str, str]:
        return {}


def state_of(cls: type[S]) -> S:
    """The session's state of a page (made with its defaults the first time); its link is not read."""
    key = cls.session_key()
    state = st.session_state.get(key)
    if not isinstance(state, cls):
        state = st.session_state[key] = cls.initial()
    return state


def open_page(cls: type[S]) -> S:
    """The page's state, with the link read into it on the page's first run in this session (notices for bad
    parameters as toasts, the last good state kept)."""
    from cnnviz.ui.predict_first import read_link as read_predict

    state = state_of(cls)
    if not state.link_read:
        state.link_read = True
        params = {k: st.query_params[k] for k in st.query_params.keys()}
        notices = state.read_link(params) + link_widgets(params, cls.WIDGETS) + read_predict(params)
        for notice in notices:  # predict=1: one switch for every stepper
            st.toast(notice, icon=":material/link_off:")
    return state


def publish(state: PageState, **extra: str) -> None:
    """Make the URL describe what the page shows: the state's own parameters and its linked widgets."""
    write_url({**state.link(), **widget_link(type(state).WIDGETS), **extra})


def link_widgets(params: dict, spec: dict[str, tuple[str, Parser]]) -> list[str]:
    """Start widgets where a link says: {url key: (widget key, parser)}; a bad value keeps the default, with a notice."""
    from cnnviz.urlstate import read_params

    vals, notices = read_params(params, {k: parse for k, (_, parse) in spec.items()})
    for k, v in vals.items():
        st.session_state[spec[k][0]] = v
    return notices


def widget_link(spec: dict[str, tuple[str, Parser]]) -> dict[str, str]:
    """The link parameters of those widgets, read back from their current values."""
    out = {}
    for k, (key, _) in spec.items():
        v = st.session_state.get(key)
        if v is None:
            continue
        out[k] = link_text(v)
    return out


def link_text(v: Any) -> str:
    """A widget's value as a link parameter: a flag 0/1, a number without trailing zeros, a list comma-separated."""
    return ("1" if v else "0") if isinstance(v, bool) else f"{v:g}" if isinstance(v, float) else \
        ",".join(map(str, v)) if isinstance(v, (list, tuple)) else str(v)
