"""The Overfitting page's sections: presets that test the notes' claims, the run's settings (the cures), training live
with the gap and the best epoch, up to four runs compared, and augmentation seen on a digit and on a photo. The engine
(cnnviz.learn.overfit, cnnviz.learn.augment) trains and computes; this module draws."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, ClassVar

import numpy as np
import streamlit as st

from cnnviz.learn import augment as A
from cnnviz.learn import overfit as O
from cnnviz.learn.background_run import RunOwner
from cnnviz.present.colours import Style
from cnnviz.present.overfit_figures import curves_figure, weights_figure
from cnnviz.ui import class_questions, predict_first
from cnnviz.ui.charts import chart
from cnnviz.ui.heavy_jobs import queued_text
from cnnviz.ui.page import PageState, Parser
from cnnviz.ui.session import RUN_OWNER, lasting, own
from cnnviz.ui.settings import start
from cnnviz.ui.views import lab_views
from cnnviz.urlstate import choice, int_in, number_in

RUNS = lasting("_of_runs")  # the learner's runs in progress (their own: kept while following)
COMPARED = lasting("_of_compared")  # up to four finished runs on one chart
MAX_COMPARED = 4
MORE_EPOCHS = 40
_C0 = O.OverfitConfig()
_L = O.LIMITS


def _preset(t: str) -> str:
    if t and t not in O.PRESETS:
        raise ValueError(f"must be one of {', '.join(O.PRESETS)}")
    return t


SETTINGS: dict[str, tuple[str, Parser]] = {
    "train_size": ("of_n", int_in(*map(int, _L["train_size"]))), "epochs": ("of_epochs", int_in(*map(int, _L["epochs"]))),
    "dropout": ("of_dropout", number_in(*_L["dropout"])), "weight_decay": ("of_wd", number_in(*_L["weight_decay"])),
    "augment": ("of_augment", lambda t: list(O.parse_augment(t))), "patience": ("of_patience", int_in(0, 50)),
    "size": ("of_size", choice(tuple(O.SIZES))), "seed": ("of_seed", int_in(*map(int, _L["seed"]))),
}


@dataclass(kw_only=True, eq=False)
class OverfitState(PageState):
    """The settings are widgets the link starts (`WIDGETS`); the page keeps the learner's predictions and their
    verdicts (the runs themselves are the learner's own, outside the page state)."""

    WIDGETS: ClassVar[dict[str, tuple[str, Parser]]] = {
        **SETTINGS, "preset": ("of_preset", _preset), "aug": ("of_aug_op", choice(tuple(A.OPS))),
        "aug_seed": ("of_aug_seed", int_in(0, 10_000))}

    name: str = "overfit"
    sample: str = "Astronaut"  # the photo the augmentation gallery starts from
    guess: str | None = None  # the prediction made for the runs under way
    guess_kind: str | None = None  # "cure" | "more"
    guessed_run: int | None = None
    baseline: float | None = None  # "more": the held-out accuracy before the extra epochs
    verdict: tuple[bool, str] | None = None
    ended_run: int | None = None


    def read_link(self, params: dict[str, str]) -> list[str]:
        from cnnviz.images import SAMPLE_PHOTOS
        from cnnviz.urlstate import read_params

        vals, notices = read_params(params, {"sample": choice(tuple(SAMPLE_PHOTOS))})
        self.sample = vals.get("sample", self.sample)
        return notices

    def link(self) -> dict[str, str]:
        return {"sample": self.sample}


def config_from_widgets() -> O.OverfitConfig:
    values = {name: st.session_state.get(key, getattr(_C0, name)) for name, (key, _) in SETTINGS.items()}
    values["augment"] = tuple(a for a in O.DIGIT_AUGMENTS if a in (values["augment"] or ()))
    return O.OverfitConfig(**{k: v if k == "augment" else type(getattr(_C0, k))(v) for k, v in values.items()})


def set_widgets(cfg: O.OverfitConfig) -> None:
    lab_views.set_widgets(SETTINGS, cfg)


def preset_section() -> O.Preset | None:
    """The preset picker, its claim from the notes and what to look for."""
    return lab_views.preset_picker("of_preset", O.PRESETS, set_widgets, "run")


def settings_section() -> O.OverfitConfig:
    """The data, the length of training and every cure, each with a one-line reason."""
    a = st.columns(4)
    a[0].slider("Training digits", 50, 4000, step=50, key="of_n", **start("of_n", _C0.train_size),
                help="Class-balanced; the same digits for the same number and seed. 1,000 other digits are held out.")
    a[1].slider("Epochs", 1, 200, key="of_epochs", **start("of_epochs", _C0.epochs))
    a[2].slider("Dropout p", 0.0, 0.9, step=0.1, key="of_dropout", **start("of_dropout", _C0.dropout),
                help="Before the last layer, each unit zeroed with probability p in training (the rest scaled by "
                     "1/(1−p)); nothing is dropped when measuring.")
    a[3].select_slider("L2 weight decay λ", [0.0, 1e-4, 5e-4, 1e-3, 5e-3, 0.01, 0.05, 0.1], key="of_wd",
                       **start("of_wd", _C0.weight_decay), format_func=lambda v: f"{v:g}",
                       help="Adds λ·w to every weight's gradient — the gradient of (λ/2)·‖w‖² — so every step also "
                            "pulls each weight toward 0. AlexNet used 5 × 10⁻⁴.")
    b = st.columns(4)
    b[0].pills("Augment the digits", list(O.DIGIT_AUGMENTS), selection_mode="multi", key="of_augment",
               **start("of_augment", list(_C0.augment), "default"),
               format_func={"shift": "shift ±2 px", "rotate": "rotate ±15°"}.__getitem__,
               help="Drawn anew for every batch. No flips: a mirrored 2, 3, 4, 5, 7 or 9 is not that digit.")
    b[1].number_input("Early stopping: patience (0: off)", 0, 50, key="of_patience",
                      **start("of_patience", _C0.patience),
                      help="Stop once this many epochs pass without a lower held-out loss, and return the best "
                           "epoch's weights.")
    b[2].segmented_control("Network", list(O.SIZES), key="of_size", required=True, **start("of_size", _C0.size, "default"),
                           format_func={"full": "LeNet-5", "small": "smaller"}.__getitem__,
                           help="smaller: LeNet-5 with about 1/6 of its weights (3, 6, 40 and 32 channels and units instead of "
                                "6, 16, 120 and 84)")
    b[3].number_input("Seed", 0, 10_000, key="of_seed", **start("of_seed", _C0.seed),
                      help="Same settings, same seed: the same run, number for number")
    return config_from_widgets()


def training_section(state: OverfitState, cfg: O.OverfitConfig, preset: O.Preset | None, sty: Style) -> None:
    """Train this run, the preset's runs, or this run for 40 more epochs — after a prediction in predict mode."""
    st.subheader("Training, live")
    runs: O.OverfitRuns | None = st.session_state.get(RUNS)
    busy = runs is not None and runs.running
    if runs is not None and not busy and state.ended_run != runs.serial:
        _finished(state, runs.serial, runs.snapshot())
    if _class_question(preset):
        st.info("The runs and their results wait until the answer is revealed.", icon=":material/visibility_off:")
        return
    last = _last_single()
    more = _can_extend(cfg, last)
    guess = _predict_box(busy, preset, more, last)
    needs = predict_first.enabled() and guess is None
    a, b, c, _ = st.columns([1, 1, 1, 1])
    one = a.button("Train", type="primary", icon=":material/play_arrow:", disabled=busy, key="of_train")
    many = preset is not None and len(preset.runs) > 1 and b.button(
        f"Run the preset: {len(preset.runs)} runs", icon=":material/compare:", disabled=busy or needs, key="of_preset_go")
    extra = more and c.button(f"Train {MORE_EPOCHS} more epochs", icon=":material/fast_forward:",
                              disabled=busy or needs, key="of_more")
    if (one or many or extra) and not busy:
        configs = list(preset.runs) if many and preset else [replace(cfg, epochs=cfg.epochs + MORE_EPOCHS)] \
            if extra else [cfg]
        owner = own(RUN_OWNER, RunOwner)
        st.session_state[RUNS] = runs = O.OverfitRuns(configs).start(owner)
        state.verdict = None
        state.guess, state.guess_kind = (guess, "cure" if many else "more") if guess and (many or extra) else \
            (None, None)
        state.guessed_run = runs.serial if state.guess else None
        state.baseline = last.heldout_accuracy if extra and last else None
        if many:
            st.session_state[COMPARED] = []
        busy = True
    if state.verdict is not None:
        predict_first.show_verdict(*state.verdict)
    _live(busy, sty)


def _class_question(preset: O.Preset | None) -> bool:
    """"Which cure closes the gap most?" put to the class once the preset's runs are in the class's shared results
    (its answer known); True while it is open and unrevealed (nobody trains until the reveal)."""
    if preset is None or len(preset.runs) < 2:
        return False
    known = O.finished_preset(preset)
    if known is None:
        if class_questions.is_teacher():
            st.caption("To ask the class which cure closes the gap most, run the preset once first (before the "
                       "lesson): its results are then the class's, and the question can wait for their answers.")
        return False
    asked = class_questions.stepper("of_cure", 0, [O.cure_question(preset, known)])
    return bool(asked and asked[0])


def _last_single() -> O.OverfitResult | None:
    """The most recent finished run compared (what "40 more epochs" continues)."""
    compared: list[O.OverfitResult] = st.session_state.get(COMPARED, [])
    return compared[-1] if compared else None


def _can_extend(cfg: O.OverfitConfig, last: O.OverfitResult | None) -> bool:
    """The settings shown are the last run's, it ran to its end, and 40 more epochs stay within 200."""
    if last is None or last.stopped_at or not last.done or last.heldout_accuracy is None:
        return False
    return O.OverfitConfig.from_dict(last.config) == cfg and cfg.epochs + MORE_EPOCHS <= _L["epochs"][1]


def _predict_box(busy: bool, preset: O.Preset | None, more: bool, last: O.OverfitResult | None) -> str | None:
    """In predict mode: the question the next runs answer, asked before they start."""
    if not predict_first.enabled() or busy:
        return None
    if preset is not None and len(preset.runs) > 1:
        return st.radio(f"Predict first: {O.cure_prompt(preset)[0].lower()}{O.cure_prompt(preset)[1:]}",
                        O.cure_choices(preset), index=None, horizontal=True, key="of_guess_cure")
    if more and last is not None:
        return st.radio(f"Predict first: train {MORE_EPOCHS} more epochs — will the held-out accuracy "
                        f"({100 * (last.heldout_accuracy or 0):.1f} % now) go up or down?", ["up", "down"],
                        index=None, horizontal=True, key="of_guess_more")
    return None


def _finished(state: OverfitState, serial: int, results: list[O.OverfitResult]) -> None:
    """Finished runs join the comparison (four at most); the prediction gets its verdict. Once per run."""
    state.ended_run = serial
    kept = [r for r in st.session_state.get(COMPARED, []) if r.config not in [x.config for x in results]]
    st.session_state[COMPARED] = (kept + [r for r in results if r.done and not r.stopped])[-MAX_COMPARED:]
    if state.guessed_run == serial and state.guess:
        state.verdict = (O.cure_verdict(state.guess, results) if state.guess_kind == "cure" else
                         O.more_verdict(state.guess, state.baseline, results[0]))
        sc = predict_first.score()
        sc["checked"] += 1
        sc["right"] += int(state.verdict[0])
    state.guessed_run = None


def _live(busy: bool, sty: Style) -> None:
    @st.fragment(run_every=1.0 if busy else None)
    def live() -> None:
        runs: O.OverfitRuns | None = st.session_state.get(RUNS)
        if runs is None:
            st.info("Choose the settings (or a preset) and press **Train**.", icon=":material/model_training:")
            compare_section(sty)
            return
        results = runs.snapshot()
        if busy and not runs.running:
            st.rerun()  # the runs ended: a full rerun takes them in, draws the verdict and stops this timer
        _progress(runs, results)
        compare_section(sty, results)

    live()


def _progress(runs: O.OverfitRuns, results: list[O.OverfitResult]) -> None:
    ahead = runs.run.queued_ahead
    if ahead is not None:
        st.info(queued_text(ahead), icon=":material/hourglass_top:")
    a, b = st.columns([4, 1], vertical_alignment="center")
    for r in results:
        total, done = r.config["epochs"], len(r.history)
        acc = f" · held out {100 * r.history[-1]['heldout_accuracy']:.1f} %" if r.history else ""
        how = (" · waiting for a classmate's run of the same settings" if r.waiting and not r.done else
               " · from the class's shared results" if r.shared else "")
        a.progress(min(done / total, 1.0), text=f"{r.label}: epoch {done} of {total}{acc}{how}"
                   + (f" · early stopping after epoch {r.stopped_at}" if r.stopped_at else "")
                   + (" · stopped" if r.stopped else " · done" if r.done else ""))
        if r.error:
            a.warning(f"The run failed: {r.error}", icon=":material/warning:")
    if runs.running and b.button("Stop", icon=":material/stop:", key="of_stop"):
        runs.stop()


def compare_section(sty: Style, running: list[O.OverfitResult] | None = None) -> None:
    """Up to four runs on one chart, the end-of-run table, what the best epoch says, and the weights."""
    shown = {r.label: r for r in st.session_state.get(COMPARED, [])}
    for r in running or []:
        shown[r.label] = r
    results = list(shown.values())[-MAX_COMPARED:]
    if not results:
        return
    st.subheader("Compare" if len(results) > 1 else "The run")
    chart(curves_figure(results, sty), key="of_curves", config={"displaylogo": False})
    st.caption("Every epoch both sets are measured as they are (no dropout, no augmentation): dotted training, solid "
               "held out, the gap between the accuracies shaded; ★ the epoch of the lowest held-out loss.")
    st.dataframe(O.end_table(results), hide_index=True)
    for r in results:
        if r.done and not r.stopped:
            st.markdown(f"- **{r.label}**: {O.best_epoch_sentence(r)}")
    if any(r.weight_counts for r in results):
        with st.expander("The weights at the end: what weight decay does", icon=":material/bar_chart:"):
            chart(weights_figure(results, sty), key="of_weights", config={"displaylogo": False})
            st.caption(O.WEIGHT_DECAY_SENTENCE)
    if st.session_state.get(COMPARED) and st.button("Clear the comparison", key="of_clear"):
        st.session_state[COMPARED] = []
        st.rerun()


# -- augmentation you can see ---------------------------------------------------------------------------------------

def digits_gallery(cfg: O.OverfitConfig) -> None:
    """What the training run sees: one digit, augmented as the chosen transforms draw it, 16 times."""
    kinds = cfg.augment or O.DIGIT_AUGMENTS
    imgs = O.augmented_digits(kinds, 16, cfg.seed)
    st.markdown(f"**On a training digit** — {' and '.join(kinds)}, as the run draws them"
                + ("" if cfg.augment else " (pick one above to train with it)"))
    for row in range(2):
        cols = st.columns(8)
        for k, col in enumerate(cols):
            col.image(np.kron(imgs[8 * row + k], np.ones((3, 3), np.uint8)), alt="A training digit", width="stretch")
    st.caption("No flips for digits: a mirrored 2, 3, 4, 5, 7 or 9 is not that digit (the labels would lie).")


def photo_gallery(rgb: np.ndarray, sty: Style) -> None:
    """16 samples of one transform on the learner's photo, each with its parameters."""
    op = st.segmented_control("Transform", list(A.OPS), key="of_aug_op", required=True,
                              format_func=A.TITLES.__getitem__, **start("of_aug_op", "crop", "default"))
    small = O.photo_for_gallery(rgb)
    a, b, c = st.columns([1, 1, 3], vertical_alignment="bottom")
    a.image(small, alt="The original picture", caption="the original", width="stretch")
    seed = b.number_input("Seed", 0, 10_000, key="of_aug_seed", **start("of_aug_seed", 0),
                          help="Same photo, transform and seed: the same 16 samples, byte for byte")
    c.caption(A.ABOUT[str(op)])
    made = A.samples(small, str(op), 16, int(seed))
    for row in range(4):
        cols = st.columns(4)
        for k, col in enumerate(cols):
            img, params = made[4 * row + k]
            col.image(img, alt=f"The picture after {A.describe(str(op), params)}", caption=A.describe(str(op), params), width="stretch")
    if op == "pca":
        _pca_numbers(small, made[0][1])
        st.image(A.exaggerated(small, made[0][1], A.SHOW_GAIN), alt="The change exaggerated, to see it", width=320,
                 caption=f"Sample 1's colour shift ×{A.SHOW_GAIN}, only to show its direction (not an augmentation)")


def _pca_numbers(rgb: np.ndarray, first: dict[str, Any]) -> None:
    vals, vecs = np.asarray(first["eigenvalues"]), np.asarray(first["eigenvectors"])
    st.markdown("**The photo's colour PCA** (RGB on the 0–1 scale): eigenvalues λ = "
                + ", ".join(f"{v:.4f}" for v in vals) + "; eigenvectors pᵢ (columns): "
                + "; ".join("(" + ", ".join(f"{x:+.3f}" for x in vecs[:, i]) + ")" for i in range(3))
                + f". Sample 1: α = ({', '.join(f'{a:+.3f}' for a in first['alpha'])}), added RGB (0–255) = ("
                + ", ".join(f"{v:+.2f}" for v in first["offset_rgb"]) + ").")
    st.caption(A.pca_sentence(first))
