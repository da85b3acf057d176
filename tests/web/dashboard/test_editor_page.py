"""The journey editor, in-process: the engine's messages, the preview, saving with CSRF."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import quote

import pytest
from fastapi import FastAPI

from headway.api import Headway
from headway.model.journey import parse_journey
from headway.settings import Settings
from headway.store import Store
from headway.store.journeys import get_journey, get_source_text, list_journeys, save_journey
from headway.web.app import create_app
from tests.web.auth_support import Browser, form_token
from tests.web.page_visits import page_visits

HTML = {"accept": "text/html"}
AS_OF = "2025-06-30"
GOOD = """\
name: Pricing <interest>
window: 14d
stages:
  - name: Visited
    when: {type: page_visit}
  - name: Pricing
    when: {type: page_visit, where: {url: {contains: /pricing}}}
"""
BROKEN = GOOD.replace("contains:", "contain:")
MESSAGE = "stages[1].when.where.url: unknown operator 'contain' (did you mean 'contains'?)"


@pytest.fixture
def app(store: Store) -> FastAPI:
    hw = Headway(store)
    hw.add_activities(page_visits({"a": ["/", "/pricing"], "b": ["/"], "c": ["/pricing"]}))
    save_journey(store, parse_journey(GOOD.replace("Pricing <interest>", "Existing")), "x: 1")
    return create_app(store, Settings())


@pytest.fixture
def browser(app: FastAPI) -> Browser:
    return Browser(app)


def token(browser: Browser, path: str = "/journeys/new") -> str:
    page = browser.get(path, headers=HTML)
    assert page.status_code == 200
    return form_token(page.text)


def test_validate_answers_the_engines_messages(browser: Browser) -> None:
    headers = {"X-CSRF-Token": token(browser)}
    bad = browser.post("/journeys/editor/validate", json={"text": BROKEN}, headers=headers)
    assert bad.status_code == 200
    assert bad.json()["valid"] is False
    assert bad.json()["problems"] == [
        {"field": "stages[1].when.where.url", "reason": MESSAGE.split(": ", 1)[1],
         "message": MESSAGE}
    ]  # fmt: skip
    good = browser.post("/journeys/editor/validate", json={"text": GOOD}, headers=headers)
    assert good.json() == {
        "valid": True, "name": "Pricing <interest>", "stages": ["Visited", "Pricing"],
        "problems": [], "warnings": [],
    }  # fmt: skip
    syntax = browser.post("/journeys/editor/validate", json={"text": "a: [1"}, headers=headers)
    assert "line" in syntax.json()["problems"][0]["message"]


def test_posts_without_the_csrf_token_are_refused(browser: Browser, store: Store) -> None:
    token(browser)  # the browser has its cookie, but sends no token
    for path in ("/journeys/editor/validate", "/journeys/editor/preview"):
        assert browser.post(path, json={"text": GOOD}).status_code == 403
    assert browser.post("/journeys/editor/save", data={"text": GOOD}).status_code == 403
    assert [j.name for j in list_journeys(store)] == ["Existing"]


def test_preview_runs_the_funnel_on_the_draft(browser: Browser, store: Store) -> None:
    headers = {"X-CSRF-Token": token(browser)}
    r = browser.post(
        "/journeys/editor/preview", json={"text": GOOD, "as_of": AS_OF}, headers=headers
    )
    expected = Headway(store).funnel(parse_journey(GOOD), as_of=AS_OF)
    assert [s["reached"] for s in r.json()["preview"]] == [s.reached for s in expected.stages]
    assert [s["reached"] for s in r.json()["preview"]] == [3, 1]  # c: one visit, one stage
    assert r.json()["as_of"].startswith(AS_OF)
    assert [j.name for j in list_journeys(store)] == ["Existing"]  # nothing saved
    bad = browser.post("/journeys/editor/preview", json={"text": BROKEN}, headers=headers)
    assert bad.json()["valid"] is False and "preview" not in bad.json()


def test_a_broken_save_shows_the_messages_and_keeps_the_text(
    browser: Browser, store: Store
) -> None:
    r = browser.post("/journeys/editor/save", data={"text": BROKEN, "csrf_token": token(browser)})
    assert r.status_code == 200
    assert MESSAGE in unescape(re.sub(r"<[^>]+>", "", r.text))
    area = re.search(r'<textarea id="definition"[^>]*>(.*?)</textarea>', r.text, re.S)
    assert area and unescape(area.group(1)) == BROKEN
    assert [j.name for j in list_journeys(store)] == ["Existing"]


def test_a_good_save_stores_a_version_and_opens_the_journey(browser: Browser, store: Store) -> None:
    r = browser.post(
        "/journeys/editor/save",
        data={"text": GOOD, "csrf_token": token(browser)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert r.headers["location"] == "/journeys/" + quote("Pricing <interest>", safe="")
    journey, version = get_journey(store, "Pricing <interest>")
    assert version == 1 and [s.name for s in journey.stages] == ["Visited", "Pricing"]
    assert get_source_text(store, "Pricing <interest>", 1) == GOOD


def test_a_new_journey_never_overwrites_another(browser: Browser, store: Store) -> None:
    text = GOOD.replace("Pricing <interest>", "Existing")
    r = browser.post("/journeys/editor/save", data={"text": text, "csrf_token": token(browser)})
    assert r.status_code == 200 and "already exists" in unescape(r.text)
    assert get_journey(store, "Existing")[1] == 1


def test_editing_adds_a_version(browser: Browser, store: Store) -> None:
    page = browser.get("/journeys/Existing/edit", headers=HTML)
    assert ">x: 1</textarea>" in page.text  # the text it was saved from
    text = GOOD.replace("Pricing <interest>", "Existing").replace("14d", "7d")
    data = {"text": text, "original": "Existing", "csrf_token": form_token(page.text)}
    r = browser.post("/journeys/editor/save", data=data, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/journeys/Existing"
    journey, version = get_journey(store, "Existing")
    assert version == 2 and journey.window_seconds == 7 * 86400


def test_the_editor_of_an_unknown_journey_is_a_404(browser: Browser) -> None:
    assert browser.get("/journeys/Nope/edit", headers=HTML).status_code == 404


def test_the_starter_text_is_a_valid_journey(browser: Browser) -> None:
    page = browser.get("/journeys/new", headers=HTML).text
    area = re.search(r'<textarea id="definition"[^>]*>(.*?)</textarea>', page, re.S)
    assert area and parse_journey(unescape(area.group(1))).name == "My journey"


def test_the_builder_gets_the_canonical_mapping_of_the_text(browser: Browser) -> None:
    headers = {"X-CSRF-Token": token(browser)}
    canonical = GOOD.replace("window: 14d", "order: ordered\nwindow: 2w")
    r = browser.post("/journeys/editor/model", json={"text": GOOD}, headers=headers).json()
    assert r["valid"] and r["canonical"] == canonical and r["is_canonical"] is False
    assert r["definition"]["stages"][1] == {
        "name": "Pricing", "when": {"type": "page_visit", "where": {"url": {"contains": "/pricing"}}}
    }  # fmt: skip
    again = browser.post("/journeys/editor/model", json={"text": canonical}, headers=headers)
    assert again.json()["is_canonical"] is True
    bad = browser.post("/journeys/editor/model", json={"text": BROKEN}, headers=headers).json()
    assert bad["valid"] is False and "definition" not in bad and bad["problems"]


def test_the_builders_mapping_is_written_as_canonical_yaml(browser: Browser) -> None:
    headers = {"X-CSRF-Token": token(browser)}
    canonical = GOOD.replace("window: 14d", "order: ordered\nwindow: 2w")
    definition = browser.post(
        "/journeys/editor/model", json={"text": GOOD}, headers=headers
    ).json()["definition"]
    r = browser.post("/journeys/editor/yaml", json={"definition": definition}, headers=headers)
    assert r.json() == {"valid": True, "text": canonical, "problems": []}
    # A draft that is not valid yet still has its text, with the problems.
    definition["stages"][0]["name"] = ""
    r = browser.post("/journeys/editor/yaml", json={"definition": definition}, headers=headers)
    assert r.json()["valid"] is False and "  - name: ''\n" in r.json()["text"]
    assert r.json()["problems"][0]["field"] == "stages[0].name"
    deep: dict[str, object] = {}
    for _ in range(40):
        deep = {"not": deep}
    definition["stages"][0] = {"name": "A", "when": deep}
    r = browser.post("/journeys/editor/yaml", json={"definition": definition}, headers=headers)
    assert r.status_code == 200 and r.json()["text"] is None
    assert "nested more than 32 levels" in r.json()["problems"][0]["message"]
    assert browser.post("/journeys/editor/yaml", json={"definition": {}}).status_code == 403


def test_a_text_areas_crlf_line_breaks_are_saved_as_lf(browser: Browser, store: Store) -> None:
    # Browsers send a text area's line breaks as CRLF; the text shown (and stored) has LF.
    sent = GOOD.replace("\n", "\r\n")
    r = browser.post(
        "/journeys/editor/save",
        data={"text": sent, "csrf_token": token(browser)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert get_source_text(store, "Pricing <interest>", 1) == GOOD
