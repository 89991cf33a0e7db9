"""The Attributions page's maps: each method's map over the picture, with what it shows and a PNG."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
import streamlit as st
from PIL import Image

from cnnviz.caching import KeyedCache, digest
from cnnviz.explain import attribution as at
from cnnviz.explain import methods as registry
from cnnviz.explain.faithfulness import STEPS
from cnnviz.explain.method import Setting, UnitTarget
from cnnviz.images import SAMPLE_PHOTOS
from cnnviz.networks import probe as ins
from cnnviz.networks.network import Network
from cnnviz.networks.preprocess import FITS
from cnnviz.networks.specs import SPECS
from cnnviz.present.class_sheet import class_sheet
from cnnviz.present.colours import Style, to_rgb
from cnnviz.present.overlay import overlay, strongest_place
from cnnviz.present.render import png_bytes
from cnnviz.ui.grid_widgets import clamp_widget
from cnnviz.ui.heavy_jobs import run_heavy
from cnnviz.ui.model_choice import NetworkPageState
from cnnviz.ui.page import link_widgets, widget_link
from cnnviz.ui.settings import start
from cnnviz.ui.views.faithfulness_views import CANVAS
from cnnviz.urlstate import choice, int_in, node_name, number_in, read_params

if TYPE_CHECKING:
    import torch

@dataclass(kw_only=True, eq=False)
class AttrState(NetworkPageState):
    """The Attributions page: network, picture and fit, the link of the view drawn, and what this learner's heavy
    jobs left (maps a stopped run finished, slow maps, the last sanity check and faithfulness measure)."""

    name: str = "attr"
    shown: dict[str, str] = field(default_factory=dict)  # the link parameters of the maps drawn
    partial: tuple[tuple, dict[str, np.ndarray]] | None = None  # (view signature, the maps finished so far)
    slow_maps: KeyedCache = field(default_factory=lambda: KeyedCache(8))  # Score-CAM maps of recent views
    sanity: tuple[tuple, list] | None = None  # (its settings, the steps done)
    faithfulness: tuple[tuple, Any] | None = None  # (its settings, the curves)

    def read_link(self, params: dict[str, str]) -> list[str]:
        vals, notices = read_params(params, {"model": choice(tuple(SPECS)), "sample": choice(tuple(SAMPLE_PHOTOS)),
                                             "fit": choice(tuple(FITS)), "digit": int_in(0, 999)})
        self.update(vals)
        return notices + read_attribution_link(params, self.model) + link_widgets(params, widgets_link(self.model))

    def show(self, net: Network, fit: str, methods: list[str], target: Target) -> None:
        """Record the view the page drew (its link is written from it)."""
        self.shown = {**self.network_link(net, fit), **attribution_link(methods, target.kind, target.index, target.unit)}

    def link(self) -> dict[str, str]:
        return {**self.shown, **widget_link(widgets_link(self.model))}


@dataclass(frozen=True)
class Target:
    """What the maps explain: a class (the predicted one or another), or a channel / unit of a layer."""

    kind: str  # "predicted class" | "another class" | "a channel / unit"
    index: int  # the class explained (for a unit: the predicted class, used by the checks below the maps)
    label: str
    unit: UnitTarget | None = None

    @property
    def what(self) -> str:
        u = self.unit
        return f"{u.layer} ch {u.channel}" + (f" unit {u.unit}" if u.unit else "") if u else self.label

    @property
    def unit_key(self) -> tuple | None:
        return (self.unit.layer, self.unit.channel, self.unit.unit) if self.unit else None


TARGET_KINDS = ["predicted class", "another class", "a channel / unit"]


def pick_target(t1: Any, t2: Any, net: Network, x: torch.Tensor, preds: list, device: str) -> Target:
    """The "Explain" control: the predicted class, another class (searchable), or a layer's channel — its strongest
    unit on this picture, or the whole channel's mean."""
    labels = net.labels
    kind = t1.segmented_control("Explain", TARGET_KINDS, required=True, key="attr_target_kind",
                                **start("attr_target_kind", "predicted class", "default")) or TARGET_KINDS[0]
    if kind == "another class":
        index = t2.selectbox("Class (type to search)", range(len(labels)), index=preds[min(1, len(preds) - 1)].index,
                             format_func=lambda i: f"{labels[i]} ({i})", key=f"attr_class_{net.key}")
        return Target(kind, int(index), labels[int(index)])
    if kind == "a channel / unit":
        spatial = [i for i in ins.layers(net) if i.shape[1] > 1]
        _take_linked_unit(net, spatial)
        u1, u2, u3 = t2.columns([3, 1, 1])
        info = u1.selectbox("Layer", spatial, index=len(spatial) // 2, format_func=lambda i: i.label,
                            key=f"attr_ulayer_{net.key}")
        ch = int(u2.number_input("Channel", 0, info.shape[0] - 1, 0, key=f"attr_uch_{net.key}"))
        whole = u3.toggle("Whole channel", value=False, key="attr_uwhole",
                          help="Off: its strongest unit on this picture; on: the channel's mean")
        fmap = ins.feature_maps(net, x, (info.node,), device)[info.node][ch]
        uy, ux = (int(v) for v in np.unravel_index(int(np.argmax(fmap)), fmap.shape))
        t2.caption(("Mean of the channel" if whole else f"Its strongest unit here: ({uy}, {ux})")
                   + " · Grad-CAM and guided Grad-CAM explain class scores only.")
        return Target(kind, preds[0].index, labels[preds[0].index], UnitTarget(info.node, ch, None if whole else (uy, ux)))
    t2.markdown(f"Predicted: **{preds[0].label}** ({100 * preds[0].probability:.1f} %)")
    return Target(kind, preds[0].index, labels[preds[0].index])


