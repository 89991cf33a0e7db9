"""The Overfitting lab: the "Small data overfits" preset (goal ≤ 10 s on 2 cores) beside the same run with early
stopping, and 16 augmented samples of a 224-px photo for every transform (goal ≤ 0.5 s), in one run.

python -m bench.overfit_lab
"""

import time

import torch

from cnnviz.images import load_sample
from cnnviz.learn import augment as A
from cnnviz.learn import overfit as O

if __name__ == "__main__":
    torch.set_num_threads(2)
    O._digits()  # the digits loaded once, as a server has them
    O.train_run(O.OverfitConfig(train_size=50, epochs=1))  # threads warm
    timings = {}
    for name, cfg in (("small data, 60 epochs", O.PRESETS["small-data"].runs[0]),
                      ("the same, early stopping (patience 10)", O.PRESETS["early-stopping"].runs[1])):
        t = time.perf_counter()
        r, _ = O.train_run(cfg)
        timings[name] = time.perf_counter() - t
        print(f"{name}: {timings[name]:.2f} s for {len(r.history)} epochs ({timings[name] / len(r.history) * 1000:.0f} "
              f"ms an epoch); training {100 * r.train_accuracy:.1f} %, held out {100 * r.heldout_accuracy:.1f} %, best "
              f"epoch {r.best_epoch}")
    a, b = timings.values()
    print(f"early stopping takes {b / a:.2f}× the full run's time (goal for the preset: ≤ 10 s)")
    photo = O.photo_for_gallery(load_sample("Astronaut"))
    for op in A.OPS:
        t = time.perf_counter()
        A.samples(photo, op, 16, 0)
        print(f"16 samples, {op:<9} {time.perf_counter() - t:.3f} s (goal ≤ 0.5 s)")
