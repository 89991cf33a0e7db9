"""`python -m cnnviz` — Grid arithmetic: conv, conv1d, pool, grad, pool-grad, conv-transpose."""

from __future__ import annotations

import argparse

import numpy as np

from cnnviz.cli.common import bias_arg, emit, ints, json_arg, pair, print_grid
from cnnviz.errors import CnnvizError


def _conv_config(args, one_d: bool = False):
    from cnnviz.grids.conv import ConvConfig
    from cnnviz.grids.padding import parse_padding

    return ConvConfig(stride=pair(args.stride, "--stride"), padding=parse_padding(args.padding),
                      pad_mode=args.pad_mode, dilation=pair(args.dilation, "--dilation"), flip=args.flip,
                      activation=args.activation, leaky_slope=args.slope)


def cmd_conv(args) -> None:
    from cnnviz.grids.conv import conv2d

    x = json_arg(args.input, "input")
    k = json_arg(args.kernel, "kernel")
    res = conv2d(x, k, bias_arg(args.bias), _conv_config(args))
    out = res.output[0] if (x.ndim == 2 and res.output.shape[0] == 1) else res.output
    payload = {"output": out.tolist(), "shape": list(out.shape)}
    if args.steps:
        payload["steps"] = [res.step(i).expression() for i in range(res.n_steps)]
    text = print_grid(res.output) + f"\nshape: {' × '.join(map(str, out.shape))}"
    if args.steps:
        text += "\n" + "\n".join(payload["steps"])
    emit(args, payload, text)


def cmd_conv1d(args) -> None:
    from cnnviz.grids.conv import conv1d
    from cnnviz.grids.padding import parse_padding

    x = json_arg(args.input, "input")
    k = json_arg(args.kernel, "kernel")
    pad = parse_padding(args.padding)
    if isinstance(pad, tuple) and len(pad) == 4:
        raise CnnvizError("1-D padding is N or LEFT,RIGHT")
    (stride,), (dil,) = ints(args.stride, "--stride")[:1], ints(args.dilation, "--dilation")[:1]
    res = conv1d(x, k, bias_arg(args.bias), stride=stride, padding=pad, pad_mode=args.pad_mode, dilation=dil,
                 flip=args.flip, activation=args.activation, leaky_slope=args.slope)
    out = res.output[:, 0, :]
    if x.ndim == 1 and out.shape[0] == 1:
        out = out[0]
    payload = {"output": out.tolist(), "shape": list(out.shape)}
    emit(args, payload, print_grid(res.output[:, 0:1, :]) + f"\nshape: {' × '.join(map(str, out.shape))}")


def _pool_config(args):
    from cnnviz.grids.pool import PoolConfig

    return PoolConfig(pair(args.window, "--window"), pair(args.stride or args.window, "--stride"),
                      pair(args.padding, "--padding"), args.mode)


def cmd_pool(args) -> None:
    from cnnviz.grids.pool import pool2d

    x = json_arg(args.input, "input")
    res = pool2d(x, _pool_config(args))
    out = res.output[0] if x.ndim == 2 else res.output
    payload = {"output": out.tolist(), "shape": list(out.shape)}
    emit(args, payload, print_grid(res.output) + f"\nshape: {' × '.join(map(str, out.shape))}")


def cmd_shift(args) -> None:
    """Shift the input, compare f(shift(x)) with the shifted output (equivariance) and with f(x) (invariance)."""
    from cnnviz.grids.conv import ConvConfig
    from cnnviz.grids.pool import PoolConfig
    from cnnviz.grids.shift import conv_shift, parse_shift, pool_shift

    x = json_arg(args.input, "input")
    shift = parse_shift(args.shift)
    if args.op == "conv":
        if args.kernel is None:
            raise CnnvizError("--op conv needs --kernel")
        res = conv_shift(x, json_arg(args.kernel, "kernel"), ConvConfig(
            stride=pair(args.stride or "1", "--stride"), padding=int(args.padding),
            dilation=pair(args.dilation, "--dilation")), shift)
    else:
        window = pair(args.window, "--window")
        res = pool_shift(x, PoolConfig(window, pair(args.stride, "--stride") if args.stride else window,
                                       pair(args.padding, "--padding"), args.op.removesuffix("pool")), shift)
    squeeze = (lambda a: a[0]) if x.ndim == 2 and res.output.shape[0] == 1 else (lambda a: a)
    payload = {"f_of_shifted": squeeze(res.f_of_shifted).tolist(),
               "shifted_f": None if res.shifted_f is None else squeeze(res.shifted_f).tolist(),
               "agree": None if res.agree is None else squeeze(res.agree).tolist(),
               "agree_cells": res.agree_cells, "compared_cells": res.compared_cells,
               "output_shift": None if res.output_shift is None else list(res.output_shift),
               "unchanged_cells": int(res.unchanged.sum()), "summary": res.summary()}
    text = f"f(shift(x))\n{print_grid(res.f_of_shifted)}\n" + (
        f"shifted f(x)\n{print_grid(res.shifted_f)}\n" if res.shifted_f is not None else "") + res.summary()
    emit(args, payload, text)


