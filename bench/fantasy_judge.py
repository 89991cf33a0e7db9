"""Do other networks recognise the app's class images? Fantasy images for 10 ImageNet classes, judged.

The images are optimised against EfficientNet-Lite0 with the app's defaults for a class (fantasy.COARSE_TO_FINE);
each is then shown, whole, to networks it was not optimised against: MobileNetV2 (torchvision's
weights, trained by another team with another recipe: the honest judge) and EfficientNet-Lite1
(Lite0's sibling, trained the same way: an easier judge, reported for comparison). Prints, per
class, the judges' top-1 and whether the target is in their top-5, the seconds per image, and the
totals; saves the images and a contact sheet.

python -m bench.fantasy_judge [--out DIR] [--set key=value ...]   e.g. --set param=fourier --set steps=128;
the classic schedule (256 steps at 224 px): --set coarse_steps=0 --set steps=256
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from cnnviz.explain import fantasy as fa
from cnnviz.networks.network import get

ROOT = Path(__file__).resolve().parents[1]

MODEL = "efficientnet_lite0"
JUDGES = ("mobilenet_v2", "efficientnet_lite1")
CLASSES = {"flamingo": 130, "peacock": 84, "monarch": 323, "starfish": 327, "ladybug": 301, "zebra": 340,
           "strawberry": 949, "daisy": 985, "goldfinch": 11, "lemon": 951}


def judged(img: np.ndarray, target: int) -> dict[str, tuple[bool, bool, str]]:
    """judge → (target first, target in the top-5, the judge's first label), the whole image squashed to its input."""
    out = {}
    for name in JUDGES:
        net = get(name)
        with torch.no_grad():
            logits = net.module()(net.preprocess(img, "squash"))[0]
        top = logits.topk(5).indices.tolist()
        out[name] = (top[0] == target, target in top, net.labels[top[0]])
    return out


def contact_sheet(images: list[np.ndarray], labels: list[str]) -> Image.Image:
    from cnnviz.present.render import load_font

    side, cols = images[0].shape[0], 5
    rows = -(-len(images) // cols)
    sheet = Image.new("RGB", (cols * side, rows * (side + 28)), "white")
    from PIL import ImageDraw

    draw = ImageDraw.Draw(sheet)
    label_font = load_font(16)
    for k, (im, label) in enumerate(zip(images, labels, strict=True)):
        x, y = (k % cols) * side, (k // cols) * (side + 28)
        sheet.paste(Image.fromarray(im), (x, y))
        draw.text((x + 4, y + side + 3), label, fill="black", font=label_font)
    return sheet


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="artifacts/bench/fantasy_judge")
    ap.add_argument("--set", action="append", default=[], help="a FantasyConfig field, e.g. param=fourier")
    ap.add_argument("--only", default=None, help="comma-separated class names")
    args = ap.parse_args()
    overrides = {}
    for item in args.set:
        key, value = item.split("=", 1)
        overrides[key] = ast.literal_eval(value) if value[:1] in "0123456789.-([" or value in ("True", "False", "None") \
            else value
    base = dataclasses.replace(fa.FantasyConfig(model=MODEL, target="class", **fa.COARSE_TO_FINE), **overrides)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    classes = {k: v for k, v in CLASSES.items() if not args.only or k in args.only.split(",")}
    start = f"{base.coarse_steps} steps at {base.coarse_size} px, then " if base.coarse_steps else ""
    print(f"model {MODEL}, {base.param}, {start}{base.steps} steps at {base.size} px, seed {base.seed}, "
          f"{torch.get_num_threads()} threads; judges {', '.join(JUDGES)}", flush=True)
    images, labels, seconds = [], [], []
    score = {j: [0, 0] for j in JUDGES}
    for name, index in classes.items():
        t = time.perf_counter()
        img = fa.fantasy(dataclasses.replace(base, class_index=index)).image
        seconds.append(time.perf_counter() - t)
        verdict = judged(img, index)
        for j, (first, top5, _) in verdict.items():
            score[j][0] += first
            score[j][1] += top5
        Image.fromarray(img).save(out / f"{name}.png")
        images.append(img)
        labels.append(f"{name} → {verdict[JUDGES[0]][2]}")
        print(f"{name:<11} {seconds[-1]:5.1f} s  " + "  ".join(
            f"{j}: {'top-1' if v[0] else 'top-5' if v[1] else 'miss '} ({v[2]})" for j, v in verdict.items()),
            flush=True)
    contact_sheet(images, labels).save(out / "contact_sheet.png")
    for j, (first, top5) in score.items():
        print(f"judge {j}: target in top-5 for {top5}/{len(classes)}, top-1 for {first}/{len(classes)}")
    print(f"seconds per image (start-up included): median {np.median(seconds):.1f}, mean {np.mean(seconds):.1f}")


if __name__ == "__main__":
    main()
