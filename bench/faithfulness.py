"""Deletion and insertion for one photo (EfficientNet-Lite0, 224 px, 20 steps) after the maps exist: the page's
default three maps and every quick method, each with the random map (3 seeds); batches of 16 ÷ one picture at a
time, side by side in one run.

python -m bench.faithfulness
"""

from __future__ import annotations

import time

import torch

from cnnviz.explain import faithfulness as fa
from cnnviz.explain import methods as registry
from cnnviz.explain.attribution import attribute
from cnnviz.images import load_sample
from cnnviz.networks.network import get

DEFAULT = ("guided-backprop", "gradcam", "saliency")


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main() -> None:
    net = get("efficientnet_lite0")
    x = net.preprocess(load_sample("Chelsea the cat"))
    quick = [m.name for m in registry.every() if not m.slow]
    t = time.perf_counter()
    maps = {m: attribute(net, x, m, target=282).values for m in quick}
    print(f"{len(quick)} maps made in {time.perf_counter() - t:.1f} s (not counted below); "
          f"{torch.get_num_threads()} threads")
    fa.faithfulness(net, x, 282, {"gradcam": maps["gradcam"]}, steps=5)  # warm up
    for chosen in (DEFAULT, tuple(quick)):
        some = {m: maps[m] for m in chosen}
        pictures = (len(some) + len(fa.RANDOM_SEEDS)) * 2 * 19 + 2
        batched = timed(lambda: fa.faithfulness(net, x, 282, some, steps=20, batch=16))
        single = timed(lambda: fa.faithfulness(net, x, 282, some, steps=20, batch=1))
        print(f"{len(some):>2} maps + random map: {pictures} pictures, batches of 16 {batched:.1f} s "
              f"({pictures / batched:.0f}/s) ÷ one at a time {single:.1f} s = {batched / single:.2f} "
              f"(goal ≤ 10 s)", flush=True)


if __name__ == "__main__":
    main()
