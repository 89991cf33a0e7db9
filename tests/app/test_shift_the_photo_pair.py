"""Networks, "Shift the photo": one layer's maps side by side, chosen in a box that a link sets; a name that is no
layer of the network starts from the first layer, without a traceback."""

from __future__ import annotations

import pytest

from tests.app.test_pages_render import open_page

pytestmark = pytest.mark.slow  # a 33-window sweep of MobileNetV2


def _captions(at) -> str:
    return " ".join(c.value for c in at.caption)


def test_a_linked_layer_is_compared_side_by_side_and_a_stranger_falls_back_to_the_first():
    at = open_page("networks.py", model="mobilenet_v2", sample="Astronaut", sweep_on="1", sweep_layer="8")
    assert not at.exception
    box = next(s for s in at.selectbox if s.label == "Compare one layer's maps side by side")
    second = box.options[1].split(". ", 1)[1]
    linked = open_page("networks.py", model="mobilenet_v2", sample="Astronaut", sweep_on="1", sweep_pair=second)
    assert f"{second}: the mean over its" in _captions(linked)
    stranger = open_page("networks.py", model="mobilenet_v2", sample="Astronaut", sweep_on="1", sweep_pair="nope")
    assert not stranger.exception and "the mean over its" in _captions(stranger)
