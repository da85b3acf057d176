"""GET /emails, /emails/{id} and /emails/{id}/stats on the hand-made world."""

from __future__ import annotations

from typing import Any

import pytest

from headway.backends.duckdb import DuckDBBackend
from headway.engine.email.queries import StatsQuery
from headway.engine.email.stats import email_stats
from headway.store import Store
from tests.web.api.conftest import PRICING, error_of
from tests.web.conftest import Client


def rows_by_key(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The report's rows by their key."""
    return {r["key"]: r for r in body["rows"]}


def test_list_all_view(client: Client) -> None:
    body = client.get("/api/v1/emails").json()
    assert body["view"] == "all" and set(rows_by_key(body)) == {"welcome-1", "promo-x"}
    w = rows_by_key(body)["welcome-1"]
    counts = ("sent", "recipients", "delivered", "bounces", "hard_bounces", "opens", "clicks")
    assert [w[k] for k in counts] == [3, 3, 2, 1, 1, 2, 2]
    assert (w["unique_opens"], w["unique_clicks"]) == (2, 2)
    assert (w["open_rate"], w["click_rate"], w["bounce_rate"]) == (1.0, 1.0, 1 / 3)
    assert (w["name"], w["campaign"]) == ("Welcome", "onboarding")
    promo = rows_by_key(body)["promo-x"]
    assert (promo["sent"], promo["delivered"], promo["name"]) == (1, 1, None)
    assert body["total"]["sent"] == 4


def test_list_human_view_leaves_bots_out(client: Client) -> None:
    w = rows_by_key(client.get("/api/v1/emails", params={"view": "human"}).json())["welcome-1"]
    assert (w["opens"], w["unique_opens"], w["clicks"], w["unique_clicks"]) == (1, 1, 1, 1)
    assert (w["open_rate"], w["click_rate"], w["click_to_open_rate"]) == (0.5, 0.5, 1.0)


def test_list_by_campaign(client: Client) -> None:
    body = client.get("/api/v1/emails", params={"campaign": "onboarding"}).json()
    assert list(rows_by_key(body)) == ["welcome-1"]
    assert body["filters"] == {"email": None, "campaign": "onboarding"}


def test_list_is_the_engine_report(client: Client, world: Store) -> None:
    expected = email_stats(DuckDBBackend(world), StatsQuery(human=True)).to_dict()
    assert client.get("/api/v1/emails", params={"view": "human"}).json() == expected


def test_registered_email_with_links(client: Client) -> None:
    body = client.get("/api/v1/emails/welcome-1").json()
    assert body["registered"] is True
    assert (body["name"], body["subject"], body["kind"]) == ("Welcome", "Hello!", "newsletter")
    assert body["send_time"] == "2025-01-01T00:00:00Z"
    assert [(x["url"], x["label"], x["honeypot"]) for x in body["links"]] == [
        (PRICING, "pricing", False)
    ]


def test_email_known_only_from_activities(client: Client) -> None:
    body = client.get("/api/v1/emails/promo-x").json()
    assert (body["registered"], body["name"], body["links"]) == (False, None, [])


@pytest.mark.parametrize("path", ["/api/v1/emails/nope", "/api/v1/emails/nope/stats"])
def test_unknown_email_is_404(client: Client, path: str) -> None:
    assert "nope" in error_of(client.get(path), 404)["message"]


def test_stats_links_and_timing(client: Client) -> None:
    body = client.get("/api/v1/emails/welcome-1/stats").json()
    assert body["filters"]["email"] == "welcome-1" and len(body["rows"]) == 1
    [link] = body["links"]
    assert (link["url"], link["clicks"], link["clickers"], link["share_of_clickers"]) == (
        PRICING,
        2,
        2,
        1.0,
    )
    hours = {h["hour"]: (h["opens"], h["clicks"]) for h in body["timing"]["hours"] if any(
        (h["opens"], h["clicks"])
    )}  # fmt: skip
    # b's bot open 1 minute after delivery; a's open at 89 min and click at 119 min;
    # b's bot click 24 h 59 min after delivery
    assert hours == {0: (1, 0), 1: (1, 1), 24: (0, 1)}


def test_stats_human_view(client: Client) -> None:
    body = client.get("/api/v1/emails/welcome-1/stats", params={"view": "human"}).json()
    assert body["view"] == "human"
    assert [(x["clicks"], x["clickers"]) for x in body["links"]] == [(1, 1)]


def test_stats_by_week_of_send(client: Client) -> None:
    body = client.get("/api/v1/emails/welcome-1/stats", params={"by": "week"}).json()
    assert [r["key"] for r in body["rows"]] == ["2024-12-30"]


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/api/v1/emails", {"view": "robots"}, "view"),
        ("/api/v1/emails/welcome-1/stats", {"view": "x"}, "view"),
        ("/api/v1/emails/welcome-1/stats", {"by": "year"}, "by"),
    ],
)
def test_bad_parameters_are_422(
    client: Client, path: str, params: dict[str, str], field: str
) -> None:
    error = error_of(client.get(path, params=params), 422)
    assert [d["field"] for d in error["details"]] == [field]
