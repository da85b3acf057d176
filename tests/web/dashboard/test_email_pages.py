"""The Emails list and the email page, in-process on a small world with bots and a honeypot."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime, timedelta
from html import unescape
from typing import Any

import pytest

from headway.api import Headway
from headway.engine.diagnostics.email_journeys import email_stages
from headway.engine.email.queries import StatsQuery
from headway.engine.email.stats import email_stats
from headway.model.journey import parse_journey
from headway.settings import Settings
from headway.store import Store, email_rollup
from headway.store.emails import add_link, register_email
from headway.store.journeys import save_journey
from headway.web.app import create_app
from tests.web.conftest import Client

HTML = {"accept": "text/html"}
EMAIL = "news-1"
EVIL = "<b>Big</b> news & more"
T0 = datetime(2025, 6, 2, 9, 0)
AS_OF = "2025-06-30"


def activity(contact: str, type_: str, minutes: int, **props: Any) -> dict[str, Any]:
    """One email activity of EMAIL, ``minutes`` after T0."""
    ts = (T0 + timedelta(minutes=minutes)).isoformat() + "Z"
    return {"contact": contact, "type": type_, "ts": ts, "properties": {"email": EMAIL, **props}}


def records(offer: str, trap: str) -> list[dict[str, Any]]:
    """Four recipients: a bounce, a machine open, human opens and clicks, a honeypot click."""
    out = [activity(c, "email_sent", 0) for c in ("ann", "ben", "cy", "dee")]
    out += [activity(c, "email_delivered", 1) for c in ("ann", "ben", "cy")]
    out += [activity("dee", "email_bounce", 1, bounce_type="hard")]
    out += [activity("ann", "email_open", 2, user_agent="Mozilla/5.0")]  # Apple MPP below
    out += [activity("ben", "email_open", 90), activity("ben", "email_click", 95, link=offer)]
    out += [activity("cy", "email_click", 200, link=trap)]
    out += [{"contact": "ann", "type": "page_visit", "ts": "2025-06-01T08:00:00Z"}]
    return out


@pytest.fixture
def hw(store: Store) -> Headway:
    hw = Headway(store)
    register_email(store, EMAIL, name=EVIL, subject="Hello", campaign="june")
    offer = add_link(store, EMAIL, "https://example.com/offer", label="offer")
    trap = add_link(store, EMAIL, "https://example.com/trap", label="trap", honeypot=True)
    hw.add_activities(records(offer, trap))
    # label ann's open and cy's honeypot click as machine-made, as the labeller would
    # (and keep the email statistics pre-aggregate current, as the labeller does)
    store.write(
        lambda conn: (
            conn.execute(
                "UPDATE activities SET bot = true, bot_reason = 'test' WHERE contact_key IN"
                " (SELECT key FROM contacts WHERE id IN ('ann', 'cy'))"
                " AND type_code IN (SELECT code FROM activity_types"
                " WHERE name IN ('email_open', 'email_click'))"
            ),
            email_rollup.rebuild(conn),
        )
    )
    journey = {"name": "Visit then click", "stages": [
        {"name": "Visited", "when": {"type": "page_visit"}},
        {"name": "Clicked", "when": {"type": "email_click"}},
    ]}  # fmt: skip
    save_journey(store, parse_journey(journey), None)
    return hw


@pytest.fixture
def client(hw: Headway, asgi_client: type[Client]) -> Client:
    return asgi_client(create_app(hw.store, Settings()))


def figures(page: str) -> dict[str, str]:
    """The first ``data-metric`` figure of each name on a page."""
    found: dict[str, str] = {}
    for name, text in re.findall(r'data-metric="([a-z_]+)"[^>]*>([^<]*)<', page):
        found.setdefault(name, unescape(text).strip())
    return found


def embedded(page: str, element_id: str) -> dict[str, Any]:
    match = re.search(rf'<script type="application/json" id="{element_id}">(.*?)</script>', page)
    assert match, element_id
    return json.loads(match.group(1))  # type: ignore[no-any-return]


def test_the_list_defaults_to_the_human_view(client: Client, hw: Headway) -> None:
    r = client.get("/emails", headers=HTML)
    assert r.status_code == 200
    human = email_stats(hw.backend, StatsQuery(human=True)).rows[0]
    shown = figures(r.text)
    assert shown["unique_opens"] == str(human.unique_opens) == "1"  # ben only
    assert shown["bot_opens"] == "1"
    assert 'data-view="human" aria-current="page"' in r.text


def test_the_all_view_counts_machine_activity(client: Client, hw: Headway) -> None:
    r = client.get("/emails?view=all", headers=HTML)
    every = email_stats(hw.backend, StatsQuery(human=False)).rows[0]
    assert figures(r.text)["unique_opens"] == str(every.unique_opens) == "3"
    assert 'data-view="all" aria-current="page"' in r.text


def test_the_email_page_matches_the_engine_in_both_views(client: Client, hw: Headway) -> None:
    for view, human in (("human", True), ("all", False)):
        r = client.get(f"/emails/{EMAIL}?view={view}", headers=HTML)
        assert r.status_code == 200
        m = email_stats(hw.backend, StatsQuery(human=human, email=EMAIL)).rows[0]
        shown = figures(r.text)
        assert shown["sent"] == str(m.sent) and shown["delivered"] == str(m.delivered)
        assert shown["unique_clicks"] == str(m.unique_clicks)
        assert shown["bounce_rate"] == f"{100 * m.rates()['bounce_rate']:.1f}%"
        funnel = embedded(r.text, "fig-funnel")["data"][0]["x"]
        assert funnel == [m.sent, m.delivered, m.unique_opens, m.unique_clicks]


def test_the_links_table_marks_the_honeypot(client: Client) -> None:
    r = client.get(f"/emails/{EMAIL}?view=all", headers=HTML)
    table = r.text[r.text.index('id="links-table"') :]
    assert re.search(r'<tr class="honeypot">\s*<th scope="row">\s*trap', table)
    assert "honeypot</span>" in table
    human = client.get(f"/emails/{EMAIL}", headers=HTML).text
    assert "trap" not in human[human.index('id="links-table"') :].split("</table>")[0]


def test_the_recipients_stages_are_the_clis(client: Client, hw: Headway) -> None:
    r = client.get(f"/emails/{EMAIL}?as_of={AS_OF}", headers=HTML)
    expected = email_stages(hw.backend, hw.match("Visit then click", as_of=AS_OF), EMAIL)
    block = r.text[r.text.index("Visit then click</a>") :].split("</table>")[0]
    cells = re.findall(r'<th scope="row">([^<]*)</th><td class="num">([\d,]+)</td>', block)
    assert [(unescape(s), int(n.replace(",", ""))) for s, n in cells] == [
        (s.stage, s.recipients) for s in expected.stages
    ]
    assert ("Visited", 1) in [(s.stage, s.recipients) for s in expected.stages]  # ann


def test_names_are_escaped(client: Client) -> None:
    for url in ("/emails", f"/emails/{EMAIL}"):
        page = client.get(url, headers=HTML).text
        assert "<b>Big</b>" not in page
        assert "&lt;b&gt;Big&lt;/b&gt; news &amp; more" in page


def test_the_influence_panel_is_lazy(client: Client) -> None:
    page = client.get(f"/emails/{EMAIL}", headers=HTML).text
    assert f'class="lazy-panel" data-src="/emails/{EMAIL}/panels/influence"' in page


def test_an_unknown_email_is_a_404(client: Client) -> None:
    r = client.get("/emails/no-such-email", headers=HTML)
    assert r.status_code == 404
    assert "no-such-email" in unescape(r.text)


def csv_hrefs(page: str) -> list[str]:
    """The CSV download links of a page, in page order."""
    return [unescape(h) for h in re.findall(r'<a class="csv-link" href="([^"]+)" download', page)]


def csv_rows(client: Client, href: str) -> list[dict[str, str]]:
    """The rows of a CSV download."""
    r = client.get(href)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv"), r.text
    return list(csv.DictReader(io.StringIO(r.text)))


def test_the_list_csv_has_the_tables_numbers(client: Client, store: Store, hw: Headway) -> None:
    register_email(store, "promo", name='=HYPERLINK("http://x")', campaign="@june")
    hw.add_activities([{"contact": "ann", "type": "email_sent", "ts": "2025-06-03T09:00:00Z",
                        "properties": {"email": "promo"}}])  # fmt: skip
    for view in ("human", "all"):
        page = client.get(f"/emails?view={view}", headers=HTML).text
        (href,) = csv_hrefs(page)
        assert f"view={view}" in href
        rows = {r["key"]: r for r in csv_rows(client, href)}
        row = page[page.index(f'<tr data-email="{EMAIL}">') :].split("</tr>")[0]
        shown = figures(row)
        news = rows[EMAIL]
        for name in ("sent", "delivered", "unique_opens", "unique_clicks"):
            assert shown[name] == news[name], name
        assert shown["open_rate"] == f"{100 * float(news['open_rate']):.1f}%"
        assert news["name"] == EVIL
        # formula-like text is kept as text by the one CSV writer
        assert rows["promo"]["name"] == '\'=HYPERLINK("http://x")'
        assert rows["promo"]["campaign"] == "'@june"


def test_the_email_page_tables_download_as_csv(client: Client, hw: Headway) -> None:
    page = client.get(f"/emails/{EMAIL}?view=all&as_of={AS_OF}", headers=HTML).text
    hrefs = {re.search(r"table=(\w+)", h).group(1): h for h in csv_hrefs(page)}  # type: ignore[union-attr]
    assert list(hrefs) == ["metrics", "links", "days", "hours", "stages"]
    assert all("view=all" in h for h in hrefs.values()) and f"as_of={AS_OF}" in hrefs["stages"]
    (metrics,) = csv_rows(client, hrefs["metrics"])
    shown = figures(page)
    for name in ("sent", "delivered", "unique_opens", "unique_clicks"):
        assert shown[name] == metrics[name], name
    links = {r["label"]: r for r in csv_rows(client, hrefs["links"])}
    table = page[page.index('id="links-table"') :].split("</table>")[0]
    cells = re.findall(r'<th scope="row">\s*(\w+).*?<td class="num">(\d+)</td>', table, re.S)
    assert {label: links[label]["clicks"] for label, _ in cells} == dict(cells)
    assert set(dict(cells)) == set(links) == {"offer", "trap"}
    assert links["trap"]["honeypot"] == "True" and int(metrics["clicks"]) == 2
    hours = csv_rows(client, hrefs["hours"])
    assert sum(int(h["clicks"]) for h in hours) == int(metrics["clicks"])
    expected = email_stages(hw.backend, hw.match("Visit then click", as_of=AS_OF), EMAIL)
    stages = csv_rows(client, hrefs["stages"])
    assert [(s["journey"], s["stage"], int(s["recipients"])) for s in stages] == [
        ("Visit then click", s.stage, s.recipients) for s in expected.stages
    ]
