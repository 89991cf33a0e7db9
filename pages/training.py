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
tab_lenet, tab_transfer = st.tabs(["LeNet-5, live", "Transfer learning on your photos"])

with tab_lenet:
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
        if busy and not r.running:
            st.rerun()  # the run ended: a full rerun draws the results and stops this fragment's timer
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

with tab_transfer:
    from cnnviz import transfer as T
    from cnnviz.errors import CnnvizError, ImageError
    from cnnviz.images import UPLOAD_TYPES, load_image

    st.caption(f"EfficientNet-Lite0 (offline) as the backbone. Limits: {T.LIMITS['classes'][0]}–{T.LIMITS['classes'][1]} "
               f"classes, at most {T.LIMITS['images_per_class']} images per class, {T.LIMITS['epochs']} epochs. A quarter "
               "of each class is held out. Photos stay in memory and are dropped with your session.")
    source = st.segmented_control("Data", ["demo", "mine"], default="demo", required=True, key="tl_source",
                                  format_func={"demo": "Demo set (augmented sample photos)", "mine": "My photos"}.get)
    ds = None
    if source == "demo":
        n_demo = st.slider("Images per class (random crops, flips and colour changes)", 4, 24, 12, key="tl_ndemo")
        ds = T.demo_dataset(n_demo)
        st.caption("DEMO: three classes made from three photos by augmentation — an easy problem, for trying the "
                   "strategies; bring your own photos for a real test.")
    else:
        n_classes = st.number_input("Classes", 2, 10, 2, key="tl_nclasses")
        images, labels, names, problems = [], [], [], []
        cols = st.columns(min(int(n_classes), 4))
        for c in range(int(n_classes)):
            with cols[c % len(cols)]:
                name = st.text_input(f"Class {c + 1} name", f"class {c + 1}", key=f"tl_name_{c}")
                files = st.file_uploader(f"Photos of '{name}'", type=UPLOAD_TYPES, accept_multiple_files=True,
                                         key=f"tl_files_{c}")
                names.append(name)
                for f in files or []:
                    try:
                        images.append(load_image(f.getvalue(), f.name))
                        labels.append(c)
                    except ImageError as e:
                        problems.append(str(e))
        for p in problems:
            st.warning(p + " — skipped.")
        if images:
            ds = T.Dataset(names, images, labels)
    s1, s2, s3, s4 = st.columns(4)
    strategy = s1.radio("Strategy", T.STRATEGIES, key="tl_strategy", format_func={
        "head": "(a) frozen backbone, new linear head", "last-k": "(b) fine-tune the last k blocks",
        "all": "(c) fine-tune all, early layers at lr ÷ 10"}.get)
    k = s2.slider("k (blocks)", 1, 16, 2, key="tl_k", disabled=strategy != "last-k")
    epochs = s3.number_input("Epochs", 1, T.LIMITS["epochs"], 8, key="tl_epochs")
    lr = s4.number_input("Learning rate", 1e-5, 1e-1, 1e-3, format="%.5f", key="tl_lr")
    compare = st.checkbox("Also run the other two strategies on the same split, for comparison", key="tl_compare")
    if st.button("Train", type="primary", icon=":material/school:", key="tl_train", disabled=ds is None):
        try:
            ds.check()
            tr, te = T.split(ds)
            results = {}
            for strat in ([strategy] + [x for x in T.STRATEGIES if x != strategy] if compare else [strategy]):
                bar = st.progress(0.0, text=f"{strat}…")
                results[strat] = T.train(ds, strat, k=int(k), epochs=int(epochs), lr=float(lr), train_idx=tr,
                                         test_idx=te, feature_cache=st.session_state.setdefault("_tl_features", {}),
                                         callback=lambda row, b=bar, s=strat: b.progress(
                                             row["epoch"] / int(epochs), text=f"{s}: epoch {row['epoch']}"))
                bar.empty()
            st.session_state["_tl"] = {"results": results, "main": strategy, "n_train": len(tr), "n_test": len(te)}
        except CnnvizError as e:
            st.error(str(e))
    tl = st.session_state.get("_tl")
    if tl:
        results, main = tl["results"], tl["main"]
        st.markdown(f"**Split:** {tl['n_train']} training images, {tl['n_test']} held out.")
        rows = [{"strategy": s, "trainable parameters": r.trainable_params, "of": r.total_params,
                 "trainable layers": "; ".join(r.trainable_layers), "held-out accuracy": f"{100 * r.heldout_accuracy:.1f} %",
                 "seconds": f"{r.seconds:.1f}"} for s, r in results.items()]
        st.dataframe(rows, hide_index=True, width="stretch")
        fig = go.Figure()
        for s_, r in results.items():
            fig.add_trace(go.Scatter(x=[h["epoch"] for h in r.history], y=[h["heldout_acc"] for h in r.history],
                                     name=f"{s_}: held-out accuracy", mode="lines+markers"))
            fig.add_trace(go.Scatter(x=[h["epoch"] for h in r.history], y=[h["loss"] for h in r.history],
                                     name=f"{s_}: training loss", yaxis="y2", line={"dash": "dot"}))
        fig.update_layout(height=340, font={"size": sty.font_size}, xaxis={"title": "epoch"},
                          yaxis={"title": "accuracy", "range": [0, 1.05], "tickformat": ".0%"},
                          yaxis2={"title": "loss", "overlaying": "y", "side": "right"},
                          legend={"orientation": "h", "y": 1.2}, margin={"l": 50, "r": 50, "t": 50, "b": 40})
        st.plotly_chart(fig, config={"displaylogo": False}, key="tl_curves")
        res = results[main]
        st.download_button("Download the trained head (state dict)", res.head_bytes(), file_name="head.pt",
                           icon=":material/download:")
        new = st.file_uploader("Try new photos", type=UPLOAD_TYPES, accept_multiple_files=True, key="tl_new")
        for f in new or []:
            try:
                p = res.predict([load_image(f.getvalue(), f.name)])[0]
                st.markdown(f"**{f.name}**: {res.classes[int(p.argmax())]} ({100 * p.max():.1f} %)")
            except ImageError as e:
                st.error(str(e))
    loaded = st.file_uploader("Load a downloaded head", type=["pt"], key="tl_load")
    if loaded is not None:
        try:
            head, classes = T.load_head(loaded.getvalue())
            st.success(f"Head for {len(classes)} classes loaded: {', '.join(classes)}.")
        except CnnvizError as e:
            st.error(str(e))