LINKED_UNIT = "_attr_linked_unit"  # a link's (node, channel, whole) until the layer box can take it


def _take_linked_unit(net: Network, spatial: list) -> None:
    """Start the unit's boxes where a link says (a layer this network lacks is dropped with a notice)."""
    linked = st.session_state.pop(LINKED_UNIT, None)
    if linked is None:
        return
    node, ch, whole = linked
    info = next((i for i in spatial if i.node == node), None)
    if info is None:
        st.toast(f"URL parameter unit: {net.title} has no layer {node}; showing its middle layer.",
                 icon=":material/link_off:")
        return
    st.session_state[f"attr_ulayer_{net.key}"] = info
    st.session_state[f"attr_uch_{net.key}"] = min(ch, info.shape[0] - 1)
    st.session_state["attr_uwhole"] = whole


def usable(methods: list[str], target: Target, cam_layer: str | None) -> list[str]:
    """The chosen methods that can explain this target: a unit leaves out the class-only methods, a network without
    a spatial layer the CAM family."""
    if target.unit is not None:
        return [m for m in methods if not registry.method(m).class_only]
    if cam_layer is None:
        return [m for m in methods if not registry.method(m).uses_layer]
    return methods


def compute_maps(store: AttrState, net: Network, x: torch.Tensor, seen: np.ndarray, methods: list[str],
                 target: Target, cam_layer: str | None, options: dict[str, Any], device: str,
                 share: bool, preview: Callable[[dict[str, np.ndarray]], None]) -> dict[str, np.ndarray]:
    """Each method's map, shown as it comes, as a heavy job with Stop: made once for every learner asking for the
    same one (in this process; in the class or hall too when `share`); a stopped run leaves the maps it finished."""
    if not methods:
        return {}
    photo = digest(seen)
    settings = tuple(options.items())
    signature = (net.key, photo, tuple(methods), target.index, target.unit_key, cam_layer, settings)

    def one(m: str) -> np.ndarray:
        if registry.method(m).slow:  # a progress bar, and Stop ends it between batches
            return with_progress(store, registry.title(m), (signature, m), lambda progress: shared_map(
                share, ("attribution", net.key, photo, m, target.index, cam_layer, device),
                lambda: at.attribute(net, x, m, target=target.index, layer=cam_layer, device=device,
                                     progress=progress).values))
        key = ("attribution", net.key, photo, m, target.index, target.unit_key, cam_layer, settings, device)
        return at.map_once(key, lambda: shared_map(share, key, lambda: at.attribute(
            net, x, m, target=target.unit or target.index, layer=cam_layer, device=device, **options).values))

    values = run_heavy("Attributions", "attr_job", lambda: maps_as_they_come(store, methods, one, signature, preview))
    return partial_maps(store, signature) if values is None else values  # stopped: the maps it had finished


