"""`python -m cnnviz` — Learning: train-lenet, transfer."""

from __future__ import annotations

import json

from cnnviz.cli.common import device_of
from cnnviz.errors import CnnvizError, ModelUnavailable


def cmd_train_lenet(args) -> None:
    from pathlib import Path

    from cnnviz.networks import lenet

    if not 1 <= args.epochs <= 100:
        raise CnnvizError("--epochs must be 1–100")
    if not 0 < args.lr <= 1:
        raise CnnvizError("--lr must be in (0, 1]")

    def report(row):
        if args.json:
            print(json.dumps(row), flush=True)
        else:
            print(f"epoch {row['epoch']:3d}  loss {row['loss']:.4f}  held-out accuracy {100 * row['heldout_acc']:.2f} %",
                  flush=True)

    model, rep = lenet.train_lenet(epochs=args.epochs, lr=args.lr, optimizer=args.optimizer, seed=args.seed,
                                   callback=report)
    if args.out:
        lenet.save(model, rep, Path(args.out))
        if not args.json:
            print(f"saved {args.out}")


def cmd_transfer(args) -> None:
    from pathlib import Path

    from cnnviz.learn import transfer

    transfer.backbone(args.model)
    if args.model not in transfer.available_backbones():
        from cnnviz.networks.registry import weight_status

        raise ModelUnavailable(f"{args.model} weights are not on this machine: {weight_status(args.model).how_to_get}")
    ds = transfer.load_folder(args.data_dir)

    def report(row):
        if args.json:
            print(json.dumps(row), flush=True)
        else:
            print(f"epoch {row['epoch']:3d}  loss {row['loss']:.4f}  held-out accuracy {100 * row['heldout_acc']:.1f} %")

    res = transfer.train(ds, args.strategy, k=args.k, epochs=args.epochs, lr=args.lr, seed=args.seed,
                         device=str(device_of(args)), callback=report, name=args.model)
    if args.out:
        assert res.classifier is not None
        Path(args.out).write_bytes(res.classifier.to_bytes())
    summary = {"backbone": res.backbone, "classes": res.classes, "strategy": res.strategy,
               "heldout_accuracy": res.heldout_accuracy, "trainable_params": res.trainable_params,
               "seconds": res.seconds, **({"saved": args.out} if args.out else {})}
    print(json.dumps(summary) if args.json else f"{res.trainable_params:,} trainable parameters; "
          f"held-out accuracy {100 * res.heldout_accuracy:.1f} % in {res.seconds:.1f} s"
          + (f"; saved {args.out}" if args.out else ""))



def register(sub) -> None:
    """Add this group's subcommands to the top-level parser."""
    p = sub.add_parser("train-lenet", help="train LeNet-5 on the fixed 4,000-digit MNIST split")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--optimizer", default="adam", choices=["adam", "sgd"])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None, help="save the weights (state dict) here")
    p.add_argument("--json", action="store_true", help="one JSON line per epoch: loss and held-out accuracy")
    p.set_defaults(func=cmd_train_lenet)
    p = sub.add_parser("transfer", help="transfer learning on DATA_DIR/<class>/<images> with a pretrained backbone")
    p.add_argument("data_dir")
    p.add_argument("--model", default="efficientnet_lite0",
                   help="backbone: efficientnet_lite0 (offline), or resnet18, resnet50, googlenet, alexnet, vgg16 "
                        "once downloaded")
    p.add_argument("--strategy", default="head", choices=["head", "last-k", "all"])
    p.add_argument("--k", type=int, default=2, help="blocks to fine-tune with last-k")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--out", default=None, help="save the trained classifier (what changed + class names) here")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_transfer)
