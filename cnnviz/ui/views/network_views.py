"""The sections of the Networks page: what the network sees, its feature maps, one unit and its receptive field."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import streamlit as st
from PIL import Image

from cnnviz.images import SAMPLE_PHOTOS
from cnnviz.networks import probe as ins
from cnnviz.networks.network import Network
from cnnviz.networks.preprocess import FIT_SHORT, FITS
from cnnviz.networks.probe import LayerInfo
from cnnviz.networks.specs import SPECS
from cnnviz.present.colours import Style, legend_bar
from cnnviz.present.figures import (
    feature_map_figure,
    predictions_figure,
    receptive_field_figure,
    shared_figure,
    shared_picture,
)
from cnnviz.present.number_format import fmt
from cnnviz.present.overlay import draw_box, overlay, strongest_place
from cnnviz.present.render import png_bytes
from cnnviz.ui.charts import chart
from cnnviz.ui.grid_widgets import clicked_cell
from cnnviz.ui.model_choice import NetworkPageState
from cnnviz.ui.page import Parser
from cnnviz.ui.settings import start
from cnnviz.urlstate import choice, flag, int_in, node_name, number_in, read_params

if TYPE_CHECKING:
    import torch

_ACTIVATION_KINDS = ("ReLU", "ReLU6", "Tanh", "Sigmoid", "MaxPool", "AvgPool")
# the display widgets a link carries: url key → (widget key, parser) (the layer, channel and unit: the page's own)
ORDERS, SCALES = ("index", "mean", "max"), ("channel", "layer")


@dataclass(kw_only=True, eq=False)
class NetworksState(NetworkPageState):
    """The Networks page: network, picture and fit (kept across visits), the layer, channel and unit a link asks
    for (used once, when the page first draws its pickers), and the link of the view last drawn."""

    WIDGETS: ClassVar[dict[str, tuple[str, Parser]]] = {
        "overlay": ("net_ch_overlay", flag), "rf_alpha": ("net_alpha", number_in(0, 1)),
        "order": ("net_order", choice(ORDERS)), "scale": ("net_scale", choice(SCALES)),
        "sweep": ("net_sweep_kind", choice(("shift", "rotate", "scale"))), "sweep_max": ("net_sweep_max", int_in(1, 32)),
        "sweep_on": ("net_sweep_on", flag), "sweep_layer": ("net_sweep_layer_shift", int_in(1, 32)),
        "sweep_pair": ("net_sweep_pair_layer", node_name)}

    name: str = "networks"
    linked: dict[str, Any] = field(default_factory=dict)  # {"layer", "channel", "unit"} from a link, until used
    shown: dict[str, str] = field(default_factory=dict)  # the link parameters of the view drawn

    def read_link(self, params: dict[str, str]) -> list[str]:
        vals, notices = read_params(params, {"model": choice(tuple(SPECS)), "sample": choice(tuple(SAMPLE_PHOTOS)),
                                             "layer": str, "channel": int_in(0, 4096), "unit": str,
                                             "digit": int_in(0, 999), "fit": choice(tuple(FITS))})
        self.update({k: v for k, v in vals.items() if k in ("model", "sample", "digit", "fit")})
        self.linked = {k: v for k, v in vals.items() if k in ("layer", "channel", "unit")}
        return notices

    def show(self, net: Network, fit: str, layer: str, channel: int, unit: tuple[int, int]) -> None:
        """Record the view the page drew (its link is written from it)."""
        self.shown = {**self.network_link(net, fit), "layer": layer, "channel": str(channel), "unit": f"{unit[0]},{unit[1]}"}

    def take_linked(self) -> dict[str, Any]:
        """The linked layer, channel and unit, once (later runs keep the learner's own choices)."""
        linked, self.linked = self.linked, {}
        return linked

    def link(self) -> dict[str, str]:
        return dict(self.shown)


def pick_fit(net: Network, store: NetworkPageState, prefix: str) -> str:
    """How a photo is fitted into the network's square input: its own preprocessing (default), squash or pad."""
    if net.preprocessing.grayscale:  # digits are centred on a square canvas already
        return "own"
    fit = st.segmented_control("Fit the photo", list(FITS), default=store.fit, required=True,
                               format_func=FIT_SHORT.__getitem__, key=f"{prefix}_fit",
                               help="What the network was trained with is its own preprocessing: resize the "
                                    "shorter side, then crop the centre (drawn on the photo; the edges are cut). "
                                    "Squash: the whole photo, distorted to a square. Pad: the whole photo, borders "
                                    "added. Compare the predictions.")
    store.fit = fit or "own"
    return store.fit


def input_and_predictions(net: Network, photo: np.ndarray, x: torch.Tensor, sty: Style, device: str,
                          fit: str = "own") -> np.ndarray:
    """The picture (the part the network sees outlined), each preprocessing step with numbers, and predictions."""
    pre = net.preprocessing.fitted(fit)
    seen = pre.image(photo)
    c_photo, c_pred = st.columns([2, 3], gap="large")
    with c_photo:
        h, w = photo.shape[:2]
        box = pre.crop_box(w, h)
        shown = photo if box == (0, 0, h - 1, w - 1) else draw_box(photo, box, width=max(2, w // 150))
        st.image(shown, caption="your picture" + (" — the box is what the network sees" if shown is not photo else ""),
                 width="stretch" if not net.takes_digits else 140,
                 alt=f"Your picture, {w}×{h} px" + (", with a box around the part the network sees" if shown is not photo
                                                     else ""))
        with st.expander("What the network sees", expanded=True):
            st.image(seen, caption=f"{seen.shape[1]}×{seen.shape[0]} after resizing/cropping", width=180,
                     alt=f"What the network sees: the picture resized and cropped to {seen.shape[1]}×{seen.shape[0]} px")
            st.markdown("\n".join(f"{k + 1}. {s}" for k, s in enumerate(pre.describe(photo.shape))))
            st.caption(f"Tensor given to the network: **{' × '.join(map(str, x.shape))}**")
    with c_pred:
        preds = ins.predict(net, x, top=5, device=device)
        n = len(net.labels)
        title = "Top-5 predictions" if n > 5 else f"Predictions (all {n} classes)"
        fig = shared_figure(("predictions", net.key, ins.input_key(x), device, sty, title),
                            lambda: predictions_figure(preds, sty, title))
        chart(fig, config={"displaylogo": False}, key="net_preds")
    return seen


def pick_layer(net: Network, url: dict) -> LayerInfo:
    """Stage / block, then layer; opens on the URL's layer or a spatial layer of the third group."""
    all_layers = ins.layers(net)
    groups = list(dict.fromkeys(i.group for i in all_layers))
    default_node = url.get("layer") if any(i.node == url.get("layer") for i in all_layers) else None
    default_group = next((i.group for i in all_layers if i.node == default_node), groups[min(2, len(groups) - 1)])
    g1, g2 = st.columns([2, 3])
    group = g1.selectbox("Stage / block", groups, index=groups.index(default_group), key=f"net_group_{net.key}")
    in_group = [i for i in all_layers if i.group == group]
    spatial = [k for k, i in enumerate(in_group) if i.shape[1] * i.shape[2] > 1]  # 1×1 maps show one colour each
    idx = next((k for k, i in enumerate(in_group) if i.node == default_node), spatial[-1] if spatial else len(in_group) - 1)
    return g2.selectbox("Layer (output channels × height × width)", in_group, index=idx, format_func=lambda i: i.label,
                        key=f"net_layer_{net.key}_{group}")


def feature_maps(net: Network, info: LayerInfo, x: torch.Tensor, sty: Style, device: str) -> tuple[np.ndarray, np.ndarray]:
    """Every channel of the layer as one montage (and the map before its activation); returns (map, channel order)."""
    before = info.source if info.source and info.kind in _ACTIVATION_KINDS and \
        any(i.node == info.source for i in ins.layers(net)) else None
    maps = ins.feature_maps(net, x, (info.node,) + ((before,) if before else ()), device=device)
    fmap = maps[info.node]
    o1, o2, o3 = st.columns(3)
    order_by = o1.segmented_control("Order channels by", ORDERS, required=True, key="net_order",
                                    **start("net_order", "index", "default"))
    scale = o2.segmented_control("Colour scale", SCALES, required=True, key="net_scale",
                                 **start("net_scale", "channel", "default"), format_func=lambda s: f"per {s}")
    order = ins.channel_order(fmap, order_by)
    if fmap.shape[1] * fmap.shape[2] == 1 and scale == "channel":
        scale = "layer"  # one value per channel: a scale of its own would paint every tile the same
        o2.caption("1×1 maps: one colour scale for the layer, so the channels can be compared")
    mont = shared_picture(("montage", net.key, ins.input_key(x), info.node, order_by, scale, sty),
                         lambda: ins.montage(fmap, order, scale, sty.sequential, sty.diverging))
    st.image(mont, caption=f"{info.title} ({info.node}): all {fmap.shape[0]} channels ({fmap.shape[1]}×{fmap.shape[2]} each), "
                           f"ordered by {order_by}, one colour scale per {scale}", width="stretch",
             alt=f"Feature maps of {info.title} ({info.node}): {fmap.shape[0]} channels of {fmap.shape[1]}×"
                 f"{fmap.shape[2]}, ordered by {order_by}; the first tile is channel {int(order[0])}")
    colour_legend(fmap, scale, sty)
    o3.download_button("Montage as PNG", lambda: png_bytes(Image.fromarray(mont)),  # encoded only when asked
                       file_name=f"{net.key.replace('@', '-')}_{info.node}.png", mime="image/png", icon=":material/image:")
    if before:
        with st.expander(f"Before the {info.kind}: {before}"):
            st.image(ins.montage(maps[before], order, scale, sty.sequential, sty.diverging), width="stretch",
                     caption=f"{before} (same channel order): negative values (blue) are what the "
                             f"{info.kind} {'clips to 0' if 'ReLU' in info.kind else 'squashes or pools'}",
                     alt=f"Feature maps of {before}, before the {info.kind}, in the same channel order")
            colour_legend(maps[before], scale, sty)
    return fmap, order


def colour_legend(values: np.ndarray, scale: str, sty: Style) -> None:
    """The colour bar of a montage and the sentence that reads it (which map, and per channel or per layer)."""
    bar, text = legend_bar(values, scale, sty.sequential, sty.diverging)
    a, b = st.columns([1, 3], vertical_alignment="center")
    a.image(bar, width="stretch", alt=f"Colour scale: {text}")
    b.caption(f"Colour scale: {text}.")


def pick_unit(net: Network, info: LayerInfo, x: torch.Tensor, fmap: np.ndarray, order: np.ndarray, url: dict,
              store: NetworksState, sty: Style, seen: np.ndarray) -> tuple[int, tuple[int, int]]:
    """A channel (number box, strongest first) and a unit (click on the map, or row / column boxes)."""
    ranked = ins.strongest_channels(fmap)
    wanted = int(url.get("channel", ranked[0]))
    channel = int(st.number_input(f"Channel (0–{fmap.shape[0] - 1}); the strongest (highest mean): "
                                  f"{', '.join(map(str, ranked))}",
                                  0, fmap.shape[0] - 1, wanted if wanted < fmap.shape[0] else ranked[0],
                                  key=f"net_channel_{net.key}_{info.node}"))
    uk = f"net_unit_{net.key}_{info.node}"
    linked = url.get("unit", "")
    if uk not in st.session_state and linked.count(",") == 1 and all(v.strip().isdigit() for v in linked.split(",")):
        r0, c0 = (int(v) for v in linked.split(","))
        st.session_state[uk] = (min(r0, fmap.shape[1] - 1), min(c0, fmap.shape[2] - 1))  # a linked unit
    if uk not in st.session_state:
        m = fmap[channel]
        st.session_state[uk] = tuple(int(v) for v in np.unravel_index(int(np.argmax(m)), m.shape))
    unit = st.session_state[uk]
    unit = (min(unit[0], fmap.shape[1] - 1), min(unit[1], fmap.shape[2] - 1))
    fig = shared_figure(("feature map", net.key, ins.input_key(x), info.node, channel, unit, sty),
                        lambda: feature_map_figure(fmap[channel], f"channel {channel} — click a unit", sty, unit))
    ev = chart(fig, on_select="rerun", selection_mode="points", key=f"net_fmap_{info.node}",
                         config={"displaylogo": False})
    click = clicked_cell(ev, store, "net_unit")
    if click:
        st.session_state[uk] = (click[1], click[2])
        st.session_state[f"{uk}_r"], st.session_state[f"{uk}_c"] = click[1], click[2]
        st.rerun()
    u1, u2 = st.columns(2)
    r = u1.number_input("Unit row", 0, fmap.shape[1] - 1, unit[0], key=f"{uk}_r")
    c = u2.number_input("Unit column", 0, fmap.shape[2] - 1, unit[1], key=f"{uk}_c")
    if (r, c) != unit:
        st.session_state[uk] = (int(r), int(c))
        st.rerun()
    st.caption(f"Activation at ({unit[0]}, {unit[1]}): **{fmt(float(fmap[channel, unit[0], unit[1]]))}**")
    if st.toggle("Overlay this channel on the picture", key="net_ch_overlay"):
        st.image(overlay(seen, fmap[channel], 0.6, sty.sequential), width="stretch",
                 caption=f"channel {channel} upsampled to {seen.shape[1]}×{seen.shape[0]} over the network's input",
                 alt=f"Channel {channel} of {info.node} over the network's input: {strongest_place(fmap[channel])}")
    return channel, unit


def receptive_field(net: Network, info: LayerInfo, x: torch.Tensor, channel: int, unit: tuple[int, int],
                    seen: np.ndarray, sty: Style, device: str) -> None:
    """The unit's theoretical receptive field as a box over its effective one (the input gradient)."""
    box = ins.rf_box(info, unit[0], unit[1], seen.shape[:2])
    alpha = st.slider("Effective receptive field overlay", 0.0, 1.0, step=0.05, key="net_alpha",
                      **start("net_alpha", 0.55))
    erf = ins.effective_rf(net, x, info.node, channel, unit[0], unit[1], device=device)
    pic = shared_picture(("erf", net.key, ins.input_key(x), info.node, channel, unit, alpha, sty),
                        lambda: draw_box(overlay(seen, erf, alpha, sty.sequential), box, sty.target_colour, 3,
                                         max(1, 448 // seen.shape[0])))
    st.image(pic, width="stretch", alt=f"Unit ({unit[0]}, {unit[1]}) of channel {channel} at {info.node}: its "
             f"theoretical receptive field as a box, its effective receptive field {strongest_place(erf)}",
             caption="box: theoretical receptive field · colour: effective receptive field "
                     "(|∂ unit / ∂ pixel|, where the unit actually looks)")
    if np.isfinite(info.rf):
        st.markdown(f"Theoretical receptive field **{info.rf:g}×{info.rf:g} px** (jump {info.jump:g} px between "
                    f"neighbouring units, first centre at pixel {info.start:g}); this unit's window covers rows "
                    f"{box[0]:g}–{box[2]:g}, columns {box[1]:g}–{box[3]:g} (clipped to the image).")
    support = np.argwhere(erf > erf.max() * 1e-3) if erf.max() > 0 else np.zeros((0, 2))
    if len(support):
        st.caption(f"Effective receptive field (gradient above 0.1 % of its peak): rows {support[:, 0].min()}–"
                   f"{support[:, 0].max()}, columns {support[:, 1].min()}–{support[:, 1].max()}.")


def rf_chart(net: Network, info: LayerInfo, sty: Style) -> None:
    fig = shared_figure(("receptive fields", net.key, info.node, sty),
                        lambda: receptive_field_figure(ins.layers(net), sty, info.node))
    chart(fig, config={"displaylogo": False}, key="net_rf_plot")
    st.caption("Receptive field size grows with depth; the jump (product of strides) sets how far apart neighbouring "
               "units look. Through branches and shortcuts the largest path counts.")
