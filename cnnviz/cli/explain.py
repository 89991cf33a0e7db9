"""`python -m cnnviz` — Seeing inside: attribute, fantasy."""

from __future__ import annotations

import numpy as np

from cnnviz.cli.common import add_own_weights, device_of, layer_of, model_arg, pair, read_photo
from cnnviz.errors import CnnvizError
from cnnviz.explain import methods as registry


def cmd_attribute(args) -> None:
    from PIL import Image

    from cnnviz.explain import attribution
    from cnnviz.networks.network import get
    from cnnviz.present.overlay import overlay

    net = get(args.model)  # resolved once: the engine takes the handle
    photo = read_photo(args.image)
    x = net.preprocess(photo)
    if args.layer:
        layer_of(args.model, args.layer)
    _check_target(net, args.target)
    a = attribution.attribute(net, x, args.method, target=args.target, layer=args.layer,
                              device=str(device_of(args)))
    v = a.values if registry.method(args.method).cam_like else np.abs(a.values)
    hi = float(np.percentile(v, 99.5)) or float(v.max()) or 1.0
    img = overlay(net.preprocessing.image(photo), np.clip(v / hi, 0, 1), 0.6)
    Image.fromarray(img).save(args.output)
    if args.npy:
        np.save(args.npy, a.values)
    print(f"saved {args.output}: {registry.title(args.method)} for class {a.target} "
          f"({net.labels[a.target]})")


def _check_target(net, target: int | None) -> None:
    if target is not None and not 0 <= target < len(net.labels):
        raise CnnvizError(f"--target must be a class index from 0 to {len(net.labels) - 1}")


def _methods(text: str) -> tuple[str, ...]:
    """--methods: comma-separated registry names, at least one, each known."""
    chosen = tuple(m.strip() for m in text.split(",") if m.strip())
    bad = [m for m in chosen if m not in registry.names()]
    if bad or not chosen:
        raise CnnvizError(f"--methods: unknown method {bad[0]!r}; use {', '.join(registry.names())}" if bad else
                          "--methods: name at least one method, e.g. saliency,guided-backprop,gradcam")
    return chosen


def cmd_faithfulness(args) -> None:
    import json

    from cnnviz.explain import faithfulness as fa
    from cnnviz.explain.attribution import attribute
    from cnnviz.networks.network import get

    chosen = _methods(args.methods)
    fa.check(args.steps, args.baseline)
    net = get(args.model)
    _check_target(net, args.target)
    x = net.preprocess(read_photo(args.image))
    device = str(device_of(args))
    target, maps = args.target, {}
    for m in chosen:
        a = attribute(net, x, m, target=target, device=device)
        target, maps[m] = a.target, a.values
    result = fa.faithfulness(net, x, int(target), maps, steps=args.steps, baseline=args.baseline, device=device)
    label = net.labels[result.target]
    if args.json:
        print(json.dumps({**fa.to_json(result), "class": label}))
        return
    print(f"'{label}' ({result.target}), {args.steps} steps, removed pixels become "
          f"{'a blurred copy' if args.baseline == 'blur' else 'the mean colour'}:")
    print(f"{'map':>22}  {'deletion area':>13}  {'insertion area':>14}   (deletion: lower is better)")
    for m in result.ranking("deletion"):
        c = result.curves[m]
        name = "random map" if m == fa.RANDOM else registry.title(m)
        print(f"{name:>22}  {c.deletion_auc:>13.3f}  {c.insertion_auc:>14.3f}")
    print("\n".join(fa.read_it(result, label, registry.title)))


