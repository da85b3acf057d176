"""The registry of ESP webhook adapters, by the name used in ``/webhooks/{provider}``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from headway.ingest.webhooks import brevo, mailgun, mandrill, postmark, sendgrid, ses
from headway.ingest.webhooks.common import ParsedBatch

Verify = Callable[[Any, Mapping[str, str], bytes, str, datetime], None]


@dataclass(frozen=True)
class Provider:
    """One ESP: how to verify and parse its webhook requests."""

    name: str
    label: str
    content_types: tuple[str, ...]
    verify: Verify
    parse: Callable[[bytes, str], ParsedBatch]
    # Providers that sign with one-time tokens (Mailgun) name the token of a request.
    replay_token: Callable[[bytes], str] | None = None


PROVIDERS: dict[str, Provider] = {
    p.name: p
    for p in (
        Provider("sendgrid", "SendGrid", sendgrid.CONTENT_TYPES, sendgrid.verify, sendgrid.parse),
        Provider(
            "mailgun",
            "Mailgun",
            mailgun.CONTENT_TYPES,
            mailgun.verify,
            mailgun.parse,
            mailgun.replay_token,
        ),
        Provider("ses", "Amazon SES", ses.CONTENT_TYPES, ses.verify, ses.parse),
        Provider("postmark", "Postmark", postmark.CONTENT_TYPES, postmark.verify, postmark.parse),
        Provider("brevo", "Brevo", brevo.CONTENT_TYPES, brevo.verify, brevo.parse),
        Provider("mandrill", "Mandrill", mandrill.CONTENT_TYPES, mandrill.verify, mandrill.parse),
    )
}
