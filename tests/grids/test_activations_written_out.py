"""Each activation cell's arithmetic ends in the engine's own value, which matches torch."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from cnnviz.grids.activations import activation_derivative, cell_arithmetic
from cnnviz.present.number_format import fmt

TORCH = {"relu": F.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh,
         "leaky_relu": lambda t: F.leaky_relu(t, 0.1)}

pytestmark = pytest.mark.unit


@given(x=st.floats(-20, 20, allow_nan=False), name=st.sampled_from(sorted(TORCH)))
def test_a_cells_written_value_and_derivative_are_torchs(x, name):
    t = torch.tensor([x], dtype=torch.float64, requires_grad=True)
    y = TORCH[name](t)
    y.backward()
    value, derivative = cell_arithmetic(name, x, 0.1)
    assert value.endswith(f"= {fmt(float(y.detach()[0]), 4)}")
    grad = float(t.grad[0])
    ours = float(activation_derivative(name, np.array([x]), 0.1)[0])
    assert ours == pytest.approx(grad, abs=1e-12)  # torch's autograd, to rounding (tanh′(19) is 0 or 2e-16)
    assert fmt(ours, 4) in derivative


@given(xs=st.lists(st.floats(-12, 12, allow_nan=False), min_size=1, max_size=30),
       name=st.sampled_from(["relu", "sigmoid", "tanh", "leaky_relu"]))
def test_the_cells_said_to_pass_no_gradient_are_those_where_torchs_gradient_is_nearly_zero(xs, name):
    from cnnviz.grids.activations import cells_without_gradient, saturation_threshold

    x = np.array(xs)
    t = torch.tensor(x, requires_grad=True)
    TORCH[name](t).sum().backward()
    grad = t.grad.numpy()
    blocked = cells_without_gradient(name, x)
    if name == "leaky_relu":
        assert blocked is None and grad.min() > 0  # some gradient flows everywhere
    elif name == "relu":
        assert blocked == int((grad == 0).sum())
    else:  # saturated: beyond the threshold where the derivative falls under 0.01 (1e-4 of slack at the edge)
        thr = saturation_threshold(name)
        assert blocked == int((np.abs(x) > thr).sum())
        assert np.all(grad[np.abs(x) > thr + 1e-4] < 0.01) and np.all(grad[np.abs(x) < thr - 1e-4] >= 0.01)