def cmd_fantasy(args) -> None:
    from PIL import Image

    from cnnviz.explain import fantasy
    from cnnviz.networks.network import get

    if args.class_index is None and (args.layer is None or args.channel is None):
        raise CnnvizError("give --class K, or --layer L --channel C [--unit Y,X]")
    if not 1 <= args.images <= 8:
        raise CnnvizError("--images must be 1–8")
    # a class starts small by default (fantasy.COARSE_TO_FINE); a channel or a unit, and anything given, as given
    schedule: dict[str, int | None] = dict(fantasy.COARSE_TO_FINE) if args.class_index is not None else \
        {"size": 224, "steps": 256, "coarse_size": None, "coarse_steps": 0}
    given = {"size": args.size, "steps": args.steps, "coarse_size": args.coarse_size, "coarse_steps": args.coarse_steps}
    schedule.update({k: v for k, v in given.items() if v is not None})
    small = args.coarse_size is None and (schedule["coarse_size"] or 0) >= (schedule["size"] or 0)  # --size 64
    if not schedule["coarse_steps"] or schedule["coarse_size"] is None or small:
        schedule["coarse_size"], schedule["coarse_steps"] = None, 0
    common = dict(**schedule, lr=args.lr, seed=args.seed, param=args.param,
                  preactivation=not args.after_activation, images=args.images, diversity=args.diversity,
                  noise=args.noise)
    if args.class_index is not None:
        n = len(get(args.model).labels)
        if not 0 <= args.class_index < n:
            raise CnnvizError(f"--class must be from 0 to {n - 1}")
        cfg = fantasy.FantasyConfig(model=args.model, target="class", class_index=args.class_index, **common)
    else:
        info = layer_of(args.model, args.layer)
        if not 0 <= args.channel < info.shape[0]:
            raise CnnvizError(f"--channel must be from 0 to {info.shape[0] - 1} for {info.node}")
        unit = pair(args.unit, "--unit") if args.unit else None
        cfg = fantasy.FantasyConfig(model=args.model, target="unit" if unit else "channel", layer=info.node,
                                    channel=args.channel, unit=unit, **common)
    if not 32 <= cfg.size <= 512 or not 1 <= cfg.steps <= 4096 or not 0 <= cfg.coarse_steps <= 4096:
        raise CnnvizError("--size must be 32–512, --steps 1–4096 and --coarse-steps 0–4096")
    if cfg.coarse_size is not None and not 32 <= cfg.coarse_size < cfg.size:
        raise CnnvizError(f"--coarse-size must be from 32 to {cfg.size - 1} px (smaller than --size {cfg.size})")
    res = fantasy.fantasy(cfg, device=str(device_of(args)))
    Image.fromarray(np.concatenate(res.all_images, axis=1)).save(args.output)
    start = f"{cfg.coarse_steps} steps at {cfg.coarse_size} px, then " if cfg.coarse_steps else ""
    print(f"saved {args.output}: {start}{cfg.steps} steps at {cfg.size} px in {res.seconds:.1f} s, objective "
          f"{res.history[0]:.3f} → {res.history[-1]:.3f}")



def cmd_sanity(args) -> None:
    import json

    from cnnviz.explain.sanity import cascading
    from cnnviz.networks.network import get

    chosen = _methods(args.methods)
    if args.steps is not None and args.steps < 1:
        raise CnnvizError("--steps must be at least 1")
    net = get(args.model)
    x = net.preprocess(read_photo(args.image))
    steps = cascading(net, x, chosen, target=args.target, steps=args.steps, seed=args.seed)
    if args.json:
        print(json.dumps({"steps": [{"randomised": s.randomised, "similarity": {m: round(v, 4) for m, v in
                                                                               s.similarity.items()}} for s in steps]}))
        return
    print("Spearman rank correlation of |map| with the original, randomising from the top:")
    print(f"{'randomised':>16}  " + "  ".join(f"{m:>16}" for m in chosen))
    for s in steps:
        print(f"{s.randomised:>16}  " + "  ".join(f"{s.similarity[m]:>16.3f}" for m in chosen))


def register(sub) -> None:
    """Add this group's subcommands to the top-level parser."""
    for add in (_add_attribute, _add_fantasy, _add_sanity, _add_faithfulness):
        add(sub)


