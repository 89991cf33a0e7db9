"""Your own CNN, any architecture: a network saved with `torch.export.save`, opened safely and made inspectable.

**Opening it never runs code from the file.** `torch.export.load` unpickles some entries of the archive and,
when a weights-only read fails, falls back to a full unpickle — a crafted `.pt2` then runs its payload. So the
archive is read here first, entry by entry, and only a whitelist is let through:
- small text entries (format, version, byte order, serialisation id) and the JSON graph and configs;
- raw weight and constant bytes (`data/weights/weight_*`, `data/constants/tensor_*`) that torch reads as plain
  memory, only when their config says they are not pickled (`use_pickle` false) — no custom or opaque objects;
- the example inputs (`data/sample_inputs/*.pt`), unpickled **weights-only** here and written back by this
  module from the plain tensors that came out, so torch reads bytes this app wrote.
Anything else — another entry, a pickled weight, a legacy layout — refuses the file with one sentence; so do a
non-zip or truncated file, an operator this torch does not know, a graph that is not an image classifier.

**Made inspectable**: the exported graph calls operators (`aten.conv2d`, `aten.batch_norm`, `aten.hardtanh_`…)
on loose tensors; each call with a module's meaning becomes that module again (`nn.Conv2d`, `nn.BatchNorm2d`,
`nn.ReLU6`…), named by the module it was exported from (`features.0.0`, `block1.conv`), so layer tables,
receptive fields, feature maps, the guided rules and the CAM family see an ordinary network.
"""

from __future__ import annotations

import copy
import io
import json
import logging
import zipfile
from dataclasses import dataclass
from typing import Any

import torch
from torch import fx, nn

from cnnviz.errors import CnnvizError
from cnnviz.networks.network import Network

MAX_BYTES = 200 * 2**20
_TEXT = ("archive_format", "archive_version", "byteorder", ".data/version", ".data/serialization_id")


@dataclass(frozen=True)
class Opened:
    """What a .pt2 holds: the graph as modules, the example input's shape (C, H, W) and the number of classes."""

    module: nn.Module
    input_size: tuple[int, int, int]
    classes: int


def _refuse(why: str) -> CnnvizError:
    return CnnvizError(f"this .pt2 file cannot be opened: {why}")


def _root(names: list[str]) -> str:
    fmt = [n for n in names if n.endswith("/archive_format") or n == "archive_format"]
    if len(fmt) != 1:
        raise _refuse("it is a zip file, but not one torch.export.save wrote (no archive_format entry)")
    return fmt[0][: -len("archive_format")]


def _weights_only(data: bytes, entry: str) -> Any:
    try:
        return torch.load(io.BytesIO(data), weights_only=True, map_location="cpu")
    except Exception:  # an UnpicklingError for anything beyond plain tensors and containers
        raise _refuse(f"its entry {entry} is a pickle holding more than plain tensors — refused, because "
                      "opening it could run code") from None


def _check_config(raw: bytes, entry: str, constants: bool) -> None:
    try:
        config = json.loads(raw)["config"]
    except (ValueError, KeyError, TypeError):
        raise _refuse(f"its entry {entry} is not the JSON table torch.export.save writes") from None
    for fqn, meta in config.items():
        if meta.get("use_pickle"):
            raise _refuse(f"'{fqn}' is stored as a pickle ({entry}) — refused, because opening it could run code")
        if constants and not str(meta.get("path_name", "")).startswith("tensor_"):
            raise _refuse(f"'{fqn}' is a custom object, not a tensor — refused, because opening it could run code")


