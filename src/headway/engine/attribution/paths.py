"""Touchpoint paths: per contact, the touchpoints in time order and whether it converted.

Identical paths are counted once with how many contacts followed them and how many of
those converted, so every attribution model works on distinct paths only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Paths:
    """Distinct touchpoint paths; per path, its converting and non-converting contacts."""

    sequences: tuple[tuple[str, ...], ...]
    conversions: tuple[int, ...]
    nulls: tuple[int, ...]

    def touchpoints(self) -> list[str]:
        """Every touchpoint on some path, sorted."""
        return sorted({t for seq in self.sequences for t in seq})

    def contacts(self) -> int:
        """Contacts over all paths."""
        return sum(self.conversions) + sum(self.nulls)

    def total_conversions(self) -> int:
        """Converting contacts, with or without a touchpoint."""
        return sum(self.conversions)

    def attributable_conversions(self) -> int:
        """Converting contacts whose path has at least one touchpoint."""
        return sum(c for seq, c in zip(self.sequences, self.conversions, strict=True) if seq)

    def reach(self) -> dict[str, tuple[int, int]]:
        """Per touchpoint: contacts whose path holds it, and how many of them converted."""
        out: dict[str, tuple[int, int]] = {}
        for seq, conv, null in zip(self.sequences, self.conversions, self.nulls, strict=True):
            for t in set(seq):
                contacts, converted = out.get(t, (0, 0))
                out[t] = (contacts + conv + null, converted + conv)
        return out


def aggregate_paths(paths: Iterable[tuple[Sequence[str], bool]]) -> Paths:
    """Count identical ``(touchpoints, converted)`` paths once."""
    counts: dict[tuple[str, ...], list[int]] = {}
    for seq, converted in paths:
        entry = counts.setdefault(tuple(seq), [0, 0])
        entry[0 if converted else 1] += 1
    keys = sorted(counts)
    return Paths(
        sequences=tuple(keys),
        conversions=tuple(counts[k][0] for k in keys),
        nulls=tuple(counts[k][1] for k in keys),
    )
