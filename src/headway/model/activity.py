"""The activity types Headway knows by name (DESIGN §3); any other name is a custom type."""

from __future__ import annotations

# Order matters to users of the positions (email statistics number them from 1).
EMAIL_TYPES: tuple[str, ...] = (
    "email_sent",
    "email_delivered",
    "email_bounce",
    "email_open",
    "email_click",
    "email_unsubscribe",
    "email_spam_report",
)
WEB_TYPES: tuple[str, ...] = ("page_visit", "form_submission", "purchase")
KNOWN_TYPES: tuple[str, ...] = WEB_TYPES + EMAIL_TYPES
