"""Emails and their links: the typed records and the rules a link URL must follow."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from headway.errors import Detail, InvalidInput

EMAIL_KINDS = ("newsletter", "transactional")
MAX_URL_CHARS = 2048
# Whitespace and control characters have no place in a URL we send in a Location header.
_UNSAFE = re.compile(r"[\x00-\x20\x7f]")


@dataclass(frozen=True)
class Email:
    """A registered email (one send or template): its id, name and where it belongs."""

    id: str
    name: str
    subject: str | None = None
    campaign: str | None = None
    kind: str = "newsletter"
    send_time: datetime | None = None
    created_at: datetime | None = None


@dataclass(frozen=True)
class EmailLink:
    """A link of an email: the only URL a tracked click on it may redirect to."""

    email_id: str
    link_id: str
    url: str
    label: str | None = None
    honeypot: bool = False


def is_trackable_url(url: str) -> bool:
    """True for absolute http(s) URLs with a host (what link tracking rewrites)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in {"http", "https"} and bool(parts.netloc)


def check_link_url(url: str) -> str:
    """The URL when it may be registered as a link target; else ``InvalidInput``."""
    if not url or len(url) > MAX_URL_CHARS:
        raise InvalidInput(
            f"a link URL must have 1 to {MAX_URL_CHARS} characters",
            [Detail("wrong length", field="url")],
        )
    if _UNSAFE.search(url) or not is_trackable_url(url):
        raise InvalidInput(
            "a link URL must be an absolute http or https URL without spaces",
            [Detail(f"not accepted: {url[:200]!r}", field="url")],
        )
    return url


def link_id_for(url: str, honeypot: bool = False) -> str:
    """The stable id of a URL's link within an email (the same URL always gets the same id)."""
    prefix = "h" if honeypot else "l"
    return prefix + hashlib.sha256(url.encode()).hexdigest()[:12]


def check_kind(kind: str) -> str:
    """The kind when it is one Headway knows; else ``InvalidInput``."""
    if kind not in EMAIL_KINDS:
        raise InvalidInput(
            f"email kind must be one of {', '.join(EMAIL_KINDS)}, not {kind!r}",
            [Detail("unknown kind", field="kind")],
        )
    return kind
