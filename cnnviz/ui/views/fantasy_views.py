"""The Fantasy images page: its state (the link carries the network, the objective and every optimisation
setting), its settings, the images made once for every learner asking, and the results."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from PIL import Image

from cnnviz.errors import CnnvizError
from cnnviz.explain import fantasy as fa
from cnnviz.networks.network import Network
from cnnviz.networks.specs import SPECS
from cnnviz.present.render import png_bytes
from cnnviz.ui.charts import chart
from cnnviz.ui.heavy_jobs import heavy_job
from cnnviz.ui.model_choice import NetworkPageState
from cnnviz.ui.page import Parser
from cnnviz.ui.settings import start
from cnnviz.urlstate import choice, flag, int_in, number_in, read_params

SIZES = (64, 96, 128, 160, 224)
MAX_IMAGES = 4
# size (px), steps, start size (0: none) and steps there, per objective: a class needs the whole network and room for
# an object, and starts small (fantasy.COARSE_TO_FINE: as recognisable, a third of the time)
_CLASS = fa.COARSE_TO_FINE
MODE_DEFAULTS = {"class": (_CLASS["size"], _CLASS["steps"], _CLASS["coarse_size"], _CLASS["coarse_steps"]),
                 "channel": (128, 128, 0, 0), "unit": (128, 128, 0, 0), "gallery": (128, 64, 0, 0)}


def _size(t: str) -> int:
    v = int_in(64, 224)(t)
    if v not in SIZES:
        raise ValueError(f"must be one of {', '.join(map(str, SIZES))}")
    return v


def _start_size(t: str) -> int:
    return 0 if t == "0" else _size(t)


# url key → (widget key, parser); the layer (its options depend on the network) is read by the page
LINK: dict[str, tuple[str, Any]] = {
    "mode": ("fa_mode", choice(("channel", "unit", "class", "gallery"))),
    "channel": ("fa_channel", int_in(0, 4095)), "n": ("fa_n", int_in(2, 16)),
    "row": ("fa_row", int_in(0, 511)), "col": ("fa_col", int_in(0, 511)), "cls": ("fa_class", int_in(0, 99_999)),
    "size": ("fa_size", _size), "steps": ("fa_steps", int_in(8, 512)), "lr": ("fa_lr", number_in(0.001, 0.5)),
    "seed": ("fa_seed", int_in(0, 10_000)), "jitter": ("fa_jitter", int_in(0, 32)), "rot": ("fa_rot", number_in(0, 45)),
    "tv": ("fa_tv", number_in(0, 10)), "l2": ("fa_l2", number_in(0, 10)), "blur": ("fa_blur", number_in(0, 100)),
    "scale": ("fa_scale", flag), "param": ("fa_param", choice(tuple(fa.PARAMETERISATIONS))),
    "pre": ("fa_pre", flag), "noise": ("fa_noise", number_in(0, 0.5)), "images": ("fa_images", int_in(1, MAX_IMAGES)),
    "div": ("fa_div", number_in(0, 10)), "csize": ("fa_csize", _start_size), "csteps": ("fa_csteps", int_in(0, 512)),
    **{f"decay_{p}": (f"fa_decay_{p}", number_in(0.5, 3.0)) for p in fa.PARAMETERISATIONS},
}
MODEL = choice(tuple(SPECS))
DEFAULT_LAYER = "_blocks.5.depthwise_act"


@dataclass(kw_only=True, eq=False)
class FantasyState(NetworkPageState):
    """The network and layer (the objective and every setting are linked widgets, `WIDGETS`), and the last images
    made (a stopped run keeps what it had)."""

    WIDGETS: ClassVar[dict[str, tuple[str, Parser]]] = LINK

    name: str = "fantasy"
    layer: str = DEFAULT_LAYER
    link_model: str | None = "efficientnet_lite0"  # the network's link name (None: a session's own, never linked)
    shown_layer: str | None = None  # the layer of the objective drawn (None for a class)
    results: dict[str, Any] = field(default_factory=dict)  # {"mode", "layer", "class", "node", "class_name", "items"}

    def read_link(self, params: dict[str, str]) -> list[str]:
        vals, notices = read_params(params, {"model": MODEL, "layer": str})
        self.update(vals)
        return notices

    def show(self, net: Network, layer: str | None) -> None:
        self.link_model, self.shown_layer = net.link_name, layer

    def link(self) -> dict[str, str]:
        return {**({"model": self.link_model} if self.link_model else {}),
                **({"layer": self.shown_layer} if self.shown_layer else {})}


def make_images(store: FantasyState, net: Network, channels: list[int | None],
                config: Callable[[int | None], fa.FantasyConfig], head: dict[str, Any], device: str) -> None:
    """The images of one press of Dream, as a heavy job with live progress; made once for every learner asking
    for the same (in the class or hall too), never shared from a session's own network; a stop keeps what it had."""
    from cnnviz.classroom.results import shareable

    configs = [config(ch) for ch in channels]

    def keep(items: list) -> None:
        store.results = {**head, "items": items}

    def dream() -> bytes | None:
        """Every image of this press; bytes to share, or None when stopped (never shared)."""
        with heavy_job("Gallery" if head["mode"] == "gallery" else "Fantasy image", "fa_job"):
            live = LiveProgress(len(configs))
            label = (lambda ch: f"channel {ch} · ") if len(channels) > 1 else (lambda ch: "")
            made = fa.dream(channels, configs, device, lambda k, cfg, keep_partial: live.reporter(
                k, label(channels[k]), cfg.coarse_steps + cfg.steps, keep_partial), keep)
            live.clear()
        return fa.made_to_blob(made)

    if not shareable(net.is_session):  # a network of this session only: never shared
        dream()
        return
    blob = made_once(fa.dream_key(net.key, configs, device), dream)  # the same images for everyone who asks
    if blob is not None:
        keep(fa.made_from_blob(blob))


