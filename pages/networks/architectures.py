"""Architectures layer by layer: tables, diagrams, paper variants, calculators and a comparison."""

import streamlit as st

from cnnviz.networks import architecture as A
from cnnviz.present.figures import shared_figure
from cnnviz.ui.charts import chart
from cnnviz.ui.grid_widgets import clicked_cell
from cnnviz.ui.model_choice import this_session
from cnnviz.ui.own_network import own_network_panel
from cnnviz.ui.page import open_page, publish
from cnnviz.ui.settings import current, start
from cnnviz.ui.tables import data_table
from cnnviz.ui.views.architecture_views import (
    ArchState,
    calculators,
    comparison,
    diagram_figure,
    human,
    layer_rows,
    mb,
    paper_beside_runnable,
)

sty = current().style
store = open_page(ArchState)

st.title("Architectures")
st.caption("Every number below is read off the real PyTorch modules: the model is built, traced and run on a dummy "
           "input of the stated size. Multiply-adds (MACs) count convolutions and fully connected layers; activation "
           "memory is each layer's float32 output.")

archs = {**A.ARCHS, **{n.key: A.arch_of(n) for n in this_session()}}  # ★ yours too, never in links
names = list(archs)
c1, c2, c3 = st.columns([3, 1, 1], vertical_alignment="bottom")
arch = c1.selectbox("Architecture", names, index=names.index(store.arch if store.arch in archs else "alexnet-paper"),
                    format_func=lambda n: archs[n].title, key="arch_pick")
store.arch = arch
spec = archs[arch]
with c1:
    own_network_panel("arch")  # a .pt2 of your own: offered (★) in the list above once opened
size_key = f"arch_size_{arch}"  # a linked size is already in the session state: no second default then
side = c2.number_input("Input size (pixels)", 32 if spec.input_size[1] <= 32 else 64, 512, key=size_key,
                       disabled=arch.startswith("lenet"),
                       **start(size_key, spec.input_size[1]))
batch = c3.number_input("Batch size", 1, 1024, key="arch_batch",
                        **start("arch_batch", 1))
try:
    table = A.layer_table(spec, (spec.input_size[0], int(side), int(side)))
except RuntimeError:
    st.error(f"This architecture cannot take a {side}×{side} input: its feature maps shrink to nothing before the "
             f"last layer. Showing {spec.input_size[1]}×{spec.input_size[2]}.")
    table = A.layer_table(spec)
tot = table.totals(int(batch))
m = st.columns(5)
m[0].metric("Parameters", f"{table.params:,}", help=f"{mb(tot['parameter_bytes'])} as float32")
m[1].metric("Multiply-adds", human(tot["macs"]), help=f"per batch of {batch}; {table.macs:,} per image")
m[2].metric("Activation memory", mb(tot["activation_bytes"]), help=f"per batch of {batch}, float32 outputs of every row")
m[3].metric("Depth", f"{table.depth} layers", help="layers with weights on the longest path")
t1, src = A.top1(arch) if arch in A.ARCHS else (None, "")
m[4].metric("ImageNet top-1", f"{t1:.1f} %" if t1 is not None else "—", help=src or "not an ImageNet model")

# ---- diagram ------------------------------------------------------------------------------
bl = A.blocks(table)
st.subheader("Diagram — click a block to see its rows")
fig = shared_figure(("architecture diagram", arch, table.input_size, sty), lambda: diagram_figure(bl, sty))
ev = chart(fig, on_select="rerun", selection_mode="points", key=f"arch_diagram_{arch}",
                     config={"displaylogo": False})
click = clicked_cell(ev, store, f"arch_{arch}")
if click:
    store.block = bl[click[1]].key
selected = store.block if any(b.key == store.block for b in bl) else None
store.show(arch, table.input_size[1], int(batch), selected)
publish(store)  # after the diagram's click: the selected block is in the link
st.caption("Blue: convolutions · orange: pooling · pink: fully connected · grey: other. "
           + (f"Selected: **{selected}**." if selected else "No block selected: the whole table is shown."))

# ---- the table ----------------------------------------------------------------------------
rows = [r for r in table.rows if selected is None or A.block_key(r.name) == selected]
df = layer_rows(rows, int(batch))
if selected:
    if st.button("Show the whole table", key="arch_all"):
        store.block = None
        st.rerun()
data_table(df, hide_index=True, width="stretch", height=min(36 * (len(df) + 1) + 4, 560),
             column_config={"parameters": st.column_config.NumberColumn(format="localized"),
                            "MACs": st.column_config.NumberColumn(format="localized")})
st.download_button("Table as CSV", df.to_csv(index=False), file_name=f"{arch}_layers.csv", mime="text/csv",
                   icon=":material/table:")
if selected:
    dot = A.block_dot(arch, selected) if arch in A.ARCHS else None
    if dot:
        st.subheader(f"Inside {selected}")
        st.graphviz_chart(dot)
elif arch in ("googlenet", "resnet18", "resnet50"):
    example = {"googlenet": "inception3a", "resnet18": "layer2.0", "resnet50": "layer2.0"}[arch]
    st.subheader(f"Inside {example}" + (" — an Inception module" if arch == "googlenet" else
                                        " — a residual block with a projection shortcut"))
    st.graphviz_chart(A.block_dot(arch, example))

paper_beside_runnable(arch)
calculators()
comparison(sty)
