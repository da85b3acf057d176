"""Time-to-convert statistics: mean, median, p90 and a histogram of durations (seconds).

Percentiles use linear interpolation between closest ranks (numpy's default), over the
contacts that reached the stage.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Histogram edges a marketer reads at a glance: minutes, hours, days, weeks.
HISTOGRAM_EDGES = (0, 60, 600, 3_600, 21_600, 86_400, 259_200, 604_800, 1_209_600, 2_592_000)
HISTOGRAM_LABELS = (
    "<1m",
    "1-10m",
    "10m-1h",
    "1-6h",
    "6-24h",
    "1-3d",
    "3-7d",
    "7-14d",
    "14-30d",
    "30d+",
)


@dataclass(frozen=True)
class Durations:
    """Summary of a set of durations in seconds (None when the set is empty)."""

    count: int
    mean: float | None
    median: float | None
    p90: float | None
    histogram: dict[str, int]


def summarize(seconds: np.ndarray) -> Durations:
    """Mean, median, p90 and histogram of durations given in seconds."""
    values = np.asarray(seconds, dtype=np.float64)
    counts = np.histogram(values, bins=[*HISTOGRAM_EDGES, np.inf])[0] if len(values) else [0] * 10
    histogram = {label: int(c) for label, c in zip(HISTOGRAM_LABELS, counts, strict=True)}
    if len(values) == 0:
        return Durations(0, None, None, None, histogram)
    return Durations(
        count=len(values),
        # Summed in sorted order: the same mean whatever order a backend returns contacts in.
        mean=float(np.sort(values).mean()),
        median=float(np.median(values)),
        p90=float(np.percentile(values, 90)),
        histogram=histogram,
    )


def micros_to_seconds(us: np.ndarray) -> np.ndarray:
    """Durations in µs as float seconds."""
    return np.asarray(us, dtype=np.float64) / 1_000_000.0
