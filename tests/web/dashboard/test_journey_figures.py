"""What the journey pages show: formatted cells, contact-list links and the Plotly figures."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest

from headway.engine.funnel.cohorts import Cohort
from headway.engine.funnel.report import FunnelReport, StageRow
from headway.engine.funnel.times import summarize
from headway.engine.funnel.trends import TrendReport
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
     (86_400, "1 day"), (7_200, "2 h"), (573_987.65, "6.6 days"), (510, "8.5 min"),
     (3_599, "1 h"), (86_399, "1 day")],
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


def test_the_outcomes_figure_counts_in_progress_as_the_stage_table_does() -> None:
    figure = fig.outcomes_figure(REPORT, {})
    traces = {t["name"]: t for t in figure["data"]}
    assert traces["Dropped"]["x"] == [3, 0]
    # stalled contacts are part of those in progress (DESIGN §5): the bar is the table's count,
    # the stalled part a thinner bar drawn inside it from the same base
    assert traces["In progress"]["x"] == [3, 2] and traces["In progress"]["base"] == [3, 0]
    assert traces["Stalled"]["x"] == [1, 0] and traces["Stalled"]["base"] == [3, 0]
    assert traces["Converted"]["x"] == [0, 4]
    assert figure["layout"]["barmode"] == "overlay"
    assert "status=stalled" in traces["Stalled"]["customdata"][0]
    # every link is one the contacts page accepts (no status=moving)
    assert "status=in_progress" in traces["In progress"]["customdata"][0]
    assert [fig.stage_rows(REPORT, {})[0]["in_progress"]] == ["3"]


@pytest.mark.parametrize(
    ("top", "step"), [(0, 1), (1, 1), (3, 1), (7, 2), (19_924 * 1.65, 10_000), (120, 50)]
)
def test_count_axes_step_by_whole_contacts(top: float, step: int) -> None:
    axis = fig.count_axis(top)
    assert axis["dtick"] == step and axis["tick0"] == 0


def test_a_journey_nobody_entered_draws_no_axes() -> None:
    empty = FunnelReport("E", "ordered", 60, datetime(2025, 6, 30), None, 0, 0,
                         (StageRow(1, "Visit", 0, None, None, 0, 0, 0, None, None, None, None,
                                   None),))  # fmt: skip
    assert "nothing to draw" in fig.funnel_figure(empty, {})["empty"]
    assert "empty" in fig.outcomes_figure(empty, {})
    assert "empty" in fig.trend_figure(TrendReport("E", "week", ("Visit",), (), None))
    assert "empty" not in fig.funnel_figure(REPORT, {})


def test_the_trend_draws_its_line_over_the_bars_and_one_week_as_a_category() -> None:
    weeks = (Cohort("2025-06-02", 10, 2, 0.2, (10, 2)), Cohort("2025-06-09", 3, 1, 1 / 3, (3, 1)))
    figure = fig.trend_figure(TrendReport("A", "week", ("Visit", "Buy"), weeks, None))
    bars, line = figure["data"]
    # an overlaying axis is drawn above its base: the line's axis overlays the bars'
    assert line["yaxis"] == "y2" and figure["layout"]["yaxis2"]["overlaying"] == "y"
    assert "yaxis" not in bars and figure["layout"]["xaxis"]["type"] == "date"
    assert figure["layout"]["yaxis"]["dtick"] == 5  # 10 entered at most: 0, 5, 10
    one = fig.trend_figure(TrendReport("A", "week", ("Visit", "Buy"), weeks[:1], None))
    assert one["layout"]["xaxis"]["type"] == "category"


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
