"""The transfer-learning tab of the Training page: data, strategies, the live run, results, the classifier."""

from __future__ import annotations

import streamlit as st

from cnnviz.caching import digest_bytes
from cnnviz.errors import CnnvizError, ImageError
from cnnviz.images import MAX_PHOTO_MB, UPLOAD_TYPES, load_image, resize_max
from cnnviz.learn import transfer as T
from cnnviz.learn.background_run import RunOwner
from cnnviz.networks.network import get
from cnnviz.present.colours import Style
from cnnviz.present.figures import predictions_figure, strategy_curves
from cnnviz.ui.charts import chart
from cnnviz.ui.grid_widgets import clamp_widget
from cnnviz.ui.heavy_jobs import queued_text
from cnnviz.ui.model_choice import adopt, adopted
from cnnviz.ui.session import RUN_OWNER, lasting, own
from cnnviz.ui.settings import start
from cnnviz.ui.tables import data_table
from cnnviz.ui.views.training_views import TrainingState

TL_RUN = lasting("_tl_run")  # the learner's transfer run (their own: kept while following)
TL_LOADED = lasting("_tl_loaded")  # (digest, classifier) they loaded back


def transfer_tab(store: TrainingState, sty: Style, device: str) -> None:
    """Transfer learning on the learner's photos (or the demo set) with three strategies compared."""
    bb = _backbone_picker()
    ds = _demo_set() if _data_source() == "demo" else _my_photos(store)
    tl_run: T.TransferRun | None = st.session_state.get(TL_RUN)
    tl_busy = _run_controls(store, ds, bb, device, busy=tl_run is not None and tl_run.running)

    @st.fragment(run_every=1.0 if tl_busy else None)
    def transfer_live() -> None:
        _live(store, sty, device)

    with st.container():  # its own block: the live fragment above changes its element count
        transfer_live()
    if store.notice and not tl_busy:
        st.warning(store.notice, icon=":material/info:")
    tl = store.results if not tl_busy else None
    if tl:
        _results(tl, sty)
    _classifier_section(tl, sty, device)


def _backbone_picker() -> str:
    backbones = T.available_backbones()
    b1, b2 = st.columns([2, 3], vertical_alignment="bottom")
    bb = b1.selectbox("Pretrained backbone", backbones, format_func=lambda n: get(n).title, key="tl_backbone")
    missing_bb = [get(n).title for n in T.BACKBONES if n not in backbones]
    b2.caption(("Also possible once their weights are cached: " + ", ".join(missing_bb) +
                " (see the home page; `python -m cnnviz download NAME`). ") if missing_bb else "")
    st.caption(f"Limits: {T.LIMITS['classes'][0]}–{T.LIMITS['classes'][1]} classes, at most "
               f"{T.LIMITS['images_per_class']} images per class, {T.LIMITS['epochs']} epochs; photos are shrunk to "
               f"{T.LIMITS['side']} px on their longer side (the networks see 224×224). Of your photos, a quarter of each "
               "class is held out (the demo set holds out photos of its own, below). Photos stay in memory, never on disk, and are dropped with your session.")
    return str(bb)


def _data_source() -> str:
    return str(st.segmented_control("Data", ["demo", "mine"], required=True, key="tl_source",
                                    **start("tl_source", "demo", "default"),
                                    format_func={"demo": "Demo set (handwritten 4, 7, 9)",
                                                 "mine": "My photos"}.__getitem__))


def _demo_set() -> T.Dataset:
    n_demo = st.slider("Training images per class", 4, 24, key="tl_ndemo", **start("tl_ndemo", 12))
    ds = T.demo_dataset(n_demo)
    held = len(ds.heldout or []) // len(ds.classes)
    st.caption(f"DEMO: can ImageNet features tell handwritten 4, 7 and 9 apart? Every image is a different "
               f"person's digit; {n_demo} per class train and {held} per class are held out ({len(ds.heldout or [])} "
               f"of {len(ds.labels)}, {100 * len(ds.heldout or []) / len(ds.labels):.0f} %) — different photos from "
               "the training ones (LeNet-5's held-out MNIST digits), so the held-out accuracy measures what was "
               "learned.")
    return ds


