"""Saved matches never change a number: after restarts, appends (late, out of order, repeated,
new contacts), identity merges and their undo, an undone import, an erasure and a journey
edit, the reports read from the saved match (extended by the touched contacts) equal the bare
engine's, field by field — funnel counts, outcomes as of a time, stage times, trend, lists."""

from __future__ import annotations

import json
import random
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from headway.api import Headway, options
from headway.cli import app
from headway.cli.common import state
from headway.engine.funnel.contact_lists import contact_list
from headway.engine.funnel.report import funnel_report
from headway.engine.funnel.trends import trend_report
from headway.engine.kernel.run import match_journey
from headway.model.journey import Journey
from headway.store import Store
from headway.store.saved_matches import SAVED_MATCH_TABLES
from headway.store.schema import MIGRATIONS, SCHEMA_VERSION
from tests.test_match_cache import JOURNEYS, T0, TYPES, URLS
from tests.web.conftest import NEW_KEY, config_text, start_server

AS_OF = "2030-01-01"  # after every activity: the view a saved match answers
RANGES: list[Any] = [None, "2025-03-02..2025-03-09"]


def batch(seed: int, n: int, contacts: range, start: datetime, days: int) -> pa.Table:
    """``n`` seeded activities of ``contacts`` within ``days`` from ``start``."""
    rng = random.Random(seed)
    return pa.table(
        {
            "id": [f"s{seed}-{i}" for i in range(n)],
            "contact": [f"c{rng.choice(contacts)}" for _ in range(n)],
            "type": [rng.choice(TYPES) for _ in range(n)],
            "ts": pa.array(
                [start + timedelta(seconds=rng.randrange(days * 86_400)) for _ in range(n)],
                pa.timestamp("us"),
            ),
            "properties": [json.dumps({"url": rng.choice(URLS)}) for _ in range(n)],
            "bot": [False] * n,
            "bot_reason": pa.array([None] * n, pa.string()),
            "source": ["test"] * n,
        }
    )


def through_service(hw: Headway, journey: Journey, date_range: Any) -> dict[str, Any]:
    """The journey page's figures through the service (its caches, the saved match)."""
    kw = {"as_of": AS_OF, "date_range": date_range}
    matched = hw.match(journey, **kw)
    return {
        "result": matched.result,
        "funnel": hw.funnel(journey, **kw).to_dict(),
        "trend": hw.trends(journey, "day", **kw).to_dict(),
        "in_progress": hw.contacts(journey, 1, "in_progress", **kw).to_dict(),
        "converted": hw.contacts(journey, len(journey.stages), "converted", **kw).to_dict(),
    }


def bare(hw: Headway, journey: Journey, date_range: Any) -> dict[str, Any]:
    """The same figures by the engine alone, matched now."""
    matched = match_journey(hw.backend, journey, options(AS_OF, date_range))
    n = len(journey.stages)
    return {
        "result": matched.result,
        "funnel": funnel_report(matched).to_dict(),
        "trend": trend_report(matched, "day").to_dict(),
        "in_progress": contact_list(hw.backend, matched, 0, "in_progress").to_dict(),
        "converted": contact_list(hw.backend, matched, n - 1, "converted").to_dict(),
    }


def check(hw: Headway) -> int:
    """Every stored journey and range: the service equals the engine; how many journeys."""
    names = [j.name for j in hw.journeys()]
    for name in names:
        journey = hw.journey(name)
        for date_range in RANGES:
            got, want = through_service(hw, journey, date_range), bare(hw, journey, date_range)
            assert got.pop("result").equals(want.pop("result")), (name, date_range)
            assert got == want, (name, date_range)
    return len(names)


def saved_count(store: Store) -> int:
    """How many matches the file holds."""
    return int(store.execute("SELECT count(*) FROM saved_matches").scalar())


