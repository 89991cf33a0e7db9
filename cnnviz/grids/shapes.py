"""Output-size formulas, written out with the numbers a learner typed."""

from __future__ import annotations

from cnnviz.present.number_format import MINUS


def conv_output_size(n: int, k: int, s: int = 1, d: int = 1, p_before: int = 0, p_after: int = 0) -> int:
    """⌊(N + P_before + P_after − D·(F−1) − 1)/S⌋ + 1, the size torch produces."""
    return (n + p_before + p_after - d * (k - 1) - 1) // s + 1


def conv_output_formula(n: int, k: int, s: int = 1, d: int = 1, p_before: int = 0, p_after: int = 0) -> str:
    """The formula with the current numbers substituted, e.g. '⌊(7 + 2·0 − 1·(3−1) − 1)/2⌋ + 1 = 3'."""
    pad = f"2·{p_before}" if p_before == p_after else f"{p_before} + {p_after}"
    inner = n + p_before + p_after - d * (k - 1) - 1
    out = conv_output_size(n, k, s, d, p_before, p_after)
    return (f"⌊({n} + {pad} {MINUS} {d}·({k}{MINUS}1) {MINUS} 1)/{s}⌋ + 1 = "
            f"⌊{inner}/{s}⌋ + 1 = {out}").replace("-", MINUS)


def pool_output_size(n: int, k: int, s: int, p: int = 0) -> int:
    """⌊(N + 2P − K)/S⌋ + 1 (floor mode, as torch's default ceil_mode=False)."""
    return (n + 2 * p - k) // s + 1


def pool_output_formula(n: int, k: int, s: int, p: int = 0) -> str:
    inner = n + 2 * p - k
    return (f"⌊({n} + 2·{p} {MINUS} {k})/{s}⌋ + 1 = ⌊{inner}/{s}⌋ + 1 = "
            f"{pool_output_size(n, k, s, p)}").replace("-", MINUS)


def transposed_output_size(n: int, k: int, s: int = 1, p: int = 0, d: int = 1, output_padding: int = 0) -> int:
    """(N−1)·S − 2P + D·(F−1) + output_padding + 1, as torch's conv_transpose."""
    return (n - 1) * s - 2 * p + d * (k - 1) + output_padding + 1


def transposed_output_formula(n: int, k: int, s: int = 1, p: int = 0, d: int = 1, output_padding: int = 0) -> str:
    """The formula with the current numbers, e.g. '(3−1)·2 − 2·0 + 1·(3−1) + 0 + 1 = 7'."""
    return (f"({n}{MINUS}1)·{s} {MINUS} 2·{p} + {d}·({k}{MINUS}1) + {output_padding} + 1 = "
            f"{transposed_output_size(n, k, s, p, d, output_padding)}")


def unvisited_indices(n: int, k: int, s: int, d: int, p_before: int, n_out: int) -> list[int]:
    """Input indices (0-based, unpadded) that no kernel tap of any window reads."""
    seen = {o * s + a * d - p_before for o in range(n_out) for a in range(k)}
    return [i for i in range(n) if i not in seen]


def conv_params(filters: int, channels: int, kh: int, kw: int, bias: bool = True) -> int:
    """F × (C·kh·kw + 1): weights plus one bias per filter."""
    return filters * (channels * kh * kw + (1 if bias else 0))
