"""The state that defines a grid page's view, as plain data.

Pages turn widgets into these dicts, these turn into engine configs, and the same dicts
round-trip through the URL — so a copied link reopens the same view.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from cnnviz.errors import GridError
from cnnviz.grids.activations import ACTIVATIONS
from cnnviz.grids.conv import ConvConfig, ConvResult, conv2d
from cnnviz.grids.padding import PAD_MODES
from cnnviz.grids.pool import POOL_MODES, PoolConfig, PoolResult, pool2d
from cnnviz.grids.presets import CONV_PRESETS, POOL_PRESETS
from cnnviz.urlstate import (
    choice,
    decode_array,
    encode_array,
    fit_grid,
    flag,
    int_in,
    number,
    pair_in,
    read_params,
)

CONV_MODES = ("2d", "1d", "multi")
PAD_KINDS = ("valid", "1", "2", "3", "same", "full", "explicit")  # "1": one cell on every side
PAD_TITLES = {"valid": "valid (none)", "1": "1 on every side", "2": "2 on every side", "3": "3 on every side",
              "same": "same", "full": "full", "explicit": "per side…"}


def uniform_kind(pads: tuple[int, int, int, int]) -> str:
    """The padding control's choice for four side paddings: a number when all four are equal (1–3)."""
    return str(pads[0]) if len(set(pads)) == 1 and str(pads[0]) in PAD_KINDS else "explicit"
LIMITS = {"2d": {"input": 16, "kernel": 7}, "1d": {"input": 32, "kernel": 7}, "multi": {"input": 16, "kernel": 7}}
MAX_EDIT_CHANNELS = 4


def resized(a: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """`a` cropped or zero-extended to `shape` (the same number of axes): the top-left cells kept, new cells 0."""
    a = np.asarray(a, dtype=float)
    out = np.zeros(shape)
    keep = tuple(slice(0, min(p, q)) for p, q in zip(shape, a.shape, strict=True))
    out[keep] = a[keep]
    return out


def conv_state_from_preset(key: str) -> dict[str, Any]:
    p = CONV_PRESETS[key]
    x = np.asarray(p.input, dtype=float)
    k = np.asarray(p.kernel, dtype=float)
    pad_kind, pads = "explicit", (0, 0, 0, 0)
    if isinstance(p.padding, str):
        pad_kind = p.padding
    else:
        v = [p.padding] * 4 if isinstance(p.padding, int) else list(p.padding)
        pads = (v[0], v[1], v[2], v[3]) if len(v) == 4 else (v[0], v[0], v[1], v[1])
        pad_kind = uniform_kind(pads)
    bias = [float(b) for b in np.atleast_1d(p.bias)] if p.mode == "multi" else float(np.atleast_1d(p.bias)[0])
    return {"mode": p.mode, "preset": key, "x": x, "k": k, "bias": bias, "sh": p.stride[0], "sw": p.stride[1],
            "pad_kind": pad_kind, "pt": pads[0], "pb": pads[1], "pl": pads[2], "pr": pads[3],
            "pad_mode": p.pad_mode, "dh": p.dilation[0], "dw": p.dilation[1], "flip": p.flip,
            "act": p.activation, "slope": 0.01, "step": 0}


CONV_PRESET_FIELDS = ("mode", "x", "k", "bias", "sh", "sw", "pad_kind", "pt", "pb", "pl", "pr", "pad_mode", "dh", "dw",
                      "flip", "act")
CONV_FIELDS = (*CONV_PRESET_FIELDS, "preset", "slope", "step")  # a convolution page's state, as its link reader overlays it
POOL_PRESET_FIELDS = ("x", "kh", "kw", "sh", "sw", "ph", "pw", "mode")
POOL_FIELDS = (*POOL_PRESET_FIELDS, "step")  # a pooling page's state, as its link reader overlays it
LINK_DECIMALS_ATOL = 1e-4  # links write grid numbers to 4 decimals: 1/3 comes back as 0.3333, still the preset


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (np.ndarray, list, tuple)) or isinstance(b, (np.ndarray, list, tuple)):
        x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        return x.shape == y.shape and bool(np.allclose(x, y, rtol=0, atol=LINK_DECIMALS_ATOL))
    return a == b