def _my_photos(store: TrainingState) -> T.Dataset | None:
    """The learner's classes: a name and photos each, decoded once per upload (this session only)."""
    n_classes = st.number_input("Classes", *T.LIMITS["classes"], key="tl_nclasses", **start("tl_nclasses", 2))
    images, labels, names, problems = [], [], [], []
    decoded = store.photos
    present = set()
    cols = st.columns(min(int(n_classes), 4))
    for c in range(int(n_classes)):
        with cols[c % len(cols)]:
            name = st.text_input(f"Class {c + 1} name", key=f"tl_name_{c}", **start(f"tl_name_{c}", f"class {c + 1}"))
            files = st.file_uploader(f"Photos of '{name}'", type=UPLOAD_TYPES, max_upload_size=MAX_PHOTO_MB,
                                     accept_multiple_files=True, key=f"tl_files_{c}")
            names.append(name)
            for f in files or []:
                present.add(f.file_id)
                try:
                    if f.file_id not in decoded:
                        decoded[f.file_id] = T.prepare_photo(f.getvalue(), f.name)
                    images.append(decoded[f.file_id])
                    labels.append(c)
                except ImageError as e:
                    problems.append(str(e))
    for gone in set(decoded) - present:  # removed uploads leave memory too
        del decoded[gone]
    for p in problems:
        st.warning(p + " — skipped.")
    return T.Dataset(names, images, labels) if images else None


def _run_controls(store: TrainingState, ds: T.Dataset | None, bb: str, device: str, busy: bool) -> bool:
    """The strategy and its settings, and Train (one run per session, beside the page); True while one runs."""
    s1, s2, s3, s4 = st.columns(4)
    strategy = s1.radio("Strategy", T.STRATEGIES, key="tl_strategy", format_func={
        "head": "(a) frozen backbone, new linear head", "last-k": "(b) fine-tune the last k blocks",
        "all": "(c) fine-tune all, early layers at lr ÷ 10"}.__getitem__)
    n_blocks = T.BACKBONES[bb].block_count()
    clamp_widget(f"tl_k_{bb}", n_blocks)  # a linked k past this backbone's blocks
    k = s2.slider(f"k (of {n_blocks} blocks)", 1, n_blocks, key=f"tl_k_{bb}", disabled=strategy != "last-k",
                  **start(f"tl_k_{bb}", min(2, n_blocks)))
    epochs = s3.number_input("Epochs", 1, T.LIMITS["epochs"], key="tl_epochs", **start("tl_epochs", 8))
    lr = s4.number_input("Learning rate", 1e-5, 1e-1, format="%.5f", key="tl_lr", **start("tl_lr", 1e-3))
    compare = st.checkbox("Also run the other two strategies on the same split, for comparison", key="tl_compare")
    if not st.button("Train", type="primary", icon=":material/school:", key="tl_train", disabled=ds is None or busy):
        return busy
    assert ds is not None  # the button is disabled without data
    try:
        order = [strategy] + [x for x in T.STRATEGIES if x != strategy] if compare else [strategy]
        st.session_state[TL_RUN] = T.TransferRun(
            ds, order, k=int(k), epochs=int(epochs), lr=float(lr), name=bb, device=str(device),
            feature_cache=store.features).start(own(RUN_OWNER, RunOwner))  # the run stops when this session ends
        return True
    except CnnvizError as e:
        st.error(str(e))
        return busy


