"""Every widget of every page travels in its link: walk the page, change each widget, reopen the link, compare.

The walk changes the widgets one after another in one session (each to another valid value), copies the link
and opens it in a fresh session: every widget must show what it showed. Widgets that do not travel say why below;
so do those the walk leaves to the one-by-one round trips (a change that runs a large network, a form).
"""

from __future__ import annotations

from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.test_links_round_trip import _reopened
from tests.app.test_pages_render import ALL_PAGES, open_page

KINDS = ("checkbox", "toggle", "number_input", "slider", "select_slider", "selectbox", "radio", "button_group",
         "multiselect", "text_input")
# widgets that are not a view's setting, by key prefix or label, and why they stay out of links
NOT_LINKED = {
    "Device": "the sidebar's setting, linked by the app shell (`device`), tested with the shell",
    "Presentation mode": "the sidebar's setting, linked by the app shell (`present`)",
    "Predict first": "one switch for every stepper of the app (`predict=1`), tested with predict-then-see",
    "Edit ": "the 'Edit as text' boxes: their text is applied to the grid by a button, and the grid travels",
    "Sample photo": "chosen before the walk's other changes: a link carries it (tested in the round trips)",
    "Class code": "joining a classroom is the app shell's (`class`), tested with the classroom",
    "Input size (px; 0": "settings of an uploaded network file, which never travels in a link",
    "Mean per channel": "settings of an uploaded network file, which never travels in a link",
    "Std per channel": "settings of an uploaded network file, which never travels in a link",
}
NOT_LINKED_KEYS = {  # by the end of the widget's key
    "_own_arch": "the architecture of uploaded weights, which never travel in a link",
    "_cam_on": "the camera: a photo never travels in a link",
}
SLOW = {"Methods", "Network", "Detector", "Backbone", "Pretrained backbone", "Layer", "Model"}  # a change re-runs a
# network for minutes on a CPU, or needs weights this machine may lack: their round trips are tested one by one


def _exempt(w: Any) -> bool:
    label, key = getattr(w, "label", "") or "", w.key or ""
    return any(label.startswith(k) for k in NOT_LINKED) or label in SLOW or any(key.endswith(k) for k in NOT_LINKED_KEYS)


def _options(at: AppTest, w: Any) -> list[Any]:
    """The values behind a choice widget's options (AppTest shows only their texts): read from the widget's
    registered serialiser — Streamlit's internals, in a test only."""
    meta = at.session_state._state._state._new_widget_state.widget_metadata.get(w.id)
    serde = getattr(getattr(meta, "deserializer", None), "__self__", None)
    return list(getattr(serde, "options", None) or [])


def _change(at: AppTest, w: Any) -> bool:
    """Set the widget to another valid value; False when it has none."""
    kind, v = w.type, w.value
    if kind in ("checkbox", "toggle"):
        w.set_value(not v)
    elif kind in ("number_input", "slider") and isinstance(v, (int, float)):
        step = w.step or 1
        hi, lo = getattr(w, "max", None), getattr(w, "min", None)
        up = v + step
        w.set_value(up if hi is None or up <= hi else v - step if lo is None or v - step >= lo else v)
    elif kind == "multiselect" and len(v) > 1:
        w.set_value(list(v[:-1]))
    elif kind in ("selectbox", "radio", "select_slider", "button_group"):
        others = [o for o in _options(at, w) if o != (v[0] if isinstance(v, list) and v else v)]
        if not others:
            return False
        w.set_value([others[0]] if isinstance(v, list) else others[0])
    elif kind == "text_input":
        w.input(f"{v or ''}x"[-40:])
    else:
        return False
    return True


def _values(at: AppTest) -> dict[str, str]:
    out = {}
    for kind in KINDS:
        for w in at.get(kind):
            label = getattr(w, "label", "") or w.key or ""
            if not _exempt(w):
                v = w.value
                out[f"{kind}:{label}"] = repr(round(v, 9) if isinstance(v, float) else v)
    return out


@pytest.mark.parametrize("page", [p.file for p in ALL_PAGES], ids=[p.file.split("/")[1][:-3] for p in ALL_PAGES])
def test_every_widget_of_a_page_reopens_from_its_link_as_it_was_left(page):
    at = open_page(page)
    walked, refused = [], []
    for kind in KINDS:
        for i in range(len(at.get(kind))):
            widgets = at.get(kind)
            if i >= len(widgets):
                break
            w = widgets[i]
            label = getattr(w, "label", "") or w.key or ""
            if w.disabled or _exempt(w) or w.form_id:  # a form's boxes apply when it is sent: LeNet-5's
                continue  # send starts training (its settings' round trip: test_links_round_trip)
            try:
                if not _change(at, w):
                    continue
                at.run()
            except Exception as e:  # noqa: BLE001 - a refused value is reported, not a crash of the walk
                refused.append(f"{kind}:{label}: {e}")
                continue
            assert not at.exception, (label, [e.value for e in at.exception])
            walked.append(f"{kind}:{label}")
    if page.endswith(("home.py", "lessons.py")):
        assert not walked  # nothing on Home is a view's setting; a lesson travels whole (`lesson=`), not by widget
    else:
        assert walked, "the walk changed nothing"
    assert not refused, refused
    fresh = _reopened(at, page)
    left, reopened = _values(at), _values(fresh)
    lost = {k: (v, reopened.get(k)) for k, v in left.items() if reopened.get(k) != v}
    assert not lost, f"{len(lost)} widget(s) not as left after reopening the link (left, reopened): {lost}"
