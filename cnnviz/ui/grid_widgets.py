"""Streamlit pieces shared by the grid pages: editable grids, stepping (their state is a page's `PageState`)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from cnnviz.errors import GridError
from cnnviz.grids.questions import Question
from cnnviz.grids.text import cell_text, format_grid, parse_grid, parse_number
from cnnviz.present.figures import hiding
from cnnviz.ui.address_bar import keep_fragment_keys, set_param
from cnnviz.ui.page import PageState, StepState, link_text


def widget(store: PageState, name: str) -> str:
    """Key for a widget whose value lives in `store[name]`.

    The widget starts from the stored value (after a page switch, a preset or a URL);
    `changed(store, name)` copies the widget's value back.
    """
    key = f"w_{store.name}_{name}_{store.version}"
    if key not in st.session_state:
        st.session_state[key] = store[name]
    return key


def take_widget(store: PageState, name: str, lo: int, hi: int) -> None:
    """Take a box's new value into `store[name]` before the box is drawn (Streamlit has it from the browser before
    the script runs): for a box drawn below the point where the page writes its link."""
    value = st.session_state.get(f"w_{store.name}_{name}_{store.version}")
    if isinstance(value, (int, float)) and lo <= value <= hi:
        store[name] = int(value)


def changed(store: PageState, name: str, value: Any) -> Any:
    store[name] = value
    return value


def whole(where: Any, label: str, lo: int, hi: int, store: PageState, name: str, why: str = "", **kw: Any) -> int:
    """`bounded` for a value kept in a page's store (`store[name]`)."""
    return changed(store, name, bounded(where, label, lo, hi, widget(store, name), lambda: store[name], why, **kw))


def bounded(where: Any, label: str, lo: int, hi: int, key: str, kept: Callable[[], int], why: str = "",
            **kw: Any) -> int:
    """A whole-number box (widget `key`) whose entries outside lo–hi are answered in words right under it.

    A number input bounded in the browser refuses such an entry with a red "!" and no words, while the box keeps
    showing it and the page computes with the old value. Unbounded there, the entry reaches the page, which puts
    the value in use (`kept()`) back in the box and says which limit the entry broke (`why`: the reason for it).
    """

    def check() -> None:
        v = st.session_state.get(key)
        if v is None or not lo <= v <= hi:
            back = min(max(kept(), lo), hi)  # the value in use, inside today's range
            st.session_state[key] = back
            got = "an empty box" if v is None else f"{v:g}"
            st.session_state[f"_limit_{key}"] = f"{label}: {got} is outside {lo}–{hi}{why}; the page keeps {back}."

    value = where.number_input(label, min_value=None, max_value=None, step=1, key=key, on_change=check, **kw)
    note = st.session_state.pop(f"_limit_{key}", None)
    if note:
        where.warning(note, icon=":material/block:")
    return int(value if value is not None else kept())


def linked_whole(where: Any, label: str, lo: int, hi: int, key: str, default: int, why: str = "", **kw: Any) -> int:
    """`bounded` for a widget whose value lives under its own key (set by a link, or `default` at first)."""
    from cnnviz.ui.settings import start

    in_use = f"_in_use_{key}"
    value = bounded(where, label, lo, hi, key, lambda: int(st.session_state.get(in_use, default)), why,
                    **start(key, default), **kw)
    st.session_state[in_use] = value
    return value


def set_grid(store: PageState, name: str, value: np.ndarray) -> None:
    """Replace a grid programmatically (preset, randomise, resize): editors start afresh."""
    arr = np.asarray(value, dtype=np.float64)
    store[name] = arr
    store[f"{name}_base"] = arr.copy()
    store.version += 1


def load_state(store: PageState, new: dict, grids: tuple[str, ...] = ("x", "k")) -> None:
    """Replace a page's whole state (preset, URL, mode switch): widgets and editors restart from it."""
    store.update(new)
    for g in grids:
        store[g] = np.array(store[g], dtype=np.float64, copy=True)
        store[f"{g}_base"] = store[g].copy()
    store.version += 1
    if "sel_input" in store:
        store["sel_input"] = None
    store.playing = False