def test_saved_matches_extended_across_restarts_equal_the_engine(tmp_path: Path) -> None:
    path = tmp_path / "saved.duckdb"
    with Store(path) as store:
        hw = Headway(store)
        for spec in JOURNEYS:
            hw.save_journey(hw.journey(spec))
        store.append_activities(batch(1, 3000, range(300), T0, 14))
        views = check(hw) * len(RANGES)
        assert hw.cache.saved is not None and hw.cache.saved.stats.matched == views
        assert saved_count(store) == views
    rng = random.Random(5)
    for step in range(3):
        with Store(path) as store:  # a restart: nothing in memory
            assert store.journaling
            writes = [
                batch(10 + step, 40, range(rng.randrange(290), 300), T0 + timedelta(days=13), 3),
                batch(20 + step, 30, range(5), T0 - timedelta(days=1), 9),  # late, out of order
                batch(1, 10, range(300), T0, 14),  # ids stored already: dropped as duplicates
                batch(30 + step, 20, range(300 + step * 10, 310 + step * 10), T0, 12),  # new
            ]
            store.append_activities(writes[step])
            hw = Headway(store)
            check(hw)
            stats = hw.cache.saved.stats if hw.cache.saved is not None else None
            assert stats is not None and stats.matched == 0
            assert stats.extended + stats.read == views
            if step == 2:  # nothing was appended: read as saved
                assert (stats.read, stats.rematched_contacts) == (views, 0)
            else:  # only the touched contacts matched again
                assert 0 < stats.rematched_contacts < views * 100
            store.append_activities(writes[3])  # while the server runs
            check(hw)
            assert stats.matched == 0
    with Store(path) as store:
        hw = Headway(store)
        check(hw)
        assert hw.cache.saved is not None and hw.cache.saved.stats.read == views  # as saved


def test_a_journey_not_in_the_store_is_matched_but_not_saved(tmp_path: Path) -> None:
    """A journey from a file or a dict (the Python API, ``headway funnel FILE``) has no stored
    name its saved match could be kept under: it is matched, nothing is written."""
    with Store(tmp_path / "unsaved.duckdb") as store:
        hw = Headway(store)
        store.append_activities(batch(1, 500, range(50), T0, 14))
        generation = store.generation
        report = hw.funnel(hw.journey(JOURNEYS[0]))
        assert report.stages[0].reached > 0
        assert saved_count(store) == 0 and store.generation == generation
        assert not store.journaling  # no write saved (and pruned) a match
        hw.save_journey(hw.journey(JOURNEYS[0]))
        hw.funnel(hw.journey(JOURNEYS[0]).name)
        assert saved_count(store) == 1


def test_merges_undone_imports_erasure_and_edits_keep_saved_matches_exact(
    tmp_path: Path,
) -> None:
    path = tmp_path / "saved.duckdb"
    with Store(path) as store:
        hw = Headway(store)
        for spec in JOURNEYS[:2]:
            hw.save_journey(hw.journey(spec))
        store.append_activities(batch(1, 1500, range(200), T0, 14))
        check(hw)
        hw.merge("c7", "c8")
        hw.merge("c9", "c8")
        check(hw)
        link = hw.identities("c8")
        assert not isinstance(link, tuple)
        hw.unmerge(link.links[0].id)
    with Store(path) as store:
        hw = Headway(store)
        check(hw)
        file = tmp_path / "more.jsonl"
        rows = batch(40, 25, range(10, 14), T0 + timedelta(days=2), 3).to_pylist()
        file.write_text(
            "\n".join(json.dumps({**r, "ts": r["ts"].isoformat() + "Z"}) for r in rows) + "\n"
        )
        outcome = hw.import_files([file])
        check(hw)
        assert outcome.import_id is not None
        hw.undo_import(outcome.import_id)
        check(hw)
        assert hw.cache.saved is not None and hw.cache.saved.stats.extended > 0
    with Store(path) as store:
        hw = Headway(store)
        check(hw)
        hw.erase_contact("c3")
        assert saved_count(store) == 0  # an erasure drops every saved match
        check(hw)
        edited = {**JOURNEYS[0], "window": "1d"}
        hw.save_journey(hw.journey(edited))  # a new version: another key
        check(hw)
        assert saved_count(store) == 2 * len(RANGES) + len(RANGES)  # both versions' ranges
    with Store(path) as store:
        hw = Headway(store)
        hw.delete_journey(JOURNEYS[1]["name"])
        store.append_activities(batch(50, 5, range(3), T0, 3))
        check(hw)  # saving prunes the matches of deleted journeys
        assert saved_count(store) <= 2 * len(RANGES)


