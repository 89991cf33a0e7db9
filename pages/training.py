"""Training: watch LeNet-5 learn, live, with every choice a learner can make."""
from cnnviz.ui.router import through_router

through_router()

import plotly.graph_objects as go  # noqa: E402
import streamlit as st  # noqa: E402

from cnnviz.figures import Panel, grid_figure  # noqa: E402
from cnnviz.inspect import montage  # noqa: E402
from cnnviz.models.lenet import mnist_split  # noqa: E402
from cnnviz.training import LIMITS, LeNetRun, TrainConfig  # noqa: E402
from cnnviz.ui.settings import current  # noqa: E402

sty = current().style
st.title("Training")
st.caption("Train LeNet-5 on 4,000 MNIST digits and watch it learn: the loss falling, accuracy on 1,000 held-out "
           "digits it never trains on, the first-layer filters and one digit's feature maps changing, and how "
           "large each layer's gradient is. Try sigmoid with SGD to see gradients vanish.")
st.info("Transfer learning on your own photos (frozen backbone, last blocks, or everything) comes with the rest of "
        "issue #8; this page trains LeNet-5 for now.", icon=":material/construction:")

run: LeNetRun | None = st.session_state.get("_lenet_run")
busy = run is not None and run.running
with st.form("train_form"):
    c = st.columns(5)
    optimizer = c[0].selectbox("Optimiser", ["adam", "sgd"], format_func={"adam": "Adam", "sgd": "SGD + momentum 0.9"}.get)
    lr = c[1].number_input("Learning rate", LIMITS["lr"][0], LIMITS["lr"][1], 1e-3, format="%.5f")
    batch = c[2].number_input("Batch size", LIMITS["batch_size"][0], LIMITS["batch_size"][1], 64)
    epochs = c[3].number_input("Epochs", 1, LIMITS["epochs"], 5)
    wd = c[4].number_input("Weight decay", 0.0, 0.1, 0.0, format="%.4f")
    d = st.columns(5)
    dropout = d[0].slider("Dropout before the output", 0.0, 0.8, 0.0, 0.05)
    activation = d[1].selectbox("Activation", ["tanh", "relu", "sigmoid"])
    pooling = d[2].selectbox("Pooling", ["avg", "max"], format_func={"avg": "average (paper)", "max": "max"}.get)
    augment = d[3].checkbox("Augmentation (shifts ±2 px)")
    seed = d[4].number_input("Seed", 0, 10_000, 0)
    started = st.form_submit_button("Start training", type="primary", icon=":material/play_arrow:", disabled=busy)
st.caption(f"Limits: at most {LIMITS['epochs']} epochs, batch {LIMITS['batch_size'][0]}–{LIMITS['batch_size'][1]}; "
           "one run per session, in the background, stoppable.")
if started and not busy:
    cfg = TrainConfig(optimizer, float(lr), int(batch), int(epochs), float(wd), float(dropout), bool(augment),
                      activation, pooling, int(seed))
    st.session_state["_lenet_run"] = run = LeNetRun(cfg).start()
    busy = True


def _curves(history: list[dict]) -> go.Figure:
    ep = [h["epoch"] for h in history]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=ep, y=[h["loss"] for h in history], name="training loss", yaxis="y",
                             line={"color": "#D55E00", "width": 3}))
    fig.add_trace(go.Scatter(x=ep, y=[h["train_acc"] for h in history], name="training accuracy", yaxis="y2",
                             line={"color": "#56B4E9", "width": 3, "dash": "dot"}))
    fig.add_trace(go.Scatter(x=ep, y=[h["heldout_acc"] for h in history], name="held-out accuracy", yaxis="y2",
                             line={"color": "#0072B2", "width": 3}))
    fig.update_layout(height=360, font={"size": sty.font_size}, xaxis={"title": "epoch"},
                      yaxis={"title": "loss"}, yaxis2={"title": "accuracy", "overlaying": "y", "side": "right",
                                                       "range": [0, 1], "tickformat": ".0%"},
                      legend={"orientation": "h", "y": 1.15}, margin={"l": 50, "r": 50, "t": 40, "b": 40})
    return fig


@st.fragment(run_every=1.0 if busy else None)
def live() -> None:
    r: LeNetRun | None = st.session_state.get("_lenet_run")
    if r is None:
        st.info("Choose the settings and press **Start training**.", icon=":material/model_training:")
        return
    s = r.snapshot()
    if s.error:
        st.error(f"Training stopped: {s.error}")
        return
    a, b = st.columns([3, 1], vertical_alignment="center")
    a.progress(min(s.epoch / r.config.epochs, 1.0),
               text=f"epoch {s.epoch:.1f} of {r.config.epochs} · {s.seconds:.0f} s"
                    + (" · stopped" if s.stopped else " · done" if s.done else ""))
    if r.running and b.button("Stop", icon=":material/stop:", key="train_stop"):
        r.stop()
    if s.history:
        st.plotly_chart(_curves(s.history), config={"displaylogo": False}, key="train_curves")
        last = s.history[-1]
        st.caption(f"Latest: loss {last['loss']:.4f} · training accuracy {100 * last['train_acc']:.1f} % · "
                   f"held-out accuracy {100 * last['heldout_acc']:.1f} %")
    c1, c2, c3 = st.columns(3)
    with c1:
        st.markdown("**First-layer filters (C1, 6 × 5×5)**")
        st.image(montage(s.filters, scale="layer", cmap=sty.sequential,
                         diverging=sty.diverging, min_tile=40), width="stretch")
    with c2:
        st.markdown("**One held-out digit through C1**")
        st.image(montage(s.digit_maps, scale="channel", cmap=sty.sequential, diverging=sty.diverging, min_tile=56),
                 width="stretch")
    with c3:
        st.markdown("**Gradient norm per layer (last batch)**")
        if s.grad_norms:
            fig = go.Figure(go.Bar(x=list(s.grad_norms.values()), y=[k.replace(".weight", "") for k in s.grad_norms],
                                   orientation="h", marker_color="#009E73"))
            fig.update_layout(height=280, xaxis={"type": "log", "title": "‖∂L/∂W‖ (log)"},
                              margin={"l": 40, "r": 10, "t": 10, "b": 40}, font={"size": sty.font_size})
            st.plotly_chart(fig, config={"displaylogo": False}, key="train_grads")
    if s.done and not r.running:
        ev = r.evaluate()
        st.subheader(f"Held-out result: {100 * ev.accuracy:.1f} % of 1,000 digits")
        st.plotly_chart(grid_figure([Panel("confusion matrix (rows: true digit, columns: predicted)",
                                           ev.confusion.astype(float))], sty, cell_px=34),
                        config={"displaylogo": False}, key="train_confusion")
        if ev.wrong:
            st.markdown("**The most confidently wrong digits**")
            _, _, xte, _ = mnist_split()
            cols = st.columns(min(6, len(ev.wrong)))
            for k, (i, true, pred, conf) in enumerate(ev.wrong[: len(cols) * 2]):
                cols[k % len(cols)].image(255 - xte[i], caption=f"true {true}, said {pred} ({100 * conf:.0f} %)",
                                          width=84)


live()
