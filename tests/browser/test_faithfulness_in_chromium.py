"""Is this map right? in chromium, normal and projected: the curves, the areas and the words for the sample cat,
with screenshots of the section to look at (the README's comes from the normal one)."""

import pytest

from tests.browser.conftest import STATE_TIMEOUT_MS


@pytest.mark.parametrize("mode", ["normal", "presentation"])
def test_the_cats_maps_are_measured_by_deletion_and_insertion(server, watched, artifacts, mode):
    query = "?present=1" if mode == "presentation" else ""
    watched.page.goto(f"{server.url}/attribution{query}")
    watched.wait_idle()
    watched.page.get_by_text("Is this map right?").click()
    watched.page.get_by_role("button", name="Measure the maps").click()
    watched.page.get_by_text("Where the metrics disagree").wait_for(timeout=STATE_TIMEOUT_MS)
    watched.wait_idle()
    section = watched.page.locator('[data-testid="stExpander"]').filter(has_text="Is this map right?")
    assert "most important 10 % of pixels drop 'tiger cat'" in section.inner_text()
    assert section.locator(".js-plotly-plot").count() == 1
    watched.page.wait_for_function(
        "() => [...document.querySelectorAll('.js-plotly-plot')].every(p => p.querySelector('.main-svg'))",
        timeout=STATE_TIMEOUT_MS)
    watched.page.set_viewport_size({"width": 1400, "height": 3000})  # the tables draw only when in view
    section.scroll_into_view_if_needed()
    watched.page.get_by_text("Deleted step by step").wait_for(timeout=STATE_TIMEOUT_MS)
    watched.wait_idle()
    section.screenshot(path=str(artifacts / f"faithfulness_{mode}.png"))
    exc = watched.page.locator('[data-testid="stException"]')
    assert exc.count() == 0 and watched.errors == [], watched.errors
