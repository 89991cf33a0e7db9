"""Hypothesis profiles: `dev` (a tenth of the random cases, for the fast tier) and `ci` (every case).

Chosen by HYPOTHESIS_PROFILE; scripts/test.sh (and so CI) runs `ci`, a developer's plain
`pytest -m unit` runs `dev`.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "dev")
settings.load_profile(PROFILE)


def examples(n: int) -> int:
    """n random cases under `ci`; a tenth of them (at least 20) under `dev`."""
    return n if PROFILE == "ci" else max(20, n // 10)
