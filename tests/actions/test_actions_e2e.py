"""Journey actions end to end, with real processes: ``headway serve`` (a subprocess), a local
webhook receiver and a local SMTP server (aiosmtpd).

Journey "Signup": Visit (page_visit) → Form (form_submission) → Buy (purchase), turned live.
A subscription wants ``stage_entered`` and ``converted`` with no holdout, so each transition
is one delivery:

- ann: visit, form, purchase → entered Visit, Form, Buy; converted (4 events)
- bob: visit, form → entered Visit, Form (2 events), sent while the receiver is down (503):
  retried with back-off and delivered once when it is back.

The receiver verifies every signature with the secret the API gave (the receiver example of
docs/actions.md, run as documented), and gets each event id exactly once. The digest
(every 8 s here) arrives by SMTP with the figures of its period's funnel.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from aiosmtpd.controller import Controller

from tests.actions.receivers import Receiver, receiver
from tests.docs.actions_receiver import verify_delivery
from tests.web.conftest import NEW_KEY, SIGNUP, config_text, free_port, start_server

ACTIONS = """
[actions]
poll_seconds = 0.2
backoff_seconds = 0.5
max_backoff_seconds = 1.0
max_attempts = 100
timeout_seconds = 5.0
[actions.digest]
every = "8s"
recipients = ["growth@example.com"]
[actions.digest.smtp]
host = "127.0.0.1"
port = {port}
security = "none"
sender = "headway@example.com"
[live]
batch_seconds = 0.02
sync_seconds = 0.2
"""


class Inbox:
    """An aiosmtpd handler keeping every message."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


def wait_for(what: str, done: Callable[[], bool], seconds: float = 60.0) -> None:
    """Poll until ``done()``; fail naming ``what``."""
    deadline = time.monotonic() + seconds
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def activity(n: int, contact: str, type: str, at: datetime) -> dict[str, str]:
    """One activity record for the API."""
    return {"id": str(n), "contact": contact, "type": type, "ts": at.isoformat()}


def events(r: Receiver) -> list[tuple[str, str, str | None]]:
    """(kind, contact, stage name) of every event the receiver accepted."""
    out = []
    for got in r.accepted():
        data = orjson.loads(got.body)["data"]
        out.append((data["kind"], data["contact"], data.get("stage_name")))
    return out


