"""CSV downloads of the Emails tables (GET /emails?format=csv, /emails/{id}/csv): the same
numbers as the JSON, through the one CSV writer that keeps formula-like text as text."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from headway.store import Store
from headway.store.emails import register_email
from tests.web.api.conftest import error_of
from tests.web.conftest import Client

FORMULA = '=HYPERLINK("http://evil.example","Win")'


def parsed(response: Any) -> list[dict[str, str]]:
    """The rows of a CSV download, checking it is one."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith("attachment;")
    return list(csv.DictReader(io.StringIO(response.text)))


def same(cell: str, value: Any) -> bool:
    """A CSV cell holds the JSON value (empty for null, numbers as written by Python)."""
    return cell == ("" if value is None else str(value))


@pytest.mark.parametrize("view", ["all", "human"])
def test_the_list_csv_is_the_json(client: Client, view: str) -> None:
    body = client.get("/api/v1/emails", params={"view": view}).json()
    rows = parsed(client.get("/api/v1/emails", params={"view": view, "format": "csv"}))
    assert [r["key"] for r in rows] == [r["key"] for r in body["rows"]]
    for got, want in zip(rows, body["rows"], strict=True):
        assert set(got) == set(want)
        assert all(same(got[k], v) for k, v in want.items()), (got, want)
    welcome = next(r for r in rows if r["key"] == "welcome-1")
    assert (welcome["sent"], welcome["delivered"]) == ("3", "2")


def test_a_formula_like_name_is_kept_as_text(client: Client, world: Store) -> None:
    register_email(world, "promo-x", name=FORMULA)
    rows = parsed(client.get("/api/v1/emails", params={"format": "csv"}))
    promo = next(r for r in rows if r["key"] == "promo-x")
    assert promo["name"] == "'" + FORMULA
    json_name = {r["key"]: r["name"] for r in client.get("/api/v1/emails").json()["rows"]}
    assert json_name["promo-x"] == FORMULA  # the JSON keeps the value as it is


def test_one_emails_tables_are_its_stats(client: Client) -> None:
    stats = client.get("/api/v1/emails/welcome-1/stats", params={"view": "all"}).json()
    url = "/api/v1/emails/welcome-1/csv"
    metrics = parsed(client.get(url, params={"table": "metrics"}))
    assert len(metrics) == 1
    assert all(same(metrics[0][k], v) for k, v in stats["rows"][0].items())
    links = parsed(client.get(url, params={"table": "links"}))
    assert len(links) == len(stats["links"]) >= 1
    for got, want in zip(links, stats["links"], strict=True):
        assert all(same(got[k], v) for k, v in want.items() if k != "honeypot")
        assert got["honeypot"] == str(want["honeypot"])
    for table in ("hours", "days"):
        rows = parsed(client.get(url, params={"table": table}))
        want = stats["timing"][table]
        assert [{k: str(v) for k, v in w.items()} for w in want] == rows
    hours = parsed(client.get(url, params={"table": "hours"}))
    assert (
        sum(int(h["opens"]) for h in hours)
        == stats["rows"][0]["opens"] - (stats["timing"]["unknown_delivery"]["opens"])
    )


def test_the_human_view_csv(client: Client) -> None:
    stats = client.get("/api/v1/emails/welcome-1/stats", params={"view": "human"}).json()
    url = "/api/v1/emails/welcome-1/csv"
    (row,) = parsed(client.get(url, params={"table": "metrics", "view": "human"}))
    assert (row["opens"], row["clicks"]) == (str(stats["rows"][0]["opens"]), "1")


def test_unknown_email_and_table(client: Client) -> None:
    error_of(client.get("/api/v1/emails/nope/csv"), 404)
    error_of(client.get("/api/v1/emails/welcome-1/csv", params={"table": "bogus"}), 422)
    error_of(client.get("/api/v1/emails", params={"format": "xml"}), 422)
