"""PostHog's capture API (``/batch/``, ``/capture/``, ``/e/``, ``/i/v0/e/``, ``/track/``)."""

from __future__ import annotations

import base64
import gzip
from typing import Any
from urllib.parse import quote

import orjson
import pytest
from fastapi import FastAPI

from headway.store import Store
from headway.store.api_keys import create_key
from tests.web.sdk_support import attributes, error_of, post, sdk_app, stored

PATHS = ["/batch/", "/capture/", "/e/", "/i/v0/e/", "/track/", "/e", "/batch"]


@pytest.fixture
def app(store: Store) -> FastAPI:
    return sdk_app(store)


def event(n: int, who: str, name: str = "$pageview", **props: Any) -> dict[str, Any]:
    """An event with uuid ``e{n}`` at minute ``n``."""
    return {
        "event": name,
        "distinct_id": who,
        "uuid": f"e{n}",
        "timestamp": f"2025-03-01T10:{n:02d}:00+00:00",
        "properties": {"$current_url": "https://x.example/pricing", **props},
    }


@pytest.mark.parametrize("path", PATHS)
def test_every_capture_path_takes_a_batch(app: FastAPI, store: Store, path: str) -> None:
    r = post(app, path, {"api_key": "k", "batch": [event(1, "d1"), event(2, "d1", "clicked")]})
    assert r.status_code == 200, r.text
    assert r.json() == {"status": 1, "accepted": 2, "duplicates": 0, "rejected": []}
    rows = stored(store)
    assert (rows["e1"]["contact"], rows["e1"]["type"], rows["e1"]["source"]) == (
        "d1",
        "$pageview",
        "posthog",
    )
    assert rows["e2"]["properties"] == {"$current_url": "https://x.example/pricing"}


def test_one_event_an_array_and_a_resent_batch(app: FastAPI, store: Store) -> None:
    assert post(app, "/capture/", {"api_key": "k", **event(1, "d")}).json()["accepted"] == 1
    assert post(app, "/e/", [event(2, "d"), event(3, "d")]).json()["accepted"] == 2
    again = post(app, "/batch/", {"batch": [event(1, "d"), event(2, "d")]}, gzipped=True)
    assert again.json() == {"status": 1, "accepted": 0, "duplicates": 2, "rejected": []}
    assert sorted(stored(store)) == ["e1", "e2", "e3"]


def test_posthog_js_bodies(app: FastAPI, store: Store) -> None:
    """gzip-js in the query, base64 in a form, plain JSON text: as posthog-js sends them."""
    js = orjson.dumps([event(1, "anon"), event(2, "anon")])
    r = post(app, "/e/?compression=gzip-js&ver=1.200.0", content=gzip.compress(js))
    assert r.json()["accepted"] == 2, r.text
    form = "data=" + quote(base64.b64encode(orjson.dumps(event(3, "anon"))).decode())
    headers = {"content-type": "application/x-www-form-urlencoded"}
    r = post(app, "/e/?compression=base64", content=form.encode(), headers=headers)
    assert r.json()["accepted"] == 1, r.text
    plain = {"content-type": "text/plain"}
    r = post(app, "/i/v0/e/", content=orjson.dumps(event(4, "anon")), headers=plain)
    assert r.json()["accepted"] == 1, r.text
    assert sorted(stored(store)) == ["e1", "e2", "e3", "e4"]


def test_identify_merges_and_set_becomes_attributes(app: FastAPI, store: Store) -> None:
    before = [event(n, "anon-7") for n in range(3)]
    identify = event(5, "user-7", "$identify", **{"$anon_distinct_id": "anon-7"})
    identify["properties"]["$set"] = {"email": "eve@example.com"}
    identify["$set_once"] = {"first_seen": "2025-03-01", "email": "old@example.com"}
    after = event(6, "user-7", "Plan Chosen", plan="pro")
    assert post(app, "/batch/", {"batch": [*before, identify, after]}).status_code == 200
    rows = stored(store)
    assert {r["contact"] for r in rows.values()} == {"user-7"}
    assert "$set" not in rows["e5"]["properties"]
    assert attributes(store, "user-7") == {"email": "eve@example.com", "first_seen": "2025-03-01"}


def test_create_alias_merges_the_alias_into_the_distinct_id(app: FastAPI, store: Store) -> None:
    post(app, "/batch/", {"batch": [event(1, "device-1")]})
    alias = event(2, "user-1", "$create_alias", alias="device-1", distinct_id="user-1")
    post(app, "/batch/", {"batch": [alias]})
    assert stored(store)["e1"]["contact"] == "user-1"


