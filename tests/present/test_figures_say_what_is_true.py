"""Figures that tell the truth: −∞ padding drawn as −∞, the leaky side of leaky ReLU, names not numbers, round ticks."""

import numpy as np
import pytest

from cnnviz.grids.pool import PoolConfig, pool2d
from cnnviz.networks.network import get
from cnnviz.networks.probe import Prediction, layers
from cnnviz.present.figures import (
    activation_figure,
    get_style,
    pool_step_figure,
    predictions_figure,
    receptive_field_figure,
    training_curves,
)


def _cell_texts(fig) -> set[str]:
    return {t for d in fig.data if d.type == "scatter" and d.mode == "markers+text" for t in d.text if t}


def test_max_pooling_padding_is_drawn_and_written_as_minus_infinity():
    r = pool2d(np.arange(1, 17, dtype=float).reshape(4, 4), PoolConfig((3, 3), (2, 2), (1, 1), "max"))
    step = r.step(0)
    assert "−∞" in _cell_texts(pool_step_figure(r, step, get_style(False))) and "0" not in _cell_texts(
        pool_step_figure(r, step, get_style(False)))
    assert step.expression() == "max(−∞, −∞, −∞, −∞, 1, 2, −∞, 5, 6) = 6"
    avg = pool2d(np.ones((4, 4)), PoolConfig((3, 3), (2, 2), (1, 1), "avg"))
    assert "0" in _cell_texts(pool_step_figure(avg, avg.step(0), get_style(False)))  # average pooling counts zeros


@pytest.mark.parametrize("slope", [0.01, 0.3, 1.0])
def test_leaky_relu_plot_shows_its_negative_side_and_names_the_slope(slope):
    fig = activation_figure("leaky_relu", slope=slope, x_range=10.0, points=np.array([-10.0, 4.0]))
    lo, hi = fig.layout.yaxis.range
    assert lo <= -10 * slope and hi >= 10
    assert any(f"slope α = {slope:g}" in a.text for a in fig.layout.annotations)


def test_digit_classes_are_categories_not_a_numeric_axis():
    fig = predictions_figure([Prediction("7", 7, 0.9), Prediction("1", 1, 0.05)])
    assert fig.layout.yaxis.type == "category"
    assert list(fig.layout.xaxis.tickvals) == [0, 0.25, 0.5, 0.75, 1.0]


def test_accuracy_axes_run_from_0_to_100_percent_in_round_steps():
    fig = training_curves([{"epoch": 1, "loss": 2.0, "train_acc": 0.14, "heldout_acc": 0.12},
                           {"epoch": 2, "loss": 0.5, "train_acc": 0.82, "heldout_acc": 0.81}], get_style(False))
    assert tuple(fig.layout.yaxis2.range) == (0, 1) and list(fig.layout.yaxis2.tickvals) == [0, 0.25, 0.5, 0.75, 1.0]


def test_receptive_field_log_axis_has_plain_round_labels():
    fig = receptive_field_figure(layers(get("lenet5")))
    assert fig.layout.yaxis.type == "log"
    assert list(fig.layout.yaxis.ticktext)[:4] == ["1", "2", "5", "10"]


def test_a_big_grid_shows_the_part_around_its_step_with_whole_grid_coordinates_and_colours():
    from cnnviz.present.colours import colour_range
    from cnnviz.present.figures import FOCUS, Panel, focused, grid_figure

    vals = np.arange(32 * 32, dtype=float).reshape(32, 32)
    panel = Panel("input", vals, outlines=[([(20, 21), (22, 23)], "#000")], click_kind="input")
    (crop,) = focused([panel])
    assert crop.values.shape == (FOCUS, FOCUS) and crop.full_shape == (32, 32)
    r0, c0 = crop.origin
    assert r0 <= 20 and 22 < r0 + FOCUS and c0 <= 21 and 23 < c0 + FOCUS
    assert crop.values[20 - r0, 21 - c0] == vals[20, 21] and crop.outlines[0][0][0] == (20 - r0, 21 - c0)
    assert crop.zrange == colour_range(vals, None)  # the whole grid's colour scale
    fig = grid_figure([panel], get_style(False))
    assert fig.layout.xaxis.ticktext[0] == str(c0) and "of 32×32" in fig.layout.annotations[0].text
    clicks = next(d for d in fig.data if d.type == "scatter").customdata
    assert ["input", r0, c0] in [list(c) for c in clicks]  # a click reports the whole grid's row and column
    small = Panel("kernel", np.ones((5, 5)))
    assert focused([small]) == [small]


def test_one_colour_policy_signed_diverging_one_signed_sequential_with_a_bar_that_says_so():
    from cnnviz.networks.probe import montage
    from cnnviz.present.colours import legend_bar, to_rgb

    fmap = np.stack([np.full((4, 4), 2.0), np.linspace(-1, 3, 16).reshape(4, 4)])  # one channel has negatives
    img = montage(fmap, scale="channel", cmap="Viridis", diverging="RdBu", min_tile=4, gap=0)
    # the all-positive channel is drawn on the diverging map too (never a mix of maps in one montage)
    assert tuple(img[0, 0]) == tuple(to_rgb(np.array([[2.0]]), "RdBu", -2.0, 2.0)[0, 0])
    bar, text = legend_bar(fmap, "channel", "Viridis", "RdBu")
    assert bar.shape[1] == 320 and "RdBu, diverging: each channel" in text and "0 (white)" in text
    _, text = legend_bar(np.abs(fmap), "layer", "Viridis", "RdBu")
    assert text == "Viridis, sequential, one scale for the layer: 0.0667 (left) → 3 (right)"


