"""``headway drivers`` and ``headway stalls``: what moves contacts forward, and where they stall."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from headway.cli.common import console, open_headway
from headway.cli.discovery import print_warnings, with_warnings
from headway.cli.reports import (
    SIGNIFICANT,
    AsOf,
    DateRange,
    JourneyArg,
    JsonFlag,
    SegmentOpt,
    pct,
    print_json,
)
from headway.durations import duration
from headway.errors import InvalidInput
from headway.service.types import DEFAULT_LIMIT, DEFAULT_MIN_SUPPORT

if TYPE_CHECKING:
    from headway.api import DriversReport, StageStalls, StallsReport, Transition

LEGEND = (
    "with / without: share who reached the next stage with and without the touchpoint. "
    "× as likely (rate ratio) compares contacts of the same age, with its 95% interval; q: "
    "Benjamini–Hochberg adjusted p; ! see warnings (--json). docs/drivers.md explains them."
)

StageOpt = Annotated[
    str | None,
    typer.Option("--stage", help="Only this stage (1-based number or name): its transition."),
]
MinSupport = Annotated[
    int,
    typer.Option("--min-support", help="Contacts a touchpoint needs before it is tested."),
]
ViewOpt = Annotated[
    str, typer.Option("--view", help="human (default: without bot activities) or all.")
]


def register(app: typer.Typer) -> None:
    """Add the drivers and stalls commands."""
    app.command("drivers")(drivers)
    app.command("stalls")(stalls)


def human_view(view: str) -> bool:
    """``--view``: True for the human view."""
    if view not in ("human", "all"):
        raise InvalidInput(f"--view: '{view}' is not human or all")
    return view == "human"


def drivers(
    journey: JourneyArg,
    stage: StageOpt = None,
    as_of: AsOf = None,
    date_range: DateRange = None,
    segment: SegmentOpt = None,
    min_support: MinSupport = DEFAULT_MIN_SUPPORT,
    view: ViewOpt = "human",
    top: Annotated[int, typer.Option("--top", help="Touchpoints shown per transition.")] = 10,
    include_excluded: Annotated[
        bool,
        typer.Option(
            "--include-excluded",
            help="Also test the touchpoints left out by default (stage and later-stage "
            "activities, sends of the journey's own emails).",
        ),
    ] = False,
    json_: JsonFlag = False,
) -> None:
    """Per transition, the touchpoints that go with moving on: effect read aloud, rates, q."""
    from headway.api import options

    human = human_view(view)
    opts = options(as_of, date_range)
    with open_headway() as hw:
        j = hw.journey(journey)
        warnings = hw.warnings(j, as_of=opts.as_of, date_range=opts.date_range)
        print_warnings(warnings)
        report = hw.drivers(
            j,
            stage=stage,
            min_support=min_support,
            human=human,
            as_of=opts,
            include_excluded=include_excluded,
            segment=segment,
        )
    if json_:
        print_json(with_warnings(report.to_dict(), warnings))
        return
    print_drivers(report, top)


def print_drivers(report: DriversReport, top: int) -> None:
    """Each transition as a table plus the plain-language lines of its significant drivers."""
    view = "human view" if report.human else "all activities"
    console.print(
        f"[bold]{escape(report.journey)}[/] — drivers as of {report.as_of:%Y-%m-%d %H:%M}Z"
        f" ({view})",
        markup=True,
    )
    for t in report.transitions:
        console.print(_transition_table(t, top))
        for line in _lines(t):
            console.print(line, markup=True)
    console.print(LEGEND, style="dim")


def _transition_table(t: Transition, top: int) -> Table:
    caption = (
        f"{t.population:,} contacts reached {t.from_name}, {t.advanced:,} moved on "
        f"({pct(t.advanced / t.population if t.population else None)});\n"
        f"{t.in_progress_left_out:,} still in progress left out; {t.tested} of "
        f"{t.touchpoints_seen} touchpoints tested"
    )
    table = Table(
        title=f"{t.from_name} → {t.to_name}\n(with / without: reached {t.to_name}, with and "
        "without the touchpoint)",
        caption=caption,
        box=box.SIMPLE_HEAD,
        padding=(0, 1, 0, 0),
        pad_edge=False,
    )
    table.add_column("touchpoint", overflow="fold", min_width=16)
    table.add_column("contacts", justify="right", no_wrap=True)
    table.add_column("with", justify="right", no_wrap=True)
    table.add_column("without", justify="right", no_wrap=True)
    table.add_column("× as likely (95% CI)", justify="right")
    table.add_column("q", justify="right", no_wrap=True)
    for d in t.drivers[:top]:
        flag = " !" if d.warnings else ""
        flag += " (excluded by default)" if d.excluded_reason else ""
        table.add_row(
            d.touchpoint + flag,
            f"{d.support:,}",
            pct(d.rate_with),
            pct(d.rate_without),
            ci(d.rate_ratio, d.rate_ratio_low, d.rate_ratio_high),
            f"{d.q:.2g}",
        )
    return table


def ci(value: float, low: float, high: float) -> str:
    """A ratio and its interval with two significant digits: ``2.2 (1.8–2.7)``."""
    from headway.api import times

    return f"{times(value, '')} ({times(low, '')}–{times(high, '')})"


def _lines(t: Transition) -> list[str]:
    out = [f"[yellow]! {escape(w)}[/]" for w in t.warnings]
    for d in t.drivers:
        if d.q < SIGNIFICANT:
            note = " [yellow](!)[/]" if d.warnings else ""
            out.append(f"  • {escape(d.effect)} (q = {d.q:.2g}).{note}")
    if not t.drivers:
        out.append("  No touchpoint had enough contacts to test.")
    elif len(out) == len(t.warnings):
        out.append("  No touchpoint stands out (every q ≥ 0.05).")
    if t.excluded:
        out.append(
            "  [dim]Left out (--include-excluded tests them): "
            + "; ".join(f"{escape(e.label)} — {escape(e.reason)}" for e in t.excluded[:5])
            + (f"; and {len(t.excluded) - 5} more" if len(t.excluded) > 5 else "")
            + "[/]"
        )
    return out


def stalls(
    journey: JourneyArg,
    stage: StageOpt = None,
    as_of: AsOf = None,
    date_range: DateRange = None,
    segment: SegmentOpt = None,
    limit: Annotated[
        int, typer.Option("--limit", help="Stalled contacts listed per stage.")
    ] = DEFAULT_LIMIT,
    min_support: MinSupport = DEFAULT_MIN_SUPPORT,
    view: ViewOpt = "human",
    json_: JsonFlag = False,
) -> None:
    """Per stage, the stalled contacts with their last touchpoints, and what is over-represented."""
    from headway.api import options

    human = human_view(view)
    if limit < 0:
        raise InvalidInput("--limit must not be negative")
    opts = options(as_of, date_range)
    with open_headway() as hw:
        j = hw.journey(journey)
        warnings = hw.warnings(j, as_of=opts.as_of, date_range=opts.date_range)
        print_warnings(warnings)
        report = hw.stalls(
            j, stage=stage, min_support=min_support, human=human, limit=limit, as_of=opts,
            segment=segment,
        )  # fmt: skip
    if json_:
        print_json(with_warnings(report.to_dict(), warnings))
        return
    print_stalls(report)


def print_stalls(report: StallsReport) -> None:
    """Each stage: its stalled contacts, then the over-represented touchpoints."""
    console.print(
        f"[bold]{escape(report.journey)}[/] — stalls as of {report.as_of:%Y-%m-%d %H:%M}Z",
        markup=True,
    )
    for s in report.stages:
        console.print(_stall_table(s))
        for w in s.warnings:
            console.print(f"[yellow]! {escape(w)}[/]", markup=True)
        for t in s.over_represented:
            if t.q < SIGNIFICANT:
                console.print(f"  • {t.sentence}, q = {t.q:.2g}.")
        if s.stalled and not any(t.q < SIGNIFICANT for t in s.over_represented):
            console.print("  No touchpoint is significantly over-represented among them.")


def _stall_table(s: StageStalls) -> Table:
    after = duration(s.stall_after_seconds) if s.stall_after_seconds is not None else "–"
    table = Table(
        title=f"{s.name} → {s.next_name}: {s.stalled:,} stalled (longer than {after})",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    table.add_column("contact", overflow="fold")
    table.add_column("stalled for", justify="right")
    table.add_column("last touchpoints (latest first)", overflow="fold")
    for c in s.contacts:
        touches = ", ".join(t.touchpoint for t in c.last_touchpoints) or "–"
        table.add_row(c.contact, duration(c.stalled_for_seconds), touches)
    if s.stalled > len(s.contacts):
        table.caption = f"{len(s.contacts):,} of {s.stalled:,} shown (--limit)"
    return table
