"""Reading contacts: one contact, its timeline, and the ``contacts show`` tables."""

from __future__ import annotations

from datetime import datetime

import pytest
from rich.console import Console

from headway.api import Headway
from headway.cli.contact_show import show_contact
from headway.errors import NotFound
from headway.ingest.records import validate_records
from headway.store import Store
from headway.store.contacts import contact_timeline, get_contact


@pytest.fixture
def filled(store: Store) -> Store:
    """Contact a with three activities (one a bot open), contact b with one."""
    table, _ = validate_records(
        [
            {"id": "2", "contact": "a@x.com", "type": "email_open", "ts": "2024-03-02T00:00:00Z",
             "bot": True, "bot_reason": "apple_mpp", "email": "welcome-1"},
            {"id": "1", "contact": "a@x.com", "type": "page_visit", "ts": "2024-03-01T10:00:00Z",
             "url": "/pricing"},
            {"id": "3", "contact": "a@x.com", "type": "purchase", "ts": "2024-03-05T08:00:00Z"},
            {"id": "4", "contact": "b", "type": "page_visit", "ts": "2024-03-01T10:00:00Z"},
        ],
        source="api",
    )  # fmt: skip
    store.append_activities(table)
    store.write(
        lambda c: c.execute(
            """UPDATE contacts SET attributes = '{"name": "Ann", "country": "DE"}'
            WHERE id = 'a@x.com'"""
        )
    )
    return store


def test_get_contact(filled: Store) -> None:
    contact = get_contact(filled, "a@x.com")
    assert contact is not None
    assert {k: contact[k] for k in ("id", "email", "attributes", "subscription", "activities")} == {
        "id": "a@x.com",
        "email": "a@x.com",
        "attributes": {"name": "Ann", "country": "DE"},
        "subscription": "subscribed",
        "activities": 3,
    }
    assert (contact["first_seen"], contact["last_seen"]) == (
        datetime(2024, 3, 1, 10),
        datetime(2024, 3, 5, 8),
    )
    assert get_contact(filled, "nobody") is None


def test_contact_without_activities(filled: Store) -> None:
    filled.write(
        lambda c: c.execute(
            "INSERT INTO contacts (key, id, created_at, updated_at) VALUES (99, 'z', now(), now())"
        )
    )
    contact = get_contact(filled, "z")
    assert contact is not None
    assert (contact["activities"], contact["first_seen"], contact["attributes"]) == (0, None, {})


def test_timeline_is_ordered_by_time_with_names_and_properties(filled: Store) -> None:
    timeline = contact_timeline(filled, "a@x.com")
    assert [(a["id"], a["type"]) for a in timeline] == [
        ("1", "page_visit"),
        ("2", "email_open"),
        ("3", "purchase"),
    ]
    assert timeline[0]["properties"] == {"url": "/pricing"}
    assert (timeline[1]["bot"], timeline[1]["bot_reason"]) == (True, "apple_mpp")
    assert [a["id"] for a in contact_timeline(filled, "a@x.com", limit=2)] == ["1", "2"]
    assert contact_timeline(filled, "nobody") == []


def test_show_contact_prints_attributes_and_timeline(filled: Store) -> None:
    console = Console(record=True, width=200)
    show_contact(Headway(filled), "a@x.com", console)
    text = console.export_text()
    assert "Contact a@x.com" in text
    assert "country" in text and "DE" in text
    assert "Timeline (3 activities)" in text
    assert text.index("page_visit") < text.index("email_open") < text.index("purchase")
    assert "bot (apple_mpp)" in text
    assert '{"url":"/pricing"}' in text


def test_show_unknown_contact_is_not_found(filled: Store) -> None:
    with pytest.raises(NotFound, match="there is no contact 'nobody'"):
        show_contact(Headway(filled), "nobody", Console(record=True))
