"""What the grid pages' state changes compute: a grid resized by its row and column boxes."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from cnnviz.grids.page_config import resized

pytestmark = pytest.mark.unit


@given(a=arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(1, 6), st.integers(1, 6)),
                elements=st.floats(-9, 9)),
       shape=st.tuples(st.integers(1, 5), st.integers(1, 6), st.integers(1, 6)))
def test_a_resized_grid_keeps_the_top_left_cells_where_they_were_and_fills_new_cells_with_zero(a, shape):
    out = resized(a, shape)
    assert out.shape == shape
    for idx in np.ndindex(*shape):
        inside = all(i < n for i, n in zip(idx, a.shape))
        assert out[idx] == (a[idx] if inside else 0.0)
    assert np.array_equal(resized(out, a.shape)[tuple(slice(0, min(p, q)) for p, q in zip(shape, a.shape))],
                          a[tuple(slice(0, min(p, q)) for p, q in zip(shape, a.shape))])  # back again: nothing moved
