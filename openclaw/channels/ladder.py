"""
The restart ladder of a channel account: 5 s × 2^(n−1) with ±10 % jitter, capped
at 300 s, at most 10 attempts; a run that stayed up 300 s was stable and resets
the count.
"""

from __future__ import annotations

import random as _random
from typing import Callable

BASE_SECONDS = 5.0
CAP_SECONDS = 300.0
MAX_ATTEMPTS = 10
STABLE_SECONDS = 300.0
JITTER = 0.1


class RestartLadder:
    def __init__(self, random: Callable[[], float] = _random.random) -> None:
        self._random = random
        self.attempts = 0

    def next(self, ranForSeconds: float) -> float | None:
        """The delay before the next restart after a run of C{ranForSeconds}; None: give up."""
        if ranForSeconds >= STABLE_SECONDS:
            self.attempts = 0
        if self.attempts >= MAX_ATTEMPTS:
            return None
        self.attempts += 1
        delay = min(CAP_SECONDS, BASE_SECONDS * 2 ** (self.attempts - 1))
        return delay * (1 + JITTER * (2 * self._random() - 1))

    def reset(self) -> None:
        self.attempts = 0
