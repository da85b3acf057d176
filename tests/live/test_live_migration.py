"""An existing database (schema before live journeys) gains the live tables on open, with its
data untouched, and a journey saved before can be turned live."""

from __future__ import annotations

from pathlib import Path

import duckdb

from headway.api import Headway
from headway.live import updater
from headway.store import Store
from headway.store.live_tables import LIVE_TABLES
from headway.store.schema import MIGRATIONS, SCHEMA_VERSION

LIVE_INDEX = MIGRATIONS.index(LIVE_TABLES)  # 0-based: schema LIVE_INDEX + 1 adds them


def test_an_older_database_is_migrated_and_can_go_live(tmp_path: Path) -> None:
    """Schema 8 -> current: live tables created, activities and journeys kept."""
    path = tmp_path / "old.duckdb"
    with Store(path) as store:
        hw = Headway(store)
        hw.save_journey(
            hw.journey({"name": "old", "stages": [{"name": "A", "when": {"type": "visit"}}]})
        )
        hw.add_activities([{"contact": "c1", "type": "visit", "ts": "2026-01-01T00:00:00Z"}])
    conn = duckdb.connect(str(path))  # put the file back to the schema before live journeys
    for table in ("journey_events", "live_state", "live_versions", "live_journeys"):
        conn.execute(f"DROP TABLE {table}")
    for statements in MIGRATIONS[LIVE_INDEX + 1 :]:
        for statement in statements:
            if statement.lstrip().upper().startswith("CREATE TABLE"):
                name = statement.split("(")[0].split()[-1]
                conn.execute(f"DROP TABLE IF EXISTS {name}")
    conn.execute("DELETE FROM schema_version WHERE version > ?", [LIVE_INDEX])
    assert conn.execute("SELECT max(version) FROM schema_version").fetchone() == (LIVE_INDEX,)
    conn.close()

    with Store(path) as store:
        assert store.execute("SELECT max(version) FROM schema_version").scalar() == SCHEMA_VERSION
        assert store.execute("SELECT count(*) FROM journey_events").scalar() == 0
        hw = Headway(store)
        assert [j.name for j in hw.journeys()] == ["old"]
        hw.set_journey_live("old")
        updater.start_version(store, "old", 1)
        updater.rebuild_version(store, hw.backend, "old", 1)
        status = hw.live_status("old")
        assert (status.status, status.version, status.contacts) == ("ready", 1, 1)
        assert hw.live_contact("old", "c1").stage == "A"
        assert hw.journey_events() == []  # a rebuild records state, not history
