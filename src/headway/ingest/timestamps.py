"""Timestamp rules shared by every input path (records, CSV, Parquet).

Accepted: ISO 8601 ``YYYY-MM-DD[T| ]HH:MM[:SS[.fff…]]`` with ``Z`` or ``±HH[:MM]``, or epoch
seconds / milliseconds (a number or a digit string). A value whose magnitude is at least
1e11 is milliseconds (1e11 s lies in the year 5138; 1e11 ms in 1973). An ISO value without a
zone (or a bare date) is accepted only when a time zone is given (``--tz``).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from headway.errors import InvalidInput

MS_THRESHOLD = 100_000_000_000
# Beyond this many milliseconds (about the year 9890) a number is not a date.
EPOCH_LIMIT = 250_000_000_000_000
_TIME = r"[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?"
_ZONE = r"(Z|[+-]\d{2}(:?\d{2})?)"
AWARE = rf"^\d{{4}}-\d{{2}}-\d{{2}}{_TIME}{_ZONE}$"
NAIVE = rf"^\d{{4}}-\d{{2}}-\d{{2}}({_TIME})?$"
EPOCH = r"^-?\d{1,16}(\.\d+)?$"
_AWARE_RE = re.compile(AWARE)
_NAIVE_RE = re.compile(NAIVE)
_EPOCH_RE = re.compile(EPOCH)
_EPOCH0 = datetime(1970, 1, 1)


def no_zone_reason(text: str) -> str:
    """The message for a timestamp without a time zone."""
    return f"'{text}' has no time zone (add an offset or pass --tz)"


def is_no_zone_reason(reason: str) -> bool:
    """Whether ``reason`` is ``no_zone_reason``'s message."""
    return reason.endswith("' has no time zone (add an offset or pass --tz)")


def is_naive_text(text: str) -> bool:
    """Whether ``text`` is an ISO date or time without a zone (``2024-03-01 10:00``)."""
    return _NAIVE_RE.fullmatch(text.strip()) is not None


def not_a_date_reason(text: str) -> str:
    """The message for a value that is not a timestamp."""
    return f"'{text}' is not a date"


def zone(tz: str | None) -> ZoneInfo | None:
    """The named time zone, or an error naming the bad ``--tz`` value."""
    if tz is None:
        return None
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            f"unknown time zone {tz!r} (use an IANA name such as Europe/Berlin or UTC)"
        ) from None


def from_epoch(value: float) -> datetime:
    """A UTC naive datetime from epoch seconds or milliseconds (by magnitude)."""
    if abs(value) >= EPOCH_LIMIT:
        raise OverflowError(value)
    seconds = value / 1000 if abs(value) >= MS_THRESHOLD else value
    return _EPOCH0 + timedelta(seconds=seconds)


def parse(value: object, tz: ZoneInfo | None) -> datetime | str:
    """A UTC naive datetime, or the reason ``value`` is not an acceptable timestamp."""
    if isinstance(value, bool):
        return not_a_date_reason(str(value).lower())
    if isinstance(value, int | float):
        return _epoch_or_reason(float(value), str(value))
    if not isinstance(value, str):
        return not_a_date_reason(str(value))
    text = value.strip()
    if _EPOCH_RE.fullmatch(text):
        return _epoch_or_reason(float(text), value)
    if _AWARE_RE.fullmatch(text):
        parsed = _iso(text)
        if parsed is None:
            return not_a_date_reason(value)
        return parsed.astimezone(UTC).replace(tzinfo=None)
    if _NAIVE_RE.fullmatch(text):
        parsed = _iso(text)
        if parsed is None:
            return not_a_date_reason(value)
        if tz is None:
            return no_zone_reason(value)
        return parsed.replace(tzinfo=tz).astimezone(UTC).replace(tzinfo=None)
    return not_a_date_reason(value)


def _epoch_or_reason(seconds: float, text: str) -> datetime | str:
    try:
        return from_epoch(seconds)
    except (OverflowError, ValueError):
        return not_a_date_reason(text)


def _iso(text: str) -> datetime | None:
    # fromisoformat takes at most 6 fractional digits: drop the rest (sub-µs precision).
    text = re.sub(r"(\.\d{6})\d+", r"\1", text)
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None
