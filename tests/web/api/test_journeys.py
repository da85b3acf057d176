"""Journeys over the API: save (YAML or JSON), validate, list, versions, delete."""

from __future__ import annotations

import json
from urllib.parse import quote

import httpx
import pytest

from headway.errors import Detail, InvalidJourney
from headway.model.journey import parse_journey
from headway.settings import Settings
from headway.store import Store
from headway.web.app import create_app
from tests.web.api.conftest import TRIAL, error_of
from tests.web.conftest import Client

YAML = {"content-type": "application/yaml"}
SIGNUP = """name: Signup <b>2</b>
stages:
  - name: Visit
    when: {type: page_visit}
  - name: Form
    when: {type: form_submission, where: {form: demo}}
"""
BROKEN = """name: Broken
order: sideways
stages:
  - name: Visit
    when: {type: page_visit, where: {url: {containz: /pricing}}}
  - name: Visit
    when: {type: purchase}
"""


def post(client: Client, text: str, headers: dict[str, str] = YAML) -> httpx.Response:
    """POST a definition to /journeys."""
    return client.post("/api/v1/journeys", content=text.encode(), headers=headers)


def path(name: str, suffix: str = "") -> str:
    """The URL of a journey, its name percent-encoded."""
    return f"/api/v1/journeys/{quote(name, safe='')}{suffix}"


def test_create_from_yaml(client: Client) -> None:
    response = post(client, SIGNUP)
    assert response.status_code == 201
    body = response.json()
    assert body == {
        "name": "Signup <b>2</b>",
        "version": 1,
        "saved": True,
        "stages": ["Visit", "Form"],
        "url": path("Signup <b>2</b>"),  # relative: the Host header is never echoed
    }
    assert response.headers["location"] == body["url"]
    stored = client.get(body["url"]).json()
    assert stored["source_text"] == SIGNUP and stored["version"] == 1
    assert stored["definition"]["stages"][1]["when"] == {
        "type": "form_submission",
        "where": {"form": "demo"},
    }


def test_same_definition_keeps_its_version_then_a_change_adds_one(client: Client) -> None:
    again = post(client, TRIAL, {"content-type": "text/yaml; charset=utf-8"})
    assert again.status_code == 200 and again.json()["saved"] is False
    changed = post(client, TRIAL.replace("window: 7d", "window: 8d"))
    assert (changed.status_code, changed.json()["version"]) == (201, 2)
    versions = client.get(path("Trial", "/versions")).json()["versions"]
    assert [v["version"] for v in versions] == [1, 2]
    assert client.get(path("Trial", "/versions/1")).json()["definition"]["window"] == "1w"
    assert client.get(path("Trial")).json()["definition"]["window"] == "8d"


def test_create_from_json(client: Client) -> None:
    definition = {"name": "J", "stages": [{"name": "S", "when": {"type": "purchase"}}]}
    response = post(client, json.dumps(definition), {"content-type": "application/json"})
    assert response.status_code == 201 and response.json()["stages"] == ["S"]


def test_put_saves_under_the_name_in_the_url(client: Client) -> None:
    response = client.request("PUT", path("Signup <b>2</b>"), content=SIGNUP, headers=YAML)
    assert response.status_code == 201


def test_put_with_another_name_is_422(client: Client) -> None:
    response = client.request("PUT", path("Trial"), content=SIGNUP, headers=YAML)
    error = error_of(response, 422)
    assert [d["field"] for d in error["details"]] == ["name"]
    assert client.get(path("Signup <b>2</b>")).status_code == 404  # nothing saved


def test_invalid_definition_gives_the_engines_messages(client: Client) -> None:
    with pytest.raises(InvalidJourney) as expected:
        parse_journey(BROKEN)
    error = error_of(post(client, BROKEN), 422)
    assert error["code"] == "invalid_journey"
    assert error["message"] == expected.value.message
    assert error["details"] == [d.to_dict() for d in expected.value.details]
    fields = {d["field"] for d in error["details"]}
    assert {"order", "stages[0].when.where.url"} <= fields
    assert client.get(path("Broken")).status_code == 404


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("name: [unclosed\n", "line"),
        ('{"name": "x", ', "JSON"),
        ("", "empty"),
    ],
)
def test_unreadable_body_is_422_about_the_body(client: Client, body: str, words: str) -> None:
    error = error_of(post(client, body), 422)
    assert words in error["message"]
    assert [d["field"] for d in error["details"]] == ["body"]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("body", ["a: &a [*a]\n", "a: &x [1, 2]\nb: [*x, *x]\n"])
