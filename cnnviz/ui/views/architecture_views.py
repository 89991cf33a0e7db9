"""The Architectures page's design calculators and comparison: numbers from cnnviz.networks.architecture."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from cnnviz.networks import architecture as A
from cnnviz.present.colours import Style
from cnnviz.present.figures import bubble_label_positions, shared_figure
from cnnviz.ui.charts import chart
from cnnviz.ui.page import PageState, Parser, link_widgets, widget_link
from cnnviz.ui.settings import start
from cnnviz.ui.tables import data_table
from cnnviz.urlstate import choice, int_in, node_name, read_params


def human(n: float, unit: str = "") -> str:
    for factor, suffix in ((1e9, " G"), (1e6, " M"), (1e3, " k")):
        if abs(n) >= factor:
            return f"{n / factor:.2f}{suffix}{unit}"
    return f"{n:g} {unit}".strip()


def mb(n: float) -> str:
    return f"{n / 2**20:.2f} MiB"


KIND_COLOURS = {"Conv2d": "#0072B2", "Conv2dSame": "#0072B2", "Linear": "#CC79A7", "MaxPool2d": "#E69F00",
                "AvgPool2d": "#E69F00", "AdaptiveAvgPool2d": "#E69F00"}


def diagram_figure(bl: list[A.Block], sty: Style, per_row: int = 12) -> go.Figure:
    """Blocks as clickable squares in reading order, joined by connectors (shapes: only the blocks take clicks)."""
    xs = [k % per_row for k in range(len(bl))]
    ys = [-(k // per_row) for k in range(len(bl))]
    colours = [next((KIND_COLOURS[t] for t in b.kinds if t in KIND_COLOURS), "#999999") for b in bl]
    connectors = [{"type": "line", "x0": xs[k], "x1": xs[k + 1], "y0": ys[k], "y1": ys[k + 1], "layer": "below",
                   "line": {"color": "#BBBBBB", "width": 2}} for k in range(len(bl) - 1)]
    fig = go.Figure(go.Scatter(
        x=xs, y=ys, mode="markers+text", marker={"symbol": "square", "size": 46 if sty.presentation else 38,
                                                  "color": colours, "line": {"width": 1, "color": "#333"}},
        text=[A.short_label(b.key) for b in bl],
        textposition="bottom center", textfont={"size": sty.font_size - 4},
        customdata=[["block", k, 0] for k in range(len(bl))],
        hovertext=[f"{b.key}: {' → '.join(b.kinds)}<br>out {'×'.join(map(str, b.output_shape))} · {b.params:,} params"
                   for b in bl], hoverinfo="text", showlegend=False))
    fig.update_layout(height=120 + 95 * (len(bl) // per_row + 1), margin={"l": 10, "r": 10, "t": 10, "b": 10},
                      xaxis={"visible": False, "range": [-0.7, per_row - 0.3]}, yaxis={"visible": False},
                      font={"size": sty.font_size}, clickmode="event+select", dragmode=False, shapes=connectors)
    return fig


# the calculators' boxes: (label, default, link name)
_INCEPTION = (("H", 28, "h"), ("W", 28, "w"), ("C in", 256, "cin"), ("1×1", 128, "b1"), ("3×3", 192, "b3"),
              ("5×5", 96, "b5"), ("3×3 reduce", 64, "r3"), ("5×5 reduce", 64, "r5"), ("pool proj", 64, "pp"))
_FC = (("H", 32, "h"), ("W", 32, "w"), ("C in", 3, "cin"), ("C out", 10, "cout"), ("kernel k", 5, "k"))
_STACK = (("n stacked 3×3 convolutions", 3, "n", 10), ("channels C (in and out)", 64, "c", 2048))
# url key → (widget key, parser, default): a link carries the boxes that differ from their defaults
CALCULATORS = {**{f"inc_{u}": (f"inc_{lbl}", int_in(1, 2048), v) for lbl, v, u in _INCEPTION},
               **{f"stack_{u}": (f"stack_{u}", int_in(1, hi), v) for _, v, u, hi in _STACK},
               **{f"fc_{u}": (f"fc_{lbl}", int_in(1, 4096), v) for lbl, v, u in _FC}}


CALC_TABS = ("Inception module", "3×3 stacks vs one large kernel", "Fully connected vs convolution")
CALCULATOR_WIDGETS: dict[str, tuple[str, Parser]] = {  # link key → (widget, parser); the calculators' tab too
    **{k: (key, parse) for k, (key, parse, _) in CALCULATORS.items()}, "calc": ("arch_calc_tab", choice(CALC_TABS))}


@dataclass(kw_only=True, eq=False)
class ArchState(PageState):
    """The architecture chosen, the diagram block selected, and the link of the view drawn (input size and batch
    are widgets a link starts; the calculators' values travel only where they differ from their defaults)."""

    name: str = "arch"
    arch: str = "alexnet-paper"
    block: str | None = None  # the diagram's selected block: the table shows its rows only
    shown: dict[str, str] = field(default_factory=dict)

    def read_link(self, params: dict[str, str]) -> list[str]:
        vals, notices = read_params(params, {"arch": choice(tuple(A.ARCHS)), "size": int_in(32, 512),
                                             "batch": int_in(1, 1024), "block": node_name})
        self.arch = vals.get("arch", self.arch)
        self.block = vals.get("block", self.block)  # a block the architecture lacks shows the whole table
        if "arch" in vals and "size" in vals:  # the size box starts on the linked size
            st.session_state[f"arch_size_{vals['arch']}"] = vals["size"]
        if "batch" in vals:
            st.session_state["arch_batch"] = vals["batch"]
        return notices + link_widgets(params, CALCULATOR_WIDGETS)

    def show(self, arch: str, size: int, batch: int, block: str | None = None) -> None:
        self.shown = {**({"arch": arch} if arch in A.ARCHS else {}), "size": str(size), "batch": str(batch),
                      **({"block": block} if block else {})}

    def link(self) -> dict[str, str]:
        now = widget_link(CALCULATOR_WIDGETS)
        default = {**{k: str(d) for k, (_, _, d) in CALCULATORS.items()}, "calc": CALC_TABS[0]}
        return {**self.shown, **{k: v for k, v in now.items() if v != default[k]}}


def layer_rows(rows: list, batch: int) -> pd.DataFrame:
    """The layer table's rows as shown: shapes, parameters, MACs, activation memory per batch, receptive field."""
    return pd.DataFrame([{"layer": r.name, "type": r.type, "kernel / stride / pad": r.kernel,
                          "output (C×H×W)": "×".join(map(str, r.output_shape)), "parameters": r.params,
                          "MACs": r.macs, "activation memory": mb(r.activation_bytes * batch),
                          "RF (px)": "global" if not math.isfinite(r.rf) else f"{r.rf:g}", "jump": f"{r.jump:g}"}
                         for r in rows])


def paper_rows(name: str) -> tuple[A.Table, pd.DataFrame]:
    """A network's table and its rows with weights or pooling, for the paper-vs-implementation comparison."""
    t = A.layer_table(name)
    return t, pd.DataFrame([{"layer": r.name, "type": r.type, "kernel": r.kernel,
                             "output": "×".join(map(str, r.output_shape)), "params": r.params}
                            for r in t.rows if r.params or "Pool" in r.type or "Sub" in r.type])


def paper_beside_runnable(arch: str) -> None:
    """LeNet-5's and AlexNet's paper networks beside the runnable ones, their differences in words; GoogLeNet's."""
    from cnnviz.networks.paper_models import DIFFERENCES, paper_pair

    pair = paper_pair(arch)
    if pair:
        st.subheader("The paper's network beside the one you can run")
        for col, name in zip(st.columns(2), pair):
            t, rows_df = paper_rows(name)
            with col:
                st.markdown(f"**{A.ARCHS[name].title}** — input {'×'.join(map(str, t.input_size))}, "
                            f"{t.params:,} parameters, {human(t.macs)} MACs")
                data_table(rows_df, hide_index=True, width="stretch")
        paper_ch, impl_ch = A.conv_channels(pair[0]), A.conv_channels(pair[1])
        key = pair[1]
        st.markdown("**Differences**\n" + "\n".join(f"- {d}" for d in DIFFERENCES[key])
                    + f"\n- Convolution output channels, paper: {', '.join(map(str, paper_ch))}; runnable: "
                      f"{', '.join(map(str, impl_ch))}.")
        if key == "alexnet":
            two, one = A.layer_table("alexnet-paper").params, A.paper_alexnet_one_gpu_params()
            st.caption(f"Without the two-GPU grouping the paper's AlexNet would have {one:,} parameters instead of "
                       f"{two:,}.")
    if arch == "googlenet":
        st.subheader("The paper's GoogLeNet beside the one you can run")
        st.markdown("**Differences**\n" + "\n".join(f"- {d}" for d in DIFFERENCES["googlenet"]))


def calculators() -> None:
    """Inception naive vs bottleneck, 3×3 stacks vs one large kernel, fully connected vs convolution."""
    st.header("Calculators")
    tab_inc, tab_stack, tab_fc = st.tabs(list(CALC_TABS), key="arch_calc_tab", on_change="rerun")  # linked
    with tab_inc:
        a = st.columns(9)
        vals = [a[i].number_input(lbl, 1, 2048, key=f"inc_{lbl}", **start(f"inc_{lbl}", v))
                for i, (lbl, v, _) in enumerate(_INCEPTION)]
        h, w, c, b1, b3, b5, r3, r5, pp = map(int, vals)
        rows = []
        for version, bott in (("naive", False), ("1×1 bottleneck", True)):
            brs = A.inception(h, w, c, b1, b3, b5, r3, r5, pp, bottleneck=bott)
            for b in brs:
                rows.append({"version": version, "branch": b.name,
                             "convolutions": " → ".join(f"{lbl} ({ci}→{co})" for lbl, _, ci, co in b.layers) or "max-pool only",
                             "out channels": b.out_channels, "parameters": b.params, "multiplications": b.mults})
            rows.append({"version": version, "branch": "total", "convolutions": "", "out channels":
                         sum(b.out_channels for b in brs), "parameters": sum(b.params for b in brs),
                         "multiplications": sum(b.mults for b in brs)})
        data_table(pd.DataFrame(rows), hide_index=True, width="stretch",
                     column_config={"parameters": st.column_config.NumberColumn(format="localized"),
                                    "multiplications": st.column_config.NumberColumn(format="localized")})
        naive_m = sum(b.mults for b in A.inception(h, w, c, b1, b3, b5, r3, r5, pp, bottleneck=False))
        bott_m = sum(b.mults for b in A.inception(h, w, c, b1, b3, b5, r3, r5, pp, bottleneck=True))
        st.markdown(f"The 1×1 bottlenecks cut the multiplications from **{naive_m:,}** to **{bott_m:,}** "
                    f"({naive_m / bott_m:.1f}× fewer). Without them the pooling branch keeps all {c} input channels, so "
                    f"the naive module's output grows to {b1 + b3 + b5 + c} channels.")
    with tab_stack:
        s1, s2 = st.columns(2)
        n, ch = (int(col.number_input(lbl, 1, hi, key=f"stack_{u}", **start(f"stack_{u}", v)))
                 for col, (lbl, v, u, hi) in zip((s1, s2), _STACK, strict=True))
        r = A.stack_vs_large(n, ch)
        data_table(pd.DataFrame([
            {"design": f"{n} × 3×3 conv", "receptive field": f"{r['receptive_field']}×{r['receptive_field']}",
             "parameters (no bias)": r["stack_params"], "formula": f"{n} · 9 · C² = {n} · 9 · {ch}²",
             "non-linearities": r["stack_nonlinearities"]},
            {"design": f"one {r['kernel']}×{r['kernel']} conv", "receptive field": f"{r['kernel']}×{r['kernel']}",
             "parameters (no bias)": r["large_params"], "formula": f"{r['kernel']}² · C² = {r['kernel'] ** 2} · {ch}²",
             "non-linearities": r["large_nonlinearities"]}]), hide_index=True, width="stretch")
        st.markdown(f"Same receptive field, {r['large_params'] / r['stack_params']:.2f}× the parameters for the single "
                    f"large kernel — and {n} non-linearities instead of 1 (VGG's argument).")
    with tab_fc:
        fcols = st.columns(5)
        fh, fw, fc, fo, fk = (int(fcols[i].number_input(lbl, 1, 4096, key=f"fc_{lbl}", **start(f"fc_{lbl}", v)))
                              for i, (lbl, v, _) in enumerate(_FC))
        r = A.fc_vs_conv(fh, fw, fc, fo, fk)
        data_table(pd.DataFrame([
            {"layer": "fully connected", "parameters": r["fc_params"], "inputs per output unit": r["connections_per_output_fc"],
             "formula": f"({fh}·{fw}·{fc}) · ({fh}·{fw}·{fo}) + {fh}·{fw}·{fo}"},
            {"layer": f"{fk}×{fk} convolution", "parameters": r["conv_params"], "inputs per output unit":
             r["connections_per_output_conv"], "formula": f"{fo} · ({fk}·{fk}·{fc} + 1)"}]), hide_index=True, width="stretch",
            column_config={"parameters": st.column_config.NumberColumn(format="localized")})
        st.markdown(f"Both produce {r['output_units']:,} outputs. Sparse connectivity (each output sees {fk}×{fk}×{fc} "
                    f"inputs, not all {r['connections_per_output_fc']:,}) and parameter sharing (one kernel everywhere) "
                    f"make the convolution {r['fc_params'] / r['conv_params']:,.0f}× smaller.")


def comparison(sty: Style) -> None:
    """Parameters, MACs, depth and ImageNet accuracy of every architecture (bubble chart and table)."""
    st.header("Comparison")
    cmp = pd.DataFrame(A.comparison_rows())
    with_acc = cmp.dropna(subset=["top1"])
    def bubbles() -> go.Figure:
        sizes = [8 + 40 * math.sqrt(p / cmp["parameters"].max()) for p in with_acc["parameters"]]
        x_range, y_range, height = A.bubble_ranges(with_acc["MACs"]), \
            (float(with_acc["top1"].min()) - 4, float(with_acc["top1"].max()) + 4), 460 if sty.presentation else 400
        fig = go.Figure(go.Scatter(
            x=with_acc["MACs"], y=with_acc["top1"], mode="markers+text", text=with_acc["architecture"],
            textposition=bubble_label_positions(list(with_acc["MACs"]), list(with_acc["top1"]),
                                                list(with_acc["architecture"]), sizes, x_range, y_range, height,
                                                sty.font_size),
            marker={"size": sizes, "color": "#0072B2", "opacity": 0.7},
            hovertext=[f"{a}: {p:,} parameters, depth {d}" for a, p, d in zip(with_acc["architecture"], with_acc["parameters"],
                                                                             with_acc["depth"])], hoverinfo="text"))
        ticks = [v * 10 ** e for e in range(5, 12) for v in (1, 2, 5)]  # plain labels, no small minor digits
        fig.update_layout(xaxis={"type": "log", "title": "multiply-adds per image (log)", "tickvals": ticks,
                                 "ticktext": [f"{v / 1e9:g} G" if v >= 1e9 else f"{v / 1e6:g} M" for v in ticks],
                                 "range": list(x_range)},
                          yaxis={"title": "ImageNet top-1 accuracy (%)", "range": list(y_range)}, height=height,
                          font={"size": sty.font_size}, margin={"l": 50, "r": 20, "t": 20, "b": 50})
        return fig

    fig = shared_figure(("architecture comparison", sty), bubbles)
    chart(fig, config={"displaylogo": False}, key="arch_compare")
    st.caption("Bubble area ∝ parameters. LeNet-5 is not an ImageNet model.")
    data_table(cmp.drop(columns=["top1"]), hide_index=True, width="stretch",
                 column_config={"parameters": st.column_config.NumberColumn(format="localized"),
                                "MACs": st.column_config.NumberColumn(format="localized")})
