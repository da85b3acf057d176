"""What the journey pages show: formatted cells, contact-list links and the Plotly figures."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest

from headway.engine.funnel.report import FunnelReport, StageRow
from headway.engine.funnel.times import summarize
from headway.web.dashboard import journey_figures as fig
from headway.web.dashboard.journey_view import end_of_data, range_bounds


def stage(index: int, name: str, reached: int, dropped: int = 0, stalled: int = 0) -> StageRow:
    """A stage row with times of one hour and one day."""
    times = summarize(np.array([3_600.0, 86_400.0])) if index > 1 else None
    return StageRow(index, name, reached, None, None, dropped, 2 + stalled, stalled, None, None,
                    None, times, times)  # fmt: skip


REPORT = FunnelReport(
    journey="A/B <test>",
    order="ordered",
    window_seconds=86_400,
    as_of=datetime(2025, 6, 30),
    date_range=None,
    entered=10,
    converted=4,
    stages=(stage(1, "Visit", 10, dropped=3, stalled=1), stage(2, "Buy", 4)),
)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, "—"), (0.4, "0 s"), (59, "59 s"), (61, "1 min"), (5_400, "1.5 h"),
     (86_400, "1 day"), (7_200, "2 h"), (573_987.65, "6.6 days")],
)  # fmt: skip
def test_durations_read_at_a_glance(seconds: float | None, text: str) -> None:
    assert fig.duration(seconds) == text


def test_percent_and_counts() -> None:
    assert fig.percent(None) == "—" and fig.percent(0.28955) == "29.0%"
    assert fig.count(19924) == "19,924"


def test_journey_names_are_one_path_segment() -> None:
    assert fig.journey_path("A/B <test>") == "/journeys/A%2FB%20%3Ctest%3E"
    url = fig.contacts_url("A/B", 2, "stalled", {"as_of": "2025-06-30"})
    assert url == "/journeys/A%2FB/contacts?stage=2&status=stalled&as_of=2025-06-30"


def test_the_funnel_figure_has_one_clickable_bar_per_stage() -> None:
    bars = fig.funnel_figure(REPORT, {})["data"]
    assert len(bars) == 1 and bars[0]["y"] == ["Visit", "Buy"] and bars[0]["x"] == [10, 4]
    assert (
        bars[0]["customdata"][1] == "/journeys/A%2FB%20%3Ctest%3E/contacts?stage=2&status=reached"
    )


def test_the_outcomes_figure_splits_in_progress_from_stalled() -> None:
    traces = {t["name"]: t for t in fig.outcomes_figure(REPORT, {})["data"]}
    assert traces["Dropped"]["x"] == [3, 0]
    assert traces["In progress"]["x"] == [2, 2]  # in progress minus stalled
    assert traces["Stalled"]["x"] == [1, 0]
    assert traces["Converted"]["x"] == [0, 4]
    assert "status=stalled" in traces["Stalled"]["customdata"][0]


def test_stage_rows_format_times_from_the_previous_stage() -> None:
    rows = fig.stage_rows(REPORT, {"as_of": "2025-06-30"})
    assert rows[0]["median"] == "—" and rows[1]["median"] == "12.5 h"
    assert rows[1]["p90"] == "21.7 h"
    assert rows[1]["links"]["dropped"].endswith("stage=2&status=dropped&as_of=2025-06-30")
    assert fig.stalled_total(REPORT) == 1 and fig.in_progress_total(REPORT) == 5


def test_the_end_of_the_data_is_the_midnight_after_the_last_activity() -> None:
    assert end_of_data(datetime(2025, 6, 29, 23, 59, 58)) == "2025-06-30"
    assert end_of_data(datetime(2025, 6, 30)) == "2025-06-30"
    assert range_bounds("2025-04-01..") == ("2025-04-01", "")
    assert range_bounds(None) == ("", "")
