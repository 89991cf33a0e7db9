"""Architectures layer by layer: tables, diagrams, paper variants, calculators and a comparison."""
import math

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from cnnviz.networks import architecture as A
from cnnviz.networks.paper_models import DIFFERENCES
from cnnviz.ui.grids import clicked_cell, page_store, read_url_once, write_url
from cnnviz.ui.settings import current
from cnnviz.urlstate import choice, read_params

sty = current().style
store = page_store("arch", lambda: {"arch": "alexnet-paper"})


def _from_url(params: dict) -> list[str]:
    vals, notices = read_params(params, {"arch": choice(tuple(A.ARCHS))})
    store.update(vals)
    return notices


read_url_once("architectures", _from_url)


def human(n: float, unit: str = "") -> str:
    for factor, suffix in ((1e9, " G"), (1e6, " M"), (1e3, " k")):
        if abs(n) >= factor:
            return f"{n / factor:.2f}{suffix}{unit}"
    return f"{n:g} {unit}".strip()


def mb(n: float) -> str:
    return f"{n / 2**20:.2f} MiB"


st.title("Architectures")
st.caption("Every number below is read off the real PyTorch modules: the model is built, traced and run on a dummy "
           "input of the stated size. Multiply-adds (MACs) count convolutions and fully connected layers; activation "
           "memory is each layer's float32 output.")

names = list(A.ARCHS)
c1, c2, c3 = st.columns([3, 1, 1], vertical_alignment="bottom")
arch = c1.selectbox("Architecture", names, index=names.index(store["arch"]), format_func=lambda n: A.ARCHS[n].title,
                    key="arch_pick")
store["arch"] = arch
spec = A.ARCHS[arch]
side = c2.number_input("Input size (pixels)", 32 if spec.input_size[1] <= 32 else 64, 512, spec.input_size[1],
                       key=f"arch_size_{arch}", disabled=arch.startswith("lenet"))
batch = c3.number_input("Batch size", 1, 1024, 1, key="arch_batch")
try:
    table = A.layer_table(arch, (spec.input_size[0], int(side), int(side)))
except RuntimeError:
    st.error(f"This architecture cannot take a {side}×{side} input: its feature maps shrink to nothing before the "
             f"last layer. Showing {spec.input_size[1]}×{spec.input_size[2]}.")
    table = A.layer_table(arch)
write_url({"arch": arch})
tot = table.totals(int(batch))
m = st.columns(5)
m[0].metric("Parameters", f"{table.params:,}", help=f"{mb(tot['parameter_bytes'])} as float32")
m[1].metric("Multiply-adds", human(tot["macs"]), help=f"per batch of {batch}; {table.macs:,} per image")
m[2].metric("Activation memory", mb(tot["activation_bytes"]), help=f"per batch of {batch}, float32 outputs of every row")
m[3].metric("Depth", f"{table.depth} layers", help="layers with weights on the longest path")
t1, src = A.top1(arch)
m[4].metric("ImageNet top-1", f"{t1:.1f} %" if t1 is not None else "—", help=src or "not an ImageNet model")

# ---- diagram ------------------------------------------------------------------------------
bl = A.blocks(table)
st.subheader("Diagram — click a block to see its rows")
kinds_colour = {"Conv2d": "#0072B2", "Conv2dSame": "#0072B2", "Linear": "#CC79A7", "MaxPool2d": "#E69F00",
                "AvgPool2d": "#E69F00", "AdaptiveAvgPool2d": "#E69F00"}
