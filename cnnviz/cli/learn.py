"""`python -m cnnviz` — Learning: train-lenet, transfer."""

from __future__ import annotations

import json

from cnnviz.cli.common import device_of
from cnnviz.errors import CnnvizError, ModelUnavailable


def cmd_train_lenet(args) -> None:
    """The Training page's engine and defaults, in the foreground: one line per epoch."""
    import dataclasses
    import time
    from pathlib import Path

    import torch

    from cnnviz.learn.training import LeNetRun, TrainConfig

    cfg = TrainConfig(optimizer=args.optimizer, lr=args.lr, batch_size=args.batch_size, epochs=args.epochs,
                      activation=args.activation, pooling=args.pooling, schedule=args.schedule, seed=args.seed,
                      augment=args.augment)
    cfg.check()
    run = LeNetRun(cfg).start()
    printed = 0
    while True:
        done = not run.running
        s = run.snapshot()
        for row in s.history:
            if row["epoch"] == int(row["epoch"]) and row["epoch"] > printed:
                printed = int(row["epoch"])
                line = {"epoch": printed, "loss": row["loss"], "train_acc": row["train_acc"],
                        "heldout_acc": row["heldout_acc"], "seconds": round(s.seconds, 2)}
                print(json.dumps(line) if args.json else
                      f"epoch {printed:3d}  loss {row['loss']:.4f}  held-out accuracy "
                      f"{100 * row['heldout_acc']:.2f} %  ({s.seconds:.1f} s)", flush=True)
        if done:
            break
        time.sleep(0.1)
    s = run.snapshot()
    if s.error:
        raise CnnvizError(f"training failed: {s.error}")
    if args.out:
        out = Path(args.out)
        torch.save(run._clean_copy().state_dict(), out)
        out.with_suffix(".json").write_text(json.dumps({**dataclasses.asdict(cfg), "history": s.history,
                                                        "heldout_accuracy": s.history[-1]["heldout_acc"],
                                                        "seconds": s.seconds}, indent=2))
        if not args.json:
            print(f"saved {out} (and its settings in {out.with_suffix('.json')})")


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
            print(f"epoch {row['epoch']:3d}  loss {row['loss']:.4g}  held-out accuracy {100 * row['heldout_acc']:.1f} %")

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


def cmd_deep(args) -> None:
    """The Going deep page's engine: the network at initialisation, then trained (and lesioned) in the foreground."""
    from cnnviz.learn import depth

    cfg = depth.DepthConfig(depth=args.depth, width=args.width, activation=args.activation, init=args.init,
                            norm=args.norm, skip=args.skip, stride_at=args.stride_at, clip=args.clip,
                            optimizer=args.optimizer, lr=args.lr, schedule=args.schedule, batch_size=args.batch_size,
                            epochs=args.epochs, seed=args.seed).check()
    init = depth.at_init(cfg)
    if not args.json:
        print(f"{cfg.label()}\nat initialisation: {init.sentence()}", flush=True)
    result, _ = depth.train_run(cfg, lesion=args.lesion)
    out = {"config": result.config, "grad_norms_at_init": init.grad_norms, "activation_stats_at_init": init.stats,
           "history": result.history, "evals": result.evals, "heldout_accuracy": result.heldout_accuracy,
           "train_accuracy": result.train_accuracy, "nan_at_step": result.nan_at_step,
           "seconds": round(result.seconds, 2), **({"lesion": result.lesion} if args.lesion else {})}
    if args.json:
        print(json.dumps(out))
        return
    if result.message():
        print(result.message())
    else:
        print(f"held-out accuracy {100 * (result.heldout_accuracy or 0):.1f} %, training accuracy "
              f"{100 * (result.train_accuracy or 0):.1f} % in {result.seconds:.1f} s")
    for k, acc in enumerate(result.lesion or [], start=1):
        print(f"block {k:3d} deleted: " + ("— (a plain block that changes the size has no identity)" if acc is None
                                           else f"{100 * acc:.1f} %"))


def _register_deep(sub) -> None:
    from cnnviz.learn.depth import CHOICES, DepthConfig

    d = DepthConfig()
    p = sub.add_parser("deep", help="the Going deep lab: a CNN of 1–100 blocks on the digits, its gradients at "
                                    "initialisation and while training (defaults: the residual + batch-norm preset)")
    for name, kind in (("depth", int), ("width", int), ("stride-at", int), ("clip", float), ("lr", float),
                       ("batch-size", int), ("epochs", int), ("seed", int)):
        p.add_argument(f"--{name}", type=kind, default=getattr(d, name.replace("-", "_")))
    for name in ("activation", "init", "norm", "skip", "optimizer", "schedule"):
        p.add_argument(f"--{name}", default=getattr(d, name), choices=CHOICES[name])
    p.add_argument("--lesion", action="store_true", help="after training, delete each block in turn (its identity "
                                                          "path kept) and measure the held-out accuracy")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_deep)


