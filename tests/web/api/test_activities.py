"""POST /api/v1/activities in process: every answer and every error path of batch ingestion."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
import pytest
from fastapi import FastAPI

from headway.settings import Settings
from headway.store import Store
from headway.store.api_keys import create_key
from headway.web.api.activities import MAX_RECORDS
from headway.web.app import create_app
from tests.web.api.conftest import error_of
from tests.web.conftest import Client

URL = "/api/v1/activities"
TS = "2025-06-01T12:00:00Z"
LINES = {"Content-Type": "application/x-ndjson"}


def act(i: int | str, **extra: Any) -> dict[str, Any]:
    """A valid activity with id ``e<i>``."""
    return {"id": f"e{i}", "contact": "ann@example.com", "type": "page_visit", "ts": TS, **extra}


def lines(*records: Any) -> bytes:
    return b"\n".join(r if isinstance(r, bytes) else orjson.dumps(r) for r in records)


@pytest.fixture
def app(store: Store) -> FastAPI:
    return create_app(store, Settings())


@pytest.fixture
def client(app: FastAPI) -> Client:
    return Client(app)


def stored(store: Store) -> list[tuple[Any, ...]]:
    return store.execute(
        """SELECT a.id, c.id, t.name, a.ts, a.properties, a.source FROM activities a
        JOIN contacts c ON c.key = a.contact_key JOIN activity_types t ON t.code = a.type_code
        ORDER BY a.id"""
    ).rows


def test_a_json_array_is_stored_and_answered(client: Client, store: Store) -> None:
    batch = [
        act(1, url="/pricing"),
        act(2, ts="2025-06-01T14:00:00+02:00", properties={"value": 3}),
    ]
    r = client.post(URL, json=batch)
    assert r.status_code == 200, r.text
    assert r.json() == {"accepted": 2, "duplicates": 0, "rejected": []}
    assert stored(store) == [
        ("e1", "ann@example.com", "page_visit", datetime(2025, 6, 1, 12), '{"url":"/pricing"}', "api"),
        ("e2", "ann@example.com", "page_visit", datetime(2025, 6, 1, 12), '{"value":3}', "api"),
    ]  # fmt: skip


def test_json_lines_with_blank_lines_and_charset(client: Client, store: Store) -> None:
    body = lines(act(1), b"", act(2, type="bad\ttype"), b"  ", act(3)) + b"\n"
    r = client.post(URL, content=body, headers={"Content-Type": "application/jsonl; charset=utf-8"})
    assert r.status_code == 200, r.text
    reason = "contains a control character (U+0009) at position 4"
    assert r.json() == {
        "accepted": 2,
        "duplicates": 0,
        "rejected": [{"index": 1, "line": 3, "field": "type", "reason": reason}],
    }
    assert [row[0] for row in stored(store)] == ["e1", "e3"]


def test_each_rejected_record_names_index_field_and_reason(client: Client, store: Store) -> None:
    batch = [
        act(0),
        {"id": "e1", "type": "page_visit", "ts": TS},
        act(2, ts="yesterday"),
        "not an object",
        act(4, properties=[1]),
        act(5, bot="yes"),
        act(6),
    ]
    r = client.post(URL, json=batch)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["accepted"], body["duplicates"]) == (2, 0)
    assert body["rejected"] == [
        {"index": 1, "field": "contact", "reason": "is required"},
        {"index": 2, "field": "ts", "reason": "'yesterday' is not a date"},
        {"index": 3, "field": None, "reason": "is not a JSON object"},
        {"index": 4, "field": "properties", "reason": "must be a JSON object"},
        {"index": 5, "field": "bot", "reason": "must be true or false"},
    ]
    assert [row[0] for row in stored(store)] == ["e0", "e6"]


def test_a_batch_with_every_record_rejected_is_422(client: Client, store: Store) -> None:
    r = client.post(URL, json=[act(0, ts="2025-06-01T12:00:00"), {"contact": "x"}])
    error = error_of(r, 422)
    assert "every activity of the batch was rejected (2)" in error["message"]
    assert error["details"] == [
        {
            "record": 0,
            "field": "ts",
            "reason": "'2025-06-01T12:00:00' has no time zone (add an offset or pass ?tz=)",
        },
        {"record": 1, "field": "type", "reason": "is required"},
    ]
    assert stored(store) == []


def test_tz_parameter_places_naive_timestamps(client: Client, store: Store) -> None:
    r = client.post(URL + "?tz=Europe/Berlin", json=[act(1, ts="2025-06-01T14:00:00")])
    assert r.json()["accepted"] == 1
    assert stored(store)[0][3] == datetime(2025, 6, 1, 12)
    error = error_of(client.post(URL + "?tz=Mars/Base", json=[act(2)]), 422)
    assert "unknown time zone 'Mars/Base'" in error["message"]


def test_duplicates_within_and_across_batches(client: Client, store: Store) -> None:
    first = client.post(URL, json=[act(1), act(2), act(1)]).json()
    assert (first["accepted"], first["duplicates"]) == (2, 1)
    retry = client.post(URL, json=[act(1), act(2)]).json()  # a client retrying the batch
    assert (retry["accepted"], retry["duplicates"]) == (0, 2)
    more = client.post(URL, content=lines(act(2), act(3)), headers=LINES).json()
    assert (more["accepted"], more["duplicates"]) == (1, 1)
    assert [row[0] for row in stored(store)] == ["e1", "e2", "e3"]


def test_activities_without_ids_dedupe_by_content(client: Client, store: Store) -> None:
    record = {"contact": "bob", "type": "purchase", "ts": TS, "value": 9}
    assert client.post(URL, json=[record]).json()["accepted"] == 1
    assert client.post(URL, json=[record]).json()["duplicates"] == 1


def test_malformed_json_names_line_and_column(client: Client, store: Store) -> None:
    body = (
        b'[\n  {"contact": "a", "type": "page_visit", "ts": "'
        + TS.encode()
        + b'"},\n  {"id": ,}\n]'
    )
    error = error_of(
        client.post(URL, content=body, headers={"Content-Type": "application/json"}), 422
    )
    assert error["message"].startswith("the body is not valid JSON: ")
    assert "at line 3, column 10" in error["message"]
    assert error["details"][0]["field"] == "body"
    assert stored(store) == []


def test_a_bad_json_line_names_its_line_and_stores_nothing(client: Client, store: Store) -> None:
    body = lines(act(1), b"", act(2), b'{"id": "e3", "contact": ', act(4))
    error = error_of(client.post(URL, content=body, headers=LINES), 422)
    assert error["message"].startswith("line 4 is not valid JSON: ")
    assert error["message"].endswith("nothing was stored")
    assert error["details"][0]["record"] == "line 4"
    assert stored(store) == []


def test_the_body_must_be_an_array(client: Client) -> None:
    error = error_of(client.post(URL, json=act(1)), 422)
    assert "must be a JSON array" in error["message"]


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml", None]
)
def test_other_content_types_are_415(client: Client, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    r = client.post(URL, content=orjson.dumps([act(1)]), headers=headers)
    error = error_of(r, 415)
    assert error["code"] == "unsupported_media_type"
    assert "application/json" in error["message"] and "application/x-ndjson" in error["message"]


def test_an_empty_batch_is_422(client: Client) -> None:
    assert "the batch is empty" in error_of(client.post(URL, json=[]), 422)["message"]
    r = client.post(URL, content=b"\n \n", headers=LINES)
    assert "the batch is empty" in error_of(r, 422)["message"]


def test_more_than_the_record_limit_is_413(client: Client, store: Store) -> None:
    small = {"contact": "c", "type": "t", "ts": TS}
    error = error_of(client.post(URL, json=[small] * (MAX_RECORDS + 1)), 413)
    assert error["message"] == (
        "a batch holds at most 10,000 activities; this one has 10,001 (split it into several requests)"
    )
    body = lines(*[small] * (MAX_RECORDS + 1))
    assert (
        error_of(client.post(URL, content=body, headers=LINES), 413)["code"] == "payload_too_large"
    )
    assert stored(store) == []
    ok = client.post(URL, json=[{**small, "id": f"i{i}"} for i in range(MAX_RECORDS)])
    assert ok.json()["accepted"] == MAX_RECORDS


def test_a_body_over_the_byte_limit_is_413(store: Store) -> None:
    client = Client(create_app(store, Settings(max_body_bytes=4096)))
    error = error_of(client.post(URL, json=[act(i) for i in range(100)]), 413)
    assert "larger than the limit of 4096 bytes" in error["message"]


def test_a_missing_key_is_401_once_keys_exist(app: FastAPI, store: Store) -> None:
    create_key(store, ["ingest"])
    r = Client(app).post(URL, json=[act(1)])
    error = error_of(r, 401)
    assert r.headers["www-authenticate"] == "Bearer"
    assert error["code"] == "unauthorized"
    assert stored(store) == []


def test_a_key_without_the_ingest_scope_is_403(app: FastAPI, store: Store) -> None:
    _, read_key = create_key(store, ["read"])
    _, ingest_key = create_key(store, ["ingest"])
    client = Client(app)
    r = client.post(URL, json=[act(1)], headers={"Authorization": f"Bearer {read_key}"})
    assert "lacks the 'ingest' scope" in error_of(r, 403)["message"]
    r = client.post(URL, json=[act(1)], headers={"Authorization": f"Bearer {ingest_key}"})
    assert r.status_code == 200 and r.json()["accepted"] == 1


def test_openapi_documents_the_route(client: Client) -> None:
    spec = client.get("/api/openapi.json").json()
    post = spec["paths"][URL]["post"]
    assert {"401", "403", "413", "415", "422"} <= set(post["responses"])
    assert {"application/json", "application/x-ndjson"} <= set(post["requestBody"]["content"])
