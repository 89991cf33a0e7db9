"""Live LeNet-5 training: it learns, it stops when asked, and it touches nothing shared."""

import time

import numpy as np
import pytest
import torch

from cnnviz.learn.training import LeNetRun, TrainConfig
from cnnviz.networks.network import get


@pytest.mark.slow
def test_a_short_run_lowers_the_loss_and_beats_chance_on_held_out_digits():
    shared = {k: v.clone() for k, v in get("lenet5").module().state_dict().items()}
    run = LeNetRun(TrainConfig(epochs=1, batch_size=64, seed=1)).start()
    run.join(120)
    s = run.snapshot()
    assert s.done and not s.stopped and s.error is None
    assert s.history[-1]["loss"] < 0.8 * s.history[0]["loss"]  # the loss falls within the epoch
    assert s.history[-1]["heldout_acc"] > 0.8  # chance is 0.1
    ev = run.evaluate()
    assert ev.confusion.sum() == 1000 and np.trace(ev.confusion) == round(ev.accuracy * 1000)
    assert all(true != pred for _, true, pred, _ in ev.wrong)
    assert s.filters.shape == (6, 5, 5) and s.digit_maps.shape == (6, 28, 28)
    for k, v in get("lenet5").module().state_dict().items():
        torch.testing.assert_close(v, shared[k])


def test_a_run_stops_when_asked():
    run = LeNetRun(TrainConfig(epochs=30)).start()
    time.sleep(0.3)
    run.stop()
    run.join(10)
    assert not run.running and run.snapshot().stopped


def test_a_run_stops_by_itself_when_its_session_is_gone():
    import gc

    from cnnviz.learn.background_run import RunOwner

    owner = RunOwner()
    run = LeNetRun(TrainConfig(epochs=30, batch_size=8)).start(owner)
    del owner
    gc.collect()
    run.join(30)
    assert not run.running and run.snapshot().stopped


@pytest.mark.slow
def test_the_default_settings_reach_95_percent_on_held_out_digits_in_5_epochs():
    cfg = TrainConfig()
    assert cfg.epochs <= 5
    run = LeNetRun(cfg).start()
    run.join(300)
    s = run.snapshot()
    assert s.done and s.error is None and s.history[-1]["heldout_acc"] >= 0.95, s.history


def test_settings_outside_the_limits_get_one_message():
    from cnnviz.errors import CnnvizError

    for bad, message in ((dict(epochs=99), "epochs must be"), (dict(batch_size=2), "batch size"),
                         (dict(lr=5.0), "learning rate"), (dict(schedule="step"), "schedule must be")):
        with pytest.raises(CnnvizError, match=message):
            TrainConfig(**bad).check()


def test_every_loss_point_averages_the_batches_since_the_previous_point():
    """Issue 46, item 3: the whole-epoch point used to average the epoch's early batches too."""
    from cnnviz.learn import loop

    steps: list[loop.Step] = []
    run = LeNetRun(TrainConfig(epochs=2, batch_size=256))
    record = run._record_gradients
    run._record_gradients = lambda step: (steps.append(step), record(step))[1]  # type: ignore[method-assign]
    run.start().join(120)
    history = run.snapshot().history
    assert len(history) == 4 and len(steps) == 2 * 16
    bounds = [0, 8, 16, 24, 32]  # 16 batches an epoch: points after batches 8 and 16 of each
    for point, (a, b) in zip(history, zip(bounds, bounds[1:]), strict=True):
        window = steps[a:b]
        expected = sum(s.loss * s.size for s in window) / sum(s.size for s in window)
        assert point["loss"] == pytest.approx(expected, rel=1e-12)
        assert point["epoch"] == pytest.approx(window[-1].epochs_done)


def test_the_loss_curve_says_which_window_its_points_average():
    from cnnviz.present.colours import style
    from cnnviz.present.figures import training_curves

    fig = training_curves([{"epoch": 0.5, "loss": 1.0, "train_acc": 0.5, "heldout_acc": 0.5}], style(False))
    assert fig.data[0].name == "training loss (mean since the last point)"