def test_yaml_aliases_are_refused(client: Client, body: str) -> None:
    error = error_of(post(client, body), 422)
    assert "aliases" in error["message"] and error["details"][0]["field"] == "body"
    answer = client.post("/api/v1/journeys/validate", content=body, headers=YAML).json()
    assert answer["valid"] is False and "aliases" in answer["messages"][0]["reason"]


def test_body_not_utf8_is_422(client: Client) -> None:
    response = client.post("/api/v1/journeys", content=b"name: \xff\xfe", headers=YAML)
    assert error_of(response, 422)["details"][0]["field"] == "body"


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", ""])
def test_other_content_types_are_415(client: Client, content_type: str) -> None:
    headers = {"content-type": content_type} if content_type else {}
    error = error_of(post(client, SIGNUP, headers), 415)
    assert error["code"] == "unsupported_media_type"


def test_validate_does_not_save(client: Client) -> None:
    ok = client.post("/api/v1/journeys/validate", content=SIGNUP, headers=YAML).json()
    assert ok == {"valid": True, "name": "Signup <b>2</b>", "stages": ["Visit", "Form"], "messages": [], "warnings": []}  # fmt: skip
    bad = client.post("/api/v1/journeys/validate", content=BROKEN, headers=YAML).json()
    assert bad["valid"] is False and bad["name"] is None
    assert bad["messages"] == [{"field": d.field, "reason": d.reason} for d in _problems(BROKEN)]
    names = [j["name"] for j in client.get("/api/v1/journeys").json()["journeys"]]
    assert names == ["Trial"]


def test_validate_reports_syntax_errors_as_messages(client: Client) -> None:
    bad = client.post("/api/v1/journeys/validate", content="a: [", headers=YAML).json()
    assert bad["valid"] is False and bad["messages"][0]["field"] == "body"


def test_list_and_get(client: Client) -> None:
    post(client, SIGNUP)
    listed = client.get("/api/v1/journeys").json()["journeys"]
    assert [(j["name"], j["version"], j["stage_count"]) for j in listed] == [
        ("Signup <b>2</b>", 1, 2),
        ("Trial", 1, 3),
    ]
    trial = client.get(path("Trial")).json()
    assert trial["stages"] == ["Visit", "Click", "Buy"] and trial["deleted"] is False
    assert trial["source_text"] == TRIAL


def test_delete_keeps_versions_readable(client: Client) -> None:
    assert client.delete(path("Trial")).json() == {
        "name": "Trial",
        "deleted": True,
        "versions_kept": 1,
    }
    assert client.get("/api/v1/journeys").json() == {"journeys": []}
    assert "deleted" in error_of(client.get(path("Trial")), 404)["message"]
    assert client.get(path("Trial", "/versions/1")).json()["deleted"] is True
    error_of(client.delete(path("Trial")), 404)  # deleting twice


@pytest.mark.parametrize(
    ("url", "status"),
    [
        (path("Nope"), 404),
        (path("Nope", "/versions"), 404),
        (path("Trial", "/versions/9"), 404),
        (path("Trial", "/versions/first"), 422),
    ],
)
def test_unknown_journeys_and_versions(client: Client, url: str, status: int) -> None:
    error_of(client.get(url), status)


def test_body_over_the_limit_is_413(world: Store) -> None:
    client = Client(create_app(world, Settings(max_body_bytes=1024)))
    error = error_of(post(client, SIGNUP + "#" * 2000), 413)
    assert error["code"] == "payload_too_large"


def _problems(text: str) -> tuple[Detail, ...]:
    try:
        parse_journey(text)
    except InvalidJourney as err:
        return err.details
    raise AssertionError("the definition is valid")