def mode_defaults() -> None:
    """On a change of objective: the schedule that objective starts with (a link or the learner may change it)."""
    size, steps, csize, csteps = MODE_DEFAULTS[st.session_state.get("fa_mode") or "channel"]
    st.session_state["fa_size"], st.session_state["fa_steps"] = size, steps
    st.session_state["fa_csize"], st.session_state["fa_csteps"] = csize, csteps


def optimisation_settings(mode: str) -> dict[str, Any]:
    """The settings expander → FantasyConfig fields (everything but the model and the target)."""
    size0, steps0, csize0, csteps0 = MODE_DEFAULTS[mode]
    with st.expander("Optimisation settings", expanded=False):
        p1, p2, p3 = st.columns([3, 2, 2])
        param = p1.radio("Parameterisation", list(fa.PARAMETERISATIONS), format_func=fa.PARAMETERISATIONS.get,
                         key="fa_param", help="MACO keeps the spectrum's magnitude fixed (the fall-off below) and changes "
                         "only its phase and the colour balance: no speckle, no saturated colours, and other networks "
                         "recognise its class images more often. Fourier lets the magnitude grow too (the classic "
                         "recipe).")
        pre = p2.checkbox("Before the activation", key="fa_pre", **start("fa_pre", True),
                          help="Optimise a ReLU/ReLU6 layer's input: a ReLU6 stuck at 6 or a ReLU at 0 has no "
                          "gradient, its input always has one")
        images = int(p3.number_input("Images at once", 1, MAX_IMAGES, key="fa_images", **start("fa_images", 1),
                                     help="Several images of the same target, pushed apart by the diversity term"))
        div = float(p3.number_input("Diversity weight", 0.0, 10.0, key="fa_div", disabled=images < 2,
                                    **start("fa_div", 1.0)))
        s1, s2, s3, s4, s5 = st.columns(5)
        size = int(s1.select_slider("Size (px)", SIZES, key="fa_size", **start("fa_size", size0)))
        steps = int(s2.number_input("Steps", 8, 512, key="fa_steps", **start("fa_steps", steps0)))
        lr = float(s3.number_input("Learning rate", 0.001, 0.5, format="%.3f", key="fa_lr", **start("fa_lr", fa.DEFAULT_LR[param]),
                                   help=f"Defaults: {', '.join(f'{k} {v}' for k, v in fa.DEFAULT_LR.items())}"))
        seed = int(s4.number_input("Seed (same seed, same image)", 0, 10_000, key="fa_seed", **start("fa_seed", 0)))
        decay = float(s5.number_input("Spectrum fall-off (1/fᵈ)", 0.5, 3.0, step=0.25, key=f"fa_decay_{param}",
                                      **start(f"fa_decay_{param}", fa.DEFAULT_DECAY[param]), help="Higher: smoother, larger shapes; lower: finer "
                                      "texture. Photos fall off about as 1/f¹."))
        t1, t2, t3, t4, t5, t6 = st.columns(6)
        jitter = int(t1.number_input("Jitter (px)", 0, 32, key="fa_jitter", **start("fa_jitter", 8)))
        rotate = float(t2.number_input("Rotation (± degrees)", 0.0, 45.0, key="fa_rot", **start("fa_rot", 15.0)))
        noise = float(t3.number_input("Pixel noise", 0.0, 0.5, format="%.2f", key="fa_noise", **start("fa_noise", 0.0)))
        tv = float(t4.number_input("Total variation weight", 0.0, 10.0, key="fa_tv", **start("fa_tv", 0.0)))
        l2w = float(t5.number_input("L2 weight", 0.0, 10.0, key="fa_l2", **start("fa_l2", 0.0)))
        blurw = float(t6.number_input("Blur weight", 0.0, 100.0, key="fa_blur", **start("fa_blur", 0.0)))
        z1, z2, z3 = st.columns([2, 1, 1])
        zoom = z1.checkbox("Random zoom (each step sees 50–100 % of the image)", key="fa_scale", **start("fa_scale", True))
        starts = [0, *(v for v in SIZES if v < size)]
        if st.session_state.get("fa_csize", csize0) not in starts:
            st.session_state["fa_csize"] = 0  # no smaller size left to start at
        csize = int(z2.select_slider("Start small at (px)", starts, key="fa_csize", **start("fa_csize", csize0),
                                     format_func=lambda v: f"{v}" if v else "off",
                                     help="The first steps see a smaller copy of the picture (its low frequencies): "
                                          "a third of the cost per step, and they settle the large shapes that the "
                                          "full-size steps then refine"))
        csteps = int(z3.number_input("Steps at the start size", 0, 512, key="fa_csteps", disabled=not csize,
                                     **start("fa_csteps", csteps0)))
    return dict(param=param, decay=decay, preactivation=pre, images=images, diversity=div if images > 1 else 0.0, size=size,
                steps=steps, coarse_size=csize or None, coarse_steps=csteps if csize else 0, lr=lr, seed=seed,
                jitter=jitter, rotate=rotate, noise=noise, tv=tv, l2=l2w, blur=blurw,
                zoom=fa.FantasyConfig.zoom if zoom else (1.0, 1.0))


