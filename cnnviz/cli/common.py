"""Helpers every command group shares: argument parsing, output, photos, devices."""

from __future__ import annotations

import argparse
import json
import sys

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
    from cnnviz.present.numbers import fmt

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
    from cnnviz.networks import inspect

    try:
        return inspect.layer(model, node)
    except KeyError:
        raise CnnvizError(f"{model} has no layer '{node}': list them with python -m cnnviz layers {model}") from None


def model_arg(name: str) -> str:
    from cnnviz.networks.specs import SPECS

    if name not in SPECS:
        raise argparse.ArgumentTypeError(f"unknown model '{name}' (choose from {', '.join(SPECS)})")
    return name