def preset_picker(where: Any, presets: dict[str, Any], keys: list[str], current: str | None, store: PageState, prefix: str,
                  load: Callable[[str], dict]) -> None:
    """The preset box and its note: it names the preset the page still computes (`current`: none once a grid number
    or a setting differs, back when they match again) and loads a chosen one at once (`load(key)` is its state)."""
    from cnnviz.ui.settings import start

    key = f"{prefix}_{store.version}"
    if key in st.session_state and st.session_state[key] != current:
        st.session_state[key] = current  # the page moved away from the preset it shows, or back to one

    def chosen() -> None:
        if st.session_state.get(key):
            load_state(store, load(st.session_state[key]), grids=tuple(g for g in ("x", "k") if g in store))

    where.selectbox("Preset (loads in one click)", keys, format_func=lambda k: presets[k].title,
                    placeholder="Choose an example…", key=key, on_change=chosen,
                    **start(key, keys.index(current) if current in keys else None, "index"))
    if current:
        where.caption(presets[current].note)


def grid_editor(store: PageState, name: str, label: str, index: tuple = (), help: str | None = None) -> np.ndarray:
    """An editable numeric grid (store[name][index]); returns the grid in use.

    Cells are text, parsed here (`parse_number`): a number column in the browser silently turned
    "1e3" into 13 and "abc" into nothing. A cell that is not a number (or was emptied) is put back
    to the value in use at once, with a message right under the grid naming the cell: the grid
    never shows a value the page does not compute with.
    """
    base = np.asarray(store[f"{name}_base"])[index] if index else np.asarray(store[f"{name}_base"])
    from cnnviz.ui.settings import current

    big = current().presentation  # projected: taller rows and wider cells (the canvas keeps its font size)
    shown = [[cell_text(v) for v in row] for row in base]
    df = pd.DataFrame(shown, columns=[str(j) for j in range(base.shape[1])])
    cfg = {str(j): st.column_config.TextColumn(str(j), width=64 if big else 52)
           for j in range(base.shape[1])}
    editor = f"ed_{name}_{'_'.join(map(str, index))}"
    edited = st.data_editor(df, key=f"{editor}_{store.version}",
                            hide_index=False, num_rows="fixed", column_config=cfg, width="content",
                            row_height=46 if big else None)
    put_back = store.put_back.pop(editor, None)
    if put_back:
        st.warning(put_back, icon=":material/undo:")
    arr = np.array(base, dtype=np.float64, copy=True)
    in_use = np.asarray(store[name])[index] if index else np.asarray(store[name])  # the last good grid
    in_use = in_use if in_use.shape == base.shape else base
    problems = []
    for r, row in enumerate(edited.itertuples(index=False)):
        for c, text in enumerate(row):
            text = "" if text is None or (isinstance(text, float) and np.isnan(text)) else str(text)
            if text == shown[r][c]:
                arr[r, c] = base[r, c]  # untouched: keep the exact value, not its rounded text
                continue
            try:
                arr[r, c] = parse_number(text)
            except ValueError as e:
                arr[r, c] = in_use[r, c]
                kept = cell_text(in_use[r, c])
                problems.append(f"row {r}, column {c} was emptied: put back to {kept} (type 0 for a zero)" if not text
                                else f"row {r}, column {c}: {e}, so it is put back to {kept}")
    if index:
        store[name][index] = arr
    else:
        store[name] = arr
    if problems:
        more = f" (and {len(problems) - 1} more cells)" if len(problems) > 1 else ""
        store.put_back[editor] = (f"{label[:1].upper()}{label[1:]}, {problems[0]}{more}. Type a number like 3, "
                                  "-0.5, 1e3 or 1,5.")
        restart_editors(store)
        st.rerun()
    return arr


def restart_editors(store: PageState) -> None:
    """Every grid editor of the page starts again from the grids in use (its typed cells gone)."""
    for key in [k for k in store.field_names() if k.endswith("_base")]:
        grid = key[: -len("_base")]
        if grid in store:
            store[key] = np.array(store[grid], dtype=np.float64, copy=True)
    store.version += 1


