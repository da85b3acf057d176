"""Small result types of the store, shared by its modules."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AppendResult:
    """What one append did: rows written and duplicate ids dropped."""

    accepted: int
    duplicates: int
