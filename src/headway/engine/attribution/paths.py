"""Touchpoint paths: per contact, the touchpoints in time order and whether it converted.

Identical paths are counted once with how many contacts followed them and how many of
those converted, so every attribution model works on distinct paths only. ``group_paths``
finds the distinct paths of many contacts with array operations (no per-contact Python);
``aggregate_paths`` builds the same from a few paths given one by one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


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


def group_paths(
    contacts: np.ndarray,
    converted: np.ndarray,
    row_contacts: np.ndarray,
    touchpoints: pa.Array | pa.ChunkedArray,
) -> Paths:
    """The distinct paths of ``contacts`` (and whether each converted), from touchpoint rows
    ordered by contact and then by position on the path (``row_contacts``, ``touchpoints``).

    Touchpoints become codes in sorted order, so comparing code sequences compares the
    paths; contacts are then grouped position by position: two contacts share a group after
    position i when their paths have the same length and the same first i + 1 touchpoints.
    """
    names, codes = _codes(touchpoints)
    lo = np.searchsorted(row_contacts, contacts, side="left")
    lengths = np.searchsorted(row_contacts, contacts, side="right") - lo
    group = np.unique(lengths, return_inverse=True)[1].astype(np.int64)
    next_group = len(lengths)  # above every group number given so far
    for i in range(int(lengths.max()) if len(lengths) else 0):
        active = np.flatnonzero(lengths > i)
        key = group[active] * max(len(names), 1) + codes[lo[active] + i]
        renumbered = np.unique(key, return_inverse=True)[1]
        group[active] = next_group + renumbered
        next_group += len(active)
    _, first, inverse = np.unique(group, return_index=True, return_inverse=True)
    totals = np.bincount(inverse)
    conversions = np.bincount(inverse, weights=np.asarray(converted, bool)).astype(np.int64)
    sequences = [tuple(names[codes[lo[c] : lo[c] + lengths[c]]].tolist()) for c in first]
    order = sorted(range(len(sequences)), key=sequences.__getitem__)
    return Paths(
        sequences=tuple(sequences[g] for g in order),
        conversions=tuple(int(conversions[g]) for g in order),
        nulls=tuple(int(totals[g] - conversions[g]) for g in order),
    )


def _codes(touchpoints: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct touchpoints, sorted, and each row's position among them."""
    if isinstance(touchpoints, pa.ChunkedArray):
        touchpoints = touchpoints.combine_chunks()
    encoded = pc.dictionary_encode(touchpoints)
    names = np.asarray(encoded.dictionary.to_pylist(), dtype=object)
    order = np.argsort(names, kind="stable")  # Python's string order, as ``sorted`` uses
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return names[order], rank[encoded.indices.to_numpy(zero_copy_only=False)]
