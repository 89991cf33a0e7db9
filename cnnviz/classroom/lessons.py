"""Lessons a teacher prepares: an ordered list of views (a page's link), each with a note and perhaps a question.

Every view of the app is already a link, so a lesson is small, plain data: saved as JSON, opened again, shared as
one link when short enough, run with a class view by view. A lesson file comes from anyone, so it is read as data
only — checked against the schema below field by field, sizes capped, nothing in it executed or imported — and
a bad file is refused in one sentence that says where it is wrong.

After a run, each question's answers are summarised anonymously: how many answered, how many were right, and
the spread of the answers (no names are ever collected).
"""

from __future__ import annotations

import base64
import csv
import io
import json
import re
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from cnnviz.errors import CnnvizError
from cnnviz.grids.questions import AnswerError, Question, histogram, question_from_dict, question_to_dict
from cnnviz.pagemap import HOME, PAGES

FORMAT = "cnnviz-lesson"
VERSION = 1
MAX_BYTES = 64_000  # a lesson file (its JSON): far above ten views with notes, far below anything harmful
MAX_VIEWS = 30
MAX_TITLE = 80
MAX_NOTE = 600
MAX_PROMPT = 200
MAX_PARAMS = 40
MAX_PARAM_CHARS = 600  # a grid typed into a link is a few hundred characters
MAX_CHOICE = 40
MAX_LINK = 1800  # characters of the `lesson=` value: a link longer than this is cut by some chat and mail tools
SHIPPED = Path(__file__).resolve().parents[2] / "assets" / "lessons"
_KEY = re.compile(r"[a-z][a-z0-9_]{0,23}")
PAGE_PATHS = {p.url_path for p in PAGES} | {"start", HOME.url_path}


class LessonError(CnnvizError):
    """A lesson that cannot be read or changed: one sentence, naming the view and the field."""


@dataclass(frozen=True)
class LessonView:
    """One screen of a lesson: a page's link, a note for the students, perhaps a question.

    A stepper's own question keeps its stepper and step, so the class answers it in that stepper as with
    "Ask the class"; a question the teacher typed has no stepper and is answered beside the note."""

    title: str
    page: str  # the page's url path, as in the app's links
    params: tuple[tuple[str, str], ...] = ()
    note: str = ""
    question: Question | None = None
    stepper: str = ""  # the stepper whose question it is ("" for a typed question)
    step: int = 0

    def query(self) -> dict[str, str]:
        return dict(self.params)


@dataclass(frozen=True)
class Lesson:
    name: str
    views: tuple[LessonView, ...] = field(default_factory=tuple)

    def added(self, view: LessonView) -> Lesson:
        if len(self.views) >= MAX_VIEWS:
            raise LessonError(f"a lesson holds at most {MAX_VIEWS} views: remove one first")
        return replace(self, views=self.views + (view,))

    def moved(self, index: int, by: int) -> Lesson:
        """The view at `index` moved up (by=-1) or down (by=+1); at an end it stays."""
        to = index + by
        if not (0 <= index < len(self.views) and 0 <= to < len(self.views)):
            return self
        views = list(self.views)
        views[index], views[to] = views[to], views[index]
        return replace(self, views=tuple(views))

    def removed(self, index: int) -> Lesson:
        return replace(self, views=tuple(v for k, v in enumerate(self.views) if k != index))

    def to_dict(self) -> dict:
        return {"format": FORMAT, "version": VERSION, "name": self.name,
                "views": [_view_to_dict(v) for v in self.views]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=1)


def _view_to_dict(v: LessonView) -> dict:
    out: dict = {"title": v.title, "page": v.page, "params": dict(v.params), "note": v.note}
    if v.question is not None:
        out["question"] = question_to_dict(v.question)
        if v.stepper:
            out["question"] |= {"stepper": v.stepper, "step": v.step}
    return out


# ---- reading a lesson (any file from anyone) ---------------------------------------------------------------------

