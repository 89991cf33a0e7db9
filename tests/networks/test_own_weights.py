"""Bring your own weights: a state dict becomes a network of the session; every bad file gets one clear message."""

import gc
import io
import json

import pytest
import torch
import torchvision

from cnnviz.errors import CnnvizError, ModelUnavailable
from cnnviz.explain import attribution as at
from cnnviz.images import load_sample
from cnnviz.networks import own_weights as own
from cnnviz.networks import probe as ins
from cnnviz.networks.network import get


def _saved(obj) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


@pytest.fixture(scope="module")
def resnet3():
    torch.manual_seed(0)
    model = torchvision.models.resnet18(num_classes=3).eval()
    return model, _saved(model.state_dict())


def test_a_resnet18_with_three_classes_and_a_labels_file_predicts_like_torchvision(resnet3):
    model, data = resnet3
    net = own.load("resnet18", data, b"cat\ndog\nbird\n", "classes.txt", "my_resnet.pt")
    assert net.is_session and net.labels == ("cat", "dog", "bird") and net.link_name is None
    assert net.title == "ResNet-18 · my_resnet.pt (3 classes)"
    x = net.preprocess(load_sample("Coffee"))
    with torch.no_grad():
        expected = model(x).softmax(1)[0]
    preds = ins.predict(net, x, top=3)
    assert [p.index for p in preds] == expected.argsort(descending=True).tolist()
    assert preds[0].probability == pytest.approx(float(expected.max()), abs=1e-5)
    assert get(net.key) is net and ins.layers(net)[0].node == "conv1"
    a = at.attribute(net, x, "gradcam", target=1)
    assert a.values.shape == (224, 224) and a.target == 1


def test_labels_are_optional_and_json_lists_or_index_maps_work(resnet3):
    _, data = resnet3
    assert own.load("resnet18", data).labels == ("class 0", "class 1", "class 2")
    assert own.load("resnet18", data, b'["a", "b", "c"]', "l.json").labels == ("a", "b", "c")
    assert own.load("resnet18", data, json.dumps({"2": "z", "0": "x", "1": "y"}).encode()).labels == ("x", "y", "z")


def test_a_dataparallel_checkpoint_dict_loads(resnet3):
    model, _ = resnet3
    wrapped = {"epoch": 3, "state_dict": {f"module.{k}": v for k, v in model.state_dict().items()}}
    assert len(own.load("resnet18", _saved(wrapped)).labels) == 3


def test_the_weights_download_back_unchanged(resnet3):
    model, data = resnet3
    back = torch.load(io.BytesIO(own.to_bytes(own.load("resnet18", data))), weights_only=True)
    for k, v in model.state_dict().items():
        torch.testing.assert_close(back[k], v)


def test_a_network_of_your_own_is_freed_with_its_session(resnet3):
    _, data = resnet3
    net = own.load("resnet18", data)
    key = net.key
    del net
    gc.collect()
    with pytest.raises(ModelUnavailable, match="session that has ended"):
        get(key)


def test_architectures_outside_the_registry_and_the_apps_own_load():
    torch.manual_seed(0)
    sq = torchvision.models.squeezenet1_1(num_classes=4)
    net = own.load("squeezenet1_1", _saved(sq.state_dict()))
    assert len(net.labels) == 4 and net.input_size == (3, 224, 224) and net.spec.backbone is None
    assert len(ins.predict(net, net.preprocess(load_sample("Coffee")), top=4)) == 4
    from cnnviz.networks.lenet import LeNet5

    lenet = own.load("lenet5", _saved(LeNet5().state_dict()))
    assert lenet.input_size == (1, 32, 32) and lenet.labels[0] == "class 0"
    assert "resnet18" in own.architectures() and "efficientnet_lite0" in own.architectures()


def test_a_truncated_file_is_refused_with_a_message(resnet3):
    _, data = resnet3
    with pytest.raises(CnnvizError, match="not a complete PyTorch weights file"):
        own.load("resnet18", data[: len(data) // 2])


def test_the_wrong_architecture_names_the_first_mismatches(resnet3):
    _, data = resnet3
    with pytest.raises(CnnvizError, match=r"does not fit resnet34 .*96 missing \(layer1\.2\.conv1\.weight"):
        own.load("resnet34", data)
    with pytest.raises(CnnvizError, match=r"does not fit resnet50 .*with other shapes \(conv1.weight|"
                                          r"does not fit resnet50 .*missing"):
        own.load("resnet50", data)
    with pytest.raises(CnnvizError, match="final layer 'classifier.6.weight' is missing"):
        own.load("alexnet", data)


def test_a_labels_file_with_the_wrong_count_is_refused(resnet3):
    _, data = resnet3
    with pytest.raises(CnnvizError, match="names 2 classes but the weights' final layer has 3 outputs"):
        own.load("resnet18", data, b"cat\ndog\n")
    with pytest.raises(CnnvizError, match="names 4 classes but the weights' final layer has 3 outputs"):
        own.load("resnet18", data, b'["a", "b", "c", "d"]', "classes.json")
    with pytest.raises(CnnvizError, match="not valid JSON"):
        own.read_labels(b'["a", "b"', "classes.json")
    with pytest.raises(CnnvizError, match="every index from 0"):
        own.read_labels(b'{"0": "a", "2": "b"}')


def test_an_oversize_upload_is_refused_before_it_is_read():
    with pytest.raises(CnnvizError, match=r"2,048.0 MB; the limit here is 200 MB"):
        own.read_state_dict(b"", size=2 * 2**30)


class Gadget:
    pass


def test_pickles_that_need_code_or_hold_no_tensors_are_refused():
    with pytest.raises(CnnvizError, match=r"Python objects \(.*Gadget\) that need code to load, which is refused"):
        own.read_state_dict(_saved({"w": Gadget()}))
    with pytest.raises(CnnvizError, match="holds a list, not a state dict"):
        own.read_state_dict(_saved([torch.zeros(1)]))
    with pytest.raises(CnnvizError, match="things that are not tensors"):
        own.read_state_dict(_saved({"w": 1.0}))
    with pytest.raises(CnnvizError, match="empty"):
        own.read_state_dict(b"")
