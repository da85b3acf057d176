"""Report options normalised once: the instant of truth (`as_of`) and the date range."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

from headway.errors import Detail, InvalidInput

if TYPE_CHECKING:  # the CLI reads the defaults below without loading jsonschema
    from headway.model.condition import Condition

# Defaults of the drivers and stalls reports, here so the CLI can show them without the engine.
DEFAULT_MIN_SUPPORT = 20  # contacts a touchpoint needs before its row is shown
DEFAULT_LIMIT = 100  # stalled contacts listed per stage

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class DateWindow:
    """An inclusive range of activity times (UTC, naive); either end may be open."""

    start: datetime | None
    end: datetime | None


@dataclass(frozen=True)
class Segment:
    """Whom every report counts (``engine/segments.py`` parses it; the input query applies it).

    ``attributes``: a condition on the contact's attributes; ``entry``: a condition on the
    activity that enters the journey (ANDed into the first stage); ``contact_keys``: only these
    contacts (the intersection of the named cohorts); ``labels``: the filters as typed.
    """

    attributes: Condition | None = None
    entry: Condition | None = None
    contact_keys: frozenset[int] | None = None
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReportOptions:
    """What every report takes besides the journey: ``as_of``, an optional date range and an
    optional segment.

    ``date_range`` given here replaces the journey's own ``date_range``.
    """

    as_of: datetime
    date_range: DateWindow | None = None
    segment: Segment | None = None


def utc_now() -> datetime:
    """The current instant as a naive UTC datetime with microseconds."""
    return datetime.now(UTC).replace(tzinfo=None)


def parse_instant(text: str, *, field: str, end_of_day: bool = False) -> datetime:
    """Parse an ISO 8601 instant or date; naive times are UTC, dates start (or end) the day."""
    value = text.strip()
    if _DATE_ONLY.match(value):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise InvalidInput(f"{field}: '{text}' is not a date") from None
        if end_of_day:
            return datetime.combine(day, time.max)
        return datetime.combine(day, time.min)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(
            f"{field}: '{text}' is not a date or time (use e.g. 2025-03-31 or 2025-03-31T12:00:00Z)"
        ) from None
    if parsed.tzinfo is not None:
        try:
            parsed = parsed.astimezone(UTC).replace(tzinfo=None)
        except OverflowError:  # e.g. 0001-01-01T00:00+05:00 is before year 1 in UTC
            reason = f"'{text}' is outside the years 1-9999 in UTC"
            raise InvalidInput(f"{field}: {reason}", [Detail(reason, field=field)]) from None
    return parsed


def parse_date_range(text: str) -> DateWindow:
    """Parse ``FROM..TO`` (either side may be empty); a date-only ``TO`` ends that day."""
    if ".." not in text:
        raise InvalidInput(
            f"--date-range: '{text}' is not a range (use FROM..TO, e.g. 2025-01-01..2025-03-31)"
        )
    left, right = text.split("..", 1)
    start = parse_instant(left, field="--date-range") if left.strip() else None
    end = parse_instant(right, field="--date-range", end_of_day=True) if right.strip() else None
    if start is not None and end is not None and start > end:
        raise InvalidInput(f"--date-range: '{text}' ends before it starts")
    return DateWindow(start, end)


def to_micros(ts: datetime) -> int:
    """Microseconds since the epoch of a naive UTC datetime."""
    delta = ts - datetime(1970, 1, 1)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(us: int) -> datetime:
    """A naive UTC datetime from microseconds since the epoch."""
    return datetime(1970, 1, 1) + timedelta(microseconds=int(us))
