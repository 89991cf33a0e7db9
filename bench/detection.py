"""Detection speed, side by side in one run: the digits detector per scene (forward alone, and with decoding + NMS),
and the Detection arithmetic page's rerun with 200 boxes to suppress (goal ≤ 1 s).

python -m bench.detection [scenes]
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
from streamlit.testing.v1 import AppTest

from cnnviz.detect import boxes as B
from cnnviz.detect import digits as D

ROOT = Path(__file__).resolve().parents[1]


def per_scene(n: int) -> None:
    model = D.load()
    test = D.scenes(n, "heldout", 99)
    bare, full = [], []
    for s in test:
        x, _ = D.to_input(s.image)
        t = time.perf_counter()
        with torch.no_grad():
            model(x)
        bare.append(time.perf_counter() - t)
        t = time.perf_counter()
        D.detect(model, s.image)
        full.append(time.perf_counter() - t)
    b, f = statistics.median(bare), statistics.median(full)
    print(f"digits detector, median per scene over {n}: forward {1000 * b:.1f} ms, forward + decode + NMS "
          f"{1000 * f:.1f} ms ({f / b:.2f}× the bare forward pass)")


def nms_page() -> None:
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 400, (200, 2))
    rows = [f"{x:.0f} {y:.0f} {x + w:.0f} {y + h:.0f} {s:.3f}" for (x, y), (w, h), s in
            zip(xy, rng.uniform(20, 80, (200, 2)), rng.uniform(0, 1, 200))]
    boxes = np.array([[float(v) for v in r.split()[:4]] for r in rows])
    t = time.perf_counter()
    res = B.nms(boxes, rng.uniform(0, 1, 200), 0.5)
    engine = time.perf_counter() - t
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/detection/detection.py")
    at.run()
    at.text_area(key="det_nms_text").set_value("\n".join(rows)).run()
    times = []
    for _ in range(3):
        t = time.perf_counter()
        next(b for b in at.button if b.label == "Next").click().run()
        times.append(time.perf_counter() - t)
    print(f"NMS of 200 boxes in the engine: {1000 * engine:.1f} ms ({len(res.steps)} steps); Detection page rerun "
          f"with them: median {statistics.median(times):.2f} s (goal ≤ 1 s)")


if __name__ == "__main__":
    per_scene(int(sys.argv[1]) if len(sys.argv) > 1 else 50)
    nms_page()
