"""The visual journey builder in a real browser: a journey built only with its controls is
saved as exactly the expected YAML; YAML edits show in the builder; it works on a phone."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from headway.model.journey import parse_journey
from headway.model.journey_yaml import journey_yaml
from tests.browser.conftest import AS_OF, DemoServer
from tests.browser.demo_copy import serve_copy
from tests.browser.doc_screenshots import docs_screenshot
from tests.browser.phone_layout import assert_phone_layout

pytestmark = pytest.mark.slow  # a browser, a server and the demo world: seconds per test

NAME = "Builder trial"
EXPECTED = """\
name: Builder trial
order: unordered
window: 2w
filter: {where: {bot: false}}
stages:
  - name: Signed up
    when: {type: form_submission, where: {form: trial}}
    first_time: matching
  - name: Read docs
    when: {type: page_visit, where: {url: {starts_with: /docs/}}}
  - name: Pricing or webinar
    when:
      any:
        - {type: page_visit, where: {url: {contains: /pricing}}}
        - {type: form_submission, where: {form: {in: [webinar, contact-sales]}}}
  - name: Purchase
    when: {type: purchase}
    kpi: 400
exclusions:
  - when: {type: email_unsubscribe}
    between: [Signed up, Purchase]
exit_when: {type: email_bounce, where: {bounce_type: hard}}
stall_after: 10d
"""

# Every key of the format, values of each JSON type (a number past 2**53, a float, booleans),
# quoted names and property paths: the builder keeps all of it exactly.
EVERYTHING = """\
name: Everything
description: |-
  Two lines,
  with a colon: here
order: unordered
window: 9d
date_range: {from: 2025-01-01, to: '2025-03-31T12:30:00'}
filter: {where: {country: NO, source: {neq: api}}}
stages:
  - name: '[Amplitude] Page Viewed'
    description: the first one
    when: {type: '[Amplitude] Page Viewed', where: {context."page.url": {starts_with: /docs}}}
    first_time: event
  - name: yes
    when: {type: [a, b, 'true'], where: {n: {gte: 12345678901234567890, lt: 100.5}, code: '42'}}
    first_time: matching
    kpi: 12
  - name: Not blog
    when: {not: {where: {url: {regex: '^/blog/[0-9]{4}/'}, x: 1.0, flag: true}}}
exclusions:
  - when: {type: email_unsubscribe}
    between: ['[Amplitude] Page Viewed', Not blog]
exit_when: {any: [{type: bounce}, {all: [{type: complaint}, {where: {bot: false}}]}]}
stall_after: 36h
"""


@pytest.fixture(scope="module")
def builder_server(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    """A copy of the demo world to save journeys into (the shared one stays unchanged)."""
    with serve_copy(demo_db, tmp_path_factory.mktemp("builder")) as server:
        yield server


def ready(page: Page) -> None:
    """Wait until the builder shows the text's journey and can be edited."""
    expect(page.locator("#builder-status")).to_have_text("The builder follows the YAML.")
    expect(page.get_by_role("button", name="Add stage")).to_be_enabled()


def stage(page: Page, i: int) -> Locator:
    return page.locator("#b-stages > li").nth(i)


def match(box: Locator, type_: str, where: tuple[str, str, str] | None = None) -> None:
    """Fill an activity condition: its type and, optionally, one property condition."""
    box.get_by_label("Activity type", exact=True).first.fill(type_)
    if where is not None:
        field, op, value = where
        box.get_by_role("button", name="Add property condition").first.click()
        box.get_by_label("Property", exact=True).last.fill(field)
        box.get_by_label("Operator", exact=True).last.select_option(op)
        label = "Value 1" if op in ("in", "not_in") else "Value"
        box.get_by_label(label, exact=True).last.fill(value)


