"""The LeNet-5 tab of the Training page: settings, the live run (curves, filters, maps, gradients), the result."""

from __future__ import annotations

import streamlit as st

from cnnviz.learn.background_run import RunOwner
from cnnviz.learn.training import LIMITS, LeNetRun, TrainConfig, expected_seconds
from cnnviz.networks.lenet import mnist_split
from cnnviz.networks.probe import montage
from cnnviz.present.colours import Style
from cnnviz.present.figures import Panel, gradient_norms_figure, grid_figure, training_curves
from cnnviz.ui.charts import chart
from cnnviz.ui.heavy_jobs import queued_text
from cnnviz.ui.model_choice import adopt, adopted
from cnnviz.ui.session import RUN_OWNER, lasting, own
from cnnviz.ui.settings import start
from cnnviz.ui.views.network_views import colour_legend

LENET_RUN = lasting("_lenet_run")  # the learner's LeNet-5 run (their own: kept while following)
LENET_IN_USE = lasting("_lenet_in_use")  # the run whose network the pages use (★)


def lenet_tab(sty: Style) -> None:
    """Train LeNet-5 beside the page (one run per session, stoppable) and watch it learn."""
    run: LeNetRun | None = st.session_state.get(LENET_RUN)
    busy = run is not None and run.running
    cfg, started = _settings(busy)
    took = expected_seconds(cfg)
    st.caption(f"Limits: at most {LIMITS['epochs']} epochs, batch {LIMITS['batch_size'][0]}–{LIMITS['batch_size'][1]}; "
               "one run per session, in the background, stoppable. The defaults (Adam 3e-3, batch 32, ReLU, max "
               "pooling, cosine schedule, 5 epochs) reach ≥ 95 % on the held-out digits; "
               + (f"a run like this one took about {took:.0f} s on this server." if took is not None else
                  "about 10 s on a 2-core CPU (this server's own time shows after its first run)."))
    if started and not busy:
        st.session_state[LENET_RUN] = LeNetRun(cfg).start(own(RUN_OWNER, RunOwner))  # stops when this session ends
        busy = True

    @st.fragment(run_every=1.0 if busy else None)
    def live() -> None:
        _live(sty, busy)

    live()


def _settings(busy: bool) -> tuple[TrainConfig, bool]:
    """The run's settings in one form (nothing reruns while they are chosen); (config, Start pressed)."""
    d0 = TrainConfig()  # the defaults: ≥ 95 % held-out in 5 epochs
    with st.form("train_form"):
        c = st.columns(5)
        optimizer = c[0].selectbox("Optimiser", ["adam", "sgd"], key="tr_opt", format_func={"adam": "Adam", "sgd": "SGD + momentum 0.9"}.__getitem__)
        lr = c[1].number_input("Learning rate", LIMITS["lr"][0], LIMITS["lr"][1], format="%.5f", key="tr_lr",
                               **start("tr_lr", d0.lr))
        batch = c[2].number_input("Batch size", LIMITS["batch_size"][0], LIMITS["batch_size"][1], key="tr_batch",
                                  **start("tr_batch", d0.batch_size))
        epochs = c[3].number_input("Epochs", 1, LIMITS["epochs"], key="tr_epochs", **start("tr_epochs", d0.epochs),
                                   help="One epoch is one pass over the 4,000 training digits, batch by batch")
        wd = c[4].number_input("Weight decay", 0.0, 0.1, format="%.4f", key="tr_wd", **start("tr_wd", 0.0))
        d = st.columns(6)
        dropout = d[0].slider("Dropout before the output", 0.0, 0.8, step=0.05, key="tr_dropout", **start("tr_dropout", 0.0))
        activation = d[1].selectbox("Activation", ["relu", "tanh", "sigmoid"], key="tr_act",
                                    format_func={"relu": "ReLU", "tanh": "tanh (paper)", "sigmoid": "sigmoid"}.__getitem__)
        pooling = d[2].selectbox("Pooling", ["max", "avg"], key="tr_pool", format_func={"avg": "average (paper)", "max": "max"}.__getitem__)
        schedule = d[3].selectbox("Learning rate schedule", ["cosine", "constant"], key="tr_sched",
                                  help="cosine: the learning rate falls smoothly to 0 by the last step; constant: "
                                       "it stays as set")
        augment = d[4].checkbox("Augmentation (shifts ±2 px)", key="tr_aug")
        seed = d[5].number_input("Seed", 0, 10_000, key="tr_seed", **start("tr_seed", 0))
        started = st.form_submit_button("Start training", type="primary", icon=":material/play_arrow:", disabled=busy)
    return TrainConfig(str(optimizer), float(lr), int(batch), int(epochs), float(wd), float(dropout), bool(augment),
                       str(activation), str(pooling), int(seed), str(schedule)), started


