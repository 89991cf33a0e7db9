"""What AppTest cannot do: click chart cells, type into the grid editor, keyboard shortcuts, play."""

import re

from tests.browser.conftest import STATE_TIMEOUT_MS

IDLE_TEXT = "Cell {} of {}"


def _open(server, watched, path="convolution"):
    watched.page.goto(f"{server.url}/{path}")
    watched.wait_idle()


def _click_cell(watched, chart_index: int, subplot: int, row: int, col: int) -> None:
    """Click the centre of grid cell (row, col) in the given subplot of a plotly chart."""
    chart = watched.page.locator(".js-plotly-plot").nth(chart_index)
    chart.scroll_into_view_if_needed()
    xy = chart.evaluate(
        """(el, a) => { const L = el._fullLayout; const s = a.subplot === 1 ? '' : String(a.subplot);
            const xa = L['xaxis' + s], ya = L['yaxis' + s]; const r = el.getBoundingClientRect();
            return [r.left + xa._offset + xa.l2p(a.col), r.top + ya._offset + ya.l2p(a.row)]; }""",
        {"subplot": subplot, "row": row, "col": col})
    watched.page.mouse.click(xy[0], xy[1])
    watched.wait_idle(600)


def test_clicking_an_output_cell_jumps_to_it(server, watched):
    _open(server, watched)
    _click_cell(watched, 0, 3, 4, 0)  # output row 4, column 0 → the lecture's "= 16" cell
    body = watched.page.inner_text("body")
    assert "Cell 21 of 25" in body
    assert "= 16" in body


def test_clicking_an_input_cell_shows_the_outputs_it_feeds(server, watched, artifacts):
    _open(server, watched)
    _click_cell(watched, 0, 1, 0, 0)
    assert "feeds 1 output cell(s): (0, 0)" in watched.page.inner_text("body")
    _click_cell(watched, 0, 1, 3, 3)
    assert "feeds 9 output cell(s)" in watched.page.inner_text("body")
    watched.screenshot(artifacts / "convolution_input_cell_selected.png")


def _wait_text(watched, text: str, timeout: int = STATE_TIMEOUT_MS) -> None:
    """Wait for the expected content (a generous overall limit: a busy CI machine is slow, not broken)."""
    watched.page.wait_for_function("t => document.body.innerText.includes(t)", arg=text, timeout=timeout)


def _click_until(watched, chart, at_js: str, text: str) -> None:
    """Click a chart point until the page shows `text`: on a busy machine plotly may bind its click handlers
    after the chart appears, and a click before that is lost (the wait is on the content, not a clock)."""
    for attempt in range(4):
        xy = chart.evaluate(at_js)
        watched.page.mouse.click(xy[0], xy[1])
        try:
            _wait_text(watched, text, timeout=20_000 if attempt < 3 else STATE_TIMEOUT_MS)
            return
        except Exception:  # noqa: BLE001 - playwright's TimeoutError: click again
            if attempt == 3:
                raise


def _settled_without_errors(watched, shot) -> None:
    """Idle, no exception on the page, and a screenshot to look at."""
    watched.wait_idle()
    assert watched.page.locator('[data-testid="stException"]').count() == 0
    watched.screenshot(shot)


def _use_on_the_networks_page(watched, button: str, caption: str) -> None:
    """Training page → 'use' → the link to Networks on your photo, in the same session."""
    watched.page.get_by_role("button", name=re.compile(button)).click()
    _wait_text(watched, "In use for this session")
    watched.page.get_by_role("link", name=re.compile("Open it on Networks")).click()
    _wait_text(watched, caption)
    watched.wait_idle()


def _selected(watched, label: str) -> str:
    """What a select box shows (its text, or its input's value where it can be typed into)."""
    box = watched.page.locator('[data-testid="stSelectbox"]').filter(has_text=label).first
    inp = box.locator("input")
    return box.inner_text() + " " + (inp.first.input_value() if inp.count() else "")


