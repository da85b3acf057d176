"""Contact attributes: upsert by contact id, merged attributes, new contacts get dense keys."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from headway.errors import InvalidInput
from headway.ingest.contacts import import_contacts
from headway.ingest.records import validate_records
from headway.store import Store


def contacts(store: Store) -> dict[str, tuple[int, str | None, dict[str, object]]]:
    """Contact id -> (key, email, attributes)."""
    rows = store.execute("SELECT id, key, email, CAST(attributes AS VARCHAR) FROM contacts").rows
    return {r[0]: (r[1], r[2], orjson.loads(r[3]) if r[3] else {}) for r in rows}


def test_creates_and_merges_attributes(store: Store, tmp_path: Path) -> None:
    table, _ = validate_records([{"contact": "a", "type": "t", "ts": 1709287200}], source="api")
    store.append_activities(table)
    first = tmp_path / "crm.csv"
    first.write_text("id,email,name,country,lifecycle\na,a@x.com,Ann,DE,lead\nb,,Bo,FR,\n")
    result = import_contacts(store, first)
    assert (result.created, result.updated, result.skipped) == (1, 1, 0)
    assert contacts(store) == {
        "a": (0, "a@x.com", {"name": "Ann", "country": "DE", "lifecycle": "lead"}),
        "b": (1, None, {"name": "Bo", "country": "FR"}),
    }
    second = tmp_path / "crm.jsonl"
    second.write_text(
        '{"crm_id": "a", "lifecycle": "customer", "score": 7}\n'
        '{"crm_id": "c", "email": "c@x.com"}\n{"crm_id": null, "name": "nobody"}\n'
    )
    result = import_contacts(store, second, id_col="crm_id")
    assert (result.created, result.updated, result.skipped) == (1, 1, 1)
    assert contacts(store)["a"] == (
        0,
        "a@x.com",
        {"name": "Ann", "country": "DE", "lifecycle": "customer", "score": 7},
    )
    assert contacts(store)["c"] == (2, "c@x.com", {})


def test_last_row_of_a_repeated_contact_wins(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "crm.csv"
    path.write_text("id,plan\na,free\na,pro\n")
    import_contacts(store, path)
    assert contacts(store)["a"][2] == {"plan": "pro"}


def test_missing_id_column_is_one_sentence(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "crm.csv"
    path.write_text("user,name\na,Ann\n")
    with pytest.raises(InvalidInput) as caught:
        import_contacts(store, path)
    assert caught.value.message == (
        f"{path} has no column 'id' for the contact id (its columns: user, name); "
        "name the right one with --id-col"
    )
