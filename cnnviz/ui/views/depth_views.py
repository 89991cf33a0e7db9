"""The Going deep page's sections: presets, the network's settings, the network at initialisation, training live and
the comparison of up to four runs. The engine (cnnviz.learn.depth) builds, measures and trains; this module draws."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import streamlit as st

from cnnviz.learn import depth as D
from cnnviz.learn.background_run import RunOwner
from cnnviz.present import depth_figures as figs
from cnnviz.present.colours import Style
from cnnviz.ui import class_questions, predict_first
from cnnviz.ui.charts import chart
from cnnviz.ui.heavy_jobs import queued_text
from cnnviz.ui.page import PageState, Parser
from cnnviz.ui.session import RUN_OWNER, lasting, own
from cnnviz.ui.settings import start
from cnnviz.ui.views import lab_views
from cnnviz.urlstate import choice, int_in, number_in

RUNS = lasting("_depth_runs")  # the learner's runs in progress (their own: kept while following)
COMPARED = lasting("_depth_compared")  # up to four finished runs, compared on one chart (the learner's own too)
MAX_COMPARED = 4
_D0 = D.DepthConfig()
_L = D.LIMITS
# setting → (widget key, parser); the widgets are the truth, the link and presets write them
SETTINGS: dict[str, tuple[str, Parser]] = {
    "depth": ("dp_depth", int_in(*map(int, _L["depth"]))), "width": ("dp_width", int_in(*map(int, _L["width"]))),
    "activation": ("dp_act", choice(D.CHOICES["activation"])), "init": ("dp_init", choice(D.INITS)),
    "norm": ("dp_norm", choice(D.CHOICES["norm"])), "skip": ("dp_skip", choice(D.CHOICES["skip"])),
    "stride_at": ("dp_stride", int_in(*map(int, _L["stride_at"]))), "clip": ("dp_clip", number_in(*_L["clip"])),
    "optimizer": ("dp_opt", choice(D.CHOICES["optimizer"])), "lr": ("dp_lr", number_in(*_L["lr"])),
    "schedule": ("dp_sched", choice(D.CHOICES["schedule"])),
    "batch_size": ("dp_batch", int_in(*map(int, _L["batch_size"]))),
    "epochs": ("dp_epochs", int_in(*map(int, _L["epochs"]))), "seed": ("dp_seed", int_in(*map(int, _L["seed"]))),
}
EXPLAINED = {
    "depth": "how many blocks the signal passes through — and the gradient passes back through.",
    "width": "channels in every block: more is slower, and does not change why deep networks fail.",
    "activation": "ReLU passes a gradient of 1 where it is on; sigmoid at most 0.25 and tanh at most 1, less once "
                  "they saturate — multiplied once per block.",
    "init": "the spread of the starting weights: He's √(2/fan_in) keeps a ReLU signal's size from block to block, "
            "Xavier's √(2/(fan_in+fan_out)) suits tanh, PyTorch's default (±1/√fan_in) shrinks it.",
    "norm": "batch norm rescales every block's output to mean 0 and spread 1 over the batch, whatever the weights.",
    "skip": "identity skips add each block's input to its output (pre-activation form), so the gradient has a path "
            "through no weights at all; a 1×1 projection where the map halves.",
    "stride_at": "the block whose convolution has stride 2 (the map halves from 14×14 to 7×7; 0: none).",
    "clip": "rescale the gradient whenever its global norm is above this (0: off), so no step can be huge.",
    "optimizer": "Adam adapts each weight's step to its gradient's size; SGD (momentum 0.9) steps in proportion to it.",
    "schedule": "one-cycle warms the learning rate up, then lowers it to almost 0; constant keeps it.",
}
TITLES = {"relu": "ReLU", "tanh": "tanh", "sigmoid": "sigmoid", "none": "none", "batch": "batch norm",
          "identity": "identity (residual)", "adam": "Adam", "sgd": "SGD + momentum 0.9", "one-cycle": "one-cycle",
          "constant": "constant", **D.INIT_TITLES}


def _preset(t: str) -> str:
    if t and t not in D.PRESETS:
        raise ValueError(f"must be one of {', '.join(D.PRESETS)}")
    return t


@dataclass(kw_only=True, eq=False)
class DepthState(PageState):
    """The settings are widgets the link starts (`WIDGETS`); the page keeps the learner's prediction of the next run
    and the runs' verdicts (the runs themselves are the learner's own, outside the page state)."""

    WIDGETS: ClassVar[dict[str, tuple[str, Parser]]] = {**{k: v for k, v in SETTINGS.items()},
                                                         "preset": ("dp_preset", _preset)}

    name: str = "depth"
    learn_guess: str | None = None  # "yes" / "no": will the next run learn? (asked before it starts)
    guessed_run: int | None = None  # id of the run the guess was made for
    verdict: tuple[bool, str] | None = None
    ended_run: int | None = None  # id of the last run whose end was taken in (comparison, verdict)
    profile_held: bool = False  # the largest-gradient question is open: no gradient profile anywhere on the page


def config_from_widgets() -> D.DepthConfig:
    """The settings the widgets show, as the engine's config (each within its limits: the widgets enforce them)."""
    values = {name: st.session_state.get(key, getattr(_D0, name)) for name, (key, _) in SETTINGS.items()}
    values["stride_at"] = min(int(values["stride_at"]), int(values["depth"]))
    return D.DepthConfig(**{k: type(getattr(_D0, k))(v) for k, v in values.items()})


