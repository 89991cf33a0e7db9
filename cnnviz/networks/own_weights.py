"""Bring your own weights: a state dict for a known architecture becomes a Network of this session.

What a student brings is a `.pt`/`.pth` file saved with `torch.save(model.state_dict(), …)`
(or a checkpoint dict holding one under "state_dict"/"model"), for any torchvision
classification architecture, LeNet-5 or EfficientNet-Lite0/1/2. Everything is read from
bytes in memory — nothing is written to disk — with `torch.load(weights_only=True)`, so a
pickle that needs code to unpickle is refused, never run. The number of classes is read
from the final layer; class names come from an optional text (one per line) or JSON file.
Every problem is one CnnvizError naming what was wrong and what was expected.
"""

from __future__ import annotations

import dataclasses
import io
import json
import pickle
import re
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING

from cnnviz.errors import CnnvizError
from cnnviz.networks.preprocess import Preprocess
from cnnviz.networks.specs import SPECS, NetworkSpec

if TYPE_CHECKING:
    import torch
    from torch import nn

    from cnnviz.networks.network import Network

MAX_WEIGHT_BYTES = 200 * 2**20  # ResNet-50 is 98 MB; VGG-16 (528 MB) is refused on a shared classroom server
MAX_LABEL_BYTES = 2 * 2**20
_OWN = tuple(sorted((s.name for s in SPECS.values() if s.own_architecture), key=lambda n: (SPECS[n].classes, n)))
_HUMAN_MB = f"{MAX_WEIGHT_BYTES / 2**20:.0f} MB"


@cache
def architectures() -> tuple[str, ...]:
    """Every architecture a state dict can be loaded into: the app's own, then torchvision's classifiers."""
    import torchvision

    return _OWN + tuple(sorted(torchvision.models.list_models(module=torchvision.models)))


def _mb(n: int) -> str:
    return f"{n / 2**20:,.1f} MB"


def read_state_dict(data: bytes, size: int | None = None) -> dict[str, torch.Tensor]:
    """The tensors of an uploaded weights file; refuses oversize files, code pickles and non-tensor contents."""
    import torch

    size = len(data) if size is None else size
    if size > MAX_WEIGHT_BYTES:
        raise CnnvizError(f"the weights file is {_mb(size)}; the limit here is {_HUMAN_MB} (a class shares this "
                          "server): use a smaller network, or run the app on your own machine")
    if not data:
        raise CnnvizError("the weights file is empty")
    try:
        obj = torch.load(io.BytesIO(data), weights_only=True, map_location="cpu")
    except pickle.UnpicklingError as e:
        found = re.search(r"GLOBAL ([\w.]+)", str(e))
        if found is None:  # not a pickle at all (a text file, an image…)
            raise CnnvizError("this is not a complete PyTorch weights file (truncated, or another format). Save it "
                              "with torch.save(model.state_dict(), 'weights.pt')") from None
        raise CnnvizError(f"the file holds Python objects ({found.group(1)}) that need code to load, which is "
                          "refused for safety (only tensors are read). Save only the weights: "
                          "torch.save(model.state_dict(), 'weights.pt')") from None
    except (RuntimeError, EOFError, OSError, ValueError, KeyError, IndexError) as e:
        raise CnnvizError("this is not a complete PyTorch weights file (truncated, or another format: "
                          f"{e.__class__.__name__}). Save it with torch.save(model.state_dict(), 'weights.pt')") from None
    if isinstance(obj, dict):
        for key in ("state_dict", "model_state_dict", "model"):  # common checkpoint layouts
            if isinstance(obj.get(key), dict):
                obj = obj[key]
                break
    if not isinstance(obj, dict) or not obj:
        raise CnnvizError(f"the file holds a {type(obj).__name__}, not a state dict (a dictionary of named tensors): "
                          "save it with torch.save(model.state_dict(), 'weights.pt')")
    bad = [str(k) for k, v in obj.items() if not isinstance(v, torch.Tensor)]
    if bad:
        raise CnnvizError(f"the state dict holds things that are not tensors ({', '.join(bad[:3])}): save only "
                          "model.state_dict()")
    state = {str(k): v for k, v in obj.items()}
    if all(k.startswith("module.") for k in state):  # saved from nn.DataParallel
        state = {k[len("module."):]: v for k, v in state.items()}
    return state


