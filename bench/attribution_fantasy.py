"""Guided backprop and fantasy steps, each ÷ one plain forward+backward of the same model, in one run.

python bench/attribution_fantasy.py [repeats]
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cnnviz.explain import attribution as at  # noqa: E402
from cnnviz.explain import fantasy as fa  # noqa: E402
from cnnviz.images import load_sample  # noqa: E402
from cnnviz.networks.network import get  # noqa: E402

NAME = "efficientnet_lite0"


def med(fn, repeats: int) -> float:
    fn()
    out = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return statistics.median(out)


def fwd_bwd(x: torch.Tensor, target: int) -> None:
    xi = x.clone().requires_grad_(True)
    get(NAME).module()(xi)[0, target].backward()


def main(repeats: int) -> None:
    x = get(NAME).preprocess(load_sample("Chelsea the cat"))
    base = med(lambda: fwd_bwd(x, 285), repeats)
    gb = med(lambda: at.attribute(NAME, x, "guided-backprop", target=285), repeats)
    print(f"guided backprop {gb * 1000:.1f} ms ÷ forward+backward {base * 1000:.1f} ms = {gb / base:.2f} (goal ≤ 1.3)")
    for size in (128, 224):
        xs = torch.rand(1, 3, size, size)
        b = med(lambda: fwd_bwd(fa.to_model_input(NAME, xs), 0), repeats)
        cfg = fa.FantasyConfig(layer="_blocks.15.depthwise_act", channel=0, size=size, steps=8)
        per_step = med(lambda: fa.fantasy(cfg), max(2, repeats // 3)) / cfg.steps
        print(f"fantasy step at {size} px {per_step * 1000:.1f} ms ÷ forward+backward {b * 1000:.1f} ms = "
              f"{per_step / b:.2f} (goal ≤ 1.5)")
    cfg = fa.FantasyConfig(layer="_blocks.8.depthwise_act", channel=7, size=224, steps=256)
    t = time.perf_counter()
    fa.fantasy(cfg)
    print(f"256-step 224-px fantasy image: {time.perf_counter() - t:.1f} s on "
          f"{'CUDA' if torch.cuda.is_available() else 'this CPU'}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 9)
