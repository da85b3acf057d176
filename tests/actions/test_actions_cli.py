"""``headway actions``: subscribe, deliver (no server), list deliveries, replay, uplift, sync,
digest — on a real database file with a real local receiver."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from headway.actions import signing
from headway.api import Headway
from headway.cli import app
from headway.model.journey import parse_journey
from headway.store import Store
from tests.actions.receivers import receiver
from tests.actions.test_deliveries import JOURNEY, add_event


def run(db: Path, *args: str) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of a command (wide terminal)."""
    result = CliRunner().invoke(app, ["--db", str(db), *args], env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


def test_subscribe_deliver_and_list(tmp_path: Path) -> None:
    db = tmp_path / "h.duckdb"
    with Store(db) as store:
        Headway(store).save_journey(parse_journey(JOURNEY))
    with receiver() as r:
        code, secret, err = run(db, "actions", "subscribe", "Trial", "--kind", "stage_entered",
                                "--url", r.url, "--holdout", "0")  # fmt: skip
        assert code == 0, err
        assert secret.strip().startswith("whsec_") and "subscription sub_" in err
        with Store(db) as store:
            eid = add_event(store, 1, "ann")
        code, _, err = run(db, "actions", "deliver")
        assert (code, err.strip()) == (0, "delivered 1")
        [got] = r.accepted()
    signing.verify(secret.strip(), got.headers, got.body)
    code, out, _ = run(db, "actions", "deliveries")
    assert code == 0 and eid in out and "delivered" in out
    code, _, err = run(db, "actions", "replay")
    assert (code, err.strip()) == (0, "queued 0 deliveries again")
    code, out, _ = run(db, "actions", "uplift", "Trial")
    assert code == 0
    code, _, err = run(db, "actions", "sync", "Trial", "Visit", "--status", "reached",
                       "--path", "visit.csv")  # fmt: skip
    assert code == 0 and "contacts" in err
    assert (tmp_path / "actions" / "visit.csv").read_text().startswith("contact\n")
    code, out, err = run(db, "actions", "digest", "Trial")
    assert code == 0 and "Journey Trial:" in out
    bad = CliRunner().invoke(app, ["--db", str(db), "actions", "subscribe", "Trial", "--kind",
                                   "entered", "--url", r.url])  # fmt: skip
    assert bad.exit_code == 1 and "kinds must be some of" in str(bad.exception)
