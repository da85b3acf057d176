"""Stored journeys: versions, unchanged saves, soft delete, lookups by file or name."""

from __future__ import annotations

from pathlib import Path

import pytest

from headway.errors import InvalidJourney, NotFound
from headway.model.journey import parse_journey
from headway.store import Store
from headway.store.journeys import (
    delete_journey,
    get_journey,
    get_source_text,
    journey_versions,
    list_journeys,
    resolve_journey,
    save_journey,
)

V1 = "name: Leads\nwindow: 7d\nstages:\n  - {name: A, when: {type: page_visit}}\n"
V1_REFORMATTED = (
    "name: Leads\nwindow: 1w   # same thing\nstages: [{name: A, when: {type: [page_visit]}}]\n"
)
V2 = V1 + "  - {name: B, when: {type: email_click}}\n"


def save(store: Store, text: str) -> int:
    return save_journey(store, parse_journey(text), text)


def test_each_change_is_a_new_version(store: Store) -> None:
    assert save(store, V1) == 1
    assert save(store, V2) == 2
    assert get_journey(store, "Leads") == (parse_journey(V2), 2)
    assert get_journey(store, "Leads", 1) == (parse_journey(V1), 1)
    assert [v.version for v in journey_versions(store, "Leads")] == [1, 2]
    assert [v.stage_count for v in journey_versions(store, "Leads")] == [1, 2]


def test_saving_the_same_definition_adds_no_version(store: Store) -> None:
    assert save(store, V1) == 1
    assert save(store, V1) == 1
    assert save(store, V1_REFORMATTED) == 1
    assert len(journey_versions(store, "Leads")) == 1
    assert get_source_text(store, "Leads", 1) == V1


def test_list_shows_latest_versions_by_name(store: Store) -> None:
    save(store, V1)
    save(store, V2)
    save(store, V1.replace("Leads", "Buyers"))
    listed = [(j.name, j.version, j.stage_count, j.deleted) for j in list_journeys(store)]
    assert listed == [("Buyers", 1, 1, False), ("Leads", 2, 2, False)]


def test_delete_is_soft(store: Store) -> None:
    save(store, V1)
    save(store, V2)
    assert delete_journey(store, "Leads") == 2
    assert list_journeys(store) == []
    with pytest.raises(NotFound, match="journey 'Leads' was deleted"):
        get_journey(store, "Leads")
    assert get_journey(store, "Leads", 1)[1] == 1
    assert all(v.deleted for v in journey_versions(store, "Leads"))
    # Saving again brings it back as a new version, even with an old definition.
    assert save(store, V1) == 3
    assert get_journey(store, "Leads")[1] == 3


def test_not_found_messages(store: Store) -> None:
    save(store, V1)
    with pytest.raises(NotFound) as caught:
        get_journey(store, "leads")
    assert caught.value.message == "no journey named 'leads' (did you mean 'Leads'?)"
    with pytest.raises(NotFound, match=r"^no journey named 'Other'$"):
        get_journey(store, "Other")
    with pytest.raises(NotFound) as caught:
        get_journey(store, "Leads", 7)
    assert caught.value.message == "journey 'Leads' has no version 7 (versions 1 to 1)"
    with pytest.raises(NotFound):
        journey_versions(store, "Other")
    with pytest.raises(NotFound):
        delete_journey(store, "Other")


def test_resolve_prefers_an_existing_file(store: Store, tmp_path: Path) -> None:
    save(store, V1)
    file = tmp_path / "leads.yaml"
    file.write_text(V2)
    assert resolve_journey(store, str(file)) == parse_journey(V2)
    assert resolve_journey(None, str(file)) == parse_journey(V2)
    assert resolve_journey(store, "Leads") == parse_journey(V1)


def test_resolve_a_stored_name_that_looks_like_a_file(store: Store) -> None:
    save(store, V1.replace("Leads", "plan.yaml"))
    assert resolve_journey(store, "plan.yaml").name == "plan.yaml"


def test_resolve_errors(store: Store, tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="no journey named 'Nope'"):
        resolve_journey(store, "Nope")
    with pytest.raises(NotFound, match=r"journey file .*missing.yaml does not exist"):
        resolve_journey(store, str(tmp_path / "missing.yaml"))
    with pytest.raises(NotFound, match="no database to look up names"):
        resolve_journey(None, "Leads")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nstages: []\n")
    with pytest.raises(InvalidJourney, match="stages: needs 1 to 63 stages"):
        resolve_journey(store, str(bad))


def test_versions_survive_reopening(db_path: Path) -> None:
    with Store(db_path) as store:
        save(store, V1)
        save(store, V2)
    with Store(db_path) as store:
        assert get_journey(store, "Leads", 1)[0] == parse_journey(V1)
        assert get_journey(store, "Leads")[1] == 2