def _targets(tree: Any) -> set[str]:
    """Every operator a serialised graph calls ("torch.ops.aten.conv2d.default", …)."""
    found: set[str] = set()
    stack = [tree]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            target = item.get("target")
            if isinstance(target, str) and target.startswith("torch.ops."):
                found.add(target)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def _check_operators(raw: bytes, entry: str) -> None:
    """Each operator the graph calls must be one this torch knows: named in words when it is not."""
    try:
        tree = json.loads(raw)
    except ValueError:
        raise _refuse(f"its graph ({entry}) is not valid JSON") from None
    for target in sorted(_targets(tree)):
        obj: Any = torch.ops
        try:
            for part in target.split(".")[2:]:
                obj = getattr(obj, part)
        except (AttributeError, RuntimeError):
            raise _refuse(f"its graph calls an operator this torch {torch.__version__} does not know "
                          f"({target.removeprefix('torch.ops.')}): export it with the same torch version, without "
                          "custom operators") from None


def safe_archive(data: bytes) -> bytes:
    """The archive with every entry checked (see the module's docstring), example inputs rewritten by us."""
    if not data:
        raise _refuse("it is empty (0 bytes)")
    if len(data) > MAX_BYTES:
        raise _refuse(f"it is {len(data) / 2**20:,.1f} MB; the limit here is {MAX_BYTES // 2**20} MB (a class shares "
                      "this server)")
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
        names = z.namelist()
    except (zipfile.BadZipFile, EOFError, ValueError, OSError):
        raise _refuse("it is not a .pt2 archive, or it is truncated (torch.export.save writes a zip file)") from None
    unpacked = sum(i.file_size for i in z.infolist())
    if unpacked > 2 * MAX_BYTES:  # a small file that unpacks to gigabytes (a zip bomb) is never unpacked
        raise _refuse(f"it unpacks to {unpacked / 2**20:,.0f} MB; the limit here is {2 * MAX_BYTES // 2**20} MB")
    try:
        bad = z.testzip()
    except (zipfile.BadZipFile, EOFError, ValueError, OSError, RuntimeError):
        raise _refuse("it is damaged or truncated (an entry cannot be unpacked)") from None
    if bad is not None:
        raise _refuse(f"it is damaged or truncated (entry {bad} does not match its checksum)")
    root = _root(names)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as w:
        for name in names:
            rel = name[len(root):] if name.startswith(root) else None
            raw = z.read(name)
            if rel is None:
                raise _refuse(f"its entry {name} lies outside the archive's folder")
            if rel.endswith("/") or rel in _TEXT:
                pass
            elif rel.startswith("models/") and rel.endswith(".json"):
                _check_operators(raw, name)
            elif rel.startswith("data/weights/") and rel.endswith("_weights_config.json"):
                _check_config(raw, name, constants=False)
            elif rel.startswith("data/constants/") and rel.endswith("_constants_config.json"):
                _check_config(raw, name, constants=True)
            elif rel.startswith("data/weights/weight_") or rel.startswith("data/constants/tensor_"):
                pass  # raw bytes, read as memory (their configs are checked: never pickled)
            elif rel.startswith("data/sample_inputs/") and rel.endswith(".pt"):
                plain = _weights_only(raw, name)
                again = io.BytesIO()
                torch.save(plain, again)
                raw = again.getvalue()
            else:
                raise _refuse(f"it holds an entry this app does not open ({rel}): only a graph, its weights and "
                              "example inputs are accepted")
            w.writestr(name, raw)
    return out.getvalue()


def read_exported(data: bytes) -> torch.export.ExportedProgram:
    """The ExportedProgram of a checked archive; unknown operators and other load failures in words."""
    safe = safe_archive(data)
    try:
        return torch.export.load(io.BytesIO(safe))
    except Exception:  # its own words are a page of internals: the checks above name the usual causes
        raise _refuse("torch could not rebuild its graph (was it saved with torch.export.save by this torch "
                      f"version, {torch.__version__}?)") from None


