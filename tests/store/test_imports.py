"""The import log: ids, counts, undo of exactly one import, the store's indexes after it."""

from __future__ import annotations

from pathlib import Path

import pytest

from headway.api import Headway
from headway.errors import Conflict
from headway.ingest.files import ImportOptions
from headway.store import Store
from headway.store.imports import get_import

SAMPLES = Path(__file__).parents[2] / "examples" / "imports"


def test_undo_keeps_other_imports_and_api_rows_and_the_indexes_right(
    store: Store, tmp_path: Path
) -> None:
    hw = Headway(store)
    hw.add_activities([{"id": "api-1", "contact": "zed", "type": "t", "ts": 1740992400}])
    first = hw.import_files([SAMPLES / "posthog.jsonl"], ImportOptions(preset="posthog"))
    second = hw.import_files([SAMPLES / "mixpanel.jsonl"], ImportOptions(preset="mixpanel"))
    assert (first.import_id, second.import_id) == (1, 2)
    before = store.execute("SELECT count(*) FROM activities").scalar()
    report = hw.undo_import(1)
    assert (report.activities_deleted, report.links_undone) == (8, 1)
    links = store.execute("SELECT import_id, status FROM identity_links ORDER BY id").rows
    assert links == [(1, "undone"), (2, "merged")]  # PostHog's $identify, Mixpanel's
    assert store.execute("SELECT count(*) FROM activities").scalar() == before - 8
    assert store.execute("SELECT count(*) FROM activities WHERE import_id = 2").scalar() == 9
    assert store.execute("SELECT count(*) FROM activities WHERE import_id IS NULL").scalar() == 1
    assert get_import(store, 1).status == "undone"
    # Appends after the undo: the id index lets the removed ids in again, the contact keys
    # (some contacts were removed) give new contacts fresh keys.
    again = hw.import_files([SAMPLES / "posthog.jsonl"], ImportOptions(preset="posthog"))
    assert (again.files[0].imported, again.files[0].duplicates) == (8, 0)
    hw.add_activities([{"id": "api-2", "contact": "yan", "type": "t", "ts": 1740992400}])
    keys = store.execute("SELECT count(*), count(DISTINCT key) FROM contacts").first()
    assert keys is not None and keys[0] == keys[1]
    assert hw.funnel(SAMPLES / "posthog.yaml", as_of="2025-04-01").stages[0].reached == 3
    with pytest.raises(Conflict):
        hw.undo_import(1)


def test_a_dry_run_gets_no_id_and_leaves_nothing(store: Store) -> None:
    hw = Headway(store)
    outcome = hw.import_files([SAMPLES / "ga4.jsonl"], ImportOptions(preset="ga4", dry_run=True))
    assert outcome.import_id is None
    assert (outcome.files[0].imported, outcome.files[0].identities) == (8, 3)
    for table in ("activities", "imports", "identity_links", "contacts"):
        assert store.execute(f"SELECT count(*) FROM {table}").scalar() == 0
    assert hw.imports() == []
