"""The Actions page in Chromium: subscriptions, the dead-letter list and its Replay buttons.

A copy of the demo world gets a webhook subscription to a real local receiver that was down
(503), so two deliveries are dead. In the browser: the subscription and the dead letters are
listed; one row's Replay queues it again and the server's action worker delivers it, signed,
once the receiver answers again; "Replay all dead" does the same for the rest.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import orjson
from playwright.sync_api import Page, expect

from headway.actions import signing
from headway.actions.settings import ActionSettings
from headway.api import Headway
from headway.store import Store
from tests.actions.receivers import Receiver, receiver
from tests.actions.test_deliveries import add_event, send_all
from tests.browser.demo_copy import serve_copy


def wait_for(r: Receiver, count: int, timeout: float = 20.0) -> list[Any]:
    """The receiver's accepted requests once it has ``count`` (the worker polls each second)."""
    deadline = time.monotonic() + timeout
    while len(r.accepted()) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    return r.accepted()


def test_dead_letters_are_listed_and_replayed(page: Page, demo_db: Path, tmp_path: Path) -> None:
    made: dict[str, Any] = {}
    with receiver() as r:
        r.status = 503

        def prepare(store: Store) -> None:
            hw = Headway(store)
            name = hw.journeys()[0].name
            sub = hw.subscribe(name, ["stage_entered"], url=r.url, holdout=0)
            ids = [
                add_event(store, 1, "ann", journey=name),
                add_event(store, 2, "bob", journey=name),
            ]
            send_all(store, ActionSettings(max_attempts=1))  # the receiver is down: both dead
            made.update(journey=name, sub=sub, ids=ids)

        with serve_copy(demo_db, tmp_path, prepare) as server:
            sub, (first, second) = made["sub"], made["ids"]
            assert r.refused == 2
            r.status = 204
            page.goto(server.url + "/actions")
            subs = page.locator("#subscriptions-table tbody tr")
            expect(subs).to_have_count(1)
            expect(subs.first).to_contain_text(sub.id)
            expect(subs.first).to_contain_text(made["journey"])
            expect(subs.first).to_contain_text("stage_entered")
            expect(subs.first).to_contain_text(r.url)
            expect(page.locator(".chip[data-status='dead']")).to_have_text("dead 2")
            dead = page.locator("#dead-table tbody tr")
            expect(dead).to_have_count(2)
            expect(page.locator(f"#dead-table tr[data-event='{first}']")).to_contain_text(
                "HTTP 503"
            )

            # One row's Replay: queued again, off the dead list, delivered signed.
            page.locator(f"#dead-table tr[data-event='{first}'] button").click()
            expect(page.locator("p.notice[role=status]")).to_have_text("Queued 1 delivery again.")
            assert "replayed=1" in page.url
            expect(dead).to_have_count(1)
            expect(page.locator(f"#dead-table tr[data-event='{second}']")).to_have_count(1)
            got = wait_for(r, 1)
            assert [g.headers["webhook-id"] for g in got] == [first]
            signing.verify(str(sub.secret), got[0].headers, got[0].body)
            assert orjson.loads(got[0].body)["data"]["contact"] == "ann"

            # Replay all dead: the other one too; the list is empty.
            page.get_by_role("button", name="Replay all dead").click()
            expect(page.locator("p.notice[role=status]")).to_have_text("Queued 1 delivery again.")
            expect(page.get_by_text("No dead deliveries.")).to_be_visible()
            got = wait_for(r, 2)
            assert [g.headers["webhook-id"] for g in got] == [first, second]
            page.reload()
            expect(page.locator(".chip[data-status='delivered']")).to_have_text("delivered 2")
            expect(page.locator(".chip[data-status='dead']")).to_have_text("dead 0")
            statuses = page.locator("#deliveries-table tbody tr").evaluate_all(
                "rows => rows.map(r => r.dataset.status)"
            )
            assert statuses == ["delivered", "delivered"]
