"""What a Fantasy-images link carries: the network, the objective and every optimisation setting."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import streamlit as st
from PIL import Image

from cnnviz.networks.specs import SPECS
from cnnviz.present.render import png_bytes
from cnnviz.urlstate import choice, flag, int_in, number_in

SIZES = (64, 96, 128, 160, 224)


def _size(t: str) -> int:
    v = int_in(64, 224)(t)
    if v not in SIZES:
        raise ValueError(f"must be one of {', '.join(map(str, SIZES))}")
    return v


# url key → (widget key, parser); the layer (its options depend on the network) is read by the page
LINK: dict[str, tuple[str, Any]] = {
    "mode": ("fa_mode", choice(("channel", "unit", "class", "gallery"))),
    "channel": ("fa_channel", int_in(0, 4095)), "n": ("fa_n", int_in(2, 16)),
    "row": ("fa_row", int_in(0, 511)), "col": ("fa_col", int_in(0, 511)), "class": ("fa_class", int_in(0, 99_999)),
    "size": ("fa_size", _size), "steps": ("fa_steps", int_in(8, 512)), "lr": ("fa_lr", number_in(0.001, 0.5)),
    "seed": ("fa_seed", int_in(0, 10_000)), "jitter": ("fa_jitter", int_in(0, 32)), "rot": ("fa_rot", number_in(0, 45)),
    "tv": ("fa_tv", number_in(0, 10)), "l2": ("fa_l2", number_in(0, 10)), "blur": ("fa_blur", number_in(0, 100)),
    "scale": ("fa_scale", flag),
}
MODEL = choice(tuple(SPECS))


def show_results(store: dict) -> None:
    """The last images made (a gallery, or one image with its objective curve); a stopped gallery shows what it has."""
    res = store.get("results") or {}
    if res.get("items"):
        items = res["items"]
        if len(items) > 1:
            cols_n = min(4, len(items))
            rows = math.ceil(len(items) / cols_n)
            for r in range(rows):
                cols = st.columns(cols_n)
                for c in range(cols_n):
                    k = r * cols_n + c
                    if k < len(items):
                        ch, out, start, end = items[k]
                        cols[c].image(out.image, caption=f"channel {ch}: {start:.2f} → {end:.2f}", width="stretch")
            tile = np.concatenate([np.concatenate([it[1].image for it in items[r * cols_n:(r + 1) * cols_n]] +
                                                  [np.full_like(items[0][1].image, 255)] *
                                                  (cols_n - len(items[r * cols_n:(r + 1) * cols_n])), axis=1)
                                   for r in range(rows)], axis=0)
            st.download_button("Gallery as PNG", png_bytes(Image.fromarray(tile)), file_name="fantasy_gallery.png",
                               mime="image/png", icon=":material/image:")
        else:
            ch, out, start, end = items[0]
            a, b = st.columns([2, 3])
            a.image(out.image, width="stretch", caption=f"{out.seconds:.1f} s for {len(out.history)} steps")
            what = (f"class {res['class_name']}" if res["mode"] == "class" else
                    f"{res['layer']} channel {ch}" + (" (one unit)" if res["mode"] == "unit" else ""))
            b.markdown(f"**Target:** {what}  \n**Objective** on the starting noise **{start:.3f}** → on this image "
                       f"**{end:.3f}**" + (f" ({end / start:.1f}×)" if start > 0 else ""))
            b.line_chart({"objective": out.history}, x_label="step", y_label="objective", height=220)
            b.download_button("PNG", png_bytes(Image.fromarray(out.image)), file_name="fantasy.png", mime="image/png",
                              icon=":material/image:")
    else:
        st.info("Choose a target and press **Dream**. A 128-px, 128-step image takes a few seconds on a CPU.",
                icon=":material/lightbulb:")
