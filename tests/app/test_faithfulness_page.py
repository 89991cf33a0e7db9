"""The Attributions page's "Is this map right?": measured on the maps shown, with the areas, the words, the
disagreement table and the thumbnails; a unit target is told why there is nothing to measure."""

import pytest

from tests.app.test_pages_render import open_page


@pytest.mark.slow
def test_measuring_the_maps_shows_curves_areas_words_and_thumbnails():
    at = open_page("attribution.py")
    at.button(key="faith_run").click().run(timeout=300)
    assert not at.exception, [e.value for e in at.exception]
    words = [i.value for i in at.info]
    assert any("most important 10 % of pixels drop 'tiger cat'" in w for w in words), words
    assert any("ROAD" in c.value for c in at.caption) and any("MetaQuantus" in c.value for c in at.caption)
    areas, places = at.dataframe[0].value, at.dataframe[1].value
    assert set(areas["Map"]) == {"Guided backprop", "Grad-CAM", "Saliency (gradient)", "Random map (3 seeds)"}
    assert list(areas["Deletion area ↓"]) == sorted(areas["Deletion area ↓"])  # best first
    assert list(places["By deletion"]) == [1, 2, 3, 4] and sorted(places["By insertion"]) == [1, 2, 3, 4]
    assert at.selectbox(key="faith_thumbs").value == "guided-backprop"  # the thumbnails of the first map
    at.number_input(key="faith_steps").set_value(10).run(timeout=120)
    assert not any("most important 10 %" in i.value for i in at.info)  # another setting: measured again on asking


@pytest.mark.slow
def test_a_unit_target_is_told_that_deletion_measures_a_class():
    at = open_page("attribution.py")
    at.segmented_control(key="attr_target_kind").set_value("a channel / unit").run(timeout=300)
    assert any("measure a class's probability" in i.value for i in at.info)