def _png(rgb: np.ndarray) -> bytes:
    return png_bytes(Image.fromarray(rgb))


EVERY_METHOD = [m.name for m in registry.every() if not m.slow]  # Score-CAM alone takes half a minute: by hand
EVERY_HELP = ("Every method at once on this photo and class, in one colour map, each map scaled on its own (the methods "
              "measure different quantities, so their raw values are not comparable; Score-CAM, slow, can be added "
              "by hand); below them, one PNG slide of them all with the top-5")


def every_method() -> None:
    """"Where does this class live?": every method at once (the button's callback, before the widgets are drawn)."""
    st.session_state["attr_methods"] = list(EVERY_METHOD)


def show_maps(values: dict[str, np.ndarray], seen: np.ndarray, sign: str, alpha: float, what: str, key: str,
              sty: Style, downloads: bool = True, predictions: list | None = None, network: str = "") -> None:
    """Up to three maps a row, each over the network's input at least 336 px wide, with its caveats; with the
    predictions, a one-slide PNG of them all ("where does this class live?")."""
    if not values:
        return
    bar = to_rgb(np.repeat(np.linspace(0, 1, 320)[None, :], 14, axis=0), sty.sequential, 0.0, 1.0).astype(np.uint8)
    a, b = st.columns([1, 3], vertical_alignment="center")
    a.image(bar, width="stretch", alt="Colour scale: from the photo showing through (0) to the map's strongest values")
    b.caption(f"Colour scale ({sty.sequential}, sequential, each map on its own): 0 (photo shows through, left) → the "
              f"map's 99.5th percentile of {'|value|' if sign == 'absolute' else sign + ' values'} or more (right).")
    shown = {m: at.display_map(v, m, sign) for m, v in values.items()}  # drawn below, and on the slide
    cols = st.columns(min(3, len(values)))
    for k, method in enumerate(values):
        with cols[k % len(cols)]:
            img = overlay(seen, shown[method], alpha, sty.sequential)
            big = np.asarray(Image.fromarray(img).resize((max(img.shape[1], 336), max(img.shape[0], 336)),
                                                         Image.Resampling.NEAREST))
            st.image(big, caption=f"{registry.title(method)} · {what}", width="stretch",
                     alt=f"{registry.title(method)} for {what} over the network's input: "
                         f"{strongest_place(shown[method])}")
            st.caption(registry.method(method).note)
            if downloads:
                st.download_button("PNG", partial(_png, big),  # encoded only when asked
                                   file_name=f"{key.replace('@', '-')}_{method}.png", mime="image/png",
                                   key=f"attr_dl_{method}", icon=":material/image:")
    if downloads and predictions is not None and len(values) > 1:
        top5 = [(p.label, p.probability) for p in predictions]
        st.download_button("All maps, the photo and the top-5 as one slide (PNG)", partial(
            lambda: png_bytes(class_sheet(seen, shown, {m: registry.title(m) for m in shown}, what, top5, network, sty.sequential, alpha))),
            file_name=f"{key.replace('@', '-')}_where_{what.replace(' ', '_')}.png", mime="image/png",
            key="attr_dl_sheet", icon=":material/slideshow:", type="primary")
    st.caption("Guided backprop and deconvnet apply their rule at every rectifier (ReLU6, functional and reused "
               "ReLUs included) on a traced copy sharing the weights; the shared model is never hooked or modified.")


def maps_as_they_come(store: AttrState, methods: list[str], one: Callable[[str], np.ndarray], signature: tuple,
                      preview: Callable[[dict[str, np.ndarray]], None]) -> dict[str, np.ndarray]:
    """Every method's map, each shown as soon as it is ready; what is finished survives a Stop (`store.partial`)."""
    progress = st.progress(0.0, text="Starting…")
    shown = st.empty()
    out: dict[str, np.ndarray] = {}
    store.partial = (signature, out)
    for k, method in enumerate(methods):
        progress.progress(k / len(methods), text=f"{registry.title(method)} ({k + 1} of {len(methods)})… "
                                                 f"{k} ready below; Stop keeps them")
        out[method] = one(method)
        with shown.container():
            preview(out)
    progress.empty()
    shown.empty()
    return out