def cmd_grad(args) -> None:
    from cnnviz.grids.backward import conv_backward
    from cnnviz.grids.conv import conv2d

    x = json_arg(args.input, "input")
    k = json_arg(args.kernel, "kernel")
    fwd = conv2d(x, k, bias_arg(args.bias), _conv_config(args))
    g = json_arg(args.grad_output, "grad-output")
    res = conv_backward(fwd, g if g.ndim == 3 else g[None])
    gi = res.grad_input[0] if x.ndim == 2 else res.grad_input
    gw = res.grad_weight
    if k.ndim == 2:  # one k×k kernel used on every channel: its gradient sums over them
        gw = gw.sum(axis=(0, 1))
    elif k.ndim == 3:
        gw = gw[0]
    bias = bias_arg(args.bias)
    gb = np.asarray(res.grad_bias).ravel()
    # one bias per filter: a single number only when there is a single filter given a single bias
    payload = {"grad_input": gi.tolist(), "grad_weight": gw.tolist(),
               "grad_bias": float(gb[0]) if np.ndim(bias) == 0 and gb.size == 1 else gb.tolist()}
    text = (f"∂L/∂X\n{print_grid(res.grad_input)}\n∂L/∂W\n{print_grid(res.grad_weight.reshape(-1, *res.grad_weight.shape[2:]))}"
            f"\n∂L/∂b = {payload['grad_bias']}")
    emit(args, payload, text)


def cmd_pool_grad(args) -> None:
    from cnnviz.grids.backward import pool_backward
    from cnnviz.grids.pool import pool2d

    x = json_arg(args.input, "input")
    fwd = pool2d(x, _pool_config(args))
    g = json_arg(args.grad_output, "grad-output")
    res = pool_backward(fwd, g if g.ndim == 3 else g[None])
    gi = res.grad_input[0] if x.ndim == 2 else res.grad_input
    emit(args, {"grad_input": gi.tolist()}, print_grid(res.grad_input))


def cmd_conv_transpose(args) -> None:
    from cnnviz.grids.transposed import TransposedConfig, conv_transpose2d

    x = json_arg(args.input, "input")
    k = json_arg(args.kernel, "kernel")
    res = conv_transpose2d(x, k, bias_arg(args.bias), TransposedConfig(
        pair(args.stride, "--stride"), pair(args.padding, "--padding"), pair(args.output_padding, "--output-padding"),
        pair(args.dilation, "--dilation")))
    out = res.output[0] if (x.ndim == 2 and res.output.shape[0] == 1) else res.output
    emit(args, {"output": out.tolist(), "shape": list(out.shape)},
         print_grid(res.output) + f"\nshape: {' × '.join(map(str, out.shape))}")


def cmd_overlap(args) -> None:
    """How many input cells write each output cell of a transposed convolution (the checkerboard's cause)."""
    from cnnviz.grids.transposed import TransposedConfig, overlap_counts, overlap_sentence

    size, kernel = pair(args.size, "--size"), pair(args.kernel, "--kernel")
    cfg = TransposedConfig(pair(args.stride, "--stride"), pair(args.padding, "--padding"), (0, 0),
                           pair(args.dilation, "--dilation"))
    counts = overlap_counts(size[0], size[1], kernel, cfg)
    sentence = overlap_sentence(kernel, cfg)
    emit(args, {"counts": counts.tolist(), "shape": list(counts.shape), "sentence": sentence},
         print_grid(counts[None]) + f"\n{sentence}")


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



def register(sub) -> None:
    """Add this group's subcommands to the top-level parser."""
    p = sub.add_parser("conv", help="2-D / multi-channel convolution of JSON grids")
    _add_conv_args(p)
    p.add_argument("--steps", action="store_true", help="also print every output cell's arithmetic")
    p.set_defaults(func=cmd_conv)
    p = sub.add_parser("conv1d", help="1-D convolution of a JSON sequence")
    _add_conv_args(p, one_d=True)
    p.set_defaults(func=cmd_conv1d)
    p = sub.add_parser("shift", help="shift the input: f(shift(x)) beside the shifted output (equivariance) and "
                                     "the output itself (invariance), cell by cell")
    p.add_argument("--op", required=True, choices=["conv", "maxpool", "avgpool"])
    p.add_argument("--input", required=True, help="JSON array H×W or C×H×W")
    p.add_argument("--kernel", default=None, help="JSON array (conv)")
    p.add_argument("--window", default="2", help="K or KH,KW (pooling)")
    p.add_argument("--stride", default=None, help="S or SH,SW (default: 1 for conv, the window for pooling)")
    p.add_argument("--padding", default="0", help="N: zero padding on every side")
    p.add_argument("--dilation", default="1", help="D or DH,DW (conv)")
    p.add_argument("--shift", required=True, help="DY,DX: down and right (negative: up and left), each −3…3")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_shift)
    _register_pooling_and_gradients(sub)


def _register_pooling_and_gradients(sub) -> None:
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
    p = sub.add_parser("overlap", help="how many input cells write each output cell of a transposed convolution "
                                       "(a kernel not divisible by the stride: a checkerboard)")
    p.add_argument("--kernel", default="3", help="K or KH,KW (1–7)")
    p.add_argument("--stride", default="2", help="S or SH,SW")
    p.add_argument("--size", default="5", help="the input's side: N or H,W (1–64)")
    p.add_argument("--padding", default="0", help="N or PH,PW")
    p.add_argument("--dilation", default="1", help="D or DH,DW")
    p.add_argument("--json", action="store_true", help='print {"counts": [[...]], "shape": [...], "sentence": ...}')
    p.set_defaults(func=cmd_overlap)
