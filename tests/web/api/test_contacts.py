"""GET /contacts/{id}, its timeline, and DELETE (erasure) on the hand-made world."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from headway.api import Headway
from headway.store import Store
from tests.web.api.conftest import SCRIPT, TEAM, B, error_of
from tests.web.conftest import Client


def url(contact: str, suffix: str = "") -> str:
    """The API URL of a contact, its id percent-encoded as a client would send it."""
    return f"/api/v1/contacts/{quote(contact, safe='')}{suffix}"


def test_contact_record_and_span(client: Client) -> None:
    body = client.get(url("a")).json()
    assert body["id"] == "a"
    assert body["attributes"] == {"plan": "pro"}
    assert body["subscription"] == "subscribed"
    # a: page_visit, email_click, purchase, email_sent x2, email_delivered, email_open
    assert body["activities"] == 7
    assert body["first_activity"] == "2024-12-30T00:00:00Z"  # promo-x sent at T0-2d
    assert body["last_activity"] == "2025-01-01T02:00:00Z"
    assert body["created_at"].endswith("Z") and body["updated_at"].endswith("Z")


@pytest.mark.parametrize("contact", [B, TEAM, SCRIPT])
def test_ids_with_slashes_and_markup(client: Client, contact: str) -> None:
    response = client.get(url(contact))
    assert response.status_code == 200
    assert response.json()["id"] == contact
    assert response.headers["content-type"] == "application/json"


def test_slash_in_the_raw_path_reaches_the_contact(client: Client) -> None:
    assert client.get(f"/api/v1/contacts/{TEAM}").json()["id"] == TEAM
    assert client.get(f"/api/v1/contacts/{TEAM}/timeline").json()["total"] == 3


def test_unknown_contact_is_404(client: Client) -> None:
    error = error_of(client.get(url("nobody")), 404)
    assert error["code"] == "not_found" and "nobody" in error["message"]


def test_timeline_newest_first_with_paging(client: Client) -> None:
    first = client.get(url(TEAM, "/timeline"), params={"limit": 2}).json()
    assert first["total"] == 3 and first["order"] == "newest"
    assert [a["properties"] for a in first["activities"]] == [{"text": "last"}, {"form": "demo"}]
    assert first["activities"][0]["ts"] == "2025-01-05T00:00:00Z"
    second = client.get(first["next"]).json()
    assert [a["properties"] for a in second["activities"]] == [{"text": "first"}]
    assert second["offset"] == 2 and second["next"] is None


def test_timeline_oldest_first_and_type_filter(client: Client) -> None:
    oldest = client.get(url(TEAM, "/timeline"), params={"order": "oldest"}).json()
    assert [a["type"] for a in oldest["activities"]] == ["note", "form_submission", "note"]
    notes = client.get(url(TEAM, "/timeline"), params={"type": "note"}).json()
    assert notes["total"] == 2 and notes["types"] == ["note"]
    both = client.get(url("a", "/timeline"), params={"type": "purchase,email_open"}).json()
    assert [a["type"] for a in both["activities"]] == ["purchase", "email_open"]


def test_timeline_labels_bots(client: Client) -> None:
    rows = client.get(url(B, "/timeline"), params={"type": "email_click"}).json()["activities"]
    assert [(r["type"], r["bot"]) for r in rows] == [("email_click", True)]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"offset": -1}, "offset"),
        ({"offset": 10**20}, "offset"),
        ({"order": "up"}, "order"),
    ],
)
def test_timeline_bad_paging_is_422(client: Client, params: dict[str, object], field: str) -> None:
    error = error_of(client.get(url("a", "/timeline"), params=params), 422)
    assert [d["field"] for d in error["details"]] == [field]


def test_timeline_of_unknown_contact_is_404(client: Client) -> None:
    error_of(client.get(url("nobody", "/timeline")), 404)


def test_erase_removes_the_contact_and_its_activities(client: Client, world: Store) -> None:
    before = world.execute("SELECT count(*) FROM activities").scalar()
    response = client.delete(url(B))
    body = response.json()
    assert body | {"removed": None} == {
        "contact": B,
        "activities_deleted": 5,
        "contact_deleted": True,
        "merged_ids": [],
        "removed": None,
        "suppressed": True,
    }
    assert (body["removed"]["activities"], body["removed"]["contacts"]) == (5, 1)
    assert world.execute("SELECT count(*) FROM activities").scalar() == before - 5
    assert world.execute("SELECT count(*) FROM contacts WHERE id = ?", [B]).scalar() == 0
    error_of(client.get(url(B)), 404)
    error_of(client.delete(url(B)), 404)  # erasing twice


def test_erase_updates_the_reports(client: Client) -> None:
    client.delete(url(B))
    funnel = client.get("/api/v1/journeys/Trial/funnel", params={"as_of": "2025-01-05"}).json()
    assert [s["reached"] for s in funnel["stages"]] == [2, 1, 1]
    stats = client.get("/api/v1/emails/welcome-1/stats").json()["total"]
    assert (stats["sent"], stats["recipients"], stats["clicks"]) == (2, 2, 1)


def test_erase_markup_id_then_the_same_id_comes_back_fresh(client: Client, world: Store) -> None:
    assert client.delete(url(SCRIPT)).json()["activities_deleted"] == 1
    Headway(world).add_activities(
        [{"contact": SCRIPT, "type": "page_visit", "ts": "2025-01-10T00:00:00Z"}]
    )
    body = client.get(url(SCRIPT)).json()
    assert body["activities"] == 1 and body["first_activity"] == "2025-01-10T00:00:00Z"
