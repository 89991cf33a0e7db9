"""Train LeNet-5 on the fixed MNIST split and store the weights in assets/ (run once; small file).

python -m scripts.train_lenet  → assets/lenet5_mnist.pt and assets/lenet5_mnist.json (accuracy, split, settings)
"""

from pathlib import Path

from cnnviz.networks.lenet import save, train_lenet

ROOT = Path(__file__).resolve().parents[1]

if __name__ == "__main__":
    model, report = train_lenet(epochs=20, lr=1e-3, optimizer="adam", seed=0, augment=True,
                                callback=lambda r: print(f"epoch {r['epoch']:2d}  loss {r['loss']:.4f}  "
                                                         f"train {r['train_acc']:.3f}  held-out {r['heldout_acc']:.3f}"))
    save(model, report, ROOT / "assets" / "lenet5_mnist.pt")
    print(f"held-out accuracy {report.heldout_accuracy:.4f}")
