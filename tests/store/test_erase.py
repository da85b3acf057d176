"""Erasing a contact: its row and activities go in one transaction; nothing else changes."""

from __future__ import annotations

import pytest

from headway.api import Headway
from headway.errors import NotFound
from headway.store import Store
from headway.store.erase import PER_CONTACT_TABLES, SHARED_TABLES, erase_contact
from tests.engine.activity_log import load


def counts(store: Store) -> dict[str, int]:
    """Activities per contact id."""
    rows = store.execute(
        "SELECT c.id, count(a.id) FROM contacts c LEFT JOIN activities a ON a.contact_key = c.key"
        " GROUP BY c.id"
    ).rows
    return dict(rows)


@pytest.fixture
def world(store: Store) -> Store:
    load(
        store,
        [
            ("ann", "page_visit", "0s"),
            ("ann", "email_open", "1h", {"email": "w"}),
            ("bob", "page_visit", "2h"),
        ],
    )
    return store


def test_erase_removes_the_contact_and_only_its_activities(world: Store) -> None:
    report = erase_contact(world, "ann")
    assert report.to_dict() == {
        "contact": "ann",
        "activities_deleted": 2,
        "contact_deleted": True,
        "merged_ids": [],
        "removed": {
            "activities": 2,
            "catalog_properties": 1,  # email_open's "email": only ann had it
            "catalog_type_contacts": 2,
            "catalog_types": 1,  # email_open: only ann had one
            "catalog_values": 1,
            "cohort_members": 0,
            "contacts": 1,
            "demo_truth": 0,
            "identity_links": 0,
            "identity_resolved": 0,
        },
        "suppressed": True,
    }
    assert counts(world) == {"bob": 1}


def test_erasing_an_unknown_or_erased_contact_is_not_found(world: Store) -> None:
    erase_contact(world, "ann")
    with pytest.raises(NotFound, match="ann"):
        erase_contact(world, "ann")
    with pytest.raises(NotFound):
        erase_contact(world, "nobody")


def test_a_contact_with_the_same_id_can_come_back(world: Store) -> None:
    erase_contact(world, "bob")  # bob holds the highest key: a new contact may reuse it
    Headway(world).add_activities(
        [
            {"contact": "bob", "type": "page_visit", "ts": "2025-02-01T00:00:00Z"},
            {"contact": "cy", "type": "page_visit", "ts": "2025-02-01T00:00:00Z"},
        ]
    )
    assert counts(world) == {"ann": 2, "bob": 1, "cy": 1}
    keys = world.execute("SELECT key FROM contacts").rows
    assert len(set(keys)) == 3


def test_a_resent_activity_id_is_stored_again_after_erasure(world: Store) -> None:
    record = {"id": "esp-1", "contact": "ann", "type": "email_click", "ts": "2025-01-01T00:00:00Z"}
    assert Headway(world).add_activities([record]).accepted == 1
    erase_contact(world, "ann")
    assert Headway(world).add_activities([record]).accepted == 1
    assert counts(world)["ann"] == 1


def test_demo_truth_labels_of_the_activities_go_too(world: Store) -> None:
    world.write(lambda c: c.execute("CREATE TABLE demo_truth (activity_id VARCHAR, label VARCHAR)"))
    world.write(lambda c: c.execute("INSERT INTO demo_truth SELECT id, 'human' FROM activities"))
    erase_contact(world, "ann")
    assert world.execute("SELECT count(*) FROM demo_truth").scalar() == 1


def test_every_table_is_known_as_per_contact_or_shared(store: Store) -> None:
    # A new table must be classified here: if it holds data about a contact, erase it too.
    tables = {r[0] for r in store.execute("SELECT table_name FROM duckdb_tables()").rows}
    unknown = tables - PER_CONTACT_TABLES - SHARED_TABLES
    assert not unknown, f"classify {sorted(unknown)} in headway.store.erase"
