"""``headway actions …``: subscriptions to journey events, deliveries (dead letters, replay),
cohort syncs, holdout uplift and digests (see docs/actions.md)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from headway.cli.common import backend_settings, console, err_console, open_headway

actions_app = typer.Typer(
    help="Journey actions: webhooks, files, cohort syncs, holdouts, digests.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add the ``actions`` group."""
    app.add_typer(actions_app, name="actions")


def _table(*columns: str) -> Table:
    table = Table(box=box.SIMPLE_HEAD)
    for c in columns:
        table.add_column(c)
    return table


def _s(value: Any) -> str:
    return "" if value is None else escape(str(value))


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:+.1f} %"


@actions_app.command("subscribe")
def subscribe(
    journey: Annotated[str, typer.Argument(help="A stored journey.")],
    kind: Annotated[
        list[str],
        typer.Option(
            "--kind",
            help="stage_entered, stage_stalled, dropped, converted or "
            "kpi_reached (repeat for several).",
        ),
    ],
    url: Annotated[str | None, typer.Option(help="Send signed webhooks to this URL.")] = None,
    path: Annotated[
        str | None, typer.Option(help="Append JSON Lines to this file (in actions.files_dir).")
    ] = None,
    stage: Annotated[str | None, typer.Option(help="Only events at this stage.")] = None,
    holdout: Annotated[float, typer.Option(help="Share of contacts held out (0-1).")] = 0.10,
) -> None:
    """Subscribe to a journey's events; prints the webhook signing secret."""
    target = "file" if path is not None and url is None else "webhook"
    files_dir = backend_settings().actions.files_dir
    with open_headway(read_only=False) as hw:
        sub = hw.subscribe(journey, kind, target=target, url=url, path=path, stage=stage,
                           holdout=holdout, files_dir=files_dir)  # fmt: skip
    err_console.print(f"subscription {sub.id}: {', '.join(sub.kinds)} of {escape(sub.journey)}"
                      f" -> {escape(str(sub.url or sub.path))}", highlight=False)  # fmt: skip
    if sub.secret:
        console.print(sub.secret, highlight=False, markup=False)


@actions_app.command("subscriptions")
def subscriptions(
    journey: Annotated[str | None, typer.Option(help="Only this journey's.")] = None,
) -> None:
    """The active subscriptions."""
    with open_headway(read_only=False) as hw:
        subs = hw.subscriptions(journey)
    table = _table("id", "journey", "kinds", "stage", "to", "holdout")
    for s in subs:
        table.add_row(s.id, _s(s.journey), ", ".join(s.kinds), _s(s.stage),
                      _s(s.url or s.path), f"{s.holdout:.0%}")  # fmt: skip
    console.print(table)


@actions_app.command("unsubscribe")
def unsubscribe(sub_id: Annotated[str, typer.Argument(help="The subscription id.")]) -> None:
    """Stop a subscription."""
    with open_headway(read_only=False) as hw:
        hw.remove_subscription(sub_id)
    err_console.print(f"stopped {escape(sub_id)}", highlight=False)