def _finish(store: TrainingState, r: T.TransferRun, device: str) -> None:
    """A run has ended: keep its results (and the held-out photos judged by the first strategy)."""
    snap = r.snapshot()
    store.shown_run = r
    store.notice = (snap.error and f"Training stopped: {snap.error}") or (
        snap.stopped and f"Stopped after {snap.seconds:.0f} s; finished strategies are kept.") or None
    main = r.strategies[0]
    if main not in snap.results:
        store.results = None  # an earlier run's results must not pass for this one's
        return
    gallery = [(resize_max(j.image, 160), j.true, j.predicted, j.confidence)
               for j in T.judge_heldout(snap.results[main], r.ds, r.test_idx, device=str(device))]
    store.results = {"results": snap.results, "main": main, "n_train": len(r.train_idx), "n_test": len(r.test_idx),
                     "backbone": snap.results[main].backbone, "heldout": gallery}


def _live(store: TrainingState, sty: Style, device: str) -> None:
    """The run in progress: its place in the queue, progress, Stop and the curves so far."""
    r: T.TransferRun | None = st.session_state.get(TL_RUN)
    if r is None:
        return
    if not r.running:
        if store.shown_run is not r:
            _finish(store, r, device)
            st.rerun()  # draws the results and stops this fragment's timer
        return
    snap = r.snapshot()
    done_epochs = sum(len(h) for h in snap.histories.values())
    a, b = st.columns([3, 1], vertical_alignment="center")
    if r.queued_ahead is not None:
        a.info(queued_text(r.queued_ahead), icon=":material/hourglass_top:")
    now = len(snap.histories.get(snap.current or "", []))
    a.progress(min(done_epochs / (r.epochs * len(r.strategies)), 1.0),
               text=f"{snap.current}: epoch {now} of {r.epochs} done · {snap.seconds:.0f} s")
    if b.button("Stop", icon=":material/stop:", key="tl_stop"):
        r.stop()
    if done_epochs:
        chart(strategy_curves(snap.histories, sty), config={"displaylogo": False}, key="tl_live_curves")


def _results(tl: dict, sty: Style) -> None:
    """The strategies side by side, their curves, and the held-out photos as the first strategy judged them."""
    results, main = tl["results"], tl["main"]
    st.markdown(f"**Split:** {tl['n_train']} training images, {tl['n_test']} held out. An epoch is one pass over "
                f"the training images, {T.BATCH} at a time.")
    rows = [{"strategy": s, "trainable parameters": f"{r.trainable_params:,}", "of": f"{r.total_params:,}",
             "trainable layers": "; ".join(r.trainable_layers),
             "training loss (first → last epoch)": f"{r.history[0]['loss']:.4g} → {r.history[-1]['loss']:.4g}",
             "held-out accuracy": f"{100 * r.heldout_accuracy:.1f} %",
             "seconds": f"{r.seconds:.1f}"} for s, r in results.items() if r.history]
    data_table(rows, hide_index=True, width="stretch")
    chart(strategy_curves({s_: r.history for s_, r in results.items()}, sty),
          config={"displaylogo": False}, key="tl_curves")
    st.caption(f"Backbone: {get(tl['backbone']).title}.")
    gallery, classes = tl["heldout"], results[main].classes
    right = sum(t == p for _, t, p, _ in gallery)
    st.markdown(f"**The held-out photos** (never trained on), judged by strategy {main}: {right} of {len(gallery)} "
                "right")
    cols = st.columns(min(6, len(gallery)))
    for k, (thumb, true, pred, conf) in enumerate(gallery):
        cols[k % len(cols)].image(thumb, alt=f"Held-out photo of {classes[true]}, classified as {classes[pred]}", width="stretch", caption=(
            f"✓ {classes[pred]} ({100 * conf:.0f} %)" if pred == true else
            f"✗ said {classes[pred]} ({100 * conf:.0f} %), is {classes[true]}"))


