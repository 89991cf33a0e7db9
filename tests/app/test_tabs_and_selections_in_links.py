"""The tab a learner is on and the block they selected are in the link (#46 item 4): Detection arithmetic's tab,
Architectures' selected block and calculator tab; a bad value keeps the default with a notice."""

from __future__ import annotations

from tests.app.test_pages_render import open_page


def test_detection_arithmetic_reopens_on_the_linked_tab_and_writes_it_back():
    at = open_page("detection/detection.py", tab="Non-maximum suppression")
    assert at.session_state["det_tab"] == "Non-maximum suppression"
    assert at.query_params["tab"] in ("Non-maximum suppression", ["Non-maximum suppression"])
    bad = open_page("detection/detection.py", tab="nope")
    assert len(bad.toast) >= 1 and bad.session_state["det_tab"] == "IoU"


def test_architectures_reopens_with_the_selected_block_and_calculator_tab():
    at = open_page("networks/architectures.py", arch="googlenet", block="inception4a",
                   calc="3×3 stacks vs one large kernel")
    assert any("Selected: **inception4a**" in c.value for c in at.caption)
    assert at.session_state["arch_calc_tab"] == "3×3 stacks vs one large kernel"
    q = {k: at.query_params[k] for k in at.query_params}
    assert q["block"] in ("inception4a", ["inception4a"]) and "calc" in q
    whole = open_page("networks/architectures.py", arch="googlenet")
    assert "block" not in whole.query_params and "calc" not in whole.query_params  # defaults stay out of the link


def test_attributions_explaining_a_channel_keeps_its_layer_and_channel_in_the_link():
    at = open_page("seeing_inside/attribution.py", methods="saliency", unit="_blocks.2.expand_act,5,whole")
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["attr_target_kind"] == "a channel / unit"
    q = {k: at.query_params[k] for k in at.query_params}
    unit = q["unit"][0] if isinstance(q["unit"], list) else q["unit"]
    layer, ch, whole = unit.split(",")
    assert (layer, ch, whole) == ("_blocks.2.expand_act", "5", "whole")
    stranger = open_page("seeing_inside/attribution.py", methods="saliency", unit="no_such_layer,5")
    assert not stranger.exception and len(stranger.toast) >= 1


def test_backward_and_training_reopen_on_the_linked_tab():
    back = open_page("operations/backward.py", tab="ReLU")
    assert not back.exception and back.session_state["bw_tab"] == "ReLU"
    assert back.query_params["tab"] in ("ReLU", ["ReLU"])
    train = open_page("networks/training.py", tab="Transfer learning on your photos")
    assert not train.exception and train.session_state["tr_tab"] == "Transfer learning on your photos"
