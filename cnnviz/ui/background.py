"""Work started off the page's critical path and shared by every session of the process."""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor

from cnnviz.environment import full_info

REFRESH_S = 60  # weights downloaded meanwhile show up as cached after this long

_lock = threading.Lock()
_started: dict[str, tuple[float, Future]] = {}


_pool: list[ThreadPoolExecutor] = []  # one worker for the process, started on first use


def _executor() -> ThreadPoolExecutor:
    if not _pool:
        _pool.append(ThreadPoolExecutor(max_workers=1, thread_name_prefix="cnnviz-background"))
    return _pool[0]


def environment_if_started(device: str) -> Future | None:
    """The environment check some session started less than REFRESH_S ago (nothing is started here)."""
    item = _started.get(device)
    return item[1] if item and time.monotonic() - item[0] < REFRESH_S else None


def start_environment(device: str) -> Future:
    """full_info() imports torch and torchvision (seconds): run it in the background, once per REFRESH_S."""
    with _lock:
        item = _started.get(device)
        if item is None or time.monotonic() - item[0] >= REFRESH_S:
            item = (time.monotonic(), _executor().submit(full_info, device))
            _started[device] = item
        return item[1]
