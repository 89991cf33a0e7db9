"""`python -m cnnviz lesson check|list`: a shipped lesson is valid and listed view by view; a bad file is one
line on stderr and exit 2."""

from __future__ import annotations

import json

import pytest

from tests.cli.test_cli import ROOT, run

pytestmark = pytest.mark.unit
POOLING = str(ROOT / "assets" / "lessons" / "3_pooling.json")


def test_a_shipped_lesson_checks_valid_and_lists_one_line_per_view():
    out = run("lesson", "check", POOLING)
    assert out.returncode == 0 and out.stdout.startswith("valid: 'Pooling', 6 views")
    listed = run("lesson", "list", POOLING).stdout.splitlines()
    assert listed[0] == "Pooling" and len(listed) == 7
    assert listed[2].startswith(" 2. pooling") and "asks: What is output[0, 0] (max pooling)? (6)" in listed[2]
    rows = json.loads(run("lesson", "list", POOLING, "--json").stdout)["views"]
    assert [r["page"] for r in rows] == ["pooling"] * 6


def test_a_bad_lesson_file_is_its_first_problem_in_one_line_and_exit_2(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "cnnviz-lesson", "version": 1, "name": "x",
                               "views": [{"title": "a", "page": "nope"}]}))
    out = run("lesson", "check", str(bad), check=False)
    assert out.returncode == 2 and out.stderr.startswith("error: view 1: 'nope' is not a page")
    assert len(out.stderr.strip().splitlines()) == 1
    assert run("lesson", "check", str(tmp_path / "missing.json"), check=False).returncode == 2
