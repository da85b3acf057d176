"""The API documentation page works offline: Swagger UI from the installed package."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.browser.conftest import DemoServer


def test_api_docs_render_the_openapi_offline(demo_server: DemoServer, page: Page) -> None:
    outside: list[str] = []
    page.on(
        "request",
        lambda r: None if r.url.startswith(demo_server.url) else outside.append(r.url),
    )
    page.goto(demo_server.url + "/api/docs")
    page.wait_for_selector(".swagger-ui .info .title")
    assert "Headway" in page.locator(".swagger-ui .info .title").inner_text()
    assert page.locator(".opblock").count() >= 1  # at least one documented route
    assert outside == []  # nothing fetched from anywhere else