def made_once(key: str, make: Callable[[], bytes | None]) -> bytes | None:
    """`make()` once in the class or hall; a learner asking while another makes it waits for that one (Stop ends
    the wait), and a learner asking later gets it at once."""
    from cnnviz.ui.heavy_jobs import shared_once

    return shared_once(key, make, "fa_wait_stop", lambda seconds: "Another learner is making this very image right "
                       f"now: it appears here as soon as it is ready (waiting {seconds:.0f} s).")


class LiveProgress:
    """Progress bar, the image every few steps and the objective curve drawn while the optimisation runs."""

    def __init__(self, total_images: int) -> None:
        self.total = total_images
        self.bar = st.progress(0.0, text="Starting…")
        left, right = st.columns([2, 3])
        self.preview, self.curve = left.empty(), right.empty()
        self.values: list[float] = []

    def reporter(self, k: int, label: str, steps: int,
                 keep: Callable[[fa.FantasyResult], None] | None = None) -> Callable[[int, float, Any], None]:
        """on_step for image k of the run; `keep` receives the image so far at each preview (what Stop leaves)."""
        self.values = []
        t0 = time.perf_counter()

        def report(step: int, value: float, img: np.ndarray | None) -> None:
            self.values.append(value)
            self.bar.progress(min((k + step / steps) / self.total, 1.0),
                              text=f"{label}step {step}/{steps} · objective {value:.3f}")
            if img is not None:
                if keep is not None and step < steps:
                    keep(fa.FantasyResult(img, list(self.values), time.perf_counter() - t0, stopped_at=step))
                self.preview.image(img, alt=f"The image being optimised, step {step}", caption=f"step {step}", width=256)
                with self.curve.container():
                    _curve(self.values, 200)
        return report

    def clear(self) -> None:
        for box in (self.bar, self.preview, self.curve):
            box.empty()