def partial_maps(store: AttrState, signature: tuple) -> dict[str, np.ndarray]:
    """The maps a stopped run had finished, when they belong to this view."""
    sig, done = store.partial or ((), {})
    return dict(done) if sig == signature else {}


def read_attribution_link(params: dict, model: str) -> list[str]:
    """The methods and the explained class of a link, put where the page's widgets start from."""
    def methods(t: str) -> list[str]:
        chosen = [m for m in t.split(",") if m]
        unknown = [m for m in chosen if m not in registry.names()]
        if unknown:
            raise ValueError(f"unknown method {unknown[0]!r}: use {', '.join(registry.names())}")
        return chosen

    vals, notices = read_params(params, {"methods": methods, "cls": int_in(0, 99_999), "unit": unit_link})
    if "methods" in vals:
        st.session_state["attr_methods"] = vals["methods"]
    if "cls" in vals:
        st.session_state["attr_target_kind"] = "another class"
        st.session_state[f"attr_class_{model}"] = vals["cls"]
    if "unit" in vals:
        st.session_state["attr_target_kind"] = "a channel / unit"
        st.session_state[LINKED_UNIT] = vals["unit"]  # set on the layer box once the network's layers are known
    return notices


SIGNS = ("positive", "negative", "absolute")  # what the maps show of the attribution


def _setting_parser(s: Setting) -> Callable[[str], Any]:
    """A link's value of one method setting, checked against the setting's whole range (the page then fits a range
    tied to the input, as it does for a value kept from a larger network)."""
    return choice(s.choices) if s.choices else number_in(s.low, s.high) if s.step else int_in(int(s.low), int(s.high))


def _sanity_methods(t: str) -> list[str]:
    chosen = [m for m in t.split(",") if m]
    if not chosen or any(m not in SANITY_METHODS for m in chosen):
        raise ValueError(f"use some of {', '.join(SANITY_METHODS)}")
    return chosen


def widgets_link(model: str) -> dict[str, tuple[str, Callable[[str], Any]]]:
    """The page's display widgets, every registered method's settings, the CAM layer of `model`, the faithfulness
    measure's and the sanity check's settings: url key → (widget key, parser)."""
    return {"alpha": ("attr_alpha", number_in(0, 1)), "show": ("attr_sign", choice(SIGNS)),
            **{s.name: (f"attr_{s.name}", _setting_parser(s)) for m in registry.every() for s in m.settings},
            "cam": (f"attr_cam_{model}", str), "faith_steps": ("faith_steps", int_in(*STEPS)),
            "canvas": ("faith_base", choice(tuple(CANVAS))), "sanity": ("san_methods", _sanity_methods),
            "depth": ("san_depth", int_in(1, 999))}


def attribution_link(methods: list[str], target_kind: str, target: int, unit: UnitTarget | None = None
                     ) -> dict[str, str]:
    out = {"methods": ",".join(methods), **({"cls": str(int(target))} if target_kind == "another class" else {})}
    if unit is not None:  # the layer and channel explained; "whole": the channel's mean, not its strongest unit
        out["unit"] = f"{unit.layer},{unit.channel}" + (",whole" if unit.unit is None else "")
    return out


def unit_link(t: str) -> tuple[str, int, bool]:
    """`unit=LAYER,CHANNEL[,whole]` → (node, channel, whole channel?)."""
    parts = t.split(",")
    if len(parts) not in (2, 3) or (len(parts) == 3 and parts[2] != "whole") or not parts[1].isdigit():
        raise ValueError("must be LAYER,CHANNEL or LAYER,CHANNEL,whole")
    return node_name(parts[0]), int(parts[1]), len(parts) == 3


