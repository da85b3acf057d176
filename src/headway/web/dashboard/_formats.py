"""How the email, contact and editor pages show numbers, times and views (shared helpers)."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

from headway.api import ReportOptions, options

VIEWS = ("human", "all")
VIEW_LABELS = {"human": "Human (bots excluded)", "all": "All (bots included)"}


def num(value: int | float | None) -> str:
    """A count with thousands separators ("–" when unknown)."""
    return "–" if value is None else f"{value:,}"


def pct(value: float | None) -> str:
    """A rate as a percentage with one decimal ("–" when its denominator was 0)."""
    return "–" if value is None else f"{100 * value:.1f}%"


def when(value: datetime | None) -> str:
    """A UTC time as ``YYYY-MM-DD HH:MM`` ("–" when unknown)."""
    return "–" if value is None else value.strftime("%Y-%m-%d %H:%M")


def duration(seconds: float | None) -> str:
    """A span of time in human units: ``45 s``, ``8.5 min``, ``5.3 h``, ``1 day``, ``6.6 days``.

    The one duration format of the dashboard (stage times, stall times, windows); a dash
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


# What templates call as ``fmt.num(...)``, ``fmt.pct(...)``, ``fmt.when(...)``, ``fmt.duration``.
FMT = SimpleNamespace(num=num, pct=pct, when=when, duration=duration)


def view_of(value: str | None) -> str:
    """The requested view, ``human`` unless ``all`` is asked for (a marketer's default)."""
    return "all" if value == "all" else "human"


def report_options(as_of: str | None) -> ReportOptions:
    """Report options from the page's ``as_of`` query value (empty: now)."""
    return options(as_of or None, None)
