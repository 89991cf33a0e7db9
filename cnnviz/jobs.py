"""One process-wide limit on heavy jobs (attributions, fantasy images, galleries, GIF export, training).

A class shares one server: thirty sessions asking for guided backprop at once must not run
thirty backward passes side by side (each would take thirty times as long, and light pages
would starve). Heavy jobs take a slot; the rest wait in order and can see how many are ahead
of them. Light work (grids, tables, a forward pass) never takes a slot, so it never waits
behind a heavy job. A job that stops waiting (its user pressed Stop, closed the tab or
changed a widget) leaves the queue at once, and a finished or failed job always frees its
slot (context manager).
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


def default_slots() -> int:
    """Heavy jobs at once: CNNVIZ_HEAVY_JOBS if set, else one per two CPU cores (one on a GPU machine)."""
    env = os.environ.get("CNNVIZ_HEAVY_JOBS")
    if env and env.isdigit() and int(env) > 0:
        return int(env)
    try:
        import torch

        if torch.cuda.is_available():
            return 1
    except ImportError:
        pass
    return max(1, (os.cpu_count() or 1) // 2)


@dataclass(eq=False)
class Ticket:
    """One job's place: waiting (position > 0 ahead of it), running, or done."""

    label: str
    number: int
    queue: JobQueue = field(repr=False)
    running: bool = False
    done: bool = False

    def ahead(self) -> int:
        """Jobs waiting in front of this one (0 when it runs or is next in line)."""
        return self.queue._ahead(self)

    def release(self) -> None:
        self.queue._release(self)


class JobQueue:
    """First come, first served slots for heavy jobs, shared by every session of the process."""

    def __init__(self, slots: int) -> None:
        self.slots = slots
        self._cond = threading.Condition()
        self._waiting: list[Ticket] = []
        self._running: list[Ticket] = []
        self._numbers = itertools.count(1)

    def _ahead(self, ticket: Ticket) -> int:
        with self._cond:
            return self._waiting.index(ticket) if ticket in self._waiting else 0

    def _release(self, ticket: Ticket) -> None:
        with self._cond:
            if ticket in self._waiting:
                self._waiting.remove(ticket)
            if ticket in self._running:
                self._running.remove(ticket)
            ticket.running, ticket.done = False, True
            self._cond.notify_all()

    def status(self) -> dict:
        """What the queue holds now: {running: [labels], waiting: [labels]} (for the home page and tests)."""
        with self._cond:
            return {"slots": self.slots, "running": [t.label for t in self._running],
                    "waiting": [t.label for t in self._waiting]}

    def enqueue(self, label: str) -> Ticket:
        with self._cond:
            ticket = Ticket(label, next(self._numbers), self)
            self._waiting.append(ticket)
            return ticket

    def try_start(self, ticket: Ticket, timeout: float) -> bool:
        """Wait up to `timeout` s for this ticket's turn and a free slot; True once it runs."""
        with self._cond:
            def ready() -> bool:
                return ticket.running or (bool(self._waiting) and self._waiting[0] is ticket
                                          and len(self._running) < self.slots)

            if not self._cond.wait_for(ready, timeout):
                return False
            if not ticket.running:
                self._waiting.remove(ticket)
                self._running.append(ticket)
                ticket.running = True
                self._cond.notify_all()
            return True

    @contextmanager
    def slot(self, label: str, on_wait: Callable[[int], None] | None = None, poll: float = 0.25) -> Iterator[Ticket]:
        """Hold a slot for the body; while queued, call `on_wait(ahead)` every `poll` s.

        `on_wait` may raise (the user stopped, the page reran, the session closed): the ticket
        leaves the queue and nothing runs. The slot is freed however the body ends.
        """
        ticket = self.enqueue(label)
        try:
            while not self.try_start(ticket, poll):
                if on_wait is not None:
                    on_wait(ticket.ahead())
            yield ticket
        finally:
            ticket.release()


HEAVY = JobQueue(default_slots())
