"""How Headway writes a span of time for people: one format for the CLI and the dashboard."""

from __future__ import annotations


def duration(seconds: float | None) -> str:
    """A span of time in human units: ``45 s``, ``8.5 min``, ``5.3 h``, ``1 day``, ``6.6 days``.

    The one duration format of every surface (stage times, stall times, windows); a dash
    when unknown.
    """
    if seconds is None:
        return "—"
    if round(seconds) < 60:
        return f"{seconds:.0f} s"
    if round(seconds / 60, 1) < 60:
        return f"{_one_decimal(seconds / 60)} min"
    if round(seconds / 3_600, 1) < 24:
        return f"{_one_decimal(seconds / 3_600)} h"
    days = _one_decimal(seconds / 86_400)
    return f"{days} day" if days == "1" else f"{days} days"


def _one_decimal(value: float) -> str:
    """``8.5`` as ``8.5``, ``12.0`` as ``12``."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text
