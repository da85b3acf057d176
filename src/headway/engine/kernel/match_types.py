"""What the sequence matcher is asked (MatchSpec) and what it answers (MatchResult)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

MatchMode = Literal["ordered", "strict", "unordered"]
MODES: tuple[MatchMode, ...] = ("ordered", "strict", "unordered")
MAX_STAGES = 63
NOT_REACHED = np.iinfo(np.int64).min  # stage_ts / exit_ts value when there is no time


@dataclass(frozen=True)
class MatchSpec:
    """A journey reduced to what the matcher needs; stage indexes are 0-based."""

    mode: MatchMode
    n_stages: int
    window_us: int  # conversion window in microseconds, inclusive
    strictly_later: tuple[bool, ...]  # [i]: stage i needs an activity strictly after stage i-1's
    exclusions: tuple[tuple[int, int], ...] = ()  # (from_stage, to_stage), from < to
    has_exit: bool = False

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {self.mode!r}")
        if not 1 <= self.n_stages <= MAX_STAGES:
            raise ValueError(f"n_stages must be 1..{MAX_STAGES}, not {self.n_stages}")
        if self.window_us < 0:
            raise ValueError("window_us must not be negative")
        if len(self.strictly_later) != self.n_stages:
            raise ValueError("strictly_later needs one flag per stage")
        if len(self.exclusions) > 64:
            raise ValueError("at most 64 exclusions")
        for lo, hi in self.exclusions:
            if not 0 <= lo < hi < self.n_stages:
                raise ValueError(f"exclusion ({lo}, {hi}) must satisfy 0 <= from < to < n_stages")


@dataclass(frozen=True)
class MatchResult:
    """One row per contact that has at least one input activity, contact keys ascending."""

    contact: np.ndarray  # int64
    reached: np.ndarray  # int16: stages reached by the best attempt (0: none, or removed)
    removed: np.ndarray  # bool: every furthest attempt was void, so the contact counts nowhere
    stage_ts: np.ndarray  # int64 [n_contacts, n_stages], NOT_REACHED when not reached
    stage_row: np.ndarray  # int64 [n_contacts, n_stages]: input row used, -1 when not reached
    exit_ts: np.ndarray  # int64: first exit activity after the last reached stage, or NOT_REACHED

    def __len__(self) -> int:
        return len(self.contact)

    def equals(self, other: MatchResult) -> bool:
        """True when both results hold exactly the same values."""
        return all(
            np.array_equal(getattr(self, name), getattr(other, name))
            for name in ("contact", "reached", "removed", "stage_ts", "stage_row", "exit_ts")
        )


def empty_result(n_stages: int) -> MatchResult:
    """The result for an input with no rows."""
    return MatchResult(
        contact=np.zeros(0, np.int64),
        reached=np.zeros(0, np.int16),
        removed=np.zeros(0, np.bool_),
        stage_ts=np.zeros((0, n_stages), np.int64),
        stage_row=np.zeros((0, n_stages), np.int64),
        exit_ts=np.zeros(0, np.int64),
    )