def set_widgets(cfg: D.DepthConfig) -> None:
    lab_views.set_widgets(SETTINGS, cfg)


def preset_section() -> D.Preset | None:
    """The preset picker, its claim from the notes and what to look for."""
    return lab_views.preset_picker("dp_preset", D.PRESETS, set_widgets, "network")


def settings_section() -> D.DepthConfig:
    """Every choice of the network and its training, each explained in one sentence below."""
    a = st.columns(5)
    a[0].slider("Depth (blocks)", 1, 100, key="dp_depth", **start("dp_depth", _D0.depth))
    a[1].slider("Width (channels)", 4, 64, step=4, key="dp_width", **start("dp_width", _D0.width))
    _select(a[2], "Activation", "activation")
    _select(a[3], "Initialisation", "init")
    _select(a[4], "Normalisation", "norm")
    b = st.columns(5)
    _select(b[0], "Skip connections", "skip")
    depth = int(st.session_state.get("dp_depth", _D0.depth))
    if int(st.session_state.get("dp_stride", _D0.stride_at)) > depth:
        st.session_state["dp_stride"] = min(depth, _D0.stride_at)  # the stride-2 block moves with a shallower net
    b[1].number_input("Stride-2 block (0: none)", 0, depth, key="dp_stride", **start("dp_stride", _D0.stride_at))
    b[2].number_input("Gradient clipping (0: off)", 0.0, 100.0, step=0.5, key="dp_clip",
                      **start("dp_clip", _D0.clip))
    _select(b[3], "Optimiser", "optimizer")
    b[4].number_input("Learning rate", 1e-5, 1.0, format="%.5f", key="dp_lr", **start("dp_lr", _D0.lr))
    c = st.columns(5)
    _select(c[0], "Schedule", "schedule")
    c[1].number_input("Batch size", 8, 512, key="dp_batch", **start("dp_batch", _D0.batch_size))
    c[2].number_input("Epochs", 1, 30, key="dp_epochs", **start("dp_epochs", _D0.epochs),
                      help="One epoch is one pass over the 4,000 training digits")
    c[3].number_input("Seed", 0, 10_000, key="dp_seed", **start("dp_seed", _D0.seed),
                      help="Same settings, same seed: the same run, number for number")
    with st.expander("What each choice does"):
        st.markdown("\n".join(f"- **{label}**: {EXPLAINED[name]}" for name, label in (
            ("depth", "Depth"), ("width", "Width"), ("activation", "Activation"), ("init", "Initialisation"),
            ("norm", "Normalisation"), ("skip", "Skip connections"), ("stride_at", "Stride-2 block"),
            ("clip", "Gradient clipping"), ("optimizer", "Optimiser"), ("schedule", "Schedule"))))
        st.caption("The network: a 3×3 stem of stride 2 (28 → 14 px), the blocks, global average pooling and a "
                   "linear classifier of the 10 digits; trained on 4,000 MNIST digits, measured on 1,000 held out.")
    return config_from_widgets()