def _curve(values: list[float], height: int, switch_at: int = 0) -> None:
    """The objective per step; a dashed line where the picture switched from its coarse to its full size."""
    fig = go.Figure(go.Scatter(x=list(range(1, len(values) + 1)), y=values, mode="lines", line_width=3),
                    layout={"height": height, "margin": {"l": 50, "r": 10, "t": 10, "b": 40},
                            "xaxis_title": "step", "yaxis_title": "objective"})
    if 0 < switch_at < len(values):
        fig.add_vline(x=switch_at + 0.5, line_dash="dash", line_color="#D55E00",
                      annotation_text="full size", annotation_position="top left")
    chart(fig)


def _second_opinion(image: np.ndarray, res: dict[str, Any]) -> None:
    """What another network calls the picture (a class image that fools only its own network is a weaker one)."""
    try:
        other, preds = fa.second_opinion(image, res.get("model", ""))
    except CnnvizError:
        return  # no second network's weights here: nothing to say
    said = ", ".join(f"{label} {100 * p:.0f} %" for label, p in preds)
    aim = f" (the target: {res['class_name']})" if res.get("class_name") else ""
    st.markdown(f"**{other} calls this picture:** {said}{aim}.")


def show_results(store: FantasyState) -> None:
    """The last images made (a gallery, or one image with its objective curve); a stopped gallery shows what it has."""
    res = store.results
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
                        cols[c].image(out.image, alt=f"The image made for channel {ch}", width="stretch", caption=f"channel {ch}: {start:.2f} → {end:.2f}"
                                      if start is not None else f"channel {ch}: stopped at step {out.stopped_at}")
            tile = np.concatenate([np.concatenate([it[1].image for it in items[r * cols_n:(r + 1) * cols_n]] +
                                                  [np.full_like(items[0][1].image, 255)] *
                                                  (cols_n - len(items[r * cols_n:(r + 1) * cols_n])), axis=1)
                                   for r in range(rows)], axis=0)
            st.download_button("Gallery as PNG", png_bytes(Image.fromarray(tile)), file_name="fantasy_gallery.png",
                               mime="image/png", icon=":material/image:")
        else:
            ch, out, start, end = items[0]
            what = (f"class {res['class_name']}" if res["mode"] == "class" else
                    f"{res['layer']} channel {ch}" + (" (one unit)" if res["mode"] == "unit" else ""))
            if res.get("node") and res["node"] != res.get("layer"):
                what += f", optimised before its activation ({res['node']})"
            pictures = out.all_images
            if len(pictures) > 1:
                cols = st.columns(len(pictures))
                for k, (col, pic) in enumerate(zip(cols, pictures, strict=True)):
                    col.image(pic, alt=f"Image {k + 1} of {len(pictures)}", width="stretch", caption=f"image {k + 1} of {len(pictures)}")
                a, b = st.container(), st.container()
            else:
                a, b = st.columns([2, 3])
                a.image(out.image, alt="The image the optimisation made", width="stretch", caption=f"{out.seconds:.1f} s for {len(out.history)} steps")
            if start is None:
                b.markdown(f"**Target:** {what}  \n**Stopped** at step {out.stopped_at}: the image as it was then")
            else:
                b.markdown(f"**Target:** {what}  \n**Objective** on the starting noise **{start:.3f}** → on this "
                           f"image **{end:.3f}**" + (f" ({end / start:.1f}×)" if start > 0 else ""))
            with b:
                _curve(out.history, 220, res.get("coarse_steps", 0))
                note = fa.schedule_note(res.get("coarse_steps", 0), res.get("coarse_size", 0), res.get("size", 0))
                if note:
                    st.caption(note)
                _second_opinion(out.image, res)
            tile = np.concatenate(pictures, axis=1)
            b.download_button("PNG", png_bytes(Image.fromarray(tile)), file_name="fantasy.png", mime="image/png",
                              icon=":material/image:")
    if res.get("mode") in fa.LOOK_FOR:
        st.caption(f"**What to look for.** {fa.LOOK_FOR[res['mode']]}")
    if not res.get("items"):
        st.info("Choose a target and press **Dream**. A 128-px, 128-step channel image takes a few seconds on "
                "a CPU; the curve shows the objective rising step by step.",
                icon=":material/lightbulb:")
