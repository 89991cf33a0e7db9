"""A bounded cache shared by every session's thread: each value built once per key, one lock per key.

Used for everything a class shares (traced graphs, extractors, layer tables, forward passes of the
same input, built figures): a class of 30 asking for the same thing at the same moment gets it
built once while the others wait for that build.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

from cnnviz.networks.tracing import suspended

T = TypeVar("T")


class KeyedCache:
    """A bounded LRU map whose values are built once per key, one lock per key.

    Different keys build in parallel; callers asking for a key being built wait for that
    build and share its value; a build that raises stores nothing (the next caller retries).
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._store: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self._building: dict = {}

    def get(self, key, make: Callable[[], T]) -> T:
        with self._lock:
            if key in self._store:
                self._store.move_to_end(key)
                return self._store[key]
            build_lock = self._building.setdefault(key, threading.Lock())
        if not build_lock.acquire(blocking=False):
            with suspended():  # another thread builds it (maybe tracing): wait without holding up traces
                build_lock.acquire()
        try:
            with self._lock:
                if key in self._store:
                    self._store.move_to_end(key)
                    return self._store[key]
            try:
                value = make()
            finally:  # built or failed, the key's build lock is no longer needed (a failure stores nothing)
                with self._lock:
                    self._building.pop(key, None)
            with self._lock:
                self._store[key] = value
                while len(self._store) > self.size:  # the least recently used goes (a later request rebuilds it)
                    self._store.popitem(last=False)
            return value
        finally:
            build_lock.release()

    def __len__(self) -> int:
        return len(self._store)

    def peek(self, key) -> Any:
        """The value stored under `key` (marked recently used), or None; never builds."""
        with self._lock:
            if key not in self._store:
                return None
            self._store.move_to_end(key)
            return self._store[key]

    def keys(self) -> list:
        with self._lock:
            return list(self._store)

    def discard(self, key) -> None:
        with self._lock:
            self._store.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._store.clear()

    def discard_where(self, drop: Callable[[Any], bool]) -> None:
        with self._lock:
            for key in [k for k in self._store if drop(k)]:
                del self._store[key]


def digest(a) -> str:
    """A short stable key of an array's values, shape and type: what shared results of a photo are keyed by."""
    import hashlib

    import numpy as np

    arr = np.ascontiguousarray(a)
    return hashlib.sha1(repr((arr.shape, arr.dtype.str)).encode() + arr.tobytes()).hexdigest()


def digest_bytes(*parts: bytes) -> str:
    """A short stable key of some bytes (an uploaded file, with its companions): what a session keys decoded files by."""
    import hashlib

    h = hashlib.sha1()
    for part in parts:
        h.update(part)
    return h.hexdigest()