def test_the_project_key_is_never_stored(app: FastAPI, store: Store) -> None:
    _, key = create_key(store, ["ingest"])
    body = [event(1, "d", token=key), {**event(2, "d"), "api_key": key}]
    assert post(app, "/e/", body).status_code == 200
    for row in stored(store).values():
        assert key not in orjson.dumps(row["properties"]).decode()


def test_the_project_key_is_an_ingest_api_key(app: FastAPI, store: Store) -> None:
    _, key = create_key(store, ["ingest"])
    _, reader = create_key(store, ["read"])
    assert post(app, "/batch/", {"batch": [event(1, "d")]}).status_code == 401
    assert post(app, "/batch/", {"api_key": "nope", "batch": [event(1, "d")]}).status_code == 401
    assert post(app, "/batch/", {"api_key": reader, "batch": [event(1, "d")]}).status_code == 403
    assert post(app, "/batch/", {"api_key": key, "batch": [event(1, "d")]}).status_code == 200
    assert post(app, "/e/", [event(2, "d", token=key)]).status_code == 200
    bearer = {"authorization": f"Bearer {key}"}
    assert post(app, "/capture/", event(3, "d"), headers=bearer).status_code == 200
    assert sorted(stored(store)) == ["e1", "e2", "e3"]


def test_an_event_with_only_an_offset_is_dated_when_received(app: FastAPI, store: Store) -> None:
    body = {"event": "x", "distinct_id": "d", "uuid": "o", "offset": 1500}
    assert post(app, "/capture/", body).status_code == 200
    assert stored(store)["o"]["ts"].year >= 2025


def test_bad_events_are_listed_and_the_good_ones_stored(app: FastAPI, store: Store) -> None:
    batch = [
        event(1, "d"),
        {"distinct_id": "d", "timestamp": "2025-03-01T00:00:00Z"},
        {"event": "x", "timestamp": "2025-03-01T00:00:00Z"},
        {**event(2, "d"), "timestamp": "soon"},
        {**event(3, "d"), "properties": []},
        {**event(4, "d"), "event": "x" * 201},
        event(5, "d", "$create_alias"),
    ]
    r = post(app, "/batch/", {"batch": batch})
    assert r.status_code == 200, r.text
    rejected = {(e["index"], e["field"]) for e in r.json()["rejected"]}
    assert rejected == {
        (1, "event"),
        (2, "distinct_id"),
        (3, "timestamp"),
        (4, "properties"),
        (5, "event"),
        (6, "properties.alias"),
    }
    assert list(stored(store)) == ["e1"]


@pytest.mark.parametrize(
    ("path", "content", "headers", "status", "field"),
    [
        ("/batch/", b"{not json", {}, 422, "body"),
        ("/batch/", b"42", {}, 422, "body"),
        ("/batch/", b'{"batch": "x"}', {}, 422, "batch"),
        ("/batch/", b"[]", {}, 422, "body"),
        ("/e/?compression=gzip-js", b"not gzip", {}, 422, "body"),
        ("/e/?compression=lz64", b"x", {}, 415, "compression"),
        ("/e/", b"data=%%%", {"content-type": "application/x-www-form-urlencoded"}, 422, "body"),
    ],
)
def test_a_bad_body_is_a_4xx_naming_the_field(
    app: FastAPI, path: str, content: bytes, headers: dict[str, str], status: int, field: str
) -> None:
    r = post(app, path, content=content, headers=headers)
    assert r.status_code == status, r.text
    assert error_of(r)["details"][0]["field"] == field


def test_properties_nested_too_deeply_are_a_422_not_a_500(app: FastAPI) -> None:
    deep: dict[str, Any] = {"leaf": 1}
    for _ in range(300):
        deep = {"a": deep}
    r = post(app, "/capture/", {**event(1, "d"), "properties": deep})
    assert r.status_code == 422, r.text
    assert error_of(r)["details"][0]["field"] == "properties"


def test_a_data_field_holds_the_batch(app: FastAPI, store: Store) -> None:
    assert post(app, "/e/", {"data": [event(1, "d")]}).json()["accepted"] == 1
    r = post(app, "/e/", {"data": "x"})
    assert r.status_code == 422 and error_of(r)["details"][0]["field"] == "data"
