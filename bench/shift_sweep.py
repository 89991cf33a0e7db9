"""A 33-shift sweep of MobileNetV2 on a sample photo: batched (as the page and the CLI run it) beside one forward pass
per window, in one run; the goal is ≤ 5 s on 2 cores.

python -m bench.shift_sweep
"""

import time

import torch

from cnnviz.images import load_sample
from cnnviz.networks import shift_sweep as S
from cnnviz.networks.network import get

if __name__ == "__main__":
    net, rgb = get("mobilenet_v2"), load_sample("Astronaut")
    model = net.module("cpu")
    S.shift_sweep(net, rgb, 2)  # weights loaded, threads warm
    t = time.perf_counter()
    sweep = S.shift_sweep(net, rgb, 32)
    batched = time.perf_counter() - t
    t = time.perf_counter()
    wins = S.shift_windows(rgb, 32)
    with torch.no_grad():
        for k in range(33):
            model(S._to_input(net, wins[k : k + 1]))
    single = time.perf_counter() - t
    print(f"33-shift sweep of MobileNetV2: batched by {S.BATCH} {batched:.2f} s (goal ≤ 5 s), one window at a time "
          f"{single:.2f} s = {single / batched:.2f}× the batched time; consistency {sweep.consistency:.2f}, "
          f"{sweep.flips} flips")
