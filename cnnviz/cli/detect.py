"""`python -m cnnviz` — Detection: iou, nms, roi-pool, roi-align (torchvision.ops' arithmetic, written out)."""

from __future__ import annotations

import json

import numpy as np

from cnnviz.cli.common import emit, ints
from cnnviz.errors import CnnvizError


def _json(text: str, what: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise CnnvizError(f"{what} is not valid JSON ({e.msg} at character {e.pos})") from None


def _size(text: str) -> tuple[int, int]:
    v = ints(text, "--output-size")
    if len(v) not in (1, 2):
        raise CnnvizError("--output-size takes H,W (or one number for both)")
    return v[0], v[-1]


def cmd_iou(args) -> None:
    from cnnviz.detect.boxes import box_iou, iou_of

    a, b = _json(args.boxes_a, "--boxes-a"), _json(args.boxes_b, "--boxes-b")
    m = box_iou(a, b)
    text = "\n".join(" ".join(f"{v:.4f}" for v in row) for row in m)
    if m.shape == (1, 1):
        text = "\n".join(iou_of(a, b).explain())
    emit(args, {"iou": m.tolist()}, text)


def cmd_nms(args) -> None:
    from cnnviz.detect.boxes import nms

    res = nms(_json(args.boxes, "--boxes"), _json(args.scores, "--scores"), args.iou_threshold)
    lines = [f"by score: {res.order}"]
    for s in res.steps:
        gone = ", ".join(f"{j} (IoU {v:.3f})" for j, v in s.suppressed) or "nothing"
        lines.append(f"keep {s.kept}; it suppresses {gone}")
    emit(args, {"keep": res.keep}, "\n".join(lines + [f"kept: {res.keep}"]))


def _features(text: str) -> np.ndarray:
    from cnnviz.detect.roi import check_features

    return check_features(_json(text, "--input"))


def cmd_roi_pool(args) -> None:
    from cnnviz.detect.roi import roi_pool

    out = roi_pool(_features(args.input), _json(args.boxes, "--boxes"), _size(args.output_size), args.spatial_scale)
    emit(args, {"output": out.tolist()}, json.dumps(out.tolist()))


def cmd_roi_align(args) -> None:
    from cnnviz.detect.roi import roi_align

    out = roi_align(_features(args.input), _json(args.boxes, "--boxes"), _size(args.output_size), args.spatial_scale,
                    args.sampling_ratio, args.aligned)
    emit(args, {"output": out.tolist()}, json.dumps(out.tolist()))


def cmd_detect(args) -> None:
    from cnnviz.cli.common import read_photo

    photo = read_photo(args.image)
    if not 0 <= args.threshold <= 1:
        raise CnnvizError("--threshold must be between 0 and 1")
    found: list[dict] = []
    if args.model == "digits":
        from cnnviz.detect import digits

        _, dets = digits.detect(digits.load(), digits.photo_to_scene(photo), args.threshold)
        found = [{"box": [round(v, 2) for v in d.box], "label": str(d.label), "score": round(d.score, 4)}
                 for d in dets]
    else:
        from cnnviz.detect import real

        found = [{"box": [round(v, 2) for v in f.box], "label": f.label, "score": round(f.score, 4)}
                 for f in real.detect(args.model, photo, args.threshold)]
    text = "\n".join(f"{f['label']:>12}  {f['score']:.3f}  [{', '.join(f'{v:g}' for v in f['box'])}]"
                     for f in found) or "nothing detected above the threshold"
    print(json.dumps(found) if args.json else text)


def register(sub) -> None:
    """Add this group's subcommands to the top-level parser."""
    p = sub.add_parser("iou", help="IoU of every box in A with every box in B (boxes [x1, y1, x2, y2])")
    p.add_argument("--boxes-a", required=True, help="JSON: [x1, y1, x2, y2] or a list of them")
    p.add_argument("--boxes-b", required=True)
    p.add_argument("--json", action="store_true", help='print {"iou": [[...]]}')
    p.set_defaults(func=cmd_iou)
    p = sub.add_parser("detect", help="objects in a photo: the digits detector trained here, or torchvision's")
    p.add_argument("image")
    p.add_argument("--model", default="digits",
                   help="digits (offline), fasterrcnn_mobilenet_v3_large_fpn or ssdlite320_mobilenet_v3_large "
                        "(once their COCO weights are in the torch hub cache)")
    p.add_argument("--threshold", type=float, default=0.5, help="lowest score shown (0–1)")
    p.add_argument("--json", action="store_true", help='print [{"box": [x1, y1, x2, y2], "label", "score"}, …]')
    p.set_defaults(func=cmd_detect)
    p = sub.add_parser("nms", help="greedy non-maximum suppression, step by step")
    p.add_argument("--boxes", required=True)
    p.add_argument("--scores", required=True, help="JSON list, one score per box")
    p.add_argument("--iou-threshold", type=float, required=True, help="suppress IoU strictly above this (0–1)")
    p.add_argument("--json", action="store_true", help='print {"keep": [...]} (indices, by decreasing score)')
    p.set_defaults(func=cmd_nms)
    for name, func, helptext in (("roi-pool", cmd_roi_pool, "RoI max pooling (Fast R-CNN) of boxes on a feature map"),
                                 ("roi-align", cmd_roi_align, "RoI align (Mask R-CNN): bilinear samples per bin")):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("--input", required=True, help="JSON feature map C×H×W (or H×W)")
        p.add_argument("--boxes", required=True, help="JSON boxes in image coordinates")
        p.add_argument("--output-size", required=True, help="H,W of each pooled box")
        p.add_argument("--spatial-scale", type=float, default=1.0, help="feature-map size ÷ image size (1/16 …)")
        if name == "roi-align":
            p.add_argument("--sampling-ratio", type=int, default=-1, help="samples per bin side; −1: adaptive")
            p.add_argument("--aligned", action="store_true", help="shift by −0.5 pixel (pixel centres)")
        p.add_argument("--json", action="store_true", help='print {"output": [...]} (K×C×H×W)')
        p.set_defaults(func=func)