def _select(where: Any, label: str, name: str) -> None:
    key, options = SETTINGS[name][0], D.CHOICES[name]
    where.selectbox(label, options, key=key, format_func=TITLES.__getitem__,
                    **start(key, options.index(getattr(_D0, name)), "index"))


def init_section(state: DepthState, cfg: D.DepthConfig, sty: Style) -> None:
    """One batch through the untrained network: the activations per block, then (after a prediction, when asked)
    the gradient profile and what it means."""
    report = D.at_init_shared(cfg)
    st.subheader("Before any training: one batch forward and back")
    left, right = st.columns(2)
    with left:
        st.markdown("**What each block passes on** (activations on 64 digits)")
        chart(figs.activation_figure(report.samples, sty), key="dp_act_fig", config={"displaylogo": False})
        st.caption(stats_sentence(cfg, report))
    with right:
        st.markdown("**What each block gets back**: ‖∂L/∂W‖ of its convolution")
        q = D.largest_gradient_question(cfg, report)
        state.profile_held = _asked(state, "dp_init", q)
        if not state.profile_held:
            chart(figs.gradient_profile_figure({cfg.label(): report.grad_norms}, sty), key="dp_grad_fig",
                  config={"displaylogo": False})
            st.markdown(f"**{report.sentence()}**")
            with st.expander("The numbers, block by block"):
                st.dataframe(D.init_table(cfg, report), hide_index=True)


def _asked(state: DepthState, key: str, q: Any) -> bool:
    """The question is open (the class's, or the learner's own in predict mode): True while the answer must hide."""
    predict_first.switch(key)
    asked = class_questions.stepper(key, 0, [q])
    if asked is not None:
        return asked[0]
    return predict_first.enabled() and not predict_first.ask(state, key, [q])


def stats_sentence(cfg: D.DepthConfig, report: D.InitReport) -> str:
    """The activation statistics of the first and last block, in words."""
    first, last = report.stats[0], report.stats[-1]
    words = f"Spread (std) {first['std']:.3g} at block 1, {last['std']:.3g} at block {cfg.depth}"
    if cfg.activation == "relu":
        return words + f"; dead (zero for all 64 digits): {100 * (first['dead'] or 0):.0f} % → {100 * (last['dead'] or 0):.0f} %."
    return words + (f"; saturated (slope under a tenth of its largest): {100 * (first['saturated'] or 0):.0f} % → "
                    f"{100 * (last['saturated'] or 0):.0f} %.")


def training_section(state: DepthState, cfg: D.DepthConfig, preset: D.Preset | None, sty: Style) -> None:
    """Start a run (this network, or the preset's networks one after another) after a prediction when predict mode is
    on; watch it live; Stop at any time."""
    st.subheader("Training, live")
    runs: D.DepthRuns | None = st.session_state.get(RUNS)
    busy = runs is not None and runs.running
    if runs is not None and not busy and state.ended_run != runs.serial:
        _finished(state, runs, runs.snapshot())
    class_open = _class_question(cfg)
    guess = None
    if predict_first.enabled() and not busy and not class_open:
        guess = st.radio("Predict first: will this network learn (≥ 50 % of the held-out digits right)?",
                         ["yes", "no"], index=None, horizontal=True, key="dp_guess")
    blocked = busy or class_open or (predict_first.enabled() and guess is None)
    a, b, _ = st.columns([1, 1, 2])
    one = a.button("Train this network", type="primary", icon=":material/play_arrow:", disabled=blocked,
                   key="dp_train")
    many = preset is not None and b.button(f"Run the preset: {len(preset.runs)} networks", icon=":material/compare:",
                                           disabled=blocked, key="dp_run_preset")
    if (one or many) and not busy:
        configs = preset.runs if many and preset is not None else (cfg,)
        owner = own(RUN_OWNER, RunOwner)  # the runs stop when this session ends
        st.session_state[RUNS] = runs = D.DepthRuns(configs, lesion=bool(many and preset and preset.lesion)).start(owner)
        state.learn_guess, state.guessed_run, state.verdict = guess, runs.serial if guess else None, None
        if many:
            st.session_state[COMPARED] = []  # a preset's networks are compared with each other
        busy = True
    if state.verdict is not None:
        predict_first.show_verdict(*state.verdict)
    if class_open:
        st.info("The runs and their results wait until the answer is revealed.", icon=":material/visibility_off:")
        return
    _live(state, sty, busy)


