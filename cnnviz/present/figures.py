"""Plotly figures for grids, steps and activation curves.

Grids are heat-maps with the numbers written in each cell; an almost invisible
scatter of squares sits on top so that a click on a cell is reported (plotly reports
no clicks on heat-map cells). Each clickable point carries customdata
[panel, row, col] with unpadded input coordinates.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace

import numpy as np
import plotly.graph_objects as go

from cnnviz.caching import KeyedCache
from cnnviz.grids.activations import (
    INFO,
    activation_derivative,
    apply_activation,
    saturation_threshold,
)
from cnnviz.grids.conv import ConvResult, ConvStep
from cnnviz.grids.pool import PoolResult, PoolStep
from cnnviz.present.colours import Style, colour_range, plotly_scale
from cnnviz.present.colours import style as get_style
from cnnviz.present.number_format import fmt

Cell = tuple[int, int]


FIGURES_KEPT = 128  # built figures shared by every session (a class looks at the same things)
_figures = KeyedCache(FIGURES_KEPT)
HiddenSpec = tuple[tuple[str, tuple[Cell, ...]], ...]
_HIDDEN: ContextVar[HiddenSpec | None] = ContextVar("cnnviz_hidden_cells", default=None)
_BLANK: ContextVar[HiddenSpec | None] = ContextVar("cnnviz_blank_cells", default=None)


@contextmanager
def hiding(spec: HiddenSpec | None, blank: HiddenSpec | None = None) -> Iterator[None]:
    """While a learner predicts a step, every grid drawn in this block shows '?' in the cells that hold the answer
    and nothing in the cells of steps not reached yet ((panel title prefix, cells) in whole-grid coordinates). A
    context, not a parameter: each stepper's view draws its figures as always, and predict mode works the same on
    all of them."""
    token, blank_token = _HIDDEN.set(spec), _BLANK.set(blank or None)
    try:
        yield
    finally:
        _HIDDEN.reset(token)
        _BLANK.reset(blank_token)


def answer_hidden() -> bool:
    """True while the current step's answer is hidden (a view then leaves out its arithmetic)."""
    return _HIDDEN.get() is not None


def results_held() -> bool:
    """True while any value of the stepped result is held back: its exports would give the answers away."""
    return _HIDDEN.get() is not None or _BLANK.get() is not None


def _cells_of(spec: HiddenSpec | None, p: Panel) -> list[Cell]:
    return [c for prefix, cs in spec or () if p.title.startswith(prefix) for c in cs]


def hide_answers(panels: Sequence[Panel]) -> list[Panel]:
    """The panels with the hidden cells' values replaced by NaN (drawn '?', no colour) and the cells of steps not
    reached yet by NaN marked blank (drawn empty), colour scales unchanged (the whole grid's)."""
    out = []
    for p in panels:
        cells, later = _cells_of(_HIDDEN.get(), p), _cells_of(_BLANK.get(), p)
        if not cells and not later:
            out.append(p)
            continue
        vals = np.array(p.values, dtype=float, copy=True)
        mask = p.pad_mask if p.pad_mask is not None else np.zeros_like(vals, dtype=bool)
        zrange = p.zrange or colour_range(vals[~mask] if (~mask).any() else vals, p.signed)
        blank = np.zeros(vals.shape, dtype=bool)
        for marks, spec in ((None, cells), (blank, later)):
            for r, c in spec:
                lr, lc = r - p.origin[0], c - p.origin[1]
                if 0 <= lr < vals.shape[0] and 0 <= lc < vals.shape[1]:
                    vals[lr, lc] = np.nan
                    if marks is not None:
                        marks[lr, lc] = True
        out.append(replace(p, values=vals, zrange=zrange, blank=blank if blank.any() else None))
    return out


PICTURES_KEPT = 64  # montages and overlays shared by the class (the same photo, layer and settings)
_pictures = KeyedCache(PICTURES_KEPT)


def shared_picture(key: tuple, make: Callable[[], np.ndarray]) -> np.ndarray:
    """A picture (an RGB array: a montage, an overlay) built once per key for the whole process; read-only."""
    return _pictures.get(key, make)


def shared_figure(key: tuple, make: Callable[[], go.Figure]) -> go.Figure:
    """A figure built once per key for the whole process (plotly construction is most of a page's CPU time).

    The key must name everything the figure shows (inputs, selection, style); callers never modify it.
    Its plain-dict form is also made once: st.plotly_chart deep-copies a figure into a dict on every
    call, and that copy was the largest cost left on the Networks page with a class on it.
    """
    held = (("hidden", _HIDDEN.get(), _BLANK.get()),) if results_held() else ()
    return _figures.get(key + held, lambda: _prepared(make()))


def _prepared(fig: go.Figure) -> go.Figure:
    as_dict = fig.to_dict()
    fig.to_dict = lambda: as_dict  # type: ignore[method-assign]  # read-only from here on
    return fig