def method_settings(size: tuple[int, int]) -> dict[str, str | int | float]:
    """The methods' settings expander, one column per method that has settings, each widget built from the
    method's record (label, range, default); a range tied to the input (occlusion's window and stride) never
    exceeds it — a value kept from a larger network's input becomes the nearest that fits."""
    side = min(size)
    tuned = [m for m in registry.every() if m.settings]
    out: dict[str, str | int | float] = {}
    with st.expander("Method settings"):
        for col, m in zip(st.columns(len(tuned)), tuned, strict=True):
            for s in m.settings:
                key = f"attr_{s.name}"
                if s.choices:
                    out[s.name] = str(col.selectbox(s.label, s.choices, key=key, help=s.help or None))
                    continue
                low, high, default = s.bounds(side)
                if (st.session_state.get(key) or 0) > high:
                    st.session_state[key] = float(high) if s.step else int(high)
                if s.step:  # a fraction: a slider
                    out[s.name] = float(col.slider(s.label, float(low), float(high), step=s.step, key=key,
                                                   **start(key, float(default)),
                                                   help=s.help or None))
                else:
                    out[s.name] = int(col.number_input(s.label, int(low), int(high), key=key, **start(key, int(default)),
                                                       help=s.help or None))
    return out


def cam_layer_choice(where, net, key: str) -> str | None:
    """The CAM family's layer (default: the last spatial one); None, said, when the network has no layer with a
    height and width (your own network of fully connected layers)."""
    spatial = [i.node for i in net.layers() if len(i.shape) == 3 and i.shape[1] > 1]
    if not spatial:
        where.caption("No layer here has a height and width: the CAM family and guided Grad-CAM are left out.")
        return None
    if st.session_state.get(key, spatial[0]) not in spatial:  # a linked layer this network does not have
        st.session_state.pop(key)
    return where.selectbox("Grad-CAM layer", spatial, key=key, **start(key, spatial.index(net.default_cam_layer), "index"))


def rectifier_note(net) -> None:
    """Guided backprop and deconvnet change only rectifiers: without any, they are the plain gradient — said."""
    from cnnviz.explain.rules import rectifier_count

    if net.takes_digits and rectifier_count(net) == 0:
        st.info("This LeNet-5 uses tanh or sigmoid, not rectifiers: guided backprop and deconvnet equal the plain "
                "gradient here.")


def shared_map(share: bool, key: tuple, compute: Callable[[], np.ndarray]) -> np.ndarray:
    """`compute()` here, or once for the class or hall when shareable (a learner asking while another computes
    the same map waits for it; Stop ends the wait)."""
    if not share:
        return compute()
    from cnnviz.classroom.results import key_of, pack, unpack
    from cnnviz.ui.heavy_jobs import shared_once

    blob = shared_once(key_of(*key), lambda: pack({}, {"values": np.asarray(compute())}),
                       f"attr_wait_{key_of(*key)[:12]}", lambda s: f"Another learner is computing this very map "
                       f"({key[3]}): it appears here as soon as it is ready (waiting {s:.0f} s).")
    assert blob is not None  # compute never returns None
    return unpack(blob)[1]["values"]


def with_progress(store: AttrState, method: str, key: tuple,
                  compute: Callable[[Callable[[int, int], None]], np.ndarray]) -> np.ndarray:
    """A slow map (Score-CAM) with a progress bar; each update is a Streamlit call, so Stop ends it there.

    Kept per session by its key (the page's signature, the last few): a rerun does not recompute it.
    """
    def with_bar() -> np.ndarray:
        bar = st.progress(0.0, text=f"{method}: starting…")

        def progress(d: int, n: int) -> None:
            bar.progress(d / n, text=f"{method}: {d} of {n} masked copies of the photo scored")

        values = compute(progress)
        bar.empty()
        return values

    return store.slow_maps.get(key, with_bar)


SANITY_METHODS = [m.name for m in registry.every() if m.in_sanity]  # quick enough to recompute at every step