per_row = 12
xs = [k % per_row for k in range(len(bl))]
ys = [-(k // per_row) for k in range(len(bl))]
colours = [next((kinds_colour[t] for t in b.kinds if t in kinds_colour), "#999999") for b in bl]
fig = go.Figure()
for k in range(len(bl) - 1):  # connectors as shapes: only the blocks take clicks
    fig.add_shape(type="line", x0=xs[k], x1=xs[k + 1], y0=ys[k], y1=ys[k + 1], line={"color": "#BBBBBB", "width": 2},
                  layer="below")
fig.add_trace(go.Scatter(
    x=xs, y=ys, mode="markers+text", marker={"symbol": "square", "size": 46 if sty.presentation else 38,
                                              "color": colours, "line": {"width": 1, "color": "#333"}},
    text=[b.key.replace("inception", "inc ").replace("_blocks.", "MB ").replace("features.", "f")[:9] for b in bl],
    textposition="bottom center", textfont={"size": sty.font_size - 4},
    customdata=[["block", k, 0] for k in range(len(bl))],
    hovertext=[f"{b.key}: {' → '.join(b.kinds)}<br>out {'×'.join(map(str, b.output_shape))} · {b.params:,} params"
               for b in bl], hoverinfo="text", showlegend=False))
fig.update_layout(height=120 + 95 * (len(bl) // per_row + 1), margin={"l": 10, "r": 10, "t": 10, "b": 10},
                  xaxis={"visible": False, "range": [-0.7, per_row - 0.3]}, yaxis={"visible": False},
                  font={"size": sty.font_size}, clickmode="event+select", dragmode=False)
ev = st.plotly_chart(fig, on_select="rerun", selection_mode="points", key=f"arch_diagram_{arch}",
                     config={"displaylogo": False})
click = clicked_cell(ev, store, f"arch_{arch}")
if click:
    store["block"] = bl[click[1]].key
selected = store.get("block") if any(b.key == store.get("block") for b in bl) else None
st.caption("Blue: convolutions · orange: pooling · pink: fully connected · grey: other. "
           + (f"Selected: **{selected}**." if selected else "No block selected: the whole table is shown."))

# ---- the table ----------------------------------------------------------------------------
rows = [r for r in table.rows if selected is None or A.block_key(r.name) == selected]
df = pd.DataFrame([{"layer": r.name, "type": r.type, "kernel / stride / pad": r.kernel,
                    "output (C×H×W)": "×".join(map(str, r.output_shape)), "parameters": r.params,
                    "MACs": r.macs, "activation memory": mb(r.activation_bytes * batch),
                    "RF (px)": "global" if not math.isfinite(r.rf) else f"{r.rf:g}", "jump": f"{r.jump:g}"}
                   for r in rows])
if selected:
    if st.button("Show the whole table", key="arch_all"):
        store.pop("block", None)
        st.rerun()
st.dataframe(df, hide_index=True, width="stretch", height=min(36 * (len(df) + 1) + 4, 560),
             column_config={"parameters": st.column_config.NumberColumn(format="localized"),
                            "MACs": st.column_config.NumberColumn(format="localized")})
st.download_button("Table as CSV", df.to_csv(index=False), file_name=f"{arch}_layers.csv", mime="text/csv",
                   icon=":material/table:")
if selected:
    dot = A.block_dot(arch, selected)
    if dot:
        st.subheader(f"Inside {selected}")
        st.graphviz_chart(dot)
elif arch in ("googlenet", "resnet18", "resnet50"):
    example = {"googlenet": "inception3a", "resnet18": "layer2.0", "resnet50": "layer2.0"}[arch]
    st.subheader(f"Inside {example}" + (" — an Inception module" if arch == "googlenet" else
                                        " — a residual block with a projection shortcut"))
    st.graphviz_chart(A.block_dot(arch, example))

# ---- paper vs implementation --------------------------------------------------------------
pair = {"lenet5": ("lenet5-paper", "lenet5"), "lenet5-paper": ("lenet5-paper", "lenet5"),
        "alexnet": ("alexnet-paper", "alexnet"), "alexnet-paper": ("alexnet-paper", "alexnet")}.get(arch)
if pair:
    st.subheader("The paper's network beside the one you can run")
    cols = st.columns(2)
    for col, name in zip(cols, pair):
        t = A.layer_table(name)
        with col:
            st.markdown(f"**{A.ARCHS[name].title}** — input {'×'.join(map(str, t.input_size))}, "
                        f"{t.params:,} parameters, {human(t.macs)} MACs")
            st.dataframe(pd.DataFrame([{"layer": r.name, "type": r.type, "kernel": r.kernel,
                                        "output": "×".join(map(str, r.output_shape)), "params": r.params}
                                       for r in t.rows if r.params or "Pool" in r.type or "Sub" in r.type]),
                         hide_index=True, width="stretch")
    paper_ch, impl_ch = A.conv_channels(pair[0]), A.conv_channels(pair[1])
    key = "alexnet" if "alexnet" in pair[0] else "lenet5"
    st.markdown("**Differences**\n" + "\n".join(f"- {d}" for d in DIFFERENCES[key])
                + f"\n- Convolution output channels, paper: {', '.join(map(str, paper_ch))}; runnable: "
                  f"{', '.join(map(str, impl_ch))}.")
    if key == "alexnet":
        two, one = A.layer_table("alexnet-paper").params, A.paper_alexnet_one_gpu_params()
        st.caption(f"Without the two-GPU grouping the paper's AlexNet would have {one:,} parameters instead of "
                   f"{two:,}.")

# ---- calculators --------------------------------------------------------------------------
st.header("Calculators")
tab_inc, tab_stack, tab_fc = st.tabs(["Inception module", "3×3 stacks vs one large kernel", "Fully connected vs convolution"])
with tab_inc:
    a = st.columns(9)
    vals = [a[i].number_input(lbl, 1, 2048, v, key=f"inc_{lbl}") for i, (lbl, v) in enumerate(
        [("H", 28), ("W", 28), ("C in", 256), ("1×1", 128), ("3×3", 192), ("5×5", 96), ("3×3 reduce", 64),
         ("5×5 reduce", 64), ("pool proj", 64)])]
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
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch",
                 column_config={"parameters": st.column_config.NumberColumn(format="localized"),
                                "multiplications": st.column_config.NumberColumn(format="localized")})
    naive_m = sum(b.mults for b in A.inception(h, w, c, b1, b3, b5, r3, r5, pp, bottleneck=False))
    bott_m = sum(b.mults for b in A.inception(h, w, c, b1, b3, b5, r3, r5, pp, bottleneck=True))
    st.markdown(f"The 1×1 bottlenecks cut the multiplications from **{naive_m:,}** to **{bott_m:,}** "
                f"({naive_m / bott_m:.1f}× fewer). Without them the pooling branch keeps all {c} input channels, so "
                f"the naive module's output grows to {b1 + b3 + b5 + c} channels.")
with tab_stack:
    a, b = st.columns(2)
    n = int(a.number_input("n stacked 3×3 convolutions", 1, 10, 3, key="stack_n"))
    ch = int(b.number_input("channels C (in and out)", 1, 2048, 64, key="stack_c"))
    r = A.stack_vs_large(n, ch)
    st.dataframe(pd.DataFrame([
        {"design": f"{n} × 3×3 conv", "receptive field": f"{r['receptive_field']}×{r['receptive_field']}",
         "parameters (no bias)": r["stack_params"], "formula": f"{n} · 9 · C² = {n} · 9 · {ch}²",
         "non-linearities": r["stack_nonlinearities"]},
        {"design": f"one {r['kernel']}×{r['kernel']} conv", "receptive field": f"{r['kernel']}×{r['kernel']}",
         "parameters (no bias)": r["large_params"], "formula": f"{r['kernel']}² · C² = {r['kernel'] ** 2} · {ch}²",
         "non-linearities": r["large_nonlinearities"]}]), hide_index=True, width="stretch")
    st.markdown(f"Same receptive field, {r['large_params'] / r['stack_params']:.2f}× the parameters for the single "
                f"large kernel — and {n} non-linearities instead of 1 (VGG's argument).")
with tab_fc:
    a = st.columns(5)
    fh, fw, fc, fo, fk = (int(a[i].number_input(lbl, 1, 4096, v, key=f"fc_{lbl}")) for i, (lbl, v) in enumerate(
        [("H", 32), ("W", 32), ("C in", 3), ("C out", 10), ("kernel k", 5)]))
    r = A.fc_vs_conv(fh, fw, fc, fo, fk)
    st.dataframe(pd.DataFrame([
        {"layer": "fully connected", "parameters": r["fc_params"], "inputs per output unit": r["connections_per_output_fc"],
         "formula": f"({fh}·{fw}·{fc}) · ({fh}·{fw}·{fo}) + {fh}·{fw}·{fo}"},
        {"layer": f"{fk}×{fk} convolution", "parameters": r["conv_params"], "inputs per output unit":
         r["connections_per_output_conv"], "formula": f"{fo} · ({fk}·{fk}·{fc} + 1)"}]), hide_index=True, width="stretch",
        column_config={"parameters": st.column_config.NumberColumn(format="localized")})
    st.markdown(f"Both produce {r['output_units']:,} outputs. Sparse connectivity (each output sees {fk}×{fk}×{fc} "
                f"inputs, not all {r['connections_per_output_fc']:,}) and parameter sharing (one kernel everywhere) "
                f"make the convolution {r['fc_params'] / r['conv_params']:,.0f}× smaller.")

# ---- comparison ---------------------------------------------------------------------------
st.header("Comparison")
cmp_rows = []
for name in A.ARCHS:
    t = A.layer_table(name)
    acc, src = A.top1(name)
    cmp_rows.append({"architecture": A.ARCHS[name].title, "parameters": t.params, "MACs": t.macs, "depth": t.depth,
                     "ImageNet top-1 %": acc, "accuracy source": src})
cmp = pd.DataFrame(cmp_rows)
with_acc = cmp.dropna(subset=["ImageNet top-1 %"])
fig = go.Figure(go.Scatter(
    x=with_acc["MACs"], y=with_acc["ImageNet top-1 %"], mode="markers+text", text=with_acc["architecture"],
    textposition="top center", marker={"size": [8 + 40 * math.sqrt(p / cmp["parameters"].max()) for p in with_acc["parameters"]],
                                       "color": "#0072B2", "opacity": 0.7},
    hovertext=[f"{a}: {p:,} parameters, depth {d}" for a, p, d in zip(with_acc["architecture"], with_acc["parameters"],
                                                                     with_acc["depth"])], hoverinfo="text"))
fig.update_layout(xaxis={"type": "log", "title": "multiply-adds per image (log)"},
                  yaxis={"title": "ImageNet top-1 accuracy (%)"}, height=460 if sty.presentation else 400,
                  font={"size": sty.font_size}, margin={"l": 50, "r": 20, "t": 20, "b": 50})
st.plotly_chart(fig, config={"displaylogo": False}, key="arch_compare")
st.caption("Bubble area ∝ parameters. LeNet-5 is not an ImageNet model.")
st.dataframe(cmp, hide_index=True, width="stretch",
             column_config={"parameters": st.column_config.NumberColumn(format="localized"),
                            "MACs": st.column_config.NumberColumn(format="localized")})