@dataclass
class Panel:
    """One grid of a multi-grid figure."""

    title: str
    values: np.ndarray  # [H, W]
    pad_mask: np.ndarray | None = None
    outlines: Sequence[tuple[Sequence[Cell], str]] = ()
    fills: Sequence[tuple[Sequence[Cell], str]] = ()
    click_kind: str | None = None  # "input" | "output" | None
    row_offset: int = 0  # subtract from the row index to report unpadded coordinates
    col_offset: int = 0
    signed: bool | None = None
    origin: Cell = (0, 0)  # where a focused (cropped) panel starts in the whole grid
    full_shape: tuple[int, int] | None = None  # the whole grid's shape, when focused
    zrange: tuple[float, float, str] | None = None  # colour range of the whole grid, when focused
    blank: np.ndarray | None = None  # cells of steps not reached yet, drawn empty (set by `hide_answers`)


FOCUS = 15  # the most cells per side a grid figure draws: a big grid shows the window around the current step


def focused(panels: Sequence[Panel], limit: int = FOCUS) -> list[Panel]:
    """Each panel larger than `limit` cells per side cropped to `limit` around its highlighted cells.

    A 32×32×3 input with 10 filters is 10,240 numbers: drawn whole it took the browser about a
    minute. What a step needs is its window and its neighbourhood; the colour scale and the
    coordinates (ticks, hover, clicks) stay those of the whole grid, and the title says which part shows.
    """
    out = []
    for p in panels:
        vals = np.asarray(p.values, dtype=float)
        h, w = vals.shape
        if max(h, w) <= limit:
            out.append(p)
            continue
        marked = [c for cells, _ in list(p.outlines) + list(p.fills) for c in cells]
        cr, cc = (np.mean([r for r, _ in marked]), np.mean([c for _, c in marked])) if marked else (0, 0)
        lh, lw = min(h, limit), min(w, limit)
        r0 = int(np.clip(round(cr - lh / 2 + 0.5), 0, h - lh))
        c0 = int(np.clip(round(cc - lw / 2 + 0.5), 0, w - lw))
        mask = p.pad_mask if p.pad_mask is not None else np.zeros_like(vals, dtype=bool)
        zrange = colour_range(vals[~mask] if (~mask).any() else vals, p.signed)

        def inside(cells, r0=r0, c0=c0, lh=lh, lw=lw):
            return [(r - r0, c - c0) for r, c in cells if r0 <= r < r0 + lh and c0 <= c < c0 + lw]

        rows = f"rows {r0 - p.row_offset}–{r0 + lh - 1 - p.row_offset}"
        cols = f"columns {c0 - p.col_offset}–{c0 + lw - 1 - p.col_offset}"
        out.append(Panel(f"{p.title}<br>({rows}, {cols} of {h}×{w})", vals[r0:r0 + lh, c0:c0 + lw],
                         None if p.pad_mask is None else p.pad_mask[r0:r0 + lh, c0:c0 + lw],
                         [(inside(cells), colour) for cells, colour in p.outlines],
                         [(inside(cells), colour) for cells, colour in p.fills],
                         p.click_kind, p.row_offset, p.col_offset, p.signed, (r0, c0), (h, w), zrange))
    return out


def number_colours(values: np.ndarray, scale: list[list], zmin: float, zmax: float) -> np.ndarray:
    """Black or white for the number on each cell, whichever contrasts more with the cell's colour.

    The better of the two is always at least 4.58 : 1 (WCAG AA asks 4.5 : 1), whatever the colour;
    plotly's automatic choice (dark grey or white) fell to 3.2 : 1 on mid-range Cividis cells.
    """
    from cnnviz.present.colours import black_ink, rgb_on_scale

    rgb = rgb_on_scale(np.nan_to_num(np.asarray(values, dtype=float), nan=zmin), scale, zmin, zmax)
    return np.where(black_ink(rgb), "#000000", "#FFFFFF")


def cell_labels(values: np.ndarray, blank: np.ndarray | None = None, digits: int | None = None) -> np.ndarray:
    """Each cell's number; '?' where the answer is hidden, nothing where the step is not reached (`hide_answers`)."""
    labels = np.vectorize(lambda v: "?" if np.isnan(v) else fmt(v) if digits is None else fmt(v, digits),
                          otypes=[str])(values)
    return labels if blank is None else np.where(blank, "", labels)


PERCENT_TICKS = {"tickmode": "array", "tickvals": [0, 0.25, 0.5, 0.75, 1.0]}  # 0–100 % in round steps


TEXT_SPOTS = {  # plotly textposition → where the label's box sits relative to the point (dx, dy in label sizes)
    "top center": (-0.5, -1.0), "bottom center": (-0.5, 0.0), "middle right": (0.0, -0.5), "middle left": (-1.0, -0.5),
    "top right": (0.0, -1.0), "top left": (-1.0, -1.0), "bottom right": (0.0, 0.0), "bottom left": (-1.0, 0.0)}


