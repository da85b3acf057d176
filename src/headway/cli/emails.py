"""``headway emails …`` and ``headway email …``: register emails, prepare HTML, statistics."""

from __future__ import annotations

import typer

emails_app = typer.Typer(help="Emails: register, list, statistics.", no_args_is_help=True)
email_app = typer.Typer(help="One email: prepare tracked HTML.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the ``emails`` and ``email`` groups."""
    app.add_typer(emails_app, name="emails")
    app.add_typer(email_app, name="email")
