"""The contact page, in-process: stage marks equal a full engine run; paging; escaping."""

from __future__ import annotations

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
from headway.web.dashboard._formats import report_options
from headway.web.dashboard.contacts import PAGE_SIZE
from tests.web.conftest import Client

HTML = {"accept": "text/html"}
T0 = datetime(2025, 6, 1, 9, 0)
AS_OF = "2025-06-30"
EVIL = "<script>alert(1)</script>/x"
JOURNEY = {
    "name": "Trial",
    "window": "7d",
    "filter": {"where": {"country": {"neq": "XX"}}},
    "stages": [
        {"name": "Visit", "when": {"type": "page_visit"}},
        {"name": "Pricing", "when": {"type": "page_visit", "where": {"url": "/pricing"}}},
        {"name": "Buy", "when": {"type": "purchase"}},
    ],
}
# contact: (type, url or None) one hour apart; ties and repeats make the matcher choose
TIMELINES: dict[str, list[tuple[str, str | None]]] = {
    "alice": [("page_visit", "/"), ("page_visit", "/pricing"), ("purchase", None)],
    "bob": [("page_visit", "/pricing"), ("page_visit", "/pricing"), ("page_visit", "/")],
    "carol": [("purchase", None), ("page_visit", "/blog")],
    "erin": [("purchase", None)],
    EVIL: [("page_visit", "/<img src=x onerror=alert(2)>")],
}


def records() -> list[dict[str, Any]]:
    out = []
    for i, (contact, steps) in enumerate(TIMELINES.items()):
        for h, (type_, url) in enumerate(steps):
            ts = T0 + timedelta(days=i, hours=h)
            props = {"url": url} if url else {"value": 10}
            out.append({"contact": contact, "type": type_, "ts": ts.isoformat() + "Z",
                        "properties": props})  # fmt: skip
    # a long timeline for paging: PAGE_SIZE + 5 visits
    out += [
        {"contact": "dora", "type": "page_visit", "properties": {"url": f"/p{i}"},
         "ts": (T0 + timedelta(minutes=i)).isoformat() + "Z"}
        for i in range(PAGE_SIZE + 5)
    ]  # fmt: skip
    return out


@pytest.fixture
def hw(store: Store) -> Headway:
    hw = Headway(store)
    hw.add_activities(records())
    save_journey(store, parse_journey(JOURNEY), None)
    return hw


@pytest.fixture
def client(hw: Headway, asgi_client: type[Client]) -> Client:
    return asgi_client(create_app(hw.store, Settings()))


def page_of(client: Client, contact: str, query: str = "") -> str:
    r = client.get(f"/contacts/{quote(contact, safe='')}?as_of={AS_OF}{query}", headers=HTML)
    assert r.status_code == 200, r.text
    return r.text


def marked_rows(page: str) -> list[tuple[str, str]]:
    """(time, stage mark) of every marked timeline row."""
    rows = re.findall(r'<tr id="activity-\d+" class="has-stage">(.*?)</tr>', page, re.S)
    out = []
    for row in rows:
        ts = re.search(r'<td class="nowrap" data-label="Time">([^<]+)</td>', row)
        assert ts
        for mark in re.findall(r'class="badge badge-stage stage-mark">([^<]+)</span>', row):
            out.append((ts.group(1), unescape(mark)))
    return out


@pytest.mark.parametrize("contact", ["alice", "bob", "carol", "dora", "erin"])
def test_marks_are_the_full_runs_stage_times(client: Client, hw: Headway, contact: str) -> None:
    full = hw.match("Trial", as_of=AS_OF)
    reached = hw.contacts("Trial", 1, as_of=AS_OF).to_dict()["contacts"]
    times = {c["contact"]: c["stage_times"] for c in reached}.get(contact, {})
    expected = [
        (datetime.fromisoformat(t.rstrip("Z")).strftime("%Y-%m-%d %H:%M:%S"), f"Trial · {i}. {n}")
        for i, (n, t) in enumerate(times.items(), start=1)
        if t is not None
    ]
    assert sorted(marked_rows(page_of(client, contact))) == sorted(expected)
    assert len(full.result) >= 3


def test_the_journey_summary_says_how_far_and_the_status(client: Client) -> None:
    page = page_of(client, "alice")
    row = page[page.index('id="journeys-table"') :].split("</tr>")[1]
    assert "3 of 3" in row and "converted" in row
    erin = page_of(client, "erin")
    assert "0 of 3" in erin and "not entered" in erin


def test_contact_journey_narrows_to_the_contact(hw: Headway) -> None:
    one = hw.contact_journey(hw.journey("Trial"), "bob", report_options(AS_OF))
    assert (one.reached, one.status) == (2, "dropped")  # the 7-day window closed long ago
    assert len(one.activities) == 2  # two distinct activities, one per stage


def test_long_timelines_are_paged(client: Client) -> None:
    first = page_of(client, "dora")
    assert first.count('<tr id="activity-') == PAGE_SIZE
    assert "Page 1 of 2" in first and "?page=2&amp;as_of=" in first
    second = page_of(client, "dora", "&page=2")
    assert second.count('<tr id="activity-') == 5
    assert f'id="activity-{PAGE_SIZE + 1}"' in second
    assert page_of(client, "dora", "&page=99").count('<tr id="activity-') == 5  # clamped


def test_ids_and_properties_are_text(client: Client) -> None:
    page = page_of(client, EVIL)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;/x" in page
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(2)&gt;" in page


def test_an_unknown_contact_is_a_404(client: Client) -> None:
    r = client.get("/contacts/nobody%2Fhere", headers=HTML)
    assert r.status_code == 404
    assert "nobody/here" in unescape(r.text)