def text_positions(points: Sequence[tuple[float, float]], texts: Sequence[str], radii: Sequence[float],
                   font_px: float) -> list[str]:
    """A textposition for each point's label (points and radii in screen pixels, y down) so that no label overlaps
    another label or another point's marker: the first free of top, bottom, right, left and the corners."""
    def box(i: int, pos: str) -> tuple[float, float, float, float]:
        (x, y), r = points[i], radii[i]
        w, h = len(texts[i]) * 0.6 * font_px + 4, 1.3 * font_px
        fx, fy = TEXT_SPOTS[pos]
        gap_x = r if fx in (0.0, -1.0) and pos.startswith("middle") else 0.0
        left = x + fx * w + (gap_x if fx == 0.0 else -gap_x)
        top = y + fy * h + (-r if fy == -1.0 else r if fy == 0.0 else 0.0)
        return left, top, left + w, top + h

    def hits(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
        return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]

    markers = [(x - r, y - r, x + r, y + r) for (x, y), r in zip(points, radii, strict=True)]
    placed: list[tuple[float, float, float, float]] = []
    out = []
    for i in range(len(points)):
        others = [m for j, m in enumerate(markers) if j != i]
        pos = next((p for p in TEXT_SPOTS if not any(hits(box(i, p), o) for o in placed + others)), "top center")
        placed.append(box(i, pos))
        out.append(pos)
    return out


BUBBLE_PLOT_WIDTH_PX = 900  # about a wide chart's plotting width on a laptop (labels are placed for it, or wider)


def bubble_label_positions(macs: Sequence[float], top1: Sequence[float], names: Sequence[str], sizes: Sequence[float],
                           x_range: tuple[float, float], y_range: tuple[float, float], height: int,
                           font: int) -> list[str]:
    """Each bubble's label (log-x multiply-adds, linear-y accuracy) placed where it hides no other label or bubble,
    in the chart's pixels."""
    plot_h = height - 70
    pts = [((math.log10(m) - x_range[0]) / (x_range[1] - x_range[0]) * BUBBLE_PLOT_WIDTH_PX,
            (y_range[1] - t) / (y_range[1] - y_range[0]) * plot_h) for m, t in zip(macs, top1, strict=True)]
    return text_positions(pts, list(names), [s / 2 for s in sizes], font)


def _finite_max(values) -> float:
    finite = [float(v) for v in values if v is not None and np.isfinite(v)]
    return max(finite, default=0.0)


def round_ticks(top: float, most: int = 5) -> dict:
    """Axis ticks from 0 at a round step (1, 2 or 5 × a power of ten) covering `top`: a second axis drawn over a
    percent axis would otherwise take its gridlines' odd values (0.276, 0.552, 0.828)."""
    if not np.isfinite(top) or top <= 0:
        return {}
    raw = top / max(1, most - 1)
    power = 10 ** np.floor(np.log10(raw))
    step = float(next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw))
    count = int(np.ceil(top / step - 1e-9)) + 1
    vals = [round(k * step, 10) for k in range(count)]  # floats: the figure is JSON
    return {"tickmode": "array", "tickvals": vals, "range": [0, vals[-1] * 1.02]}
LOG_TICKS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000)  # a log axis read without decoding

PROJECTED_HEIGHT = 400  # px: the tallest grid figure in presentation mode (a step view is one 720-px screen)
PROJECTED_DIGITS = 18  # px: a grid's numbers read from the back of a room, whatever the grid's size
PROJECTED_CELL = 35  # px: the smallest projected cell, where a 4-character number at 18 px ("−0.5") still fits
APP_FONT = '"Source Sans Pro", "Source Sans 3", sans-serif'  # Streamlit's own, loaded by its page


def _sized(panels: Sequence[Panel], st: Style, cell_px: int | None) -> tuple[list[Panel], int, int, int]:
    """(panels as drawn, cell px, number px, px above and below the cells).

    Projected, numbers are never under PROJECTED_DIGITS px: cells never under PROJECTED_CELL, and a grid with more
    rows than then fit PROJECTED_HEIGHT shows the window around its step (as `focused` does for any grid over FOCUS).
    """
    limit = FOCUS
    while True:
        shown = hide_answers(focused(panels, limit))
        rows = max(p.values.shape[0] for p in shown)
        title_lines = max((p.title.count("<br>") + 1 for p in shown), default=1)
        # titles and column numbers above, colour bars below
        chrome = (125 if st.presentation else 150) + (title_lines - 1) * (st.font_size + 4)
        if not st.presentation:
            cell = cell_px or 42
            return shown, cell, min(st.cell_font_size, max(8, int(cell * 0.42))), chrome
        cell = max(cell_px or int(np.clip((PROJECTED_HEIGHT - chrome) / max(rows, 3), PROJECTED_CELL, 58)),
                   PROJECTED_CELL)
        if max(rows, 3) * cell + chrome <= PROJECTED_HEIGHT or limit <= 3:
            return shown, cell, max(PROJECTED_DIGITS, min(st.cell_font_size, int(cell * 0.42))), chrome
        limit = min(limit, rows) - 1


