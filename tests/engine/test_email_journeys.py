"""Email statistics tied to journeys: engagement per stage and recipients' stage at delivery,
checked against a small hand-computed timeline."""

from __future__ import annotations

from typing import Any

from headway.api import Headway
from headway.engine.diagnostics.email_journeys import email_stages, journey_engagement
from headway.store import Store
from tests.engine.activity_log import load

JOURNEY: dict[str, Any] = {
    "name": "Visit to buy",
    "window": "30d",
    "stages": [
        {"name": "Visit", "when": {"type": "page_visit"}},
        {"name": "Buy", "when": {"type": "purchase"}},
    ],
}


def world(store: Store) -> None:
    w1, w2, w3 = {"email": "w1"}, {"email": "w2"}, {"email": "w3"}
    load(
        store,
        [
            ("a", "page_visit", "0s"),
            ("a", "email_sent", "1h", w1),
            ("a", "email_delivered", "1h", w1),
            ("a", "email_open", "2h", w1),
            ("a", "email_click", "2h", w1),
            ("b", "page_visit", "0s"),
            ("b", "email_sent", "1h", w1),
            ("b", "email_delivered", "1h", w1),
            ("b", "email_open", "1h", w1, True),  # a machine open
            ("b", "purchase", "2h"),
            ("b", "email_sent", "3h", w2),
            ("b", "email_delivered", "3h", w2),
            ("c", "page_visit", "0s"),
            ("c", "email_sent", "1h", w3),  # w3's sender reports no deliveries
            ("d", "email_sent", "1h", w3),
            ("d", "email_bounce", "1h", w3),
            ("e", "email_sent", "1h", w1),  # w1's sender reports deliveries: e's bounced
            ("e", "email_bounce", "1h", w1),
        ],
    )


def test_engagement_per_stage_human_and_all(store: Store) -> None:
    world(store)
    hw = Headway(store)
    matched = hw.match(JOURNEY, as_of="2025-02-01")
    human = journey_engagement(hw.backend, matched)
    visit, buy = human.stages
    # Visit holds a and c: pairs a-w1 (delivered) and c-w3 (sent, not bounced); a opened and clicked.
    assert (visit.contacts, visit.delivered, visit.opened, visit.clicked) == (2, 2, 1, 1)
    assert (visit.open_rate, visit.click_rate) == (0.5, 0.5)
    # Buy holds b: pairs b-w1 and b-w2 delivered; b's only open was a machine's.
    assert (buy.contacts, buy.delivered, buy.opened, buy.clicked) == (1, 2, 0, 0)
    everything = journey_engagement(hw.backend, matched, human=False)
    assert everything.stages[1].opened == 1
    assert everything.stages[1].open_rate == 0.5


def test_recipients_stage_when_delivered(store: Store) -> None:
    world(store)
    hw = Headway(store)
    matched = hw.match(JOURNEY, as_of="2025-02-01")

    def counts(email):
        return {s.stage: s.recipients for s in email_stages(hw.backend, matched, email).stages}

    # A bounced send is no delivery (docs/metrics.md), whether or not the sender reports
    # deliveries: e (w1) and d (w3) bounced, so neither is a recipient.
    assert counts("w1") == {"(not entered)": 0, "Visit": 2, "Buy": 0}
    assert counts("w2") == {"(not entered)": 0, "Visit": 0, "Buy": 1}
    assert counts("w3") == {"(not entered)": 0, "Visit": 1, "Buy": 0}
    assert email_stages(hw.backend, matched, "w3").recipients == 1
    assert email_stages(hw.backend, matched, "nope").recipients == 0


def test_cli_engagement_and_email_stages(store: Store, tmp_path: Any) -> None:
    import json

    from typer.testing import CliRunner

    from headway.cli import app

    world(store)
    path = tmp_path / "j.json"
    path.write_text(json.dumps(JOURNEY))
    db = str(store.path)
    store.close()
    runner = CliRunner()
    out = runner.invoke(
        app, ["--db", db, "engagement", str(path), "--as-of", "2025-02-01", "--json"]
    )
    assert out.exit_code == 0, out.output
    assert [s["open_rate"] for s in json.loads(out.output)["stages"]] == [0.5, 0.0]
    table = runner.invoke(
        app, ["--db", db, "engagement", str(path), "--all", "--as-of", "2025-02-01"]
    )
    assert "all view" in table.output and "Visit" in table.output
    stages = runner.invoke(
        app, ["--db", db, "emails", "stages", "w3", "--journey", str(path), "--json"]
    )
    assert json.loads(stages.output)["stages"][:2] == [
        {"stage": "(not entered)", "recipients": 0},  # d's send bounced: not delivered
        {"stage": "Visit", "recipients": 1},
    ]