def _live(sty: Style, busy: bool) -> None:
    """The run as it goes: progress and Stop, the curves, C1's filters and maps, the gradients; then the result."""
    r: LeNetRun | None = st.session_state.get(LENET_RUN)
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
    if r.queued_ahead is not None:
        a.info(queued_text(r.queued_ahead), icon=":material/hourglass_top:")
    a.progress(min(s.epoch / r.config.epochs, 1.0),
               text=f"epoch {s.epoch:.1f} of {r.config.epochs} · {s.seconds:.0f} s"
                    + (" · stopped" if s.stopped else " · done" if s.done else ""))
    if r.running and b.button("Stop", icon=":material/stop:", key="train_stop"):
        r.stop()
    if s.history:
        chart(training_curves(s.history, sty), config={"displaylogo": False}, key="train_curves")
        last = s.history[-1]
        st.caption(f"Latest: loss {last['loss']:.4f} (the mean of the batches since the previous point; a point "
                   f"every half epoch) · training accuracy {100 * last['train_acc']:.1f} % · "
                   f"held-out accuracy {100 * last['heldout_acc']:.1f} %")
    _inside(s, sty)
    if s.done and not r.running:
        _result(r, sty, bool(s.error))


def _inside(s, sty: Style) -> None:
    """C1's filters, one held-out digit through them, and the gradient norm of each layer (the last batch)."""
    c1, c2, c3 = st.columns(3)
    with c1:
        st.markdown("**First-layer filters (C1, 6 × 5×5)**")
        st.image(alt="The six 5×5 filters of the first layer, C1", image=montage(s.filters, scale="layer", cmap=sty.sequential,
                         diverging=sty.diverging, min_tile=40), width="stretch")
        colour_legend(s.filters, "layer", sty)
    with c2:
        st.markdown("**One held-out digit through C1**")
        st.image(alt="A held-out digit through the six C1 filters: six feature maps", image=montage(s.digit_maps, scale="channel", cmap=sty.sequential, diverging=sty.diverging, min_tile=56),
                 width="stretch")
        colour_legend(s.digit_maps, "channel", sty)
    with c3:
        st.markdown("**Gradient norm per layer (last batch)**")
        if s.grad_norms:
            chart(gradient_norms_figure(s.grad_norms, sty), config={"displaylogo": False}, key="train_grads")


def _result(r: LeNetRun, sty: Style, failed: bool) -> None:
    """The finished run on the 1,000 held-out digits: use its weights, its confusion matrix, its worst mistakes."""
    ev = r.evaluate()
    st.subheader(f"Held-out result: {100 * ev.accuracy:.1f} % of 1,000 digits")
    in_use = st.session_state.get(LENET_IN_USE) == id(r) and adopted("lenet") is not None
    u1, u2 = st.columns([2, 3], vertical_alignment="center")
    if u1.button("Use these weights on the network pages", icon=":material/input:", key="train_use",
                 type="secondary" if in_use else "primary", disabled=in_use or failed):
        adopt("lenet", r.session_model())
        st.session_state[LENET_IN_USE] = id(r)
        in_use = True
    mine = adopted("lenet")
    if in_use and mine is not None:
        u2.success(f"In use for this session as **★ {mine.title}** on Networks on your photo "
                   "and Attributions.", icon=":material/check_circle:")
        u2.page_link("pages/networks/networks.py", label="Open it on Networks on your photo",
                     icon=":material/photo_camera:")
    chart(grid_figure([Panel("confusion matrix (rows: true digit, columns: predicted)", ev.confusion.astype(float))],
                      sty, cell_px=34), config={"displaylogo": False}, key="train_confusion", theme=None)
    if ev.wrong:
        st.markdown("**The most confidently wrong digits**")
        _, _, xte, _ = mnist_split()
        cols = st.columns(min(6, len(ev.wrong)))
        for k, (i, true, pred, conf) in enumerate(ev.wrong[: len(cols) * 2]):
            cols[k % len(cols)].image(255 - xte[i], alt=f"A held-out {true}, classified as {pred}", caption=f"true {true}, said {pred} ({100 * conf:.0f} %)", width=84)