def grid_figure(panels: Sequence[Panel], st: Style | None = None, cell_px: int | None = None) -> go.Figure:
    """Panels side by side, each an annotated heat-map, equal cell sizes across panels.

    Built as a plain dict and wrapped without plotly's per-property validation: a 16×16
    step view is redrawn on every click, and validation made it ~25× slower.
    """
    st = st or get_style(False)
    panels, cell, cell_font, chrome = _sized(panels, st, cell_px)
    widths = [p.values.shape[1] for p in panels]
    rows = max(p.values.shape[0] for p in panels)
    spacing = 0.06
    usable = 1 - spacing * (len(panels) - 1)
    data: list[dict] = []
    shapes: list[dict] = []
    annotations: list[dict] = []
    layout: dict = {}
    x0 = 0.0
    for k, p in enumerate(panels, start=1):
        x1 = min(x0 + usable * p.values.shape[1] / sum(widths), 1.0)
        xa, ya = ("x", "y") if k == 1 else (f"x{k}", f"y{k}")
        data += _panel_traces(p, xa, ya, (x0, x1), st, cell, cell_font)
        shapes += _panel_shapes(p, xa, ya, st)
        x_axis, y_axis = _panel_axes(p, xa, ya, (x0, x1), st)
        layout["xaxis" if k == 1 else f"xaxis{k}"], layout["yaxis" if k == 1 else f"yaxis{k}"] = x_axis, y_axis
        annotations.append({"text": p.title, "x": (x0 + x1) / 2, "y": 1, "xref": "paper", "yref": "paper",
                            "xanchor": "center", "yanchor": "bottom", "showarrow": False,
                            "yshift": st.font_size + 12,
                            "font": {"size": st.font_size}})
        x0 = x1 + spacing
    # Drawn with Streamlit's chart theme off (theming again cost a third of each step's redraw in the
    # browser): the figure names the app's font and sets every colour itself.
    layout.update(height=max(rows, 3) * cell + chrome, margin={"l": 30, "r": 10, "t": chrome - 50, "b": 50},
                  font={"size": st.font_size, "family": APP_FONT, "color": "#31333F"}, plot_bgcolor=st.background, paper_bgcolor=st.background,
                  clickmode="event+select", dragmode=False, hovermode="closest", showlegend=False,
                  shapes=shapes, annotations=annotations)
    return go.Figure({"data": data, "layout": layout}, _validate=False)


def _mask(p: Panel) -> np.ndarray:
    return p.pad_mask if p.pad_mask is not None else np.zeros(np.shape(p.values), dtype=bool)


def _panel_traces(p: Panel, xa: str, ya: str, span: tuple[float, float], st: Style, cell: float,
                  cell_font: float) -> list[dict]:
    """A panel's heat map with its colour bar, the padding's own grey heat map, and the numbers as a clickable
    scatter (each cell's number in the ink that reads on its colour)."""
    vals = np.asarray(p.values, dtype=float)
    h, w = vals.shape
    mask = _mask(p)
    zmin, zmax, kind = p.zrange or colour_range(vals[~mask] if (~mask).any() else vals, p.signed)
    scale = plotly_scale(st.diverging if kind == "diverging" else st.sequential)
    labels = cell_labels(vals, p.blank)
    common = {"xaxis": xa, "yaxis": ya, "showscale": False, "xgap": st.grid_gap, "ygap": st.grid_gap,
              "hoverinfo": "skip"}  # the numbers are drawn by the scatter below, each in its own colour
    z = vals.astype(object)
    z[mask | np.isnan(vals)] = None  # padding cells are drawn by the second heat map; hidden ones not at all
    x0, x1 = span
    bar = {"orientation": "h", "x": (x0 + x1) / 2, "xanchor": "center", "y": -0.02, "yanchor": "top",
           "len": max(x1 - x0, 0.12), "thickness": 10, "outlinewidth": 0,
           "tickfont": {"size": st.font_size - 4}, "nticks": 5 if kind == "sequential" else 3}
    data: list[dict] = [{"type": "heatmap", "z": z.tolist(), "zmin": zmin, "zmax": zmax,
                         "colorscale": scale, "text": np.where(mask, "", labels).tolist(),
                         "textfont": {"size": cell_font}, **common,
                         "showscale": True, "colorbar": bar}]  # every grid says what its colours mean
    if mask.any():
        pad_z = np.full(mask.shape, None, dtype=object)
        pad_z[mask] = 0.0
        data.append({"type": "heatmap", "z": pad_z.tolist(),
                     "colorscale": [[0, st.padding_colour], [1, st.padding_colour]],
                     "text": np.where(mask, labels, "").tolist(),
                     "textfont": {"size": cell_font, "color": st.padding_text}, **common})
    rr, cc = np.mgrid[0:h, 0:w]
    rr, cc = rr.ravel(), cc.ravel()
    real = ~mask.ravel()
    o_r, o_c = p.origin[0] - p.row_offset, p.origin[1] - p.col_offset  # local cell → whole-grid coordinate
    hover = [f"row {r + o_r}, col {c + o_c}: {labels[r, c]}" if m else f"padding: {labels[r, c]}"
             for r, c, m in zip(rr, cc, real)]
    ink = np.where(mask, st.padding_text, np.where(np.isnan(vals), st.text_colour,
                                                   number_colours(vals, scale, zmin, zmax))).ravel()
    data.append({"type": "scatter", "xaxis": xa, "yaxis": ya, "x": cc.tolist(), "y": rr.tolist(),
                 "mode": "markers+text", "text": labels.ravel().tolist(), "textposition": "middle center",
                 "textfont": {"size": cell_font, "color": ink.tolist()},
                 "marker": {"symbol": "square", "size": cell * 0.8, "opacity": 0.01, "color": "#000000"},
                 "selected": {"marker": {"opacity": 0.01}}, "unselected": {"marker": {"opacity": 0.01}},
                 "customdata": [[p.click_kind or "", int(r + o_r), int(c + o_c)] for r, c in zip(rr, cc)],
                 "hovertext": hover, "hoverinfo": "text", "showlegend": False, "name": p.click_kind or p.title})
    return data