def text_editor(store: PageState, name: str, label: str, on_apply: Callable[[np.ndarray], str | None] | None = None) -> None:
    """'Edit as text': paste rows of numbers; a bad cell gets a message naming it."""
    with st.popover(f"Edit {label} as text", icon=":material/edit_note:"):
        text = st.text_area(f"{label} (rows on lines, values separated by spaces or commas)",
                            format_grid(store[name]), key=f"txt_{name}_{store.version}", height=160)
        if st.button("Apply", key=f"apply_{name}_{store.version}"):
            try:
                arr = parse_grid(text, label)
                msg = on_apply(arr) if on_apply else None
                if msg:
                    st.error(msg)
                else:
                    set_grid(store, name, arr)
                    st.rerun()
            except GridError as e:
                st.error(str(e))


def compute_or_last_good(store: PageState, compute: Callable[[], Any]) -> Any:
    """Compute the view, or show the problem in words and keep the last valid result."""
    result = None
    try:
        result = compute()
        store.last_good = result
    except GridError as e:
        st.error(str(e))
    if result is None:
        result = store.last_good
        if result is None:
            st.stop()
        st.caption("Showing the last valid result until the input is fixed.")
    return result


# Two ways a step key was lost (projected, where the keyboard drives the lecture): pressed while the step buttons
# are still loading (grey placeholders for a moment after a page opens; Streamlit's own shortcut listens only once its
# button is drawn), and pressed right after switching Presentation mode on (the switch keeps the focus, and Streamlit
# leaves keys typed into an input alone). This listener, drawn with the page, takes such a key and clicks the button
# of that kind of the page's ← → stepper (its bar, keyed `shortcut_stepper`, is drawn at once) once it is drawn; every
# other key it leaves to Streamlit (one step per key press either way). Keys that move something else (a slider,
# tabs, a text box) stay theirs, and so does every key on a page without such a stepper (Home and End scroll there).
_EARLY_KEYS_JS = """<span data-cnnviz-early-keys></span>
<style>[data-testid="stElementContainer"]:has([data-cnnviz-early-keys]) { display: none; }</style>
<script>
(() => {
  if (window.__cnnvizEarlyKeys) return;
  window.__cnnvizEarlyKeys = true;
  const SUFFIX = {ArrowRight: "_next", ArrowLeft: "_prev", Home: "_first", End: "_last"};
  const button = (suffix) => document.querySelector(
    `.st-key-shortcut_stepper [class*="${suffix} "] button, .st-key-shortcut_stepper [class$="${suffix}"] button`);
  document.addEventListener("keydown", (e) => {
    const suffix = SUFFIX[e.key], t = e.target instanceof Element ? e.target : null;
    if (!suffix || e.ctrlKey || e.metaKey || e.altKey || !document.querySelector(".st-key-shortcut_stepper")) return;
    const onSwitch = t && t.matches('input[type="checkbox"]');
    if (!onSwitch && t && (t.isContentEditable || t.matches("input, textarea, select")
        || t.closest('[role="slider"], [role="tablist"], [role="radiogroup"], [role="listbox"], [role="grid"]'))) return;
    if (!onSwitch && button(suffix)) return;  // Streamlit's own shortcut takes it
    if (onSwitch) { e.preventDefault(); t.blur(); }
    const until = performance.now() + 10000, page = location.pathname;  // never a click on a page opened since
    const later = () => {
      if (location.pathname !== page) return;
      const b = button(suffix);
      if (b) b.click(); else if (performance.now() < until) setTimeout(later, 50);
    };
    later();
  }, true);
})();
</script>"""


