"""The depth lab's engine: its numbers equal torch's own, and the lecture notes' claims hold on them."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnviz.errors import CnnvizError
from cnnviz.learn import depth as D
from cnnviz.learn import loop

configs = st.builds(D.DepthConfig, depth=st.integers(1, 6), width=st.sampled_from([4, 8]),
                    activation=st.sampled_from(D.CHOICES["activation"]), init=st.sampled_from(D.INITS),
                    norm=st.sampled_from(D.CHOICES["norm"]), skip=st.sampled_from(D.CHOICES["skip"]),
                    stride_at=st.integers(0, 1), seed=st.integers(0, 100))


@settings(max_examples=25, deadline=None)
@given(configs)
def test_the_per_block_gradient_norms_equal_a_separate_autograd_computation(cfg):
    report = D.at_init(cfg)
    model, gen = D.build(cfg)
    xtr, ytr, _, _ = D.digits()
    idx = torch.randperm(len(ytr), generator=gen)[: D.INIT_BATCH]
    model.train()
    weights = [b.conv.weight for b in model.blocks]
    grads = torch.autograd.grad(F.cross_entropy(model(xtr[idx]), ytr[idx]), weights)
    torch.testing.assert_close(torch.tensor(report.grad_norms), torch.stack([g.norm() for g in grads]))
    assert len(report.stats) == cfg.depth and len(report.samples) == cfg.depth


@pytest.mark.parametrize("scheme", D.INITS)
def test_each_initialisation_draws_weights_with_its_formulas_spread(scheme):
    model, _ = D.build(D.DepthConfig(depth=4, width=64, init=scheme))
    w = model.blocks[1].conv.weight.detach()
    fan_in, fan_out = 64 * 9, 64 * 9
    expected = D.init_std(scheme, fan_in, fan_out)
    assert float(w.std()) == pytest.approx(expected, rel=0.03)
    assert float(w.mean()) == pytest.approx(0.0, abs=0.03 * expected)
    if scheme.startswith("he"):
        factor = {"he": 1.0, "he-small": 0.5, "he-large": 2.0}[scheme]
        assert expected == pytest.approx(factor * math.sqrt(2 / fan_in))


def test_batch_norm_uses_the_batch_in_training_and_its_running_statistics_in_eval():
    model, _ = D.build(D.DepthConfig(depth=2, skip="none"))
    block = model.blocks[1]
    x = torch.randn(32, 16, 7, 7, generator=torch.Generator().manual_seed(0)) * 3 + 1
    block.train()
    z = block.norm(block.conv(x))
    torch.testing.assert_close(z.mean((0, 2, 3)), torch.zeros(16), atol=1e-5, rtol=0)
    torch.testing.assert_close(z.var((0, 2, 3), unbiased=False), torch.ones(16), atol=1e-3, rtol=0)
    block.eval()
    bn = block.norm
    expected = F.batch_norm(block.conv(x), bn.running_mean, bn.running_var, bn.weight, bn.bias, False, 0.0, bn.eps)
    torch.testing.assert_close(bn(block.conv(x)), expected)


@pytest.mark.parametrize("skip", ["none", "identity"])
def test_a_deleted_block_is_exactly_its_identity_path(skip):
    model, _ = D.build(D.DepthConfig(depth=4, skip=skip, stride_at=1))
    model.eval()
    x = D.digits()[2][:8]
    with torch.no_grad():
        h = model.blocks[0](model.stem(x))
        block = model.blocks[2]
        block.deleted = True
        assert torch.equal(block(h), h)
        out = model(x)
        by_hand = model.fc(model.head(model.blocks[3](model.blocks[1](h))).mean((2, 3)))
    torch.testing.assert_close(out, by_hand)


def test_a_deleted_stride_2_residual_block_keeps_its_projection():
    model, _ = D.build(D.DepthConfig(depth=2, stride_at=1))
    block = model.blocks[0]
    block.deleted = True
    x = torch.randn(2, 16, 14, 14)
    assert torch.equal(block(x), block.path(x)) and block(x).shape == (2, 16, 7, 7)


def test_same_settings_and_seed_give_the_same_run_bit_for_bit():
    cfg = D.DepthConfig(depth=3, width=8, epochs=1, batch_size=256)
    a, _ = D.train_run(cfg)
    b, _ = D.train_run(cfg)
    assert a.history == b.history and a.evals == b.evals and a.heldout_accuracy == b.heldout_accuracy
    c, _ = D.train_run(replace(cfg, seed=1))
    assert c.history != a.history


def test_settings_out_of_range_are_refused_in_words():
    for bad, words in ((dict(depth=0), "depth must be 1–100"), (dict(depth=101), "depth must be 1–100"),
                       (dict(width=2), "width must be 4–64"), (dict(init="zeros"), "init must be one of"),
                       (dict(depth=3, stride_at=5), "stride-2 block must be one of the 3 blocks"),
                       (dict(clip=-1.0), "clip must be 0–100")):
        with pytest.raises(CnnvizError, match=words):
            D.DepthConfig(**bad).check()


def test_clipping_rescales_the_gradient_to_the_limit_and_reports_the_norm_before():
    model, gen = D.build(D.DepthConfig(depth=3, width=8, init="he-large", norm="none", skip="none"))
    xtr, ytr, _, _ = D.digits()
    seen: list[tuple[float, float]] = []

    def after_backward(step: loop.Step) -> None:
        after = math.sqrt(sum(float(p.grad.norm()) ** 2 for p in model.parameters() if p.grad is not None))
        seen.append((step.grad_norm, after))

    opt = loop.make_optimizer("sgd", model.parameters(), 1e-4)
    loop.train(model, xtr[:256], ytr[:256], opt, epochs=1, batch_size=64, gen=gen, clip=0.5,
               after_backward=after_backward)
    assert len(seen) == 4
    for before, after in seen:
        assert after == pytest.approx(min(before, 0.5), rel=1e-4)


def test_the_loop_stops_between_batches_when_asked():
    model, gen = D.build(D.DepthConfig(depth=2, width=4))
    xtr, ytr, _, _ = D.digits()
    steps: list[int] = []
    end = loop.train(model, xtr[:512], ytr[:512], loop.make_optimizer("adam", model.parameters(), 1e-3), epochs=3,
                     batch_size=64, gen=gen, stopping=lambda: len(steps) >= 5,
                     after_step=lambda s: steps.append(s.index))
    assert end.stopped and end.steps == 5 and steps == [1, 2, 3, 4, 5]


def test_an_exploding_run_stops_at_the_step_whose_loss_overflows_with_words():
    cfg = D.DepthConfig(depth=10, init="he-large", norm="none", skip="none", optimizer="sgd", lr=0.05,
                        schedule="constant", epochs=1)
    result, _ = D.train_run(cfg)
    assert result.nan_at_step is not None and result.nan_at_step <= 5 and result.done
    assert result.heldout_accuracy is None
    assert "exploding gradients — try clipping" in (result.message() or "")
    assert len(result.history) == result.nan_at_step - 1  # no step was recorded from the overflowing batch


def test_the_largest_gradient_question_names_the_block_with_the_largest_norm():
    cfg = D.DepthConfig(depth=6, activation="sigmoid", init="default", norm="none", skip="none")
    report = D.at_init(cfg)
    q = D.largest_gradient_question(cfg, report)
    assert q.answer == float(report.grad_norms.index(max(report.grad_norms)) + 1)
    assert q.verdict(q.answer)[0] and not q.verdict(q.answer % 6 + 1)[0]


def test_gradient_sentences_are_written_from_the_numbers():
    assert "10⁻¹⁸ of the last's: vanishing" in D.gradient_sentence([1e-18, 1e-5, 1.0])
    assert "10⁴ times the last's: exploding" in D.gradient_sentence([1e4, 1.0])
    assert "2× the last's" in D.gradient_sentence([2.0, 1.0])
    assert "overflowed" in D.gradient_sentence([math.inf, 1.0])


# -- the lecture notes' claims, on our numbers ----------------------------------------------------------------------

def test_deep_sigmoid_networks_suffer_from_vanishing_gradients():
    """"Deep networks suffer from vanishing gradients": 20 sigmoid blocks, first block ≪ last (below 10⁻³)."""
    sigmoid = D.PRESETS["vanishing"].runs[0]
    assert sigmoid.depth == 20 and sigmoid.activation == "sigmoid"
    assert D.at_init(sigmoid).ratio < 1e-3


def test_proper_initialisation_avoids_vanishing_gradients():
    default, he = D.PRESETS["init"].runs
    assert D.at_init(default).ratio < 1e-5
    assert 1e-2 < D.at_init(he).ratio < 1e2


def test_skip_connections_carry_the_gradient_to_the_first_block():
    plain, residual = D.PRESETS["skip"].runs
    assert replace(plain, skip="identity") == residual  # one change
    assert D.at_init(plain).ratio < 1e-3 < D.at_init(residual).ratio


@pytest.mark.slow
def test_skip_connections_make_the_network_that_could_not_learn_learn():
    plain, residual = (D.train_run(cfg)[0] for cfg in D.PRESETS["skip"].runs)
    assert (plain.heldout_accuracy or 0) < 0.2 and (residual.heldout_accuracy or 0) >= D.LEARNED


@pytest.mark.slow
def test_the_residual_batch_norm_preset_learns_where_the_deep_sigmoid_network_stays_at_chance():
    sigmoid, residual = D.PRESETS["vanishing"].runs
    learned, _ = D.train_run(residual)
    assert learned.heldout_accuracy is not None and learned.heldout_accuracy >= 0.9
    stuck, _ = D.train_run(replace(sigmoid, epochs=2))
    assert stuck.heldout_accuracy is not None and stuck.heldout_accuracy < 0.2


@pytest.mark.slow
def test_a_residual_network_survives_deleting_a_block_and_a_plain_one_does_not():
    """Veit et al. 2016 on our digits: the mean accuracy with one block deleted, over the blocks that keep the size."""
    residual, plain = D.PRESETS["ensemble"].runs
    kept = {}
    for cfg in (residual, plain):
        result, _ = D.train_run(cfg, lesion=True)
        accs = [a for a, b in zip(result.lesion or [], range(1, cfg.depth + 1), strict=True) if b != cfg.stride_at]
        kept[cfg.skip] = sum(accs) / len(accs) / (result.heldout_accuracy or 1)
    assert kept["identity"] > 0.7 and kept["none"] < 0.4


@pytest.mark.slow
def test_clipping_rescues_a_too_large_initialisation():
    """"Gradient clipping is used to stabilise training": He ×2 with SGD overflows within a few steps unclipped;
    clipped to norm 1 it learns."""
    unclipped, clipped = D.PRESETS["clipping"].runs
    blown, _ = D.train_run(unclipped)
    assert blown.nan_at_step is not None and blown.nan_at_step <= 5
    rescued, _ = D.train_run(clipped)
    assert rescued.nan_at_step is None and (rescued.heldout_accuracy or 0) >= D.LEARNED


@pytest.mark.slow
def test_the_degradation_problem_a_deeper_plain_network_trains_worse_and_a_residual_one_does_not():
    """He et al. 2016, Fig. 1 on our digits: the plain 32-block network has the higher *training* error."""
    plain8, plain32, residual32 = (D.train_run(cfg)[0] for cfg in D.PRESETS["degradation"].runs)
    assert plain32.train_accuracy is not None and plain8.train_accuracy is not None
    assert plain32.train_accuracy < plain8.train_accuracy - 0.05
    assert residual32.train_accuracy is not None and residual32.train_accuracy > plain32.train_accuracy + 0.05


def test_the_init_table_shows_each_blocks_measured_numbers():
    cfg = D.DepthConfig(depth=3, activation="tanh", norm="none", skip="none")
    report = D.at_init(cfg)
    rows = D.init_table(cfg, report)
    assert [r["block"] for r in rows] == ["1", "2", "3"] and "saturated" in rows[0] and "dead" not in rows[0]
    assert rows[2]["‖∂L/∂W‖"] == f"{report.grad_norms[2]:.3g}"
    assert rows[0]["std"] == f"{report.stats[0]['std']:.3g}"
