"""Long jobs tell their size, show progress and keep what they finished when stopped."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.app.test_pages_render import open_page


def test_a_gif_tells_its_frames_and_size_before_it_is_made_then_offers_the_download():
    at = open_page("convolution.py")
    make = next(b for b in at.button if (b.label or "").startswith("Whole pass as GIF (≈ "))
    assert make.label.endswith("MB)") and make.help.startswith("25 frames, about")
    make.click().run()
    assert not at.exception
    downloads = [d for d in at.get("download_button") if (d.label or "").startswith("Whole pass as GIF (")]
    assert downloads and downloads[0].label.endswith("MB)")


def _stopped_after_two() -> None:
    import numpy as np
    import streamlit as st

    from cnnviz.ui.views.attribution_views import AttrState, maps_as_they_come, partial_maps

    class Stopped(Exception):
        pass

    def one(method: str):
        if method == "occlusion":
            raise Stopped  # what a Stop click does to a running script: it ends mid-way
        return np.ones((4, 4))

    store = AttrState()
    try:
        maps_as_they_come(store, ["saliency", "gradcam", "occlusion"], one, ("sig",), lambda done: None)
    except Stopped:
        pass
    st.write(f"kept: {sorted(partial_maps(store, ('sig',)))}; other view: {sorted(partial_maps(store, ('other',)))}")


def test_a_stopped_comparison_keeps_the_maps_it_finished():
    at = AppTest.from_function(_stopped_after_two)
    at.run()
    assert "kept: ['gradcam', 'saliency']; other view: []" in at.markdown[0].value


def _fantasy_stopped_at_step_20() -> None:
    from cnnviz.explain import fantasy as fa
    from cnnviz.ui.views.fantasy_views import FantasyState, LiveProgress, show_results

    class Stopped(Exception):
        pass

    store = FantasyState()
    cfg = fa.FantasyConfig(layer="_blocks.2.depthwise_act", channel=1, size=64, steps=40)
    live = LiveProgress(1)

    def keep(partial: fa.FantasyResult) -> None:
        store.results = {"mode": "channel", "layer": cfg.layer, "class": None, "node": fa.target_node(cfg),
                            "class_name": None, "items": [(1, partial, None, None)]}

    report = live.reporter(0, "", cfg.steps, keep)

    def on_step(step: int, value: float, img) -> None:
        report(step, value, img)
        if step == 20:
            raise Stopped  # what a Stop click does to a running script: it ends mid-way

    try:
        fa.fantasy(cfg, on_step=on_step, preview_every=8)
    except Stopped:
        pass
    show_results(store)


def test_a_stopped_fantasy_image_keeps_the_image_and_curve_it_had():
    at = AppTest.from_function(_fantasy_stopped_at_step_20, default_timeout=60)
    at.run()
    assert not at.exception
    assert any("**Stopped** at step 16" in m.value for m in at.markdown)
    assert len(at.get("plotly_chart")) >= 1 and len(at.get("image")) >= 1


def _queued_behind_another_job() -> None:
    import threading
    import time

    import streamlit as st

    from cnnviz.jobs import HEAVY
    from cnnviz.ui.heavy_jobs import heavy_job

    first = HEAVY.enqueue("someone else's job")
    assert HEAVY.try_start(first, 1)
    threading.Thread(target=lambda: (time.sleep(1.0), first.release())).start()  # several polls of waiting
    with heavy_job("Fantasy image", "queued_job"):
        st.write("ran after the queue")


def test_a_job_queued_for_several_polls_says_so_then_runs_without_an_error():
    at = AppTest.from_function(_queued_behind_another_job, default_timeout=30)
    at.run()
    assert not at.exception
    assert any(m.value == "ran after the queue" for m in at.markdown)


def _waits_for_another_learners_image() -> None:
    import threading
    import time

    import streamlit as st

    import cnnviz.classroom.results as R
    from cnnviz.ui.views.fantasy_views import made_once

    R._RESULTS = R.SharedResults()
    release = R._RESULTS._acquire("the-key")  # another learner is making it
    assert release is not None

    def finish() -> None:
        time.sleep(1.0)
        R._RESULTS.put("the-key", b"made by the other learner")
        release()

    threading.Thread(target=finish).start()
    st.write(f"got: {made_once('the-key', lambda: b'made here')!r}; computed here: {R._RESULTS.computed}")


def test_a_learner_asking_for_an_image_another_is_making_waits_for_it_instead_of_making_it_again():
    import cnnviz.classroom.results as R

    before = R._RESULTS
    try:
        at = AppTest.from_function(_waits_for_another_learners_image, default_timeout=30)
        at.run()
        assert not at.exception
        assert "got: b'made by the other learner'; computed here: 0" in at.markdown[-1].value
    finally:
        R._RESULTS = before
