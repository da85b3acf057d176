"""The journey page's segment chips, flow (Sankey), cohorts, saved views, address-kept controls
and chart/table export, in real Chromium on the demo world; drawn numbers against the API."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import httpx
from playwright.sync_api import Page, expect

from tests.browser.chart_numbers import traces, wait_drawn
from tests.browser.conftest import AS_OF, DemoServer
from tests.browser.doc_screenshots import DOC_SCREENSHOTS
from tests.browser.journey_sections import open_sections
from tests.browser.phone_layout import assert_phone_layout

JOURNEY = "Lead nurturing"
SEGMENT = "attributes.country=FR"
API = "/api/v1/journeys/" + quote(JOURNEY)


def page_url(server: DemoServer, **params: str) -> str:
    query = "&".join(f"{k}={quote(v)}" for k, v in {"as_of": AS_OF, **params}.items())
    return f"{server.url}/journeys/{quote(JOURNEY)}?{query}"


def api(server: DemoServer, suffix: str, **params: Any) -> Any:
    response = httpx.get(server.url + API + suffix, params={"as_of": AS_OF, **params}, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def skip_other_panels(page: Page) -> None:
    """Answer the other lazy panels (tested elsewhere) with a stub, to keep this file quick."""
    for panel in ("stalls", "drivers", "attribution"):
        page.route(
            f"**/panels/{panel}?*",
            lambda route: route.fulfill(status=200, content_type="text/html", body="<p>-</p>"),
        )


def flow_screenshot(page: Page, device: str) -> None:
    """docs/screenshots/flow-<device>.png: the flow card as drawn (README, docs/dashboard.md)."""
    DOC_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = DOC_SCREENSHOTS / f"flow-{device}.png"
    page.locator("#flow").screenshot(path=str(path), animations="disabled")


def drawn_flow(page: Page) -> tuple[list[str], list[tuple[int, int, int]]]:
    wait_drawn(page, "#flow-chart")
    sankey = traces(page, "#flow-chart")[0]
    node, link = sankey["node"], sankey["link"]
    return list(node["label"]), list(
        zip(link["source"], link["target"], link["value"], strict=True)
    )


def expected_flow(body: dict[str, Any]) -> tuple[list[str], list[tuple[int, int, int]]]:
    labels = [f"{n['label']} ({n['contacts']:,})" for n in body["nodes"]]
    return labels, [(lk["source"], lk["target"], lk["contacts"]) for lk in body["links"]]


def test_segment_flow_cohort_view_and_exports(page: Page, demo_server: DemoServer) -> None:
    skip_other_panels(page)
    page.goto(page_url(demo_server, segment=SEGMENT))
    chips = page.locator("#segment .chip")
    expect(chips).to_have_count(1)
    expect(chips.first).to_contain_text(SEGMENT)
    funnel = api(demo_server, "/funnel", segment=SEGMENT)
    figures = page.locator(".figures .value").first
    expect(figures).to_have_text(f"{funnel['entered']:,}")  # the page counts the segment only

    # The Sankey draws exactly the API's flow for the same view.
    labels, links = drawn_flow(page)
    assert (labels, links) == expected_flow(api(demo_server, "/flow", segment=SEGMENT))
    flow_screenshot(page, "desktop")

    # Every chart downloads as PNG and SVG (plotly.js's own downloadImage).
    export = page.locator("#flow .chart-export")
    with page.expect_download() as png:
        export.get_by_role("button", name="Download the chart as PNG").click()
    assert png.value.suggested_filename.endswith(".png")
    with page.expect_download() as svg:
        export.get_by_role("button", name="Download the chart as SVG").click()
    assert svg.value.suggested_filename.endswith(".svg")
    assert "<svg" in Path(svg.value.path()).read_text(encoding="utf-8")[:400]
    assert page.locator("#funnel-chart + .chart-export button").count() == 2

    # Every table panel has a CSV link of the same view, served by the API.
    href = page.locator("#stages-title + .table-export a").get_attribute("href")
    assert href is not None and parse_qs(urlsplit(href).query)["segment"] == [SEGMENT]
    rows = list(csv.DictReader(io.StringIO(httpx.get(demo_server.url + href, timeout=60).text)))
    assert [int(r["reached"]) for r in rows] == [s["reached"] for s in funnel["stages"]]

    # A control of a panel writes its value into the address and the panel follows it.
    page.select_option("#flow-stage", "2")
    page.wait_for_function("() => location.search.includes('flow_stage=2')")
    page.wait_for_function(  # the panel reloaded with the new stage and drew it
        "() => { const gd = document.querySelector('#flow-chart');"
        " return !!(gd && gd.data && gd.querySelector('.main-svg')"
        " && gd.data[0].node.label[0].startsWith('Reached Engaged')); }"
    )
    labels, links = drawn_flow(page)
    assert (labels, links) == expected_flow(api(demo_server, "/flow", stage="2", segment=SEGMENT))
    copied = page.url
    page.goto(copied)  # a copied address reproduces the view
    labels_again, _ = drawn_flow(page)
    assert labels_again == labels

    # Save the dropped contacts at Engaged as a cohort, then filter by it.
    name = "FR dropped at Engaged"
    page.click("#segment-more summary")  # cohorts and saved views start folded
    page.select_option("#cohort-status", "dropped")
    page.select_option("#cohort-stage", "2")
    page.fill("#cohort-name", name)
    page.click("#cohort-save button[type=submit]")  # saves, then reloads with the list open
    dropped = api(demo_server, "/funnel", segment=SEGMENT)["stages"][1]["dropped"]
    cohort = page.locator("#cohort-list li", has_text=name)
    expect(cohort).to_contain_text(f"{dropped:,} contacts", timeout=30_000)
    cohort.get_by_role("link", name=name).click()
    expect(page.locator("#segment .chip")).to_have_count(2)
    both = api(demo_server, "/funnel", segment=[SEGMENT, f"cohort={name}"])
    assert both["entered"] == dropped
    expect(page.locator(".figures .value").first).to_have_text(f"{dropped:,}")

    # Remove a chip: the other stays.
    page.get_by_role("link", name=f"Remove filter cohort={name}").click()
    expect(page.locator("#segment .chip")).to_have_count(1)
    assert "cohort" not in page.url

    # Save this view by name; it is listed with its address.
    page.click("#segment-more summary")
    page.fill("#view-name", "France")
    page.click("#view-save button[type=submit]")
    saved = page.locator("#view-list a", has_text="France")
    expect(saved).to_be_visible(timeout=30_000)
    assert parse_qs(saved.get_attribute("href").lstrip("?"))["segment"] == [SEGMENT]  # type: ignore[union-attr]

    # Delete both (the demo server is shared by the session).
    page.get_by_role("button", name="Delete view France").click()
    expect(page.locator("#view-list a", has_text="France")).to_have_count(0)
    page.get_by_role("button", name=f"Delete cohort {name}").click()
    expect(page.locator("#cohort-list li", has_text=name)).to_have_count(0)
    assert httpx.get(demo_server.url + "/api/v1/cohorts", timeout=30).json() == []

    # Charts on other pages download too (views.js is on every page).
    page.goto(f"{demo_server.url}/emails/welcome-1?as_of={AS_OF}")
    page.wait_for_selector(".js-plotly-plot + .chart-export")
    with page.expect_download() as other:
        page.locator(".chart-export").first.get_by_role(
            "button", name="Download the chart as SVG"
        ).click()
    assert other.value.suggested_filename.endswith(".svg")


def test_segment_bar_and_flow_on_a_phone(phone_page: Page, demo_server: DemoServer) -> None:
    skip_other_panels(phone_page)
    phone_page.goto(page_url(demo_server, segment=SEGMENT))
    open_sections(phone_page, "#flow")  # folded on a phone
    wait_drawn(phone_page, "#flow-chart")
    sankey = traces(phone_page, "#flow-chart")[0]
    labels, links = expected_flow(api(demo_server, "/flow", segment=SEGMENT))
    # On a phone the boxes are bare (their labels come on a tap): the same nodes and links.
    assert list(sankey["node"]["customdata"]) == labels
    assert set(sankey["node"]["label"]) == {""}
    link = sankey["link"]
    drawn = zip(link["source"], link["target"], link["value"], strict=True)
    assert list(drawn) == links
    assert_phone_layout(phone_page, "#segment")
    assert_phone_layout(phone_page, "#flow")
    flow_screenshot(phone_page, "phone")
