"""The notes' two invariance figures, recomputed and checked against torch: max pooling keeps half of its outputs
under the figure's one-cell shift, and pooling across rotated detectors is invariant to exactly the rotations it has
detectors for. The shift panel's question is answered by torch's numbers."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnviz.errors import GridError
from cnnviz.grids.conv import ConvConfig
from cnnviz.grids.invariance import (
    LEARNED_TURNS,
    NOTES_DETECTOR,
    NOTES_SHIFTED,
    PATTERN,
    TURNS,
    detectors,
    learned_invariance,
    learned_sentence,
    notes_pool_figure,
    pattern_input,
)
from cnnviz.grids.pool import PoolConfig
from cnnviz.grids.shift import CHANGES, STAYS, conv_shift, pool_shift, shift_question
from tests.grids.test_shift_matches_torch import torch_shift


def test_the_notes_max_pooling_figure_is_reproduced_with_its_numbers_and_torch_agrees():
    fig = notes_pool_figure()
    pool = lambda row: F.max_pool1d(torch.tensor([row]), 3, 1, padding=1)[0].numpy()  # noqa: E731
    np.testing.assert_allclose(fig.pooled, pool(NOTES_DETECTOR))
    np.testing.assert_allclose(fig.pooled, [1.0, 1.0, 1.0, 0.3])  # as the notes print them
    np.testing.assert_allclose(fig.pooled_shifted, [0.2, 1.0, 1.0, 1.0])
    np.testing.assert_allclose(fig.pooled_shifted, pool(NOTES_SHIFTED))
    assert fig.detector_changed == 4 and fig.pooled_kept == 2  # every detector value changed, half the pooled ones
    assert "2 of 4 outputs keep their value" in fig.sentence()


def test_the_notes_shifted_row_is_the_detector_moved_right_by_one_cell():
    assert NOTES_SHIFTED[1:] == NOTES_DETECTOR[:-1]


@pytest.mark.parametrize("turn", TURNS)
def test_each_detector_map_and_the_max_across_them_equal_torch(turn):
    res = learned_invariance(turn)
    maps = F.conv2d(torch.tensor(pattern_input(turn))[None], torch.tensor(detectors()))[0]
    np.testing.assert_allclose(res.maps, maps.numpy())
    np.testing.assert_allclose(res.across, maps.amax(0).numpy())
    assert res.response == pytest.approx(float(maps.max()))


def test_pooling_across_rotated_detectors_is_invariant_to_the_learned_rotations_and_only_to_them():
    base = learned_invariance(0).response
    assert base == PATTERN.sum()  # the stroke's own detector: +1 on each of its cells
    for k, turn in enumerate(LEARNED_TURNS):
        res = learned_invariance(turn)
        assert res.response == base and res.winner == k  # the turn's own detector answers, as strongly
        assert sorted(res.peaks) != [base] * 3  # each detector alone is not invariant
    unlearned = learned_invariance(270)
    assert unlearned.response < base and "no detector has that rotation" in learned_sentence(unlearned)


def test_a_turn_that_is_not_a_quarter_turn_is_refused_in_words():
    with pytest.raises(GridError, match="turn the stroke"):
        pattern_input(45)


@settings(max_examples=60, deadline=None)
@given(st.integers(4, 8), st.integers(1, 3), st.integers(1, 2),
       st.tuples(st.integers(-3, 3), st.integers(-3, 3)).filter(lambda s: s != (0, 0)), st.integers(0, 10_000),
       st.booleans())
def test_the_shift_question_is_answered_by_torch(side, k, s, shift, seed, pooling):
    rng = np.random.default_rng(seed)
    x = rng.integers(-5, 6, (side, side)).astype(float)
    tx = torch.tensor(x)[None, None]
    if pooling:
        k = max(k, 2)
        res = pool_shift(x, PoolConfig(window=(k, k), stride=(s, s)), shift)
        f = lambda t: F.max_pool2d(t, k, s)[0, 0]  # noqa: E731
    else:
        kern = rng.integers(-2, 3, (k, k)).astype(float)
        res = conv_shift(x, kern, ConvConfig(stride=(s, s)), shift)
        f = lambda t: F.conv2d(t, torch.tensor(kern)[None, None], stride=s)[0, 0]  # noqa: E731
    q = shift_question(res)
    assert q is not None
    before, after = f(tx).numpy(), f(torch_shift(tx, *shift)).numpy()
    i, j = np.unravel_index(np.argmax(np.abs(before)), before.shape)
    assert f"output[{i}, {j}]" in q.prompt
    assert q.answer == (STAYS if np.isclose(before[i, j], after[i, j]) else CHANGES)