def test_every_grid_panel_shows_its_colour_bar():
    from cnnviz.present.figures import Panel, grid_figure

    fig = grid_figure([Panel("input", np.arange(9.0).reshape(3, 3)), Panel("kernel", np.array([[1.0, -1.0]]))])
    heatmaps = [d for d in fig.data if d.type == "heatmap" and d.showscale]
    assert len(heatmaps) == 2 and heatmaps[1].zmin == -heatmaps[1].zmax  # signed: centred at 0


@pytest.mark.parametrize("presentation", [False, True])
def test_every_number_on_a_grid_cell_has_at_least_4_5_to_1_contrast(presentation):
    from cnnviz.present.colours import contrast_ratio, rgb_on_scale
    from cnnviz.present.figures import Panel, grid_figure

    sty = get_style(presentation)
    rng = np.random.default_rng(0)
    values = [rng.normal(0, 3, (6, 6)), rng.uniform(0, 9, (6, 6)), np.linspace(-1, 1, 36).reshape(6, 6)]
    fig = grid_figure([Panel(f"p{i}", v) for i, v in enumerate(values)], sty)
    heat = [d for d in fig.data if d.type == "heatmap"]
    texts = [d for d in fig.data if d.type == "scatter" and d.mode == "markers+text"]
    assert len(heat) == len(texts) == 3
    for h, t in zip(heat, texts):
        z = np.array(h.z, dtype=float).ravel()
        bg = rgb_on_scale(z, [list(s) for s in h.colorscale], h.zmin, h.zmax)
        ink = np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] for c in t.textfont.color], dtype=float)
        assert contrast_ratio(bg, ink).min() >= 4.5


@pytest.mark.parametrize("shape", [(1, 1), (3, 3), (5, 5), (7, 7), (8, 8), (9, 9), (12, 12), (16, 16), (32, 32),
                                   (1, 20), (20, 3)])
@pytest.mark.parametrize("cell_px", [None, 34])
def test_projected_grid_numbers_are_at_least_18_px_and_the_figure_fits_its_height(shape, cell_px):
    from cnnviz.present.figures import PROJECTED_HEIGHT, Panel, grid_figure

    rng = np.random.default_rng(sum(shape))
    x = rng.integers(-9, 10, shape).astype(float)
    r, c = shape[0] // 2, shape[1] // 2
    panels = [Panel("input", x, outlines=[([(r, c)], "#E69F00")]), Panel("kernel", rng.normal(size=(3, 3))),
              Panel("output", x[: max(1, shape[0] - 2), : max(1, shape[1] - 2)])]
    fig = grid_figure(panels, get_style(True), cell_px=cell_px)
    sizes = [d.textfont.size for d in fig.data if d.text is not None]
    assert sizes and min(sizes) >= 18
    assert fig.layout.height <= PROJECTED_HEIGHT or cell_px is not None
    rows = len(fig.data[0].z)  # the input's heat map
    if rows < shape[0]:  # a cropped grid says so in its title (rows a–b, columns c–d of H×W)
        assert any(f"of {shape[0]}×{shape[1]}" in a.text for a in fig.layout.annotations)
    on_screen = grid_figure(panels, get_style(False), cell_px=cell_px)  # on screen nothing changed
    assert len(on_screen.data[0].z) == min(shape[0], 15)


@pytest.mark.parametrize("top", [0.0123, 0.276, 0.83, 1.0, 2.3, 17.0])
def test_a_loss_axis_beside_a_percent_axis_has_round_ticks_from_zero_that_cover_the_curve(top):
    from cnnviz.present.figures import round_ticks

    vals = round_ticks(top)["tickvals"]
    step = vals[1] - vals[0]
    mantissa = step / 10 ** np.floor(np.log10(step))
    assert vals[0] == 0 and vals[-1] >= top and 2 <= len(vals) <= 6
    assert any(np.isclose(mantissa, m) for m in (1, 2, 2.5, 5))


def test_the_training_chart_loss_axis_is_round_not_the_percent_axis_gridlines():
    from cnnviz.present.colours import style
    from cnnviz.present.figures import training_curves

    fig = training_curves([{"epoch": e, "loss": 0.83 / e, "train_acc": 0.9, "heldout_acc": 0.88} for e in (1, 2, 3)],
                          style(False))
    assert list(fig.layout.yaxis.tickvals) == [0.0, 0.25, 0.5, 0.75, 1.0]


def test_box_labels_are_placed_where_no_two_overlap():
    from cnnviz.present.detection_figures import _overlap, _rect, label_size, place_labels

    rng = np.random.default_rng(0)
    for _ in range(50):
        n = int(rng.integers(2, 9))
        corner = rng.uniform(0, 60, (n, 2))
        boxes = [(x, y, x + rng.uniform(10, 40), y + rng.uniform(10, 40)) for x, y in corner]
        texts = [f"#{k} IoU 0.{k}5 > 0.5" for k in range(n)]
        spots = place_labels(boxes, texts, 4.0, 12)
        rects = [_rect(s, label_size(t, 4.0, 12)) for s, t in zip(spots, texts, strict=True)]
        assert not any(_overlap(a, b) for i, a in enumerate(rects) for b in rects[i + 1:])


def test_bubble_labels_avoid_each_other_and_the_other_bubbles():
    from cnnviz.present.figures import text_positions

    pts = [(100, 100), (120, 105), (140, 98), (400, 300)]
    pos = text_positions(pts, ["EfficientNet-Lite0", "EfficientNet-Lite1", "EfficientNet-Lite2", "VGG"], [6] * 4, 12)
    assert len(set(pos[:3])) >= 2 and pos[3] == "top center"
