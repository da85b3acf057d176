"""The digest: per journey and period — reached, conversion, the biggest change against the
previous period, the top stall — mailed by SMTP and kept for the dashboard."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

import orjson

from headway.actions.settings import DigestSettings, SmtpSettings
from headway.engine.funnel.report import FunnelReport
from headway.store import Store

# (journey, start, end) -> the funnel of the contacts who entered in [start, end)
Funnel = Callable[[str, datetime, datetime], FunnelReport]


@dataclass(frozen=True)
class Digest:
    """One journey's period in figures (``body``) and whether it was mailed."""

    journey: str
    period_start: datetime
    period_end: datetime
    created_at: datetime
    body: dict[str, Any]
    sent_to: tuple[str, ...]
    error: str | None

    def text(self) -> str:
        """The digest as mailed (plain text)."""
        return text(self.body, self.period_start, self.period_end)


def _rate(report: FunnelReport) -> float | None:
    return report.converted / report.entered if report.entered else None


def figures(journey: str, funnel: Funnel, end: datetime, seconds: int) -> dict[str, Any]:
    """The digest's figures for the period ending at ``end`` and the one before it."""
    span = timedelta(seconds=seconds)
    now, before = funnel(journey, end - span, end), funnel(journey, end - 2 * span, end - span)
    changes = []
    for cur, old in zip(now.stages[1:], before.stages[1:], strict=False):
        if cur.conversion_from_previous is None or old.conversion_from_previous is None:
            continue
        changes.append((cur.conversion_from_previous - old.conversion_from_previous, cur.name,
                        old.conversion_from_previous, cur.conversion_from_previous))  # fmt: skip
    biggest = max(changes, key=lambda c: abs(c[0]), default=None)
    stalls = [s for s in now.stages if s.stalled > 0]
    top = max(stalls, key=lambda s: s.stalled, default=None)
    return {
        "journey": journey,
        "reached": now.entered,
        "converted": now.converted,
        "conversion": _rate(now),
        "previous": {"reached": before.entered, "converted": before.converted,
                     "conversion": _rate(before)},
        "stages": [{"name": s.name, "reached": s.reached, "stalled": s.stalled}
                   for s in now.stages],
        "biggest_change": None if biggest is None else {
            "stage": biggest[1], "before": biggest[2], "now": biggest[3], "change": biggest[0]},
        "top_stall": None if top is None else {"stage": top.name, "stalled": top.stalled},
    }  # fmt: skip


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f} %"


def text(body: dict[str, Any], start: datetime, end: datetime) -> str:
    """The plain-text mail of one digest."""
    prev = body["previous"]
    lines = [
        f"Journey {body['journey']}: {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC",
        "",
        f"Reached:    {body['reached']} (previous period {prev['reached']})",
        f"Converted:  {body['converted']} (previous period {prev['converted']})",
        f"Conversion: {_pct(body['conversion'])} (previous period {_pct(prev['conversion'])})",
    ]
    change = body["biggest_change"]
    if change is not None:
        lines.append(
            f"Biggest change: {change['stage']} {_pct(change['before'])} -> {_pct(change['now'])}"
            f" ({100 * change['change']:+.1f} points)"
        )
    else:
        lines.append("Biggest change: none (no stage reached in both periods)")
    stall = body["top_stall"]
    lines.append(
        "Top stall: none" if stall is None
        else f"Top stall: {stall['stalled']} contacts stalled at {stall['stage']}"
    )  # fmt: skip
    return "\n".join(lines) + "\n"


def send(smtp: SmtpSettings, recipients: tuple[str, ...], subject: str, content: str) -> None:
    """Mail ``content`` to ``recipients`` through the configured SMTP server."""
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = smtp.sender, ", ".join(recipients), subject
    msg.set_content(content)
    host, port, timeout = str(smtp.host), smtp.port, smtp.timeout_seconds
    client: smtplib.SMTP
    if smtp.security == "tls":
        client = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(host, port, timeout=timeout)
    with client:
        if smtp.security == "starttls":
            client.starttls(context=ssl.create_default_context())
        if smtp.username and smtp.password is not None:
            client.login(smtp.username, smtp.password.get_secret_value())
        client.send_message(msg)


def last_end(store: Store, journey: str) -> datetime | None:
    """When the latest digest of ``journey`` ended (None: never made)."""
    row = store.execute(
        "SELECT max(period_end) FROM action_digests WHERE journey = ?", [journey]
    ).first()
    return row[0] if row else None


def make(
    store: Store, journey: str, funnel: Funnel, settings: DigestSettings, now: datetime
) -> Digest:
    """Compute one journey's digest ending now, mail it (when SMTP is configured), record it."""
    seconds = settings.seconds()
    start = now - timedelta(seconds=seconds)
    body = figures(journey, funnel, now, seconds)
    error: str | None = None
    sent: tuple[str, ...] = ()
    if settings.smtp.host and settings.recipients:
        try:
            send(settings.smtp, settings.recipients, f"Headway digest: {journey}",
                 text(body, start, now))  # fmt: skip
            sent = settings.recipients
        except (OSError, smtplib.SMTPException) as e:
            error = f"SMTP: {e}"[:300]
    elif settings.recipients:
        error = "not mailed: digest.smtp.host is not set"
    store.write(lambda c: c.execute(
        "INSERT INTO action_digests VALUES (?, ?, ?, ?, ?, ?, ?)",
        [journey, start, now, now, orjson.dumps(body).decode(), list(sent), error]))  # fmt: skip
    return Digest(journey, start, now, now, body, sent, error)


def latest(store: Store, journey: str | None = None, limit: int = 20) -> list[Digest]:
    """The latest digests (of one journey), newest first."""
    where = "WHERE journey = ?" if journey is not None else ""
    rows = store.execute(
        f"SELECT journey, period_start, period_end, created_at, body, sent_to, error "
        f"FROM action_digests {where} ORDER BY created_at DESC LIMIT ?",
        [*([journey] if journey is not None else []), limit],
    ).rows
    return [Digest(r[0], r[1], r[2], r[3], orjson.loads(r[4]), tuple(r[5]), r[6]) for r in rows]
