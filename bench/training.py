"""Seconds per LeNet-5 epoch on the 4,000 training digits, and frozen-feature extraction for 100 photos.

python -m bench.training
"""

import time
from pathlib import Path

from cnnviz.learn import transfer
from cnnviz.networks.lenet import train_lenet

ROOT = Path(__file__).resolve().parents[1]

if __name__ == "__main__":
    _, report = train_lenet(epochs=3, seed=0)
    per_epoch = [r["seconds"] for r in report.history]
    print(f"LeNet-5 epoch on 4,000 digits: {', '.join(f'{s:.2f}' for s in per_epoch)} s (goal ≤ 3 s)")
    ds = transfer.augmented_dataset(per_class=34)  # 102 photos
    transfer.features(ds.images[:4])  # warm the extractor
    t = time.perf_counter()
    transfer.features(ds.images[:100])
    dt = time.perf_counter() - t
    print(f"frozen EfficientNet-Lite0 features for 100 photos: {dt:.2f} s ({1000 * dt / 100:.0f} ms per photo)")
    cache: dict = {}
    t = time.perf_counter()
    res = transfer.train(ds, "head", epochs=10, feature_cache=cache)
    first = time.perf_counter() - t
    t = time.perf_counter()
    transfer.train(ds, "head", epochs=10, feature_cache=cache)
    again = time.perf_counter() - t
    print(f"head training, 10 epochs: first {first:.2f} s (features extracted), again {1000 * again:.0f} ms "
          f"(session's cached features) = {again / first:.3f} of the first; held-out accuracy "
          f"{100 * res.heldout_accuracy:.0f} %")