def test_arrow_keys_step_and_play_advances(server, watched):
    _open(server, watched)
    watched.page.get_by_role("button", name=re.compile("Next")).wait_for()
    watched.page.wait_for_timeout(1000)  # shortcut listeners attach after the buttons render
    watched.page.locator("h1").first.click()
    watched.page.keyboard.press("ArrowRight")
    _wait_text(watched, "Cell 2 of 25")
    watched.page.keyboard.press("ArrowRight")
    _wait_text(watched, "Cell 3 of 25")
    watched.page.keyboard.press("ArrowLeft")
    _wait_text(watched, "Cell 2 of 25")
    watched.page.get_by_role("button", name=re.compile("Play")).click()
    watched.page.wait_for_function(
        "() => /Cell ([4-9]|1[0-9]) of 25/.test(document.body.innerText)", timeout=STATE_TIMEOUT_MS)
    watched.page.get_by_role("button", name=re.compile("Pause")).click()
    watched.wait_idle()


def _select_first_cell(watched) -> None:
    grid = watched.page.locator('[data-testid="stDataFrame"]').first
    grid.scroll_into_view_if_needed()
    grid.locator("canvas").first.wait_for()
    watched.page.wait_for_timeout(800)
    box = grid.bounding_box()
    # first data cell: right of the index column, below the header row
    watched.page.mouse.click(box["x"] + 60, box["y"] + 35 + 17)
    watched.page.wait_for_timeout(300)


def _type_into_first_cell(watched, text: str) -> None:
    _select_first_cell(watched)
    watched.page.keyboard.type(text, delay=60)  # typing on a selected cell replaces its value
    watched.page.wait_for_timeout(300)
    watched.page.keyboard.press("Enter")


def test_typing_into_the_input_grid_changes_the_arithmetic(server, watched, artifacts):
    _open(server, watched)
    _type_into_first_cell(watched, "9")
    _wait_text(watched, "9×1 + 3×0")
    watched.wait_idle(800)
    body = watched.page.inner_text("body")
    assert "9×1 + 3×0" in body and "= 21" in body, body[:3000]
    watched.screenshot(artifacts / "convolution_after_typing.png")


def test_cells_take_the_numbers_people_type_and_put_back_what_is_not_one(server, watched, artifacts):
    _open(server, watched)
    _type_into_first_cell(watched, "1e3")
    _wait_text(watched, "1000×1 + 3×0")
    watched.wait_idle()
    _type_into_first_cell(watched, "1e9")
    _wait_text(watched, "1.000e+09×1 + 3×0")
    watched.wait_idle()
    _type_into_first_cell(watched, "1,5")
    _wait_text(watched, "1.5×1 + 3×0")
    watched.wait_idle()
    _type_into_first_cell(watched, "abc")
    _wait_text(watched, "'abc' is not a number, so it is put back to 1.5")
    watched.wait_idle()
    body = watched.page.inner_text("body")
    assert "1.5×1 + 3×0" in body and "Showing the last valid result" not in body
    watched.screenshot(artifacts / "convolution_bad_cell.png")
    _select_first_cell(watched)
    watched.page.keyboard.press("Delete")  # empties the selected cell
    _wait_text(watched, "row 0, column 0 was emptied: put back to 1.5")
    watched.wait_idle()
    assert "1.5×1 + 3×0" in watched.page.inner_text("body")


def test_a_broken_upload_gets_a_message_and_the_sample_stays(server, watched, artifacts, tmp_path):
    watched.page.goto(f"{server.url}/networks")
    watched.wait_idle()
    watched.page.get_by_role("tab", name="Upload").click()
    bad = tmp_path / "holiday.png"
    bad.write_bytes(b"this is not a picture at all")
    photo_uploader = watched.page.locator('[data-testid="stFileUploader"]').filter(has_text="Your photo")
    photo_uploader.locator('input[type="file"]').set_input_files(str(bad))
    _wait_text(watched, "is not an image this app can read")
    watched.wait_idle()
    assert watched.page.locator('[data-testid="stException"]').count() == 0
    assert "Egyptian cat" in watched.page.inner_text("body")
    watched.screenshot(artifacts / "networks_bad_upload.png")


