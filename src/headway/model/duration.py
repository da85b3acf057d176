"""Durations in journey definitions: ``30d``, ``12h``, ``1w2d``, ``90s``.

A duration is one or more ``<whole number><unit>`` parts with units s, m, h, d, w; it is
held as whole seconds. Bare numbers are not durations (is ``30`` seconds or days?).
"""

from __future__ import annotations

import re

UNITS = {"w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1}
DURATION_PATTERN = r"^\s*(\d+\s*[smhdw]\s*)+$"
# The longest duration a journey may hold: longer ones overflow the engine's microsecond
# timestamps (and no customer journey lasts a century).
MAX_SECONDS = 36500 * 86400
_PART = re.compile(r"(\d+)\s*([smhdw])")
_WHOLE = re.compile(DURATION_PATTERN)


def is_duration(text: object) -> bool:
    """True when ``text`` is a duration string such as ``30d``."""
    return isinstance(text, str) and _WHOLE.match(text) is not None


def parse_duration(text: str) -> int:
    """Seconds in a duration string; ValueError when it is not one."""
    if not is_duration(text):
        raise ValueError(f"{text!r} is not a duration (use s, m, h, d, w)")
    return sum(int(n) * UNITS[unit] for n, unit in _PART.findall(text))


def format_duration(seconds: int) -> str:
    """The canonical text of a duration: the largest unit that divides it (``36h``, ``30d``)."""
    for unit, size in UNITS.items():
        if seconds % size == 0 and seconds:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
