"""Home: what CNN Explorer is, the map of pages, and the environment panel."""
import pandas as pd
import streamlit as st

from cnnviz.pagemap import PAGES, SECTIONS
from cnnviz.ui.background import environment_if_started, start_environment
from cnnviz.ui.settings import current
from cnnviz.ui.tables import data_table

settings = current()

st.title("CNN Explorer")
st.markdown(
    "Learn how convolutional neural networks work by touching them. Type numbers into grids and watch a "
    "convolution, pooling or an activation happen cell by cell with the real arithmetic; then open real "
    "pretrained networks on your own photo and see what they compute. Every number shown is computed by "
    "the app and cross-checked against PyTorch in its tests."
)

st.header("Pages")
for section in SECTIONS:
    st.subheader(section)
    for p in (p for p in PAGES if p.section == section):
        cols = st.columns([2, 5])
        with cols[0]:
            st.page_link(f"pages/{p.file}", label=p.title, icon=p.icon)
        with cols[1]:
            st.markdown(p.summary)

st.header("Environment")


def _render_environment(info: dict) -> None:
    d = info["device"]
    c1, c2 = st.columns(2)
    with c1:
        st.metric("Device in use", d["name"])
        if d["notice"]:
            st.warning(d["notice"])
        st.caption(f"Device setting: {d['choice']} · CUDA available: {'yes' if d['cuda_available'] else 'no'}")
    with c2:
        data_table(pd.DataFrame({"package": ["python", *info["versions"]],
                                   "version": [info["python"], *info["versions"].values()]}),
                     hide_index=True, width="stretch")
    icons = {"ready offline": "✅ ready offline", "cached": "✅ cached", "missing": "⬇️ missing"}
    data_table(pd.DataFrame([{"model": m["title"], "name": m["model"], "weights": icons[m["status"]],
                                "parameters": f"{m['parameters']:,}",
                                "ImageNet top-1": "—" if m["imagenet_top1"] is None else f"{m['imagenet_top1']:.1f} %",
                                "source": m["detail"], "licence": m["licence"], "how to get it": m["how_to_get"] or "—"}
                               for m in info["models"]]), hide_index=True, width="stretch")
    from cnnviz.ui.model_choice import this_session

    mine = this_session()
    if mine:
        st.markdown("**Your networks in this session** (trained or loaded; offered, marked ★, on Networks on your "
                    "photo, Attributions and Fantasy images until the session ends):\n" + "\n".join(f"- {sm.title}" for sm in mine))


future = environment_if_started(settings.device)
if future is not None and future.done():
    try:
        _render_environment(future.result())
    except Exception as e:  # noqa: BLE001 - the panel must never take the page down
        st.error(f"Could not inspect the environment: {e}")
else:
    # Start loading PyTorch only on the fragment's first timer tick, after the page is drawn,
    # so the home page never waits for it.
    @st.fragment(run_every=0.5)
    def _wait_for_environment() -> None:
        if st.session_state.get("_env_tick"):
            fut = start_environment(settings.device)
            if fut.done():
                st.rerun()
        st.session_state["_env_tick"] = True
        st.info("Checking the environment (loading PyTorch)…", icon=":material/hourglass_top:")

    st.session_state["_env_tick"] = False
    _wait_for_environment()
