"""Each activation cell's arithmetic ends in the engine's own value, which matches torch."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from cnnviz.grids.activations import activation_derivative, cell_arithmetic
from cnnviz.present.numbers import fmt

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
