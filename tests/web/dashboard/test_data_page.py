"""The Data page (in-process): types and properties with names escaped, the editor's
suggestions, the warnings banner on a journey page and live in the editor."""

from __future__ import annotations

import re
from html import unescape

import pytest
from fastapi import FastAPI

from headway.api import Headway
from headway.model.journey import parse_journey
from headway.settings import Settings
from headway.store import Store
from headway.store.journeys import save_journey
from headway.web.app import create_app
from tests.web.auth_support import Browser, form_token

HTML = {"accept": "text/html"}
SCRIPT = "<script>alert(1)</script>"
TYPES = ["$pageview", "Order Completed", "[Amplitude] Page Viewed", "Página vista", SCRIPT]
ORDERS = """\
name: Orders
stages:
  - name: Viewed
    when: {type: $pageview}
  - name: Ordered
    when: {type: Order Complete}
"""


@pytest.fixture
def store_with_names(store: Store) -> Store:
    hw = Headway(store)
    hw.add_activities(
        [
            {"contact": f"c{i}", "type": t, "ts": f"2025-06-0{i + 1}T10:00:00Z",
             "properties": {"$current_url": "/pricing", "<b>key</b>": SCRIPT,
                            "context": {"page.url": "/p"}}}
            for i, t in enumerate(TYPES)
        ]
    )  # fmt: skip
    save_journey(store, parse_journey(ORDERS), ORDERS)
    return store


@pytest.fixture
def app(store_with_names: Store) -> FastAPI:
    return create_app(store_with_names, Settings())


@pytest.fixture
def browser(app: FastAPI) -> Browser:
    return Browser(app)


def cells(html: str, table: str) -> list[str]:
    """The row header texts of a table, unescaped."""
    body = re.search(rf'<table class="data" id="{table}">(.*?)</table>', html, re.S)
    assert body is not None
    return [unescape(re.sub(r"<[^>]+>", "", h)) for h in re.findall(r"<th scope=\"row\"[^>]*>(.*?)</th>", body.group(1), re.S)]  # fmt: skip


def test_the_data_page_lists_every_type_verbatim_and_escaped(browser: Browser) -> None:
    page = browser.get("/data", headers=HTML)
    assert page.status_code == 200
    assert sorted(cells(page.text, "types-table")) == sorted(TYPES)
    assert SCRIPT not in page.text  # escaped, never markup
    assert '<a href="/data" aria-current="page">Data</a>' in page.text


def test_the_properties_of_a_type(browser: Browser) -> None:
    page = browser.get("/data", params={"type": SCRIPT}, headers=HTML)
    assert page.status_code == 200
    assert cells(page.text, "properties-table") == [
        "$current_url",
        "<b>key</b>",
        "context",
        'context."page.url"',
    ]
    assert SCRIPT not in page.text and "&lt;b&gt;key&lt;/b&gt;" in page.text
    assert "100.0%" in page.text and '"/pricing" (1)' in unescape(page.text)


def test_an_unknown_type_says_so(browser: Browser) -> None:
    page = browser.get("/data", params={"type": "nope"}, headers=HTML)
    assert page.status_code == 200
    assert "No activity of type “nope” has been seen." in page.text


def test_the_editor_suggestions(browser: Browser) -> None:
    data = browser.get("/data/catalog.json").json()
    assert sorted(data["types"]) == sorted(TYPES)
    paths = {p["path"]: p["values"] for p in data["paths"]["$pageview"]}
    assert paths['context."page.url"'] == ["/p"] and paths["<b>key</b>"] == [SCRIPT]
    editor = browser.get("/journeys/new", headers=HTML).text
    assert 'list="suggest-types"' in editor and 'data-catalog="/data/catalog.json"' in editor


def test_the_journey_page_shows_the_warnings(browser: Browser) -> None:
    page = browser.get("/journeys/Orders", headers=HTML)
    assert page.status_code == 200
    banner = re.search(r'<div class="notice warning"[^>]*>(.*?)</div>', page.text, re.S)
    assert banner is not None
    assert (
        "no activity of type &#39;Order Complete&#39; was seen; did you mean"
        " &#39;Order Completed&#39;?" in banner.group(1)
    )


def test_the_editor_validates_with_warnings(browser: Browser) -> None:
    token = form_token(browser.get("/journeys/new", headers=HTML).text)
    answer = browser.post(
        "/journeys/editor/validate", json={"text": ORDERS}, headers={"X-CSRF-Token": token}
    ).json()
    assert answer["valid"] is True
    assert [(w["field"], w["kind"]) for w in answer["warnings"]] == [
        ("stages[1].when.type", "unknown_type")
    ]