def stepper(store: StepState, n_steps: int, key: str, shortcuts: bool = True, unit: str = "Cell") -> int:
    """First / previous / play / next / last controls (← → Home End); returns the step."""
    store.step = int(np.clip(store.step, 0, max(n_steps - 1, 0)))
    bar = st.container(horizontal=True, vertical_alignment="bottom", gap="small",
                       key="shortcut_stepper" if shortcuts else None)  # one per page: the early-keys listener's

    def go(to: int) -> None:
        if to > store.step:
            from cnnviz.ui.predict_first import skipped

            skipped(store)  # moving on from an unanswered prediction counts as skipped
        store.step = int(np.clip(to, 0, n_steps - 1))
        store.playing = False

    bar.button("First", icon=":material/first_page:", key=f"{key}_first", help=f"First {unit.lower()} (Home key)",
               on_click=go, args=(0,), shortcut="Home" if shortcuts else None)
    bar.button("Back", icon=":material/chevron_left:", key=f"{key}_prev", help=f"Previous {unit.lower()} (← key)",
               on_click=lambda: go(store.step - 1), shortcut="Left" if shortcuts else None)
    playing = store.playing
    if bar.button("Pause" if playing else "Play", icon=":material/pause:" if playing else ":material/play_arrow:",
                  key=f"{key}_play", help="Play / pause (Space)", shortcut="Space" if shortcuts else None, type="primary"):
        store.playing = not playing
        if store.playing and store.step >= n_steps - 1:
            store.step = 0
        store.last_tick = time.monotonic()
        st.rerun()  # a full rerun re-creates the fragment with (or without) its timer
    bar.button("Next", icon=":material/chevron_right:", key=f"{key}_next", help=f"Next {unit.lower()} (→ key)",
               on_click=lambda: go(store.step + 1), shortcut="Right" if shortcuts else None)
    bar.button("Last", icon=":material/last_page:", key=f"{key}_last", help=f"Last {unit.lower()} (End key)", on_click=go,
               args=(n_steps - 1,), shortcut="End" if shortcuts else None)
    with bar.container(width=220):
        store.speed = st.select_slider("Speed (per second)", [0.5, 1, 2, 4], value=store.speed,
                                          key=f"{key}_speed", help=f"{unit}s per second while playing")
    bar.markdown(f"**{unit} {store.step + 1} of {n_steps}**")
    return store.step


SPEEDS = (0.5, 1, 2, 4)


def step_url_keys(url: str) -> tuple[str, str]:
    """The link parameters of one stepper: its step and its playback speed."""
    return url, "speed" if url == "step" else f"{url}_speed"


def read_stepping(params: dict, store: StepState, url: str = "step") -> list[str]:
    """A stepper's step and speed from a link (the page's own reader checks the step against its grid)."""
    from cnnviz.urlstate import choice, int_in, read_params

    step_key, speed_key = step_url_keys(url)
    vals, notices = read_params(params, {step_key: int_in(0, 100_000),
                                         speed_key: choice(tuple(f"{v:g}" for v in SPEEDS))})
    if step_key in vals:
        store.step = vals[step_key]
    if speed_key in vals:
        store.speed = float(vals[speed_key]) if vals[speed_key] == "0.5" else int(vals[speed_key])
    return notices


def stepping_fragment(store: StepState, n_steps: int, key: str, body: Callable[[int], None], shortcuts: bool = True,
                      unit: str = "Cell", url: str = "step", ask: Callable[[int], Question | None] | None = None,
                      size: Callable[[], Question] | None = None) -> None:
    """A stepper and the view it drives, rerun on their own (and on a timer while playing).

    The step and the speed go into the link from inside the fragment: written by the page
    outside it, the link kept the step of the page's last full run (step=0).
    `ask(i)` (and `size()`, before the first step) are the step's questions: in predict mode the
    view is drawn with their answers hidden until the learner has checked a prediction.
    """
    from cnnviz.ui import predict_first

    step_key, speed_key = step_url_keys(url)
    keep_fragment_keys(step_key, speed_key, predict_first.URL_KEY)
    from cnnviz.ui.classroom import STEPPERS, current_page

    page = current_page()  # a follower's step change reruns only this fragment
    st.session_state.setdefault(STEPPERS, {}).setdefault(page, {}).update({step_key: (key, store),
                                                                          speed_key: (key, store)})

    from cnnviz.ui import class_questions

    every = 0.9 / store.speed if store.playing else (
        class_questions.POLL_REFRESH_S if class_questions.teacher_polling(key) else None)

    @st.fragment(run_every=every, key=key)
    def _fragment() -> None:
        advance_if_playing(store, n_steps)
        from cnnviz.ui.settings import current

        if ask is not None and not current().presentation:  # projected, it is in the sidebar (one screen)
            predict_first.switch(key)
        i = stepper(store, n_steps, key, shortcuts, unit)
        store.drawn = i
        for k, v in ((step_key, str(i)), (speed_key, f"{store.speed:g}")):
            set_param(k, v)
        from cnnviz.ui.classroom import publish

        publish()  # a teacher's class follows each step
        if ask is not None:  # "Add this view to the lesson" may take this step's question (built only then)
            st.session_state.setdefault("_step_questions", {}).setdefault(page, {})[key] = (
                i, lambda: predict_first.questions_at(i, ask, size))
        # built only when someone may ask them (a step view's questions cost a step trace of their own)
        wanted = ask is not None and (predict_first.enabled() or class_questions.is_teacher())
        questions = predict_first.questions_at(i, ask, size) if wanted else []
        with held_back_by(store, key, i, questions):
            body(i)

    _fragment()


