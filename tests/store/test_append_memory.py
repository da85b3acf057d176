"""The append path's in-memory helpers (id hashes, contact keys) never change an answer:
writes that bypass them (erasure, contact inserts, bulk relations, rollbacks) are noticed."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pyarrow as pa
import pytest

from headway.store import Store, appends
from headway.store.erase import erase_contact
from headway.store.id_index import IdIndex


def batch(ids: list[str], contact: str = "c1") -> pa.Table:
    n = len(ids)
    return pa.table(
        {
            "id": pa.array(ids, pa.string()),
            "contact": [contact] * n,
            "type": ["page_visit"] * n,
            "ts": pa.array([datetime(2025, 1, 1)] * n, pa.timestamp("us")),
            "properties": ['{"url": "/"}'] * n,
            "bot": [False] * n,
            "bot_reason": pa.array([None] * n, pa.string()),
            "source": ["test"] * n,
        }
    )


def contacts(store: Store) -> list[tuple[int, str]]:
    return store.execute("SELECT key, id FROM contacts ORDER BY key").rows


def test_index_levels_hold_every_hash_added() -> None:
    index = IdIndex()
    index.rows, index.levels = 0, []
    rng = np.random.default_rng(7)
    added = [rng.integers(0, 2**63, 100, dtype=np.uint64) for _ in range(50)]
    for hashes in added:
        index.add(hashes, len(hashes))
    everything = np.concatenate(added)
    assert index.candidates(everything).all()
    assert len(index.levels) <= 7  # merged like a binary counter
    assert all((level[1:] >= level[:-1]).all() for level in index.levels)
    assert not index.candidates(np.array([2**63 + 5], dtype=np.uint64)).any()


def test_ids_erased_then_resent_are_stored_again(store: Store) -> None:
    store.append_activities(batch(["a", "b"], contact="ann"))
    store.append_activities(batch(["c"], contact="bob"))
    erase_contact(store, "ann")
    again = store.append_activities(batch(["a", "b", "c"], contact="ann"))
    assert (again.accepted, again.duplicates) == (2, 1)
    assert store.execute("SELECT count(*), count(DISTINCT id) FROM activities").first() == (3, 3)


def test_erased_contact_key_reused_by_another_write_is_not_confused(store: Store) -> None:
    store.append_activities(batch(["a"], contact="ann"))
    store.append_activities(batch(["b"], contact="bob"))  # bob has the highest key, 1
    erase_contact(store, "bob")
    # A write outside the append path gives key 1 to someone else.
    store.write(
        lambda c: c.execute(
            "INSERT INTO contacts (key, id, created_at, updated_at) VALUES (1, 'carl', now(), now())"
        )
    )
    store.append_activities(batch(["c"], contact="bob"))
    store.append_activities(batch(["d"], contact="carl"))
    assert contacts(store) == [(0, "ann"), (1, "carl"), (2, "bob")]
    owners = store.execute(
        "SELECT a.id, c.id FROM activities a JOIN contacts c ON c.key = a.contact_key ORDER BY 1"
    ).rows
    assert owners == [("a", "ann"), ("c", "bob"), ("d", "carl")]


def test_rows_added_through_a_relation_are_known_to_later_batches(store: Store) -> None:
    def bulk(conn: object) -> object:
        store._write_conn().register("_rel", batch(["r1", "r2"], contact="dan"))
        return store.append_relation(store._write_conn(), "_rel")

    store.append_activities(batch(["x"], contact="eve"))
    store.write(bulk)
    again = store.append_activities(batch(["r1", "r2", "y"], contact="dan"))
    assert (again.accepted, again.duplicates) == (1, 2)
    assert contacts(store) == [(0, "eve"), (1, "dan")]


def test_a_failed_write_leaves_no_stale_keys(store: Store) -> None:
    store.append_activities(batch(["a"], contact="ann"))

    def fail(conn: object) -> None:
        store._write_conn().execute(
            "INSERT INTO contacts (key, id, created_at, updated_at) VALUES (1, 'zed', now(), now())"
        )
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        store.write(fail)
    store.append_activities(batch(["b"], contact="bob"))
    assert contacts(store) == [(0, "ann"), (1, "bob")]


def test_memory_survives_reopen(db_path: object) -> None:
    with Store(db_path) as store:  # type: ignore[arg-type]
        store.append_activities(batch(["a", "b"], contact="ann"))
    with Store(db_path) as store:  # type: ignore[arg-type]
        again = store.append_activities(batch(["b", "c"], contact="bob"))
        assert (again.accepted, again.duplicates) == (1, 1)
        assert contacts(store) == [(0, "ann"), (1, "bob")]


def test_rows_appended_behind_the_index_are_still_duplicates(store: Store) -> None:
    store.append_activities(batch(["a"]))
    store.write(lambda conn: appends.append_arrow(conn, batch(["z"])))  # no index passed
    again = store.append_activities(batch(["z", "y"]))
    assert (again.accepted, again.duplicates) == (1, 1)