def _panel_shapes(p: Panel, xa: str, ya: str, st: Style) -> list[dict]:
    """The panel's filled cells (translucent) and outlined cells (windows, the current cell)."""
    shapes = [{"type": "rect", "xref": xa, "yref": ya, "x0": c - 0.5, "x1": c + 0.5, "y0": r - 0.5,
               "y1": r + 0.5, "line": {"width": 0}, "fillcolor": colour, "opacity": 0.35, "layer": "above"}
              for cells, colour in p.fills for (r, c) in cells]
    return shapes + [{"type": "rect", "xref": xa, "yref": ya, "x0": c - 0.46, "x1": c + 0.46, "y0": r - 0.46,
                      "y1": r + 0.46, "line": {"color": colour, "width": st.outline_width}, "layer": "above"}
                     for cells, colour in p.outlines for (r, c) in cells]


def _panel_axes(p: Panel, xa: str, ya: str, span: tuple[float, float], st: Style) -> tuple[dict, dict]:
    """The panel's x and y axes: square cells, row and column numbers of the whole grid (padding marked)."""
    h, w = np.shape(p.values)
    padded = p.pad_mask is not None
    full_h, full_w = p.full_shape or (h, w)
    n_real_c, n_real_r = full_w - 2 * p.col_offset, full_h - 2 * p.row_offset
    tick_font = {"size": st.font_size - 4}
    x_axis = {"domain": list(span), "anchor": ya, "range": [-0.5, w - 0.5], "showgrid": False, "zeroline": False,
              "tickmode": "array", "tickvals": list(range(w)),
              "ticktext": [_tick(c + p.origin[1], p.col_offset, n_real_c, padded) for c in range(w)], "side": "top",
              "ticks": "", "tickfont": tick_font, "constrain": "domain"}
    y_axis = {"domain": [0, 1], "anchor": xa, "range": [h - 0.5, -0.5], "showgrid": False, "zeroline": False,
              "tickmode": "array", "tickvals": list(range(h)),
              "ticktext": [_tick(r + p.origin[0], p.row_offset, n_real_r, padded) for r in range(h)], "ticks": "",
              "scaleanchor": xa, "scaleratio": 1, "constrain": "domain", "tickfont": tick_font}
    return x_axis, y_axis


def _tick(i: int, offset: int, n_real: int, padded: bool) -> str:
    if not padded:
        return str(i)
    j = i - offset
    return str(j) if 0 <= j < n_real else "·"