@contextmanager
def held_back_by(store: StepState, key: str, i: int, questions: list[Question]) -> Iterator[None]:
    """Asks this step's questions (the class's, or the learner's own in predict mode) and draws the step view with
    nothing of a pending answer: its cells '?', the cells of later steps empty, its arithmetic left out."""
    from cnnviz.ui import class_questions, predict_first

    asked = class_questions.stepper(key, i, questions)  # a question the teacher put to the class
    if asked is not None:
        is_open, q = asked
        held = [q] if is_open and q is not None else []
        hidden = bool(held)
    elif questions and predict_first.enabled():
        held, hidden = questions, not predict_first.ask(store, key, questions)
    else:
        held, hidden = [], False
    spec = tuple(h for q in held for h in q.hide) if hidden else None
    with hiding(spec, tuple(h for q in held for h in q.not_reached)):
        yield


def advance_if_playing(store: StepState, n_steps: int) -> None:
    """Called at the top of a run_every fragment: one step per tick, stop at the end."""
    if not store.playing:
        return
    now = time.monotonic()
    if now - store.last_tick >= 0.9 / store.speed:
        store.last_tick = now
        if store.step >= n_steps - 1:
            store.playing = False
            st.rerun()  # stop the timer
        else:
            store.step += 1


def clicked_cell(event: Any, store: PageState, key: str) -> tuple[str, int, int] | None:
    """The newly clicked (panel, row, col) from a plotly selection event, once per click."""
    try:
        points = event.selection.points if event else []
    except AttributeError:
        points = []
    sel = None
    for p in points:
        cd = p.get("customdata") if isinstance(p, dict) else None
        if cd and cd[0]:
            sel = (str(cd[0]), int(cd[1]), int(cd[2]))
    if sel is None or store.last_click.get(key) == sel:
        if sel is None:
            store.last_click.pop(key, None)
        return None
    store.last_click[key] = sel
    return sel


def link_in_fragment(url_key: str, widget_key: str) -> Callable[[], None]:
    """An on_change callback for a widget drawn inside a fragment: a fragment's rerun never reaches the page's
    `write_url`, so the widget writes its own link parameter (a flag or a number) and `write_url` keeps it."""
    keep_fragment_keys(url_key)

    def write() -> None:
        set_param(url_key, link_text(st.session_state.get(widget_key)))
    return write


def clamp_widget(key: str, hi: int) -> None:
    """A linked position past a smaller grid's edge moves to the edge (the widget would refuse it)."""
    v = st.session_state.get(key)
    if isinstance(v, int) and v > hi:
        st.session_state[key] = hi


def step_and_settings(caption: str) -> tuple[Any, Any]:
    """(step area, settings area) of a grid page, in the order the mode needs.

    On screen: the explanation and the settings come first, the step view below them. Projected, and for a
    student following the teacher (on a phone, most of them): the step view comes first, right under the title —
    the step the teacher is on and the question being asked on the first screen (a projector's 1280×720, a
    phone's 390×844); the explanation, editors and settings the teacher drives wait in a collapsed section below.
    """
    from cnnviz.ui.classroom import following
    from cnnviz.ui.settings import current

    st.html(_EARLY_KEYS_JS, unsafe_allow_javascript=True)
    follower = following()
    if current().presentation or follower:
        step = st.container(key="step_view")
        settings: Any = st.expander("Settings (your teacher's)" if follower else
                                    "Grids, settings and the explanation", icon=":material/tune:")
        settings.caption(caption)
    else:
        st.caption(caption)
        settings = st.container()
        step = st.container(key="step_view")
    return step, settings
