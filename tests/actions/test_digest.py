"""The digest: a period's figures against the previous period, mailed through a real local
SMTP server (aiosmtpd), kept for the dashboard; an unreachable server is recorded."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes
from typing import Any

from aiosmtpd.controller import Controller

from headway.actions.settings import ActionSettings, DigestSettings, SmtpSettings
from headway.api import Headway, utc_now
from headway.model.journey import parse_journey
from headway.store import Store
from tests.actions.test_deliveries import JOURNEY
from tests.web.conftest import free_port


class Inbox:
    """Keeps every message aiosmtpd receives."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope.content)
        return "250 OK"


def seed(hw: Headway) -> None:
    """Previous week: 4 visit, 2 sign up, 1 buys. This week: 5 visit, 1 signs up."""
    now = utc_now()
    before, recent = now - timedelta(days=10), now - timedelta(days=2)
    hour = timedelta(hours=1)
    rows = [(f"p{i}", "page_visit", before) for i in range(4)]
    rows += [("p0", "signup", before + hour), ("p1", "signup", before + hour),
             ("p0", "purchase", before + 2 * hour)]  # fmt: skip
    rows += [(f"n{i}", "page_visit", recent) for i in range(5)]
    rows.append(("n0", "signup", recent + hour))
    hw.add_activities([{"contact": c, "type": t, "ts": ts.isoformat() + "Z"} for c, t, ts in rows])


def test_the_digest_is_mailed_with_the_weeks_figures(store: Store) -> None:
    hw = Headway(store)
    hw.save_journey(parse_journey(JOURNEY))
    seed(hw)
    inbox, port = Inbox(), free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        settings = ActionSettings(digest=DigestSettings(
            every="7d", recipients=("ops@example.com",),
            smtp=SmtpSettings(host="127.0.0.1", port=port, security="none")))  # fmt: skip
        made = hw.digest("Trial", settings)
    finally:
        smtp.stop()
    body = made.body
    assert (body["reached"], body["converted"], body["conversion"]) == (5, 0, 0.0)
    assert body["previous"] == {"reached": 4, "converted": 1, "conversion": 0.25}
    assert body["biggest_change"] == {"stage": "Buy", "before": 0.5, "now": 0.0, "change": -0.5}
    assert made.sent_to == ("ops@example.com",) and made.error is None
    [raw] = inbox.messages
    mail = message_from_bytes(raw)
    assert mail["Subject"] == "Headway digest: Trial"
    text = mail.get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert "Reached:    5 (previous period 4)" in text
    assert "Biggest change: Buy 50.0 % -> 0.0 % (-50.0 points)" in text
    assert [d.body for d in hw.digests("Trial")] == [body]


def test_an_unreachable_smtp_server_is_recorded(store: Store) -> None:
    hw = Headway(store)
    hw.save_journey(parse_journey(JOURNEY))
    settings = ActionSettings(digest=DigestSettings(
        recipients=("ops@example.com",),
        smtp=SmtpSettings(host="127.0.0.1", port=free_port(), security="none",
                          timeout_seconds=2)))  # fmt: skip
    made = hw.digest("Trial", settings)
    assert made.sent_to == () and made.error is not None and made.error.startswith("SMTP: ")
    assert hw.digests()[0].error == made.error
