"""Train the digits detector on synthetic scenes of the 4,000 training digits; record its held-out metrics.

python -m scripts.train_digit_detector [epochs] → assets/digit_detector.pt and assets/digit_detector.json
(precision, recall at score ≥ 0.5 and IoU ≥ 0.5 with the right digit, and mAP@0.5, on 300 scenes of the
1,000 held-out digits — digits the detector never saw).
"""

import sys
import time
from pathlib import Path

from cnnviz.detect import digits

ROOT = Path(__file__).resolve().parents[1]

if __name__ == "__main__":
    epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    t0 = time.perf_counter()
    model = digits.train(epochs=epochs, n_train=2500, seed=0,
                         callback=lambda e, loss: print(f"epoch {e:2d}  loss {loss:.4f}  ({time.perf_counter() - t0:.0f} s)",
                                                        flush=True))
    metrics = digits.evaluate(model, digits.scenes(300, "heldout", 12345))
    metrics.update({"epochs": epochs, "train_scenes_per_epoch": 2500, "seed": 0, "train_digits": 4000,
                    "heldout_digits": 1000, "seconds": round(time.perf_counter() - t0, 1)})
    digits.save(model, metrics)
    print(metrics)