def _class_question(cfg: D.DepthConfig) -> bool:
    """"Will this network learn?" put to the class, once a run of these settings is in the class's shared results
    (its answer known); True while it is open and unrevealed (nobody trains until the reveal)."""
    known = D.finished_run(cfg)
    if known is None:
        if class_questions.is_teacher():
            st.caption("To ask the class “Will this network learn?”, train it once first (before the lesson): its "
                       "result is then the class's, and the question can wait for their answers.")
        return False
    asked = class_questions.stepper("dp_learn", 0, [D.learn_question(cfg, known)])
    return bool(asked and asked[0])


def _live(state: DepthState, sty: Style, busy: bool) -> None:
    @st.fragment(run_every=1.0 if busy else None)
    def live() -> None:
        runs: D.DepthRuns | None = st.session_state.get(RUNS)
        if runs is None:
            st.info("Choose the settings (or a preset) and press **Train this network**.",
                    icon=":material/model_training:")
            compare_section(sty, held=state.profile_held)
            return
        results = runs.snapshot()
        if busy and not runs.running:
            st.rerun()  # the runs ended: a full rerun takes them in, draws the verdict and stops this timer
        _progress(runs, results)
        current = next((r for r in results if not r.done), results[-1])
        if current.history and not state.profile_held:  # its first step is the gradient at initialisation
            left, right = st.columns(2)
            with left:
                st.markdown(f"**‖∂L/∂W‖ of every block at every step** — {current.label}")
                chart(figs.heatmap_figure(current.history, sty), key="dp_heatmap", config={"displaylogo": False})
            with right:
                st.markdown("**Update ÷ weight per block** (‖ΔW‖ / ‖W‖ at the latest evaluation)")
                if current.update_ratios:
                    chart(figs.bars_figure(current.update_ratios, sty, "‖ΔW‖ / ‖W‖ (log)", log=True),
                          key="dp_ratios", config={"displaylogo": False})
                    st.caption("Around 10⁻³ per step is healthy; far below, a block is frozen; near 1, it is "
                               "rewritten at every step." + (" Late in a one-cycle schedule the learning rate is "
                                                             "almost 0, so every ratio is small." if
                                                             current.config["schedule"] == "one-cycle" else ""))
        for r in results:
            if r.lesion:
                _lesion(r, sty)
        compare_section(sty, results, held=state.profile_held)

    live()


def _progress(runs: D.DepthRuns, results: list[D.DepthResult]) -> None:
    ahead = runs.run.queued_ahead
    if ahead is not None:
        st.info(queued_text(ahead), icon=":material/hourglass_top:")
    a, b = st.columns([4, 1], vertical_alignment="center")
    for r in results:
        total = r.steps_per_epoch * r.config["epochs"]
        step = r.history[-1]["step"] if r.history else 0
        acc = f" · held-out {100 * r.evals[-1]['heldout_acc']:.1f} %" if r.evals else ""
        how = (" · waiting for a classmate's run of the same settings" if r.waiting and not r.done else
               " · from the class's shared results" if r.shared else "")
        a.progress(min(step / total, 1.0) if total else 0.0,
                   text=f"{r.label}: step {step} of {total}{acc}{how}" + (" · done" if r.done else ""))
        if r.message():
            a.warning(r.message() or "", icon=":material/warning:")
    if runs.running and b.button("Stop", icon=":material/stop:", key="dp_stop"):
        runs.stop()


