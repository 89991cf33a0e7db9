"""Activation functions, their derivatives and where they saturate."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ACTIVATIONS = ("none", "relu", "leaky_relu", "sigmoid", "tanh")


def apply_activation(name: str, x: np.ndarray, slope: float = 0.01) -> np.ndarray:
    """Element-wise activation; 'none' returns a copy."""
    x = np.asarray(x, dtype=np.float64)
    if name == "none":
        return x.copy()
    if name == "relu":
        return np.maximum(x, 0.0)
    if name == "leaky_relu":
        return np.where(x >= 0, x, slope * x)
    if name == "sigmoid":
        return 0.5 * (1.0 + np.tanh(0.5 * x))  # stable for large |x|
    if name == "tanh":
        return np.tanh(x)
    raise ValueError(f"unknown activation '{name}'")


def activation_derivative(name: str, x: np.ndarray, slope: float = 0.01) -> np.ndarray:
    """d act / dx. At x = 0 ReLU uses 0 and leaky ReLU uses `slope`, as torch's autograd does."""
    x = np.asarray(x, dtype=np.float64)
    if name == "none":
        return np.ones_like(x)
    if name == "relu":
        return (x > 0).astype(np.float64)
    if name == "leaky_relu":
        return np.where(x > 0, 1.0, slope)
    if name == "sigmoid":
        s = apply_activation("sigmoid", x)
        return s * (1 - s)
    if name == "tanh":
        return 1 - np.tanh(x) ** 2
    raise ValueError(f"unknown activation '{name}'")


@dataclass(frozen=True)
class ActivationInfo:
    name: str
    title: str
    formula: str
    derivative: str
    saturation: str


INFO = {
    "relu": ActivationInfo("relu", "ReLU", "max(0, x)", "1 if x > 0, else 0",
                           "Never saturates for x > 0; for x < 0 the gradient is exactly 0 (a 'dead' unit learns nothing there)."),
    "leaky_relu": ActivationInfo("leaky_relu", "Leaky ReLU", "x if x ≥ 0, else α·x", "1 if x > 0, else α",
                                 "No saturation: negative inputs keep a small gradient α, so units cannot die."),
    "sigmoid": ActivationInfo("sigmoid", "Sigmoid", "1 / (1 + e^(−x))", "σ(x)·(1 − σ(x)), at most 0.25",
                              "Saturates on both sides, and its gradient is never above 0.25 — multiplied layer after layer, that is the root of vanishing gradients in deep sigmoid networks."),
    "tanh": ActivationInfo("tanh", "tanh", "(e^x − e^(−x)) / (e^x + e^(−x))", "1 − tanh²(x), at most 1",
                           "Saturates on both sides, more steeply than the sigmoid in between; zero-centred, unlike the sigmoid."),
}


def saturation_threshold(name: str, grad_below: float = 0.01) -> float | None:
    """|x| beyond which the derivative drops under `grad_below` (None if it never does)."""
    if name in ("relu", "leaky_relu", "none"):
        return None
    xs = np.linspace(0, 20, 200001)
    d = activation_derivative(name, xs)
    idx = np.argmax(d < grad_below)
    return float(xs[idx]) if d[idx] < grad_below else None


def cells_without_gradient(name: str, x: np.ndarray) -> int | None:
    """How many cells pass (almost) no gradient back: saturated ones (|x| beyond `saturation_threshold`), or for
    ReLU those ≤ 0; None for a function that passes some gradient everywhere (Leaky ReLU, none)."""
    thr = saturation_threshold(name)
    if thr is not None:
        return int((np.abs(np.asarray(x)) > thr).sum())
    return int((np.asarray(x) <= 0).sum()) if name == "relu" else None


def cell_arithmetic(name: str, x: float, slope: float = 0.01) -> tuple[str, str]:
    """(the value, the derivative) of one cell written out with its numbers, e.g. 'ReLU(−3) = max(0, −3) = 0'.

    The results are the engine's own (apply_activation / activation_derivative), never recomputed here.
    """
    from cnnviz.present.number_format import fmt

    y = float(apply_activation(name, np.array([x]), slope)[0])
    d = float(activation_derivative(name, np.array([x]), slope)[0])
    xs, ys, ds, a = fmt(x, 4), fmt(y, 4), fmt(d, 4), fmt(slope, 4)
    neg = fmt(-x, 4)
    if name == "relu":
        return f"ReLU({xs}) = max(0, {xs}) = {ys}", f"ReLU′({xs}) = {'1 (x > 0)' if x > 0 else '0 (x ≤ 0)'}"
    if name == "leaky_relu":
        value = f"x (x ≥ 0) = {xs}" if x >= 0 else f"α·x = {a} × {xs}"
        return (f"LeakyReLU({xs}) = {value} = {ys}",
                f"LeakyReLU′({xs}) = {'1 (x > 0)' if x > 0 else f'α = {ds} (x ≤ 0)'}")
    if name == "sigmoid":
        return (f"σ({xs}) = 1 / (1 + e^({neg})) = {ys}", f"σ′({xs}) = σ·(1 − σ) = {ys} × {fmt(1 - y, 4)} = {ds}")
    if name == "tanh":
        return (f"tanh({xs}) = (e^({xs}) − e^({neg})) / (e^({xs}) + e^({neg})) = {ys}",
                f"tanh′({xs}) = 1 − tanh² = 1 − ({ys})² = {ds}")
    return f"{xs} → {ys}", f"derivative {ds}"