def _preset_of(s: Mapping[str, Any], keys, from_preset, fields: tuple[str, ...]) -> str | None:
    """The preset a state still is — every grid number and setting it fixes unchanged — or None: a preset's name
    and note describe the page only while that holds (after any edit, and in a link of an edited page, they go)."""
    for key in keys:
        p = from_preset(key)
        if all(_same(s.get(f), p[f]) for f in fields):
            return key
    return None


def conv_preset_of(s: Mapping[str, Any]) -> str | None:
    return _preset_of(s, CONV_PRESETS, conv_state_from_preset, CONV_PRESET_FIELDS)


def pool_preset_of(s: Mapping[str, Any]) -> str | None:
    return _preset_of(s, POOL_PRESETS, pool_state_from_preset, POOL_PRESET_FIELDS)


def conv_config(s: Mapping[str, Any]) -> ConvConfig:
    kind = s["pad_kind"]
    sides = (int(kind),) * 4 if kind.isdigit() else (s["pt"], s["pb"], s["pl"], s["pr"])
    padding = kind if kind in ("valid", "same", "full") else sides
    if s["mode"] == "1d" and kind not in ("valid", "same", "full"):
        padding = (0, 0, sides[2], sides[3])
    stride = (1, s["sw"]) if s["mode"] == "1d" else (s["sh"], s["sw"])
    dilation = (1, s["dw"]) if s["mode"] == "1d" else (s["dh"], s["dw"])
    return ConvConfig(stride=stride, padding=padding, pad_mode=s["pad_mode"], dilation=dilation, flip=s["flip"],
                      activation=s["act"], leaky_slope=s["slope"])


def compute_conv(s: Mapping[str, Any]) -> ConvResult:
    """The convolution a conv-page state describes (kernel shapes per mode)."""
    x, k = np.asarray(s["x"], dtype=float), np.asarray(s["k"], dtype=float)
    if s["mode"] in ("2d", "1d"):
        lim = LIMITS[s["mode"]]
        if max(x.shape) > lim["input"] or max(k.shape) > lim["kernel"]:
            raise GridError(f"grids are limited to {lim['input']} cells per side and kernels to {lim['kernel']}")
    return conv2d(x, k, s["bias"], conv_config(s))


def conv_to_params(s: Mapping[str, Any]) -> dict[str, str]:
    x, k = np.asarray(s["x"]), np.asarray(s["k"])
    big = s["mode"] == "multi" and (max(x.shape[1:]) > LIMITS["multi"]["input"] or x.shape[0] > MAX_EDIT_CHANNELS)
    params = {"mode": s["mode"], "s": f"{s['sh']},{s['sw']}", "d": f"{s['dh']},{s['dw']}",
              "p": s["pad_kind"] if s["pad_kind"] != "explicit" else f"{s['pt']},{s['pb']},{s['pl']},{s['pr']}",
              "pm": s["pad_mode"], "flip": "1" if s["flip"] else "0", "act": s["act"], "step": str(s.get("step", 0))}
    if big:
        params["preset"] = s.get("preset", "")
    else:
        params["x"], params["k"] = encode_array(x), encode_array(k)
        params["b"] = ",".join(str(float(b)) for b in np.atleast_1d(s["bias"]))
    if s["act"] == "leaky_relu":
        params["slope"] = str(s["slope"])
    return params


def _pads(t: str) -> tuple[str, tuple[int, int, int, int]]:
    if t in ("valid", "same", "full"):
        return t, (0, 0, 0, 0)
    vals = [int_in(0, 8)(v) for v in t.split(",")]
    if len(vals) == 1:
        vals *= 4
    if len(vals) != 4:
        raise ValueError("give valid, same, full, N or T,B,L,R")
    pads = (vals[0], vals[1], vals[2], vals[3])
    return uniform_kind(pads), pads