class _QuietLoad(logging.Filter):
    """torch.export.load logs a traceback before it raises for a file it cannot read: the refusal says it once."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "error when deserializing" not in record.getMessage()


logging.getLogger("torch.export").addFilter(_QuietLoad())


# ---- as modules ------------------------------------------------------------------------------------------

_aten = torch.ops.aten


def _value(node: Any, tensors: dict[str, torch.Tensor]) -> Any:
    if isinstance(node, fx.Node):
        if node.op != "get_attr":
            raise KeyError(node.name)
        return tensors[str(node.target)]
    return node


def _arg(n: fx.Node, i: int, default: Any = None) -> Any:
    return n.args[i] if len(n.args) > i else default


def _shape(n: fx.Node) -> tuple[int, ...] | None:
    val = n.meta.get("val")
    return tuple(int(s) for s in val.shape) if isinstance(val, torch.Tensor) else None


def _lift(n: fx.Node, t: dict[str, torch.Tensor]) -> nn.Module | None:
    """The module whose forward this operator call is, with its weights; None when it has none."""
    op = n.target
    if op == _aten.conv2d.default:
        w, b = _value(_arg(n, 1), t), _value(_arg(n, 2), t)
        stride, padding, dilation, groups = (_arg(n, 3, 1), _arg(n, 4, 0), _arg(n, 5, 1), _arg(n, 6, 1))
        conv = nn.Conv2d(w.shape[1] * groups, w.shape[0], tuple(w.shape[2:]), stride, padding, dilation, groups,
                         bias=b is not None)
        conv.weight = nn.Parameter(w.detach().clone(), requires_grad=False)
        if b is not None:
            conv.bias = nn.Parameter(b.detach().clone(), requires_grad=False)
        return conv
    if op == _aten.linear.default:
        w, b = _value(_arg(n, 1), t), _value(_arg(n, 2), t)
        lin = nn.Linear(w.shape[1], w.shape[0], bias=b is not None)
        lin.weight = nn.Parameter(w.detach().clone(), requires_grad=False)
        if b is not None:
            lin.bias = nn.Parameter(b.detach().clone(), requires_grad=False)
        return lin
    if op == _aten.batch_norm.default and (_shape(n) is None or len(_shape(n) or ()) == 4):
        w, b, mean, var = (_value(_arg(n, k), t) for k in (1, 2, 3, 4))
        bn = nn.BatchNorm2d(mean.shape[0], eps=float(_arg(n, 7, 1e-5)), momentum=float(_arg(n, 6, 0.1)),
                            affine=w is not None)
        if w is not None:
            bn.weight = nn.Parameter(w.detach().clone(), requires_grad=False)
            bn.bias = nn.Parameter(b.detach().clone(), requires_grad=False)
        bn.running_mean = mean.detach().clone()
        bn.running_var = var.detach().clone()
        return bn.eval()
    if op in (_aten.relu.default, _aten.relu_.default):
        return nn.ReLU()
    if op in (_aten.hardtanh.default, _aten.hardtanh_.default):
        lo, hi = float(_arg(n, 1, -1.0)), float(_arg(n, 2, 1.0))
        return nn.ReLU6() if (lo, hi) == (0.0, 6.0) else nn.Hardtanh(lo, hi)
    simple = {_aten.sigmoid.default: nn.Sigmoid, _aten.tanh.default: nn.Tanh, _aten.silu.default: nn.SiLU,
              _aten.hardswish.default: nn.Hardswish, _aten.gelu.default: nn.GELU}
    if op in simple:
        return simple[op]()
    if op in (_aten.leaky_relu.default, _aten.leaky_relu_.default):
        return nn.LeakyReLU(float(_arg(n, 1, 0.01)))
    if op == _aten.max_pool2d.default:
        k = _arg(n, 1)
        return nn.MaxPool2d(k, _arg(n, 2) or k, _arg(n, 3, 0), _arg(n, 4, 1), ceil_mode=bool(_arg(n, 5, False)))
    if op == _aten.avg_pool2d.default:
        k = _arg(n, 1)
        return nn.AvgPool2d(k, _arg(n, 2) or k, _arg(n, 3, 0), bool(_arg(n, 4, False)), bool(_arg(n, 5, True)))
    if op == _aten.adaptive_avg_pool2d.default:
        return nn.AdaptiveAvgPool2d(tuple(_arg(n, 1)))
    if op == _aten.dropout.default:
        return nn.Dropout(float(_arg(n, 1, 0.5)))
    return None


_KINDS = {nn.Conv2d: "conv", nn.Linear: "fc", nn.BatchNorm2d: "bn", nn.ReLU: "relu", nn.ReLU6: "relu6",
          nn.MaxPool2d: "pool", nn.AvgPool2d: "pool", nn.AdaptiveAvgPool2d: "pool", nn.Dropout: "dropout"}


def _where(n: fx.Node, module: nn.Module, taken: set[str]) -> str:
    """The lifted module's name: the module it was exported from when that was one of its kind (features.0.0),
    else that module's path and the operation (block1.relu, block1.relu_1); unique."""
    stack = list((n.meta.get("nn_module_stack") or {}).values())
    path, cls = (stack[-1][0], str(stack[-1][1])) if stack else ("", "")
    if path and cls.rsplit(".", 1)[-1] == type(module).__name__ and path not in taken:
        return path
    kind = _KINDS.get(type(module), type(module).__name__.lower())
    base = f"{path}.{kind}" if path else kind
    name, k = base, 1
    while name in taken:
        name, k = f"{base}_{k}", k + 1
    return name


