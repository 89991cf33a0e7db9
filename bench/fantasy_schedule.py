"""How long the default class image takes from the command line, process start included, beside the classic schedule.

Runs `python -m cnnviz fantasy --class 130` as a learner would (a fresh process each time: importing torch and
building the network count), alternating the default (80 steps at 128 px, then 24 at 224 px) with the classic
256 steps at 224 px, and prints the median wall time of each, the part spent before the first step, and their ratio.
Whether the images are as recognisable is bench/fantasy_judge.py's question.

python -m bench.fantasy_schedule [--runs 3] [--class 130]
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCHEDULES = {"default (80 at 128 px, 24 at 224 px)": [],
             "classic (256 at 224 px)": ["--coarse-steps", "0", "--steps", "256"]}


def timed(extra: list[str], cls: int, out: Path) -> tuple[float, float]:
    """(wall seconds of the whole command, seconds its optimisation reported)."""
    t = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "cnnviz", "fantasy", "--class", str(cls), "-o", str(out), *extra],
                       capture_output=True, text=True, check=True)
    wall = time.perf_counter() - t
    found = re.search(r"in ([0-9.]+) s", p.stdout)
    return wall, float(found.group(1)) if found else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--class", dest="cls", type=int, default=130)
    args = ap.parse_args()
    import torch

    print(f"{torch.get_num_threads()} threads; class {args.cls}; {args.runs} runs each, alternating", flush=True)
    walls: dict[str, list[float]] = {k: [] for k in SCHEDULES}
    opt: dict[str, list[float]] = {k: [] for k in SCHEDULES}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.runs):
            for name, extra in SCHEDULES.items():
                wall, inner = timed(extra, args.cls, Path(tmp) / "f.png")
                walls[name].append(wall)
                opt[name].append(inner)
    print(f"{'schedule':<38} {'wall s':>7} {'optimising s':>13} {'before and after s':>19}")
    for name in SCHEDULES:
        w, o = statistics.median(walls[name]), statistics.median(opt[name])
        print(f"{name:<38} {w:>7.1f} {o:>13.1f} {w - o:>19.1f}")
    names = list(SCHEDULES)
    ratio = statistics.median(walls[names[1]]) / statistics.median(walls[names[0]])
    print(f"classic ÷ default, wall time: {ratio:.2f}")


if __name__ == "__main__":
    main()