def sanity_section(store: AttrState, net: Network, x: torch.Tensor, target: int, seen: np.ndarray, label: str,
                   sty: Style, share: bool = False) -> None:
    """Adebayo et al.'s cascading randomisation, live: maps side by side per step and their similarity curve."""
    from cnnviz.explain.sanity import layer_groups

    with st.expander("Sanity check — do these maps depend on what the network learnt?", icon=":material/science:",
                     key="san_open"):
        st.markdown("Adebayo et al. (2018) randomised a trained network's weights layer by layer from the top and "
                    "found that some popular maps barely change — so they show the photo's edges, not what the "
                    "network learnt. Here the same happens live, on a private copy of this network: each step "
                    "randomises one more group of layers, and the curve is each map's Spearman rank correlation "
                    "(of |map|) with the original — near 1 means the method did not notice.")
        a, b = st.columns([3, 2])
        methods = a.multiselect("Methods to check", SANITY_METHODS, format_func=registry.title, key="san_methods",
                                **start("san_methods", ["saliency", "guided-backprop", "gradcam"], "default"))
        groups = layer_groups(net.model)
        clamp_widget("san_depth", len(groups))
        depth = b.slider("Layer groups to randomise (from the top)", 1, len(groups), key="san_depth",
                         **start("san_depth", min(8, len(groups))))
        key = (net.key, ins.input_key(x), int(target), tuple(methods), depth)
        if st.button("Run the sanity check", icon=":material/play_arrow:", key="san_run", disabled=not methods):
            _run_sanity(store, net, x, key, share)
        done = store.sanity
        if not done or done[0] != key or not done[1]:
            st.caption(f"Explains the class **{label}**. Takes a few seconds per step on a CPU; Stop keeps the "
                       "steps done.")
            return
        _sanity_results(done[1], methods, seen, sty)


def _run_sanity(store: AttrState, net: Network, x: torch.Tensor, key: tuple, share: bool) -> None:
    """The check as a heavy job (Stop keeps the steps done); shared, it runs once per class or hall (seeded: the same
    steps for every learner on this photo) and the others wait for it."""
    from cnnviz.explain.sanity import cascading, steps_from_blob, steps_to_blob

    _, _, target, methods, depth = key
    found: list = []
    store.sanity = (key, found)
    bar = st.progress(0.0, text="Sanity check: the original maps…")

    def on_step(step, k: int, n: int) -> None:
        found.append(step)  # kept as it goes: a stopped run shows the steps it finished
        bar.progress(k / n, text=f"Sanity check: step {k} of {n} (randomised: {step.randomised})")

    def check() -> bytes | None:
        steps = run_heavy("Sanity check", "san_job", lambda: cascading(net, x, methods, target=target, steps=depth,
                                                                        on_step=on_step))
        return steps_to_blob(steps) if steps is not None else None  # a stopped check is not shared

    if share:
        from cnnviz.classroom.results import key_of
        from cnnviz.ui.heavy_jobs import shared_once

        blob = shared_once(key_of("sanity", *key), check, "san_wait_stop", lambda s: "Another learner is "
                           f"running this very sanity check: its steps appear here as soon as it is done "
                           f"(waiting {s:.0f} s).")
        if blob is not None:
            found[:] = steps_from_blob(blob)
    else:
        check()
    bar.empty()


def _sanity_results(steps: list, methods: list[str], seen: np.ndarray, sty: Style) -> None:
    """Each method's similarity to its original map, step by step, and the maps themselves."""
    from cnnviz.present.figures import sanity_curve_figure
    from cnnviz.ui.charts import chart

    chart(sanity_curve_figure([s.randomised for s in steps], {registry.title(m): [s.similarity[m] for s in steps]
                                                               for m in methods}, sty),
          config={"displaylogo": False}, key="san_curve")
    for s in steps:
        cols = st.columns([1] + [2] * len(methods), vertical_alignment="center")
        cols[0].markdown(f"**{s.randomised}**" if s.randomised != "none" else "**original**")
        for c, m in zip(cols[1:], methods):
            c.image(overlay(seen, at.display_map(s.maps[m], m), 0.7), width="stretch",
                    caption=f"{registry.title(m)} · ρ = {s.similarity[m]:.2f}",
                    alt=f"{registry.title(m)} with {s.randomised} randomised: {strongest_place(s.maps[m])}, rank "
                        f"correlation {s.similarity[m]:.2f} with the original")


