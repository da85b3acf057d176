"""``headway funnel``, ``headway trends``, ``headway breakdown``: journey reports in the terminal."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich import box
from rich.table import Table

from headway.cli.common import console, open_headway
from headway.cli.discovery import print_warnings, with_warnings
from headway.durations import duration

if TYPE_CHECKING:
    from collections.abc import Sequence

    from headway.api import FunnelReport, JourneyWarning

SIGNIFICANT = 0.05  # p or q below which a figure is marked significant

JourneyArg = Annotated[
    str, typer.Argument(help="A journey file (.yaml/.json) or a stored journey's name.")
]
AsOf = Annotated[
    str | None, typer.Option("--as-of", help="Report as of this instant (default: now).")
]
DateRange = Annotated[
    str | None,
    typer.Option("--date-range", help="FROM..TO (dates or ISO times; either side may be empty)."),
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
SegmentOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--segment",
        "-s",
        help="Count only a segment (repeat to AND): attributes.PATH=VALUE, entry.PATH=VALUE "
        "or cohort=NAME; operators = != > >= < <= ~ (docs/reports.md).",
    ),
]


def register(app: typer.Typer) -> None:
    """Add the report commands."""
    app.command("funnel")(funnel)
    app.command("trends")(trends)
    app.command("breakdown")(breakdown)


def funnel(
    journey: JourneyArg,
    as_of: AsOf = None,
    date_range: DateRange = None,
    segment: SegmentOpt = None,
    json_: JsonFlag = False,
) -> None:
    """A journey's funnel: reached, conversion, dropped / in progress / stalled, times."""
    from headway.api import options

    opts = options(as_of, date_range)
    with open_headway() as hw:
        report = hw.funnel(journey, as_of=opts.as_of, date_range=opts.date_range, segment=segment)
        warnings = hw.warnings(journey, as_of=opts.as_of, date_range=opts.date_range)
    if not printed_json(report, warnings, json_):
        console.print(funnel_table(report))


def trends(
    journey: JourneyArg,
    by: Annotated[str, typer.Option("--by", help="day, week or month of entry.")] = "week",
    as_of: AsOf = None,
    date_range: DateRange = None,
    segment: SegmentOpt = None,
    json_: JsonFlag = False,
) -> None:
    """Conversion by entry period."""
    from headway.api import options

    opts = options(as_of, date_range)
    with open_headway() as hw:
        report = hw.trends(
            journey, by, as_of=opts.as_of, date_range=opts.date_range, segment=segment
        )
        warnings = hw.warnings(journey, as_of=opts.as_of, date_range=opts.date_range)
    if printed_json(report, warnings, json_):
        return
    table = Table(title=f"{report.journey} — conversion by entry {by}")
    for col in ("period", "entered", "converted", "conversion"):
        table.add_column(col, justify="right")
    for p in report.periods:
        table.add_row(p.label.isoformat(), str(p.entered), str(p.converted), pct(p.conversion))
    console.print(table)


def breakdown(
    journey: JourneyArg,
    by: Annotated[str, typer.Option("--by", help="Property (or attribute with --touch contact).")],
    touch: Annotated[
        str,
        typer.Option(
            "--touch",
            help="first (entry activity), last (last stage reached) or contact (attribute).",
        ),
    ] = "first",
    top: Annotated[int, typer.Option("--top", help="Values shown before '(other)'.")] = 10,
    as_of: AsOf = None,
    date_range: DateRange = None,
    segment: SegmentOpt = None,
    json_: JsonFlag = False,
) -> None:
    """The funnel split by a property or contact attribute."""
    from headway.api import options

    opts = options(as_of, date_range)
    with open_headway() as hw:
        report = hw.breakdown(
            journey,
            by,
            touch=touch,
            top=top,
            as_of=opts.as_of,
            date_range=opts.date_range,
            segment=segment,
        )
        warnings = hw.warnings(journey, as_of=opts.as_of, date_range=opts.date_range)
    if printed_json(report, warnings, json_):
        return
    table = Table(title=f"{report.journey} — by {by} ({touch} touch)")
    table.add_column("value")
    for name in report.stage_names:
        table.add_column(name, justify="right")
    table.add_column("conversion", justify="right")
    for v in report.values:
        table.add_row(str(v.label), *[str(r) for r in v.reached], pct(v.conversion), style=None)
    console.print(table)


def funnel_table(report: FunnelReport) -> Table:
    """A Rich table of a funnel."""
    title = f"{report.journey} — as of {report.as_of.isoformat(timespec='seconds')}Z ({report.order}, window {duration(report.window_seconds)})"
    kpis = [
        f"{s.name} {s.reached:,}/{s.kpi:,} ({pct(s.kpi_share)})" for s in report.stages if s.kpi
    ]
    caption = ("KPI: " + "; ".join(kpis)) if kpis else None
    table = Table(
        title=title, caption=caption, box=box.SIMPLE_HEAD, padding=(0, 1, 0, 0), pad_edge=False
    )
    table.add_column("#", justify="right")
    # A marketer reads stage names whole: the other columns give way first.
    longest = max((len(s.name) for s in report.stages), default=5)
    table.add_column("stage", no_wrap=True, min_width=min(longest, 40))
    for col in ("reached", "%prev", "%first", "dropped", "open", "stalled", "median", "p90"):
        table.add_column(col, justify="right")
    for s in report.stages:
        t = s.time_from_previous
        table.add_row(
            str(s.index),
            s.name,
            f"{s.reached:,}",
            pct(s.conversion_from_previous),
            pct(s.conversion_from_first),
            f"{s.dropped:,}",
            f"{s.in_progress:,}",
            f"{s.stalled:,}",
            duration(t.median) if t else "",
            duration(t.p90) if t else "",
        )
    return table


def pct(value: float | None) -> str:
    """A share as a percentage with one decimal, or an en dash."""
    return "–" if value is None else f"{value * 100:.1f}%"


def print_json(data: Any) -> None:
    """Print JSON to stdout without Rich markup."""
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


def printed_json(report: Any, warnings: Sequence[JourneyWarning], json_: bool) -> bool:
    """Print the journey's warnings (stderr), then with ``json_`` the report's JSON with them;
    True when the JSON was printed (so the command prints no table)."""
    print_warnings(warnings)
    if json_:
        print_json(with_warnings(report.to_dict(), warnings))
    return json_
