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

import json
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
MAX_OFFERS = 20  # views offered to the teacher ("Show my view to the teacher") kept at once, newest first
MAX_ANSWER_BYTES = 200  # one student's answer to a class question, as text (a choice is up to 40 characters)
MAX_LESSON_BYTES = 96_000  # the lesson a class runs (its views, where it is, the answers summarised)


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
    extra: str = ""  # JSON: the class's open question ("poll") and whether following is paused

    def query(self) -> dict[str, str]:
        return dict(self.params)

    @property
    def extras(self) -> dict:
        """The class-wide state beside the view: its question, pause and lesson (a copy)."""
        return dict(self._extra())

    @property
    def lesson(self) -> dict | None:
        """Where the class's lesson is: {name, at, n, title, note} (None: no lesson runs)."""
        x = self._extra().get("lesson")
        return x if isinstance(x, dict) else None

    def _extra(self) -> dict:
        try:
            out = json.loads(self.extra) if self.extra else {}
        except ValueError:
            return {}
        return out if isinstance(out, dict) else {}

    @property
    def poll(self) -> dict | None:
        """The question the teacher asked the class: {id, stepper, step, question, revealed} (None: no question)."""
        p = self._extra().get("poll")
        return p if isinstance(p, dict) else None

    @property
    def paused(self) -> bool:
        return bool(self._extra().get("paused"))


@dataclass(frozen=True)
class Offer:
    """A student's view offered to the teacher: anonymous ("Student 3"), the page's link, a photo only if ticked."""

    number: int
    page: str
    params: tuple[tuple[str, str], ...]
    has_photo: bool

    @property
    def label(self) -> str:
        return f"Student {self.number}"


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
    def set_extra(self, code: str, token: str, extra: dict) -> View: ...
    def answer(self, code: str, student: str, poll_id: str, value: str) -> None: ...
    def answers(self, code: str, token: str, poll_id: str) -> list[str]: ...
    def offer(self, code: str, student: str, page: str, params: dict[str, str], png: bytes | None) -> int: ...
    def offers(self, code: str, token: str) -> list[Offer]: ...
    def offer_photo(self, code: str, token: str, number: int) -> bytes | None: ...
    def dismiss(self, code: str, token: str, number: int) -> None: ...
    def set_lesson(self, code: str, token: str, state: str | None) -> None: ...
    def lesson(self, code: str, token: str) -> str | None: ...