def test_an_older_database_gains_the_saved_match_tables(tmp_path: Path) -> None:
    """Schema 10 -> current: tables created, data kept, a match saved and read after."""
    index = MIGRATIONS.index(SAVED_MATCH_TABLES)
    path = tmp_path / "old.duckdb"
    with Store(path) as store:
        hw = Headway(store)
        hw.save_journey(hw.journey(JOURNEYS[0]))
        store.append_activities(batch(1, 200, range(20), T0, 5))
    conn = duckdb.connect(str(path))  # put the file back to the schema before saved matches
    for statements in MIGRATIONS[index:]:
        for statement in statements:
            if statement.lstrip().upper().startswith("CREATE TABLE"):
                conn.execute(f"DROP TABLE IF EXISTS {statement.split('(')[0].split()[-1]}")
    conn.execute("DELETE FROM schema_version WHERE version > ?", [index])
    conn.close()
    with Store(path) as store:
        assert store.execute("SELECT max(version) FROM schema_version").scalar() == SCHEMA_VERSION
        assert store.execute("SELECT count(*) FROM activities").scalar() == 200
        check(Headway(store))
        assert saved_count(store) == len(RANGES)
    with Store(path) as store:
        hw = Headway(store)
        check(hw)
        assert hw.cache.saved is not None and hw.cache.saved.stats.read == len(RANGES)


def test_headway_matches_lists_and_clears(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "cli.duckdb"
    with Store(path) as store:
        hw = Headway(store)
        hw.save_journey(hw.journey(JOURNEYS[0]))
        store.append_activities(batch(1, 200, range(20), T0, 5))
        check(hw)
    monkeypatch.setattr(state, "db", path)
    runner = CliRunner()
    listed = runner.invoke(app, ["--db", str(path), "matches", "list"])
    assert listed.exit_code == 0, listed.output
    assert listed.output.count("Ordered") == len(RANGES)
    cleared = runner.invoke(app, ["--db", str(path), "matches", "clear"])
    assert cleared.exit_code == 0, cleared.output
    assert f"cleared {len(RANGES)} saved matches" in cleared.output
    assert "no saved matches" in runner.invoke(app, ["--db", str(path), "matches", "list"]).output
    with Store(path) as store:
        hw = Headway(store)
        check(hw)  # matched again, and saved again
        assert hw.cache.saved is not None and hw.cache.saved.stats.matched == len(RANGES)


def test_a_restarted_server_serves_the_journey_page_from_the_saved_match(tmp_path: Path) -> None:
    path = tmp_path / "served.duckdb"
    with Store(path) as store:
        hw = Headway(store)
        hw.save_journey(hw.journey(JOURNEYS[0]))
        store.append_activities(batch(1, 600, range(60), T0, 10))
        hw.funnel("Ordered")  # the default view: matched and saved
        before = store.execute("SELECT key, seq, saved_at FROM saved_matches").rows
        want = funnel_report(match_journey(hw.backend, hw.journey("Ordered"), options()))
    config = tmp_path / "headway.toml"
    config.write_text(config_text(NEW_KEY))
    server = start_server(path, config)
    try:
        page = httpx.get(f"{server.url}/journeys/Ordered", timeout=60)
    finally:
        server.stop()
    assert page.status_code == 200
    entered = re.search(r'class="value">([0-9,]+)</span><span class="label">entered<', page.text)
    assert entered is not None and int(entered.group(1).replace(",", "")) == want.entered
    with Store(path) as store:  # read as saved: neither matched again nor saved again
        assert store.execute("SELECT key, seq, saved_at FROM saved_matches").rows == before
