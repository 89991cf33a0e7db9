"""Layer tables computed from the real torch modules: shapes, parameters, MACs, memory, receptive fields.

Nothing here is typed in: a model is built (random weights: the architecture is what
matters), traced with torch.fx, its shapes propagated on a dummy input, and every row
read off the modules. Also the design calculators of the lecture notes.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

import torch
from torch import nn

from cnnviz.caching import KeyedCache
from cnnviz.networks.network import Network
from cnnviz.networks.probe import analyse
from cnnviz.networks.specs import SPECS

BYTES_PER_VALUE = 4  # float32


def _lenet_paper():
    from cnnviz.networks.paper_models import LeNet5Paper

    return LeNet5Paper()


def _alexnet_paper(two_gpu: bool = True):
    from cnnviz.networks.paper_models import AlexNetPaper

    return AlexNetPaper(two_gpu_groups=two_gpu)


@dataclass(frozen=True)
class Arch:
    name: str
    title: str
    build: Callable[[], nn.Module]
    input_size: tuple[int, int, int]
    top1: float | None = None  # ImageNet top-1 accuracy, %
    top1_source: str = ""


def _meta_top1(weights: str) -> float | None:
    try:
        from torchvision.models import get_weight

        return float(get_weight(weights).meta["_metrics"]["ImageNet-1K"]["acc@1"])
    except Exception:  # noqa: BLE001
        return None


_PAPER = {
    "lenet5-paper": Arch("lenet5-paper", "LeNet-5 (LeCun et al. 1998)", _lenet_paper, (1, 32, 32)),
    "alexnet-paper": Arch("alexnet-paper", "AlexNet (Krizhevsky et al. 2012, two-GPU grouping)", _alexnet_paper,
                          (3, 227, 227), round(100 - 40.7, 1),
                          "Krizhevsky et al. 2012: top-1 error 40.7 % on ILSVRC-2012 validation (one CNN)"),
}
_FROM_SPECS = {name: Arch(name, spec.table_title, spec.architecture, spec.input_size, spec.top1, spec.top1_source)
               for name, spec in SPECS.items()}
# Every network of the spec table, each paper variant beside the network it describes.
ARCHS: dict[str, Arch] = {"lenet5": _FROM_SPECS["lenet5"], "lenet5-paper": _PAPER["lenet5-paper"],
                          "alexnet-paper": _PAPER["alexnet-paper"],
                          **{n: a for n, a in _FROM_SPECS.items() if n != "lenet5"}}
TORCHVISION_WEIGHTS = {name: spec.weights for name, spec in SPECS.items() if spec.weights}


@dataclass(frozen=True)
class Row:
    name: str
    type: str
    kernel: str  # "k×k / s / p" or ""
    output_shape: tuple[int, ...]  # C,H,W (or features,)
    params: int
    macs: int
    activation_bytes: int
    rf: float
    jump: float

    def as_dict(self) -> dict:
        return {"name": self.name, "type": self.type, "kernel": self.kernel, "output_shape": list(self.output_shape),
                "params": self.params, "macs": self.macs, "activation_bytes": self.activation_bytes,
                "rf": None if not math.isfinite(self.rf) else self.rf, "jump": self.jump}


@dataclass
class Table:
    arch: str
    input_size: tuple[int, int, int]
    rows: list[Row] = field(default_factory=list)
    params: int = 0
    macs: int = 0
    activation_bytes: int = 0
    depth: int = 0  # convolution + fully connected layers on the longest path (counted as layers with weights)

    def totals(self, batch: int = 1) -> dict:
        return {"params": self.params, "macs": self.macs * batch, "activation_bytes": self.activation_bytes * batch,
                "parameter_bytes": self.params * BYTES_PER_VALUE}


def _kernel_text(mod: nn.Module) -> str:
    if not hasattr(mod, "kernel_size"):
        return ""
    def one(v):
        return v if isinstance(v, int) else v[0] if len(set(v)) == 1 else "×".join(map(str, v))
    k = one(mod.kernel_size)
    s = one(mod.stride) if getattr(mod, "stride", None) is not None else k
    p = mod.padding if isinstance(getattr(mod, "padding", 0), str) else one(getattr(mod, "padding", 0))
    if type(mod).__name__ == "Conv2dSame":
        p = "same"
    d = one(getattr(mod, "dilation", 1))
    g = getattr(mod, "groups", 1)
    text = f"{k}×{k} / {s} / {p}" if isinstance(k, int) else f"{k} / {s} / {p}"
    if d not in (1, "1"):
        text += f" / dil {d}"
    if g > 1:
        text += f" / groups {g}"
    if getattr(mod, "ceil_mode", False):
        text += " / ceil"  # the output size rounds up: ⌈(N + 2P − K)/S⌉ + 1 (GoogLeNet's pools: 112 → 56, not 55)
    return text


def _macs(mod: nn.Module, out_shape: tuple[int, ...]) -> int:
    if hasattr(mod, "macs"):
        return int(mod.macs(out_shape))  # type: ignore[operator]  # paper modules count their own
    if isinstance(mod, nn.Conv2d):
        return int(math.prod(out_shape) * (mod.in_channels // mod.groups) * math.prod(mod.kernel_size))
    if isinstance(mod, nn.Linear):
        return mod.in_features * mod.out_features
    return 0


TABLES_KEPT = 48  # layer tables kept per process (every architecture at a few input sizes)
_tables = KeyedCache(TABLES_KEPT)


def layer_table(arch: str | Arch, input_size: tuple[int, int, int] | None = None) -> Table:
    """Every leaf module call (and residual add / concatenation) of the traced model, in order.

    `arch`: a name of ARCHS, or an Arch of its own (a session's network: `arch_of`). Computed once per
    (architecture, input size) for the whole process and shared: treat it as read-only.
    """
    spec = arch if isinstance(arch, Arch) else ARCHS[arch]
    size = tuple(input_size or spec.input_size)
    return _tables.get((spec.name, size), lambda: _layer_table(spec, size))  # type: ignore[arg-type]


def arch_of(net: Network) -> Arch:
    """A session's network (yours, trained here or exported) as an architecture the tables can read: a private copy
    of its module is what gets traced."""
    module = net.module("cpu")
    return Arch(net.key, f"★ {net.title}", lambda: copy.deepcopy(module), net.input_size)


@cache
def paper_alexnet_one_gpu_params() -> int:
    """Parameters of the paper's AlexNet without the two-GPU grouping (built once per process)."""
    return sum(p.numel() for p in _alexnet_paper(False).parameters())


def _layer_table(spec: Arch, size: tuple[int, int, int]) -> Table:
    import operator

    from cnnviz.networks.paper_models import PAPER_LEAVES

    model = spec.build().eval()
    model, graph, names, rf = analyse(model, size, extra_leaves=tuple(PAPER_LEAVES))
    table = Table(spec.name, size)
    seen: set[int] = set()
    for n in graph.nodes:
        meta = n.meta.get("tensor_meta")
        shape = tuple(int(v) for v in getattr(meta, "shape", ())[1:]) if meta is not None and hasattr(meta, "shape") \
            else ()
        r, j, _ = rf.get(n, (math.nan, math.nan, math.nan))
        if n.op == "call_module":
            mod = model.get_submodule(n.target)
            fresh = id(mod) not in seen  # a module reused (ResNet's ReLU) owns its parameters once
            seen.add(id(mod))
            params = sum(p.numel() for p in mod.parameters()) if fresh else 0
            row = Row(names.get(n, n.target), type(mod).__name__, _kernel_text(mod), shape, params,
                      _macs(mod, shape), math.prod(shape) * BYTES_PER_VALUE, r, j)
        elif n.op == "call_function" and n.target in (operator.add, torch.add, torch.cat, torch.ops.aten.add.Tensor,
                                                      torch.ops.aten.cat.default):
            joined = n.target in (torch.cat, torch.ops.aten.cat.default)
            row = Row(names.get(n, n.name), "concatenate" if joined else "add (residual)", "",
                      shape, 0, 0, math.prod(shape) * BYTES_PER_VALUE, r, j)
        else:
            continue
        table.rows.append(row)
    table.params = sum(p.numel() for p in model.parameters())
    table.macs = sum(row.macs for row in table.rows)
    table.activation_bytes = sum(row.activation_bytes for row in table.rows)
    table.depth = _depth(graph, model)
    return table


def _depth(graph, model: nn.Module) -> int:
    """Layers with weights (convolutions, fully connected) on the longest input→output path."""
    best: dict = {}
    for n in graph.nodes:
        here = 0
        if n.op == "call_module":
            mod = model.get_submodule(n.target)
            weighted = isinstance(mod, (nn.Conv2d, nn.Linear)) or (
                hasattr(mod, "macs") and any(p.numel() for p in mod.parameters()))
            here = 1 if weighted else 0
        best[n] = here + max((best.get(a, 0) for a in n.all_input_nodes), default=0)
    return max(best.values(), default=0)


def top1(arch: str) -> tuple[float | None, str]:
    spec = ARCHS[arch]
    if spec.top1 is not None:
        return spec.top1, spec.top1_source
    if arch in TORCHVISION_WEIGHTS:
        v = _meta_top1(TORCHVISION_WEIGHTS[arch])
        return v, f"torchvision weights metadata ({TORCHVISION_WEIGHTS[arch]})"
    if spec.input_size[0] == 1:
        return None, "— not an ImageNet network: it reads 32×32 digits"
    return None, "— no published ImageNet accuracy for these weights"


def bubble_ranges(macs) -> tuple[float, float]:
    """The comparison chart's log-x range (log10 of multiply-adds) with room for the labels at both ends."""
    lo, hi = math.log10(min(macs)), math.log10(max(macs))
    pad = 0.12 * (hi - lo) + 0.2
    return lo - pad, hi + pad


def comparison_rows() -> list[dict[str, object]]:
    """Every architecture's parameters, MACs, depth and ImageNet top-1 — a dash and the reason where there is none
    (a table never shows "None")."""
    rows = []
    for name, arch in ARCHS.items():
        t = layer_table(name)
        acc, src = top1(name)
        rows.append({"architecture": arch.title, "parameters": t.params, "MACs": t.macs, "depth": t.depth,
                     "ImageNet top-1 %": f"{acc:.1f}" if acc is not None else "—", "accuracy source": src,
                     "top1": acc})
    return rows


# ---- calculators --------------------------------------------------------------------------

@dataclass(frozen=True)
class Branch:
    name: str
    layers: tuple[tuple[str, int, int, int], ...]  # (label, kernel, c_in, c_out) per convolution
    out_channels: int
    params: int
    mults: int


def _conv_cost(k: int, c_in: int, c_out: int, hw: int, bias: bool = True) -> tuple[int, int]:
    return c_out * (k * k * c_in + (1 if bias else 0)), hw * c_out * k * k * c_in


def inception(h: int, w: int, c: int, b1: int, b3: int, b5: int, reduce3: int, reduce5: int, pool_proj: int,
              bottleneck: bool = True, bias: bool = True) -> list[Branch]:
    """Branches of an Inception module ('same' padding, stride 1) on an h×w×c input: naive or 1×1-bottlenecked."""
    hw = h * w
    specs = [("1×1", [("1×1", 1, c, b1)]),
             ("3×3", [("1×1 reduce", 1, c, reduce3), ("3×3", 3, reduce3, b3)] if bottleneck else [("3×3", 3, c, b3)]),
             ("5×5", [("1×1 reduce", 1, c, reduce5), ("5×5", 5, reduce5, b5)] if bottleneck else [("5×5", 5, c, b5)]),
             ("pool", [("1×1 projection", 1, c, pool_proj)] if bottleneck else [])]
    out = []
    for name, convs in specs:
        p = m = 0
        for _, k, ci, co in convs:
            dp, dm = _conv_cost(k, ci, co, hw, bias)
            p, m = p + dp, m + dm
        out_c = convs[-1][3] if convs else c
        out.append(Branch(name, tuple(convs), out_c, p, m))
    return out


def stack_vs_large(n: int, channels: int, bias: bool = False) -> dict:
    """n stacked 3×3 convolutions vs one (2n+1)×(2n+1), C channels in and out."""
    k = 2 * n + 1
    per = channels * (9 * channels + (1 if bias else 0))
    return {"n": n, "kernel": k, "receptive_field": 1 + 2 * n, "stack_params": n * per,
            "large_params": channels * (k * k * channels + (1 if bias else 0)),
            "stack_nonlinearities": n, "large_nonlinearities": 1}


def fc_vs_conv(h: int, w: int, c: int, out_channels: int, k: int, bias: bool = True) -> dict:
    """A fully connected layer from h×w×c to an output of the same size as a k×k 'same' convolution's."""
    n_in = h * w * c
    n_out = h * w * out_channels
    return {"fc_params": n_in * n_out + (n_out if bias else 0),
            "conv_params": out_channels * (k * k * c + (1 if bias else 0)),
            "connections_per_output_fc": n_in, "connections_per_output_conv": k * k * c,
            "output_units": n_out}


def block_key(name: str) -> str:
    """The diagram box a row belongs to: a residual/inception/MBConv block, or a single layer."""
    parts = name.split(".")
    if len(parts) > 1 and parts[1].isdigit():
        return ".".join(parts[:2])
    return parts[0]


_SHORT = (("inception", "inc "), ("_blocks.", "MB "), ("_conv_stem", "stem"), ("features.", "f"), ("classifier.", "fc "),
          ("classifier", "fc"), ("maxpool", "max pool"), ("avgpool", "avg pool"))
LABEL_CHARS = 9  # what fits under a diagram box


def short_label(key: str) -> str:
    """A block's name in at most 9 characters for the diagram, its number kept (the hover gives the whole name):
    "classifier.1" → "fc 1", "inception4a" → "inc 4a", "features.10" → "f10"."""
    for long, short in _SHORT:
        key = key.replace(long, short)
    if len(key) <= LABEL_CHARS:
        return key
    head = key.rstrip("0123456789.")
    tail = key[len(head):]
    return head[: max(1, LABEL_CHARS - len(tail) - 1)] + "…" + tail if tail else head[: LABEL_CHARS - 1] + "…"


@dataclass(frozen=True)
class Block:
    key: str
    kinds: tuple[str, ...]
    output_shape: tuple[int, ...]
    params: int
    macs: int


def blocks(table: Table) -> list[Block]:
    out: dict[str, list[Row]] = {}
    for row in table.rows:
        out.setdefault(block_key(row.name), []).append(row)
    return [Block(k, tuple(dict.fromkeys(r.type for r in rows)), rows[-1].output_shape, sum(r.params for r in rows),
                  sum(r.macs for r in rows)) for k, rows in out.items()]


def conv_channels(arch: str) -> list[int]:
    """Output channels of each convolution, in order (for paper-vs-implementation comparisons)."""
    return [r.output_shape[0] for r in layer_table(arch).rows if r.type in ("Conv2d", "PartialConv", "Conv2dSame")]


DOTS_KEPT = 64
_dots = KeyedCache(DOTS_KEPT)


def block_dot(arch: str, key: str) -> str | None:
    """Graphviz DOT of one Inception module or residual block, channel numbers read from the modules (made once per
    block for every session)."""
    return _dots.get((arch, key), lambda: _block_dot(arch, key))


def _block_dot(arch: str, key: str) -> str | None:
    from torchvision.models.googlenet import Inception
    from torchvision.models.resnet import BasicBlock, Bottleneck

    model = ARCHS[arch].build()
    try:
        mod = model.get_submodule(key)
    except AttributeError:
        return None
    rows = {r.name: r for r in layer_table(arch).rows}
    def shape(name):
        r = rows.get(name)
        return "×".join(map(str, r.output_shape)) if r else ""
    lines = ["digraph G {", 'rankdir=TB; node [shape=box, style="rounded,filled", fillcolor="#E8F1F8", fontname="Helvetica"];',
             'edge [color="#555555"];', f'in [label="input\n{_input_of(rows, key)}", fillcolor="#F2F2F2"];']
    if isinstance(mod, Inception):
        branches = [("branch1", mod.branch1), ("branch2", mod.branch2), ("branch3", mod.branch3), ("branch4", mod.branch4)]
        for bname, seq in branches:
            prev = "in"
            for i, sub in enumerate(seq if isinstance(seq, nn.Sequential) else [seq]):
                node = f"{bname}_{i}"
                if isinstance(sub, nn.MaxPool2d):
                    label = f"max-pool {sub.kernel_size}×{sub.kernel_size}/{sub.stride}"
                else:
                    conv = sub.conv
                    label = f"{conv.kernel_size[0]}×{conv.kernel_size[1]} conv, {conv.out_channels}\n+ BN + ReLU"
                    if bname == "branch3" and conv.kernel_size[0] == 3:
                        label += "\n(the paper: 5×5 — torchvision's known deviation)"
                lines.append(f'{node} [label="{label}"];')
                lines.append(f"{prev} -> {node};")
                prev = node
            lines.append(f"{prev} -> cat;")
        lines.append(f'cat [label="concatenate\n{shape(key + ".cat")}", fillcolor="#FCE8D5"];')
    elif isinstance(mod, (BasicBlock, Bottleneck)):
        convs = [m for n, m in mod.named_children() if isinstance(m, nn.Conv2d)]
        prev = "in"
        for i, conv in enumerate(convs):
            last = i == len(convs) - 1
            label = (f"{conv.kernel_size[0]}×{conv.kernel_size[1]} conv, {conv.out_channels}"
                     + (f", stride {conv.stride[0]}" if conv.stride[0] > 1 else "") + ("\n+ BN" if last else "\n+ BN + ReLU"))
            lines.append(f'c{i} [label="{label}"];')
            lines.append(f"{prev} -> c{i};")
            prev = f"c{i}"
        if mod.downsample is not None:
            ds = mod.downsample[0]
            lines.append(f'proj [label="projection shortcut\n1×1 conv, {ds.out_channels}, stride {ds.stride[0]} + BN", '
                         'fillcolor="#FFF4CC"];')
            lines.append("in -> proj; proj -> add;")
        else:
            lines.append('in -> add [label="identity shortcut", style=dashed];')
        lines.append(f"{prev} -> add;")
        lines.append(f'add [label="add, ReLU\n{shape(key + ".relu_2") or shape(key + ".add")}", fillcolor="#FCE8D5"];')
    else:
        return None
    lines.append("}")
    return "\n".join(line.replace("\n", "\\n") for line in lines)  # DOT wants \\n inside labels


def _input_of(rows: dict, key: str) -> str:
    names = list(rows)
    first = next((i for i, n in enumerate(names) if n.startswith(key + ".")), None)
    if not first:
        return ""
    return "×".join(map(str, rows[names[first - 1]].output_shape))
