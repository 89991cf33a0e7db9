"""Helpers every command group shares: argument parsing, output, photos, devices."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable

import numpy as np

from cnnviz.errors import CnnvizError


class Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one clear line, status 2
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        sys.exit(2)


def ints(text: str, name: str) -> tuple[int, ...]:
    try:
        return tuple(int(v) for v in str(text).split(","))
    except ValueError:
        raise CnnvizError(f"{name} must be integers like 2 or 2,1 (got '{text}')") from None


def pair(text: str, name: str) -> tuple[int, int]:
    """'N' (both axes) or 'A,B' (rows, columns) as two integers."""
    v = ints(text, name)
    if len(v) not in (1, 2):
        raise CnnvizError(f"{name} takes one or two integers like 2 or 2,1 (got '{text}')")
    return (v[0], v[-1])


def json_arg(text: str, what: str) -> np.ndarray:
    from cnnviz.grids.text import parse_json_array

    return parse_json_array(text, what)


def bias_arg(text: str):
    t = text.strip()
    if t.startswith("["):
        return json_arg(t, "bias").ravel()
    try:
        return float(t)
    except ValueError:
        raise CnnvizError(f"--bias must be a number or a JSON list (got '{text}')") from None


def print_grid(arr: np.ndarray) -> str:
    from cnnviz.present.number_format import fmt

    a = np.asarray(arr)
    blocks = []
    for k in range(a.shape[0]):
        rows = [[fmt(v) for v in row] for row in a[k]]
        w = max(len(s) for r in rows for s in r)
        head = f"[{k}]\n" if a.shape[0] > 1 else ""
        blocks.append(head + "\n".join(" ".join(s.rjust(w) for s in r) for r in rows))
    return "\n".join(blocks)


def emit(args, payload: dict, text: str) -> None:
    print(json.dumps(payload) if getattr(args, "json", False) else text)


def read_photo(path: str):
    from pathlib import Path

    from cnnviz.images import load_image

    p = Path(path)
    if not p.is_file():
        raise CnnvizError(f"no such image file: {path}")
    return load_image(p.read_bytes(), p.name)


def device_of(args):
    from cnnviz.devices import resolve_device

    return resolve_device(getattr(args, "device", "auto"))[0]


def layer_of(model: str, node: str):
    from cnnviz.networks import probe
    from cnnviz.networks.network import get

    try:
        return probe.layer(get(model), node)
    except KeyError:
        raise CnnvizError(f"{model} has no layer '{node}': list them with python -m cnnviz layers {model}") from None


def model_arg(name: str) -> str:
    """A registry network, or an architecture that --weights FILE fills (checked in `use_own_weights`)."""
    from cnnviz.networks.specs import SPECS

    if name in SPECS:
        return name
    from cnnviz.networks.own_weights import architectures

    if name not in architectures():
        raise argparse.ArgumentTypeError(f"unknown model '{name}' (choose from {', '.join(SPECS)}, or any "
                                         "torchvision classification architecture with --weights FILE)")
    return name


def add_own_weights(p: argparse.ArgumentParser) -> None:
    """--weights/--labels: look inside your own state dict for MODEL (an architecture name)."""
    p.add_argument("--weights", default=None, metavar="FILE",
                   help="your state dict (.pt/.pth) for the architecture named by --model/MODEL")
    p.add_argument("--labels", default=None, metavar="FILE",
                   help="class names for --weights or --model-file: a text file (one per line) or a JSON list")
    p.add_argument("--model-file", default=None, metavar="FILE.pt2",
                   help="your own network, saved with torch.export.save (any architecture; opened safely)")
    p.add_argument("--input-size", type=int, default=None, help="--model-file's input size (default: its example's)")
    p.add_argument("--mean", default=None, help="--model-file's normalisation mean per channel, e.g. 0.485,0.456,0.406")
    p.add_argument("--std", default=None, help="--model-file's normalisation std per channel, e.g. 0.229,0.224,0.225")


def _floats(text: str | None, flag: str) -> tuple[float, ...] | None:
    if text is None:
        return None
    try:
        return tuple(float(v) for v in text.split(","))
    except ValueError:
        raise CnnvizError(f"{flag} takes numbers separated by commas, e.g. 0.5 or 0.485,0.456,0.406") from None


def _file(flag: str, name: str, limit: int, too_big: Callable[[int], object] | None = None) -> bytes:
    """A file named by a flag, refused before it is read when missing or over `limit` (with `too_big(size)`'s own
    message where its reader has one)."""
    from pathlib import Path

    path = Path(name)
    if not path.is_file():
        raise CnnvizError(f"{flag}: no such file: {name}")
    size = path.stat().st_size
    if size > limit:
        if too_big is not None:
            too_big(size)
        raise CnnvizError(f"{flag}: the file is {size / 2**20:,.1f} MB; the limit here is {limit // 2**20} MB")
    return path.read_bytes()


def use_model_file(args: argparse.Namespace) -> bool:
    """--model-file: open your exported network (checked entry by entry) and make args.model its key."""
    from pathlib import Path

    name = getattr(args, "model_file", None)
    if not name:
        for flag in ("input_size", "mean", "std"):
            if getattr(args, flag, None) is not None:
                raise CnnvizError(f"--{flag.replace('_', '-')} belongs to --model-file: give --model-file FILE.pt2")
        return False
    from cnnviz.networks import exported

    if getattr(args, "weights", None):
        raise CnnvizError("give --weights (a state dict) or --model-file (an exported network), not both")
    labels = getattr(args, "labels", None)
    from cnnviz.networks.own_weights import MAX_LABEL_BYTES

    lab = _file("--labels", labels, MAX_LABEL_BYTES) if labels else None
    net = exported.load(_file("--model-file", name, exported.MAX_BYTES), lab, Path(labels).name if labels else "",
                        Path(name).name, args.input_size, _floats(args.mean, "--mean"), _floats(args.std, "--std"))
    args.own_network = net  # the only strong reference: the key works while the command runs
    args.model = net.key
    return True


def use_own_weights(args: argparse.Namespace) -> None:
    """Load --weights into args.model's architecture; the handle stays alive on `args` for the whole command."""
    from pathlib import Path

    from cnnviz.networks.specs import SPECS

    if not hasattr(args, "weights"):  # a command that takes no network of yours (detect's models are its own)
        return
    if use_model_file(args):
        return
    if "model" in vars(args) and args.model is None:
        raise CnnvizError("name a MODEL (see `python -m cnnviz info`), or give --model-file FILE.pt2")
    model = getattr(args, "model", None)
    weights = getattr(args, "weights", None)
    labels = getattr(args, "labels", None)
    if labels and not weights:
        raise CnnvizError("--labels names the classes of --weights: give --weights FILE too")
    if not weights:
        if model is not None and model not in SPECS:
            raise CnnvizError(f"'{model}' is an architecture without weights here: give --weights FILE "
                              f"(or choose from {', '.join(SPECS)})")
        return
    from cnnviz.networks import own_weights

    if model is None:
        raise CnnvizError("--weights needs a model architecture")
    state = _file("--weights", weights, own_weights.MAX_WEIGHT_BYTES,
                  lambda size: own_weights.read_state_dict(b"", size=size))  # raises its size message
    lab = _file("--labels", labels, own_weights.MAX_LABEL_BYTES) if labels else None
    net = own_weights.load(model, state, lab, Path(labels).name if labels else "", Path(weights).name)
    args.own_network = net  # the only strong reference: the key works while the command runs
    args.model = net.key

