"""Controls moved with a mouse and a keyboard, as a learner does, keep what they were moved to (issue 46: the Model box
snapped back on three pages while every AppTest passed, because AppTest sets a widget's value directly).

Every visible select box in the main area of every page is opened with the mouse and set to another option: after
the rerun it shows that option, the page shows no exception, and the address, reopened in a fresh browser, shows it
again. (Boxes on tabs not shown wait for tabs that travel in links: issue 46, item 4.)
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from cnnviz.pagemap import HOME, PAGES

NETWORK_PAGES = ["networks", "attribution", "fantasy"]
# select boxes whose value is not a view's setting (the walk leaves them, and says why)
NOT_A_SETTING = {
    "Device": "the sidebar's setting (its own tests)",
    "Sample photo": "changes the photo under every other control; its link is tested in the app tier",
    "Classic kernels": "an action, not a setting: it loads the kernel into the grid (which travels) and empties itself",
}
SLOW_LABELS = {"Model", "Detector", "Backbone", "Pretrained backbone", "Methods", "Network", "Layer"}  # tested below
# or in the app tier: each change runs a large network for seconds to minutes on a CPU
SLOW_CHOICES = {"Move the window": "shown once the sweep runs (its own test above)"}


def _no_exception(w) -> None:
    exc = w.page.locator('[data-testid="stException"]')
    assert exc.count() == 0, exc.first.inner_text()


def _select_box(page, label: str):
    return page.locator('[data-testid="stMain"] [data-testid="stSelectbox"]').filter(
        has=page.locator('[data-testid="stWidgetLabel"]', has_text=re.compile(f"^{re.escape(label)}"))).first


def _combo(box):
    """Streamlit 1.67 draws a select box as a combobox: its input shows the option chosen, a click opens the list."""
    return box.locator('input[role="combobox"]')


def _shown(box) -> str:
    return _combo(box).input_value().strip()


def _open(box) -> None:
    """Open the list with the mouse: a click in the box, or on its arrow when the click left it closed."""
    options = box.page.locator('[role="listbox"] [role="option"]').first
    box.scroll_into_view_if_needed()
    _combo(box).click()
    try:
        options.wait_for(timeout=3000)
    except Exception:  # noqa: BLE001 - playwright's TimeoutError: the arrow opens it
        box.locator('button[aria-label="Open"]').click()
        options.wait_for()


def _pick_with_mouse(w, box, option: str) -> None:
    _open(box)
    w.page.locator('[role="option"]').filter(has_text=re.compile(f"^{re.escape(option)}")).first.click()
    w.wait_idle(800)


def _reopen(browser, url: str):
    """The address in a fresh browser context (no session, no cookies): what a copied link opens."""
    from tests.browser.conftest import Watched

    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    fresh = Watched(ctx.new_page())
    fresh.page.goto(url)
    fresh.wait_idle(800)
    return ctx, fresh


@pytest.mark.parametrize("path", NETWORK_PAGES)
def test_the_model_box_keeps_a_network_picked_with_the_mouse_and_the_link_follows(server, watched, browser, path):
    watched.page.goto(f"{server.url}/{path}")
    watched.wait_idle(800)
    box = _select_box(watched.page, "Model")
    assert _shown(box).startswith("EfficientNet-Lite0")
    _pick_with_mouse(watched, box, "MobileNetV2")
    watched.page.wait_for_timeout(1500)  # a script that overwrote the pick would have rerun by now
    watched.wait_idle()
    assert _shown(box).startswith("MobileNetV2"), _shown(box)
    assert "model=mobilenet_v2" in watched.page.url
    _no_exception(watched)
    ctx, fresh = _reopen(browser, watched.page.url)
    try:
        assert _shown(_select_box(fresh.page, "Model")).startswith("MobileNetV2")
        _no_exception(fresh)
    finally:
        ctx.close()


def test_the_model_box_takes_a_keyboard_pick_and_can_go_back(server, watched):
    watched.page.goto(f"{server.url}/networks")
    watched.wait_idle(800)
    box = _select_box(watched.page, "Model")
    _combo(box).focus()
    watched.page.keyboard.type("MobileNet")
    watched.page.keyboard.press("Enter")
    watched.wait_idle(1500)
    assert _shown(box).startswith("MobileNetV2")
    _pick_with_mouse(watched, box, "EfficientNet-Lite0")
    watched.wait_idle(1500)
    assert _shown(box).startswith("EfficientNet-Lite0") and "model=efficientnet_lite0" in watched.page.url
    _no_exception(watched)


def _walk_select_boxes(w, url: str) -> list[tuple[str, str]]:
    """Set each select box of the main area, one after another, to another option with the mouse; (label, option
    shown) for each, checked right after its rerun (a box in a form is only checked there: its value reaches the page
    and the link with the form's button)."""
    done: list[tuple[str, str]] = []
    seen: set[str] = set()
    while True:
        boxes = w.page.locator('[data-testid="stMain"] [data-testid="stSelectbox"]')
        todo = None
        for i in range(boxes.count()):
            if not boxes.nth(i).is_visible():  # on a tab not shown: a learner cannot reach it without the tab
                continue
            label = boxes.nth(i).locator('[data-testid="stWidgetLabel"]').inner_text().strip()
            if label and label not in seen and not any(label.startswith(s) for s in (*NOT_A_SETTING, *SLOW_LABELS)):
                todo = (label, boxes.nth(i))
                break
        if todo is None:
            return done
        label, box = todo
        seen.add(label)
        before = _shown(box)
        if _combo(box).is_disabled():
            continue
        _open(box)
        options = [o.strip() for o in w.page.locator('[role="option"]').all_inner_texts()]
        others = [o for o in options if o and o != before]
        if not others:
            w.page.keyboard.press("Escape")
            continue
        w.page.locator('[role="option"]').filter(has_text=others[0]).first.click()
        w.wait_idle(800)
        box = _select_box(w.page, label)
        assert box.count() == 1, f"{url}: the box '{label}' went away after it was set"
        assert _shown(box) == others[0], f"{url}: '{label}' set to '{others[0]}' shows '{_shown(box)}'"
        _no_exception(w)
        if box.locator('xpath=ancestor::*[@data-testid="stForm"]').count() == 0:
            done.append((label, others[0]))


@pytest.mark.parametrize("mode", ["normal", "presentation"])
def test_going_deep_a_preset_picked_with_the_mouse_runs_and_compares_and_its_link_reopens_it(server, watched, browser,
                                                                                           artifacts, mode):
    watched.page.goto(f"{server.url}/depth" + ("?present=1" if mode == "presentation" else ""))
    watched.wait_idle(800)
    preset = _select_box(watched.page, "Preset")
    _pick_with_mouse(watched, preset, "Deep sigmoid network")
    assert _shown(_select_box(watched.page, "Activation")) == "sigmoid"
    assert _shown(_select_box(watched.page, "Initialisation")) == "PyTorch's default"
    assert "preset=vanishing" in watched.page.url and "activation=sigmoid" in watched.page.url
    body = watched.page.locator('[data-testid="stMain"]')
    assert "vanishing gradients" in body.inner_text() and "10⁻¹⁷ of the last's" in body.inner_text()
    watched.page.get_by_role("button", name=re.compile("Run the preset: 2 networks")).click()
    watched.page.get_by_text("Clear the comparison").wait_for(timeout=240_000)  # both runs done, compared
    watched.wait_idle(1500)
    text = body.inner_text()
    assert "plain 20×16 sigmoid" in text and "residual 20×16 relu" in text
    _no_exception(watched)
    watched.screenshot(artifacts / f"depth_vanishing_{mode}.png")
    ctx, fresh = _reopen(browser, watched.page.url)
    try:
        assert _shown(_select_box(fresh.page, "Preset")).startswith("Deep sigmoid network")
        assert _shown(_select_box(fresh.page, "Activation")) == "sigmoid"
        _no_exception(fresh)
    finally:
        ctx.close()


@pytest.mark.parametrize("path", ["convolution", "pooling"])
def test_the_shift_panel_moves_with_the_mouse_and_its_link_reopens_it(server, watched, browser, artifacts, path):
    watched.page.goto(f"{server.url}/{path}")
    watched.wait_idle(800)
    watched.page.get_by_text("Shift the input: equivariance and invariance").click()
    watched.wait_idle()
    box = watched.page.get_by_role("spinbutton", name="Shift ↓ (rows)")
    box.fill("1")
    box.press("Enter")
    watched.page.wait_for_url(re.compile(r"shift=1(%2C|,)0"), timeout=60_000)  # the rerun after Enter, however slow
    watched.page.get_by_text(re.compile("equals the output shifted by|not a multiple of the stride")).wait_for(
        timeout=60_000)
    watched.wait_idle(800)
    body = watched.page.locator('[data-testid="stMain"]').inner_text()
    assert "f(shift(x))" in body and ("equals the output shifted by" in body or "not a multiple of the stride" in body)
    _no_exception(watched)
    watched.screenshot(artifacts / f"{path}_shift.png")
    ctx, fresh = _reopen(browser, watched.page.url)
    try:
        fresh.page.wait_for_function(  # the summary names the shift once the reopened page has drawn it
            "() => /shifted by \\(1, 0\\)|shift of \\(1, 0\\)/.test(document.body.innerText)", timeout=60_000)
        expect(fresh.page.get_by_role("spinbutton", name="Shift ↓ (rows)")).to_have_value("1", timeout=60_000)
        _no_exception(fresh)
    finally:
        ctx.close()


def test_the_photo_sweep_runs_from_a_click_and_its_link_reopens_it(server, watched, browser, artifacts):
    watched.page.goto(f"{server.url}/networks?model=mobilenet_v2&sample=Astronaut")
    watched.wait_idle(800)
    watched.page.get_by_text("Sweep", exact=True).click()
    watched.page.get_by_text("Consistency").first.wait_for(timeout=120_000)
    watched.wait_idle(1500)
    body = watched.page.locator('[data-testid="stMain"]').inner_text()
    assert "not shift-invariant here" in body and "cosine similarity" in body
    assert "sweep_on=1" in watched.page.url
    _no_exception(watched)
    box = watched.page.get_by_role("combobox", name="Compare one layer's maps side by side")
    box.scroll_into_view_if_needed()
    box.click()
    third = watched.page.locator('[role="listbox"] [role="option"]').nth(2)
    picked = third.inner_text().strip()
    third.click()
    node = picked.split(". ", 1)[1]
    watched.page.wait_for_url(re.compile(f"sweep_pair={re.escape(node)}"), timeout=60_000)
    expect(box).to_have_value(picked, timeout=60_000)  # the pick sticks after the rerun
    watched.page.get_by_text(f"{node}: the mean over its").wait_for(timeout=60_000)
    _no_exception(watched)
    watched.screenshot(artifacts / "networks_shift_the_photo.png")
    ctx, fresh = _reopen(browser, watched.page.url)
    try:
        fresh.page.get_by_text("Consistency").first.wait_for(timeout=120_000)
        _no_exception(fresh)
    finally:
        ctx.close()


@pytest.mark.parametrize("mode", ["normal", "presentation"])
def test_overfitting_a_preset_picked_with_the_mouse_runs_compares_and_the_pca_gallery_shows_its_numbers(
        server, watched, browser, artifacts, mode):
    watched.page.goto(f"{server.url}/overfitting" + ("?present=1" if mode == "presentation" else ""))
    watched.wait_idle(800)
    _pick_with_mouse(watched, _select_box(watched.page, "Preset"), "Early stopping")
    assert "preset=early-stopping" in watched.page.url and "train_size=200" in watched.page.url
    body = watched.page.locator('[data-testid="stMain"]')
    watched.page.get_by_role("button", name=re.compile("Run the preset: 2 runs")).click()
    watched.page.get_by_text("Clear the comparison").wait_for(timeout=240_000)  # both runs done, compared
    watched.wait_idle(1500)
    text = body.inner_text()
    assert "200 digits, 60 ep: no cure" in text and "200 digits, 60 ep: early stop 10" in text
    assert "returned epoch" in text and "then rose" in text
    watched.page.get_by_text("AlexNet's PCA colour", exact=True).click()
    watched.page.get_by_text("The photo's colour PCA").wait_for(timeout=60_000)
    assert "aug=pca" in watched.page.url
    _no_exception(watched)
    watched.screenshot(artifacts / f"overfitting_early_stopping_{mode}.png")
    ctx, fresh = _reopen(browser, watched.page.url)
    try:
        assert _shown(_select_box(fresh.page, "Preset")).startswith("Early stopping")
        fresh.page.get_by_text("The photo's colour PCA").wait_for(timeout=60_000)
        _no_exception(fresh)
    finally:
        ctx.close()


@pytest.mark.parametrize(("path", "tab", "param"), [("detection", "Non-maximum suppression", "tab="),
                                                    ("architectures", "3×3 stacks vs one large kernel", "calc="),
                                                    ("backward", "Max / average pooling", "tab="),
                                                    ("training", "Transfer learning on your photos", "tab=")])
def test_a_tab_clicked_with_the_mouse_is_in_the_link_and_reopens(server, watched, browser, path, tab, param):
    watched.page.goto(f"{server.url}/{path}")
    watched.wait_idle(800)
    target = watched.page.get_by_role("tab", name=tab)
    target.scroll_into_view_if_needed()
    target.click()
    from urllib.parse import quote, quote_plus

    wanted = re.compile("|".join(re.escape(param + q(tab)) for q in (quote, quote_plus)))
    watched.page.wait_for_url(wanted, timeout=60_000)  # the link says this tab (not the one it started on)
    _no_exception(watched)
    ctx, fresh = _reopen(browser, watched.page.url)
    try:
        expect(fresh.page.get_by_role("tab", name=tab)).to_have_attribute("aria-selected", "true", timeout=60_000)
        _no_exception(fresh)
    finally:
        ctx.close()


def _checked(group) -> str:
    return group.locator('[role="radio"][aria-checked="true"]').first.inner_text().strip()


def _walk_choices(w, url: str) -> list[tuple[str, str]]:
    """Click, with the mouse, another option of each visible segmented control and radio group of the main area,
    one after another; (label, option) once each is checked to stick after its rerun."""
    done: list[tuple[str, str]] = []
    seen: set[str] = set()
    while True:
        groups = w.page.locator('[data-testid="stMain"] [role="radiogroup"]')
        todo = None
        for i in range(groups.count()):
            g = groups.nth(i)
            label = (g.get_attribute("aria-label") or "").strip()
            if g.is_visible() and label and label not in seen and g.get_attribute("aria-disabled") != "true" \
                    and not any(label.startswith(s) for s in (*NOT_A_SETTING, *SLOW_CHOICES)):
                todo = (label, g)
                break
        if todo is None:
            return done
        label, group = todo
        seen.add(label)
        others = group.locator('[role="radio"][aria-checked="false"]')
        if others.count() == 0:
            continue
        option = others.last.inner_text().strip()
        others.last.click()
        w.wait_idle(800)
        group = w.page.locator(f'[data-testid="stMain"] [role="radiogroup"][aria-label="{label}"]').first
        expect(group.locator('[role="radio"][aria-checked="true"]').first).to_have_text(option, timeout=60_000)
        _no_exception(w)
        if group.locator('xpath=ancestor::*[@data-testid="stForm"]').count() == 0:
            done.append((label, option))


SLOW_SWITCHES = {"Sweep": "runs 33 forward passes (its own test above)",
                 "Use the camera": "asks for a camera this machine does not have",
                 "Presentation mode": "the sidebar's setting (its own tests)"}


def _walk_switches(w) -> list[tuple[str, bool]]:
    """Flip, with the mouse, each visible toggle and checkbox of the main area, one after another; (label, state)
    once each is checked to stick after its rerun (a switch in a form is only checked there)."""
    done: list[tuple[str, bool]] = []
    seen: set[str] = set()
    while True:
        boxes = w.page.locator('[data-testid="stMain"] [data-testid="stCheckbox"] input')
        todo = next((b for b in boxes.all() if b.get_attribute("aria-label") not in seen
                     and b.get_attribute("aria-label") not in SLOW_SWITCHES and not b.is_disabled()
                     and b.locator("xpath=ancestor::*[@data-testid='stCheckbox']").first.is_visible()), None)
        if todo is None:
            return done
        label = todo.get_attribute("aria-label") or ""
        seen.add(label)
        was = todo.is_checked()
        todo.locator("xpath=ancestor::label").first.click()
        w.wait_idle(800)
        expect(w.page.locator(f'[data-testid="stMain"] input[aria-label="{label}"]').first).to_be_checked(
            checked=not was, timeout=60_000)
        _no_exception(w)
        if todo.locator('xpath=ancestor::*[@data-testid="stForm"]').count() == 0:
            done.append((label, not was))


def _reopened_differs(watched, fresh, selects, choices, switches) -> list[str]:
    """Where the reopened address shows otherwise than the page it was copied from, for every control set (a control
    shown only under a choice made after it is not there to compare)."""
    wrong = []
    for label, _ in selects:
        here, there = _select_box(watched.page, label), _select_box(fresh.page, label)
        if here.count() and there.count() and _shown(there) != _shown(here):
            wrong.append(f"'{label}' reopened as '{_shown(there)}', not '{_shown(here)}'")
    for label, _ in choices:
        find = f'[data-testid="stMain"] [role="radiogroup"][aria-label="{label}"]'
        here, there = watched.page.locator(find), fresh.page.locator(find)
        if here.count() and there.count() and there.first.is_visible() and _checked(there.first) != _checked(here.first):
            wrong.append(f"'{label}' reopened as '{_checked(there.first)}', not '{_checked(here.first)}'")
    for label, _ in switches:
        find = f'[data-testid="stMain"] input[aria-label="{label}"]'
        here, there = watched.page.locator(find), fresh.page.locator(find)
        if here.count() and there.count() and there.first.is_checked() != here.first.is_checked():
            wrong.append(f"'{label}' reopened {'on' if there.first.is_checked() else 'off'}")
    return wrong


@pytest.mark.parametrize("page", [HOME, *PAGES], ids=lambda p: p.url_path)
def test_every_control_set_with_the_mouse_sticks_and_its_link_reopens_it(server, watched, browser, page):
    """Select boxes, then segmented controls and radio groups, then toggles and checkboxes — each set with the mouse
    and checked after its rerun; then the address, reopened in a fresh browser, shows every choice again."""
    url = f"{server.url}/{'' if page is HOME else page.url_path}"
    watched.page.goto(url)
    watched.wait_idle(800)
    selects = _walk_select_boxes(watched, url)
    choices = _walk_choices(watched, url)
    switches = _walk_switches(watched)
    if not (selects or choices or switches):
        return
    watched.page.wait_for_timeout(500)
    ctx, fresh = _reopen(browser, watched.page.url)
    try:
        fresh.wait_idle(800)
        wrong = _reopened_differs(watched, fresh, selects, choices, switches)
        assert not wrong, f"{page.url_path}: {wrong}"
        _no_exception(fresh)
    finally:
        ctx.close()