def read_labels(data: bytes, file_name: str = "") -> tuple[str, ...]:
    """Class names from a text file (one per line) or JSON (a list, or {"0": name, …})."""
    if len(data) > MAX_LABEL_BYTES:
        raise CnnvizError(f"the labels file is {_mb(len(data))}; the limit is {_mb(MAX_LABEL_BYTES)}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CnnvizError("the labels file is not UTF-8 text: one class name per line, or a JSON list") from None
    stripped = text.strip()
    if file_name.lower().endswith(".json") or stripped.startswith(("[", "{")):
        try:
            obj = json.loads(stripped)
        except json.JSONDecodeError as e:
            raise CnnvizError(f"the labels file is not valid JSON (line {e.lineno}: {e.msg})") from None
        if isinstance(obj, dict):
            try:
                items = sorted((int(k), v) for k, v in obj.items())
            except ValueError:
                raise CnnvizError('a JSON labels object must map class indices to names: {"0": "cat", …}') from None
            if [i for i, _ in items] != list(range(len(items))):
                raise CnnvizError("a JSON labels object must have every index from 0 to N−1 exactly once")
            obj = [v for _, v in items]
        if not isinstance(obj, list) or not all(isinstance(v, (str, int, float)) for v in obj):
            raise CnnvizError('a JSON labels file must be a list of names ["cat", "dog", …]')
        labels = tuple(str(v) for v in obj)
    else:
        labels = tuple(line.strip() for line in text.splitlines() if line.strip())
    if not labels:
        raise CnnvizError("the labels file holds no class names")
    return labels


# ---- architectures ------------------------------------------------------------------------

def _builder(arch: str) -> Callable[..., nn.Module]:
    """arch → function(num_classes, **builder kwargs) building it with random weights."""
    if arch in _OWN:  # this project's code: the spec builds it
        build = SPECS[arch].architecture
        return lambda num_classes, **kw: build(num_classes=num_classes)  # type: ignore[call-arg]
    import torchvision

    fixed = {"init_weights": False} if arch in ("googlenet", "inception_v3") else {}  # skips a slow scipy init
    return lambda num_classes, **kw: torchvision.models.get_model(arch, weights=None, num_classes=num_classes,
                                                                  **(fixed | kw))


def _builder_kwargs(arch: str, state: dict) -> dict:
    """What the file says about optional parts (GoogLeNet's / Inception's auxiliary classifiers)."""
    if arch == "googlenet":
        return {"aux_logits": any(k.startswith("aux1.") for k in state), "init_weights": False}
    if arch == "inception_v3":
        return {"aux_logits": any(k.startswith("AuxLogits.") for k in state), "init_weights": False}
    return {}


@cache
def reference_shapes(arch: str, kwargs_key: tuple = ()) -> tuple[tuple[str, tuple[int, ...]], ...]:
    """(key, shape) of the architecture's state dict with its default classes, built on the meta device (no memory)."""
    import torch

    build = _builder(arch)
    try:
        with torch.device("meta"):
            model = build(_default_classes(arch), **dict(kwargs_key))
    except (NotImplementedError, RuntimeError):  # a builder computing widths with tensors (RegNet)
        model = build(_default_classes(arch), **dict(kwargs_key))
    return tuple((k, tuple(v.shape)) for k, v in model.state_dict().items())


def _default_classes(arch: str) -> int:
    return SPECS[arch].classes if arch in _OWN else 1000


def classifier_key(arch: str, kwargs_key: tuple = ()) -> str:
    """The final layer's weight: the last weight whose first dimension is the number of classes."""
    n = _default_classes(arch)
    keys = [k for k, shape in reference_shapes(arch, kwargs_key) if k.endswith("weight") and len(shape) >= 2
            and shape[0] == n]
    if not keys:
        raise CnnvizError(f"{arch} has no final classification layer that this app can find")
    return keys[-1]


def _preprocess(arch: str) -> tuple[Preprocess, int]:
    """The architecture's own preprocessing and input size (torchvision's from its weights metadata)."""
    if arch in SPECS:
        return SPECS[arch].preprocess, SPECS[arch].input_size[-1]
    from torchvision.models import get_model_weights

    try:
        t = get_model_weights(arch).DEFAULT.transforms()
        crop, resize = int(t.crop_size[0]), int(t.resize_size[0])
        return Preprocess("shorter", crop, resize, tuple(t.mean), tuple(t.std), 255.0), crop
    except (ValueError, AttributeError, KeyError):
        from cnnviz.networks.preprocess import IMAGENET

        return IMAGENET, 224


def _shape(s: tuple[int, ...]) -> str:
    return "×".join(map(str, s)) or "scalar"


def check_fits(arch: str, state: dict[str, torch.Tensor]) -> tuple[int, dict]:
    """(number of classes, builder kwargs) if `state` fits `arch` exactly, else one message naming the mismatches."""
    if arch not in architectures():
        raise CnnvizError(f"unknown architecture '{arch}': choose one of torchvision.models.list_models() "
                          "or lenet5, efficientnet_lite0/1/2")
    kwargs = _builder_kwargs(arch, state)
    kwargs_key = tuple(sorted(kwargs.items()))
    head = classifier_key(arch, kwargs_key)
    if head not in state:
        raise CnnvizError(f"this file does not fit {arch}: its final layer '{head}' is missing. "
                          f"The file's first keys: {', '.join(list(state)[:4])}")
    n_classes = int(state[head].shape[0])
    if n_classes < 1:
        raise CnnvizError(f"the final layer '{head}' has no outputs")
    ref = dict(reference_shapes(arch, kwargs_key))
    default = _default_classes(arch)
    expected = {k: (n_classes, *s[1:]) if s and s[0] == default and k.startswith(head.rsplit(".", 1)[0] + ".")
                else s for k, s in ref.items()}
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    wrong = [f"{k}: file {_shape(tuple(state[k].shape))}, {arch} expects {_shape(expected[k])}"
             for k in expected if k in state and tuple(state[k].shape) != expected[k]]
    if missing or unexpected or wrong:
        parts = []
        if missing:
            parts.append(f"{len(missing)} missing ({', '.join(missing[:3])}{', …' if len(missing) > 3 else ''})")
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected ({', '.join(unexpected[:3])}"
                         f"{', …' if len(unexpected) > 3 else ''})")
        if wrong:
            parts.append(f"{len(wrong)} with other shapes ({'; '.join(wrong[:3])}{'; …' if len(wrong) > 3 else ''})")
        raise CnnvizError(f"this file does not fit {arch} ({len(expected)} tensors expected): " + ", ".join(parts)
                          + ". Is it the right architecture?")
    return n_classes, kwargs


def _spec_for(arch: str, n_classes: int, kwargs: dict, labels: tuple[str, ...], title: str) -> NetworkSpec:
    """A spec for this session's network: the built-in one's facts where the app knows the architecture."""
    preprocess, size = _preprocess(arch)

    def build() -> nn.Module:
        return _builder(arch)(n_classes, **kwargs)

    if arch in SPECS:
        return dataclasses.replace(SPECS[arch], title=title, source="upload", architecture=build, weights="",
                                   labels=lambda: labels, top1=None, top1_source="", package=None, licence="yours")
    from cnnviz.networks.specs import group_first_part

    return NetworkSpec(arch, title, "upload", f"{arch} from torchvision with your weights", (3, size, size), build,
                       preprocess, labels=lambda: labels, group=group_first_part, licence="yours")


def load(arch: str, weights: bytes, labels: bytes | None = None, labels_name: str = "", file_name: str = "",
         size: int | None = None) -> Network:
    """Your weights as a Network of this session (freed with the handle; never on disk, never in links)."""
    import torch

    from cnnviz.networks import session_models

    state = read_state_dict(weights, size)
    n_classes, kwargs = check_fits(arch, state)
    names = read_labels(labels, labels_name) if labels is not None else tuple(f"class {i}" for i in range(n_classes))
    if len(names) != n_classes:
        raise CnnvizError(f"the labels file names {len(names)} classes but the weights' final layer has {n_classes} "
                          "outputs: one name per output, in order")
    model = _builder(arch)(n_classes, **kwargs)
    with torch.no_grad():
        model.load_state_dict(state, strict=True)
    if kwargs.get("aux_logits"):  # the auxiliary classifiers only matter while training
        if arch == "googlenet":
            model.aux_logits, model.aux1, model.aux2 = False, None, None  # type: ignore[assignment]
        else:
            model.aux_logits, model.AuxLogits = False, None  # type: ignore[assignment]
    label = file_name or "your weights"
    title = f"{SPECS[arch].title if arch in SPECS else arch} · {label} ({n_classes} classes)"
    spec = _spec_for(arch, n_classes, kwargs, names, title)
    return session_models.register(spec, model, title, names,
                                   description=f"{arch} with the weights from {label}: {n_classes} classes, "
                                               "for this session only")


def to_bytes(net: Network) -> bytes:
    """The network's state dict, as `torch.save` writes it (what the user uploaded, back)."""
    import torch

    buf = io.BytesIO()
    torch.save(net.model.state_dict(), buf)
    return buf.getvalue()
