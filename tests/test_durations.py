"""The one duration format of the CLI and the dashboard (``headway.durations``)."""

from __future__ import annotations

import pytest

from headway.durations import duration
from headway.web.dashboard import _formats


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (None, "—"),
        (0, "0 s"),
        (45, "45 s"),
        (59.4, "59 s"),
        (59.6, "1 min"),
        (510, "8.5 min"),
        (3_599, "1 h"),
        (19_080, "5.3 h"),
        (86_400, "1 day"),
        (172_800, "2 days"),
        (570_240, "6.6 days"),
    ],
)
def test_duration_in_human_units(seconds: float | None, shown: str) -> None:
    assert duration(seconds) == shown


def test_dashboard_uses_the_same_formatter() -> None:
    assert _formats.FMT.duration is duration and _formats.duration is duration