@pytest.mark.slow
def test_transitions_become_signed_webhooks_and_the_digest_is_mailed(tmp_path: Path) -> None:
    inbox = Inbox()
    smtp_port = free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    config = tmp_path / "headway.toml"
    config.write_text(config_text(NEW_KEY) + ACTIONS.format(port=smtp_port))
    server = start_server(tmp_path / "actions.duckdb", config)
    try:
        with receiver() as hook, httpx.Client(base_url=server.url, timeout=30) as http:
            yaml = {"Content-Type": "application/yaml"}
            assert http.post("/api/v1/journeys", content=SIGNUP, headers=yaml).status_code == 201
            live = http.put("/api/v1/live/journeys", params={"journey": "Signup"},
                            json={"active": True})  # fmt: skip
            assert live.status_code == 200, live.text
            wait_for("the journey to be live", lambda: http.get(
                "/api/v1/live/journeys", params={"journey": "Signup"}).json()["status"] == "ready")  # fmt: skip
            sub = http.post("/api/v1/subscriptions", json={
                "journey": "Signup", "kinds": ["stage_entered", "converted"], "url": hook.url,
                "holdout": 0})  # fmt: skip
            assert sub.status_code == 201, sub.text
            secret = sub.json()["secret"]
            assert secret.startswith("whsec_")

            # Inside one digest period (the first starts when the server's worker does).
            t0 = datetime.now(UTC) - timedelta(seconds=0.3)
            ann = [activity(1, "ann", "page_visit", t0),
                   activity(2, "ann", "form_submission", t0 + timedelta(seconds=0.1)),
                   activity(3, "ann", "purchase", t0 + timedelta(seconds=0.2))]  # fmt: skip
            assert http.post("/api/v1/activities", json=ann).json()["accepted"] == 3
            wait_for("ann's four events", lambda: len(hook.accepted()) == 4)
            wait_for("ann's deliveries recorded", lambda: len(http.get(
                "/api/v1/deliveries", params={"status": "delivered"}).json()) == 4)  # fmt: skip

            hook.status = 503  # the receiver is down
            # Stamped now, not back in ann's time: a digest period that closed meanwhile (a
            # slow first match) must not get activities after its digest was sent.
            t1 = datetime.now(UTC) - timedelta(seconds=0.2)
            bob = [activity(4, "bob", "page_visit", t1),
                   activity(5, "bob", "form_submission", t1 + timedelta(seconds=0.1))]  # fmt: skip
            assert http.post("/api/v1/activities", json=bob).json()["accepted"] == 2
            wait_for("retries during the outage", lambda: hook.refused >= 4)
            pending = http.get("/api/v1/deliveries", params={"status": "pending"}).json()
            assert {d["contact"] for d in pending} == {"bob"}
            assert all(d["last_error"] == "HTTP 503: " for d in pending)
            hook.status = 204  # back up
            wait_for("bob's events after the outage", lambda: len(hook.accepted()) >= 6)
            wait_for("every delivery recorded", lambda: len(http.get(
                "/api/v1/deliveries", params={"status": "delivered"}).json()) == 6)  # fmt: skip
            got = hook.accepted()  # all recorded delivered: nothing is sent any more
            counts = http.get("/api/v1/deliveries").json()

            # The first digest whose period holds an entry (normally the first digest; a
            # period boundary may fall among the activities' times, so its figures are
            # checked against the funnel of its own period below).
            def kept() -> list[dict[str, Any]]:
                answer = http.get("/api/v1/digests", params={"journey": "Signup"}).json()
                return [d for d in answer if d["figures"]["reached"] > 0]

            wait_for("a digest with an entry", lambda: bool(kept()))  # recorded after mailing
            digest = kept()[-1]  # the oldest
            period = f"{digest['period_start']}..{digest['period_end']}"
            funnel = http.get("/api/v1/journeys/Signup/funnel", params={
                "date_range": period, "as_of": digest["period_end"]}).json()  # fmt: skip
    finally:
        server.stop()
        smtp.stop()

    assert sorted(events(hook)) == sorted([
        ("stage_entered", "ann", "Visit"), ("stage_entered", "ann", "Form"),
        ("stage_entered", "ann", "Buy"), ("converted", "ann", "Buy"),
        ("stage_entered", "bob", "Visit"), ("stage_entered", "bob", "Form"),
    ])  # fmt: skip
    ids = [g.headers["webhook-id"] for g in got]
    assert len(ids) == len(set(ids)) == 6  # exactly one delivery per transition
    for g in got:
        data = verify_delivery(secret, g.headers, g.body)  # the documented receiver
        assert data["data"]["id"] == g.headers["webhook-id"]
    assert {d["status"] for d in counts} == {"delivered"} and len(counts) == 6
    assert max(d["attempts"] for d in counts if d["contact"] == "bob") >= 2

    figures = digest["figures"]
    assert (figures["reached"], figures["converted"]) == (funnel["entered"], funnel["converted"])
    assert 1 <= figures["reached"] <= 2 and digest["sent_to"] == ["growth@example.com"]
    reached = f"Reached:    {figures['reached']} (previous period 0)".encode()
    sender, rcpt, raw = next(m for m in inbox.messages if reached in m[2])
    mail = message_from_bytes(raw)
    assert (sender, rcpt, mail["Subject"]) == (
        "headway@example.com", ["growth@example.com"], "Headway digest: Signup",
    )  # fmt: skip
    body = mail.get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert f"Converted:  {figures['converted']} (previous period 0)" in body