def _install(root: nn.Module, dotted: str, value: nn.Module | torch.Tensor) -> None:
    *parents, last = dotted.split(".")
    mod = root
    for p in parents:
        if not hasattr(mod, p):
            mod.add_module(p, nn.Module())
        mod = getattr(mod, p)
    if isinstance(value, nn.Module):
        mod.add_module(last, value)
    else:
        mod.register_buffer(last, value.detach().clone())


def as_modules(ep: torch.export.ExportedProgram) -> fx.GraphModule:
    """The exported graph with each module-like operator call as that module (see the docstring), frozen, eval."""
    gm = ep.module()
    tensors = {**dict(gm.named_parameters()), **dict(gm.named_buffers())}
    graph = fx.Graph()
    root = nn.Module()
    env: dict[fx.Node, fx.Node] = {}
    taken: set[str] = set()
    for n in gm.graph.nodes:
        if n.op == "call_module" and str(n.target).startswith("_guards"):
            continue  # export's input-shape guard: sizes are checked when the file is opened
        try:
            lifted = _lift(n, tensors) if n.op == "call_function" else None
        except (KeyError, TypeError, ValueError, IndexError):
            lifted = None  # computed weights, odd arguments: it stays an operator call
        if lifted is not None:
            name = _where(n, lifted, taken)
            taken.add(name)
            _install(root, name, lifted)
            env[n] = graph.call_module(name, (env[n.args[0]],))
            continue
        if n.op == "get_attr" and str(n.target) not in taken:
            _install(root, str(n.target), tensors[str(n.target)])
            taken.add(str(n.target))
        env[n] = graph.node_copy(n, lambda a: env[a])
    result = next(n for n in graph.nodes if n.op == "output")
    if isinstance(result.args[0], tuple | list) and len(result.args[0]) == 1:  # export's flat outputs: one tensor
        result.args = (result.args[0][0],)
    out = fx.GraphModule(root, graph)
    out.graph.eliminate_dead_code()
    out.delete_all_unused_submodules()
    out.recompile()
    return out.eval().requires_grad_(False)


