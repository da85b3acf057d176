"""``headway emails …`` and ``headway email …``: register emails, prepare HTML, statistics."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from headway.cli.common import console, err_console, open_db, open_service
from headway.errors import ConfigError, Detail, InvalidInput

emails_app = typer.Typer(help="Emails: register, list, statistics.", no_args_is_help=True)
email_app = typer.Typer(help="One email: prepare tracked HTML.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the ``emails`` and ``email`` groups."""
    app.add_typer(emails_app, name="emails")
    app.add_typer(email_app, name="email")


@emails_app.command("add")
def emails_add(
    id: Annotated[str, typer.Argument(help="Email id (used in activities' 'email' property).")],
    name: Annotated[str, typer.Option(help="Human-readable name.")],
    subject: Annotated[str | None, typer.Option(help="Subject line.")] = None,
    campaign: Annotated[str | None, typer.Option(help="Campaign it belongs to.")] = None,
    kind: Annotated[str, typer.Option(help="newsletter or transactional.")] = "newsletter",
    send_time: Annotated[
        str | None, typer.Option(help="Send time, ISO 8601 (UTC unless an offset is given).")
    ] = None,
) -> None:
    """Register an email."""
    when = _parse_time(send_time) if send_time else None
    with open_service(must_exist=False) as hw:
        email = hw.register_email(id, name, subject, campaign, kind, when)
    console.print(f"registered email {email.id}", highlight=False, markup=False)


@emails_app.command("list")
def emails_list() -> None:
    """List registered emails."""
    with open_service(read_only=True) as hw:
        emails = hw.emails()
    table = Table("id", "name", "subject", "campaign", "kind", "send time")
    for e in emails:
        sent = e.send_time.isoformat(sep=" ") if e.send_time else ""
        table.add_row(e.id, e.name, e.subject or "", e.campaign or "", e.kind, sent)
    console.print(table)


@emails_app.command("links")
def emails_links(email: Annotated[str, typer.Argument(help="Email id.")]) -> None:
    """List the registered links of an email."""
    with open_service(read_only=True) as hw:
        hw.email(email)  # NotFound for an unregistered email
        links = hw.email_links(email)
    table = Table("link", "url", "label", "honeypot")
    for link in links:
        table.add_row(link.link_id, link.url, link.label or "", "yes" if link.honeypot else "")
    console.print(table)


@email_app.command("link")
def email_link(
    email: Annotated[str, typer.Option("--email", help="Email id.")],
    url: Annotated[str, typer.Argument(help="The link's http(s) URL.")],
    label: Annotated[str | None, typer.Option(help="A label shown in reports.")] = None,
) -> None:
    """Register a link of an email and print its id."""
    with open_service() as hw:
        link_id = hw.add_email_link(email, url, label)
    console.print(link_id, highlight=False, markup=False)


@email_app.command("prepare")
def email_prepare(
    email: Annotated[str, typer.Option("--email", help="Registered email id.")],
    contact: Annotated[str, typer.Option("--contact", help="Recipient's contact id.")],
    honeypot: Annotated[bool, typer.Option(help="Add a hidden honeypot link.")] = False,
    base_url: Annotated[
        str | None, typer.Option(help="Public base URL of tracking (default: tracking.base_url).")
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option("--config", help="Settings file (TOML or YAML); default: $HEADWAY_CONFIG."),
    ] = None,
) -> None:
    """Rewrite HTML from stdin into tracked HTML on stdout; headers to add go to stderr."""
    from headway.ingest.prepare import prepare_email
    from headway.settings import load_settings, require_tracking_keys

    settings = load_settings(config)
    require_tracking_keys(settings)
    base = base_url or settings.tracking.base_url
    if not base or not base.startswith(("http://", "https://")):
        raise ConfigError(
            "no public base URL for tracking links: pass --base-url or set tracking.base_url"
        )
    source = sys.stdin.read()
    with open_db() as store:
        prepared = prepare_email(
            store, settings.tracking.signer(), base, email, contact, source, honeypot
        )
    sys.stdout.write(prepared.html)
    sys.stdout.flush()
    for name, value in prepared.headers:
        err_console.print(f"{name}: {value}", highlight=False, markup=False, soft_wrap=True)


def _parse_time(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"send time {text!r} is not an ISO 8601 date-time",
            [Detail("expected e.g. 2026-11-27T09:00:00Z", field="send_time")],
        ) from None
