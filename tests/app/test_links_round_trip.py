"""Every page is a faithful link: change its settings and step, open its URL in a fresh session, see the same view."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.test_pages_render import ROOT, by_label, open_page

KINDS = ("selectbox", "number_input", "slider", "select_slider", "multiselect", "checkbox", "toggle", "radio",
         "text_input", "button_group")
SKIP_LABELS = {"Device", "Presentation mode"}  # the sidebar's own settings have their own tests


def _values(at: AppTest) -> list[tuple[str, str]]:
    out = []
    for kind in KINDS:
        for w in at.get(kind):
            label = getattr(w, "label", "") or ""
            if label in SKIP_LABELS:
                continue
            out.append((f"{kind}:{label}", repr(w.value)))
    return sorted(out)


def _text(at: AppTest) -> list[str]:
    return [c.value for c in at.code] + [m.value for m in at.markdown if "**" in m.value]


def _reopened(at: AppTest, file: str) -> AppTest:
    params = {k: v for k, v in dict(at.query_params).items()}
    fresh = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for k, v in params.items():
        fresh.query_params[k] = v[0] if isinstance(v, list) else v
    fresh.run()
    fresh.switch_page(f"pages/{file}")
    fresh.run()
    assert not fresh.exception, [e.value for e in fresh.exception]
    return fresh


def _click(at: AppTest, label: str, times: int = 1) -> None:
    for _ in range(times):
        next(b for b in at.button if b.label == label).click().run()


def _conv(at):
    by_label(at.number_input, "Stride ↓ (rows)").set_value(2).run()
    _click(at, "Next", 3)


def _pool(at):
    _click(at, "Next", 2)
    speed = by_label(at.select_slider, "Speed (per second)")
    speed.set_value(2).run()


def _activations(at):
    next(w for w in at.get("button_group") if w.label == "Function").set_value("tanh").run()


def _backward(at):
    _click(at, "Next", 2)
    at.number_input(key="hot_r").set_value(2).run()  # the one-hot cell
    at.button_group(key="bw_pool_g").set_value("random").run()  # the pooling tab's upstream gradient


def _transposed(at):
    by_label(at.number_input, "Bias").set_value(1.5).run()
    _click(at, "Next", 3)


def _networks(at):
    by_label(at.selectbox, "Sample photo").set_value("Coffee").run()
    by_label(at.number_input, "Unit row").set_value(3).run()
    at.toggle(key="net_ch_overlay").set_value(True).run()
    at.slider(key="net_alpha").set_value(0.8).run()


def _architectures(at):
    by_label(at.number_input, "Input size (pixels)").set_value(256).run()
    by_label(at.number_input, "Batch size").set_value(8).run()
    at.number_input(key="inc_C in").set_value(192).run()  # the calculators
    at.number_input(key="stack_n").set_value(2).run()
    at.number_input(key="fc_kernel k").set_value(3).run()


def _training(at):
    at.checkbox(key="tl_compare").check().run()  # the LeNet-5 settings are a form: they apply on Start
    at.number_input(key="tl_epochs").set_value(3).run()
    at.radio(key="tl_strategy").set_value("last-k").run()  # transfer learning: strategy, k blocks, photos, names
    at.slider(key="tl_k_efficientnet_lite0").set_value(3).run()
    at.button_group(key="tl_source").set_value("mine").run()
    at.number_input(key="tl_nclasses").set_value(3).run()
    at.text_input(key="tl_name_1").input("teapots").run()


def _attribution(at):
    by_label(at.multiselect, "Methods").set_value(["saliency", "occlusion"]).run()
    at.slider(key="attr_alpha").set_value(0.3).run()
    at.number_input(key="attr_steps").set_value(16).run()  # integrated gradients' integration steps


def _fantasy(at):
    next(w for w in at.get("button_group") if w.label == "Objective").set_value("class").run()
    by_label(at.number_input, "Seed (same seed, same image)").set_value(7).run()


def _detection(at):
    at.slider(key="det_nms_t").set_value(0.3).run()
    at.number_input(key="det_a_2").set_value(9.5).run()
    at.number_input(key="det_as").set_value(32).run()
    at.selectbox(key="det_rscale").set_value(0.5).run()
    for _ in range(2):
        at.button(key="det_nms_next").click().run()  # the NMS stepper's step and speed
    at.select_slider(key="det_nms_speed").set_value(2).run()


def _digits(at):
    at.number_input(key="dig_seed").set_value(42).run()
    at.slider(key="dig_t").set_value(0.3).run()


def _photo_detectors(at):
    at.selectbox(key="pd_sample").set_value("Astronaut").run()
    at.selectbox(key="pd_model").set_value("ssdlite320_mobilenet_v3_large").run()
    next(w for w in at.get("button_group") if w.label == "Feature map").set_value(2).run()


CASES = [("operations/convolution.py", _conv), ("operations/pooling.py", _pool),
         ("operations/activations.py", _activations), ("operations/backward.py", _backward),
         ("operations/transposed.py", _transposed), ("networks/networks.py", _networks),
         ("networks/architectures.py", _architectures), ("networks/training.py", _training),
         ("seeing_inside/attribution.py", _attribution), ("seeing_inside/fantasy.py", _fantasy),
         ("detection/detection.py", _detection), ("detection/digits.py", _digits),
         ("detection/photo_detectors.py", _photo_detectors)]


@pytest.mark.parametrize("file, change", CASES, ids=[c[0].split("/")[1] for c in CASES])
def test_a_page_reopened_from_its_link_shows_the_same_view(file, change):
    at = open_page(file)
    before = _values(at)
    change(at)
    assert not at.exception, [e.value for e in at.exception]
    changed = _values(at)
    assert (changed, _text(at)) != (before, _text(open_page(file))), "the test's change did nothing"
    fresh = _reopened(at, file)
    assert _values(fresh) == changed
    assert _text(fresh) == _text(at)


@pytest.fixture
def state_warnings():
    """Streamlit's "created with a default value but also had its value set via the Session State API" warnings,
    every one (Streamlit logs only the first per process, and only under a server: both lifted here)."""
    from unittest import mock

    from streamlit.elements.lib import policies

    seen: list[str] = []
    check = policies.check_session_state_rules

    def every_time(*args, **kwargs):
        policies._shown_default_value_warning = False
        return check(*args, **kwargs)

    with mock.patch.object(policies.runtime, "exists", return_value=True), \
            mock.patch.object(policies._LOGGER, "warning", lambda msg, *a, **k: seen.append(msg % a)), \
            mock.patch.object(policies, "check_session_state_rules", every_time):
        yield seen


@pytest.mark.parametrize("file, change", CASES, ids=[c[0].split("/")[1] for c in CASES])
def test_a_page_opened_from_its_link_gives_no_widget_two_starting_values(file, change, state_warnings):
    at = open_page(file)
    change(at)  # a callback may set a widget too (Fantasy's objective sets the size and steps)
    _reopened(at, file)
    assert not state_warnings


@pytest.mark.parametrize("file, query, notice", [
    ("operations/transposed.py", {"x": ";".join([",".join(["1"] * 7)] * 7)}, "7×7 → the top-left 6×6"),
    ("operations/pooling.py", {"x": "|".join(["1,2;3,4"] * 6)}, "6 channels → the first 4"),
    ("operations/convolution.py", {"step": "abc"}, "must be a whole number"),
])
def test_a_link_past_a_limit_is_clamped_with_a_notice_in_words(file, query, notice):
    at = open_page(file, **query)
    toasts = [t.value for t in at.toast]
    assert any(notice in t for t in toasts), toasts
    assert not any("invalid literal" in t or "Traceback" in t for t in toasts)


SHELL_PARAMS = ("present", "device", "class")  # the app shell's own link parameters (settings and classroom)


@pytest.mark.parametrize("file, change", CASES, ids=[c[0].split("/")[1] for c in CASES])
def test_no_page_link_uses_a_parameter_the_app_shell_reads(file, change):
    at = open_page(file)
    change(at)
    assert not set(dict(at.query_params)) & set(SHELL_PARAMS)


@pytest.mark.parametrize("query", [{"cls": "968"}, {"class": "968"}], ids=["cls", "an old link's class"])
def test_an_attribution_link_explaining_class_968_reopens_it_and_joins_no_classroom(query):
    at = open_page("seeing_inside/attribution.py", **query)
    assert by_label(at.segmented_control, "Explain").value == "another class"
    assert by_label(at.selectbox, "Class (type to search)").value == 968
    assert not any("class code" in t.value for t in at.toast)
    assert dict(at.query_params).get("cls") in ("968", ["968"]) and "class" not in dict(at.query_params)


def test_a_fantasy_link_for_a_class_uses_cls_and_reopens_it():
    at = open_page("seeing_inside/fantasy.py", mode="class", cls="130")
    assert by_label(at.selectbox, "Class (type to search)").value == 130
    assert dict(at.query_params).get("cls") in ("130", ["130"])


def test_a_toggle_inside_the_step_view_travels_in_the_link():
    at = open_page("operations/convolution.py")
    at.toggle(key="conv_hide_zero").set_value(True).run()
    assert dict(at.query_params).get("hide0") in ("1", ["1"])
    fresh = _reopened(at, "operations/convolution.py")
    assert fresh.toggle(key="conv_hide_zero").value is True
    assert dict(fresh.query_params).get("hide0") in ("1", ["1"])


def _preset_shown(at: AppTest) -> tuple[object, list[str]]:
    box = by_label(at.selectbox, "Preset (loads in one click)")
    from cnnviz.grids.presets import CONV_PRESETS, POOL_PRESETS

    notes = {p.note for p in [*CONV_PRESETS.values(), *POOL_PRESETS.values()]}
    return box.value, [c.value for c in at.caption if c.value in notes]


@pytest.mark.parametrize("file,preset,change,then", [
    ("operations/convolution.py", "grid25_s2", lambda at: by_label(at.number_input, "Stride ↓ (rows)").set_value(3).run(), None),
    ("operations/convolution.py", "grid25_s2", lambda at: (by_label(at.number_input, "Stride ↓ (rows)").set_value(1).run(),
                                               by_label(at.number_input, "Stride → (cols)").set_value(1).run()),
     "grid25_s1"),  # back to a preset's exact settings: it is that preset again
    ("operations/convolution.py", "seq_smooth", None, "seq_smooth"),  # a kernel of 1/3s comes back from the link as 0.3333s
    ("operations/pooling.py", "alexnet_overlap", lambda at: by_label(at.number_input, "Stride ↓").set_value(1).run(), None),
])
def test_a_preset_name_and_note_show_only_while_the_page_is_that_preset_here_and_in_its_link(file, preset, change,
                                                                                              then):
    at = open_page(file, **({"mode": "1d"} if preset.startswith("seq") else {}))  # the box lists the kind's presets
    by_label(at.selectbox, "Preset (loads in one click)").select(preset).run()
    value, notes = _preset_shown(at)
    assert value == preset and len(notes) == 1
    if change is not None:
        change(at)
    expected = (then, 1 if then else 0)
    value, notes = _preset_shown(at)
    assert (value, len(notes)) == expected
    value, notes = _preset_shown(_reopened(at, file))
    assert (value, len(notes)) == expected
