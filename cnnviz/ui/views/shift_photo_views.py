"""Networks on your photo, "Shift the photo": the network's top-1 class as its window moves one pixel at a time (or
the photo turns, or zooms), and how closely each layer still moves with its input (engine: networks.shift_sweep)."""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnnviz.networks import shift_sweep as S
from cnnviz.networks.network import Network
from cnnviz.present.colours import Style
from cnnviz.present.sweep_figures import agreement_figure, pair_figure, sweep_figure
from cnnviz.ui.charts import chart
from cnnviz.ui.heavy_jobs import run_heavy
from cnnviz.ui.settings import start

KINDS = {"shift": "Shift", "rotate": "Rotate", "scale": "Zoom"}


def shift_photo_section(net: Network, photo: np.ndarray, sty: Style, device: str) -> None:
    """Pick the movement, press the button (a sweep is 13–33 forward passes), read the curve and the layers."""
    st.header("Shift the photo: is the network shift-invariant?")
    if net.takes_digits or net.input_size[0] != 3:
        st.caption("The sweep moves a photo's window: choose a photo network above.")
        return
    st.caption("The window: the photo resized (bilinear, antialiased) so its short side is 224 + S, the centre "
               "(224 + S)² square, then the 224² window at offset (k, k) for each shift k = 0…S. Equivariance and "
               "pooling promise that a small shift changes little; Zhang (2019) found a one-pixel shift flips the "
               "class of many ImageNet photos — see for yourself.")
    a, b, c = st.columns([2, 2, 1], vertical_alignment="bottom")
    kind = a.segmented_control("Move the window", list(KINDS), format_func=KINDS.__getitem__, required=True,
                               key="net_sweep_kind", **start("net_sweep_kind", "shift", "default"),
                               help="Shift: 0…S pixels, one at a time. Rotate: −30…30° in steps of 5°. Zoom: 0.7…1.3× "
                                    "in steps of 0.05.")
    most = b.slider("Largest shift S (pixels)", 1, S.MAX_SHIFT, key="net_sweep_max",
                    **start("net_sweep_max", S.MAX_SHIFT), disabled=kind != "shift")
    if not c.toggle("Sweep", key="net_sweep_on", help="Runs 13–33 forward passes of the network (seconds on a CPU)"):
        return
    sweep = run_heavy("Sweep", "net_sweep_job", lambda: S.sweep(net, photo, str(kind), int(most), device))
    if sweep is None:
        return
    chart(sweep_figure(sweep, sty), key="net_sweep_fig", config={"displaylogo": False})
    first = sweep.points[0]
    st.markdown(f"**Consistency {100 * sweep.consistency:.0f} %**: the top-1 class is **{first.top1}** (as at the "
                f"first point) at {round(sweep.consistency * len(sweep.points))} of {len(sweep.points)} points; it "
                f"changes {sweep.flips} time{'s' if sweep.flips != 1 else ''} along the way."
                + (" A pixel's shift is enough to change the answer: the network is not shift-invariant here."
                   if kind == "shift" and sweep.flips else ""))
    if kind == "shift":
        _layers(net, photo, int(most), sty, device)


def _layers(net: Network, photo: np.ndarray, most: int, sty: Style, device: str) -> None:
    shift = st.slider("Compare each layer's map at shift", 1, most, key="net_sweep_layer_shift",
                      **start("net_sweep_layer_shift", min(8, most)))
    rows = run_heavy("Layers", "net_sweep_layers", lambda: S.agreement_by_depth(net, photo, int(shift), device))
    if not rows:
        return
    chart(agreement_figure(rows, sty), key="net_sweep_layers_fig", config={"displaylogo": False})
    st.caption(f"Each layer's feature map for the window at shift {shift} against the original's, moved back by "
               "the shift ÷ the layer's jump (rounded to whole cells): 1 means the map moved exactly with its input. "
               "Equivariance holds early and decays with depth, where one cell spans more pixels than the shift.")
    names = [n for n, _, _ in rows]
    if st.session_state.get("net_sweep_pair_layer") not in names:
        st.session_state.pop("net_sweep_pair_layer", None)  # another network's layer: start from its first
    node = st.selectbox("Compare one layer's maps side by side", names, key="net_sweep_pair_layer",
                        **start("net_sweep_pair_layer", 0, "index"),
                        format_func=lambda n: f"{names.index(n) + 1}. {n}")
    pairs = run_heavy("Maps", "net_sweep_pair", lambda: S.layer_pairs(net, photo, int(shift), (str(node),), device))
    if pairs:
        pair = pairs[0]
        chart(pair_figure(pair, sty), key="net_sweep_pair_fig", config={"displaylogo": False})
        st.caption(f"{node}: the mean over its {pair.original.shape[0]} channels; cosine similarity "
                   f"{pair.cosine:.3f}. One cell of this layer spans {net.layer(str(node)).jump:g} pixels of the window, "
                   f"so a {shift}-pixel shift is {shift / net.layer(str(node)).jump:.2f} cells — moved back by "
                   f"{pair.cells}, the rest is what the maps disagree on.")
