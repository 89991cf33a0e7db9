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
