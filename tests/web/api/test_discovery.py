"""GET /api/v1/types and /properties, and the warnings in validate and report answers."""

from __future__ import annotations

from headway.api import Headway
from headway.store import Store
from tests.web.api.conftest import TRIAL
from tests.web.conftest import Client

YAML = {"Content-Type": "application/yaml"}


def test_types_count_activities_and_contacts(client: Client, world: Store) -> None:
    body = client.get("/api/v1/types").json()
    by_name = {t["name"]: t for t in body["types"]}
    assert by_name["email_sent"] == {
        "name": "email_sent",
        "activities": 4,
        "contacts": 3,
        "first_seen": "2024-12-30T00:00:00Z",
        "last_seen": "2024-12-31T23:00:00Z",
    }
    assert body["types"][0]["name"] == "email_sent"  # most activities first
    assert body == {"types": [t.to_dict() for t in Headway(world).types()]}


def test_properties_of_one_type(client: Client) -> None:
    body = client.get("/api/v1/properties", params={"type": "page_visit"}).json()
    assert [(p["path"], p["fill_rate"]) for p in body["properties"]] == [
        ("channel", 1.0),
        ("url", 1.0),
    ]
    channel = body["properties"][0]
    assert channel["json_types"] == {"string": 3}
    assert channel["top_values"] == [
        {"value": "ads", "activities": 2},
        {"value": "seo", "activities": 1},
    ]
    assert channel["distinct_values"] == 2 and channel["high_cardinality"] is False


def test_properties_of_every_type_and_of_an_unknown_one(client: Client) -> None:
    every = client.get("/api/v1/properties").json()["properties"]
    assert {p["type"] for p in every} >= {"page_visit", "email_click", "note"}
    unknown = client.get("/api/v1/properties", params={"type": "nope"})
    assert unknown.status_code == 200 and unknown.json() == {"properties": []}
    assert client.get("/api/v1/properties", params={"top": -1}).status_code == 422


def test_validate_answers_warnings(client: Client) -> None:
    text = TRIAL.replace("type: purchase", "type: purchased")
    body = client.post("/api/v1/journeys/validate", content=text, headers=YAML).json()
    assert body["valid"] is True
    assert body["warnings"] == [
        {
            "kind": "unknown_type",
            "field": "stages[2].when.type",
            "message": "no activity of type 'purchased' was seen; did you mean 'purchase'?",
        }
    ]


def test_report_answers_carry_warnings(client: Client) -> None:
    body = client.get("/api/v1/journeys/Trial/funnel", params={"as_of": "2024-01-01"}).json()
    assert [w["kind"] for w in body["warnings"]] == ["outside_data"]
    assert "before the data starts" in body["warnings"][0]["message"]
    for suffix in ("trends", "breakdown?by=url", "contacts", "drivers", "stalls", "attribution"):
        answer = client.get(f"/api/v1/journeys/Trial/{suffix}")
        assert answer.status_code == 200, (suffix, answer.text)
        assert answer.json()["warnings"] == [], suffix


def test_names_in_answers_are_verbatim(client: Client) -> None:
    notes = client.get("/api/v1/properties", params={"type": "note"}).json()["properties"]
    values = [v["value"] for v in notes[0]["top_values"]]
    assert "<b>hi</b>" in values
