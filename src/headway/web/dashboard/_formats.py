"""How the email, contact and editor pages show numbers, times and views (shared helpers)."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

from headway.api import ReportOptions, options
from headway.durations import duration

VIEWS = ("human", "all")
SIGNIFICANT = 0.05  # p or q below which a figure is marked significant
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


# What templates call as ``fmt.num(...)``, ``fmt.pct(...)``, ``fmt.when(...)``, ``fmt.duration``.
FMT = SimpleNamespace(num=num, pct=pct, when=when, duration=duration)


def view_of(value: str | None) -> str:
    """The requested view, ``human`` unless ``all`` is asked for (a marketer's default)."""
    return "all" if value == "all" else "human"


def report_options(as_of: str | None) -> ReportOptions:
    """Report options from the page's ``as_of`` query value (empty: now)."""
    return options(as_of or None, None)
