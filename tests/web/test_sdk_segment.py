"""Segment's HTTP Tracking API (``/v1/...``): calls, batches, gzip, write keys, identities."""

from __future__ import annotations

import gzip

import pytest
from fastapi import FastAPI

from headway.store import Store
from headway.store.api_keys import create_key, revoke_key
from tests.web.sdk_support import attributes, basic, error_of, post, sdk_app, stored

T = "2025-03-01T10:00:00.000Z"


@pytest.fixture
def app(store: Store) -> FastAPI:
    return sdk_app(store)


def track(n: int, who: dict[str, str], event: str = "Order Completed") -> dict[str, object]:
    """A track message with id ``m{n}`` at minute ``n``."""
    return {
        "type": "track",
        "event": event,
        "messageId": f"m{n}",
        "timestamp": f"2025-03-01T10:{n:02d}:00Z",
        "properties": {"total": n, "$currency": "EUR"},
        **who,
    }


def test_a_track_call_is_stored_as_its_event_with_properties_and_context(
    app: FastAPI, store: Store
) -> None:
    body = {**track(1, {"userId": "u1"}), "context": {"ip": "192.0.2.1"}}
    r = post(app, "/v1/track", body)
    assert r.status_code == 200, r.text
    assert r.json() == {"success": True, "accepted": 1, "duplicates": 0, "rejected": []}
    row = stored(store)["m1"]
    assert (row["contact"], row["type"], row["source"]) == ("u1", "Order Completed", "segment")
    assert row["properties"] == {"total": 1, "$currency": "EUR", "context": {"ip": "192.0.2.1"}}
    assert row["ts"].isoformat() == "2025-03-01T10:01:00"


def test_the_path_names_the_call(app: FastAPI, store: Store) -> None:
    page = {"anonymousId": "a1", "name": "Pricing", "messageId": "p1", "timestamp": T}
    page["context"] = {"page": {"url": "https://x.example/pricing", "path": "/pricing"}}
    assert post(app, "/v1/page", {**page, "type": "track"}).status_code == 200
    screen = {"userId": "u1", "name": "Home", "messageId": "s1", "timestamp": T}
    assert post(app, "/v1/screen", screen).status_code == 200
    rows = stored(store)
    assert rows["p1"]["type"] == "page_visit"
    assert rows["p1"]["properties"]["url"] == "https://x.example/pricing"
    assert rows["p1"]["properties"]["path"] == "/pricing"
    assert rows["p1"]["properties"]["name"] == "Pricing"
    assert (rows["s1"]["type"], rows["s1"]["properties"]) == ("screen_view", {"name": "Home"})


def test_a_gzip_batch_is_stored_once_however_often_it_is_sent(app: FastAPI, store: Store) -> None:
    batch = {"batch": [track(n, {"anonymousId": "a1"}) for n in range(50)], "sentAt": T}
    first = post(app, "/v1/batch", batch, gzipped=True)
    assert first.json()["accepted"] == 50
    again = post(app, "/v1/batch", batch, gzipped=True)
    assert again.json() == {"success": True, "accepted": 0, "duplicates": 50, "rejected": []}
    assert len(stored(store)) == 50


def test_the_batch_context_fills_in_each_message(app: FastAPI, store: Store) -> None:
    own = {**track(1, {"userId": "u"}), "context": {"ip": "192.0.2.9"}}
    body = {"batch": [track(0, {"userId": "u"}), own], "context": {"ip": "1", "app": "x"}}
    post(app, "/v1/import", body)
    rows = stored(store)
    assert rows["m0"]["properties"]["context"] == {"ip": "1", "app": "x"}
    assert rows["m1"]["properties"]["context"] == {"ip": "192.0.2.9", "app": "x"}


def test_identify_merges_the_anonymous_visits_and_sets_traits(app: FastAPI, store: Store) -> None:
    before = [track(n, {"anonymousId": "anon-1"}, "Viewed Plan") for n in range(3)]
    identify = {
        "type": "identify",
        "userId": "user-1",
        "anonymousId": "anon-1",
        "traits": {"email": "ann@example.com", "plan": "pro"},
        "messageId": "i1",
        "timestamp": "2025-03-01T10:05:00Z",
    }
    after = track(9, {"userId": "user-1"}, "Signed Up")
    assert post(app, "/v1/batch", {"batch": [*before, identify, after]}).status_code == 200
    rows = stored(store)
    assert {r["contact"] for r in rows.values()} == {"user-1"}
    assert rows["i1"]["type"] == "identify"
    assert rows["i1"]["properties"] == {"traits": {"email": "ann@example.com", "plan": "pro"}}
    assert attributes(store, "user-1") == {"email": "ann@example.com", "plan": "pro"}


