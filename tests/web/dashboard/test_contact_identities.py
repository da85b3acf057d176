"""The contact page with merged ids: the Identities card, the aliases' activities in the
timeline (marked with the id they were recorded under, reaching stages), the alias's page."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from html import unescape
from urllib.parse import quote

import pytest

from headway.api import Headway
from headway.ingest.presets import IdentityClaim
from headway.model.journey import parse_journey
from headway.settings import Settings
from headway.store import Store
from headway.store.journeys import save_journey
from headway.web.app import create_app
from tests.web.conftest import Client

HTML = {"accept": "text/html"}
T0 = datetime(2025, 6, 1, 9, 0)
EVIL = "<script>alert(1)</script>/anon"
JOURNEY = {
    "name": "Sign-up",
    "window": "7d",
    "stages": [
        {"name": "Visit", "when": {"type": "page_visit"}},
        {"name": "Sign-up", "when": {"type": "signup"}},
    ],
}


@pytest.fixture
def hw(store: Store) -> Headway:
    hw = Headway(store)
    hw.add_activities(
        [
            {"contact": EVIL, "type": "page_visit", "ts": T0.isoformat() + "Z",
             "properties": {"url": "/pricing"}},
            {"contact": "ann", "type": "signup", "ts": (T0 + timedelta(hours=1)).isoformat() + "Z"},
            {"contact": "bob", "type": "signup", "ts": (T0 + timedelta(hours=2)).isoformat() + "Z"},
        ]
    )  # fmt: skip
    save_journey(store, parse_journey(JOURNEY), None)
    hw.claim_identities(
        [
            IdentityClaim(EVIL, "ann", T0 + timedelta(hours=1), "identify-1", "segment"),
            IdentityClaim(EVIL, "bob", T0 + timedelta(hours=2), "identify-2", "segment"),
        ]
    )
    return hw


@pytest.fixture
def client(hw: Headway, asgi_client: type[Client]) -> Client:
    return asgi_client(create_app(hw.store, Settings()))


def page_of(client: Client, contact: str) -> str:
    r = client.get(f"/contacts/{quote(contact, safe='')}?as_of=2025-06-30", headers=HTML)
    assert r.status_code == 200, r.text
    return r.text


def test_the_contact_page_lists_the_merged_ids_and_the_links(client: Client) -> None:
    page = page_of(client, "ann")
    card = page[page.index('id="identities"') : page.index('id="h-journeys"')]
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;/anon" in card
    assert 'id="merged-ids"' in card and 'id="merged-into"' not in card
    rows = re.findall(r"<tr>(.*?)</tr>", card[card.index("<tbody>") :], re.S)
    cells = [[unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(
        r"<td[^>]*>(.*?)</td>", row, re.S)] for row in rows]  # fmt: skip
    assert [c[0:4] + c[5:] for c in cells] == [
        ["2", EVIL, "bob", "conflict", "identify-2", "segment"],
        ["1", EVIL, "ann", "merged", "identify-1", "segment"],
    ]
    assert f'href="/contacts/{quote(EVIL, safe="")}"' in card


def test_the_timeline_has_the_alias_activity_and_its_stage(client: Client) -> None:
    page = page_of(client, "ann")
    timeline = page[page.index('id="timeline"') :]
    assert timeline.count('<tr id="activity-') == 2
    assert "as &lt;script&gt;alert(1)&lt;/script&gt;/anon" in timeline
    assert "Sign-up · 1. Visit" in unescape(timeline) and "Sign-up · 2. Sign-up" in unescape(
        timeline
    )
    journeys = page[page.index('id="journeys-table"') :].split("</tr>")[1]
    assert "2 of 2" in journeys and "converted" in journeys


def test_the_alias_page_says_where_it_is_merged(client: Client) -> None:
    page = page_of(client, EVIL)
    notice = page[page.index('id="merged-into"') :].split("</p>")[0]
    assert 'href="/contacts/ann"' in notice and "ann</a>" in notice
    journeys = page[page.index('id="journeys-table"') :].split("</tr>")[1]
    assert "0 of 2" in journeys  # its visit counts for ann


def test_a_contact_named_only_by_a_conflict_shows_the_link_and_no_merged_ids(
    client: Client, hw: Headway
) -> None:
    page = page_of(client, "bob")
    assert 'id="identities"' in page and 'id="merged-ids"' not in page
    assert page.count('<tr id="activity-') == 1
    hw.unmerge(2)  # undone links stay listed
    assert "undone" in page_of(client, "bob")
    hw.add_activities([{"contact": "carl", "type": "signup", "ts": T0.isoformat() + "Z"}])
    assert 'id="identities"' not in page_of(client, "carl")
