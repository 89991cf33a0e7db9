"""Texts a newcomer reads say one true thing (issue 46, items 9 and 12): the held-out share transfer learning states
is the demo's own, and "Where does this class live?" says how its maps are scaled, as the caption under them does."""

from __future__ import annotations

from tests.app.test_pages_render import open_page


def test_the_transfer_demo_states_the_held_out_share_it_really_uses():
    at = open_page("training.py")
    demo = next(c.value for c in at.caption if c.value.startswith("DEMO"))
    assert "12 per class train and 8 per class are held out (24 of 60, 40 %)" in demo
    assert not any("A quarter of each class is held out" in c.value for c in at.caption)


def test_where_does_this_class_live_and_the_map_caption_agree_on_the_colour_scale():
    from cnnviz.ui.views.attribution_views import EVERY_HELP

    assert "each map scaled on its own" in EVERY_HELP and "one colour scale" not in EVERY_HELP
    at = open_page("attribution.py")
    assert any("each map on its own" in c.value for c in at.caption)