def conv_from_params(params: dict[str, str], base: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Overlay URL parameters on `base`; the result is checked by computing it."""
    spec = {"mode": choice(CONV_MODES), "preset": choice(tuple(CONV_PRESETS)), "s": pair_in(1, 8),
            "d": pair_in(1, 4), "p": _pads, "pm": choice(PAD_MODES), "flip": flag, "act": choice(ACTIVATIONS),
            "slope": number, "step": int_in(0, 100_000), "b": lambda t: [number(v) for v in t.split(",")]}
    vals, notices = read_params(params, spec)
    s = dict(base)
    if "preset" in vals:
        s = conv_state_from_preset(vals["preset"])
    if "mode" in vals and vals["mode"] != s["mode"]:
        s = conv_state_from_preset(next(k for k, p in CONV_PRESETS.items() if p.mode == vals["mode"]))
    nd = 3 if s["mode"] == "multi" else 2
    lim = LIMITS[s["mode"]]
    for key, name, ndim in (("x", "x", nd), ("k", "k", 4 if s["mode"] == "multi" else 2)):
        if key in params and params[key]:
            try:
                s[name] = decode_array(params[key], ndim)
                side = lim["input"] if key == "x" else lim["kernel"]
                if ndim <= 3:
                    s[name], cut = fit_grid(s[name], side, side, "input" if key == "x" else "kernel",
                                            channels=MAX_EDIT_CHANNELS if key == "x" and ndim == 3 else None)
                    notices += [cut] if cut else []
            except (GridError, ValueError) as e:
                notices.append(f"URL parameter {key} ignored ({e}); using the default grid.")
    if "b" in vals:
        s["bias"] = vals["b"] if s["mode"] == "multi" else vals["b"][0]
    if "s" in vals:
        s["sh"], s["sw"] = vals["s"]
    if "d" in vals:
        s["dh"], s["dw"] = vals["d"]
    if "p" in vals:
        s["pad_kind"], (s["pt"], s["pb"], s["pl"], s["pr"]) = vals["p"]
    for key, name in (("pm", "pad_mode"), ("flip", "flip"), ("act", "act"), ("slope", "slope"), ("step", "step")):
        if key in vals:
            s[name] = vals[key]
    return _possible_or_default(s, base, compute_conv, "convolution", notices)


def _possible_or_default(s: dict, base: Mapping[str, Any], compute, what: str, notices: list[str]) -> tuple[dict, list[str]]:
    """A state read from a link if it can be computed, else the default with a notice saying why."""
    try:
        compute(s)
    except GridError as e:
        notices.append(f"The link describes an impossible {what} ({e}); showing the default instead.")
        return dict(base), notices
    return s, notices


# ---- pooling --------------------------------------------------------------------------

def pool_state_from_preset(key: str) -> dict[str, Any]:
    p = POOL_PRESETS[key]
    return {"x": np.asarray(p.input, dtype=float), "kh": p.window[0], "kw": p.window[1],
            "sh": p.stride[0], "sw": p.stride[1], "ph": p.padding[0], "pw": p.padding[1], "mode": p.mode, "step": 0}


def pool_config(s: Mapping[str, Any]) -> PoolConfig:
    return PoolConfig((s["kh"], s["kw"]), (s["sh"], s["sw"]), (s["ph"], s["pw"]), s["mode"])


def compute_pool(s: Mapping[str, Any]) -> PoolResult:
    x = np.asarray(s["x"], dtype=float)
    if max(x.shape[-2:]) > LIMITS["2d"]["input"]:
        raise GridError(f"grids are limited to {LIMITS['2d']['input']} cells per side")
    return pool2d(x, pool_config(s))


def pool_to_params(s: Mapping[str, Any]) -> dict[str, str]:
    return {"x": encode_array(s["x"]), "w": f"{s['kh']},{s['kw']}", "s": f"{s['sh']},{s['sw']}",
            "p": f"{s['ph']},{s['pw']}", "mode": s["mode"], "step": str(s.get("step", 0))}


def pool_from_params(params: dict[str, str], base: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    spec = {"preset": choice(tuple(POOL_PRESETS)), "w": pair_in(1, 7), "s": pair_in(1, 7), "p": pair_in(0, 3),
            "mode": choice(POOL_MODES), "step": int_in(0, 100_000)}
    vals, notices = read_params(params, spec)
    s = pool_state_from_preset(vals["preset"]) if "preset" in vals else dict(base)
    if params.get("x"):
        try:
            x = params["x"]
            s["x"] = decode_array(x, 3) if "|" in x else decode_array(x, 2)
            side = LIMITS["2d"]["input"]
            s["x"], cut = fit_grid(s["x"], side, side, "pooling input", channels=MAX_EDIT_CHANNELS)
            notices += [cut] if cut else []
        except (GridError, ValueError) as e:
            notices.append(f"URL parameter x ignored ({e}); using the default grid.")
    for key, names in (("w", ("kh", "kw")), ("s", ("sh", "sw")), ("p", ("ph", "pw"))):
        if key in vals:
            s[names[0]], s[names[1]] = vals[key]
    for key in ("mode", "step"):
        if key in vals:
            s[key] = vals[key]
    return _possible_or_default(s, base, compute_pool, "pooling", notices)
