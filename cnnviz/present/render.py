"""PNG and animated-GIF exports of grid views, drawn with Pillow (no browser needed).

They draw the same `Panel`s as the plotly figures, so a slide shows what the page shows.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from cnnviz.present.colours import Style, black_ink, colour_range, to_rgb
from cnnviz.present.figures import Panel, cell_labels, focused, hide_answers

MAX_GIF_FRAMES = 400


SANS = ("DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
MONO = ("DejaVuSansMono.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf")


def load_font(size: int, names: tuple[str, ...] = SANS) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """The first of `names` found (monospace falls back to the sans font, then to Pillow's own)."""
    for name in names + (SANS if names != SANS else ()):
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


def _hex(c: str) -> tuple[int, int, int]:
    return int(c[1:3], 16), int(c[3:5], 16), int(c[5:7], 16)


def render_panels(panels: Sequence[Panel], st: Style, caption: str = "") -> Image.Image:
    """Panels side by side as one RGB image, numbers in every cell (big grids: the part around the step)."""
    panels = hide_answers(focused(panels))
    cell = 60 if st.presentation else 44
    gap, margin, title_h = cell // 2, 16, int(st.font_size * 2.2)
    font, title_font = load_font(int(st.cell_font_size * 0.95)), load_font(st.font_size)
    widths = [p.values.shape[1] * cell for p in panels]
    rows = max(p.values.shape[0] for p in panels)
    cap_h = int(st.font_size * 2.0) if caption else 0
    width = max(sum(widths) + gap * (len(panels) - 1) + 2 * margin, 200)
    height = rows * cell + title_h + 2 * margin + cap_h
    img = Image.new("RGB", (width, height), _hex(st.background))
    draw = ImageDraw.Draw(img)
    x0 = margin
    for p, w in zip(panels, widths):
        vals = np.asarray(p.values, dtype=float)
        mask = p.pad_mask if p.pad_mask is not None else np.zeros_like(vals, dtype=bool)
        zmin, zmax, kind = p.zrange or colour_range(vals[~mask] if (~mask).any() else vals, p.signed)
        hidden = np.isnan(vals)
        labels = cell_labels(vals, p.blank, 2)
        vals = np.where(hidden, zmin, vals)
        rgb = to_rgb(vals, st.diverging if kind == "diverging" else st.sequential, zmin, zmax)
        black = black_ink(rgb.astype(float))
        draw.text((x0, margin), p.title.replace("<br>", " "), fill=_hex(st.text_colour), font=title_font)
        y0 = margin + title_h
        g = max(1, st.grid_gap)
        for r in range(vals.shape[0]):
            for c in range(vals.shape[1]):
                box = (x0 + c * cell, y0 + r * cell, x0 + (c + 1) * cell - g, y0 + (r + 1) * cell - g)
                fill = _hex(st.padding_colour) if mask[r, c] else _hex(st.background) if hidden[r, c] else (
                    int(rgb[r, c, 0]), int(rgb[r, c, 1]), int(rgb[r, c, 2]))
                draw.rectangle(box, fill=fill)
                tc = _hex(st.padding_text) if mask[r, c] else _hex(st.text_colour) if hidden[r, c] else (
                    (0, 0, 0) if black[r, c] else (255, 255, 255))
                draw.text(((box[0] + box[2]) / 2, (box[1] + box[3]) / 2), labels[r, c],
                          fill=tc, font=font,
                          anchor="mm")
        for cells, colour in p.fills:
            overlay = Image.new("RGBA", img.size, (0, 0, 0, 0))
            od = ImageDraw.Draw(overlay)
            for (r, c) in cells:
                od.rectangle((x0 + c * cell, y0 + r * cell, x0 + (c + 1) * cell - g, y0 + (r + 1) * cell - g),
                             fill=_hex(colour) + (150,))
            img.paste(Image.alpha_composite(img.convert("RGBA"), overlay).convert("RGB"))
            draw = ImageDraw.Draw(img)
        for cells, colour in p.outlines:
            lw = int(st.outline_width)
            for (r, c) in cells:
                draw.rectangle((x0 + c * cell + 1, y0 + r * cell + 1, x0 + (c + 1) * cell - g - 1,
                                y0 + (r + 1) * cell - g - 1), outline=_hex(colour), width=lw)
        x0 += w + gap
    if caption:
        draw.text((margin, height - cap_h), caption, fill=_hex(st.text_colour), font=load_font(int(st.font_size * 0.9)))
    return img


def png_bytes(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def gif_frames(n_frames: int) -> np.ndarray:
    """Which steps a GIF of n_frames steps shows: all of them, or MAX_GIF_FRAMES evenly sampled."""
    return np.unique(np.linspace(0, n_frames - 1, min(n_frames, MAX_GIF_FRAMES)).round().astype(int))


def gif_bytes(n_frames: int, frame: Callable[[int], Image.Image], ms_per_frame: int = 600,
              on_frame: Callable[[int, int], object] | None = None) -> bytes:
    """An animated GIF of frames 0..n-1 (at most MAX_GIF_FRAMES, evenly sampled), looping.

    `on_frame(done, total)` after each frame is drawn, for a progress bar.
    """
    idx = gif_frames(n_frames)
    frames = []
    for k, i in enumerate(idx, start=1):
        frames.append(frame(int(i)))
        if on_frame:
            on_frame(k, len(idx))
    size = (max(f.width for f in frames), max(f.height for f in frames))
    frames = [f if f.size == size else _padded(f, size) for f in frames]
    # One shared palette: unchanged regions stay byte-identical, so Pillow stores only what changed.
    palette = frames[0].quantize(colors=192, method=Image.Quantize.MEDIANCUT)
    frames = [f.quantize(palette=palette, dither=Image.Dither.NONE) for f in frames]
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:], duration=ms_per_frame, loop=0,
                   optimize=False)
    return buf.getvalue()


def _padded(img: Image.Image, size: tuple[int, int]) -> Image.Image:
    out = Image.new("RGB", size, (255, 255, 255))
    out.paste(img, (0, 0))
    return out


SLIDE = (1920, 1080)


def slide(view: Image.Image, title: str, lines: Sequence[str], footer: str = "CNN Explorer") -> Image.Image:
    """A 1920×1080 slide of one step: the page's title, the grids as the page draws them, the arithmetic below.

    Everything is sized for a projected slide (title 60 px, numbers 34 px); long arithmetic wraps.
    """
    import textwrap

    w, h = SLIDE
    img = Image.new("RGB", SLIDE, (255, 255, 255))
    d = ImageDraw.Draw(img)
    margin = 60
    d.text((margin, 40), title, fill=(0, 0, 0), font=load_font(60))
    mono = load_font(34, MONO)
    chars = max(20, int((w - 2 * margin) / (34 * 0.61)))
    wrapped = [part for line in lines for part in (textwrap.wrap(line, chars) or [""])][:8]
    text_h = 48 * len(wrapped)
    top, bottom = 140, h - margin - text_h - 50
    scale = min((w - 2 * margin) / view.width, (bottom - top) / view.height, 3.0)
    shown = view.resize((max(1, int(view.width * scale)), max(1, int(view.height * scale))), Image.Resampling.LANCZOS)
    img.paste(shown, ((w - shown.width) // 2, top + (bottom - top - shown.height) // 2))
    y = h - margin - text_h - 20
    for line in wrapped:
        d.text((margin, y), line, fill=(0, 0, 0), font=mono)
        y += 48
    d.text((w - margin, h - 30), footer, fill=(80, 80, 80), font=load_font(22), anchor="rs")
    return img
