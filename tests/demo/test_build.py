"""Building the demo world: reproducible, sized, consistent with its email catalogue."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

from headway.demo import DemoConfig, build_demo
from headway.demo.campaigns import EMAILS
from headway.demo.world import CHUNK_CONTACTS
from headway.errors import Conflict, InvalidInput
from headway.store import Store

Builder = Callable[[DemoConfig], Path]

LOG = """SELECT a.id, c.id AS contact, t.name AS type, a.ts, CAST(a.properties AS VARCHAR),
                a.bot, a.bot_reason, a.source
         FROM activities a JOIN contacts c ON c.key = a.contact_key
         JOIN activity_types t ON t.code = a.type_code ORDER BY a.id"""


def _log(path: Path) -> list[tuple[object, ...]]:
    with Store(path, read_only=True) as store:
        return store.execute(LOG).rows


def test_same_seed_builds_identical_activities(demo_db: Builder, tmp_path: Path) -> None:
    first = _log(demo_db(DemoConfig(contacts=500, seed=3)))
    again = tmp_path / "again.duckdb"
    with Store(again) as store:
        build_demo(store, DemoConfig(contacts=500, seed=3))
    assert _log(again) == first
    assert len(first) > 500 * 10


def test_other_seed_builds_other_activities(demo_db: Builder) -> None:
    one = _log(demo_db(DemoConfig(contacts=500, seed=3)))
    other = _log(demo_db(DemoConfig(contacts=500, seed=4)))
    assert {r[1] for r in one} != {r[1] for r in other}
    assert [r[3] for r in one] != [r[3] for r in other]


def test_size_follows_contacts(demo_db: Builder) -> None:
    with Store(demo_db(DemoConfig(contacts=500, seed=3)), read_only=True) as store:
        assert store.execute("SELECT count(*) FROM contacts").scalar() == 500
        per_contact = store.execute("SELECT count(*) FROM activities").scalar() / 500
    assert 15 < per_contact < 40


def test_activities_lie_in_the_fixed_window(world: Store) -> None:
    low, high = world.execute("SELECT min(ts), max(ts) FROM activities").first() or ()
    assert datetime(2025, 3, 2) <= low and high < datetime(2025, 6, 30)


def test_every_email_event_names_a_registered_email(world: Store) -> None:
    orphans = world.execute(
        """SELECT count(*) FROM activities a JOIN activity_types t ON t.code = a.type_code
           WHERE t.name LIKE 'email_%' AND (a.properties->>'email') NOT IN (SELECT id FROM emails)"""
    ).scalar()
    assert orphans == 0
    assert world.execute("SELECT count(*) FROM emails").scalar() == len(EMAILS)


def test_every_click_names_a_registered_link(world: Store) -> None:
    unknown = world.execute(
        """SELECT count(*) FROM activities a JOIN activity_types t ON t.code = a.type_code
           LEFT JOIN email_links l ON l.email_id = a.properties->>'email'
                AND l.link_id = a.properties->>'link' AND l.url = a.properties->>'url'
           WHERE t.name = 'email_click' AND l.link_id IS NULL"""
    ).scalar()
    assert unknown == 0


def test_each_email_has_one_honeypot_link(world: Store) -> None:
    rows = world.execute(
        "SELECT email_id, count(*) FILTER (honeypot) FROM email_links GROUP BY 1"
    ).rows
    assert sorted(r[0] for r in rows) == sorted(e.id for e in EMAILS)
    assert {r[1] for r in rows} == {1}


def test_bot_labels_are_left_to_the_labeller(world: Store) -> None:
    assert (
        world.execute(
            "SELECT count(*) FROM activities WHERE bot OR bot_reason IS NOT NULL"
        ).scalar()
        == 0
    )


def test_truth_labels_every_open_and_click(world: Store) -> None:
    row = world.execute(
        """SELECT count(*), count(d.label) FROM activities a
           JOIN activity_types t ON t.code = a.type_code
           LEFT JOIN demo_truth d ON d.activity_id = a.id
           WHERE t.name IN ('email_open', 'email_click')"""
    ).first()
    assert row is not None and row[0] == row[1] > 0
    labels = {r[0] for r in world.execute("SELECT DISTINCT label FROM demo_truth")}
    assert labels == {"human", "mpp", "gmail_prefetch", "scanner"}


def test_contacts_carry_attributes(world: Store) -> None:
    row = world.execute(
        """SELECT count(*) FILTER (attributes->>'email' = id AND attributes->>'country' IS NOT NULL
                                   AND attributes->>'lifecycle' IS NOT NULL
                                   AND attributes->>'company_size' IS NOT NULL
                                   AND attributes->>'name' IS NOT NULL), count(*)
           FROM contacts"""
    ).first()
    assert row is not None and row[0] == row[1] == 10_000


def test_purchases_carry_numeric_values(world: Store) -> None:
    kinds = world.execute(
        """SELECT DISTINCT json_type(a.properties->'value') FROM activities a
           JOIN activity_types t ON t.code = a.type_code WHERE t.name = 'purchase'"""
    ).rows
    assert kinds == [("DOUBLE",)]


def test_refuses_a_database_with_activities(demo_db: Builder) -> None:
    with Store(demo_db(DemoConfig(contacts=500, seed=3))) as store, pytest.raises(Conflict):
        build_demo(store, DemoConfig(contacts=500, seed=3))


@pytest.mark.parametrize("contacts", [0, -5])
def test_contacts_must_be_positive(contacts: int) -> None:
    with pytest.raises(InvalidInput, match="positive"):
        DemoConfig(contacts=contacts)


@pytest.mark.slow
def test_several_chunks_make_one_consistent_world(demo_db: Builder) -> None:
    contacts = CHUNK_CONTACTS + 500
    with Store(demo_db(DemoConfig(contacts=contacts, seed=5)), read_only=True) as store:
        row = store.execute(
            """SELECT count(*), count(DISTINCT id), count(DISTINCT contact_key),
                      max(contact_key) FROM activities"""
        ).first()
        truth_orphans = store.execute(
            "SELECT count(*) FROM demo_truth WHERE activity_id NOT IN (SELECT id FROM activities)"
        ).scalar()
    assert row is not None
    total, ids, keys, top = row
    assert total == ids and keys == contacts and top == contacts - 1
    assert truth_orphans == 0
