"""`python -m cnnviz` — Networks: info, predict, featuremaps, layers, rf, arch, inception, download."""

from __future__ import annotations

import json
from typing import Any

from cnnviz.cli.common import add_own_weights, device_of, emit, ints, layer_of, model_arg, read_photo
from cnnviz.errors import CnnvizError


def cmd_info(args) -> None:
    from cnnviz.environment import full_info

    info = full_info(args.device)
    if args.json:
        print(json.dumps(info, indent=2))
        return
    d = info["device"]
    print(f"CNN Explorer environment\n  device: {d['name']}" + (f"  ({d['notice']})" if d["notice"] else ""))
    print("  python " + info["python"] + ", " + ", ".join(f"{k} {v}" for k, v in info["versions"].items()))
    print("  models:")
    for m in info["models"]:
        top1 = f"ImageNet top-1 {m['imagenet_top1']:.1f} %" if m["imagenet_top1"] is not None else "not ImageNet"
        line = (f"    {m['model']:<20} {m['status']:<14} {m['parameters']:>12,} parameters · {top1}\n"
                f"    {'':<20} {m['detail']}\n    {'':<20} licence: {m['licence']}")
        if m["how_to_get"]:
            line += f"\n    {'':<20} get it: {m['how_to_get']}"
        print(line)


def cmd_predict(args) -> None:
    from cnnviz.networks.network import get
    from cnnviz.networks.probe import predict

    model = args.model
    if args.classifier and args.weights:
        raise CnnvizError("give --classifier or --weights, not both")
    if args.classifier:  # a classifier saved by `transfer --out` or downloaded from the Training page
        from pathlib import Path

        from cnnviz.learn import transfer

        path = Path(args.classifier)
        if not path.is_file():
            raise CnnvizError(f"{args.classifier} is not a file")
        sm = transfer.load_classifier(path.read_bytes()).session_model()
        model = sm.key
    net = get(model)  # resolved once: the engine takes the handle
    x = net.preprocess(read_photo(args.image))
    preds = predict(net, x, top=args.top, device=str(device_of(args)))
    payload = [{"label": p.label, "index": p.index, "probability": p.probability} for p in preds]
    if args.json:
        print(json.dumps(payload))
    else:
        for p in preds:
            print(f"{100 * p.probability:6.2f} %  {p.label}  (class {p.index})")


def cmd_featuremaps(args) -> None:
    from PIL import Image

    from cnnviz.networks import probe
    from cnnviz.networks.network import get

    info = layer_of(args.model, args.layer)
    x = get(args.model).preprocess(read_photo(args.image))
    fmap = probe.feature_maps(get(args.model), x, (info.node,), device=str(device_of(args)))[info.node]
    img = probe.montage(fmap, probe.channel_order(fmap, args.order), args.scale)
    Image.fromarray(img).save(args.output)
    print(f"saved {args.output}: {fmap.shape[0]} channels of {fmap.shape[1]}×{fmap.shape[2]} ({info.kind})")


def cmd_layers(args) -> None:
    from cnnviz.networks import probe
    from cnnviz.networks.network import get

    rows = [{"name": i.node, "type": i.kind, "group": i.group, "title": i.title, "output_shape": list(i.shape)}
            for i in probe.layers(get(args.model))]
    if args.json:
        print(json.dumps(rows))
    else:
        for r in rows:
            print(f"{r['name']:<32} {'×'.join(map(str, r['output_shape'])):<14} {r['title']}")


def cmd_rf(args) -> None:
    import math

    from cnnviz.networks import probe
    from cnnviz.networks.network import get

    rows = [{"name": i.node, "rf": i.rf if math.isfinite(i.rf) else None, "jump": i.jump, "start": i.start}
            for i in probe.layers(get(args.model))]
    if args.json:
        print(json.dumps(rows))
    else:
        print(f"{'layer':<40} {'rf':>6} {'jump':>6} {'start':>7}")
        for r in rows:
            size = "global" if r["rf"] is None else f"{r['rf']:g}"
            print(f"{r['name']:<40} {size:>6} {r['jump']:>6g} {r['start']:>7g}")


