"""Browsers asking for a dashboard page get errors as HTML pages; programs keep the JSON shape."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from starlette.requests import Request

from headway.errors import Detail, InvalidInput
from headway.settings import Settings
from headway.store import Store
from headway.web.app import create_app
from headway.web.errors import wants_html
from tests.web.conftest import Client

BROWSER = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.fixture
def client(store: Store, asgi_client: type[Client]) -> Client:
    app: FastAPI = create_app(store, Settings())

    @app.get("/boom/invalid")
    def invalid() -> None:
        raise InvalidInput("the <date> is not valid", [Detail("not a date", "as_of")])

    @app.get("/boom/bug")
    def bug() -> None:
        raise RuntimeError("secret internals")

    @app.get("/api/v1/boom")
    def api_bug() -> None:
        raise InvalidInput("bad")

    return asgi_client(app)


def test_a_headway_error_is_a_page_with_its_message_and_details(client: Client) -> None:
    r = client.get("/boom/invalid", headers=BROWSER)
    assert r.status_code == 422 and r.headers["content-type"].startswith("text/html")
    assert "the &lt;date&gt; is not valid" in r.text
    assert "<code>as_of</code>: not a date" in r.text
    assert "<title>Something in the request is not valid · Headway</title>" in r.text


def test_unknown_pages_and_bugs_are_pages_without_internals(client: Client) -> None:
    r = client.get("/nowhere", headers=BROWSER)
    assert r.status_code == 404 and "nothing at /nowhere" in r.text
    r = client.get("/boom/bug", headers=BROWSER)
    assert r.status_code == 500 and r.headers["content-type"].startswith("text/html")
    assert "secret internals" not in r.text and "Something went wrong" in r.text


def test_programs_and_machine_paths_keep_the_json_shape(client: Client) -> None:
    assert client.get("/boom/invalid").json()["error"]["code"] == "invalid_input"
    r = client.get("/api/v1/boom", headers=BROWSER)
    assert r.status_code == 422 and r.json()["error"]["message"] == "bad"
    assert client.get("/api/v1/nowhere", headers=BROWSER).headers["content-type"] == (
        "application/json"
    )
    r = client.delete("/health", headers=BROWSER)
    assert r.status_code == 405 and r.json()["error"]["code"] == "method_not_allowed"


@pytest.mark.parametrize(
    ("path", "accept", "html"),
    [("/journeys", "text/html", True), ("/journeys", "*/*", False),
     ("/api/v1/journeys", "text/html", False), ("/api", "text/html", False),
     ("/t/c/x", "text/html", False), ("/webhooks/ses", "text/html", False),
     ("/static/headway.css", "text/html", False)],
)  # fmt: skip
def test_which_requests_want_html(path: str, accept: str, html: bool) -> None:
    scope = {"type": "http", "path": path, "headers": [(b"accept", accept.encode())]}
    assert wants_html(Request(scope)) is html
