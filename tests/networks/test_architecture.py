"""Architecture tables tie every figure to the real modules."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from cnnviz.networks import architecture as A

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", list(A.ARCHS))
def test_parameter_totals_equal_the_modules_and_shapes_equal_their_outputs(name):
    table = A.layer_table(name)
    model = A.ARCHS[name].build().eval()
    assert table.params == sum(p.numel() for p in model.parameters())
    assert sum(r.params for r in table.rows) == table.params
    with torch.no_grad():
        out = model(torch.zeros(1, *A.ARCHS[name].input_size))
    assert tuple(out.shape[1:]) == table.rows[-1].output_shape
    shapes = {}

    def record(name):
        def hook(mod, inputs, output):
            shapes.setdefault(name, tuple(output.shape[1:]))  # first call of a reused module
        return hook

    handles = [m.register_forward_hook(record(n)) for n, m in model.named_modules() if n]
    try:
        with torch.no_grad():
            model(torch.zeros(1, *A.ARCHS[name].input_size))
    finally:
        for h in handles:
            h.remove()
    for row in table.rows:
        if row.name in shapes:
            assert shapes[row.name] == row.output_shape, row.name


def test_macs_of_a_convolution_and_a_linear_layer():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 8, 3, stride=2, padding=1, groups=1)
            self.dw = nn.Conv2d(8, 8, 3, padding=1, groups=8)
            self.fc = nn.Linear(8 * 16 * 16, 10)

        def forward(self, x):
            return self.fc(torch.flatten(self.dw(self.conv(x)), 1))

    A.ARCHS["_test"] = A.Arch("_test", "test", Net, (3, 32, 32))
    try:
        rows = {r.name: r for r in A.layer_table("_test").rows}
    finally:
        del A.ARCHS["_test"]
    assert rows["conv"].macs == 8 * 16 * 16 * 3 * 9
    assert rows["dw"].macs == 8 * 16 * 16 * 1 * 9
    assert rows["fc"].macs == 8 * 16 * 16 * 10
    assert rows["conv"].activation_bytes == 8 * 16 * 16 * 4


def test_paper_models_have_the_papers_structure():
    lenet = A.layer_table("lenet5-paper")
    assert [r.params for r in lenet.rows if r.params] == [156, 12, 1516, 32, 48120, 10164, 840]
    alex = {r.name: r for r in A.layer_table("alexnet-paper").rows}
    assert alex["features.0"].output_shape == (96, 55, 55)
    assert alex["features.14"].output_shape == (256, 6, 6)
    assert A.conv_channels("alexnet-paper")[0] == 96 and A.conv_channels("alexnet")[0] == 64


def test_known_receptive_fields_of_classic_networks():
    assert A.layer_table("vgg16").rows[-1].jump == 32
    vgg = {r.name: r for r in A.layer_table("vgg16").rows}
    assert vgg["features.30"].rf == 212  # last max-pool of VGG-16
    alex = {r.name: r for r in A.layer_table("alexnet").rows}
    assert alex["features.12"].rf == 195


def test_inception_calculator_matches_real_modules():
    def count(convs, hw):
        params = mults = 0
        for _, k, ci, co in convs:
            m = nn.Conv2d(ci, co, k, padding=k // 2)
            params += sum(p.numel() for p in m.parameters())
            mults += hw * co * ci * k * k
        return params, mults

    for bott in (False, True):
        for b in A.inception(28, 28, 256, 128, 192, 96, 64, 64, 64, bottleneck=bott):
            assert (b.params, b.mults) == count(b.layers, 28 * 28)
    naive = sum(b.mults for b in A.inception(28, 28, 256, 128, 192, 96, 64, 64, 64, bottleneck=False))
    bott = sum(b.mults for b in A.inception(28, 28, 256, 128, 192, 96, 64, 64, 64, bottleneck=True))
    assert naive > 3 * bott


def test_stack_and_fc_calculators():
    r = A.stack_vs_large(3, 64)
    assert r["receptive_field"] == 7 and r["stack_params"] == 3 * 9 * 64 * 64 and r["large_params"] == 49 * 64 * 64
    f = A.fc_vs_conv(32, 32, 3, 10, 5)
    assert f["conv_params"] == sum(p.numel() for p in nn.Conv2d(3, 10, 5).parameters())
    assert f["fc_params"] == sum(p.numel() for p in nn.Linear(32 * 32 * 3, 32 * 32 * 10).parameters())


def test_block_diagrams_read_channel_numbers_from_the_modules():
    dot = A.block_dot("googlenet", "inception3a")
    assert "1×1 conv, 64" in dot and "concatenate" in dot and "256×28×28" in dot
    dot = A.block_dot("resnet50", "layer2.0")
    assert "projection shortcut" in dot and "512×28×28" in dot
    assert "identity shortcut" in A.block_dot("resnet18", "layer1.0")


def test_arch_and_inception_cli():
    run = lambda *a: subprocess.run([sys.executable, "-m", "cnnviz", *a], capture_output=True, text=True,  # noqa: E731
                                    cwd=ROOT, timeout=300)
    out = json.loads(run("arch", "lenet5-paper", "--json").stdout)
    assert out["totals"]["params"] == 60840 and out["layers"][0]["output_shape"] == [6, 28, 28]
    assert {"name", "type", "output_shape", "params", "macs", "rf", "jump"} <= set(out["layers"][0])
    md = run("arch", "resnet18", "--markdown").stdout
    assert md.startswith("| layer |") and "11,689,512" in md
    inc = json.loads(run("inception", "--input", "28,28,256", "--b1", "128", "--b3", "192", "--b5", "96",
                         "--reduce3", "64", "--reduce5", "64", "--pool-proj", "64", "--json").stdout)
    assert inc["bottleneck"]["out_channels"] == 480 and inc["naive"]["mults"] > inc["bottleneck"]["mults"]
    p = run("arch", "alexnet", "--input-size", "32,32")
    assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1


def test_the_comparison_never_shows_none_and_says_why_a_network_has_no_imagenet_accuracy():
    """Issue 46, item 7: both LeNet-5 rows showed "None" for their ImageNet top-1."""
    from cnnviz.networks.architecture import comparison_rows

    rows = comparison_rows()
    lenets = [r for r in rows if str(r["architecture"]).startswith("LeNet")]
    assert len(lenets) == 2
    for r in lenets:
        assert r["ImageNet top-1 %"] == "—" and "not an ImageNet network" in str(r["accuracy source"])
    assert all(r[k] is not None for r in rows for k in r if k != "top1")


def test_a_ceil_mode_pool_says_so_and_its_size_is_the_rounded_up_formula():
    import math

    t = A.layer_table("googlenet")
    pools = [r for r in t.rows if r.type == "MaxPool2d" and r.name.startswith("maxpool")]
    assert pools and all(r.kernel.endswith("/ ceil") for r in pools)
    by_name = {r.name: r for r in t.rows}
    first = by_name["maxpool1"]
    assert first.output_shape[1] == math.ceil((112 - 3) / 2) + 1 == 56  # the floor formula gives 55
    assert not any(r.kernel.endswith("ceil") for r in A.layer_table("alexnet").rows)


def test_googlenets_inception_diagram_says_where_it_differs_from_the_paper():
    from cnnviz.networks.paper_models import DIFFERENCES

    assert "(the paper: 5×5" in A.block_dot("googlenet", "inception4a")
    assert any("ceil mode" in d for d in DIFFERENCES["googlenet"])
    assert any("5×5" in d for d in DIFFERENCES["googlenet"])


@pytest.mark.parametrize("arch", list(A.ARCHS))
def test_every_diagram_label_fits_under_its_box_and_tells_the_blocks_apart(arch):
    labels = [A.short_label(b.key) for b in A.blocks(A.layer_table(arch))]
    assert all(len(lab) <= A.LABEL_CHARS for lab in labels)
    assert len(set(labels)) == len(labels)  # AlexNet's seven classifier layers were all "classifie"
    if arch == "alexnet":
        assert "fc 1" in labels and "fc 6" in labels