@dataclass
class _Class:
    token: str
    view: View
    touched: float
    photo: bytes | None = None
    students: dict[str, float] = field(default_factory=dict)
    answers: dict[str, str] = field(default_factory=dict)  # student → answer to the open question
    offers: dict[int, tuple[str, Offer, bytes | None]] = field(default_factory=dict)  # number → (student, offer, png)
    offered: int = 0
    lesson: str | None = None  # the lesson the class runs (JSON), for its teacher's sessions


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
                k.view = View(page, clean, k.view.version + 1, k.view.photo_version, k.view.extra)
            return k.view

    def share_photo(self, code: str, token: str, png: bytes | None) -> None:
        check_photo(png)
        with self._lock:
            k = self._owned(code, token)
            k.photo, k.touched = png, self._clock()
            k.view = View(k.view.page, k.view.params, k.view.version + 1, k.view.photo_version + 1, k.view.extra)

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

    def set_extra(self, code: str, token: str, extra: dict) -> View:
        """The teacher's class-wide state (the open question, pause): a new version, so every follower notices.
        A new question clears the answers to the last one."""
        text = encode_extra(extra)
        with self._lock:
            k = self._owned(code, token)
            old = k.view.poll
            if new_poll_id(extra) != (old or {}).get("id"):
                k.answers.clear()
            k.touched = self._clock()
            k.view = View(k.view.page, k.view.params, k.view.version + 1, k.view.photo_version, text)
            return k.view

    def answer(self, code: str, student: str, poll_id: str, value: str) -> None:
        """A student's answer to the open question (a later one replaces it); refused once revealed."""
        check_answer(value)
        with self._lock:
            k = self._classes.get(code)
            if k is None:
                raise ClassroomError(f"class {code} has ended")
            refuse_closed(k.view.poll, poll_id)
            k.answers[student] = value

    def answers(self, code: str, token: str, poll_id: str) -> list[str]:
        with self._lock:
            k = self._owned(code, token)
            return list(k.answers.values()) if (k.view.poll or {}).get("id") == poll_id else []

    def offer(self, code: str, student: str, page: str, params: dict[str, str], png: bytes | None) -> int:
        """A student shows the teacher their view (their newest offer replaces an older one); its number."""
        check_photo(png)
        with self._lock:
            k = self._classes.get(code)
            if k is None:
                raise ClassroomError(f"class {code} has ended")
            for n in [n for n, (s, _, _) in k.offers.items() if s == student]:
                del k.offers[n]
            k.offered += 1
            k.offers[k.offered] = (student, Offer(k.offered, page, clean_params(params), png is not None), png)
            for n in sorted(k.offers)[:-MAX_OFFERS]:
                del k.offers[n]
            return k.offered

    def offers(self, code: str, token: str) -> list[Offer]:
        with self._lock:
            k = self._owned(code, token)
            return [k.offers[n][1] for n in sorted(k.offers, reverse=True)]

    def offer_photo(self, code: str, token: str, number: int) -> bytes | None:
        with self._lock:
            k = self._owned(code, token)
            return k.offers[number][2] if number in k.offers else None

    def dismiss(self, code: str, token: str, number: int) -> None:
        with self._lock:
            self._owned(code, token).offers.pop(number, None)

    def set_lesson(self, code: str, token: str, state: str | None) -> None:
        """The lesson this class runs, where it is and its answers so far (None: no lesson): kept with the class, so
        the teacher's next session, on any replica, finds it."""
        check_lesson(state)
        with self._lock:
            k = self._owned(code, token)
            k.lesson, k.touched = state, self._clock()

    def lesson(self, code: str, token: str) -> str | None:
        with self._lock:
            return self._owned(code, token).lesson

    def __len__(self) -> int:
        with self._lock:
            return len(self._classes)


def changed_keys(applied: tuple[str, tuple[tuple[str, str], ...]] | None, view: View) -> set[str] | None:
    """The link keys in which the class's new view differs from the one a student applied, when it is the same page
    and no key was dropped (a follower may then move only what changed); None otherwise."""
    if applied is None or applied[0] != view.page:
        return None
    before, after = dict(applied[1]), view.query()
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    return changed if changed and changed <= after.keys() else None


def clean_params(params: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """A teacher's link without each person's own settings, in one canonical order (what followers get)."""
    return tuple(sorted((str(k), str(v)) for k, v in params.items() if k not in PRIVATE_PARAMS))


def encode_extra(extra: dict) -> str:
    return json.dumps(extra, separators=(",", ":"), sort_keys=True)


def new_poll_id(extra: dict) -> str | None:
    poll = extra.get("poll")
    return poll.get("id") if isinstance(poll, dict) else None


def check_answer(value: str) -> None:
    if not isinstance(value, str) or not value or len(value.encode()) > MAX_ANSWER_BYTES:
        raise ClassroomError("an answer is a short number or word")


def check_lesson(state: str | None) -> None:
    if state is not None and (not isinstance(state, str) or len(state.encode()) > MAX_LESSON_BYTES):
        raise ClassroomError(f"a lesson with its answers is at most {MAX_LESSON_BYTES:,} bytes")


def refuse_closed(poll: dict | None, poll_id: str) -> None:
    """An answer to a question that is not open any more is refused in words."""
    if poll is None or poll.get("id") != poll_id:
        raise ClassroomError("That question is closed: the teacher has moved on.")
    if poll.get("revealed"):
        raise ClassroomError("The answer has been revealed: answers are closed for this question.")


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
