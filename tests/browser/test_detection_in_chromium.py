"""The Detection pages' pointer interactions that AppTest cannot do: drawing a scene, clicking a position."""

import re

from tests.browser.conftest import STATE_TIMEOUT_MS


def _wait_text(watched, text: str) -> None:
    watched.page.wait_for_function("t => document.body.innerText.includes(t)", arg=text, timeout=STATE_TIMEOUT_MS)


def _to_screen(chart, points: list[tuple[float, float]]) -> list[list[float]]:
    """Data coordinates of a plotly chart → page pixels."""
    return chart.evaluate(
        """(el, pts) => { const L = el._fullLayout; const r = el.getBoundingClientRect();
            return pts.map(p => [r.left + L.xaxis._offset + L.xaxis.l2p(p[0]),
                                 r.top + L.yaxis._offset + L.yaxis.l2p(p[1])]); }""", points)


def _drag(watched, chart, points: list[tuple[float, float]]) -> None:
    chart.scroll_into_view_if_needed()
    watched.page.wait_for_timeout(1000)  # plotly binds its drag handlers once drawn
    xy = _to_screen(chart, points)
    watched.page.mouse.move(*xy[0])
    watched.page.mouse.down()
    for x, y in xy[1:]:
        watched.page.mouse.move(x, y, steps=8)
    watched.page.mouse.up()


def test_digits_drawn_on_the_canvas_are_detected(server, watched, artifacts):
    watched.page.goto(f"{server.url}/digits")
    watched.wait_idle()
    watched.page.get_by_text("Draw", exact=True).click()
    _wait_text(watched, "0 stroke(s)")
    watched.wait_idle()
    seven = [(60, 20), (75, 20), (90, 20), (85, 32), (80, 44), (75, 55), (70, 65)]
    _drag(watched, watched.page.locator(".js-plotly-plot").first, seven)
    _wait_text(watched, "1 stroke(s)")
    watched.wait_idle()
    t = [i / 12 * 6.283 for i in range(13)]
    import math
    zero = [(40 + 12 * math.cos(a), 90 + 20 * math.sin(a)) for a in t]
    _drag(watched, watched.page.locator(".js-plotly-plot").first, zero)
    _wait_text(watched, "2 stroke(s)")
    watched.wait_idle()
    assert watched.page.locator('[data-testid="stException"]').count() == 0
    assert "strokes=" in watched.page.url  # the drawing travels in the link
    body = watched.page.inner_text("body")
    assert re.search(r"NMS kept \*?\*?[12]", body.replace("**", "")) or "NMS kept" in body
    watched.screenshot(artifacts / "digits_drawn_scene.png")
    watched.page.get_by_role("button", name="Undo").click()
    _wait_text(watched, "1 stroke(s)")
    watched.wait_idle()


def test_clicking_a_position_on_the_photo_shows_its_anchors(server, watched, artifacts):
    watched.page.goto(f"{server.url}/detectors")
    watched.wait_idle()
    _wait_text(watched, "Anchors at a position")
    watched.wait_idle()
    chart = watched.page.locator(".js-plotly-plot").first
    chart.scroll_into_view_if_needed()
    watched.page.wait_for_timeout(1500)  # plotly finishes drawing before it reports clicks
    target = chart.evaluate("el => [el.calcdata[1][40].x, el.calcdata[1][40].y]")  # a position dot
    xy = _to_screen(chart, [tuple(target)])[0]
    watched.page.mouse.click(*xy)
    _wait_text(watched, f"({target[0]:.0f}, {target[1]:.0f}) px in the photo")
    watched.wait_idle()
    assert watched.page.locator('[data-testid="stException"]').count() == 0
    assert "at=" in watched.page.url
    watched.screenshot(artifacts / "photo_detectors_anchors_clicked.png")