def lesson_from_json(data: bytes | str) -> Lesson:
    """A lesson from its JSON file; LessonError in one sentence when it is not one."""
    raw = data.encode() if isinstance(data, str) else bytes(data)
    if len(raw) > MAX_BYTES:
        raise LessonError(f"this lesson file is {len(raw):,} bytes; a lesson is at most {MAX_BYTES:,}")
    try:
        d = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise LessonError(f"this is not a lesson file: it is not JSON text ({e.__class__.__name__})") from e
    return lesson_from_dict(d)


def lesson_from_dict(d: object) -> Lesson:
    if not isinstance(d, dict) or d.get("format") != FORMAT:
        raise LessonError(f"this is not a lesson file: it lacks \"format\": \"{FORMAT}\"")
    if d.get("version") != VERSION:
        raise LessonError(f"lesson format version {d.get('version')!r} is not known (this app reads {VERSION})")
    name = _text(d, "name", MAX_TITLE, "the lesson")
    views = d.get("views")
    if not isinstance(views, list) or not views:
        raise LessonError("a lesson needs a list of views (\"views\": [...]) with at least one view")
    if len(views) > MAX_VIEWS:
        raise LessonError(f"this lesson has {len(views)} views; a lesson holds at most {MAX_VIEWS}")
    return Lesson(name, tuple(_view_from_dict(v, k + 1) for k, v in enumerate(views)))


def _view_from_dict(v: object, n: int) -> LessonView:
    where = f"view {n}"
    if not isinstance(v, dict):
        raise LessonError(f"{where} is not an object with a title, a page and its link's values")
    page = _text(v, "page", 40, where)
    if page not in PAGE_PATHS:
        raise LessonError(f"{where}: {page!r} is not a page of CNN Explorer (one of {', '.join(sorted(PAGE_PATHS))})")
    params = v.get("params", {})
    if not isinstance(params, dict) or len(params) > MAX_PARAMS:
        raise LessonError(f"{where}: \"params\" must be the link's values as an object of at most {MAX_PARAMS} texts")
    for key, value in params.items():
        if not _KEY.fullmatch(str(key)) or not isinstance(value, str) or len(value) > MAX_PARAM_CHARS:
            raise LessonError(f"{where}: the link value {str(key)[:30]!r} is not a short text under a link key")
    question, stepper, step = _question(v.get("question"), where)
    return LessonView(_text(v, "title", MAX_TITLE, where), page, tuple(sorted(params.items())),
                      _text(v, "note", MAX_NOTE, where, required=False), question, stepper, step)


def _question(q: object, where: str) -> tuple[Question | None, str, int]:
    if q is None:
        return None, "", 0
    if not isinstance(q, dict):
        raise LessonError(f"{where}: \"question\" must be an object (or left out)")
    _text(q, "prompt", MAX_PROMPT, f"{where}'s question")
    stepper = q.get("stepper", "")
    step = q.get("step", 0)
    if not isinstance(stepper, str) or not (stepper == "" or _KEY.fullmatch(stepper)) or not isinstance(step, int):
        raise LessonError(f"{where}: the question's stepper must be a stepper's key and its step a whole number")
    try:
        question = question_from_dict(q)
        _check_question(question)
    except (KeyError, TypeError, ValueError, AnswerError) as e:
        raise LessonError(f"{where}: its question is not one this app can ask ({e})") from e
    return question, stepper, int(step)


def _check_question(q: Question) -> None:
    if q.kind == "choice":
        if not 2 <= len(q.choices) <= 5 or q.answer not in q.choices or len(set(q.choices)) != len(q.choices):
            raise ValueError("a choice needs 2–5 different options, one of them the right answer")
        if any(not c or len(c) > MAX_CHOICE for c in q.choices):
            raise ValueError(f"each option is 1–{MAX_CHOICE} characters")
    elif isinstance(q.answer, str) or len(q.hide) > 8 or len(q.later) > 8:
        raise ValueError("the answer must be a number or a size")
    elif isinstance(q.answer, float) and not abs(q.answer) < 1e12:
        raise ValueError("the answer must be a finite number")


