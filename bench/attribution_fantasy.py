"""Guided backprop, Score-CAM, the sanity check and fantasy steps, each ÷ a plain counterpart, in one run.

python -m bench.attribution_fantasy [repeats]
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import torch

from cnnviz.explain import attribution as at
from cnnviz.explain import fantasy as fa
from cnnviz.images import load_sample
from cnnviz.networks.network import get

ROOT = Path(__file__).resolve().parents[1]

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
    gb = med(lambda: at.attribute(get(NAME), x, "guided-backprop", target=285), repeats)
    print(f"guided backprop {gb * 1000:.1f} ms ÷ forward+backward {base * 1000:.1f} ms = {gb / base:.2f} (goal ≤ 1.3)")
    from cnnviz.explain.method import Request
    from cnnviz.explain.methods import scorecam

    gradcam = med(lambda: at.attribute(get(NAME), x, "gradcam", target=285), repeats)
    for channels, batch in ((scorecam.CHANNELS, 8), (scorecam.CHANNELS, 16), (scorecam.CHANNELS, 32),
                            (scorecam.CHANNELS, 8)):
        t = time.perf_counter()
        scorecam.compute(Request.for_class(get(NAME), x, 285), batch=batch, channels=channels)
        score = time.perf_counter() - t
        print(f"Score-CAM, {channels} most active channels, batches of {batch}: {score:.1f} s ÷ Grad-CAM "
              f"{gradcam * 1000:.0f} ms = {score / gradcam:.0f} (224 px, {torch.get_num_threads()} threads)", flush=True)
    from cnnviz.explain import sanity

    t = time.perf_counter()
    done = sanity.cascading(get(NAME), x, target=285)
    whole = time.perf_counter() - t
    print(f"sanity check, {len(done) - 1} layer groups × {len(sanity.DEFAULT_METHODS)} methods "
          f"({', '.join(sanity.DEFAULT_METHODS)}): {whole:.1f} s, {whole / len(done) * 1000:.0f} ms per step "
          f"÷ guided backprop {gb * 1000:.0f} ms = {whole / len(done) / gb:.1f}", flush=True)
    from cnnviz.networks.probe import extractor

    for target, layer in (("channel", "_blocks.15.depthwise_act"), ("class", None)):
        cfg0 = fa.FantasyConfig(target=target, layer=layer, channel=0, class_index=1, steps=8)
        node = fa.target_node(cfg0)
        for size in (64, 96, 128, 160, 224):
            xs = torch.rand(1, 3, size, size)

            def to_target(x: torch.Tensor, node: str | None = node) -> None:
                xi = x.clone().requires_grad_(True)
                if node is None:
                    get(NAME).module()(xi)[0, 1].backward()
                else:
                    extractor(NAME, (node,))(xi)[node][0, 0].mean().backward()

            b = med(lambda: to_target(fa.to_model_input(NAME, xs)), repeats)
            cfg = fa.FantasyConfig(target=target, layer=layer, channel=0, class_index=1, size=size, steps=32)
            per_step = med(lambda: fa.fantasy(cfg), 3) / cfg.steps  # set-up included, spread over 32 steps
            print(f"fantasy step ({target}, {cfg.param}) at {size} px {per_step * 1000:.1f} ms ÷ forward+backward to "
                  f"{node or 'the logits'} {b * 1000:.1f} ms = {per_step / b:.2f} (goal ≤ 1.5)", flush=True)
    for title, schedule in (("the app's default class image", fa.COARSE_TO_FINE),
                            ("the classic schedule", {"size": 224, "steps": 256})):
        cfg = fa.FantasyConfig(target="class", class_index=130, **schedule)
        t = time.perf_counter()
        fa.fantasy(cfg)
        start = f"{cfg.coarse_steps} steps at {cfg.coarse_size} px, then " if cfg.coarse_steps else ""
        print(f"{title} ({start}{cfg.steps} steps at {cfg.size} px, {cfg.param}): {time.perf_counter() - t:.1f} s "
              f"on {'CUDA' if torch.cuda.is_available() else 'this CPU'}", flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 9)