def _loaded_classifier(expanded: bool) -> T.Classifier | None:
    """A classifier file downloaded earlier, loaded back once per file (a bad file: a message, nothing kept)."""
    with st.expander("Load a classifier downloaded earlier", expanded=expanded):
        loaded = st.file_uploader("Classifier file (.pt) from this page or `python -m cnnviz transfer --out`",
                                  type=["pt"], key="tl_load", max_upload_size=MAX_PHOTO_MB)
        if loaded is None:
            return None
        digest = digest_bytes(loaded.getvalue())
        cached = st.session_state.get(TL_LOADED)
        if cached is None or cached[0] != digest:
            try:
                st.session_state[TL_LOADED] = cached = (digest, T.load_classifier(loaded.getvalue()))
            except CnnvizError as e:
                st.error(str(e))
                return None
        clf = cached[1]
        st.success(f"Loaded: {get(clf.backbone).title} ({clf.strategy}) for {len(clf.classes)} classes — "
                   f"{', '.join(clf.classes)}.", icon=":material/check_circle:")
        return clf


def _classifier_section(tl: dict | None, sty: Style, device: str) -> None:
    """The classifier trained just now or loaded back: download it, use it on the network pages, try it."""
    candidates = {}
    if tl:
        r_main = tl["results"][tl["main"]]
        candidates["trained"] = (r_main.classifier, r_main.heldout_accuracy)
    loaded = _loaded_classifier(expanded=not tl)
    if loaded is not None:
        candidates["loaded"] = (loaded, None)
    if not candidates:
        return
    st.subheader("Your classifier")
    which: str | None = "trained"
    if len(candidates) > 1:
        which = st.segmented_control("Classifier", list(candidates), default="trained", required=True,
                                     key="tl_which", format_func={"trained": "trained just now",
                                                                  "loaded": "loaded from a file"}.__getitem__)
    clf, acc = candidates[which or "trained"]
    _download_and_use(clf, acc)
    _try_on_photos(clf, sty, device)


def _download_and_use(clf: T.Classifier, acc: float | None) -> None:
    c_dl, c_use = st.columns(2)
    what = "the new head only" if clf.head is not None else "the fine-tuned layers and the new head"
    c_dl.download_button(f"Download it ({what}, {clf.size_mb:.2f} MB)", clf.to_bytes,  # made on click
                         file_name=f"classifier_{clf.backbone}_{clf.strategy}.pt", icon=":material/download:",
                         key="tl_download")
    current_sm = adopted("classifier")
    in_use = current_sm is not None and current_sm.model is clf.network
    if c_use.button("Use it on the network pages", icon=":material/input:", key="tl_use", disabled=in_use,
                    help="Networks on your photo, Attributions and Fantasy images offer it (★) for this session"):
        adopt("classifier", clf.session_model(acc))
        in_use = True
    mine = adopted("classifier")
    if in_use and mine is not None:
        c_use.success(f"In use for this session as **★ {mine.title}**.", icon=":material/check_circle:")
        c_use.page_link("pages/networks/networks.py", label="Open it on Networks on your photo",
                        icon=":material/photo_camera:")


def _try_on_photos(clf: T.Classifier, sty: Style, device: str) -> None:
    new = st.file_uploader("Try it on new photos (not used for training)", type=UPLOAD_TYPES,
                           max_upload_size=MAX_PHOTO_MB, accept_multiple_files=True, key="tl_new")
    good = []
    for f in new or []:
        try:
            good.append((f.name, load_image(f.getvalue(), f.name)))
        except ImageError as e:
            st.error(str(e))
    if not good:
        return
    for (fname, im), top in zip(good, T.top_classes(clf, [im for _, im in good], device=str(device))):
        pc1, pc2 = st.columns([1, 3], vertical_alignment="center")
        pc1.image(im, alt=f"Your photo {fname}", caption=fname, width="stretch")
        chart(pc2, predictions_figure(top, sty, title=f"{fname}: {top[0].label}"),
              config={"displaylogo": False}, key=f"tl_pred_{fname}")