def _finished(state: DepthState, runs: D.DepthRuns, results: list[D.DepthResult]) -> None:
    """Finished runs join the comparison (four at most, the oldest leaves); the prediction gets its verdict. Once
    per run."""
    state.ended_run = runs.serial
    kept = [r for r in st.session_state.get(COMPARED, []) if r.config not in [x.config for x in results]]
    st.session_state[COMPARED] = (kept + [r for r in results if r.done and not r.stopped])[-MAX_COMPARED:]
    if state.guessed_run == runs.serial and state.learn_guess and results:
        state.verdict = D.learn_verdict(state.learn_guess, results[0])
        sc = predict_first.score()
        sc["checked"] += 1
        sc["right"] += int(state.verdict[0])
    state.guessed_run = None


def _lesion(r: D.DepthResult, sty: Style) -> None:
    st.markdown(f"**Delete one block, keep the rest** — {r.label}")
    chart(figs.bars_figure(r.lesion or [], sty, "held-out accuracy with the block deleted",
                           reference=r.heldout_accuracy, reference_text="nothing deleted"),
          key=f"dp_lesion_{r.label}", config={"displaylogo": False})
    kept = r.lesion_kept()
    if kept is not None and r.heldout_accuracy:
        st.caption(f"Deleting one block keeps on average {100 * kept:.0f} % of "
                   f"its accuracy ({100 * r.heldout_accuracy:.1f} % with every block)."
                   + (" A plain block that halves the map has no identity to keep: no bar." if None in (r.lesion or [])
                      else ""))


def compare_section(sty: Style, running: list[D.DepthResult] | None = None, held: bool = False) -> None:
    """Up to four runs on one chart: held-out accuracy and loss, and the gradient profile at initialisation (held
    back, with its column, while the largest-gradient question above is open: a compared run may have the same
    settings)."""
    compared: list[D.DepthResult] = list(st.session_state.get(COMPARED, []))
    shown = {r.label: r for r in compared}
    for r in running or []:
        shown.setdefault(r.label, r)
    runs = list(shown.values())[-MAX_COMPARED:]
    if not runs:
        return
    st.subheader("Compare" if len(runs) > 1 else "The run")
    left, right = st.columns(2)
    with left:
        chart(figs.curves_figure({r.label: r.evals for r in runs}, sty), key="dp_curves",
              config={"displaylogo": False})
        st.caption("A point every half epoch: the held-out accuracy then, and the training loss averaged over the "
                   "batches since the previous point.")
    with right:
        if held:
            st.caption("The gradient profiles at initialisation wait until the question above is answered.")
        else:
            profiles: dict[str, Sequence[float]] = {r.label: _init_of(r).grad_norms for r in runs}
            chart(figs.gradient_profile_figure(profiles, sty, "‖∂L/∂W‖ at initialisation (log)"), key="dp_profiles",
                  config={"displaylogo": False})
    st.dataframe([{"run": r.label, "held-out accuracy": _pct(r.heldout_accuracy), "training accuracy":
                   _pct(r.train_accuracy),
                   **({} if held else {"first ÷ last block's gradient at init": D.ratio_text(_init_of(r).ratio)}),
                   "seconds": f"{r.seconds:.1f}", "ended": r.message() or ("done" if r.done else "training")}
                  for r in runs], hide_index=True)
    if compared and st.button("Clear the comparison", key="dp_clear"):
        st.session_state[COMPARED] = []
        st.rerun()


def _init_of(r: D.DepthResult) -> D.InitReport:
    return D.at_init_shared(D.DepthConfig.from_dict(r.config))


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{100 * v:.1f} %"