def cmd_overfit(args) -> None:
    """The Overfitting page's engine: one run on a subset of the digits, per-epoch figures, the best epoch."""
    from cnnviz.learn import overfit

    cfg = overfit.OverfitConfig(train_size=args.train_size, epochs=args.epochs, dropout=args.dropout,
                                weight_decay=args.weight_decay, augment=overfit.parse_augment(args.augment),
                                patience=args.early_stopping, size=args.size, seed=args.seed).check()
    result, _ = overfit.train_run(cfg)
    out = result.summary()
    if args.json:
        print(json.dumps(out))
        return
    print(cfg.label())
    for row in result.history:
        print(f"epoch {row['epoch']:3d}  train loss {row['train_loss']:.3f} acc {100 * row['train_accuracy']:5.1f} %"
              f"   held-out loss {row['heldout_loss']:.3f} acc {100 * row['heldout_accuracy']:5.1f} %")
    best = result.best()
    print(f"lowest held-out loss at epoch {result.best_epoch} ({100 * best['heldout_accuracy']:.1f} % held out)"
          if best else "")
    if result.stopped_at:
        print(f"early stopping ended the run after epoch {result.stopped_at}; the best epoch's weights restored")
    print(f"training {100 * (result.train_accuracy or 0):.1f} %, held out {100 * (result.heldout_accuracy or 0):.1f} %, "
          f"gap {result.gap or 0:.3f} in {result.seconds:.1f} s")


def cmd_augment(args) -> None:
    """Augmented copies of a photo, written as PNGs, with each one's parameters."""
    from pathlib import Path

    from PIL import Image

    from cnnviz.images import load_image
    from cnnviz.learn import augment

    path = Path(args.image)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise CnnvizError(f"cannot read {path}: {e.strerror}") from None
    rgb = load_image(data, path.name)
    made = augment.samples(rgb, args.op, args.n, args.seed)
    out = Path(args.o)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for k, (img, _) in enumerate(made):
        paths.append(str(out / f"aug_{k:02d}.png"))
        Image.fromarray(img).save(paths[-1], optimize=False)
    if args.json:
        print(json.dumps({"images": paths, "params": [p for _, p in made]}))
        return
    for p, (_, params) in zip(paths, made, strict=True):
        print(f"{p}  {augment.describe(args.op, params)}")


def _register_overfit(sub) -> None:
    from cnnviz.learn.augment import OPS
    from cnnviz.learn.overfit import SIZES, OverfitConfig

    d = OverfitConfig()
    p = sub.add_parser("overfit", help="the Overfitting lab: LeNet-5 on N of the training digits, held-out loss per "
                                       "epoch (defaults: the 'Small data overfits' preset)")
    p.add_argument("--train-size", type=int, default=d.train_size, help="50–4000 digits, class-balanced")
    p.add_argument("--epochs", type=int, default=d.epochs)
    p.add_argument("--dropout", type=float, default=d.dropout)
    p.add_argument("--weight-decay", type=float, default=d.weight_decay)
    p.add_argument("--augment", default="none", help="none, shift, rotate or shift,rotate")
    p.add_argument("--early-stopping", type=int, default=d.patience, metavar="PATIENCE", help="0: off")
    p.add_argument("--size", default=d.size, choices=list(SIZES), help="small: a LeNet-5 with ~1/6 the weights")
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_overfit)
    a = sub.add_parser("augment", help="augmented copies of a photo (the notes' transforms, AlexNet's two recipes)")
    a.add_argument("image")
    a.add_argument("--op", required=True, choices=list(OPS))
    a.add_argument("--n", type=int, default=16)
    a.add_argument("--seed", type=int, default=0)
    a.add_argument("-o", required=True, metavar="DIR")
    a.add_argument("--json", action="store_true")
    a.set_defaults(func=cmd_augment)


def register(sub) -> None:
    """Add this group's subcommands to the top-level parser."""
    from cnnviz.learn.training import TrainConfig

    d = TrainConfig()
    p = sub.add_parser("train-lenet", help="train LeNet-5 on the fixed 4,000-digit MNIST split (the Training page's "
                                           "defaults: ≥ 95 %% held-out in 5 epochs)")
    p.add_argument("--epochs", type=int, default=d.epochs)
    p.add_argument("--lr", type=float, default=d.lr)
    p.add_argument("--batch-size", type=int, default=d.batch_size)
    p.add_argument("--optimizer", default=d.optimizer, choices=["adam", "sgd"])
    p.add_argument("--activation", default=d.activation, choices=["relu", "tanh", "sigmoid"])
    p.add_argument("--pooling", default=d.pooling, choices=["max", "avg"])
    p.add_argument("--schedule", default=d.schedule, choices=["cosine", "constant"])
    p.add_argument("--augment", action="store_true", help="random shifts of ±2 px")
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--out", default=None, help="save the weights (state dict) here, settings beside it (.json)")
    p.add_argument("--json", action="store_true", help="one JSON line per epoch: loss and accuracies")
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
    _register_deep(sub)
    _register_overfit(sub)