def open_classifier(data: bytes) -> Opened:
    """A checked .pt2 as an image classifier: one N×C×H×W input (C = 1 or 3), class scores N×K out, a batch of
    two as good as one at a time — each failure said in words."""
    ep = read_exported(data)
    example = ep.example_inputs[0] if ep.example_inputs else ()
    tensors = [a for a in example if isinstance(a, torch.Tensor)]
    if len(tensors) != 1 or tensors[0].dim() != 4 or tensors[0].shape[1] not in (1, 3):
        raise _refuse("it must take one picture tensor N×3×H×W (or N×1×H×W); export it with one example input "
                      "such as torch.randn(1, 3, 224, 224)")
    c, h, w = (int(s) for s in tensors[0].shape[1:])
    model = as_modules(ep)
    pair = torch.rand(2, c, h, w, generator=torch.Generator().manual_seed(0))
    try:
        with torch.no_grad():
            two = model(pair)
            one = model(pair[:1])
    except Exception:
        raise _refuse("it runs one picture at a time only: export it with a free batch size, "
                      "dynamic_shapes=({0: torch.export.Dim('batch')},) and an example batch of 2 (see the guide)") from None
    if not isinstance(two, torch.Tensor) or two.dim() != 2 or two.shape[0] != 2 or two.shape[1] < 2:
        got = tuple(two.shape) if isinstance(two, torch.Tensor) else type(two).__name__
        raise _refuse(f"its output is {got}, not class scores (one row of at least 2 scores per picture)")
    if not torch.allclose(one[0], two[0], atol=1e-4, rtol=1e-4):
        raise _refuse("a picture's scores depend on the rest of its batch (was it exported in training mode? call "
                      "model.eval() before torch.export.export)")
    return Opened(model, (c, h, w), int(two.shape[1]))


def load(data: bytes, labels: bytes | None = None, labels_name: str = "", file_name: str = "",
         input_size: int | None = None, mean: tuple[float, ...] | None = None,
         std: tuple[float, ...] | None = None) -> Network:
    """Your exported network as a Network of this session (freed with the handle; never on disk, never in links).

    Defaults: the example input's size; ImageNet's mean and std for three channels, 0.5 and 0.5 for one (pixels
    scaled to 0–1 first). A size the graph does not take is refused in words.
    """
    from cnnviz.networks import session_models
    from cnnviz.networks.own_weights import read_labels
    from cnnviz.networks.preprocess import IMAGENET, Preprocess
    from cnnviz.networks.specs import NetworkSpec, group_first_part

    opened = open_classifier(data)
    c, h, w = opened.input_size
    size = input_size or h
    if size != h or h != w:
        shape = torch.rand(1, c, size, size)
        try:
            with torch.no_grad():
                opened.module(shape)
        except Exception:
            raise _refuse(f"the graph takes {h}×{w} pictures, not {size}×{size}: leave the input size empty, or "
                          f"export it for {size}×{size}") from None
    mean = mean or (IMAGENET.mean if c == 3 else (0.5,))
    std = std or (IMAGENET.std if c == 3 else (0.5,))
    if len(mean) != c or len(std) != c or any(s <= 0 for s in std):
        raise CnnvizError(f"give {c} mean and {c} std values (positive std) for a {c}-channel network")
    names = (read_labels(labels, labels_name) if labels is not None
             else tuple(f"class {i}" for i in range(opened.classes)))
    if len(names) != opened.classes:
        raise CnnvizError(f"the labels file names {len(names)} classes but the network gives {opened.classes} "
                          "scores: one name per score, in order")
    label = file_name or "your network"
    title = f"{label} ({opened.classes} classes)"
    module = opened.module
    preprocess = Preprocess("shorter", size, round(size * 256 / 224), tuple(mean), tuple(std), 255.0,
                            grayscale=c == 1)
    spec = NetworkSpec("exported", title, "upload", f"your exported network {label}", (c, size, size),
                       lambda: copy.deepcopy(module), preprocess, labels=lambda: names, group=group_first_part,
                       licence="yours", classes=opened.classes)
    return session_models.register(spec, module, title, names,
                                   description=f"{label}: a torch.export graph with {opened.classes} classes, for "
                                               "this session only")
