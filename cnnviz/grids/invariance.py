"""Two of the notes' figures, computed rather than copied: max pooling's partial invariance to a one-cell shift
(the Deep Learning Book's figure 9.8, with the numbers the notes give) and *learned* invariance (figure 9.9): max
pooling across detectors of one pattern at several rotations answers the same whichever of those rotations the
input shows — an invariance the network learns, which pooling over space alone does not give.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnviz.errors import GridError
from cnnviz.grids.conv import conv2d
from cnnviz.grids.pool import PoolConfig, pool2d

# the notes' "Invariance of max pooling": a detector stage, then the same moved right by one cell (0.2 comes in)
NOTES_DETECTOR = (0.1, 1.0, 0.2, 0.3)
NOTES_SHIFTED = (0.2, 0.1, 1.0, 0.2)
NOTES_POOL = PoolConfig(window=(1, 3), stride=(1, 1), padding=(0, 1), mode="max")  # the figure's width-3 pools

# an L-shaped stroke: no two of its quarter turns look alike, so each turn needs its own detector
PATTERN = np.array([[1.0, 0.0, 0.0],
                    [1.0, 0.0, 0.0],
                    [1.0, 1.0, 1.0]])
LEARNED_TURNS = (0, 90, 180)  # the detectors' rotations (degrees anticlockwise), as in the notes' three filters
TURNS = (0, 90, 180, 270)  # what the learner may show: 270° is a rotation no detector has learned
SIDE = 6  # the input grid
AT = (1, 2)  # where the stroke's 3×3 box sits in the input (row, column of its top-left cell)


@dataclass(frozen=True)
class PoolFigure:
    """Detector stage and pooling stage, before and after the shift."""

    detector: np.ndarray
    shifted: np.ndarray
    pooled: np.ndarray
    pooled_shifted: np.ndarray

    @property
    def detector_changed(self) -> int:
        return int((~np.isclose(self.detector, self.shifted)).sum())

    @property
    def pooled_kept(self) -> int:
        return int(np.isclose(self.pooled, self.pooled_shifted).sum())

    def sentence(self) -> str:
        n = self.detector.size
        return (f"The shift changes {self.detector_changed} of the detector stage's {n} values, but only "
                f"{n - self.pooled_kept} of the {n} pooled ones: max pooling (width 3, stride 1) is *partly* "
                f"invariant — {self.pooled_kept} of {n} outputs keep their value, the notes' \"half\".")


def notes_pool_figure() -> PoolFigure:
    """The notes' figure, pooled by this app's own max pooling (padding counts as −∞, as in torch)."""
    def pool(row: tuple[float, ...]) -> np.ndarray:
        return pool2d(np.array([[row]]), NOTES_POOL).output[0, 0]
    return PoolFigure(np.array(NOTES_DETECTOR), np.array(NOTES_SHIFTED), pool(NOTES_DETECTOR), pool(NOTES_SHIFTED))


def detectors() -> np.ndarray:
    """[3,1,3,3]: the stroke at each learned rotation, +1 on the stroke and −1 off it (a detector that also
    penalises ink where the stroke has none)."""
    return np.stack([2 * np.rot90(PATTERN, k=t // 90) - 1 for t in LEARNED_TURNS])[:, None]


def pattern_input(turn: int) -> np.ndarray:
    """[1,SIDE,SIDE]: zeros with the stroke, turned by `turn` degrees, at AT."""
    if turn not in TURNS:
        raise GridError(f"turn the stroke by one of {', '.join(map(str, TURNS))} degrees (got {turn})")
    x = np.zeros((1, SIDE, SIDE))
    r, c = AT
    x[0, r : r + 3, c : c + 3] = np.rot90(PATTERN, k=turn // 90)
    return x


@dataclass(frozen=True)
class LearnedInvariance:
    """One input through the three rotated detectors, then a max across them and across the map."""

    turn: int
    input: np.ndarray  # [1,H,W]
    kernels: np.ndarray  # [3,1,3,3]
    maps: np.ndarray  # [3,oh,ow]: each detector's response
    across: np.ndarray  # [oh,ow]: the max over the three detectors at each position
    peaks: tuple[float, ...]  # each detector's strongest response

    @property
    def response(self) -> float:
        """The pooled unit: the max over detectors and positions."""
        return float(self.across.max())

    @property
    def winner(self) -> int | None:
        """The detector that answers (None when two tie)."""
        best = [i for i, p in enumerate(self.peaks) if np.isclose(p, self.response)]
        return best[0] if len(best) == 1 else None


def learned_invariance(turn: int) -> LearnedInvariance:
    x = pattern_input(turn)
    maps = conv2d(x, detectors()).output
    return LearnedInvariance(turn, x, detectors(), maps, maps.max(axis=0),
                             tuple(float(m.max()) for m in maps))


def learned_sentence(res: LearnedInvariance) -> str:
    """What the pooled unit did with this rotation, against the unturned stroke."""
    base = learned_invariance(0).response
    if res.winner is not None and res.turn in LEARNED_TURNS:
        if res.turn == 0:
            return (f"Unturned, the stroke is found by detector 1: the pooled response is **{res.response:g}**. "
                    "Turn it: a different detector answers each learned rotation, and the pooled response stays.")
        return (f"Turned by {res.turn}°, the stroke is found by detector {res.winner + 1} (its own rotation): "
                f"the pooled response is **{res.response:g}**, the same as unturned ({base:g}). Each detector alone "
                "changes with the rotation; their max does not — the invariance was *learned*, one detector per "
                "rotation, not given by pooling.")
    return (f"Turned by {res.turn}°, no detector has that rotation: the best is {res.response:g} (unturned: "
            f"{base:g}). Invariance reaches only the rotations the detectors cover — pooling over space gives no "
            "rotation invariance of its own.")
