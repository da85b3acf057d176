"""Drivers and stalls over the API: each answer is the CLI's JSON; bad input is a 422."""

from __future__ import annotations

from pathlib import Path

from headway.store import Store
from tests.web.api.conftest import AS_OF, B, api, cli, error_of
from tests.web.conftest import Client


def test_drivers_is_the_cli_json(client: Client, world: Store, db_path: Path) -> None:
    body = api(client, "/journeys/Trial/drivers", min_support=1)
    steps = [(t["from_name"], t["to_name"], t["kind"]) for t in body["transitions"]]
    assert steps == [
        ("Visit", "Click", "step"),
        ("Click", "Buy", "step"),
        ("Visit", "Buy", "entry_to_conversion"),
    ]
    visit = body["transitions"][0]
    # a and b clicked; c dropped at Visit
    assert (visit["population"], visit["advanced"]) == (3, 2)
    assert body == cli(world, db_path, "drivers", "Trial", "--min-support", "1")


def test_stalls_is_the_cli_json(client: Client, world: Store, db_path: Path) -> None:
    body = api(client, "/journeys/Trial/stalls")
    click = body["stages"][1]
    assert (click["name"], click["stalled"]) == ("Click", 1)
    assert [c["contact"] for c in click["contacts"]] == [B]
    assert body == cli(world, db_path, "stalls", "Trial")


def test_stage_and_view_options(client: Client) -> None:
    body = api(client, "/journeys/Trial/drivers", stage="Click", view="all")
    assert [t["from_name"] for t in body["transitions"]] == ["Click"]
    assert body["view"] == "all"
    assert body["include_excluded"] is False and body["transitions"][0]["excluded"] == []
    included = api(client, "/journeys/Trial/drivers", include_excluded="true", min_support=1)
    assert included["include_excluded"] is True
    assert all(
        d["effect"].startswith("Contacts who ") for d in included["transitions"][0]["drivers"]
    )
    assert [s["name"] for s in api(client, "/journeys/Trial/stalls", stage=1)["stages"]] == [
        "Visit"
    ]


def test_bad_input_is_a_422_naming_the_parameter(client: Client) -> None:
    error = error_of(client.get("/api/v1/journeys/Trial/drivers", params={"stage": 3}), 422)
    assert error["details"][0]["field"] == "stage"
    error = error_of(client.get("/api/v1/journeys/Trial/stalls", params={"stage": "Nope"}), 422)
    assert error["details"][0]["field"] == "stage"
    error_of(client.get("/api/v1/journeys/Trial/drivers", params={"min_support": 0}), 422)
    error_of(client.get("/api/v1/journeys/Trial/drivers", params={"view": "bots"}), 422)
    error_of(client.get("/api/v1/journeys/Nope/drivers"), 404)


def test_routes_do_not_shadow_the_journey(client: Client) -> None:
    assert client.get("/api/v1/journeys/Trial").status_code == 200
    assert client.get("/api/v1/journeys/Trial/funnel", params={"as_of": AS_OF}).status_code == 200
