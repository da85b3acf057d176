"""The store: migrations, the append path (dedupe, content ids, dictionaries), group commit
under concurrent writers, durability across reopen, and clear errors for unusable files."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pytest

from headway.errors import StoreError
from headway.store import Store
from headway.store.catalog import TypeContacts
from headway.store.schema import SCHEMA_VERSION


def batch(ids: list[str | None], contact: str = "c1", ts: datetime | None = None) -> pa.Table:
    n = len(ids)
    return pa.table(
        {
            "id": pa.array(ids, pa.string()),
            "contact": [contact] * n,
            "type": ["page_visit"] * n,
            "ts": pa.array([ts or datetime(2025, 1, 1)] * n, pa.timestamp("us")),
            "properties": ['{"url": "/"}'] * n,
            "bot": [False] * n,
            "bot_reason": pa.array([None] * n, pa.string()),
            "source": ["test"] * n,
        }
    )


def test_migrations_create_every_table_once(db_path: Path) -> None:
    with Store(db_path) as store:
        tables = {r[0] for r in store.execute("SELECT table_name FROM information_schema.tables")}
        assert {
            "activities",
            "contacts",
            "activity_types",
            "emails",
            "email_links",
            "journeys",
        } <= tables
    with Store(db_path) as store:  # reopening applies nothing twice
        versions = [r[0] for r in store.execute("SELECT version FROM schema_version ORDER BY 1")]
        assert versions == list(range(1, SCHEMA_VERSION + 1))


def test_duplicate_ids_dropped_within_batch_and_against_log(store: Store) -> None:
    first = store.append_activities(batch(["a", "b", "a"]))
    assert (first.accepted, first.duplicates) == (2, 1)
    again = store.append_activities(batch(["b", "c"]))
    assert (again.accepted, again.duplicates) == (1, 1)
    assert store.execute("SELECT count(*) FROM activities").scalar() == 3


def test_missing_ids_derive_from_content(store: Store) -> None:
    store.append_activities(batch([None], ts=datetime(2025, 1, 1, 8)))
    repeat = store.append_activities(batch([None], ts=datetime(2025, 1, 1, 8)))
    other = store.append_activities(batch([None], ts=datetime(2025, 1, 1, 9)))
    assert (repeat.accepted, repeat.duplicates, other.accepted) == (0, 1, 1)


def test_contacts_and_types_get_dense_keys(store: Store) -> None:
    store.append_activities(batch(["a"], contact="ann@example.com"))
    store.append_activities(batch(["b"], contact="bob"))
    rows = store.execute("SELECT key, id, email FROM contacts ORDER BY key").rows
    assert rows == [(0, "ann@example.com", "ann@example.com"), (1, "bob", None)]
    assert store.execute("SELECT code, name FROM activity_types").rows == [(1, "page_visit")]


def test_concurrent_appends_are_group_committed_exactly_once(store: Store) -> None:
    results: list[tuple[int, int]] = []
    lock = threading.Lock()

    def writer(t: int) -> None:
        for i in range(20):
            # Every id is sent by two threads: exactly one of them may store it.
            r = store.append_activities(
                batch([f"{(t // 2)}-{i}-{k}" for k in range(5)], contact=f"c{t}")
            )
            with lock:
                results.append((r.accepted, r.duplicates))

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    accepted = sum(a for a, _ in results)
    assert accepted == 4 * 20 * 5
    assert sum(d for _, d in results) == 4 * 20 * 5
    assert store.execute("SELECT count(*), count(DISTINCT id) FROM activities").first() == (
        400,
        400,
    )


def test_appends_survive_reopen(db_path: Path) -> None:
    with Store(db_path) as store:
        store.append_activities(batch(["a", "b"]))
    with Store(db_path, read_only=True) as store:
        assert store.execute("SELECT count(*) FROM activities").scalar() == 2
        with pytest.raises(StoreError, match="read-only"):
            store.append_activities(batch(["c"]))


def test_write_rolls_back_on_error(store: Store) -> None:
    def fail(conn: object) -> None:
        store._write_conn().execute(
            "INSERT INTO emails (id, name, created_at) VALUES ('e', 'E', now())"
        )
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        store.write(fail)
    assert store.execute("SELECT count(*) FROM emails").scalar() == 0


def test_unusable_files_give_one_sentence(tmp_path: Path) -> None:
    junk = tmp_path / "junk.duckdb"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="is not a DuckDB database"):
        Store(junk)
    with pytest.raises(StoreError, match="does not exist"):
        Store(tmp_path / "missing.duckdb", read_only=True)


def test_database_in_use_by_another_process(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEADWAY_LOCK_WAIT", "0")  # fail at once (tests/store/test_lock_wait.py)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"from headway.store import Store; s = Store({str(db_path)!r}); print('ready', flush=True); input()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        with pytest.raises(StoreError, match="in use by another"):
            Store(db_path)
    finally:
        holder.kill()
        holder.communicate()


def test_writes_that_keep_contacts_keep_the_appends_contact_keys(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A live-state or delivery write (``keeps_contacts``) moves readers' generation on but
    leaves the append path's contact keys current; any other write makes the next append
    reload them. Either way the keys given are the stored ones."""
    reloads: list[int] = []
    load = TypeContacts.load
    monkeypatch.setattr(
        TypeContacts, "load", lambda self, conn: (reloads.append(1), load(self, conn))
    )
    store.append_activities(batch(["a1"], contact="c1"))
    assert len(reloads) == 1  # the first append loads the map
    store.write(lambda c: c.execute("CREATE TABLE kept (x INT)"), keeps_contacts=True)
    before = store.generation
    store.append_activities(batch(["a2"], contact="c2"))
    assert len(reloads) == 1 and store.generation == before + 1
    store.write(
        lambda c: c.execute(
            "INSERT INTO contacts (id, key, created_at, updated_at) VALUES ('side', 7, now(), now())"
        )
    )
    store.append_activities(batch(["a3"], contact="c3"))
    assert len(reloads) == 2  # another write: reloaded, so c3 does not take key 7
    keys = dict(store.execute("SELECT id, key FROM contacts").rows)
    assert keys == {"c1": 0, "c2": 1, "side": 7, "c3": 8}


def test_generation_counts_committed_writes_only(store: Store) -> None:
    start = store.generation
    store.write(lambda c: c.execute("CREATE TABLE g (x INT)"))
    assert store.generation == start + 1
    with pytest.raises(ZeroDivisionError):
        store.write(lambda c: 1 // 0)
    assert store.generation == start + 1