def test_alias_claims_the_previous_id(app: FastAPI, store: Store) -> None:
    post(app, "/v1/track", track(1, {"userId": "old-id"}))
    alias = {"userId": "new-id", "previousId": "old-id", "messageId": "al", "timestamp": T}
    assert post(app, "/v1/alias", alias).status_code == 200
    rows = stored(store)
    assert rows["m1"]["contact"] == rows["al"]["contact"] == "new-id"
    assert rows["al"]["properties"] == {"previousId": "old-id"}


def test_a_message_without_a_timestamp_is_dated_when_received(app: FastAPI, store: Store) -> None:
    body = {"userId": "u", "event": "x", "messageId": "late"}
    assert post(app, "/v1/track", body).status_code == 200
    assert stored(store)["late"]["ts"].year >= 2025


def test_bad_messages_are_listed_and_the_good_ones_stored(app: FastAPI, store: Store) -> None:
    batch = [
        track(0, {"userId": "u"}),
        {"type": "track", "userId": "u", "timestamp": T},
        {"type": "track", "event": "x", "timestamp": T},
        {"type": "track", "event": "x", "userId": "u", "timestamp": "yesterday"},
        {"type": "wave", "userId": "u", "timestamp": T},
        {"type": "track", "event": "x\u0007", "userId": "u", "timestamp": T},
        "not a message",
    ]
    r = post(app, "/v1/batch", {"batch": batch})
    assert r.status_code == 200, r.text
    rejected = {(e["index"], e["field"]) for e in r.json()["rejected"]}
    assert rejected == {
        (1, "event"),
        (2, "userId"),
        (3, "timestamp"),
        (4, "type"),
        (5, "event"),
        (6, None),
    }
    assert r.json()["accepted"] == 1 and list(stored(store)) == ["m0"]


def test_a_batch_of_only_bad_messages_is_a_422_naming_each(app: FastAPI, store: Store) -> None:
    r = post(app, "/v1/batch", {"batch": [{"type": "track", "userId": "u"}]})
    assert r.status_code == 422
    assert error_of(r)["details"] == [
        {"reason": "is required in a track call", "field": "event", "record": 0}
    ]


@pytest.mark.parametrize(
    ("content", "headers", "status", "field"),
    [
        (b"{not json", {}, 422, "body"),
        (b"[]", {}, 422, "body"),
        (b'{"batch": 5}', {}, 422, "batch"),
        (b'{"batch": []}', {}, 422, "body"),
        (b"\x1f\x8b\x08garbage", {"content-encoding": "gzip"}, 422, "body"),
        (gzip.compress(b'{"batch": [')[:-6], {"content-encoding": "gzip"}, 422, "body"),
        (b"{}", {"content-encoding": "br"}, 415, "Content-Encoding"),
    ],
)
def test_a_bad_body_is_a_4xx_naming_the_field(
    app: FastAPI, content: bytes, headers: dict[str, str], status: int, field: str
) -> None:
    r = post(app, "/v1/batch", content=content, headers=headers)
    assert r.status_code == status, r.text
    assert error_of(r)["details"][0]["field"] == field


def test_a_gzip_bomb_is_refused_before_it_is_inflated(store: Store) -> None:
    from headway.settings import Settings
    from headway.web.app import create_app

    small = create_app(store, Settings(tracking={"enabled": False}, max_body_bytes=1024 * 1024))
    bomb = gzip.compress(b'{"batch": [' + b" " * (50 * 1024 * 1024) + b"]}")
    r = post(small, "/v1/batch", content=bomb, headers={"content-encoding": "gzip"})
    assert r.status_code == 413
    assert "decompressed" in error_of(r)["message"]


