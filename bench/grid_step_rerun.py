"""Cost of one stepping click on a 16×16 convolution page ÷ the rerun of a trivial page.

Both are measured here, side by side, with Streamlit's AppTest (the script run, without the
browser's drawing). Run: python -m bench.grid_step_rerun [repeats]
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

from cnnviz.grids.text import grid_to_url

ROOT = Path(__file__).resolve().parents[1]


def trivial_page() -> None:
    import streamlit as st

    st.title("Trivial")
    st.button("Next", key="next")
    st.write("hello")


def timed(at: AppTest, action, repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        t = time.perf_counter()
        action(at).run()
        out.append(time.perf_counter() - t)
    return out


def main(repeats: int = 15) -> None:
    rng = np.random.default_rng(0)
    conv = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    conv.query_params.update({"x": grid_to_url(rng.integers(0, 10, (16, 16))), "k": grid_to_url(np.ones((3, 3))),
                              "p": "same"})
    conv.run()
    conv.switch_page("pages/operations/convolution.py").run()
    assert not conv.exception
    trivial = AppTest.from_function(trivial_page, default_timeout=60)
    trivial.run()
    # warm both, then alternate so machine noise hits both alike
    conv.button(key="conv_next").click().run()
    trivial.button(key="next").click().run()
    t_conv, t_triv = [], []
    for _ in range(repeats):
        t_conv += timed(conv, lambda a: a.button(key="conv_next").click(), 1)
        t_triv += timed(trivial, lambda a: a.button(key="next").click(), 1)
    mc, mt = statistics.median(t_conv), statistics.median(t_triv)
    print(f"16×16 convolution, one step : median {mc * 1000:7.1f} ms over {repeats} reruns")
    print(f"trivial page, one click     : median {mt * 1000:7.1f} ms over {repeats} reruns")
    print(f"ratio (goal ≤ 3×)           : {mc / mt:7.2f}×")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
