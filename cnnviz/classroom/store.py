"""Follow the teacher: the state of a class session, behind a small store interface.

A teacher opens a class and gets a short code; students who join see the teacher's page, its
settings and its step. What travels is exactly a page's link (its URL path and parameters,
never an upload) plus, only when the teacher chooses, one shared photo.

`InProcessStore` keeps every class of this server process in memory, with limits (how many
classes at once, idle expiry, photo size). When the app runs as several replicas behind a load
balancer (`python -m cnnviz hall`), `CNNVIZ_REDIS_URL` selects `RedisStore`
(cnnviz/classroom/redis_store.py), which implements the same methods over one Redis server.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from cnnviz.errors import CnnvizError

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read off a projector without mistakes
CODE_LENGTH = 5
MAX_CLASSES = 40  # per server process; a 2-core server teaches one class of 30 at a time comfortably
IDLE_EXPIRY_S = 3 * 3600  # a class nobody teaches for three hours ends
FOLLOWER_SEEN_S = 10.0  # a student counts as following while their page checked in within this time
MAX_PHOTO_BYTES = 4 * 2**20
PRIVATE_PARAMS = ("present", "device", "class")  # each person's own settings, never taken from the teacher


class ClassroomError(CnnvizError):
    """A class that cannot be opened, found or changed (full, ended, wrong teacher)."""


class ClassroomUnavailable(ClassroomError):
    """The shared class store cannot be reached right now: nothing is lost, following resumes when it is back."""


@dataclass(frozen=True)
class View:
    """What a student follows: one page's link, numbered so that followers notice each change."""

    page: str
    params: tuple[tuple[str, str], ...]
    version: int
    photo_version: int = 0

    def query(self) -> dict[str, str]:
        return dict(self.params)


class ClassStore(Protocol):
    def open(self) -> tuple[str, str]: ...
    def publish(self, code: str, token: str, page: str, params: dict[str, str]) -> View: ...
    def share_photo(self, code: str, token: str, png: bytes | None) -> None: ...
    def view(self, code: str) -> View | None: ...
    def photo(self, code: str) -> bytes | None: ...
    def check_in(self, code: str, student: str) -> None: ...
    def followers(self, code: str) -> int: ...
    def close(self, code: str, token: str) -> None: ...
    def problem(self) -> str | None: ...


@dataclass
class _Class:
    token: str
    view: View
    touched: float
    photo: bytes | None = None
    students: dict[str, float] = field(default_factory=dict)


def normalise_code(text: str) -> str:
    """What a student typed → a code (case, spaces and dashes ignored); ClassroomError in words if it cannot be one."""
    code = "".join(ch for ch in str(text).upper() if ch.isalnum())
    if len(code) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in code):
        raise ClassroomError(f"a class code is {CODE_LENGTH} letters and digits, like K7MQ2 (got {text!r})")
    return code


class InProcessStore:
    """Every class of this process, guarded by one lock (sessions run on many threads)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, max_classes: int = MAX_CLASSES,
                 idle_expiry_s: float = IDLE_EXPIRY_S) -> None:
        self._clock = clock
        self._max = max_classes
        self._expiry = idle_expiry_s
        self._lock = threading.Lock()
        self._classes: dict[str, _Class] = {}

    def _purge(self, now: float) -> None:
        for code in [c for c, k in self._classes.items() if now - k.touched > self._expiry]:
            del self._classes[code]

    def _owned(self, code: str, token: str) -> _Class:
        k = self._classes.get(code)
        if k is None:
            raise ClassroomError(f"class {code} has ended")
        if not secrets.compare_digest(k.token, token):
            raise ClassroomError(f"only the teacher of class {code} can change it")
        return k

    def open(self) -> tuple[str, str]:
        """A new class: (its code, the teacher's secret token)."""
        with self._lock:
            now = self._clock()
            self._purge(now)
            if len(self._classes) >= self._max:
                raise ClassroomError(f"this server already runs {self._max} classes: end one, or try again later")
            code = new_code()
            while code in self._classes:
                code = new_code()
            token = secrets.token_urlsafe(16)
            self._classes[code] = _Class(token, View("start", (), 0), now)
            return code, token

    def publish(self, code: str, token: str, page: str, params: dict[str, str]) -> View:
        """The teacher's current view; a new version only when it changed."""
        clean = clean_params(params)
        with self._lock:
            k = self._owned(code, token)
            k.touched = self._clock()
            if (k.view.page, k.view.params) != (page, clean):
                k.view = View(page, clean, k.view.version + 1, k.view.photo_version)
            return k.view

    def share_photo(self, code: str, token: str, png: bytes | None) -> None:
        check_photo(png)
        with self._lock:
            k = self._owned(code, token)
            k.photo, k.touched = png, self._clock()
            k.view = View(k.view.page, k.view.params, k.view.version + 1, k.view.photo_version + 1)

    def view(self, code: str) -> View | None:
        with self._lock:
            self._purge(self._clock())
            k = self._classes.get(code)
            return None if k is None else k.view

    def photo(self, code: str) -> bytes | None:
        with self._lock:
            k = self._classes.get(code)
            return None if k is None else k.photo

    def check_in(self, code: str, student: str) -> None:
        with self._lock:
            k = self._classes.get(code)
            if k is not None:
                k.students[student] = self._clock()

    def followers(self, code: str) -> int:
        with self._lock:
            k = self._classes.get(code)
            if k is None:
                return 0
            now = self._clock()
            for s in [s for s, t in k.students.items() if now - t > FOLLOWER_SEEN_S]:
                del k.students[s]
            return len(k.students)

    def close(self, code: str, token: str) -> None:
        with self._lock:
            self._owned(code, token)
            del self._classes[code]

    def problem(self) -> str | None:
        """In process, the store is always there."""
        return None

    def __len__(self) -> int:
        with self._lock:
            return len(self._classes)


def clean_params(params: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """A teacher's link without each person's own settings, in one canonical order (what followers get)."""
    return tuple(sorted((str(k), str(v)) for k, v in params.items() if k not in PRIVATE_PARAMS))


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def check_photo(png: bytes | None) -> None:
    if png is not None and len(png) > MAX_PHOTO_BYTES:
        raise ClassroomError(f"the photo is {len(png) / 2**20:.1f} MB: at most {MAX_PHOTO_BYTES // 2**20} MB is "
                             "shared with a class")


_STORE: ClassStore | None = None
_STORE_LOCK = threading.Lock()


def store() -> ClassStore:
    """The process's class store, made on first use: Redis when CNNVIZ_REDIS_URL is set (a hall of replicas),
    else in process (one server). Every session's thread shares it."""
    global _STORE
    if _STORE is None:
        with _STORE_LOCK:
            if _STORE is None:
                import os

                url = os.environ.get("CNNVIZ_REDIS_URL", "").strip()
                if url:
                    from cnnviz.classroom.redis_store import RedisStore

                    _STORE = RedisStore(url)
                else:
                    _STORE = InProcessStore()
    return _STORE