def test_a_journey_built_in_the_builder_is_saved_as_canonical_yaml_and_follows_the_text(
    builder_server: DemoServer, page: Page
) -> None:
    assert journey_yaml(parse_journey(EXPECTED)) == EXPECTED  # the writer's own form
    page.goto(builder_server.url + "/journeys/new")
    ready(page)
    for i in (4, 3, 2):  # the starter's stages, but one
        page.get_by_role("button", name=f"Remove stage {i}").click()
    journey = page.locator("fieldset.b-group").first
    journey.get_by_label("Name", exact=True).fill(NAME)
    journey.get_by_label("Order").select_option("unordered")
    journey.get_by_label("Window").fill("2w")
    journey.get_by_label("Stalled after").fill("10d")
    journey.get_by_label("Only activities that match a filter").check()
    filter_box = journey.locator(".b-condition")
    filter_box.get_by_role("button", name="Add property condition").click()
    filter_box.get_by_label("Property", exact=True).fill("bot")
    filter_box.get_by_label("Value kind").select_option("false")
    expect(filter_box.get_by_label("Value", exact=True)).to_be_hidden()  # false needs no text

    stage(page, 0).get_by_label("Stage name").fill("Signed up")
    match(stage(page, 0), "form_submission", ("form", "eq", "trial"))
    stage(page, 0).get_by_label("First time").select_option("matching")
    # Keyboard: "Add stage" by Enter puts the focus in the new stage's name.
    page.get_by_role("button", name="Add stage").focus()
    page.keyboard.press("Enter")
    expect(stage(page, 1).get_by_label("Stage name")).to_be_focused()
    page.keyboard.type("Read docs")
    match(stage(page, 1), "page_visit", ("url", "starts_with", "/docs/"))
    page.get_by_role("button", name="Add stage").click()
    third = stage(page, 2)
    third.get_by_label("Stage name").fill("Pricing or webinar")
    third.get_by_label("Condition", exact=True).first.select_option("any")
    third.get_by_role("button", name="Add alternative").click()
    match(third.locator(".b-items > li").nth(0), "page_visit", ("url", "contains", "/pricing"))
    second = third.locator(".b-items > li").nth(1)
    match(second, "form_submission", ("form", "in", "webinar"))
    second.get_by_role("button", name="Add value").click()
    second.get_by_label("Value 2", exact=True).fill("contact-sales")
    page.get_by_role("button", name="Add stage").click()
    stage(page, 3).get_by_label("Stage name").fill("Purchase")
    match(stage(page, 3), "purchase")
    stage(page, 3).get_by_label("Target contacts (KPI)").fill("400")

    page.get_by_role("button", name="Add exclusion").click()
    exclusion = page.locator("li[aria-label='Exclusion 1']")
    match(exclusion, "email_unsubscribe")
    expect(exclusion.get_by_label("From stage")).to_have_value("Signed up")
    expect(exclusion.get_by_label("To stage")).to_have_value("Purchase")
    exit_box = page.locator("section[aria-labelledby='b-exit-heading']")
    exit_box.get_by_label("Contacts drop off when an activity matches").check()
    match(exit_box, "email_bounce", ("bounce_type", "eq", "hard"))

    expect(page.locator("#definition")).to_have_value(EXPECTED)
    expect(page.locator("#validity")).to_have_text("Valid: Builder trial, 4 stages.")
    page.locator("#preview-as-of").fill(AS_OF)
    status = page.locator("#preview-status", has_text=f"{NAME} as of {AS_OF}")
    status.wait_for()
    rows = page.locator("#preview-table tbody tr")
    shown = rows.evaluate_all("rows => rows.map(r => r.cells[2].textContent)")
    page.locator("#preview-as-of").blur()
    page.set_viewport_size({"width": 1280, "height": 1700})  # the builder, YAML and preview
    page.locator("#builder").evaluate("b => window.scrollTo(0, b.offsetTop - 8)")
    docs_screenshot(page, "journey-builder", "desktop")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.locator("#save").click()
    page.wait_for_url(f"**/journeys/{quote(NAME, safe='')}")
    stored = httpx.get(f"{builder_server.url}/api/v1/journeys/{quote(NAME, safe='')}").json()
    assert stored["source_text"] == EXPECTED
    funnel = httpx.get(
        f"{builder_server.url}/api/v1/journeys/{quote(NAME, safe='')}/funnel",
        params={"as_of": AS_OF},
        timeout=60,
    ).json()
    assert [int(s.replace(",", "")) for s in shown] == [s["reached"] for s in funnel["stages"]]

    # The YAML edited by hand: the builder shows the change.
    page.goto(f"{builder_server.url}/journeys/{quote(NAME, safe='')}/edit")
    ready(page)
    edited = EXPECTED.replace("kpi: 400", "kpi: 450").replace("Purchase", "Bought")
    page.locator("#definition").fill(edited)
    expect(stage(page, 3).get_by_label("Stage name")).to_have_value("Bought")
    expect(stage(page, 3).get_by_label("Target contacts (KPI)")).to_have_value("450")
    expect(page.locator("li[aria-label='Exclusion 1']").get_by_label("To stage")).to_have_value(
        "Bought"
    )
    expect(page.get_by_role("button", name="Add stage")).to_be_enabled()
    # A comment is not dropped silently: the builder asks before rewriting the text.
    page.locator("#definition").fill("# reviewed by sales\n" + edited)
    expect(page.locator("#builder-adopt-box")).to_be_visible()
    expect(page.get_by_role("button", name="Add stage")).to_be_disabled()
    assert page.locator("#definition").input_value().startswith("# reviewed")
    page.get_by_role("button", name="Rewrite the YAML and edit in the builder").click()
    expect(page.locator("#definition")).to_have_value(edited)
    expect(page.get_by_role("button", name="Add stage")).to_be_enabled()


