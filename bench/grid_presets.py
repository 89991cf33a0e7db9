"""Every preset of the grid pages: seconds for the first run and for a rerun, beside a trivial page's rerun.

Issue #16 asks every rerun to stay ≤ 1 s on this machine for every preset. Measured with
Streamlit's AppTest (the script run, without the browser's drawing); each page opens on the
preset through its link, as a shared link would. Run: python -m bench.grid_presets [repeats]
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

from bench.grid_step_rerun import trivial_page
from cnnviz.grids.presets import CONV_PRESETS, POOL_PRESETS

ROOT = Path(__file__).resolve().parents[1]


def page_at(file: str, **query: str) -> tuple[AppTest, float]:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    t = time.perf_counter()
    at.switch_page(f"pages/{file}")
    at.run()
    return at, time.perf_counter() - t


def reruns(at: AppTest, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


if __name__ == "__main__":
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    trivial = AppTest.from_function(trivial_page)
    trivial.run()
    base = reruns(trivial, repeats)
    print(f"trivial page rerun: {base:.3f} s (the floor)\n")
    print(f"{'page':<26} {'preset':<14} {'first run':>10} {'rerun':>8} {'÷ trivial':>10}")
    worst = 0.0
    cases = [("operations/convolution.py", k) for k in CONV_PRESETS] + \
            [("operations/backward.py", k) for k in CONV_PRESETS] + \
            [("operations/pooling.py", k) for k in POOL_PRESETS]
    for file, preset in cases:
        at, first = page_at(file, preset=preset)
        if at.exception:
            print(f"{file:<26} {preset:<14} EXCEPTION {at.exception[0].value}")
            continue
        again = reruns(at, repeats)
        worst = max(worst, again)
        print(f"{file:<26} {preset:<14} {first:>9.2f}s {again:>7.2f}s {again / base:>9.1f}×")
    print(f"\nslowest rerun: {worst:.2f} s ({'within' if worst <= 1.0 else 'OVER'} the 1 s goal)")
