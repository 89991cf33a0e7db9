"""`python -m cnnviz lesson …` — check a lesson file, or list its views (what a teacher prepares on the Lessons
page, read back without a browser)."""

from __future__ import annotations

from pathlib import Path

from cnnviz.cli.common import emit
from cnnviz.errors import CnnvizError


def _read(path: str):
    from cnnviz.classroom.lessons import MAX_BYTES, lesson_from_json

    p = Path(path)
    if not p.is_file():
        raise CnnvizError(f"no such lesson file: {path}")
    if p.stat().st_size > MAX_BYTES:
        raise CnnvizError(f"{p.name} is {p.stat().st_size:,} bytes; a lesson is at most {MAX_BYTES:,}")
    return lesson_from_json(p.read_bytes())


def cmd_check(args) -> None:
    lesson = _read(args.file)
    asked = sum(v.question is not None for v in lesson.views)
    emit(args, {"valid": True, "name": lesson.name, "views": len(lesson.views), "questions": asked},
         f"valid: {lesson.name!r}, {len(lesson.views)} views, {asked} questions")


def cmd_list(args) -> None:
    lesson = _read(args.file)
    rows = [{"view": k + 1, "title": v.title, "page": v.page, "question": v.question.prompt if v.question else None,
             "answer": v.question.answer_text if v.question else None} for k, v in enumerate(lesson.views)]
    lines = [f"{r['view']:>2}. {r['page']:<14} {r['title']}" + (f" — asks: {r['question']} ({r['answer']})"
                                                                   if r["question"] else "") for r in rows]
    emit(args, {"name": lesson.name, "views": rows}, f"{lesson.name}\n" + "\n".join(lines))


def register(sub) -> None:
    """Add this group's subcommands to the top-level parser."""
    from cnnviz.cli.common import Parser

    p = sub.add_parser("lesson", help="check a lesson file, or list its views")
    inner = p.add_subparsers(dest="lesson_command", metavar="ACTION", parser_class=Parser, required=True)
    for name, func, what in (("check", cmd_check, "valid, or the first problem in words (exit 2)"),
                             ("list", cmd_list, "one line per view: its page and its question")):
        q = inner.add_parser(name, help=what)
        q.add_argument("file", help="a lesson (.json) as the Lessons page saves it")
        q.add_argument("--json", action="store_true", help="the result as JSON")
        q.set_defaults(func=func)