def _add_attribute(sub) -> None:
    p = sub.add_parser("attribute", help="an attribution map (saliency, guided backprop, Grad-CAM, …) as PNG")
    p.add_argument("image")
    p.add_argument("--model", default="efficientnet_lite0", type=model_arg)
    add_own_weights(p)
    p.add_argument("--method", required=True, choices=list(registry.names()),
                   help="gradcam++, layercam, eigencam and scorecam are the CAM family beside gradcam")
    p.add_argument("--target", type=int, default=None, help="class index (default: the predicted class)")
    p.add_argument("--layer", default=None, help="the CAM methods' layer (default: the last spatial one)")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--npy", default=None, help="also save the raw map as .npy")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.set_defaults(func=cmd_attribute)


def _add_fantasy(sub) -> None:
    p = sub.add_parser("fantasy", help="activation maximisation: an image that excites a channel, unit or class")
    p.add_argument("--model", default="efficientnet_lite0", type=model_arg)
    add_own_weights(p)
    p.add_argument("--layer", default=None)
    p.add_argument("--channel", type=int, default=None)
    p.add_argument("--unit", default=None, help="Y,X within the channel's map")
    p.add_argument("--class", dest="class_index", type=int, default=None)
    p.add_argument("--steps", type=int, default=None, help="steps at full size (default: 24 for a class after its "
                   "coarse steps, 256 for a channel or unit)")
    p.add_argument("--size", type=int, default=None, help="the picture's side in px (default 224)")
    p.add_argument("--coarse-size", type=int, default=None, help="side of the first, cheaper steps (default: 128 for "
                   "a class, none otherwise)")
    p.add_argument("--coarse-steps", type=int, default=None, help="steps at --coarse-size before the full-size ones "
                   "(default: 80 for a class; 0 switches the coarse start off: --coarse-steps 0 --steps 256 is the "
                   "classic schedule)")
    p.add_argument("--lr", type=float, default=None, help="default: 0.1 for maco, 0.05 for fourier")
    p.add_argument("--param", default="maco", choices=["maco", "fourier"],
                   help="maco: natural-image magnitude, optimised phase (default); fourier: free spectrum")
    p.add_argument("--after-activation", action="store_true",
                   help="optimise a ReLU/ReLU6 layer's output instead of its input")
    p.add_argument("--images", type=int, default=1, help="several images made together, side by side in the PNG")
    p.add_argument("--diversity", type=float, default=1.0, help="weight pushing the images apart (--images > 1)")
    p.add_argument("--noise", type=float, default=0.0, help="pixel noise added to each step's view")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.set_defaults(func=cmd_fantasy)


def _add_sanity(sub) -> None:
    p = sub.add_parser("sanity", help="sanity check of attribution maps: randomise the layers from the top, compare")
    p.add_argument("image")
    p.add_argument("--model", default="efficientnet_lite0", type=model_arg)
    add_own_weights(p)
    p.add_argument("--methods", default="saliency,guided-backprop,gradcam",
                   help="comma-separated attribution methods")
    p.add_argument("--target", type=int, default=None, help="class index (default: the predicted class)")
    p.add_argument("--steps", type=int, default=None, help="how many layer groups to randomise (default: all)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_sanity)


def _add_faithfulness(sub) -> None:
    p = sub.add_parser("faithfulness", help="deletion and insertion curves of attribution maps, against a random map")
    p.add_argument("image")
    p.add_argument("--model", default="efficientnet_lite0", type=model_arg)
    add_own_weights(p)
    p.add_argument("--methods", default="gradcam,saliency,guided-backprop", help="comma-separated attribution methods")
    p.add_argument("--target", type=int, default=None, help="class index (default: the predicted class)")
    p.add_argument("--steps", type=int, default=20, help="equal steps from 0 to all pixels (5–100)")
    p.add_argument("--baseline", default="blur", help="what removed pixels become: blur (a blurred copy) or mean")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_faithfulness)
