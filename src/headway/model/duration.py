"""Durations in journey definitions: ``30d``, ``12h``, ``1w2d``, ``90s``, ``10y``.

A duration is one or more ``<whole number><unit>`` parts with units s, m, h, d, w and y
(365 days); it is held as whole seconds. Bare numbers are not durations (is ``30`` seconds
or days?). Any length a user writes up to ``MAX_SECONDS`` is accepted and kept as written;
the engine uses ``engine_micros``, which caps it at ``ENGINE_SPAN_SECONDS`` (20000y) — longer
than the distance between any two representable timestamps (years 1-9999: 3652059 days), so
a window of that length or more already covers all the data, and nothing derived from it
overflows int64 microseconds (timestamps lie within ±2.6e17 µs, the span adds 6.3e17).
"""

from __future__ import annotations

import re

YEAR = 365 * 86400
UNITS = {"y": YEAR, "w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1}
UNIT_LIST = "s, m, h, d, w, y"
DURATION_PATTERN = r"^\s*(\d+\s*[smhdwy]\s*)+$"
# The longest duration accepted (a sanity bound on what is written, not on the data).
MAX_SECONDS = 1_000_000_000 * YEAR
ENGINE_SPAN_SECONDS = 20_000 * YEAR
_MAX_DIGITS = 19  # beyond MAX_SECONDS whatever the unit; int() of huge texts is not free
_PART = re.compile(r"(\d+)\s*([smhdwy])")
_WHOLE = re.compile(DURATION_PATTERN)


def is_duration(text: object) -> bool:
    """True when ``text`` is a duration string such as ``30d``."""
    return isinstance(text, str) and _WHOLE.match(text) is not None


def parse_duration(text: str) -> int:
    """Seconds in a duration string (over ``MAX_SECONDS``: ``MAX_SECONDS + 1``); ValueError
    when it is not one."""
    if not is_duration(text):
        raise ValueError(f"{text!r} is not a duration (use {UNIT_LIST})")
    total = 0
    for number, unit in _PART.findall(text):
        digits = number.lstrip("0")
        if len(digits) > _MAX_DIGITS:
            return MAX_SECONDS + 1
        total += int(digits or "0") * UNITS[unit]
        if total > MAX_SECONDS:
            return MAX_SECONDS + 1
    return total


def format_duration(seconds: int) -> str:
    """The canonical text of a duration: the largest unit that divides it (``36h``, ``30d``)."""
    for unit, size in UNITS.items():
        if seconds % size == 0 and seconds:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def engine_micros(seconds: int) -> int:
    """A duration in microseconds for the engine, capped at ``ENGINE_SPAN_SECONDS``."""
    return min(seconds, ENGINE_SPAN_SECONDS) * 1_000_000
