"""A cohort: the funnel of one group of contacts (an entry period, a breakdown value)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from headway.engine.results import jsonable, ratio


@dataclass(frozen=True)
class Cohort:
    """Entered, converted, conversion and contacts reaching each stage; ``label`` names it."""

    label: Any
    entered: int
    converted: int
    conversion: float | None
    reached: tuple[int, ...]


def cohort(label: Any, reached: np.ndarray, n_stages: int) -> Cohort:
    """The cohort of contacts whose best attempts reached ``reached`` stages."""
    counts = tuple(int((reached >= i + 1).sum()) for i in range(n_stages))
    return Cohort(label, counts[0], counts[-1], ratio(counts[-1], counts[0]), counts)


def cohort_rows(
    cohorts: tuple[Cohort, ...], key: str, stage_names: tuple[str, ...]
) -> list[dict[str, Any]]:
    """Flat rows: the label under ``key``, the counts, and a ``reached_<stage>`` column each."""
    rows = []
    for c in cohorts:
        row: dict[str, Any] = {
            key: c.label,
            "entered": c.entered,
            "converted": c.converted,
            "conversion": c.conversion,
        }
        row.update({f"reached_{n}": r for n, r in zip(stage_names, c.reached, strict=True)})
        rows.append(row)
    return rows


def cohort_dicts(cohorts: tuple[Cohort, ...], key: str) -> list[dict[str, Any]]:
    """JSON items: the label under ``key`` and the counts, ``reached`` as a list."""
    return [
        {
            key: jsonable(c.label),
            "entered": c.entered,
            "converted": c.converted,
            "conversion": c.conversion,
            "reached": list(c.reached),
        }
        for c in cohorts
    ]
