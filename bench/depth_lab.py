"""The Going deep lab's speed, side by side in one run: the at-initialisation view of a 20- and a 100-block network,
the residual + batch-norm preset's training (seconds until ≥ 90 % held out, and to the end), a plain LeNet-5 epoch
for scale, and the at-init view answered from the shared cache (a class opening the same preset).

python -m bench.depth_lab
"""

import time

from cnnviz.learn import depth as D
from cnnviz.networks.lenet import train_lenet


def seconds(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


if __name__ == "__main__":
    D.digits()  # the digits decoded once per process, as a server does at its first visit
    cfg = D.DepthConfig()
    deep = D.DepthConfig(depth=100)
    init20, init100 = seconds(lambda: D.at_init(cfg)), seconds(lambda: D.at_init(deep))
    D.at_init_shared(deep)
    cached = seconds(lambda: D.at_init_shared(deep))
    _, lenet = train_lenet(epochs=1, seed=0)
    t0 = time.perf_counter()
    reached: list[float] = []

    class Watch(D.Recorder):
        def after_step(self, step):
            super().after_step(step)
            if not reached and self.result.evals and self.result.evals[-1]["heldout_acc"] >= 0.9:
                reached.append(time.perf_counter() - t0)

    model, gen = D.build(cfg)
    result = D.DepthResult(vars(cfg).copy(), 32)
    rec = Watch(model, result)
    xtr, ytr, _, _ = D.digits()
    from cnnviz.learn import loop

    loop.train(model, xtr, ytr, loop.make_optimizer(cfg.optimizer, model.parameters(), cfg.lr), epochs=cfg.epochs,
               batch_size=cfg.batch_size, gen=gen, schedule=loop.Schedule(cfg.schedule),
               after_backward=rec.after_backward, after_step=rec.after_step)
    total = time.perf_counter() - t0
    epoch = lenet.history[0]["seconds"]
    print(f"at initialisation: 20 blocks {init20:.2f} s, 100 blocks {init100:.2f} s (goal ≤ 2 s), "
          f"100 blocks from the shared cache {1000 * cached:.2f} ms")
    print(f"residual + batch-norm preset (20 blocks, 5 epochs): ≥ 90 % held out after "
          f"{reached[0] if reached else float('nan'):.1f} s (goal ≤ 30 s), all 5 epochs {total:.1f} s, final "
          f"{100 * result.evals[-1]['heldout_acc']:.1f} %; per epoch {total / cfg.epochs:.2f} s = "
          f"{total / cfg.epochs / epoch:.1f}× a LeNet-5 epoch ({epoch:.2f} s)")
