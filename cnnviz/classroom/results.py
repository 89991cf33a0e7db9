"""Heavy results a whole class (or hall) shares: computed once for their inputs, then answered from memory.

A fantasy image for a network, target, settings and seed, or an attribution map of a sample photo, is the same
for every learner who asks for it: the first request computes it, every later one — on this server or, in a
hall, on any replica — gets it at once. Thirty students pressing Dream on the same class image cost one
computation: the others wait for it (`on_wait` shows them why) instead of queueing for the CPU.

Values travel as `pack`ed bytes (numpy's .npz with pickling off, plus a JSON header), never as pickles: even
our own Redis never gets a say in what code runs. Only results of registry networks on sample inputs are
shared; a session's own network or an upload is never a key here (`shareable` decides).

In process: an LRU bounded by bytes (`CNNVIZ_RESULTS_MB`, default 256). In a hall (`CNNVIZ_REDIS_URL`): Redis
keys `cnnviz:result:<sha256>` with a 24-hour TTL under the hall Redis's `maxmemory` and LRU eviction, plus a
lock key per computation (`SET NX PX`) so that one replica computes while the others wait; a holder that dies
or is stopped frees the lock (its TTL, or `finally`), and a waiter then computes itself.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

T = TypeVar("T")
RESULT_TTL_S = 24 * 3600
LOCK_MS = 5 * 60 * 1000  # a computation that holds its lock longer than this is presumed dead
POLL_S = 0.25


def pack(meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> bytes:
    """A JSON header and named arrays as one .npz blob (loaded with allow_pickle=False)."""
    buf = io.BytesIO()
    named: dict[str, Any] = {"__meta__": np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8), **arrays}
    np.savez(buf, **named)
    return buf.getvalue()


def unpack(blob: bytes) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    with np.load(io.BytesIO(blob), allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files if k != "__meta__"}
        meta = json.loads(z["__meta__"].tobytes().decode())
    return meta, arrays


def shareable(network_is_session: bool, source: str | None = None) -> bool:
    """Whether a result may be shared with the class or hall: a registry network (never a session's own), on a
    sample photo or a held-out digit when it has an input (never an upload or a photo the teacher shared)."""
    from cnnviz.images import SAMPLE_PHOTOS

    return not network_is_session and (source is None or source in SAMPLE_PHOTOS or source.startswith("digit"))


def key_of(*parts: Any) -> str:
    """A stable key for plain inputs (names, numbers, tuples, dataclass dicts)."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


class SharedResults:
    """get / compute-once for packed results, in process and (when given a Redis URL) across a hall."""

    def __init__(self, redis_url: str | None = None, max_bytes: int | None = None) -> None:
        self.max_bytes = max_bytes if max_bytes is not None else int(os.environ.get("CNNVIZ_RESULTS_MB", "256")) * 2**20
        self._mem: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self._computing: dict[str, threading.Lock] = {}
        self._r = None
        if redis_url:
            import redis

            self._r = redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
        self.computed = 0  # how many times this process computed (the tests and the bench read it)

    # -- storage ---------------------------------------------------------------------------------------------
    def _remember(self, key: str, blob: bytes) -> None:
        with self._lock:
            if key in self._mem:
                self._size -= len(self._mem.pop(key))
            if len(blob) > self.max_bytes:
                return
            self._mem[key] = blob
            self._size += len(blob)
            while self._size > self.max_bytes:
                self._size -= len(self._mem.popitem(last=False)[1])

    def get(self, key: str) -> bytes | None:
        with self._lock:
            blob = self._mem.get(key)
            if blob is not None:
                self._mem.move_to_end(key)
                return blob
        if self._r is None:
            return None
        try:
            stored = self._r.get(f"cnnviz:result:{key}")
        except Exception:  # noqa: BLE001 - Redis away: compute here (nothing is lost but time)
            return None
        if not isinstance(stored, bytes):
            return None
        self._remember(key, stored)
        return stored

    def put(self, key: str, blob: bytes) -> None:
        self._remember(key, blob)
        if self._r is not None:
            try:
                self._r.set(f"cnnviz:result:{key}", blob, ex=RESULT_TTL_S)
            except Exception:  # noqa: BLE001 - kept in this process at least
                pass

    # -- compute once ----------------------------------------------------------------------------------------
    def _acquire(self, key: str) -> Callable[[], None] | None:
        """The right to compute `key` (a release function), or None while someone else computes it."""
        with self._lock:
            local = self._computing.setdefault(key, threading.Lock())
        if not local.acquire(blocking=False):
            return None
        if self._r is not None:
            token = os.urandom(8).hex()
            try:
                got = self._r.set(f"cnnviz:lock:{key}", token, nx=True, px=LOCK_MS)
            except Exception:  # noqa: BLE001 - no hall-wide lock without Redis: compute here
                got = True
            if not got:
                local.release()
                return None

            def release() -> None:
                try:
                    if self._r is not None and self._r.get(f"cnnviz:lock:{key}") == token.encode():
                        self._r.delete(f"cnnviz:lock:{key}")
                except Exception:  # noqa: BLE001 - the lock's TTL frees it
                    pass
                local.release()
            return release
        return local.release

    def compute_once(self, key: str, compute: Callable[[], bytes | None],
                     on_wait: Callable[[float], None] | None = None) -> bytes | None:
        """The packed result for `key`: stored, or computed here (once in the hall), or waited for.

        `compute` returns the blob to share, or None for a result that must not be shared (a stopped run).
        `on_wait(seconds waited)` is called while another session computes it; a Streamlit call there lets the
        learner's Stop end the wait."""
        t0 = time.monotonic()
        while True:
            blob = self.get(key)
            if blob is not None:
                return blob
            release = self._acquire(key)
            if release is not None:
                try:
                    blob = self.get(key)  # finished while we took the lock
                    if blob is not None:
                        return blob
                    blob = compute()
                    self.computed += 1
                    if blob is not None:
                        self.put(key, blob)
                    return blob
                finally:
                    release()
            if on_wait is not None:
                on_wait(time.monotonic() - t0)
            time.sleep(POLL_S)


_RESULTS: SharedResults | None = None
_RESULTS_LOCK = threading.Lock()


def results_url() -> str | None:
    """Where a hall keeps its shared results: a Redis of their own (CNNVIZ_RESULTS_REDIS_URL, least-recently-used
    eviction), else the classes' (CNNVIZ_REDIS_URL); none in a single server."""
    for name in ("CNNVIZ_RESULTS_REDIS_URL", "CNNVIZ_REDIS_URL"):
        url = os.environ.get(name, "").strip()
        if url:
            return url
    return None


def results() -> SharedResults:
    """The process's shared results (Redis-backed when CNNVIZ_REDIS_URL is set, as the class store)."""
    global _RESULTS
    if _RESULTS is None:
        with _RESULTS_LOCK:
            if _RESULTS is None:
                _RESULTS = SharedResults(results_url())
    return _RESULTS