def cmd_arch(args) -> None:
    from cnnviz.networks import architecture as A

    if args.name not in A.ARCHS:
        raise CnnvizError(f"unknown architecture '{args.name}': choose from {', '.join(A.ARCHS)}")
    spec = A.ARCHS[args.name]
    size = spec.input_size
    if args.input_size:
        hw = ints(args.input_size, "--input-size")
        size = (size[0], hw[0], hw[-1])
    try:
        table = A.layer_table(args.name, size)
    except RuntimeError:
        raise CnnvizError(f"{args.name} cannot take a {size[1]}×{size[2]} input: a layer's output would be empty "
                          "(the feature maps shrink to nothing); use a larger input") from None
    if args.json:
        print(json.dumps({"name": args.name, "input_size": list(size), "layers": [r.as_dict() for r in table.rows],
                          "totals": {k: v for k, v in table.totals().items() if k != "parameter_bytes"}
                          | {"depth": table.depth}}))
        return
    head = ["layer", "type", "kernel / stride / pad", "output", "params", "MACs", "act. bytes", "rf", "jump"]
    rows = [[r.name, r.type, r.kernel, "×".join(map(str, r.output_shape)), f"{r.params:,}", f"{r.macs:,}",
             f"{r.activation_bytes:,}", "global" if r.rf == float("inf") else f"{r.rf:g}", f"{r.jump:g}"]
            for r in table.rows]
    total = ["total", "", "", "", f"{table.params:,}", f"{table.macs:,}", f"{table.activation_bytes:,}", "", ""]
    if args.markdown:
        print("| " + " | ".join(head) + " |\n|" + "---|" * len(head))
        for r in rows + [total]:
            print("| " + " | ".join(r) + " |")
        return
    widths = [max(len(x) for x in col) for col in zip(head, *rows, total)]
    for r in [head] + rows + [total]:
        print("  ".join(x.ljust(w) for x, w in zip(r, widths)))


def cmd_inception(args) -> None:
    from cnnviz.networks import architecture as A

    hwc = ints(args.input, "--input")
    if len(hwc) != 3:
        raise CnnvizError("--input is H,W,C")
    out: dict[str, dict[str, Any]] = {}
    for version, bott in (("naive", False), ("bottleneck", True)):
        brs = A.inception(*hwc, args.b1, args.b3, args.b5, args.reduce3, args.reduce5, args.pool_proj, bottleneck=bott)
        out[version] = {"branches": [{"name": b.name, "out_channels": b.out_channels, "params": b.params,
                                      "mults": b.mults} for b in brs],
                        "params": sum(b.params for b in brs), "mults": sum(b.mults for b in brs),
                        "out_channels": sum(b.out_channels for b in brs)}
    if args.json:
        print(json.dumps(out))
        return
    for version, v in out.items():
        print(f"{version}: {v['params']:,} parameters, {v['mults']:,} multiplications, {v['out_channels']} channels out")
        for b in v["branches"]:
            print(f"  {b['name']:<5} {b['out_channels']:>5} ch  {b['params']:>12,} params  {b['mults']:>15,} mults")


def cmd_download(args) -> None:
    from cnnviz.networks.registry import download
    from cnnviz.networks.specs import SPECS

    if args.model not in SPECS:
        raise CnnvizError(f"unknown model '{args.model}': choose from {', '.join(SPECS)}")
    try:
        path = download(args.model)
    except ValueError as e:
        raise CnnvizError(str(e)) from None
    except OSError as e:
        raise CnnvizError(f"download failed ({e.__class__.__name__}: {e}); is this machine online?") from None
    print(f"saved {path}")



def cmd_shift_photo(args) -> None:
    """A real network's top-1 class as its window moves one pixel at a time (or the photo turns, or zooms)."""
    from cnnviz.networks import shift_sweep as S
    from cnnviz.networks.network import get

    net, photo, device = get(args.model), read_photo(args.image), str(device_of(args))
    if args.rotate:
        sweep = S.rotate_sweep(net, photo, list(range(-30, 31, 5)), device)
    elif args.scale:
        sweep = S.scale_sweep(net, photo, [round(0.7 + 0.05 * i, 2) for i in range(13)], device)
    else:
        sweep = S.shift_sweep(net, photo, args.max_shift, device)
    unit = {"shift": " px", "rotate": "°", "scale": "×"}[sweep.kind]
    text = "\n".join(f"{p.value:g}{unit}: {p.top1} ({100 * p.probability:.1f} %)" for p in sweep.points)
    emit(args, sweep.as_dict(), text + f"\nconsistency {sweep.consistency:.3f} (the share with the first's top-1), "
                                       f"{sweep.flips} flips")