def conv_step_panels(result: ConvResult, step: ConvStep, st: Style, channel: int = 0,
                     selected_input: Cell | None = None) -> list[Panel]:
    """Padded input with the window, the kernel as applied, and the output with the current cell."""
    pad = result.padding
    window = [(t.row, t.col) for t in step.terms if t.channel == channel]
    in_outlines: list = [(window, st.window_colour)]
    out_fills: list = []
    if selected_input is not None:
        r, c = selected_input
        in_outlines.append(([(r + pad.top, c + pad.left)], st.feed_colour))
        out_fills.append((result.outputs_fed_by(r, c), st.feed_colour))
    multi = result.input.shape[0] > 1
    kname = "kernel (flipped 180°)" if result.config.flip else "kernel"
    panels = [
        Panel(f"input{f' channel {channel}' if multi else ''} (padded)" if not pad.is_zero else
              f"input{f' channel {channel}' if multi else ''}",
              result.padded[channel], result.pad_mask if not pad.is_zero else None, in_outlines,
              click_kind="input", row_offset=pad.top, col_offset=pad.left),
        Panel(f"{kname}{f' {step.filter}, slice {channel}' if multi else ''}",
              result.applied_kernel[step.filter, channel], outlines=[], signed=True),
        Panel(f"output{f' {step.filter}' if result.output.shape[0] > 1 else ''}"
              + (f" ({result.config.activation})" if result.config.activation != "none" else ""),
              result.output[step.filter], outlines=[([(step.out_row, step.out_col)], st.target_colour)],
              fills=out_fills, click_kind="output"),
    ]
    return panels


def retitled(panels: list[Panel], *titles: str) -> list[Panel]:
    """The same panels under new titles (views that reuse the forward step panels for another role)."""
    for panel, title in zip(panels, titles):
        panel.title = title
    return panels


def conv_step_figure(result: ConvResult, step: ConvStep, st: Style | None = None, channel: int = 0,
                     selected_input: Cell | None = None) -> go.Figure:
    st = st or get_style(False)
    return grid_figure(conv_step_panels(result, step, st, channel, selected_input), st)


def pool_step_panels(result: PoolResult, step: PoolStep, st: Style) -> list[Panel]:
    ph, pw = result.config.padding
    outlines = [(list(step.cells), st.window_colour)]
    fills = []
    if step.chosen is not None:
        fills.append(([step.cells[step.chosen]], st.target_colour))
    multi = result.output.shape[0] > 1
    suffix = f" channel {step.channel}" if multi else ""
    panels = [
        Panel(f"input{suffix}" + (" (padded)" if ph or pw else ""), result.padded[step.channel],
              result.pad_mask if (ph or pw) else None, outlines, fills, click_kind="input", row_offset=ph, col_offset=pw),
        Panel(f"{result.config.mode} pool output{suffix}", result.output[step.channel],
              outlines=[([(step.out_row, step.out_col)], st.target_colour)], click_kind="output"),
    ]
    return panels


def pool_step_figure(result: PoolResult, step: PoolStep, st: Style | None = None) -> go.Figure:
    st = st or get_style(False)
    return grid_figure(pool_step_panels(result, step, st), st)


def single_grid_figure(values: np.ndarray, title: str, st: Style | None = None, signed: bool | None = None) -> go.Figure:
    return grid_figure([Panel(title, np.atleast_2d(values), signed=signed)], st)


def activation_figure(name: str, st: Style | None = None, slope: float = 0.01, x_range: float = 6.0,
                      points: np.ndarray | None = None) -> go.Figure:
    """The function and its derivative, saturated regions shaded, grid values as dots."""
    st = st or get_style(False)
    xs = np.linspace(-x_range, x_range, 601)
    fig = go.Figure()
    lw = 5 if st.presentation else 3
    fig.add_trace(go.Scatter(x=xs, y=apply_activation(name, xs, slope), name=f"{INFO[name].title}(x)",
                             line={"width": lw, "color": "#0072B2"}))
    fig.add_trace(go.Scatter(x=xs, y=activation_derivative(name, xs, slope), name="derivative",
                             line={"width": lw, "color": "#D55E00", "dash": "dash"}))
    thr = saturation_threshold(name)
    if thr is not None and thr < x_range:
        for x0, x1 in ((-x_range, -thr), (thr, x_range)):
            fig.add_vrect(x0=x0, x1=x1, fillcolor="#999999", opacity=0.2, line_width=0)
        fig.add_annotation(x=thr, y=1.05, text=f"saturated: |x| > {fmt(thr, 2)} (gradient < 0.01)",
                           showarrow=False, xanchor="left", font={"size": st.font_size - 2})
    if name == "relu":
        fig.add_vrect(x0=-x_range, x1=0, fillcolor="#999999", opacity=0.2, line_width=0)
        fig.add_annotation(x=-x_range / 2, y=1.05, text="gradient exactly 0", showarrow=False,
                           font={"size": st.font_size - 2})
    if name == "leaky_relu":  # the negative side is the point: write its slope where it is
        fig.add_annotation(x=-x_range / 2, y=float(apply_activation(name, np.array([-x_range / 2]), slope)[0]),
                           text=f"slope α = {fmt(slope)}: f({fmt(-x_range)}) = {fmt(-x_range * slope)}",
                           showarrow=True, arrowhead=2, ay=-40, font={"size": st.font_size - 2})
    ys = [apply_activation(name, xs, slope), activation_derivative(name, xs, slope)]
    if points is not None and len(points):
        p = np.asarray(points, dtype=float).ravel()
        ys.append(apply_activation(name, p, slope))
        fig.add_trace(go.Scatter(x=p, y=ys[-1], mode="markers", name="your grid",
                                 marker={"size": 14 if st.presentation else 10, "color": "#009E73",
                                         "line": {"width": 1, "color": "#000"}}))
    lo = min(-1.3, float(min(np.min(y) for y in ys)) * 1.1)  # every curve and dot inside, negative side included
    hi = max(1.3, float(max(np.max(y) for y in ys)) * 1.1)
    fig.update_layout(height=420 if st.presentation else 340, font={"size": st.font_size},
                      margin={"l": 40, "r": 10, "t": 40, "b": 40}, legend={"orientation": "h", "y": -0.18},
                      xaxis={"range": [-x_range, x_range]}, yaxis={"range": [lo, hi]})
    return fig


