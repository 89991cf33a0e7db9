"""Training that runs beside the page: a daemon thread per run, a stop flag, and an owner that ends it.

Runs take a slot of the process-wide heavy-job queue first (cnnviz.jobs), so a class starting
thirty runs at once queues them instead of slowing all of them to a crawl. A page keeps the run in its session; the thread checks the stop flag between batches, so a
learner's Stop (or the end of their session) ends it within one batch, and one session's run
never holds a lock another session needs.
"""

from __future__ import annotations

import threading
import time
import weakref

from cnnviz.jobs import HEAVY, Ticket


class RunOwner:
    """Stands for a session: kept in its state, collected when the session ends, and then its runs stop."""


class BackgroundRun:
    """Subclasses implement `_run()`, calling `stopping()` between batches."""

    thread_name = "training"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._started = time.perf_counter()
        self._thread = threading.Thread(target=self._queued, name=self.thread_name, daemon=True)
        self._ticket: Ticket | None = None

    def start(self, owner: RunOwner | None = None):
        """Start; if `owner` is given, the run stops by itself once the owner is collected."""
        if owner is not None:
            weakref.finalize(owner, self._stop.set)
        self._started = time.perf_counter()
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def stopping(self) -> bool:
        return self._stop.is_set()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self._started

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    @property
    def queued_ahead(self) -> int | None:
        """While the run waits for a heavy-job slot: how many jobs are ahead of it; None once it runs."""
        ticket = self._ticket
        if ticket is None or ticket.running or ticket.done:
            return None
        return ticket.ahead()

    def _queued(self) -> None:
        """Wait for a slot of the process-wide heavy-job queue (or a stop), then run; always free the slot."""
        self._ticket = HEAVY.enqueue(self.thread_name)
        try:
            while not HEAVY.try_start(self._ticket, 0.25):
                if self.stopping():
                    return
            self._started = time.perf_counter()
            self._run()
        finally:
            self._ticket.release()

    def _run(self) -> None:
        raise NotImplementedError
