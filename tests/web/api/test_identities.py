"""REST: /api/v1/identities (list, merge, undo), scopes, errors, and the contact record and
timeline showing merged ids."""

from __future__ import annotations

from fastapi import FastAPI

from headway.store import Store
from headway.store.api_keys import create_key
from tests.web.api.conftest import AS_OF, B, error_of
from tests.web.conftest import Client

URL = "/api/v1/identities"


def funnel(client: Client) -> list[int]:
    r = client.get(f"/api/v1/journeys/Trial/funnel?as_of={AS_OF}")
    assert r.status_code == 200, r.text
    return [s["reached"] for s in r.json()["stages"]]


def test_merge_shows_on_both_contacts_and_moves_the_funnel(client: Client) -> None:
    # team/ops never visited; c's visit is 10 days old. Merging c into a changes nothing for
    # a's best attempt, but c no longer counts on its own.
    assert funnel(client) == [3, 2, 1]
    r = client.post(URL, json={"alias": "c", "contact": "a"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "merged"
    link = body["link"]
    assert (link["id"], link["alias"], link["contact"], link["status"]) == (1, "c", "a", "merged")
    assert link["source"] == "manual" and link["claimed_at"].endswith("Z")
    assert funnel(client) == [2, 2, 1]
    a = client.get("/api/v1/contacts/a").json()
    assert a["aliases"] == ["c"] and a["merged_into"] is None
    c = client.get("/api/v1/contacts/c").json()
    assert c["merged_into"] == "a" and c["aliases"] == []
    listed = client.get(URL, params={"contact": "a"}).json()
    assert listed["contact"] == "a" and [x["id"] for x in listed["links"]] == [1]
    assert client.get(URL).json()["links"][0]["alias"] == "c"


def test_the_timeline_and_record_include_the_aliases_activities(client: Client) -> None:
    before = client.get("/api/v1/contacts/a").json()["activities"]
    client.post(URL, json={"alias": "c", "contact": "a"})
    record = client.get("/api/v1/contacts/a").json()
    assert record["activities"] == before + 3  # c: a visit, an email sent, its bounce
    timeline = client.get("/api/v1/contacts/a/timeline", params={"limit": 100}).json()
    from_c = [x for x in timeline["activities"] if x["contact"] == "c"]
    assert timeline["total"] == record["activities"]
    assert {x["type"] for x in from_c} == {"page_visit", "email_sent", "email_bounce"}
    assert record["first_activity"] == from_c[-1]["ts"]  # c's visit, 10 days before T0


def test_undo_restores_the_funnel_and_a_second_undo_is_409(client: Client) -> None:
    client.post(URL, json={"alias": "c", "contact": "a"})
    r = client.delete(f"{URL}/1")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "undone" and r.json()["undone_at"]
    assert funnel(client) == [3, 2, 1]
    assert "already undone" in error_of(client.delete(f"{URL}/1"), 409)["message"]
    assert "no identity link 5" in error_of(client.delete(f"{URL}/5"), 404)["message"]
    error_of(client.delete(f"{URL}/x"), 422)


def test_conflict_same_and_repeated(client: Client) -> None:
    client.post(URL, json={"alias": "c", "contact": "a"})
    r = client.post(URL, json={"alias": "c", "contact": B})
    assert r.json()["status"] == "conflict" and r.json()["link"]["status"] == "conflict"
    assert client.post(URL, json={"alias": "c", "contact": "a"}).json()["status"] == "repeated"
    same = client.post(URL, json={"alias": "a", "contact": "a"}).json()
    assert same == {"status": "same", "link": None}


def test_unknown_ids_and_bad_bodies_are_422_naming_the_field(client: Client) -> None:
    error = error_of(client.post(URL, json={"alias": "nobody", "contact": "a"}), 422)
    assert error["details"][0]["field"] == "alias" and "nobody" in error["message"]
    error = error_of(client.post(URL, json={"alias": "a", "contact": "ghost"}), 422)
    assert error["details"][0]["field"] == "contact"
    error_of(client.post(URL, json={"alias": "", "contact": "a"}), 422)
    error_of(client.post(URL, json={"alias": "a"}), 422)
    assert (
        "no contact 'ghost'"
        in error_of(client.get(URL, params={"contact": "ghost"}), 404)["message"]
    )


def test_scopes(app: FastAPI, world: Store) -> None:
    _, read = create_key(world, ["read"])
    _, ingest = create_key(world, ["ingest"])
    _, admin = create_key(world, ["admin"])
    client = Client(app)

    def auth(key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"}

    error_of(client.get(URL), 401)
    assert client.get(URL, headers=auth(read)).status_code == 200
    body = {"alias": "c", "contact": "a"}
    assert (
        "'ingest' scope"
        in error_of(client.post(URL, json=body, headers=auth(read)), 403)["message"]
    )
    assert client.post(URL, json=body, headers=auth(ingest)).status_code == 201
    error_of(client.delete(f"{URL}/1", headers=auth(ingest)), 403)
    assert client.delete(f"{URL}/1", headers=auth(admin)).status_code == 200


def test_openapi_documents_the_routes(client: Client) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    assert paths[URL]["get"]["summary"] and paths[URL]["post"]["summary"]
    assert paths[URL + "/{link_id}"]["delete"]["summary"]