def predictions_figure(preds, st: Style | None = None, title: str = "Top-5 predictions") -> go.Figure:
    """Horizontal bars, most likely class on top, probabilities written on the bars."""
    st = st or get_style(False)
    labels = [p.label for p in preds][::-1]
    probs = [p.probability for p in preds][::-1]
    fig = go.Figure(go.Bar(x=probs, y=labels, orientation="h", marker_color="#0072B2",
                           text=[f"{100 * p:.1f} %" for p in probs], textposition="auto",
                           textfont={"size": st.font_size}))
    fig.update_layout(title=title, height=80 + 46 * len(preds) * (1.3 if st.presentation else 1),
                      font={"size": st.font_size}, xaxis={"range": [0, 1], "tickformat": ".0%", **PERCENT_TICKS},
                      yaxis={"type": "category"},  # class names, digits included, are names, not numbers
                      margin={"l": 10, "r": 10, "t": 50, "b": 30})
    return fig


def receptive_field_figure(infos, st: Style | None = None, selected: str | None = None) -> go.Figure:
    """Receptive-field size and jump (stride product) against depth, for a network's layers."""
    st = st or get_style(False)
    finite = [i for i in infos if np.isfinite(i.rf)]
    xs = list(range(len(finite)))
    lw = 4 if st.presentation else 2.5
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=xs, y=[i.rf for i in finite], name="receptive field (px)", mode="lines+markers",
                             line={"width": lw, "color": "#0072B2"}, text=[i.node for i in finite],
                             hovertemplate="%{text}<br>RF %{y} px<extra></extra>"))
    fig.add_trace(go.Scatter(x=xs, y=[i.jump for i in finite], name="jump (px between units)", mode="lines+markers",
                             line={"width": lw, "color": "#D55E00", "dash": "dash"}, text=[i.node for i in finite],
                             hovertemplate="%{text}<br>jump %{y} px<extra></extra>"))
    if selected is not None:
        idx = next((k for k, i in enumerate(finite) if i.node == selected), None)
        if idx is not None:
            fig.add_vline(x=idx, line={"color": "#009E73", "width": lw})
    top = max([i.rf for i in finite] + [i.jump for i in finite] + [1.0])
    ticks = [v for v in LOG_TICKS if v <= top * 2] or [1]
    fig.update_layout(height=360 if not st.presentation else 460, font={"size": st.font_size},
                      yaxis={"type": "log", "title": "pixels (log scale)", "tickmode": "array", "tickvals": ticks,
                             "ticktext": [f"{v:,}" for v in ticks]},
                      xaxis={"title": "layer (depth order)"},
                      legend={"orientation": "h", "y": 1.12}, margin={"l": 50, "r": 10, "t": 40, "b": 40})
    return fig


