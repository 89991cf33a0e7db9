"""Feature extraction vs a bare forward pass, montage cost, and prediction latency, measured side by side.

python -m bench.network_inspection [repeats]  (prints ratios; uses CUDA if present for the GPU rows)
"""

from __future__ import annotations

import io
import statistics
import sys
import time
from pathlib import Path

import torch
from PIL import Image

from cnnviz.images import load_sample
from cnnviz.networks import probe as ins
from cnnviz.networks.network import get
from cnnviz.networks.specs import SPECS

ROOT = Path(__file__).resolve().parents[1]


def _median_ms(fn, repeats: int) -> float:
    fn()  # warm
    out = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return statistics.median(out) * 1000


def extraction_vs_forward(repeats: int, device: str) -> None:
    model = get("efficientnet_lite0").module(device)
    x = get("efficientnet_lite0").preprocess(load_sample("Chelsea the cat")).to(device)
    for k in (3, 10, 15):
        node = f"_blocks.{k}._bn2"

        def bare():
            with torch.no_grad():
                y = model.stem_act(model._bn0(model._conv_stem(x)))
                for block in model._blocks[:k]:
                    y = block(y)
                b = model._blocks[k]
                if b.expand:
                    y = b.expand_act(b._bn0(b._expand_conv(y)))
                y = b._bn2(b._project_conv(b.depthwise_act(b._bn1(b._depthwise_conv(y)))))
            return y

        ins.feature_maps(get("efficientnet_lite0"), x, (node,), device)  # build the extractor once
        a, b = [], []
        for _ in range(repeats):  # interleaved, so load on the machine hits both alike
            a.append(_median_ms(lambda: ins.feature_maps(get("efficientnet_lite0"), x, (node,), device), 1))
            b.append(_median_ms(bare, 1))
        fa, fb = statistics.median(a), statistics.median(b)
        print(f"[{device}] up to {node:<18} extraction {fa:7.2f} ms · bare forward {fb:7.2f} ms · "
              f"ratio {fa / fb:5.2f} (goal ≤ 1.10)")


def montage_cost(repeats: int) -> None:
    x = get("efficientnet_lite0").preprocess(load_sample("Coffee"))
    widest = max(ins.layers(get("efficientnet_lite0")), key=lambda i: i.shape[0])
    fmap = ins.feature_maps(get("efficientnet_lite0"), x, (widest.node,))[widest.node]
    sizes = []

    def make():
        img = ins.montage(fmap, ins.channel_order(fmap, "mean"), "channel")
        buf = io.BytesIO()
        Image.fromarray(img).save(buf, format="PNG")
        sizes.append((len(buf.getvalue()), img.shape))

    ms = _median_ms(make, repeats)
    size, shape = sizes[-1]
    print(f"montage of the widest layer {widest.node} ({'×'.join(map(str, widest.shape))}): {ms:.0f} ms incl. PNG, "
          f"{size / 1000:.0f} kB, {shape[1]}×{shape[0]} px (goals ≤ 300 ms, ≤ 500 kB)")


def prediction_latency(repeats: int, device: str) -> None:
    import torchvision

    photo = load_sample("Coffee")
    for name in SPECS:
        try:
            model = get(name).module(device)
            note = ""
        except Exception:  # noqa: BLE001 - weights not cached here: same architecture, random weights
            model = (torchvision.models.GoogLeNet(aux_logits=False, init_weights=False) if name == "googlenet"
                     else getattr(torchvision.models, name)(weights=None)).eval().to(device)
            note = " (weights not cached: same architecture, random weights)"
        xin = get(name).preprocess(photo).to(device)

        def run():
            with torch.no_grad():
                model(xin).softmax(1)
            if device == "cuda":
                torch.cuda.synchronize()

        print(f"[{device}] predict {name:<18} {_median_ms(run, repeats):8.1f} ms{note}")


if __name__ == "__main__":
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    torch.set_num_threads(torch.get_num_threads())
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    for dev in devices:
        extraction_vs_forward(reps, dev)
    montage_cost(max(3, reps // 3))
    for dev in devices:
        prediction_latency(max(3, reps // 3), dev)
