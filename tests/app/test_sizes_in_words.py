"""A size typed outside its range is answered in words under its box, and the box shows the value in use."""

from __future__ import annotations

import pytest

from tests.app.test_pages_render import by_label, open_page

CASES = [
    ("operations/convolution.py", "Stride ↓ (rows)", 0, "a stride of 0 would never move the window", 1),
    ("operations/convolution.py", "Kernel rows", 9, "outside 1–7 (the page edits grids up to 7×7)", 3),
    ("operations/convolution.py", "Dilation →", 5, "outside 1–4", 1),
    ("operations/pooling.py", "Window rows", 8, "outside 1–7", 2),
    ("operations/pooling.py", "Stride →", 0, "a stride of 0 would never move the window", 2),
    ("operations/transposed.py", "Stride ↓", 0, "outside 1–4", 2),
    ("operations/transposed.py", "Input rows", 7, "outside 1–6", 2),
    ("detection/detection.py", "Output size", 5, "outside 1–4 (the page draws up to 4×4 bins)", 2),
    ("detection/detection.py", "Stride (VGG-16 conv5_3: 16)", 0, "outside 1–64", 16),
    ("detection/detection.py", "Position row", 99, "outside 0–36 (the feature map has 37 rows)", 18),
]


@pytest.mark.parametrize("file, label, typed, words, kept", CASES,
                         ids=[f"{c[0].split('/')[1][:-3]}-{c[1]}-{c[2]}" for c in CASES])
def test_a_size_out_of_range_is_put_back_with_the_limit_in_words(file, label, typed, words, kept):
    at = open_page(file)
    box = by_label(at.number_input, label)
    assert box.value == kept  # the page's default, which stays in use
    box.set_value(typed).run()
    assert not at.exception, [e.value for e in at.exception]
    notes = [w.value for w in at.warning]
    assert any(words in n and f"{typed} is outside" in n and f"the page keeps {kept}" in n for n in notes), notes
    assert by_label(at.number_input, label).value == kept


def test_a_size_back_in_range_is_used_and_the_note_goes():
    at = open_page("operations/convolution.py")
    by_label(at.number_input, "Stride ↓ (rows)").set_value(0).run()
    by_label(at.number_input, "Stride ↓ (rows)").set_value(2).run()
    assert by_label(at.number_input, "Stride ↓ (rows)").value == 2
    assert not [w.value for w in at.warning if "outside" in w.value]
    assert any("⌊(7 + 0 − 1·(3−1) − 1)/2⌋ + 1" in c.value or "/2⌋" in c.value for c in at.code)