def feature_map_figure(values: np.ndarray, title: str, st: Style | None = None, unit: tuple[int, int] | None = None,
                       clickable: bool = True) -> go.Figure:
    """One channel large, units clickable (an almost invisible scatter carries [row, col])."""
    st = st or get_style(False)
    h, w = values.shape
    zmin, zmax, kind = colour_range(values)
    data = [{"type": "heatmap", "z": values.tolist(), "zmin": zmin, "zmax": zmax, "showscale": True,
             "colorscale": plotly_scale(st.diverging if kind == "diverging" else st.sequential),
             "hoverinfo": "skip"}]
    if clickable and h * w <= 112 * 112:
        rr, cc = np.mgrid[0:h, 0:w]
        data.append({"type": "scatter", "x": cc.ravel().tolist(), "y": rr.ravel().tolist(), "mode": "markers",
                     "marker": {"symbol": "square", "size": max(4, 420 // max(h, w)), "opacity": 0.01,
                                "color": "#000"}, "hovertemplate": "row %{y}, col %{x}<extra></extra>",
                     "customdata": [["unit", int(r), int(c)] for r, c in zip(rr.ravel(), cc.ravel())],
                     "hoverinfo": "none", "showlegend": False})  # "skip" would also drop click events
    shapes = []
    if unit is not None:
        r, c = unit
        shapes.append({"type": "rect", "x0": c - 0.5, "x1": c + 0.5, "y0": r - 0.5, "y1": r + 0.5,
                       "line": {"color": st.target_colour, "width": st.outline_width}})
    layout = {"title": {"text": title}, "height": 480 if st.presentation else 420, "font": {"size": st.font_size},
              "xaxis": {"range": [-0.5, w - 0.5], "showgrid": False, "constrain": "domain"},
              "yaxis": {"range": [h - 0.5, -0.5], "showgrid": False, "scaleanchor": "x", "constrain": "domain"},
              "margin": {"l": 40, "r": 10, "t": 50, "b": 30}, "shapes": shapes, "clickmode": "event+select",
              "dragmode": False}
    return go.Figure({"data": data, "layout": layout}, _validate=False)


# ---- training ----------------------------------------------------------------------------

def training_curves(history: list[dict], sty: Style) -> go.Figure:
    """Loss (left axis) and training / held-out accuracy (right axis, 0–100 %) against epochs."""
    ep = [h["epoch"] for h in history]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=ep, y=[h["loss"] for h in history], name="training loss (mean since the last point)",
                             yaxis="y",
                             line={"color": "#D55E00", "width": 3}))
    fig.add_trace(go.Scatter(x=ep, y=[h["train_acc"] for h in history], name="training accuracy", yaxis="y2",
                             line={"color": "#56B4E9", "width": 3, "dash": "dot"}))
    fig.add_trace(go.Scatter(x=ep, y=[h["heldout_acc"] for h in history], name="held-out accuracy", yaxis="y2",
                             line={"color": "#0072B2", "width": 3}))
    fig.update_layout(height=360, font={"size": sty.font_size}, xaxis={"title": "epoch"},
                      yaxis={"title": "loss", **round_ticks(_finite_max(h["loss"] for h in history))},
                      yaxis2={"title": "accuracy", "overlaying": "y", "side": "right",
                                                       "range": [0, 1], "tickformat": ".0%", **PERCENT_TICKS},
                      legend={"orientation": "h", "y": 1.15}, margin={"l": 50, "r": 50, "t": 40, "b": 40})
    return fig


def gradient_norms_figure(norms: dict[str, float], sty: Style) -> go.Figure:
    """‖∂L/∂W‖ of each layer's weights in the last batch, as points on a log axis (vanishing gradients show as a
    slope); points, not bars: a bar's length on a log axis depends on where the axis starts, and misleads."""
    fig = go.Figure(go.Scatter(x=list(norms.values()), y=[k.replace(".weight", "") for k in norms], mode="markers",
                               marker={"color": "#009E73", "size": 14}))
    fig.update_layout(height=280, xaxis={"type": "log", "title": "‖∂L/∂W‖ (log)"},
                      margin={"l": 40, "r": 10, "t": 10, "b": 40}, font={"size": sty.font_size})
    return fig


def strategy_curves(histories: dict[str, list[dict]], sty: Style) -> go.Figure:
    """Held-out accuracy and training loss of each transfer-learning strategy against epochs."""
    fig = go.Figure()
    for s_, hist in histories.items():
        if not hist:
            continue
        fig.add_trace(go.Scatter(x=[h["epoch"] for h in hist], y=[h["heldout_acc"] for h in hist],
                                 name=f"{s_}: held-out accuracy", mode="lines+markers"))
        fig.add_trace(go.Scatter(x=[h["epoch"] for h in hist], y=[h["loss"] for h in hist],
                                 name=f"{s_}: training loss", yaxis="y2", line={"dash": "dot"},
                                 hovertemplate="epoch %{x}: loss %{y:.4g}<extra></extra>"))
    fig.update_layout(height=340, font={"size": sty.font_size}, xaxis={"title": "epoch"},
                      yaxis={"title": "accuracy", "range": [0, 1.05], "tickformat": ".0%", **PERCENT_TICKS},
                      yaxis2={"title": "loss", "overlaying": "y", "side": "right", "rangemode": "tozero",
                              **round_ticks(_finite_max(h["loss"] for hist in histories.values() for h in hist))},
                      legend={"orientation": "h", "y": 1.2}, margin={"l": 50, "r": 50, "t": 50, "b": 40})
    return fig


def sanity_curve_figure(randomised: list[str], similarity: dict[str, list[float]], st: Style) -> go.Figure:
    """The sanity check's curves: each method's rank correlation with its original map as layers are randomised."""
    fig = go.Figure([go.Scatter(x=randomised, y=ys, mode="lines+markers", name=name)
                     for name, ys in similarity.items()])
    fig.update_layout(height=380, yaxis={"title": "Spearman rank correlation with the original", "range": [-0.25, 1.05]},
                      xaxis={"title": "randomised so far (from the top)"}, font={"size": st.font_size},
                      margin={"l": 60, "r": 20, "t": 20, "b": 60}, legend={"orientation": "h", "y": 1.12})
    return fig