def _text(d: dict, key: str, limit: int, where: str, required: bool = True) -> str:
    value = d.get(key, None if required else "")
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > limit:
        raise LessonError(f"{where}: \"{key}\" must be a text of {'1' if required else '0'}–{limit} characters")
    return value.strip()


# ---- a question the teacher types -----------------------------------------------------------------------------

def typed_question(prompt: str, answer: str = "", choices: Sequence[str] = (), right: int = 0) -> Question:
    """A teacher's own question: a number (typed `answer`), or 2–5 `choices` with the `right` one marked."""
    prompt = prompt.strip()
    if not prompt or len(prompt) > MAX_PROMPT:
        raise LessonError(f"a question is 1–{MAX_PROMPT} characters")
    options = tuple(c.strip() for c in choices if c.strip())
    if options:
        if not 2 <= len(options) <= 5 or not 0 <= right < len(options):
            raise LessonError("a multiple-choice question needs 2–5 options and one of them marked right")
        q = Question(prompt, options[right], "your teacher's answer", choices=options)
    else:
        from cnnviz.grids.text import parse_number

        try:
            q = Question(prompt, float(parse_number(answer)), "your teacher's answer")
        except ValueError as e:
            raise LessonError(f"the right answer must be a number ({e})") from e
    try:
        _check_question(q)
    except ValueError as e:
        raise LessonError(str(e)) from e
    return q


# ---- a lesson as one link -----------------------------------------------------------------------------------------

def to_link_value(lesson: Lesson) -> str | None:
    """The lesson as the value of `lesson=` in a link (compressed JSON), or None when too long to share so."""
    packed = zlib.compress(json.dumps(lesson.to_dict(), ensure_ascii=False, separators=(",", ":")).encode(), 9)
    value = base64.urlsafe_b64encode(packed).decode().rstrip("=")
    return value if len(value) <= MAX_LINK else None


def from_link_value(value: str) -> Lesson:
    if len(value) > MAX_LINK * 2:
        raise LessonError("this lesson link is too long to be one the app made")
    try:
        packed = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        unpack = zlib.decompressobj()
        raw = unpack.decompress(packed, MAX_BYTES + 1)
    except (ValueError, zlib.error) as e:
        raise LessonError("this lesson link is damaged (it may have been cut): ask for it again") from e
    if not unpack.eof:
        raise LessonError("this lesson link is damaged (it may have been cut): ask for it again")
    return lesson_from_json(raw)


def shipped() -> list[tuple[str, Lesson]]:
    """The lessons that come with the app (assets/lessons/), in file order: (file stem, lesson)."""
    return [(p.stem, lesson_from_json(p.read_bytes())) for p in sorted(SHIPPED.glob("*.json"))]


# ---- after the lesson ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class QuestionSummary:
    view: int  # 1-based
    title: str
    prompt: str
    answered: int
    right: int
    spread: tuple[tuple[str, int, bool], ...]  # (answer, how many, right?)

    @property
    def spread_text(self) -> str:
        return "; ".join(f"{label}: {n}{' (right)' if ok else ''}" for label, n, ok in self.spread) or "no answers"


def summarise(view: int, title: str, q: Question, answers: Sequence[str]) -> QuestionSummary:
    """One question's anonymous summary from the answers as the class store keeps them (unreadable ones dropped)."""
    parsed = []
    for a in answers:
        try:
            parsed.append(q.parse(a))
        except AnswerError:
            continue
    spread = tuple(histogram(q, parsed))
    return QuestionSummary(view, title, q.prompt, len(parsed), sum(n for _, n, ok in spread if ok), spread)


