"""Models trained in a session are used by name like the registry's, and vanish with the session."""

import gc
import weakref

import numpy as np
import pytest
import torch

from cnnviz.errors import ModelUnavailable
from cnnviz.explain import attribution as at
from cnnviz.explain import rules
from cnnviz.networks import lenet, session_models
from cnnviz.networks import probe as ins
from cnnviz.networks.lenet import LeNet5, mnist_split
from cnnviz.networks.network import get


def _trained_lenet(activation="relu", pooling="max", seed=0) -> LeNet5:
    torch.manual_seed(seed)
    return LeNet5(activation, pooling)  # random weights are enough: the numbers must match the module


def _digit(k=0) -> np.ndarray:
    _, _, xte, _ = mnist_split()
    return np.repeat((255 - xte[k])[..., None], 3, axis=-1)


def test_a_session_lenet_is_inspected_with_its_own_layers_and_weights():
    model = _trained_lenet()
    sm = session_models.register("lenet5", model, "mine", [str(d) for d in range(10)])
    kinds = [i.kind for i in ins.layers(get(sm.key))]
    assert "ReLU" in kinds and "MaxPool" in kinds
    assert "Tanh" in [i.kind for i in ins.layers(get("lenet5"))]  # the registry's LeNet-5 is another model
    x = get(sm.key).preprocess(_digit())
    with torch.no_grad():
        p = model(x).softmax(1)[0]
        c1 = model.a1(model.c1(x))[0]
    preds = ins.predict(get(sm.key), x, top=3)
    assert preds[0].index == int(p.argmax()) and preds[0].probability == pytest.approx(float(p.max()), abs=1e-6)
    fmap = ins.feature_maps(get(sm.key), x, ("a1",))["a1"]
    np.testing.assert_allclose(fmap, c1.numpy(), atol=1e-6)
    assert get(sm.key).labels == tuple(str(d) for d in range(10)) and get(sm.key).title == "mine"


def test_a_session_model_and_everything_derived_from_it_is_freed_with_the_session():
    model = _trained_lenet(seed=1)
    sm = session_models.register("lenet5", model, "mine", [str(d) for d in range(10)])
    key, gone = sm.key, weakref.ref(model)
    x = get(key).preprocess(_digit())
    ins.feature_maps(get(key), x, ("c3",))
    ins.effective_rf(get(key), x, "a3", 0, 2, 2)
    at.attribute(get(key), x, "guided-backprop")
    assert len(sm.cache) >= 3
    del sm, model
    gc.collect()
    assert gone() is None, "a cache outside the session still holds the session's model"
    with pytest.raises(ModelUnavailable, match="session that has ended"):
        ins.layers(get(key))


def test_two_sessions_models_never_share_cached_graphs():
    a = session_models.register("lenet5", _trained_lenet("relu", "max", 2), "a", [str(d) for d in range(10)])
    b = session_models.register("lenet5", _trained_lenet("tanh", "avg", 3), "b", [str(d) for d in range(10)])
    assert a.key != b.key
    x = get(a.key).preprocess(_digit(5))
    fa = ins.feature_maps(get(a.key), x, ("c1",))["c1"]
    fb = ins.feature_maps(get(b.key), x, ("c1",))["c1"]
    assert not np.allclose(fa, fb)
    assert [i.kind for i in ins.layers(get(a.key))] != [i.kind for i in ins.layers(get(b.key))]


def test_guided_backprop_applies_its_rule_inside_a_relu_lenet_trained_here():
    model = _trained_lenet(seed=4)
    sm = session_models.register("lenet5", model, "mine", [str(d) for d in range(10)])
    assert rules.count_rectifier_calls(sm.model) == 4
    x = get(sm.key).preprocess(_digit(2))
    guided = at.attribute(get(sm.key), x, "guided-backprop", target=3).values
    plain = at.attribute(get(sm.key), x, "saliency", target=3).values
    assert guided.shape == plain.shape == (32, 32) and not np.allclose(np.abs(guided), plain)


def test_the_training_run_hands_over_a_frozen_copy():
    from cnnviz.learn.training import LeNetRun, TrainConfig

    run = LeNetRun(TrainConfig(epochs=1, batch_size=256, activation="relu")).start()
    run.join(120)
    sm = run.session_model()
    assert sm.model is not run.model and not any(p.requires_grad for p in sm.model.parameters())
    acc = run.evaluate(0).accuracy
    assert f"{100 * acc:.1f} %" in sm.title and sm.base == "lenet5"
    x = lenet.to_tensor(mnist_split()[2][:50])
    with torch.no_grad():
        torch.testing.assert_close(sm.model(x), run.model.eval()(x))


def test_derived_objects_are_kept_per_model_up_to_a_bound(monkeypatch):
    sm = session_models.register("lenet5", _trained_lenet(seed=5), "mine", [str(d) for d in range(10)])
    monkeypatch.setattr(sm.cache, "size", 3)
    made = []
    for k in range(5):
        get(sm.key).memo(("probe", k), lambda k=k: made.append(k) or k)
    assert made == [0, 1, 2, 3, 4] and len(sm.cache) == 3
    assert get(sm.key).memo(("probe", 4), lambda: 99) == 4  # the newest is still there
    get(sm.key).memo(("probe", 0), lambda: made.append("again") or 0)
    assert made[-1] == "again"  # the oldest was rebuilt