def test_clicking_a_unit_moves_its_receptive_field(server, watched, artifacts):
    watched.page.goto(f"{server.url}/networks?model=lenet5&digit=7&layer=c1")
    watched.wait_idle()
    chart = watched.page.locator(".js-plotly-plot").nth(1)  # the one-channel view (predictions chart is first)
    chart.scroll_into_view_if_needed()
    watched.page.wait_for_timeout(1500)  # plotly finishes drawing before it reports clicks
    for k in range(4):  # another unit each try: a second click on a selected point would deselect it
        watched.wait_idle()
        xy = chart.evaluate("""(el, [x, y]) => { const L = el._fullLayout;
            return [L.xaxis._offset + L.xaxis.l2p(x), L.yaxis._offset + L.yaxis.l2p(y)]; }""", [k, k])
        # relative to the chart, placed when the click happens: a page that moved meanwhile still gets the unit
        chart.click(position={"x": xy[0], "y": xy[1]})
        try:
            _wait_text(watched, f"Activation at ({k}, {k})", timeout=20_000 if k < 3 else STATE_TIMEOUT_MS)
            break
        except Exception:  # noqa: BLE001 - playwright's TimeoutError: the click was lost, try the next unit
            if k == 3:
                raise
    watched.wait_idle()
    watched.screenshot(artifacts / "networks_unit_clicked.png")


def test_clicking_a_diagram_block_filters_the_table(server, watched, artifacts):
    watched.page.goto(f"{server.url}/architectures?arch=resnet18")
    watched.wait_idle()
    chart = watched.page.locator(".js-plotly-plot").first
    chart.scroll_into_view_if_needed()
    watched.page.wait_for_timeout(1500)
    _click_until(watched, chart,
                 """el => { const L = el._fullLayout; const r = el.getBoundingClientRect();
                     return [r.left + L.xaxis._offset + L.xaxis.l2p(6), r.top + L.yaxis._offset + L.yaxis.l2p(0)]; }""",
                 "Selected: layer2.0")
    watched.wait_idle()
    assert "Inside layer2.0" in watched.page.inner_text("body")
    watched.screenshot(artifacts / "architectures_block_selected.png")


def test_a_fantasy_gallery_is_dreamt_in_the_browser(server, watched, artifacts):
    watched.page.goto(f"{server.url}/fantasy")
    watched.wait_idle()
    watched.page.get_by_text("gallery", exact=True).click()
    watched.wait_idle()
    watched.page.get_by_text("Optimisation settings").click()
    steps = watched.page.get_by_label("Steps", exact=True)
    steps.fill("24")
    steps.press("Enter")
    watched.wait_idle()
    size = watched.page.get_by_label("Channels")
    size.fill("4")
    size.press("Enter")
    watched.wait_idle()
    watched.page.get_by_role("button", name=re.compile("Dream")).click()
    _wait_text(watched, "Gallery as PNG")
    _settled_without_errors(watched, artifacts / "fantasy_gallery.png")


def test_a_class_image_is_dreamt_with_its_objective_curve_from_a_link(server, watched, artifacts):
    watched.page.goto(f"{server.url}/fantasy?mode=class&cls=130&size=128&steps=32")
    watched.wait_idle()
    watched.page.get_by_role("button", name=re.compile("Dream")).click()
    _wait_text(watched, "on the starting noise")
    assert "class flamingo" in watched.page.inner_text("body")
    assert watched.page.locator(".js-plotly-plot").count() >= 1  # the objective, step by step
    _settled_without_errors(watched, artifacts / "fantasy_class_flamingo.png")


