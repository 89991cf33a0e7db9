"""Your own weights in the real browser: upload on Networks, look inside on Networks and Attributions; a bad file."""

import re

import torch
import torchvision

from tests.browser.test_grid_interactions import _selected, _settled_without_errors, _wait_text


def _upload_panel(watched, files: list[str], title: str = "Use your own weights"):
    watched.page.get_by_text(title).first.click()
    watched.wait_idle()
    panel = watched.page.locator('[data-testid="stExpander"]').filter(has_text=title)
    for k, f in enumerate(files):
        panel.locator('input[type="file"]').nth(k).set_input_files(f)
        watched.wait_idle(800)
    return panel


def _in_use(watched, title: str, labels: tuple[str, ...], shot) -> None:
    """Loaded: chosen in the picker, its class names among the predictions."""
    _wait_text(watched, "In use for this session")
    watched.wait_idle()
    assert title in _selected(watched, "Model")
    body = watched.page.inner_text("body")
    assert all(label in body for label in labels)
    _settled_without_errors(watched, shot)


def test_a_state_dict_of_your_own_works_on_networks_and_attributions(server, watched, artifacts, tmp_path):
    torch.manual_seed(0)
    weights = tmp_path / "my_resnet.pt"
    torch.save(torchvision.models.resnet18(num_classes=3).state_dict(), weights)
    labels = tmp_path / "classes.txt"
    labels.write_text("cat\ndog\nbird\n")
    watched.page.goto(f"{server.url}/networks")
    watched.wait_idle()
    _upload_panel(watched, [str(weights), str(labels)])
    _in_use(watched, "ResNet-18 · my_resnet.pt (3 classes)", ("bird", "dog"),
            artifacts / "networks_with_your_own_weights.png")
    _same_on_attributions(watched, "ResNet-18 · my_resnet.pt (3 classes)", artifacts / "attributions_with_your_own_weights.png")


def _same_on_attributions(watched, title: str, shot) -> None:
    """Never part of a shared link; still the chosen network on Attributions, in the same session."""
    assert "model=" not in watched.page.url
    watched.page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=re.compile("Attributions")).click()
    watched.wait_idle()
    assert title in _selected(watched, "Model")
    _settled_without_errors(watched, shot)


def test_a_file_that_is_not_weights_gets_a_message_and_the_page_keeps_working(server, watched, artifacts, tmp_path):
    bad = tmp_path / "notes.pt"
    bad.write_bytes(b"my lecture notes, not weights")
    watched.page.goto(f"{server.url}/networks")
    watched.wait_idle()
    _upload_panel(watched, [str(bad)])
    _wait_text(watched, "not a complete PyTorch weights file")
    assert "EfficientNet-Lite0" in _selected(watched, "Model")
    _settled_without_errors(watched, artifacts / "networks_bad_weights_file.png")


def test_a_network_of_your_own_exported_with_torch_export_works_on_networks_and_attributions(
        server, watched, artifacts, tmp_path):
    from tests.networks.test_exported import StudentNet, _save

    torch.manual_seed(0)
    path = tmp_path / "student.pt2"
    path.write_bytes(_save(StudentNet(), (2, 3, 32, 32)))
    labels = tmp_path / "classes.txt"
    labels.write_text("apple\npear\nplum\nfig\nkiwi\n")
    watched.page.goto(f"{server.url}/networks")
    watched.wait_idle()
    panel = _upload_panel(watched, [str(path), str(labels)], "Use your own network")
    assert "torch.export.save(program" in panel.inner_text()  # the guide
    _in_use(watched, "student.pt2 (5 classes)", ("kiwi", "plum"), artifacts / "networks_with_your_own_network.png")
    _same_on_attributions(watched, "student.pt2 (5 classes)", artifacts / "attributions_with_your_own_network.png")
    watched.page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=re.compile("Architectures")).click()
    watched.wait_idle()
    box = watched.page.locator('[data-testid="stSelectbox"]').filter(has_text="Architecture").first
    box.click()
    watched.page.get_by_role("option", name=re.compile("student.pt2")).click()
    _wait_text(watched, "11,653")  # its parameters, read off the modules (the table itself is a canvas)
    assert "arch=" not in watched.page.url  # yours: never in a link
    _settled_without_errors(watched, artifacts / "architectures_with_your_own_network.png")
