"""Durations: ``30d``, ``1w2d``, ``90s``; canonical text."""

from __future__ import annotations

import pytest

from headway.model.duration import format_duration, is_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30d", 2_592_000),
        ("14d", 1_209_600),
        ("1w", 604_800),
        ("36h", 129_600),
        ("90m", 5400),
        ("45s", 45),
        ("1w2d", 777_600),
        ("1d 12h", 129_600),
        ("0s", 0),
    ],
)
def test_parse(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["10x", "", "d", "1.5d", "-1d", "30", "1 day", "1D"])
def test_not_durations(text: str) -> None:
    assert not is_duration(text)
    with pytest.raises(ValueError, match="is not a duration"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(2_592_000, "30d"), (1_209_600, "2w"), (129_600, "36h"), (61, "61s"), (0, "0s")],
)
def test_format(seconds: int, text: str) -> None:
    assert format_duration(seconds) == text
    assert parse_duration(format_duration(seconds)) == seconds
