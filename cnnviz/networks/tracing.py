"""torch.fx tracing and running networks, kept apart across every thread of the process.

torch.fx's tracer patches `nn.Module.__call__`, `nn.Module.__getattr__` and some functions for the
whole process while it traces. Any module that runs in another thread meanwhile — a class mate's
prediction, a training batch, a fantasy-image step — is routed into the tracer: its graph is
corrupted and the run fails ("module is not installed as a submodule", "CURRENT_PATCHER is None",
ShapeProp errors). So tracing is exclusive and running is shared:

    with tracing():   # one trace at a time, while no network runs anywhere
        graph = tracer.trace(model)
    with running():   # any number at once, while nothing traces
        y = model(x)

Traces are rare (once per network and layer, then cached), so runs almost never wait. A waiting
trace goes first (new runs wait for it), so a steady stream of runs cannot starve it. A thread
that traces while it is itself inside `running()` (a graph built lazily in the middle of a
computation) gives up its share for the trace and takes it back afterwards.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

_cond = threading.Condition()
_runners = 0  # shares held, all threads together
_tracing = False
_waiting_traces = 0
_mine = threading.local()  # this thread's shares and traces (both re-entrant)


def _held() -> int:
    return int(getattr(_mine, "shares", 0))


def _traces() -> int:
    return int(getattr(_mine, "traces", 0))


@contextmanager
def running() -> Iterator[None]:
    """Run networks (forward or backward): shared with other runs, never during a trace."""
    global _runners
    if _traces():  # running inside this thread's own trace (shape propagation)
        yield
        return
    if _held():
        _mine.shares += 1
        try:
            yield
        finally:
            _mine.shares -= 1
        return
    with _cond:
        _cond.wait_for(lambda: not _tracing and not _waiting_traces)
        _runners += 1
    _mine.shares = 1
    try:
        yield
    finally:
        _mine.shares = 0
        with _cond:
            _runners -= 1
            _cond.notify_all()


@contextmanager
def suspended() -> Iterator[None]:
    """Give up this thread's running share while it waits for another thread (e.g. for a graph it builds):
    that thread may need to trace, and a trace waits for every running share."""
    global _runners
    saved = _held()
    if not saved or _traces():
        yield
        return
    with _cond:
        _runners -= 1
        _cond.notify_all()
    _mine.shares = 0
    try:
        yield
    finally:
        with _cond:
            _cond.wait_for(lambda: not _tracing and not _waiting_traces)
            _runners += 1
        _mine.shares = saved


@contextmanager
def tracing() -> Iterator[None]:
    """Trace (torch.fx): alone in the process, while no network runs in any thread."""
    global _runners, _tracing, _waiting_traces
    if _traces():
        _mine.traces += 1
        try:
            yield
        finally:
            _mine.traces -= 1
        return
    own = 1 if _held() else 0  # a thread counts once among the runners, however deeply its runs nest
    with _cond:
        _runners -= own  # this thread's own runs wait for the trace too
        _waiting_traces += 1
        _cond.notify_all()
        _cond.wait_for(lambda: not _tracing and _runners == 0)
        _waiting_traces -= 1
        _tracing = True
    _mine.traces = 1
    try:
        yield
    finally:
        _mine.traces = 0
        with _cond:
            _tracing = False
            _runners += own
            _cond.notify_all()


def runs_networks(fn: Callable[P, R]) -> Callable[P, R]:
    """Decorate an engine function that runs networks: the whole call holds a `running()` share."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with running():
            return fn(*args, **kwargs)

    return wrapper
