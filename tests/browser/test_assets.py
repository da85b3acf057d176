"""The dashboard's assets reach a real browser: Plotly from the installed package, offline."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.browser.conftest import DemoServer


def test_plotly_is_served_from_the_package_and_runs(demo_server: DemoServer, page: Page) -> None:
    page.goto(demo_server.url + "/static/headway.css")
    page.set_content(
        f'<script src="{demo_server.url}/static/vendor/plotly.min.js"></script><div id="c"></div>'
    )
    page.evaluate("Plotly.newPlot('c', [{type: 'bar', x: ['a', 'b'], y: [3, 1]}])")
    assert page.locator("#c svg.main-svg").count() >= 1
    assert page.locator("#c .bars path").count() == 2