@actions_app.command("deliveries")
def deliveries(
    status: Annotated[str | None, typer.Option(help="pending, delivered or dead.")] = None,
    limit: Annotated[int, typer.Option(min=1)] = 50,
) -> None:
    """Deliveries newest first (``--status dead``: the dead-letter list)."""
    with open_headway(read_only=False) as hw:
        rows = hw.deliveries(status=status, limit=limit)
        counts = hw.delivery_counts()
    table = _table("subscription", "event", "kind", "contact", "status", "tries", "error")
    for d in rows:
        table.add_row(d.subscription_id, d.event_id, d.kind, _s(d.contact), d.status,
                      str(d.attempts), _s(d.last_error))  # fmt: skip
    console.print(table)
    err_console.print(", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "none")


@actions_app.command("replay")
def replay(
    subscription: Annotated[str | None, typer.Argument(help="The subscription id.")] = None,
    event: Annotated[
        str | None, typer.Argument(help="The event id (omit: every dead one).")
    ] = None,
) -> None:
    """Send a delivery again, or every dead delivery (of a subscription)."""
    with open_headway(read_only=False) as hw:
        if event is not None and subscription is not None:
            hw.replay_delivery(subscription, event)
            n = 1
        else:
            n = hw.replay_dead(subscription)
    err_console.print(f"queued {n} deliver{'y' if n == 1 else 'ies'} again", highlight=False)


@actions_app.command("deliver")
def deliver() -> None:
    """Fan out new events and try every due delivery once now (without a server)."""
    settings = backend_settings().actions
    with open_headway(read_only=False) as hw:
        counts = hw.deliver_now(settings)
    err_console.print(", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "none")


@actions_app.command("sync")
def sync(
    journey: Annotated[str, typer.Argument(help="A stored journey.")],
    stage: Annotated[str, typer.Argument(help="The step (name or 1-based number).")],
    status: Annotated[str, typer.Option(help="reached, stalled, dropped, ...")] = "stalled",
    every: Annotated[str, typer.Option(help="How often, e.g. 15m, 1h, 1d.")] = "1h",
    path: Annotated[
        str | None, typer.Option(help="Write the list to this file (in actions.files_dir).")
    ] = None,
    url: Annotated[str | None, typer.Option(help="POST it in signed pages here.")] = None,
    format: Annotated[str, typer.Option(help="csv or json (files).")] = "csv",
    holdout: Annotated[float, typer.Option(help="Share of contacts held out (0-1).")] = 0.10,
) -> None:
    """Keep a step's contacts in sync with a file or an endpoint; runs it once now."""
    settings = backend_settings().actions
    with open_headway(read_only=False) as hw:
        made = hw.add_cohort_sync(journey, stage, status, every=every, format=format, path=path,
                                  url=url, holdout=holdout, files_dir=settings.files_dir)  # fmt: skip
        done = hw.run_cohort_sync(made.id, settings)
    err_console.print(f"cohort sync {done.id}: {done.last_count} contacts"
                      + (f" (failed: {escape(done.last_error)})" if done.last_error else ""),
                      highlight=False)  # fmt: skip
    if done.secret:
        console.print(done.secret, highlight=False, markup=False)


@actions_app.command("syncs")
def syncs() -> None:
    """The active cohort syncs and their last runs."""
    with open_headway(read_only=False) as hw:
        rows = hw.cohort_syncs()
    table = _table("id", "journey", "stage", "status", "to", "last run", "contacts", "error")
    for s in rows:
        table.add_row(s.id, _s(s.journey), _s(s.stage), s.status, _s(s.path or s.url),
                      _s(s.last_run_at), _s(s.last_count), _s(s.last_error))  # fmt: skip
    console.print(table)


@actions_app.command("uplift")
def uplift(journey: Annotated[str, typer.Argument(help="A stored journey.")]) -> None:
    """Per action: treated vs held-out progress to the next stage, the uplift, its 95 % CI, p."""
    with open_headway(read_only=False) as hw:
        rows = hw.uplift(journey)
    table = _table("action", "stage", "treated", "held out", "difference", "uplift", "95 % CI",
                   "p")  # fmt: skip
    for u in rows:
        ci = "—" if u.uplift_low is None else f"{_pct(u.uplift_low)} to {_pct(u.uplift_high)}"
        table.add_row(
            u.action_id, f"{_s(u.stage_name)} → {_s(u.next_stage)}",
            f"{u.treated_advanced}/{u.treated}", f"{u.held_out_advanced}/{u.held_out}",
            _pct(u.difference), _pct(u.uplift), ci, "—" if u.p is None else f"{u.p:.3g}",
        )  # fmt: skip
    console.print(table)


@actions_app.command("digest")
def digest(journey: Annotated[str, typer.Argument(help="A stored journey.")]) -> None:
    """Make the journey's digest for the period ending now and mail it (SMTP settings)."""
    settings = backend_settings().actions
    with open_headway(read_only=False) as hw:
        made = hw.digest(journey, settings)
    console.print(made.text(), highlight=False, markup=False)
    if made.sent_to:
        err_console.print(f"mailed to {', '.join(made.sent_to)}", highlight=False)
    elif made.error:
        err_console.print(escape(made.error), highlight=False)