def test_lenet_trains_live_in_the_browser(server, watched, artifacts):
    watched.page.goto(f"{server.url}/training")
    watched.wait_idle()
    epochs = watched.page.get_by_role("spinbutton", name="Epochs").first
    epochs.fill("2")
    watched.page.get_by_role("button", name=re.compile("Start training")).click()
    _wait_text(watched, "Latest: loss")
    watched.screenshot(artifacts / "training_mid.png")
    _wait_text(watched, "Held-out result", 3 * STATE_TIMEOUT_MS)
    _settled_without_errors(watched, artifacts / "training_after.png")
    _use_on_the_networks_page(watched, "Use these weights", "Trained in this session")
    assert "Your LeNet-5" in _selected(watched, "Model")
    _settled_without_errors(watched, artifacts / "networks_with_the_lenet_trained_here.png")
    watched.page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=re.compile("Home")).click()
    _wait_text(watched, "Your networks in this session")  # same session: the home page lists it


def test_a_classifier_is_built_from_uploaded_photos_within_a_minute(server, watched, artifacts, tmp_path):
    import time

    import numpy as np
    from PIL import Image

    from cnnviz.images import load_sample
    from cnnviz.learn.transfer import augment

    rng = np.random.default_rng(0)
    folders = {}
    for name, title in (("cat", "Chelsea the cat"), ("rocket", "Rocket launch")):
        folders[name] = []
        for k in range(6):
            f = tmp_path / f"{name}{k}.jpg"
            Image.fromarray(augment(load_sample(title), rng)).save(f)
            folders[name].append(str(f))
    watched.page.goto(f"{server.url}/training")
    watched.wait_idle()
    t0 = time.perf_counter()
    watched.page.get_by_role("tab", name="Transfer learning on your photos").click()
    watched.page.get_by_text("My photos", exact=True).click()
    watched.wait_idle()
    for k, (name, files) in enumerate(folders.items()):
        box = watched.page.get_by_label(f"Class {k + 1} name")
        box.fill(name)
        box.press("Enter")
        watched.wait_idle()
        watched.page.locator('input[type="file"]').nth(k).set_input_files(files)
        watched.wait_idle(800)
    watched.page.get_by_role("button", name=re.compile("^Train$")).click()
    _wait_text(watched, "Split:", 3 * STATE_TIMEOUT_MS)
    watched.wait_idle()
    seconds = time.perf_counter() - t0
    assert seconds < 60, f"building the classifier took {seconds:.0f} s"
    _settled_without_errors(watched, artifacts / "transfer_my_photos_trained.png")
    _use_on_the_networks_page(watched, "Use it on the network pages", "Transfer-learned in this session")
    assert "2-class classifier" in _selected(watched, "Model")
    assert "classes: cat, rocket" in watched.page.inner_text("body")
    _settled_without_errors(watched, artifacts / "networks_with_my_classifier.png")


def test_kernels_on_a_photo_appear_when_their_section_opens(server, watched, artifacts):
    _open(server, watched)
    watched.page.get_by_text("Kernels on a real photo").click()
    _wait_text(watched, "feature map")
    _settled_without_errors(watched, artifacts / "convolution_kernels_on_a_photo.png")


def test_fine_tuning_trains_beside_the_page_and_stops(server, watched, artifacts):
    watched.page.goto(f"{server.url}/training")
    watched.wait_idle()
    watched.page.get_by_role("tab", name="Transfer learning on your photos").click()
    watched.page.get_by_text("(b) fine-tune the last k blocks").click()
    watched.wait_idle()
    epochs = watched.page.get_by_role("spinbutton", name="Epochs").last  # the transfer tab's
    epochs.fill("20")
    epochs.press("Enter")
    watched.wait_idle()
    watched.page.get_by_role("button", name=re.compile("^Train$")).click()
    watched.page.wait_for_function("() => /last-k: epoch [1-9]/.test(document.body.innerText)", timeout=3 * STATE_TIMEOUT_MS)
    watched.screenshot(artifacts / "transfer_fine_tuning_mid.png")
    watched.page.get_by_role("button", name=re.compile("Stop")).click()
    _wait_text(watched, "Stopped after")
    watched.wait_idle()
    assert watched.page.locator('[data-testid="stException"]').count() == 0
