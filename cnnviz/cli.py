"""`python -m cnnviz …`: the same engine functions the pages call, as text or JSON.

Every error prints one line to stderr and exits with status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Sequence

import numpy as np

from cnnviz.errors import CnnvizError, ModelUnavailable


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one clear line, status 2
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        sys.exit(2)


def _ints(text: str, name: str) -> tuple[int, ...]:
    try:
        return tuple(int(v) for v in str(text).split(","))
    except ValueError:
        raise CnnvizError(f"{name} must be integers like 2 or 2,1 (got '{text}')") from None


def _json_arg(text: str, what: str) -> np.ndarray:
    from cnnviz.grid_text import parse_json_array

    return parse_json_array(text, what)


def _bias_arg(text: str):
    t = text.strip()
    if t.startswith("["):
        return _json_arg(t, "bias").ravel()
    try:
        return float(t)
    except ValueError:
        raise CnnvizError(f"--bias must be a number or a JSON list (got '{text}')") from None


def _print_grid(arr: np.ndarray) -> str:
    from cnnviz.numbers import fmt

    a = np.asarray(arr)
    blocks = []
    for k in range(a.shape[0]):
        rows = [[fmt(v) for v in row] for row in a[k]]
        w = max(len(s) for r in rows for s in r)
        head = f"[{k}]\n" if a.shape[0] > 1 else ""
        blocks.append(head + "\n".join(" ".join(s.rjust(w) for s in r) for r in rows))
    return "\n".join(blocks)


def _out(args, payload: dict, text: str) -> None:
    print(json.dumps(payload) if getattr(args, "json", False) else text)


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
        line = f"    {m['model']:<20} {m['status']:<14} {m['detail']}"
        if m["how_to_get"]:
            line += f"\n    {'':<20} get it: {m['how_to_get']}"
        print(line)


def _conv_config(args, one_d: bool = False):
    from cnnviz.ops.conv import ConvConfig
    from cnnviz.ops.padding import parse_padding

    stride = _ints(args.stride, "--stride")
    dil = _ints(args.dilation, "--dilation")
    pad = parse_padding(args.padding)
    return ConvConfig(stride=stride if len(stride) == 2 else stride * 2, padding=pad, pad_mode=args.pad_mode,
                      dilation=dil if len(dil) == 2 else dil * 2, flip=args.flip, activation=args.activation,
                      leaky_slope=args.slope)


def cmd_conv(args) -> None:
    from cnnviz.ops.conv import conv2d

    x = _json_arg(args.input, "input")
    k = _json_arg(args.kernel, "kernel")
    res = conv2d(x, k, _bias_arg(args.bias), _conv_config(args))
    out = res.output[0] if (x.ndim == 2 and res.output.shape[0] == 1) else res.output
    payload = {"output": out.tolist(), "shape": list(out.shape)}
    if args.steps:
        payload["steps"] = [res.step(i).expression() for i in range(res.n_steps)]
    text = _print_grid(res.output) + f"\nshape: {' × '.join(map(str, out.shape))}"
    if args.steps:
        text += "\n" + "\n".join(payload["steps"])
    _out(args, payload, text)


def cmd_conv1d(args) -> None:
    from cnnviz.ops.conv import conv1d
    from cnnviz.ops.padding import parse_padding

    x = _json_arg(args.input, "input")
    k = _json_arg(args.kernel, "kernel")
    pad = parse_padding(args.padding)
    if isinstance(pad, tuple) and len(pad) == 4:
        raise CnnvizError("1-D padding is N or LEFT,RIGHT")
    (stride,), (dil,) = _ints(args.stride, "--stride")[:1], _ints(args.dilation, "--dilation")[:1]
    res = conv1d(x, k, _bias_arg(args.bias), stride=stride, padding=pad, pad_mode=args.pad_mode, dilation=dil,
                 flip=args.flip, activation=args.activation, leaky_slope=args.slope)
    out = res.output[:, 0, :]
    if x.ndim == 1 and out.shape[0] == 1:
        out = out[0]
    payload = {"output": out.tolist(), "shape": list(out.shape)}
    _out(args, payload, _print_grid(res.output[:, 0:1, :]) + f"\nshape: {' × '.join(map(str, out.shape))}")


def cmd_pool(args) -> None:
    from cnnviz.ops.pool import PoolConfig, pool2d

    x = _json_arg(args.input, "input")
    win, st, pad = _ints(args.window, "--window"), _ints(args.stride or args.window, "--stride"), _ints(args.padding, "--padding")
    res = pool2d(x, PoolConfig(win * (3 - len(win)), st * (3 - len(st)), pad * (3 - len(pad)), args.mode))
    out = res.output[0] if x.ndim == 2 else res.output
    payload = {"output": out.tolist(), "shape": list(out.shape)}
    _out(args, payload, _print_grid(res.output) + f"\nshape: {' × '.join(map(str, out.shape))}")


def cmd_grad(args) -> None:
    from cnnviz.ops.backward import conv_backward
    from cnnviz.ops.conv import conv2d

    x = _json_arg(args.input, "input")
    k = _json_arg(args.kernel, "kernel")
    fwd = conv2d(x, k, _bias_arg(args.bias), _conv_config(args))
    g = _json_arg(args.grad_output, "grad-output")
    res = conv_backward(fwd, g if g.ndim == 3 else g[None])
    gi = res.grad_input[0] if x.ndim == 2 else res.grad_input
    gw = res.grad_weight
    if k.ndim == 2:  # one k×k kernel used on every channel: its gradient sums over them
        gw = gw.sum(axis=(0, 1))
    elif k.ndim == 3:
        gw = gw[0]
    bias = _bias_arg(args.bias)
    payload = {"grad_input": gi.tolist(), "grad_weight": gw.tolist(),
               "grad_bias": float(res.grad_bias[0]) if np.ndim(bias) == 0 else res.grad_bias.tolist()}
    text = (f"∂L/∂X\n{_print_grid(res.grad_input)}\n∂L/∂W\n{_print_grid(res.grad_weight.reshape(-1, *res.grad_weight.shape[2:]))}"
            f"\n∂L/∂b = {payload['grad_bias']}")
    _out(args, payload, text)


def cmd_pool_grad(args) -> None:
    from cnnviz.ops.backward import pool_backward
    from cnnviz.ops.pool import PoolConfig, pool2d

    x = _json_arg(args.input, "input")
    win, st, pad = _ints(args.window, "--window"), _ints(args.stride or args.window, "--stride"), _ints(args.padding, "--padding")
    fwd = pool2d(x, PoolConfig(win * (3 - len(win)), st * (3 - len(st)), pad * (3 - len(pad)), args.mode))
    g = _json_arg(args.grad_output, "grad-output")
    res = pool_backward(fwd, g if g.ndim == 3 else g[None])
    gi = res.grad_input[0] if x.ndim == 2 else res.grad_input
    _out(args, {"grad_input": gi.tolist()}, _print_grid(res.grad_input))


def cmd_conv_transpose(args) -> None:
    from cnnviz.ops.transposed import TransposedConfig, conv_transpose2d

    x = _json_arg(args.input, "input")
    k = _json_arg(args.kernel, "kernel")
    pair = lambda t, n: (lambda v: v if len(v) == 2 else v * 2)(_ints(t, n))  # noqa: E731
    res = conv_transpose2d(x, k, _bias_arg(args.bias), TransposedConfig(
        pair(args.stride, "--stride"), pair(args.padding, "--padding"), pair(args.output_padding, "--output-padding"),
        pair(args.dilation, "--dilation")))
    out = res.output[0] if (x.ndim == 2 and res.output.shape[0] == 1) else res.output
    _out(args, {"output": out.tolist(), "shape": list(out.shape)},
         _print_grid(res.output) + f"\nshape: {' × '.join(map(str, out.shape))}")


def _photo(path: str):
    from pathlib import Path

    from cnnviz.images import load_image

    p = Path(path)
    if not p.is_file():
        raise CnnvizError(f"no such image file: {path}")
    return load_image(p.read_bytes(), p.name)


def cmd_predict(args) -> None:
    from cnnviz.inspect import predict
    from cnnviz.models import zoo

    model = args.model
    if args.classifier:  # a classifier saved by `transfer --out` or downloaded from the Training page
        from pathlib import Path

        from cnnviz import transfer

        path = Path(args.classifier)
        if not path.is_file():
            raise CnnvizError(f"{args.classifier} is not a file")
        sm = transfer.load_classifier(path.read_bytes()).session_model()
        model = sm.key
    x = zoo.preprocess(model, _photo(args.image))
    preds = predict(model, x, top=args.top, device=str(_device(args)))
    payload = [{"label": p.label, "index": p.index, "probability": p.probability} for p in preds]
    if args.json:
        print(json.dumps(payload))
    else:
        for p in preds:
            print(f"{100 * p.probability:6.2f} %  {p.label}  (class {p.index})")


def _device(args):
    from cnnviz.devices import resolve_device

    return resolve_device(getattr(args, "device", "auto"))[0]


def _layer(model: str, node: str):
    from cnnviz import inspect

    try:
        return inspect.layer(model, node)
    except KeyError:
        raise CnnvizError(f"{model} has no layer '{node}': list them with python -m cnnviz layers {model}") from None


def cmd_featuremaps(args) -> None:
    from PIL import Image

    from cnnviz import inspect
    from cnnviz.models import zoo

    info = _layer(args.model, args.layer)
    x = zoo.preprocess(args.model, _photo(args.image))
    fmap = inspect.feature_maps(args.model, x, (info.node,), device=str(_device(args)))[info.node]
    img = inspect.montage(fmap, inspect.channel_order(fmap, args.order), args.scale)
    Image.fromarray(img).save(args.output)
    print(f"saved {args.output}: {fmap.shape[0]} channels of {fmap.shape[1]}×{fmap.shape[2]} ({info.kind})")


def cmd_layers(args) -> None:
    from cnnviz import inspect

    rows = [{"name": i.node, "type": i.kind, "group": i.group, "output_shape": list(i.shape)}
            for i in inspect.layers(args.model)]
    if args.json:
        print(json.dumps(rows))
    else:
        for r in rows:
            print(f"{r['name']:<40} {r['type']:<22} {'×'.join(map(str, r['output_shape']))}")


def cmd_rf(args) -> None:
    import math

    from cnnviz import inspect

    rows = [{"name": i.node, "rf": i.rf if math.isfinite(i.rf) else None, "jump": i.jump, "start": i.start}
            for i in inspect.layers(args.model)]
    if args.json:
        print(json.dumps(rows))
    else:
        print(f"{'layer':<40} {'rf':>6} {'jump':>6} {'start':>7}")
        for r in rows:
            size = "global" if r["rf"] is None else f"{r['rf']:g}"
            print(f"{r['name']:<40} {size:>6} {r['jump']:>6g} {r['start']:>7g}")


def cmd_arch(args) -> None:
    from cnnviz import architecture as A

    if args.name not in A.ARCHS:
        raise CnnvizError(f"unknown architecture '{args.name}': choose from {', '.join(A.ARCHS)}")
    spec = A.ARCHS[args.name]
    size = spec.input_size
    if args.input_size:
        hw = _ints(args.input_size, "--input-size")
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
    from cnnviz import architecture as A

    hwc = _ints(args.input, "--input")
    if len(hwc) != 3:
        raise CnnvizError("--input is H,W,C")
    out = {}
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


def cmd_attribute(args) -> None:
    import numpy as np
    from PIL import Image

    from cnnviz import attribution
    from cnnviz.models import zoo
    from cnnviz.overlay import overlay

    photo = _photo(args.image)
    x = zoo.preprocess(args.model, photo)
    if args.layer:
        _layer(args.model, args.layer)
    n_classes = len(zoo.labels(args.model))
    if args.target is not None and not 0 <= args.target < n_classes:
        raise CnnvizError(f"--target must be a class index from 0 to {n_classes - 1}")
    a = attribution.attribute(args.model, x, args.method, target=args.target, layer=args.layer,
                              device=str(_device(args)))
    v = np.abs(a.values) if args.method != "gradcam" else a.values
    hi = float(np.percentile(v, 99.5)) or float(v.max()) or 1.0
    img = overlay(zoo.PREPROCESS[args.model].image(photo), np.clip(v / hi, 0, 1), 0.6)
    Image.fromarray(img).save(args.output)
    if args.npy:
        np.save(args.npy, a.values)
    print(f"saved {args.output}: {attribution.TITLES[args.method]} for class {a.target} "
          f"({zoo.labels(args.model)[a.target]})")


def cmd_fantasy(args) -> None:
    from PIL import Image

    from cnnviz import fantasy
    from cnnviz.models import zoo

    if args.class_index is None and (args.layer is None or args.channel is None):
        raise CnnvizError("give --class K, or --layer L --channel C [--unit Y,X]")
    if args.class_index is not None:
        n = len(zoo.labels(args.model))
        if not 0 <= args.class_index < n:
            raise CnnvizError(f"--class must be from 0 to {n - 1}")
        cfg = fantasy.FantasyConfig(model=args.model, target="class", class_index=args.class_index, size=args.size,
                                    steps=args.steps, lr=args.lr, seed=args.seed)
    else:
        info = _layer(args.model, args.layer)
        if not 0 <= args.channel < info.shape[0]:
            raise CnnvizError(f"--channel must be from 0 to {info.shape[0] - 1} for {info.node}")
        unit = _ints(args.unit, "--unit") if args.unit else None
        cfg = fantasy.FantasyConfig(model=args.model, target="unit" if unit else "channel", layer=info.node,
                                    channel=args.channel, unit=unit, size=args.size, steps=args.steps, lr=args.lr,
                                    seed=args.seed)
    if not 32 <= args.size <= 512 or not 1 <= args.steps <= 4096:
        raise CnnvizError("--size must be 32–512 and --steps 1–4096")
    res = fantasy.fantasy(cfg, device=str(_device(args)))
    Image.fromarray(res.image).save(args.output)
    print(f"saved {args.output}: {args.steps} steps in {res.seconds:.1f} s, objective {res.history[0]:.3f} → "
          f"{res.history[-1]:.3f}")


def cmd_train_lenet(args) -> None:
    from pathlib import Path

    from cnnviz.models import lenet

    if not 1 <= args.epochs <= 100:
        raise CnnvizError("--epochs must be 1–100")
    if not 0 < args.lr <= 1:
        raise CnnvizError("--lr must be in (0, 1]")

    def report(row):
        if args.json:
            print(json.dumps(row), flush=True)
        else:
            print(f"epoch {row['epoch']:3d}  loss {row['loss']:.4f}  held-out accuracy {100 * row['heldout_acc']:.2f} %",
                  flush=True)

    model, rep = lenet.train_lenet(epochs=args.epochs, lr=args.lr, optimizer=args.optimizer, seed=args.seed,
                                   callback=report)
    if args.out:
        lenet.save(model, rep, Path(args.out))
        if not args.json:
            print(f"saved {args.out}")


def cmd_transfer(args) -> None:
    from pathlib import Path

    from cnnviz import transfer

    transfer.backbone(args.model)
    if args.model not in transfer.available_backbones():
        from cnnviz.models.registry import weight_status

        raise ModelUnavailable(f"{args.model} weights are not on this machine: {weight_status(args.model).how_to_get}")
    ds = transfer.load_folder(args.data_dir)

    def report(row):
        if args.json:
            print(json.dumps(row), flush=True)
        else:
            print(f"epoch {row['epoch']:3d}  loss {row['loss']:.4f}  held-out accuracy {100 * row['heldout_acc']:.1f} %")

    res = transfer.train(ds, args.strategy, k=args.k, epochs=args.epochs, lr=args.lr, seed=args.seed,
                         device=str(_device(args)), callback=report, name=args.model)
    if args.out:
        Path(args.out).write_bytes(res.classifier.to_bytes())
    summary = {"backbone": res.backbone, "classes": res.classes, "strategy": res.strategy,
               "heldout_accuracy": res.heldout_accuracy, "trainable_params": res.trainable_params,
               "seconds": res.seconds, **({"saved": args.out} if args.out else {})}
    print(json.dumps(summary) if args.json else f"{res.trainable_params:,} trainable parameters; "
          f"held-out accuracy {100 * res.heldout_accuracy:.1f} % in {res.seconds:.1f} s"
          + (f"; saved {args.out}" if args.out else ""))


def _model_arg(name: str) -> str:
    from cnnviz.models.registry import MODELS

    if name not in MODELS:
        raise argparse.ArgumentTypeError(f"unknown model '{name}' (choose from {', '.join(MODELS)})")
    return name


def cmd_download(args) -> None:
    from cnnviz.models.registry import MODELS, download

    if args.model not in MODELS:
        raise CnnvizError(f"unknown model '{args.model}': choose from {', '.join(MODELS)}")
    try:
        path = download(args.model)
    except ValueError as e:
        raise CnnvizError(str(e)) from None
    except OSError as e:
        raise CnnvizError(f"download failed ({e.__class__.__name__}: {e}); is this machine online?") from None
    print(f"saved {path}")


def _add_conv_args(p: argparse.ArgumentParser, one_d: bool = False) -> None:
    p.add_argument("--input", required=True, help="JSON array: [..] (L) / [[..]] (H×W) / [[[..]]] (C×H×W)")
    p.add_argument("--kernel", required=True, help="JSON array: k×k, C×k×k (one filter) or F×C×k×k")
    p.add_argument("--stride", default="1", help="S or SH,SW")
    p.add_argument("--padding", default="valid", help="valid|same|full|N|PH,PW|T,B,L,R")
    p.add_argument("--pad-mode", default="zeros", choices=["zeros", "reflect", "replicate"])
    p.add_argument("--dilation", default="1", help="D or DH,DW")
    p.add_argument("--flip", action="store_true", help="true convolution: rotate the kernel by 180°")
    p.add_argument("--bias", default="0", help="a number, or a JSON list with one bias per filter")
    p.add_argument("--activation", default="none", choices=["none", "relu", "leaky_relu", "sigmoid", "tanh"])
    p.add_argument("--slope", type=float, default=0.01, help="leaky ReLU slope")
    p.add_argument("--json", action="store_true", help='print {"output": [...], "shape": [...]}')


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m cnnviz", description="CNN Explorer from the command line.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    p = sub.add_parser("info", help="device, library versions and every model's weight status")
    p.add_argument("--json", action="store_true")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.set_defaults(func=cmd_info)
    p = sub.add_parser("conv", help="2-D / multi-channel convolution of JSON grids")
    _add_conv_args(p)
    p.add_argument("--steps", action="store_true", help="also print every output cell's arithmetic")
    p.set_defaults(func=cmd_conv)
    p = sub.add_parser("conv1d", help="1-D convolution of a JSON sequence")
    _add_conv_args(p, one_d=True)
    p.set_defaults(func=cmd_conv1d)
    p = sub.add_parser("pool", help="max / average / sum / L2 pooling of a JSON grid")
    p.add_argument("--input", required=True, help="JSON array H×W or C×H×W")
    p.add_argument("--window", default="2", help="K or KH,KW")
    p.add_argument("--stride", default=None, help="S or SH,SW (default: the window)")
    p.add_argument("--padding", default="0", help="N or PH,PW (at most half the window)")
    p.add_argument("--mode", default="max", choices=["max", "avg", "sum", "l2"])
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_pool)
    p = sub.add_parser("grad", help="gradients of a convolution: ∂L/∂X, ∂L/∂W, ∂L/∂b for an upstream ∂L/∂Y")
    _add_conv_args(p)
    p.add_argument("--grad-output", required=True, help="JSON array shaped like the convolution's output")
    p.set_defaults(func=cmd_grad)
    p = sub.add_parser("pool-grad", help="gradient of pooling w.r.t. its input")
    p.add_argument("--input", required=True, help="JSON array H×W or C×H×W")
    p.add_argument("--grad-output", required=True, help="JSON array shaped like the pooling's output")
    p.add_argument("--window", default="2")
    p.add_argument("--stride", default=None)
    p.add_argument("--padding", default="0")
    p.add_argument("--mode", default="max", choices=["max", "avg", "sum", "l2"])
    p.add_argument("--json", action="store_true", help='print {"grad_input": [...]}')
    p.set_defaults(func=cmd_pool_grad)
    p = sub.add_parser("conv-transpose", help="transposed convolution of a JSON grid")
    p.add_argument("--input", required=True, help="JSON array H×W or C_in×H×W")
    p.add_argument("--kernel", required=True, help="JSON array k×k or C_in×C_out×k×k")
    p.add_argument("--stride", default="1")
    p.add_argument("--padding", default="0")
    p.add_argument("--output-padding", default="0")
    p.add_argument("--dilation", default="1")
    p.add_argument("--bias", default="0")
    p.add_argument("--json", action="store_true", help='print {"output": [...], "shape": [...]}')
    p.set_defaults(func=cmd_conv_transpose)
    p = sub.add_parser("predict", help="top-k ImageNet (or digit) classes of a photo")
    p.add_argument("image")
    p.add_argument("--model", default="efficientnet_lite0", type=_model_arg)
    p.add_argument("--top", type=int, default=5)
    p.add_argument("--classifier", default=None,
                   help="a classifier file from `transfer --out` or the Training page (its backbone and classes)")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--json", action="store_true", help='print [{"label", "index", "probability"}, ...]')
    p.set_defaults(func=cmd_predict)
    p = sub.add_parser("featuremaps", help="every channel of one layer as a PNG montage")
    p.add_argument("image")
    p.add_argument("--model", default="efficientnet_lite0", type=_model_arg)
    p.add_argument("--layer", required=True, help="a name from `python -m cnnviz layers MODEL`")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--order", default="index", choices=["index", "mean", "max"])
    p.add_argument("--scale", default="channel", choices=["channel", "layer"])
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.set_defaults(func=cmd_featuremaps)
    p = sub.add_parser("layers", help="a model's inspectable layers and their output shapes")
    p.add_argument("model", type=_model_arg)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_layers)
    p = sub.add_parser("rf", help="receptive field size, jump and start of every layer")
    p.add_argument("model", type=_model_arg)
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
    p = sub.add_parser("attribute", help="an attribution map (saliency, guided backprop, Grad-CAM, …) as PNG")
    p.add_argument("image")
    p.add_argument("--model", default="efficientnet_lite0", type=_model_arg)
    p.add_argument("--method", required=True, choices=["saliency", "deconvnet", "guided-backprop", "gradcam",
                                                       "guided-gradcam", "integrated-gradients", "occlusion",
                                                       "smoothgrad"])
    p.add_argument("--target", type=int, default=None, help="class index (default: the predicted class)")
    p.add_argument("--layer", default=None, help="Grad-CAM layer (default: the last spatial one)")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--npy", default=None, help="also save the raw map as .npy")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.set_defaults(func=cmd_attribute)
    p = sub.add_parser("fantasy", help="activation maximisation: an image that excites a channel, unit or class")
    p.add_argument("--model", default="efficientnet_lite0", type=_model_arg)
    p.add_argument("--layer", default=None)
    p.add_argument("--channel", type=int, default=None)
    p.add_argument("--unit", default=None, help="Y,X within the channel's map")
    p.add_argument("--class", dest="class_index", type=int, default=None)
    p.add_argument("--steps", type=int, default=128)
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.set_defaults(func=cmd_fantasy)
    p = sub.add_parser("train-lenet", help="train LeNet-5 on the fixed 4,000-digit MNIST split")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--optimizer", default="adam", choices=["adam", "sgd"])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None, help="save the weights (state dict) here")
    p.add_argument("--json", action="store_true", help="one JSON line per epoch: loss and held-out accuracy")
    p.set_defaults(func=cmd_train_lenet)
    p = sub.add_parser("transfer", help="transfer learning on DATA_DIR/<class>/<images> with a pretrained backbone")
    p.add_argument("data_dir")
    p.add_argument("--model", default="efficientnet_lite0",
                   help="backbone: efficientnet_lite0 (offline), or resnet18, resnet50, googlenet, alexnet, vgg16 "
                        "once downloaded")
    p.add_argument("--strategy", default="head", choices=["head", "last-k", "all"])
    p.add_argument("--k", type=int, default=2, help="blocks to fine-tune with last-k")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--out", default=None, help="save the trained classifier (what changed + class names) here")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_transfer)
    p = sub.add_parser("download", help="fetch a torchvision model's ImageNet weights into the torch hub cache")
    p.add_argument("model")
    p.set_defaults(func=cmd_download)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        args.func(args)
    except CnnvizError as e:
        sys.stderr.write(f"error: {e}\n")
        return 2

    return 0
