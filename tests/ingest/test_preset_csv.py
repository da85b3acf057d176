"""The generic preset (``--from csv``): columns named by --map, an anonymous-id column."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from headway.api import Headway
from headway.errors import InvalidInput
from headway.ingest.files import ImportOptions
from headway.ingest.mapping import ColumnMapping, parse_map
from headway.ingest.presets.csv import mapper
from headway.ingest.records import Rejected
from headway.store import Store

MAPPING = ColumnMapping(contact="user", type="event", ts="at", id="eid", anonymous="cookie")


def test_row_with_both_ids_claims_the_cookie() -> None:
    row = {"eid": "1", "user": "lu", "cookie": "ck", "event": "Demo", "at": "2025-03-03T10:00Z",
           "page.url": "/demo", "empty": None}  # fmt: skip
    mapped = mapper(MAPPING)(row)
    assert mapped.activities == [
        {"id": "1", "contact": "lu", "type": "Demo", "ts": "2025-03-03T10:00Z",
         "properties": {"page.url": "/demo"}}
    ]  # fmt: skip
    assert [(c.alias, c.contact) for c in mapped.identities] == [("ck", "lu")]


def test_row_without_contact_counts_for_the_cookie() -> None:
    mapped = mapper(MAPPING)({"cookie": "ck", "event": "x", "at": "2025-03-03T10:00Z"})
    assert mapped.activities[0]["contact"] == "ck"
    assert mapped.identities == []


def test_row_without_any_id_is_rejected() -> None:
    with pytest.raises(Rejected) as caught:
        mapper(MAPPING)({"event": "x", "at": "2025-03-03T10:00Z"})
    assert (caught.value.field, caught.value.reason) == ("user", "is required")


def test_claim_time_is_the_rows_validated_time(db_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_text(
        "user,cookie,event,at\n,ck,Visit,2025-03-03 09:00\nlu,ck,Demo,2025-03-03 10:00\n"
    )
    with Headway(Store(db_path)) as hw:
        hw.import_files([path], ImportOptions(preset="csv", mapping=MAPPING, tz="Europe/Prague"))
        (link,) = hw.identities()
    assert (link.alias, link.contact, link.claimed_at) == ("ck", "lu", datetime(2025, 3, 3, 9, 0))


def test_parse_map() -> None:
    mapping = parse_map(["contact=user_id,type=event name", "ts=time", "anonymous=cookie"])
    assert mapping == ColumnMapping(
        contact="user_id", type="event name", ts="time", anonymous="cookie"
    )
    with pytest.raises(InvalidInput) as caught:
        parse_map(["user=x"])
    assert caught.value.message == (
        "--map 'user=x' is not FIELD=COLUMN with FIELD one of: contact, type, ts, id, anonymous "
        "(for example --map contact=user_id,ts=time)"
    )
    with pytest.raises(InvalidInput, match="--map names two columns for ts: 'a', 'b'"):
        parse_map(["ts=a", "ts=b"])