def _register_shift_photo(sub) -> None:
    p = sub.add_parser("shift-photo", help="the top-1 class as a 224-px window moves 0…S pixels (or --rotate −30…30°, "
                                           "--scale 0.7…1.3): real CNNs are not shift-invariant")
    p.add_argument("image")
    p.add_argument("--model", default="mobilenet_v2", type=model_arg)
    p.add_argument("--max-shift", type=int, default=32)
    p.add_argument("--rotate", action="store_true", help="turn the centre window by −30…30° in steps of 5°")
    p.add_argument("--scale", action="store_true", help="zoom the centre window 0.7…1.3× in steps of 0.05")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_shift_photo)


def register(sub) -> None:
    """Add this group's subcommands to the top-level parser."""
    p = sub.add_parser("info", help="device, library versions and every model's weight status")
    p.add_argument("--json", action="store_true")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.set_defaults(func=cmd_info)
    p = sub.add_parser("predict", help="top-k ImageNet (or digit) classes of a photo")
    p.add_argument("image")
    p.add_argument("--model", default="efficientnet_lite0", type=model_arg)
    add_own_weights(p)
    p.add_argument("--top", type=int, default=5)
    p.add_argument("--classifier", default=None,
                   help="a classifier file from `transfer --out` or the Training page (its backbone and classes)")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--json", action="store_true", help='print [{"label", "index", "probability"}, ...]')
    p.set_defaults(func=cmd_predict)
    _register_shift_photo(sub)
    p = sub.add_parser("featuremaps", help="every channel of one layer as a PNG montage")
    p.add_argument("image")
    p.add_argument("--model", default="efficientnet_lite0", type=model_arg)
    add_own_weights(p)
    p.add_argument("--layer", required=True, help="a name from `python -m cnnviz layers MODEL`")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--order", default="index", choices=["index", "mean", "max"])
    p.add_argument("--scale", default="channel", choices=["channel", "layer"])
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.set_defaults(func=cmd_featuremaps)
    p = sub.add_parser("layers", help="a model's inspectable layers and their output shapes")
    p.add_argument("model", type=model_arg, nargs="?", default=None, help="a network's name (or give --model-file)")
    add_own_weights(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_layers)
    p = sub.add_parser("rf", help="receptive field size, jump and start of every layer")
    p.add_argument("model", type=model_arg, nargs="?", default=None, help="a network's name (or give --model-file)")
    add_own_weights(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_rf)
    p = sub.add_parser("arch", help="layer table of an architecture: shapes, parameters, MACs, memory, receptive fields")
    p.add_argument("name", help="lenet5, lenet5-paper, alexnet-paper, alexnet, vgg16, googlenet, resnet18, resnet50, "
                                "efficientnet_lite0")
    p.add_argument("--input-size", default=None, help="H,W")
    fmt_group = p.add_mutually_exclusive_group()
    fmt_group.add_argument("--json", action="store_true")
    fmt_group.add_argument("--markdown", action="store_true")
    p.set_defaults(func=cmd_arch)
    p = sub.add_parser("inception", help="naive vs 1×1-bottleneck Inception module: parameters and multiplications")
    p.add_argument("--input", default="28,28,256", help="H,W,C")
    for flag, default in (("--b1", 128), ("--b3", 192), ("--b5", 96), ("--reduce3", 64), ("--reduce5", 64),
                          ("--pool-proj", 64)):
        p.add_argument(flag, type=int, default=default)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_inception)
    p = sub.add_parser("download", help="fetch a torchvision model's ImageNet weights into the torch hub cache")
    p.add_argument("model")
    p.set_defaults(func=cmd_download)
