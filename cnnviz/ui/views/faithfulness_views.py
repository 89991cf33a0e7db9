"""The Attributions page's "Is this map right?": deletion and insertion curves of the maps shown, against a random
map, with the areas, thumbnails, the numbers in words and where the two metrics disagree."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd
import plotly.colors
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from cnnviz.explain import faithfulness as fa
from cnnviz.explain import methods as registry
from cnnviz.networks.network import Network
from cnnviz.networks.probe import input_key
from cnnviz.present.colours import Style
from cnnviz.ui.charts import chart
from cnnviz.ui.heavy_jobs import run_heavy
from cnnviz.ui.settings import start
from cnnviz.ui.tables import data_table

if TYPE_CHECKING:
    import torch

CANVAS = {"blur": "a blurred copy", "mean": "the mean colour"}
THUMBS = (0.10, 0.25, 0.50)


def _name(m: str) -> str:
    return "Random map (3 seeds)" if m == fa.RANDOM else registry.title(m)


class KeepsMeasure(Protocol):
    """The page state that keeps the last measure (the Attributions page's)."""

    faithfulness: tuple[tuple, Any] | None


def faithfulness_section(store: KeepsMeasure, net: Network, x: torch.Tensor, target: int | None, maps: dict[str, np.ndarray],
                         seen: np.ndarray, label: str, sty: Style, device: str, share: bool = False) -> None:
    """The expander: settings, a Measure button (a heavy job with progress and Stop, computed once per class when
    shareable), then the curves, the areas, the thumbnails and the words, for the maps on the page."""
    with st.expander("Is this map right? Delete the pixels it calls important and watch the score",
                     icon=":material/rule:", key="faith_open"):
        st.markdown("**Deletion**: remove the photo's pixels in the order a map ranks them, most important first, "
                    "and watch the class's probability fall — a map that points at what the network uses makes "
                    "it fall fast (small area under the curve). **Insertion**: start from the emptied picture "
                    "and put the pixels back in the same order — a good map makes it rise fast (large area). "
                    "Every map must beat a **random map** as coarse as Grad-CAM's (averaged over 3 seeds).")
        if target is None:
            st.info("Deletion and insertion measure a class's probability: choose the predicted class or another "
                    "class above (not a channel or unit).")
            return
        if not maps:
            st.info("Choose at least one method above: its map is what gets measured.")
            return
        a, b, c = st.columns([1, 2, 2])
        steps = int(a.number_input("Steps", fa.STEPS[0], fa.STEPS[1], key="faith_steps", **start("faith_steps", 20),
                                   help="Equal steps from none to all of the pixels (5–100)"))
        baseline = str(b.segmented_control("Removed pixels become", list(CANVAS), format_func=CANVAS.__getitem__,
                                           required=True, key="faith_base", **start("faith_base", "blur", "default")))
        photo = input_key(x)
        key = (net.key, photo, int(target), tuple(maps), steps, baseline)
        kept = store.faithfulness
        if c.button("Measure the maps", icon=":material/play_arrow:", key="faith_run", type="primary"):
            kept = _measure(store, net, x, int(target), maps, steps, baseline, device, key, share)
        if not kept or kept[0] != key:
            st.caption(f"Explains the class **{label}**: {len(maps)} map(s) and the random map, "
                       f"{2 * (steps - 1)} perturbed pictures each, in batches — a few seconds per map on a CPU.")
            return
        _show(kept[1], seen, maps, label, sty)


def _measure(store: KeepsMeasure, net: Network, x: torch.Tensor, target: int, maps: dict[str, np.ndarray], steps: int, baseline: str,
             device: str, key: tuple, share: bool) -> tuple | None:
    bar = st.progress(0.0, text="Deletion and insertion: starting…")

    def progress(done: int, total: int) -> None:
        bar.progress(done / total, text=f"Deletion and insertion: {done} of {total} pictures scored")

    def work() -> bytes | None:
        result = run_heavy("Deletion and insertion", "faith_job", lambda: fa.faithfulness(
            net, x, target, maps, steps=steps, baseline=baseline, device=device, progress=progress))
        return fa.to_blob(result) if result is not None else None

    if share:  # the same maps of a sample photo: measured once in the class or hall
        from cnnviz.classroom.results import key_of
        from cnnviz.ui.heavy_jobs import shared_once

        blob = shared_once(key_of("faithfulness", *key), work, "faith_wait_stop", lambda s: "Another learner is "
                           f"measuring these very maps: the curves appear here as soon as they are ready "
                           f"(waiting {s:.0f} s).")
    else:
        blob = work()
    bar.empty()
    if blob is None:
        return store.faithfulness  # stopped: the last result stays
    store.faithfulness = kept = (key, fa.from_blob(blob))
    return kept


def _show(result: fa.Faithfulness, seen: np.ndarray, maps: dict[str, np.ndarray], label: str, sty: Style) -> None:
    pct = np.linspace(0, 100, result.steps + 1)
    fig = make_subplots(rows=1, cols=2, subplot_titles=("Deletion (lower area is better)",
                                                        "Insertion (higher area is better)"), horizontal_spacing=0.08)
    palette = plotly.colors.qualitative.Plotly
    for k, (m, c) in enumerate(result.curves.items()):  # one colour per map in both panels
        line = {"dash": "dash", "color": "#777777"} if m == fa.RANDOM else {"color": palette[k % len(palette)]}
        for side, ys in ((1, c.deletion), (2, c.insertion)):
            fig.add_trace(go.Scatter(x=pct, y=ys, mode="lines", name=_name(m), line=line, legendgroup=m,
                                     showlegend=side == 1), row=1, col=side)
    fig.update_xaxes(title_text="% of the pixels changed", range=[0, 100])
    fig.update_yaxes(title_text=f"probability of '{label}'", rangemode="tozero", col=1)
    fig.update_annotations(font_size=sty.font_size)  # the panels' titles, as large as the rest when projected
    fig.update_layout(height=400, font={"size": sty.font_size}, margin={"l": 60, "r": 20, "t": 40, "b": 60},
                      legend={"orientation": "h", "y": -0.25})
    chart(fig, config={"displaylogo": False}, key="faith_curves")
    for sentence in fa.read_it(result, label, registry.title):
        st.info(sentence, icon=":material/record_voice_over:")
    st.caption(fa.CAVEATS)
    t1, t2 = st.columns(2)
    order = result.ranking("deletion")
    t1.markdown("**Areas under the curves** (best deletion first)")
    data_table(where=t1, data=pd.DataFrame({"Map": [_name(m) for m in order],
                               "Deletion area ↓": [round(result.curves[m].deletion_auc, 3) for m in order],
                               "Insertion area ↑": [round(result.curves[m].insertion_auc, 3) for m in order]}),
                 hide_index=True, width="stretch")
    places = fa.disagreements(result)
    t2.markdown("**Where the metrics disagree**")
    data_table(where=t2, data=pd.DataFrame({"Map": [_name(m) for m, _, _ in places], "By deletion": [d for _, d, _ in places],
                               "By insertion": [i for _, _, i in places],
                               "": ["≠ disagree" if d != i else "" for _, d, i in places]}),
                 hide_index=True, width="stretch")
    t2.caption(fa.DISAGREEMENT)
    shown = [m for m in result.methods if m in maps]
    if not shown or maps[shown[0]].shape != seen.shape[:2]:
        return
    m = st.selectbox("Deleted step by step, as the network saw it", shown, format_func=registry.title,
                     key="faith_thumbs")
    for where, f in zip(st.columns(len(THUMBS)), THUMBS, strict=True):
        where.image(fa.perturbed_picture(seen, maps[m], f, result.baseline), width="stretch",
                    alt=f"The network's input with the {round(f * 100)} % of pixels {_name(m)} ranks highest "
                        f"replaced by the {result.baseline} baseline",
                  caption=f"{round(f * 100)} % deleted · p {'=' if (f * result.steps).is_integer() else '≈'} "
                          f"{result.curves[m].deleted(f):.2f}")
