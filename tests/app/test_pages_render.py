"""Every page renders with its default widgets and no exception (Streamlit's AppTest)."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cnnviz.pagemap import HOME, PAGES
from tests.expectations import CAT_CLASSES

ROOT = Path(__file__).resolve().parents[2]
ALL_PAGES = [HOME, *PAGES]


def open_page(file: str, **query) -> AppTest:
    """Open a page by its file name ("convolution.py") or its path under pages/ ("operations/convolution.py")."""
    file = next((p.file for p in ALL_PAGES if p.file == file or p.file.endswith("/" + file)), file)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    if file != HOME.file:
        at.switch_page(f"pages/{file}")
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def by_label(widgets, label: str):
    """Widget keys carry a state version; tests find widgets by what the learner reads."""
    return next(w for w in widgets if w.label == label)


@pytest.mark.parametrize("page", ALL_PAGES, ids=lambda p: p.url_path)
def test_every_page_renders_without_exception(page):
    at = open_page(page.file)
    assert at.title[0].value == ("CNN Explorer" if page is HOME else page.title)


@pytest.mark.parametrize("page", ALL_PAGES, ids=lambda p: p.url_path)
def test_every_page_renders_in_presentation_mode(page):
    at = open_page(page.file, present="1")
    assert at.session_state["present"] is True


def test_home_lists_every_page_and_the_environment():
    at = open_page(HOME.file)
    text = " ".join(m.value for m in at.markdown)
    assert len(PAGES) >= 10  # a loop over no pages would assert nothing
    for p in PAGES:
        assert p.summary[:30] in text


def test_bad_settings_in_the_url_fall_back_with_a_notice():
    at = open_page(HOME.file, present="maybe", device="tpu")
    assert at.session_state["present"] is False and at.session_state["device"] == "auto"
    assert len(at.toast) == 2


def test_kernels_on_a_photo_are_filtered_only_while_their_section_is_open():
    at = open_page("convolution.py")
    assert not at.get("image")
    at.session_state["conv_photo_open"] = True  # what opening the expander in the browser does
    at.run()
    assert not at.exception
    at.selectbox(key="photo_kernel").select("sobel_x").run()
    captions = [i.caption for img in at.get("image") for i in img.proto.imgs]
    assert any(c.startswith("feature map") and "signed" in c for c in captions), captions


def test_convolution_steps_forward_and_back():
    at = open_page("convolution.py")
    code = [c.value for c in at.code]
    assert any(v.endswith("= 18") for v in code)  # first cell of the lecture example
    at.button(key="conv_next").click().run()
    assert any(v.endswith("= 20") for v in (c.value for c in at.code))
    at.button(key="conv_last").click().run()
    assert any("Cell 25 of 25" in m.value for m in at.markdown)
    at.button(key="conv_prev").click().run()
    assert any("Cell 24 of 25" in m.value for m in at.markdown)


def test_convolution_preset_loads_in_one_click_and_reports_unvisited_rows():
    at = open_page("convolution.py")
    by_label(at.selectbox, "Preset (loads in one click)").select("grid25_s3").run()
    assert not at.exception
    assert any("never reads input rows 3, 4" in w.value for w in at.warning)


def test_convolution_url_reopens_the_same_view():
    at = open_page("convolution.py", mode="2d", x="1,2,3;4,5,6;7,8,9", k="1,0;0,-1", s="1,1", p="valid", b="2",
                   step="3")
    assert any("Cell 4 of 4" in m.value for m in at.markdown)
    assert any(c.value.endswith("= −2") for c in at.code)  # 5×1 + 6×0 + 8×0 + 9×(−1) + 2


def test_convolution_bad_url_gives_a_notice_not_an_error():
    at = open_page("convolution.py", x="1,2;3,q", s="0")
    assert len(at.toast) >= 2
    assert not at.exception


def test_impossible_configuration_keeps_the_last_result():
    at = open_page("convolution.py")
    by_label(at.number_input, "Dilation ↓").set_value(4).run()
    assert any("the kernel spans" in e.value for e in at.error)
    assert any("last valid result" in c.value for c in at.caption)


def test_multichannel_mode_shows_the_parameter_count():
    at = open_page("convolution.py")
    by_label(at.segmented_control, "Kind").set_value("multi").run()
    assert not at.exception
    by_label(at.selectbox, "Preset (loads in one click)").select("rgb_32").run()
    assert any("760" in m.value for m in at.markdown)


def test_pooling_and_activation_pages_compute():
    at = open_page("pooling.py")
    assert any(c.value == "max(1, 3, 5, 6) = 6" for c in at.code)
    at = open_page("activations.py")
    assert any("of 9" in m.value for m in at.markdown)


def test_backward_page_shows_agreeing_scatter_and_gather_and_sums():
    at = open_page("backward.py")
    assert any("Scatter and gather agree on all 49 cells" in s.value for s in at.success)
    codes = [c.value for c in at.code]
    assert any(v.startswith("∂L/∂b = 1 + 1") and v.endswith("= 25") for v in codes)
    # ∂L/∂W[0,0] with all-ones ∂L/∂Y is the sum of the top-left 5×5 block of the lecture input
    assert any(v.endswith("= 96") for v in codes)


def test_backward_one_hot_gradient_spreads_one_kernel_copy():
    at = open_page("backward.py")
    next(b for b in at.button if b.label == "One-hot at this cell").click().run()
    assert not at.exception
    assert any(c.value.startswith("∂L/∂b = 1 + 0") and c.value.endswith("= 1") for c in at.code)


def test_backward_reads_the_gradient_from_the_url():
    at = open_page("backward.py", x="1,2;3,4", k="1", g="2,0;0,-1")
    assert any(c.value.endswith("= 1") and c.value.startswith("∂L/∂b = 2") for c in at.code)


def test_transposed_page_checks_itself_and_rejects_bad_output_padding():
    at = open_page("transposed.py")
    assert len([s for s in at.success if "largest difference 0" in s.value]) == 2
    by_label(at.number_input, "Output padding ↓").set_value(2).run()
    assert any("output padding" in e.value for e in at.error)
    assert any("last valid result" in c.value for c in at.caption)


def test_networks_page_classifies_the_sample_offline():
    at = open_page("networks.py")
    assert not at.exception
    assert any("Tensor given to the network" in c.value for c in at.caption)
    assert any("Theoretical receptive field" in m.value for m in at.markdown)


def test_networks_page_runs_lenet5_on_a_held_out_digit():
    at = open_page("networks.py", model="lenet5", digit="3")
    assert not at.exception
    assert any("True label" in c.value for c in at.caption)


@pytest.mark.parametrize("page", ["networks.py", "attribution.py"])
def test_choosing_upload_before_any_file_says_what_to_do_and_keeps_working(page):
    at = open_page(page, model="lenet5")
    next(w for w in at.get("button_group") if getattr(w, "label", "") == "Digit").set_value("Upload").run()
    assert not at.exception
    assert any("No digit photo chosen yet" in i.value for i in at.info)
    assert any("True label" in c.value for c in at.caption)  # the held-out digit is used meanwhile


def test_networks_page_opens_lenet5_on_a_layer_with_spatial_maps():
    at = open_page("networks.py", model="lenet5", digit="1")
    layer = next(sb for sb in at.selectbox if sb.key.startswith("net_layer_"))
    assert not layer.value.shape[1:] == (1, 1), layer.value


def test_networks_page_explains_missing_torchvision_weights(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    at = open_page("networks.py", model="vgg16")
    assert any("python -m cnnviz download vgg16" in w.value for w in at.warning)


def test_networks_page_falls_back_from_a_bad_link_with_a_notice():
    at = open_page("networks.py", model="nonsense", layer="nowhere")
    assert not at.exception and len(at.toast) >= 1


def test_architectures_page_tables_diagrams_and_calculators():
    at = open_page("architectures.py", arch="googlenet")
    assert any(m.label == "Parameters" and m.value == "6,624,904" for m in at.metric)
    assert len(at.get("graphviz_chart")) == 1
    assert any("1×1 bottlenecks cut the multiplications" in m.value for m in at.markdown)
    by_label(at.selectbox, "Architecture").select("alexnet-paper").run()
    assert any("Differences" in m.value for m in at.markdown)
    by_label(at.number_input, "Input size (pixels)").set_value(64).run()
    assert any("shrink to nothing" in e.value for e in at.error) and not at.exception


def test_attribution_page_explains_the_predicted_class():
    at = open_page("attribution.py")
    assert not at.exception
    assert any(cat in m.value for m in at.markdown for cat in CAT_CLASSES)
    from cnnviz.explain.methods import method

    notes = {c.value for c in at.caption}
    assert all(method(m).note in notes for m in ("guided-backprop", "gradcam", "saliency"))  # one map per default method
    by_label(at.multiselect, "Methods").set_value(["occlusion", "integrated-gradients", "deconvnet"]).run(
        timeout=240)  # occlusion alone is 169 forward passes: on a busy 2-core runner it takes over a minute
    assert not at.exception


def test_fantasy_page_dreams_a_small_image():
    at = open_page("fantasy.py")
    by_label(at.number_input, "Steps").set_value(8).run()
    at.button(key="fa_run").click().run()
    assert not at.exception
    assert any("Objective" in m.value and "→" in m.value for m in at.markdown)


def test_where_does_this_class_live_shows_every_method_and_offers_one_slide():
    from cnnviz.ui.views.attribution_views import EVERY_METHOD

    at = open_page("attribution.py")
    at.button(key="attr_every").click().run(timeout=300)
    assert not at.exception
    assert at.multiselect(key="attr_methods").value == EVERY_METHOD
    assert any(b.label.startswith("All maps, the photo and the top-5 as one slide") for b in at.get("download_button"))


def test_attribution_page_explains_a_unit():
    at = open_page("attribution.py")
    by_label(at.segmented_control, "Explain").set_value("a channel / unit").run()
    assert not at.exception
    assert any("strongest unit" in c.value for c in at.caption)


def test_training_page_trains_and_ends_with_a_confusion_matrix():
    import time

    at = open_page("training.py")
    by_label(at.number_input, "Epochs").set_value(1)  # form widgets: sent with the submit click
    submit = next(b for b in at.get("form_submit_button") if "Start" in b.proto.label)
    submit.click().run()
    run = at.session_state["_lenet_run"]
    assert run.config.epochs == 1
    run.join(120)
    time.sleep(0.2)
    at.run()
    assert not at.exception
    assert any("Held-out result" in s.value for s in at.subheader)


def test_a_lenet_trained_here_is_used_on_the_networks_and_attribution_pages():
    at = open_page("training.py")
    by_label(at.number_input, "Epochs").set_value(1)  # form widgets: sent with the submit click
    by_label(at.selectbox, "Activation").select("relu")
    submit = next(b for b in at.get("form_submit_button") if "Start" in b.proto.label)
    submit.click().run()
    assert at.session_state["_lenet_run"].config.activation == "relu"
    at.session_state["_lenet_run"].join(120)
    at.run()
    at.button(key="train_use").click().run()
    assert not at.exception
    assert any("In use for this session" in s.value for s in at.success)
    at.switch_page("pages/networks/networks.py").run(timeout=60)
    assert not at.exception
    chosen = at.selectbox(key="net_model").value
    assert chosen.startswith("lenet5@")
    assert any("Trained in this session" in c.value for c in at.caption)
    assert any("ReLU" in str(o) for o in at.selectbox(key=next(k for k in (sb.key for sb in at.selectbox)
                                                                 if k.startswith("net_layer_"))).options)
    at.switch_page("pages/seeing_inside/attribution.py").run(timeout=60)
    assert not at.exception and at.selectbox(key="attr_model").value == chosen
    assert not any("tanh or sigmoid" in i.value for i in at.info)


def test_a_transfer_classifier_is_downloaded_loaded_back_and_used_on_the_networks_page():
    at = open_page("training.py")
    at.number_input(key="tl_epochs").set_value(2).run()
    at.button(key="tl_train").click().run(timeout=120)
    at.session_state["_tl_run"].join(300)  # trains beside the page
    at.run()
    clf = at.session_state["_page_training"].results["results"]["head"].classifier
    at.button(key="tl_use").click().run()
    assert not at.exception and any("3-class classifier" in s.value for s in at.success)
    at.switch_page("pages/networks/networks.py").run(timeout=60)
    assert not at.exception and at.selectbox(key="net_model").value.startswith("efficientnet_lite0@")
    assert any("Transfer-learned in this session" in c.value for c in at.caption)
    assert len(at.get("plotly_chart")) >= 1
    at.switch_page("pages/seeing_inside/fantasy.py").run(timeout=60)
    assert not at.exception and at.selectbox(key="fa_model").value.startswith("efficientnet_lite0@")
    from cnnviz.learn import transfer as T

    back = T.load_classifier(clf.to_bytes())
    assert back.classes == clf.classes


def test_transfer_learning_on_the_demo_set_compares_strategies():
    at = open_page("training.py")
    at.checkbox(key="tl_compare").check().run()
    at.number_input(key="tl_epochs").set_value(2).run()
    at.button(key="tl_train").click().run()
    assert not at.exception and any(b.key == "tl_stop" for b in at.button)  # it trains beside the page
    at.session_state["_tl_run"].join(300)
    at.run()
    assert not at.exception
    assert any("Split:" in m.value for m in at.markdown)
    assert len(at.session_state["_page_training"].results["results"]) == 3


def test_detection_page_steps_nms_and_roi_bins_and_keeps_the_last_good_input():
    at = open_page("detection/detection.py")
    assert any("IoU = 9 / 57 = 0.1579" in c.value for c in at.code)
    assert any("37 × 50 × 9 = 16,650" in m.value for m in at.markdown)
    nms_next = [b for b in at.button if b.label == "Next"][0]
    nms_next.click().run()
    assert any("step 2: keep #3" in c.value for c in at.code)
    at.text_area(key="det_nms_text").set_value("1 2 3").run()
    assert any("line 1 has 3 numbers" in e.value for e in at.error) and not at.exception
    assert any("step 2: keep #3" in c.value for c in at.code)  # the last good boxes stay
    at.number_input(key="det_a_2").set_value(0.0).run()  # x2 < x1
    assert any("x2 < x1" in e.value for e in at.error) and any("IoU = 9 / 57" in c.value for c in at.code)
    next(w for w in at.get("button_group") if w.label == "Method").set_value("align").run()
    assert any("samples per bin" in c.value and "mean of 4 samples" in c.value for c in at.code)


def test_detectors_on_your_photo_say_how_to_get_missing_weights(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    at = open_page("detection/photo_detectors.py")
    assert any("not downloaded yet" in w.value for w in at.warning)


@pytest.mark.slow
def test_detectors_on_your_photo_draw_boxes_from_a_populated_cache(tmp_path, monkeypatch):
    import torch
    import torchvision

    from cnnviz.detect import real

    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    name = "ssdlite320_mobilenet_v3_large"
    path = real.cache_path(name)
    path.parent.mkdir(parents=True)
    torch.manual_seed(0)
    torch.save(torchvision.models.detection.ssdlite320_mobilenet_v3_large(weights=None, weights_backbone=None,
                                                                          num_classes=91).state_dict(), path)
    at = open_page("detection/photo_detectors.py")
    at.selectbox(key="pd_model").set_value(name).run()
    at.slider(key="pd_t").set_value(0.05).run()
    assert not at.exception and not at.warning and len(at.dataframe) == 2  # detections table, then the anchors table
    assert any("Position row" in m.value for m in at.markdown)


def test_detecting_digits_shows_the_cells_and_the_final_boxes():
    at = open_page("detection/digits.py")
    assert not at.exception
    assert any("cells** of the network's 32×32 grid predicted a box" in m.value for m in at.markdown)
    assert any("digits found (right digit, IoU ≥ 0.5)" in m.value for m in at.markdown)
    fates = set(at.dataframe[0].value["fate"])
    assert "final box" in fates


@pytest.mark.parametrize("file", ["convolution.py", "pooling.py", "activations.py", "backward.py", "transposed.py"])
def test_a_projected_step_view_comes_first_and_offers_the_step_as_a_slide(file):
    at = open_page(file, present="1")
    assert any(b.label == "This step as a slide" for b in at.get("download_button"))
    assert at.expander[0].label == "Grids, settings and the explanation"


def test_the_sanity_check_runs_on_the_attributions_page_and_shows_its_curve_and_maps():
    at = open_page("attribution.py")
    at.slider(key="san_depth").set_value(2).run()
    next(b for b in at.button if b.label == "Run the sanity check").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert len([m for m in at.markdown if m.value in ("**original**", "**_fc**", "**_bn1**")]) == 3


def test_a_second_learner_asking_for_the_same_fantasy_image_gets_it_without_a_computation():
    import cnnviz.classroom.results as R

    before = R._RESULTS
    R._RESULTS = R.SharedResults()
    try:
        texts = []
        for _ in range(2):  # two learners' sessions, one after the other, with the same settings and seed
            at = open_page("fantasy.py", mode="class", cls="130", size="64")
            by_label(at.number_input, "Steps").set_value(8).run()
            at.button(key="fa_run").click().run()
            assert not at.exception
            texts.append([m.value for m in at.markdown if "Objective" in m.value and "→" in m.value])
        assert R._RESULTS.computed == 1 and texts[0] == texts[1] and texts[0]
    finally:
        R._RESULTS = before


def test_an_attribution_map_of_a_sample_photo_is_computed_once_for_every_learner():
    import cnnviz.classroom.results as R
    from cnnviz.explain.attribution import forget_maps

    before = R._RESULTS
    R._RESULTS = R.SharedResults()
    try:
        forget_maps()  # maps computed by earlier tests in this process would be this process's
        open_page("attribution.py")
        first = R._RESULTS.computed
        assert first == 3  # the three default methods
        forget_maps()  # another replica: nothing in this process's cache
        open_page("attribution.py")
        assert R._RESULTS.computed == first
    finally:
        R._RESULTS = before
