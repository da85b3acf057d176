"""Journey reports over the API on the hand-made world (numbers checked by hand, see conftest)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from headway.api import Headway
from headway.cli import app as cli_app
from headway.store import Store
from tests.web.api.conftest import AS_OF, B, error_of
from tests.web.conftest import Client

TRIAL = "/api/v1/journeys/Trial"


def get(client: Client, suffix: str, **params: object) -> dict[str, object]:
    """GET a report of Trial as of AS_OF; its JSON."""
    response = client.get(TRIAL + suffix, params={"as_of": AS_OF, **params})
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def test_funnel(client: Client) -> None:
    body = get(client, "/funnel")
    assert (body["entered"], body["converted"], body["as_of"]) == (3, 1, "2025-01-05T00:00:00Z")
    stages = body["stages"]
    assert isinstance(stages, list)
    outcomes = [(s["reached"], s["dropped"], s["in_progress"], s["stalled"]) for s in stages]
    assert outcomes == [(3, 1, 0, 0), (2, 0, 1, 1), (1, 0, 0, 0)]
    assert stages[1]["time_from_previous"]["median"] == (3600 + 86400) / 2


def test_funnel_json_is_the_cli_json(client: Client, world: Store, db_path: Path) -> None:
    api = get(client, "/funnel", date_range="2024-12-01..2025-01-31")
    world.close()  # the CLI opens the file itself
    args = ["--db", str(db_path), "funnel", "Trial", "--json", "--as-of", AS_OF]
    result = CliRunner().invoke(cli_app, [*args, "--date-range", "2024-12-01..2025-01-31"])
    assert result.exit_code == 0, result.output
    assert api == json.loads(result.stdout)


def test_date_range_limits_the_activities(client: Client) -> None:
    body = get(client, "/funnel", date_range="2025-01-01..2025-01-31")
    assert body["entered"] == 2  # c entered on 2024-12-22
    assert body["date_range"] == ["2025-01-01T00:00:00Z", "2025-01-31T23:59:59.999999Z"]


def test_trends_by_week_and_month(client: Client) -> None:
    weeks = get(client, "/trends")["periods"]
    assert weeks == [
        {"period": "2024-12-16", "entered": 1, "converted": 0, "conversion": 0.0, "reached": [1, 0, 0]},
        {"period": "2024-12-30", "entered": 2, "converted": 1, "conversion": 0.5, "reached": [2, 2, 1]},
    ]  # fmt: skip
    months = get(client, "/trends", by="month")["periods"]
    assert isinstance(months, list)
    assert [p["period"] for p in months] == ["2024-12-01", "2025-01-01"]


def test_breakdown_first_touch_and_attribute(client: Client) -> None:
    channels = get(client, "/breakdown", by="channel")["values"]
    assert isinstance(channels, list)
    assert [(v["value"], v["reached"]) for v in channels] == [
        ("ads", [2, 2, 1]),
        ("seo", [1, 0, 0]),
    ]
    plans = get(client, "/breakdown", by="plan", touch="contact")["values"]
    assert isinstance(plans, list)
    assert [(v["value"], v["reached"]) for v in plans] == [("free", [2, 1, 0]), ("pro", [1, 1, 1])]
    top = get(client, "/breakdown", by="channel", top=1)["values"]
    assert isinstance(top, list)
    assert [v["value"] for v in top] == ["ads", "(other)"]


def test_breakdown_is_the_python_api(client: Client, world: Store) -> None:
    expected = Headway(world).breakdown("Trial", "url", touch="last", as_of=AS_OF).to_dict()
    assert get(client, "/breakdown", by="url", touch="last") == {**expected, "warnings": []}


@pytest.mark.parametrize(
    ("params", "contacts"),
    [
        ({"stage": "1"}, ["a", B, "c"]),
        ({"stage": "Visit", "status": "dropped"}, ["c"]),
        ({"stage": "click", "status": "in_progress"}, [B]),
        ({"stage": "2", "status": "stalled"}, [B]),
        ({"status": "converted"}, ["a"]),
        ({"stage": "Buy", "status": "dropped"}, []),
    ],
)
def test_contacts_at_a_stage(client: Client, params: dict[str, str], contacts: list[str]) -> None:
    body = get(client, "/contacts", **params)
    assert [c["contact"] for c in body["contacts"]] == contacts  # type: ignore[attr-defined]
    assert body["total"] == len(contacts) and body["next"] is None


def test_contacts_pages(client: Client) -> None:
    first = get(client, "/contacts", limit=2)
    assert first["total"] == 3 and first["stage"] == {"index": 1, "name": "Visit"}
    assert [c["contact"] for c in first["contacts"]] == ["a", B]  # type: ignore[attr-defined]
    assert isinstance(first["next"], str) and "offset=2" in first["next"]
    second = client.get(first["next"]).json()
    assert [c["contact"] for c in second["contacts"]] == ["c"] and second["next"] is None
    a = first["contacts"][0]  # type: ignore[index]
    assert a["stage_times"] == {
        "Visit": "2025-01-01T00:00:00Z",
        "Click": "2025-01-01T01:00:00Z",
        "Buy": "2025-01-01T02:00:00Z",
    }


@pytest.mark.parametrize(
    "how", [{"params": {"format": "csv"}}, {"headers": {"accept": "text/csv"}}]
)
def test_contacts_csv_download(client: Client, how: dict[str, dict[str, str]]) -> None:
    params = {"as_of": AS_OF, "stage": "2", **how.get("params", {})}
    response = client.get(TRIAL + "/contacts", params=params, headers=how.get("headers"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith(
        'attachment; filename="Trial-Click-reached.csv"'
    )
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["contact"], r["status"], r["t_Click"]) for r in rows] == [
        ("a", "converted", "2025-01-01T01:00:00Z"),
        (B, "in_progress", "2025-01-02T00:00:00Z"),
    ]


def test_csv_cells_never_start_a_formula(client: Client, world: Store) -> None:
    Headway(world).add_activities(
        [{"contact": "=HYPERLINK(1)", "type": "page_visit", "ts": "2025-01-01T00:00:00Z"}]
    )
    response = client.get(TRIAL + "/contacts", params={"as_of": AS_OF, "format": "csv"})
    contacts = [r["contact"] for r in csv.DictReader(io.StringIO(response.text))]
    assert contacts[0] == "'=HYPERLINK(1)"


def test_empty_csv_has_its_header(client: Client) -> None:
    params = {"as_of": AS_OF, "stage": "3", "status": "dropped", "format": "csv"}
    text = client.get(TRIAL + "/contacts", params=params).text
    assert text.splitlines() == ["contact,reached,last_stage,status,stalled,t_Visit,t_Click,t_Buy"]


@pytest.mark.parametrize(
    ("suffix", "params", "field"),
    [
        ("/funnel", {"as_of": "yesterday"}, "as_of"),
        ("/funnel", {"date_range": "2025-01-01"}, "date_range"),
        ("/funnel", {"as_of": "0001-01-01T00:00:00+01:00"}, "as_of"),
        ("/funnel", {"date_range": "..9999-12-31T23:00:00-05:00"}, "date_range"),
        ("/funnel", {"date_range": "2025-02-01..2025-01-01"}, "date_range"),
        ("/trends", {"by": "year"}, "by"),
        ("/trends", {"date_range": "x..y"}, "date_range"),
        ("/breakdown", {}, "by"),
        ("/breakdown", {"by": "not..a path"}, "by"),
        ("/breakdown", {"by": "channel", "touch": "middle"}, "touch"),
        ("/breakdown", {"by": "channel", "top": "0"}, "top"),
        ("/contacts", {"stage": "9"}, "stage"),
        ("/contacts", {"stage": "Nope"}, "stage"),
        ("/contacts", {"status": "lost"}, "status"),
        ("/contacts", {"limit": "0"}, "limit"),
        ("/contacts", {"offset": str(10**20)}, "offset"),
        ("/contacts", {"format": "xml"}, "format"),
    ],
)
def test_bad_parameters_are_422_naming_the_field(
    client: Client, suffix: str, params: dict[str, str], field: str
) -> None:
    error = error_of(client.get(TRIAL + suffix, params=params), 422)
    assert error["code"] == "invalid_input"
    assert [d["field"] for d in error["details"]] == [field]


@pytest.mark.parametrize("suffix", ["/funnel", "/trends", "/breakdown?by=x", "/contacts"])
def test_unknown_journey_is_404(client: Client, suffix: str) -> None:
    error = error_of(client.get("/api/v1/journeys/Triall" + suffix), 404)
    assert "did you mean 'Trial'" in error["message"]


def test_journey_names_are_never_server_files(client: Client, tmp_path: Path) -> None:
    (tmp_path / "j.yaml").write_text("name: j\nstages: [{name: s, when: {type: page_visit}}]\n")
    error_of(client.get(f"/api/v1/journeys/{tmp_path / 'j.yaml'}/funnel"), 404)
