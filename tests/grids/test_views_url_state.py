"""A view's state survives the URL; bad or stale parameters fall back with a notice."""

import numpy as np

from cnnviz.grids import page_config


def test_conv_state_round_trips_through_url_params():
    s = page_config.conv_state_from_preset("lecture_7x7")
    s.update(sh=2, sw=1, pad_kind="explicit", pt=1, pb=0, pl=2, pr=1, pad_mode="replicate", flip=True, act="relu",
             step=5, bias=1.5)
    back, notices = page_config.conv_from_params(page_config.conv_to_params(s), page_config.conv_state_from_preset("grid25_s1"))
    assert notices == []
    for key in ("sh", "sw", "pad_kind", "pt", "pb", "pl", "pr", "pad_mode", "flip", "act", "step", "bias"):
        assert back[key] == s[key], key
    np.testing.assert_array_equal(back["x"], s["x"])
    np.testing.assert_array_equal(back["k"], s["k"])


def test_padding_as_a_number_computes_as_four_equal_sides_and_the_link_p_1_shows_it():
    base = page_config.conv_state_from_preset("lecture_7x7")
    by_link, notices = page_config.conv_from_params({"p": "1"}, base)
    assert notices == [] and by_link["pad_kind"] == "1" and page_config.conv_to_params(by_link)["p"] == "1"
    per_side = dict(by_link, pad_kind="explicit", pt=1, pb=1, pl=1, pr=1)
    np.testing.assert_array_equal(page_config.compute_conv(by_link).output, page_config.compute_conv(per_side).output)
    assert page_config.conv_from_params({"p": "1,0,1,1"}, base)[0]["pad_kind"] == "explicit"
    one_d = page_config.conv_from_params({"mode": "1d", "p": "2"}, base)[0]
    assert one_d["pad_kind"] == "2" and page_config.conv_config(one_d).padding == (0, 0, 2, 2)


def test_multichannel_state_round_trips_and_large_presets_travel_by_name():
    s = page_config.conv_state_from_preset("rgb_small")
    back, notices = page_config.conv_from_params(page_config.conv_to_params(s), page_config.conv_state_from_preset("lecture_7x7"))
    assert notices == [] and back["mode"] == "multi"
    np.testing.assert_array_equal(back["k"], s["k"])
    big = page_config.conv_to_params(page_config.conv_state_from_preset("rgb_32"))
    assert big["preset"] == "rgb_32" and "x" not in big


def test_bad_url_parameters_fall_back_with_notices():
    base = page_config.conv_state_from_preset("lecture_7x7")
    s, notices = page_config.conv_from_params({"s": "0", "act": "gelu", "x": "1,2;3", "p": "huge"}, base)
    assert len(notices) == 4
    assert s["sh"] == base["sh"] and s["act"] == base["act"]
    np.testing.assert_array_equal(s["x"], base["x"])


def test_an_impossible_linked_configuration_falls_back_to_the_default():
    base = page_config.conv_state_from_preset("lecture_7x7")
    s, notices = page_config.conv_from_params({"x": "1,2;3,4", "k": "1,1,1;1,1,1;1,1,1"}, base)
    assert notices and "impossible" in notices[-1]
    np.testing.assert_array_equal(s["x"], base["x"])


def test_pool_state_round_trips():
    s = page_config.pool_state_from_preset("alexnet_overlap")
    s["mode"] = "avg"
    back, notices = page_config.pool_from_params(page_config.pool_to_params(s), page_config.pool_state_from_preset("lecture_4x4"))
    assert notices == [] and back["mode"] == "avg" and (back["kh"], back["sh"]) == (3, 2)
    np.testing.assert_array_equal(back["x"], s["x"])
