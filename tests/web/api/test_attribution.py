"""Attribution, email influence and the unsubscribe ranking over the API: each answer is
the CLI's JSON, routes do not shadow the emails and journeys routes, bad input is a 422."""

from __future__ import annotations

from pathlib import Path

from headway.store import Store
from tests.web.api.conftest import api, cli, error_of
from tests.web.conftest import Client


def test_attribution_is_the_cli_json(client: Client, world: Store, db_path: Path) -> None:
    body = api(client, "/journeys/Trial/attribution", model="linear,markov", order=2)
    assert body["models"] == ["linear", "markov"] and body["order"] == 2
    assert (body["contacts"], body["conversions"]) == (3, 1)
    assert body == cli(
        world, db_path, "attribution", "Trial", "--model", "linear,markov", "--order", "2"
    )


def test_influence_is_the_cli_json(client: Client, world: Store, db_path: Path) -> None:
    body = api(client, "/emails/welcome-1/influence", journey="Trial", days=1)
    assert (body["email"], body["journey"], body["recipients"]) == ("welcome-1", "Trial", 2)
    args = ("emails", "influence", "welcome-1", "--journey", "Trial", "--days", "1")
    assert body == cli(world, db_path, *args)


def test_ranking_is_the_cli_json(client: Client, world: Store, db_path: Path) -> None:
    body = api(client, "/email-rankings/unsubscribes", days=1, journey="Trial", by="dropoff")
    assert [e["email"] for e in body["emails"]] == ["promo-x", "welcome-1"]
    assert [e["delivered"] for e in body["emails"]] == [1, 2]
    args = ("emails", "unsubscribes", "--days", "1", "--journey", "Trial", "--by", "dropoff")
    assert body == cli(world, db_path, *args)


def test_routes_do_not_shadow_each_other(client: Client) -> None:
    # An email id holding "/" reaches the influence route; the email detail is untouched.
    slashed = api(client, "/emails/a/b/influence", journey="Trial")
    assert (slashed["email"], slashed["recipients"]) == ("a/b", 0)
    assert client.get("/api/v1/emails/welcome-1").json()["id"] == "welcome-1"
    assert client.get("/api/v1/journeys/Trial").status_code == 200


def test_bad_input(client: Client) -> None:
    error = error_of(client.get("/api/v1/journeys/Trial/attribution?model=shapley"), 422)
    assert "shapley" in error["message"] and error["details"][0]["field"] == "model"
    error_of(client.get("/api/v1/journeys/Trial/attribution?order=5"), 422)
    error_of(client.get("/api/v1/journeys/Nope/attribution"), 404)
    error_of(client.get("/api/v1/emails/welcome-1/influence"), 422)  # journey is required
    error_of(client.get("/api/v1/emails/welcome-1/influence?journey=Nope"), 404)
    error_of(client.get("/api/v1/emails/welcome-1/influence?journey=Trial&days=0"), 422)
    error = error_of(client.get("/api/v1/email-rankings/unsubscribes?by=dropoff"), 422)
    assert error["details"][0]["field"] == "journey"
