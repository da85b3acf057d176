"""The journeys list, the journey page and its contact lists, in-process on a small world."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime, timedelta
from html import unescape
from typing import Any
from urllib.parse import quote

import pytest

from headway.api import Headway
from headway.model.journey import parse_journey
from headway.settings import Settings
from headway.store import Store
from headway.store.journeys import save_journey
from headway.web.app import create_app
from tests.web.conftest import Client

HTML = {"accept": "text/html,application/xhtml+xml"}
T0 = datetime(2025, 6, 1, 9, 0)
AS_OF = "2025-06-10"
EVIL = "<script>alert(1)</script> / 100%"
JOURNEY = {
    "name": "Trial",
    "window": "7d",
    "stages": [
        {"name": "Visit", "when": {"type": "page_visit"}},
        {"name": "Click", "when": {"type": "email_click"}},
        {"name": "Buy", "when": {"type": "purchase"}},
    ],
}
# contact: activity types, one hour apart from T0 plus the contact's offset in days
TIMELINES = {
    "alice": ["page_visit", "email_click", "purchase"],
    "bob": ["page_visit", "email_click"],
    "carol": ["page_visit"],
    "=cmd": ["page_visit", "email_click"],
    "dan/x": ["page_visit"],
}


def records() -> list[dict[str, Any]]:
    """The activities of TIMELINES (bob and carol enter a week after the others)."""
    out = []
    for i, (contact, types) in enumerate(TIMELINES.items()):
        start = T0 + timedelta(days=7 if contact in ("bob", "carol") else 0, minutes=i)
        for h, t in enumerate(types):
            out.append({"contact": contact, "type": t, "ts": (start + timedelta(hours=h))})
    return [{**r, "ts": r["ts"].isoformat() + "Z", "properties": {"utm_source": "x"}} for r in out]


@pytest.fixture
def hw(store: Store) -> Headway:
    """The small world with the Trial journey and one with a hostile name saved."""
    hw = Headway(store)
    hw.add_activities(records())
    save_journey(store, parse_journey(JOURNEY), None)
    save_journey(store, parse_journey({**JOURNEY, "name": EVIL}), None)
    return hw


@pytest.fixture
def client(hw: Headway, asgi_client: type[Client]) -> Client:
    return asgi_client(create_app(hw.store, Settings()))


def figure(page: str, element_id: str) -> dict[str, Any]:
    """The Plotly figure a page embeds as JSON in ``<script id=element_id>``."""
    match = re.search(rf'<script type="application/json" id="{element_id}">(.*?)</script>', page)
    assert match, element_id
    return json.loads(match.group(1))  # type: ignore[no-any-return]


def test_root_opens_the_journeys_list(client: Client) -> None:
    r = client.get("/")
    assert r.status_code == 307 and r.headers["location"] == "/journeys"


def test_the_empty_list_points_to_the_editor(store: Store, asgi_client: type[Client]) -> None:
    r = asgi_client(create_app(store, Settings())).get("/journeys", headers=HTML)
    assert r.status_code == 200
    assert "No journeys yet" in r.text and 'href="/journeys/new"' in r.text


def test_the_list_shows_each_journeys_figures(client: Client, hw: Headway) -> None:
    page = client.get("/journeys", params={"as_of": AS_OF}, headers=HTML).text
    report = hw.funnel("Trial", as_of=AS_OF)
    row = page[page.index('href="/journeys/Trial?as_of=2025-06-10"') :].split("</tr>")[0]
    cells = re.findall(r'<td class="num[^"]*">([^<]*)</td>', row)
    assert cells[:4] == ["3", str(report.entered), str(report.converted), "20.0%"]
    assert "<title>Journeys · Headway</title>" in page


def test_the_journey_page_charts_the_engines_funnel(client: Client, hw: Headway) -> None:
    r = client.get("/journeys/Trial", params={"as_of": AS_OF}, headers=HTML)
    assert r.status_code == 200
    report = hw.funnel("Trial", as_of=AS_OF)
    bars = figure(r.text, "funnel-figure")["data"][0]
    assert bars["y"] == ["Visit", "Click", "Buy"]
    assert bars["x"] == [s.reached for s in report.stages] == [5, 3, 1]
    assert bars["text"][1] == "3 · 60.0% of previous · 60.0% of first"
    assert (
        bars["customdata"][1] == "/journeys/Trial/contacts?stage=2&status=reached&as_of=2025-06-10"
    )
    outcomes = {t["name"]: t["x"] for t in figure(r.text, "outcomes-figure")["data"]}
    assert outcomes["Dropped"] == [s.dropped for s in report.stages]
    assert outcomes["Stalled"] == [s.stalled for s in report.stages]
    weeks = figure(r.text, "trend-figure")["data"][1]
    assert weeks["x"] == ["2025-05-26", "2025-06-02"] and weeks["y"] == [1 / 3, 0.0]
    assert "<h1>Trial</h1>" in r.text and "<title>Trial · Journeys · Headway</title>" in r.text


def test_the_stage_table_links_every_figure_to_its_contacts(client: Client) -> None:
    page = client.get("/journeys/Trial", params={"as_of": AS_OF}, headers=HTML).text
    for status in ("reached", "dropped", "in_progress", "stalled"):
        assert f"/journeys/Trial/contacts?stage=2&amp;status={status}&amp;as_of=2025-06-10" in page
    assert ">1 h<" in page  # median time from Visit to Click


def test_a_hostile_journey_name_is_text_everywhere(client: Client) -> None:
    path = "/journeys/" + quote(EVIL, safe="")
    r = client.get(path, headers=HTML)
    assert r.status_code == 200
    assert "<script>alert" not in r.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; / 100%" in r.text
    assert figure(r.text, "funnel-figure")["data"][0]["customdata"][0].startswith(
        "/journeys/%3Cscript%3Ealert%281%29%3C%2Fscript%3E%20%2F%20100%25/contacts?"
    )
    contacts = client.get(path + "/contacts", params={"stage": 1}, headers=HTML)
    assert contacts.status_code == 200 and "<script>alert" not in contacts.text


def test_an_unknown_journey_is_an_html_404_for_browsers_and_json_otherwise(client: Client) -> None:
    r = client.get("/journeys/Trail", headers=HTML)
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "journey &#39;Trail&#39; does not exist (did you mean &#39;Trial&#39;?)" in r.text
    r = client.get("/journeys/Trail")
    assert r.json()["error"]["code"] == "not_found"
    api = client.get("/api/v1/nowhere", headers=HTML)
    assert api.headers["content-type"] == "application/json"


def test_bad_report_options_are_a_422_page_naming_the_field(client: Client) -> None:
    r = client.get("/journeys/Trial", params={"as_of": "soon"}, headers=HTML)
    assert r.status_code == 422 and "as_of: &#39;soon&#39; is not a date" in r.text
    r = client.get("/journeys/Trial/contacts", params={"status": "lost"}, headers=HTML)
    assert r.status_code == 422 and "status: &#39;lost&#39;" in r.text
    r = client.get("/journeys/Trial/contacts", params={"stage": 9}, headers=HTML)
    assert r.status_code == 422 and "stage: 9 is not a stage of &#39;Trial&#39; (1..3)" in r.text
    r = client.get("/journeys/Trial/contacts", params={"stage": "Nope"}, headers=HTML)
    assert r.status_code == 404 and "stage: no stage named &#39;Nope&#39;" in r.text
    r = client.get("/journeys/Trial/contacts", params={"page": 0}, headers=HTML)
    assert r.status_code == 422 and "<code>page</code>" in r.text


def test_the_date_pickers_redirect_to_the_canonical_url(client: Client) -> None:
    r = client.get("/journeys/Trial?as_of=2025-06-10&from=2025-06-05&to=&by=")
    assert r.status_code == 303
    assert r.headers["location"] == "/journeys/Trial?as_of=2025-06-10&date_range=2025-06-05.."
    page = client.get(r.headers["location"], headers=HTML).text
    assert figure(page, "funnel-figure")["data"][0]["x"] == [2, 1, 0]  # bob and carol only


def test_the_data_end_is_offered_when_now_is_long_after_it(client: Client) -> None:
    page = client.get("/journeys/Trial", headers=HTML).text
    assert "2025-06-08 10:01 UTC" in page  # the newest activity (bob's click)
    assert 'href="?as_of=2025-06-09"' in page


def test_a_breakdown_is_computed_only_when_asked(client: Client) -> None:
    page = client.get("/journeys/Trial", params={"as_of": AS_OF}, headers=HTML).text
    assert 'class="breakdown"' not in page
    params = {"as_of": AS_OF, "by": "utm_source", "touch": "first"}
    page = client.get("/journeys/Trial", params=params, headers=HTML).text
    assert '<th scope="row" class="name">x</th>' in page
    page = client.get("/journeys/Trial", params={**params, "by": "no..good"}, headers=HTML).text
    assert "is not a property path" in page


def test_the_contact_list_pages_through_a_stage(client: Client) -> None:
    params = {"stage": "Visit", "status": "reached", "as_of": AS_OF}
    r = client.get("/journeys/Trial/contacts", params=params, headers=HTML)
    assert r.status_code == 200
    assert "5 contacts who reached “Visit”" in unescape(r.text)
    assert 'href="/contacts/dan%2Fx"' in r.text and 'href="/contacts/%3Dcmd"' in r.text
    assert "2025-06-01 09:00" in r.text


def test_the_csv_export_streams_every_contact(client: Client, hw: Headway) -> None:
    params = {"stage": 2, "status": "reached", "as_of": AS_OF, "format": "csv"}
    r = client.get("/journeys/Trial/contacts", params=params)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"] == 'attachment; filename="trial-2-click-reached.csv"'
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == hw.funnel("Trial", as_of=AS_OF).stages[1].reached == 3
    assert [row["contact"] for row in rows] == ["'=cmd", "alice", "bob"]  # no spreadsheet formula
    assert rows[1]["Buy"] == "2025-06-01T11:00:00Z" and rows[2]["Buy"] == ""
