"""``headway compare`` and ``headway time-to-convert``: two date ranges side by side, and how
long each step takes (docs/reports.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from headway.cli.common import console, open_headway
from headway.cli.reports import (
    SIGNIFICANT,
    AsOf,
    DateRange,
    JourneyArg,
    JsonFlag,
    SegmentOpt,
    pct,
    printed_json,
)
from headway.durations import duration

if TYPE_CHECKING:
    from headway.api import CompareReport, TimeToConvertReport


def register(app: typer.Typer) -> None:
    """Add the compare and time-to-convert commands."""
    app.command("compare")(compare)
    app.command("time-to-convert")(time_to_convert)


def compare(
    journey: JourneyArg,
    range_a: Annotated[
        str, typer.Option("--a", help="Date range A, FROM..TO (e.g. 2025-04-01..2025-04-30).")
    ],
    range_b: Annotated[str, typer.Option("--b", help="Date range B, FROM..TO.")],
    as_of: AsOf = None,
    segment: SegmentOpt = None,
    json_: JsonFlag = False,
) -> None:
    """The journey over two date ranges: per stage reached and conversion, the change and p."""
    from headway.api import options

    opts = options(as_of)
    with open_headway() as hw:
        report = hw.compare(journey, range_a, range_b, as_of=opts.as_of, segment=segment)
        warnings = hw.warnings(journey, as_of=opts.as_of)
    if printed_json(report, warnings, json_):
        return
    console.print(compare_table(report))


def _change(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:+.1f} pts"


def _ratio(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def _interval(low: float | None, high: float | None) -> str:
    return "–" if low is None or high is None else f"{low:.2f}–{high:.2f}"


def compare_table(report: CompareReport) -> Table:
    """One row per stage: reached and conversion in A and B, the change, B/A and p."""
    table = Table(
        title=f"{escape(report.journey)}: range A vs range B (as of {report.as_of:%Y-%m-%d})",
        caption="A, B: contacts reached; conv.: conversion from the previous stage (overall: "
        "entered → last stage); B/A with its 95% interval; p: Fisher's exact test "
        "(docs/reports.md)",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    table.add_column("stage", overflow="fold")
    for col in ("A", "B", "conv. A", "conv. B", "change", "B/A", "95% CI", "p"):
        table.add_column(col, justify="right", no_wrap=True)
    for s in report.stages:
        c = s.from_previous
        table.add_row(
            s.name,
            f"{s.reached_a:,}",
            f"{s.reached_b:,}",
            pct(c.conversion_a) if c else "",
            pct(c.conversion_b) if c else "",
            _change(c.change) if c else "",
            _ratio(c.ratio) if c else "",
            _interval(c.ratio_low, c.ratio_high) if c else "",
            _p(c.p) if c else "",
        )
    o = report.overall
    table.add_row(
        "overall",
        f"{o.base_a:,}",
        f"{o.base_b:,}",
        pct(o.conversion_a),
        pct(o.conversion_b),
        _change(o.change),
        _ratio(o.ratio),
        _interval(o.ratio_low, o.ratio_high),
        _p(o.p),
    )
    return table


def _p(p: float | None) -> str:
    if p is None:
        return "–"
    return f"{p:.2g}" + (" *" if p < SIGNIFICANT else "")


def time_to_convert(
    journey: JourneyArg,
    as_of: AsOf = None,
    date_range: DateRange = None,
    segment: SegmentOpt = None,
    json_: JsonFlag = False,
) -> None:
    """Per step, how long the contacts who moved on took, in bins of human units."""
    from headway.api import options

    opts = options(as_of, date_range)
    with open_headway() as hw:
        report = hw.time_to_convert(
            journey, as_of=opts.as_of, date_range=opts.date_range, segment=segment
        )
        warnings = hw.warnings(journey, as_of=opts.as_of, date_range=opts.date_range)
    if printed_json(report, warnings, json_):
        return
    print_times(report)


def print_times(report: TimeToConvertReport) -> None:
    """A small table per step: contacts per bin, with a bar."""
    for s in report.steps:
        median = duration(s.summary.median) if s.summary.median is not None else "–"
        table = Table(
            title=f"{escape(s.from_name)} → {escape(s.to_name)}: {s.converted:,} moved on, "
            f"median {median}",
            box=box.SIMPLE_HEAD,
            pad_edge=False,
        )
        table.add_column("time to move on")
        table.add_column("contacts", justify="right")
        table.add_column("")
        top = max((b.contacts for b in s.bins), default=0)
        for b in s.bins:
            bar = "█" * round(20 * b.contacts / top) if top else ""
            table.add_row(b.label, f"{b.contacts:,}", bar)
        console.print(table)