def summary_to_dict(s: QuestionSummary) -> dict:
    return {"view": s.view, "title": s.title, "prompt": s.prompt, "answered": s.answered, "right": s.right,
            "spread": [list(x) for x in s.spread]}


def summary_from_dict(d: dict) -> QuestionSummary:
    return QuestionSummary(int(d["view"]), str(d["title"]), str(d["prompt"]), int(d["answered"]), int(d["right"]),
                           tuple((str(a), int(n), bool(ok)) for a, n, ok in d["spread"]))


def summary_csv(rows: Sequence[QuestionSummary]) -> str:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["view", "title", "question", "answered", "right", "answers"])
    for r in rows:
        w.writerow([r.view, r.title, r.prompt, r.answered, r.right, r.spread_text])
    return out.getvalue()


@dataclass
class LessonRun:
    """A teacher's run of a lesson: the view the class is on, whether the class is in it, the view whose question is
    open (and that question's id), and each question's answers summarised (view index → summary dict).

    Kept with the class as JSON (`saved` / `restored`) so that a teacher's next session — another tab, another
    replica — finds the lesson where it was."""

    at: int = 0
    active: bool = False
    ended: bool = False
    poll: tuple[int, str] | None = None
    results: dict[str, dict] = field(default_factory=dict)

    def open_view(self, lesson: Lesson, at: int, poll_id: str) -> tuple[dict | None, dict]:
        """The class moves to view `at`: (its question as the class's poll — asked anew with `poll_id` — or None,
        the lesson's line every follower's page shows)."""
        v = lesson.views[at]
        poll = None if v.question is None else {
            "id": poll_id, "stepper": v.stepper or None, "step": v.step, "page": v.page,
            "question": question_to_dict(v.question), "revealed": False, "lesson_view": at}
        self.at, self.active, self.ended = at, True, False
        self.poll = (at, poll_id) if poll else None
        return poll, {"name": lesson.name, "at": at, "n": len(lesson.views), "title": v.title, "note": v.note}

    def record(self, lesson: Lesson, at: int, answers: Sequence[str]) -> None:
        """View `at`'s question, summarised from these answers (kept as they come: a closed question keeps its
        summary)."""
        if 0 <= at < len(lesson.views) and (q := lesson.views[at].question) is not None:
            self.results[str(at)] = summary_to_dict(summarise(at + 1, lesson.views[at].title, q, answers))

    def close_question(self, lesson: Lesson, answers_of: Callable[[str], Sequence[str]]) -> None:
        """Before the class moves on: the open question's answers summarised (the store keeps only the open
        question's); an earlier count is kept when no answer reached the store."""
        if self.poll is None:
            return
        at, poll_id = self.poll
        answers = answers_of(poll_id)
        if answers or str(at) not in self.results:
            self.record(lesson, at, answers)
        self.poll = None

    def leave(self, ended: bool = False) -> None:
        """The class leaves the lesson (to improvise, or at its end); the run remembers where it was."""
        self.active, self.ended = False, ended

    def summaries(self) -> list[QuestionSummary]:
        return [summary_from_dict(d) for _, d in sorted(self.results.items(), key=lambda kv: int(kv[0]))]

    def saved(self, lesson: Lesson) -> str:
        return json.dumps({"lesson": lesson.to_dict(), "run": {"at": self.at, "active": self.active,
                                                               "ended": self.ended, "poll": self.poll,
                                                               "results": self.results}})

    @staticmethod
    def restored(text: str) -> tuple[Lesson, LessonRun]:
        """(the lesson, its run) from `saved`'s text; LessonError, ValueError or KeyError when it is not one."""
        d = json.loads(text)
        r = d["run"]
        poll = tuple(r["poll"]) if r.get("poll") else None
        return lesson_from_dict(d["lesson"]), LessonRun(int(r["at"]), bool(r["active"]), bool(r.get("ended")),
                                                         (int(poll[0]), str(poll[1])) if poll else None,
                                                         dict(r.get("results", {})))