# -- write keys ------------------------------------------------------------------------------
def test_the_write_key_is_an_ingest_api_key(app: FastAPI, store: Store) -> None:
    _, key = create_key(store, ["ingest"])
    _, reader = create_key(store, ["read"])
    message = track(1, {"userId": "u"})
    assert post(app, "/v1/track", message).status_code == 401
    assert post(app, "/v1/track", message, headers=basic("nope")).status_code == 401
    assert post(app, "/v1/track", message, headers=basic(reader)).status_code == 403
    assert post(app, "/v1/track", {**message, "writeKey": reader}).status_code == 403
    assert post(app, "/v1/track", message, headers=basic(key)).status_code == 200
    in_body = {"batch": [track(2, {"userId": "u"})], "writeKey": key}
    assert post(app, "/v1/batch", in_body, gzipped=True).status_code == 200
    bearer = {"authorization": f"Bearer {key}"}
    assert post(app, "/v1/track", track(3, {"userId": "u"}), headers=bearer).status_code == 200
    assert sorted(stored(store)) == ["m1", "m2", "m3"]


def test_a_revoked_key_and_a_malformed_basic_header_are_refused(app: FastAPI, store: Store) -> None:
    info, key = create_key(store, ["ingest"])
    create_key(store, ["admin"])
    revoke_key(store, info.id)
    r = post(app, "/v1/track", track(1, {"userId": "u"}), headers=basic(key))
    assert r.status_code == 401 and "unknown or revoked" in error_of(r)["message"]
    r = post(app, "/v1/track", track(1, {"userId": "u"}), headers={"authorization": "Basic %%"})
    assert r.status_code == 401 and "Basic" in error_of(r)["message"]


def test_without_keys_only_this_machine_may_send(app: FastAPI) -> None:
    message = track(1, {"userId": "u"})
    r = post(app, "/v1/track", message, headers=basic("anything"), client=("192.0.2.7", 1))
    assert r.status_code == 401
    page = {"origin": "https://evil.example", "sec-fetch-site": "cross-site"}
    assert post(app, "/v1/track", message, headers=page).status_code == 403
    assert post(app, "/v1/track", message, headers=basic("anything")).status_code == 200


def test_a_browser_asking_for_html_still_gets_json_errors(app: FastAPI) -> None:
    r = post(app, "/v1/batch", content=b"{", headers={"accept": "text/html"})
    assert r.status_code == 422 and r.headers["content-type"] == "application/json"


def test_properties_nested_too_deeply_are_a_rejection_not_a_500(app: FastAPI, store: Store) -> None:
    deep: dict[str, object] = {"leaf": 1}
    for _ in range(300):
        deep = {"a": deep}
    r = post(
        app,
        "/v1/batch",
        {"batch": [track(0, {"userId": "u"}), {**track(1, {"userId": "u"}), "properties": deep}]},
    )
    assert r.status_code == 200, r.text
    assert [(e["index"], e["field"]) for e in r.json()["rejected"]] == [(1, "properties")]
    assert list(stored(store)) == ["m0"]


def test_analytics_js_short_paths_and_text_plain(app: FastAPI, store: Store) -> None:
    """The browser library posts each call to its initial (/v1/t, /v1/p, ...) as text/plain."""
    _, key = create_key(store, ["ingest"])
    text = {"content-type": "text/plain"}
    page = {"type": "page", "anonymousId": "a", "messageId": "p", "timestamp": T, "writeKey": key}
    r = post(app, "/v1/p", page, headers=text)
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "*"
    batch = {"batch": [track(1, {"anonymousId": "a"})], "writeKey": key}
    assert post(app, "/v1/b", batch, headers=text).json()["accepted"] == 1
    assert sorted(stored(store)) == ["m1", "p"]


def test_a_batch_repeating_a_claim_records_it_once_at_its_earliest(
    app: FastAPI, store: Store
) -> None:
    batch = [track(n, {"userId": "u", "anonymousId": "a"}) for n in (30, 10, 20)]
    assert post(app, "/v1/batch", {"batch": batch}).status_code == 200
    links = store.execute("SELECT claimed_at, activity_id FROM identity_links").rows
    assert [(at.isoformat(), activity) for at, activity in links] == [
        ("2025-03-01T10:10:00", "m10")
    ]
