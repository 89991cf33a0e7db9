"""Runs a lab compares: several settings trained one after another beside the page, each reported as it trains, and
each computed once per class or hall (a run with the same settings and seed gives the same numbers, bit for bit).

The Going deep and Overfitting labs share this: a lab supplies its result type (a dataclass with `stopped`, `done`,
`error`, `shared` and `waiting` fields, `as_dict` and `from_dict`) and a function that trains one configuration into
a given result.
"""

from __future__ import annotations

import contextlib
import copy
import itertools
from collections.abc import Callable, Sequence
from typing import Any, Generic, Protocol, Self, TypeVar

from cnnviz.learn.background_run import BackgroundRun


def check_limits(config: Any, limits: dict[str, tuple[float, float]]) -> None:
    """One clear message for the first setting out of its range (the page, the link and the CLI share it)."""
    from cnnviz.errors import CnnvizError

    for name, (lo, hi) in limits.items():
        value = getattr(config, name)
        if not lo <= value <= hi:
            raise CnnvizError(f"{name.replace('_', ' ')} must be {lo:g}–{hi:g} (got {value:g})")


class LabResult(Protocol):
    stopped: bool
    done: bool
    error: str | None
    shared: bool
    waiting: bool

    def as_dict(self) -> dict[str, Any]: ...


R = TypeVar("R", bound=LabResult)
TrainOne = Callable[[Any, Callable[[], bool], Any, R], Any]  # (config, stopping, lock, result) → trains into result


class _Stopped(Exception):
    """The learner stopped while a classmate's run of the same settings was computing."""


def shared_run(key: str, result: R, train: Callable[[], R], from_dict: Callable[[dict[str, Any]], R],
               stopping: Callable[[], bool] = lambda: False, lock: Any = None) -> R:
    """`train()` (which fills `result`), once per class or hall under `key`: a run someone finished is taken from the
    shared results, one under way elsewhere is waited for. A stopped run is never shared."""
    from cnnviz.classroom.results import pack, results, unpack

    holder: dict[str, R] = {}

    def compute() -> bytes | None:
        holder["mine"] = train()
        return None if holder["mine"].stopped else pack(holder["mine"].as_dict(), {})

    def on_wait(_: float) -> None:
        if stopping():
            raise _Stopped
        result.waiting = True

    try:
        blob = results().compute_once(key, compute, on_wait)
    except _Stopped:
        blob = None
    if "mine" in holder:
        return holder["mine"]
    if blob is None:  # stopped while waiting
        result.stopped, result.done = True, True
        return result
    shared = from_dict({**unpack(blob)[0], "shared": True, "waiting": False})
    with lock or contextlib.nullcontext():
        result.__dict__.update(shared.__dict__)
    return result


def finished(key: str, from_dict: Callable[[dict[str, Any]], R]) -> R | None:
    """The shared run under `key` if someone finished it (a teacher who prepared the lesson, a classmate)."""
    from cnnviz.classroom.results import results, unpack

    blob = results().get(key)
    return from_dict(unpack(blob)[0]) if blob is not None else None


_SERIALS = itertools.count(1)


class SerialRuns(Generic[R]):
    """Runs of several settings one after another in one background thread, each written into its result as it
    trains; the page reads copies (`snapshot`)."""

    thread_name = "lab"

    def __init__(self, configs: Sequence[Any], results: Sequence[R], train_one: TrainOne,
                 from_dict: Callable[[dict[str, Any]], R]) -> None:
        self.configs, self.results = tuple(configs), list(results)
        self.serial = next(_SERIALS)  # tells runs apart for the page (an id() can come back after a run is freed)
        self._from_dict = from_dict
        runs = self

        class _Run(BackgroundRun):
            thread_name = self.thread_name

            def _run(self) -> None:
                runs._train_all(self, train_one)

        self.run = _Run()

    def _train_all(self, run: BackgroundRun, train_one: TrainOne) -> None:
        for cfg, result in zip(self.configs, self.results, strict=True):
            if run.stopping():
                result.stopped = result.done = True
                continue
            try:
                train_one(cfg, run.stopping, run._lock, result)
            except Exception as e:  # noqa: BLE001 - reported on the page, never a traceback
                with run._lock:
                    result.error, result.done = f"{e.__class__.__name__}: {e}", True

    def start(self, owner: Any = None) -> Self:
        self.run.start(owner)
        return self

    def stop(self) -> None:
        self.run.stop()

    @property
    def running(self) -> bool:
        return self.run.running

    def snapshot(self) -> list[R]:
        """Copies of the results as they stand (the run goes on writing its own)."""
        with self.run._lock:
            return [self._from_dict(copy.deepcopy(r.__dict__)) for r in self.results]