def test_the_builder_is_usable_on_a_phone(demo_server: DemoServer, phone_page: Page) -> None:
    page = phone_page
    page.goto(demo_server.url + "/journeys/Lead%20nurturing/edit")
    expect(page.locator("#builder-adopt-box")).to_be_visible()  # the example has a comment
    page.get_by_role("button", name="Rewrite the YAML and edit in the builder").click()
    expect(page.get_by_role("button", name="Add stage")).to_be_enabled()
    third = stage(page, 2)
    expect(third.get_by_label("Condition", exact=True).first).to_have_value("any")
    third.get_by_role("button", name="Add alternative").click()
    match(third.locator(".b-items > li").nth(2), "form_submission", ("form", "in", "webinar"))
    added = "{type: form_submission, where: {form: {in: [webinar]}}}"
    expect(page.locator("#definition")).to_have_value(re.compile(re.escape(added)))
    expect(page.locator("#validity")).to_have_text("Valid: Lead nurturing, 4 stages.")
    page.locator("#preview-table tbody tr").first.wait_for()
    assert_phone_layout(page)
    # Every control of the builder has a label; every button says what it does.
    unnamed = page.locator("#builder-body").evaluate(
        """b => [...b.querySelectorAll('input, select, textarea')].filter(e => !e.labels.length)
                .concat([...b.querySelectorAll('button')].filter(e => !e.textContent.trim()))
                .map(e => e.outerHTML)"""
    )
    assert unnamed == []
    docs_screenshot(page, "journey-builder", "phone")

    # Lossless: a journey using every part of the format goes through the builder unchanged.
    assert journey_yaml(parse_journey(EVERYTHING)) == EVERYTHING
    page.locator("#definition").fill(EVERYTHING)
    name = page.locator("fieldset.b-group").first.get_by_label("Name", exact=True)
    expect(name).to_have_value("Everything")
    expect(page.get_by_role("button", name="Add stage")).to_be_enabled()
    name.fill("Everything else")
    expect(page.locator("#definition")).to_have_value(
        EVERYTHING.replace("name: Everything", "name: Everything else")
    )
    name.fill("Everything")
    expect(page.locator("#definition")).to_have_value(EVERYTHING)
