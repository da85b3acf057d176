"""Hostile input on every route of the web app: never a 500, never unescaped input in HTML.

The app runs in local mode (no API keys) over the API tests' small world plus one activity
at the end of time (9999-12-31T23:59:59Z). Every route of ``app.routes`` gets hostile path
parameters, query parameters of wrong types and values, and (POST/PUT) bodies of the wrong
type or shape. A JSON answer of 4xx carries the error shape; an HTML answer never contains
the ``<script>alert(`` it was sent.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pyarrow as pa
import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from headway.settings import Settings
from headway.store import Store
from headway.web.app import create_app
from tests.web.api.conftest import build_world
from tests.web.conftest import Client

SCRIPT = "<script>alert(1)</script>"
VALID = {
    "name": "Trial",
    "email_id": "welcome-1",
    "contact_id": "a",
    "key_id": "k-none",
    "provider": "sendgrid",
    "token": "abc",
    "rest": "x",
    "version": "1",
}
HOSTILE_SEGMENTS = [
    "%00",
    "..%2F..%2Fetc%2Fpasswd",
    "x" * 10_240,
    "%C3%A9%E2%9C%93%F0%9F%98%80",
    "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "%FF%FE",
    "99999999999999999999999999",
]
HOSTILE_QUERIES = [
    "limit=-1",
    f"limit={10**30}",
    "limit=abc",
    "offset=-1",
    f"offset={10**30}",
    "top=0",
    "top=-3",
    f"top={10**30}",
    "days=-5",
    "days=0",
    f"days={10**30}",
    "order=99",
    "as_of=2025-13-45",
    "as_of=%3Cscript%3Ealert(1)%3C/script%3E",
    "as_of=99999-01-01",
    "as_of=0001-01-01",
    "as_of=9999-12-31",
    "as_of=0001-01-01T00:00:00%2B05:00",
    "as_of=9999-12-31T23:00:00-05:00",
    "date_range=..",
    "date_range=2025-01-01..2024-01-01",
    "date_range=0001-01-01..9999-12-31",
    "date_range=x..y",
    "date_range=0001-01-01T00:00:00%2B05:00..2025-01-01",
    "view=robots",
    "by=fortnight",
    "by=%3Cscript%3Ealert(1)%3C/script%3E",
    "status=zombie",
    "model=coin",
    "page=-1",
    f"page={10**30}",
    "min_support=-1",
    f"min_support={10**30}",
    "stage=%3Cscript%3Ealert(1)%3C/script%3E",
    "stage=Click&status=stalled&page=-1",
    "stage=Click&status=zombie&format=xml",
    "touch=sideways",
    "format=xml",
    "type=%00",
    "tz=Mars/Olympus",
    "journey=%3Cscript%3Ealert(1)%3C/script%3E",
    "campaign=%00",
    "next_path=//evil.example",
    "next_path=%3Cscript%3Ealert(1)%3C/script%3E",
    "model=linear&order=-1",
]
DEEP = b"[" * 1000 + b"]" * 1000
HOSTILE_BODIES = [
    ("application/json", b"null"),
    ("application/json", b"42"),
    ("application/json", b'"text"'),
    ("application/json", b"{}"),
    ("application/json", DEEP),
    ("application/json", b"\xff\xfe\x00not utf-8"),
    ("application/json", b"{not json"),
    ("application/json", b'{"yaml": null, "source": 5, "name": [], "scopes": ["zombie"]}'),
    ("application/json", b'[{"contact": null, "type": 5, "ts": "2025-13-45"}]'),
    ("application/json", b'[null, 1, "x", [], {"contact": "a", "type": "n", "ts": 1e308}]'),
    ("application/x-yaml", b"name: x\n\tstages: [\n"),
    ("application/x-yaml", b"\xff\xfe"),
    ("application/x-yaml", b"a: &a [*a]\n"),
    ("application/x-yaml", DEEP),
    ("application/x-yaml", f"name: {SCRIPT}\nwindow: 99999999999d\nstages: 5\n".encode()),
    ("application/x-ndjson", b'{"a": 1}\n\xff\nnull\n[]\n'),
    ("text/plain", b"hello"),
    ("multipart/form-data; boundary=zz", b"--zz\r\nbroken"),
]
FORM_BODIES = [
    "source=%FF%FE&yaml=%00",
    "source=name%3A%20x%0A%09stages%3A%20%5B",
    "source=" + "%5B" * 1000,
    "source=name%3A%20%3Cscript%3Ealert(1)%3C/script%3E%0Astages%3A%205",
    "username=%3Cscript%3Ealert(1)%3C/script%3E&password=&next_path=//evil.example",
]
_PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    """The app in local mode over the small world plus an activity at the end of time."""
    path: Path = tmp_path_factory.mktemp("hostile") / "world.duckdb"
    with Store(path) as store:
        build_world(store)
        store.append_activities(pa.Table.from_pylist([end_of_time_activity()]))
        yield create_app(store, Settings())


def end_of_time_activity() -> dict[str, Any]:
    """A page visit at the last representable second (pages once failed to add a day to it)."""
    from datetime import datetime

    return {
        "id": "end-of-time",
        "contact": "zed",
        "type": "page_visit",
        "ts": datetime(9999, 12, 31, 23, 59, 59),
        "properties": '{"url": "/"}',
        "bot": False,
        "bot_reason": None,
        "source": "api",
    }


def routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path template) of every route, included routers walked (HEAD left out)."""
    found: list[tuple[str, str]] = []

    def walk(items: Any) -> None:
        for route in items:
            nested = getattr(route, "effective_candidates", None)
            if nested is not None:
                walk(nested())
            elif getattr(route, "methods", None):
                found.extend((m, route.path) for m in sorted(route.methods) if m != "HEAD")

    walk(app.routes)
    return found


def fill(template: str, **values: str) -> str:
    """The path with each parameter set from ``values`` or else a valid value."""
    return _PARAM.sub(lambda m: values.get(m.group(1), VALID.get(m.group(1), "x")), template)


def accept_for(path: str) -> str:
    """What a real client of ``path`` asks for: browsers for pages, JSON for the API."""
    machine = path.startswith(("/api", "/t/", "/webhooks/", "/static/", "/health"))
    return "application/json" if machine else "text/html"


def problem(method: str, url: str, response: httpx.Response) -> str | None:
    """Why ``response`` breaks the promise, or None."""
    where = f"{method} {url[:120]} -> {response.status_code}"
    if response.status_code >= 500:
        return f"{where}: {response.text[:200]}"
    kind = response.headers.get("content-type", "")
    if "html" in kind and "<script>alert(" in response.text:
        return f"{where}: unescaped <script>alert( in HTML"
    if "json" in kind and response.status_code >= 400:
        body = response.json()
        if list(body) != ["error"] or set(body["error"]) != {"code", "message", "details"}:
            return f"{where}: not the error shape: {response.text[:200]}"
    return None


def send(client: Client, method: str, url: str, **kw: Any) -> str | None:
    """Send one request the way its client would; the broken promise, if any."""
    headers = {"accept": accept_for(url), **kw.pop("headers", {})}
    return problem(method, url, client.request(method, url, headers=headers, **kw))


def csrf(client: Client) -> dict[str, str]:
    """Headers of a browser holding a CSRF cookie and its token."""
    page = client.get("/journeys/new", headers={"accept": "text/html"})
    cookie = page.headers["set-cookie"].split(";")[0]
    token = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
    assert token is not None
    return {"cookie": cookie, "x-csrf-token": token.group(1)}


def test_the_sweep_reaches_every_kind_of_route(app: FastAPI) -> None:
    """Enumeration finds the API, the pages, tracking and webhooks."""
    paths = {path for _, path in routes(app)}
    assert {"/api/v1/activities", "/journeys", "/contacts/{contact_id:path}"} <= paths
    assert any(p.startswith("/webhooks/") for p in paths)
    assert any(p.startswith("/t/") for p in paths)
    assert len(paths) > 40


def test_hostile_path_parameters(app: FastAPI, asgi_client: type[Client]) -> None:
    """Every path parameter of every route, set to hostile text, gets an answer below 500."""
    client = asgi_client(app)
    problems = []
    for method, template in routes(app):
        if method in ("POST", "PUT"):
            continue  # bodies: test_hostile_bodies
        for name in _PARAM.findall(template):
            for value in HOSTILE_SEGMENTS:
                problems.append(send(client, method, fill(template, **{name: value})))
    assert [p for p in problems if p] == []


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_hostile_query_parameters_sampled(
    app: FastAPI, asgi_client: type[Client], data: st.DataObject
) -> None:
    """A sampled route with a sampled hostile query string answers below 500."""
    gets = sorted(path for method, path in routes(app) if method == "GET")
    template = data.draw(st.sampled_from(gets), label="route")
    query = data.draw(st.sampled_from(HOSTILE_QUERIES), label="query")
    url = fill(template) + "?" + query
    assert send(asgi_client(app), "GET", url) is None


@pytest.mark.slow
def test_hostile_query_parameters_everywhere(app: FastAPI, asgi_client: type[Client]) -> None:
    """Every GET route with every hostile query string answers below 500."""
    client = asgi_client(app)
    problems = []
    for method, template in routes(app):
        if method == "GET":
            problems += [send(client, "GET", fill(template) + "?" + q) for q in HOSTILE_QUERIES]
    assert [p for p in problems if p] == []


def test_hostile_bodies(app: FastAPI, asgi_client: type[Client]) -> None:
    """Every POST/PUT route, sent bodies of the wrong type and shape, answers below 500."""
    client = asgi_client(app)
    browser = csrf(client)
    problems = []
    for method, template in routes(app):
        if method not in ("POST", "PUT"):
            continue
        url = fill(template)
        for kind, body in HOSTILE_BODIES:
            headers = {**browser, "content-type": kind}
            problems.append(send(client, method, url, headers=headers, content=body))
        for form in FORM_BODIES:
            headers = {**browser, "content-type": "application/x-www-form-urlencoded"}
            content = f"{form}&csrf_token={browser['x-csrf-token']}".encode()
            problems.append(send(client, method, url, headers=headers, content=content))
    assert [p for p in problems if p] == []


LONG_REPORTS = [
    "/api/v1/journeys/{name}/funnel",
    "/api/v1/journeys/{name}/trends",
    "/api/v1/journeys/{name}/breakdown?by=utm_source",
    "/api/v1/journeys/{name}/contacts?stage=Visit",
    "/api/v1/journeys/{name}/drivers",
    "/api/v1/journeys/{name}/stalls",
    "/api/v1/journeys/{name}/attribution",
    "/api/v1/journeys",
    "/journeys",
    "/journeys/{name}",
    "/journeys/{name}/contacts?stage=Visit",
    "/journeys/{name}/panels/drivers",
    "/journeys/{name}/panels/stalls",
    "/journeys/{name}/panels/attribution",
]


@pytest.mark.parametrize("field", ["window", "stall_after"])
def test_a_duration_longer_than_the_data_is_accepted_and_every_report_works(
    app: FastAPI, asgi_client: type[Client], field: str
) -> None:
    """A 99999999999-day window once failed every report with a 500, then was refused; now
    it covers all the data (the engine caps it at 20000y) and every report answers."""
    name = f"Long {field}"
    durations = {"window": "7d", "stall_after": "1d", field: "99999999999d"}
    text = (
        f"name: {name}\nwindow: {durations['window']}\nstall_after: {durations['stall_after']}\n"
        "stages:\n  - name: Visit\n    when: {type: page_visit}\n"
        "  - name: Click\n    when: {type: email_click}\n"
    )
    client = asgi_client(app)
    response = client.post(
        "/api/v1/journeys", headers={"content-type": "application/x-yaml"}, content=text
    )
    assert response.status_code == 201, response.text
    for template in LONG_REPORTS:
        url = template.format(name=name.replace(" ", "%20"))
        accept = "text/html" if not url.startswith("/api") else "application/json"
        got = client.get(url, headers={"accept": accept})
        assert got.status_code == 200, (url, got.text[:300])
    saved = orjson.loads(client.get(f"/api/v1/journeys/{name.replace(' ', '%20')}").content)
    assert "99999999999d" in orjson.dumps(saved).decode()


def test_a_duration_beyond_a_billion_years_is_refused_naming_the_field(
    app: FastAPI, asgi_client: type[Client]
) -> None:
    """A sanity bound on what is written, with a message that says why nobody needs more."""
    text = "name: Huge\nwindow: 1000000001y\nstages:\n  - {name: V, when: {type: page_visit}}\n"
    response = asgi_client(app).post(
        "/api/v1/journeys", headers={"content-type": "application/x-yaml"}, content=text
    )
    assert response.status_code == 422, response.text
    details = orjson.loads(response.content)["error"]["details"]
    reason = "must be at most 1000000000y (10006y already covers every date from year 1 to 9999)"
    assert {"reason": reason, "field": "window"} in details


@pytest.mark.parametrize("path", ["/journeys", "/journeys/Trial", "/journeys/Trial/contacts"])
def test_pages_survive_an_activity_at_the_end_of_time(
    app: FastAPI, asgi_client: type[Client], path: str
) -> None:
    """The newest activity at 9999-12-31T23:59:59 once made every journey page a 500."""
    query = "?stage=Visit" if path.endswith("contacts") else ""
    response = asgi_client(app).get(path + query, headers={"accept": "text/html"})
    assert response.status_code == 200, response.text[:300]


def journey_text(name: str, start: str, end: str) -> str:
    """A one-stage journey over the date range ``start``..``end``."""
    return (
        f"name: {name}\ndate_range: {{from: '{start}', to: '{end}'}}\n"
        "stages:\n  - name: Visit\n    when: {type: page_visit}\n"
    )


def test_a_date_range_ending_on_the_last_day_saves_and_reports(
    app: FastAPI, asgi_client: type[Client]
) -> None:
    """``to: 9999-12-31`` once failed saving with a 500 (a date one microsecond too late)."""
    client = asgi_client(app)
    kind = {"content-type": "application/x-yaml"}
    text = journey_text("Forever", "0001-01-01", "9999-12-31")
    assert client.post("/api/v1/journeys", headers=kind, content=text).status_code == 201
    assert client.get("/api/v1/journeys/Forever/funnel").status_code == 200
    assert client.get("/journeys/Forever", headers={"accept": "text/html"}).status_code == 200


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        ("0001-01-01T00:00:00+05:00", "2025-01-01", "date_range.from"),
        ("2025-01-01", "9999-12-31T23:00:00-05:00", "date_range.to"),
    ],
)
def test_a_date_range_beyond_the_calendar_is_refused_naming_the_field(
    app: FastAPI, asgi_client: type[Client], start: str, end: str, field: str
) -> None:
    """An offset that moves a bound out of years 1-9999 in UTC is a 422, not a 500."""
    response = asgi_client(app).post(
        "/api/v1/journeys/validate",
        headers={"content-type": "application/x-yaml"},
        content=journey_text("Beyond", start, end),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["valid"] is False
    assert [m["field"] for m in body["messages"]] == [field]
    assert "out of the range of dates" in body["messages"][0]["reason"]


@pytest.mark.parametrize(
    "path", ["/journeys", "/journeys/Trial", "/contacts/a", "/emails/welcome-1"]
)
@pytest.mark.parametrize("as_of", ["0001-01-01T00:00:00%2B05:00", "9999-12-31T23:00:00-05:00"])
def test_an_as_of_beyond_the_calendar_is_refused_naming_the_field(
    app: FastAPI, asgi_client: type[Client], path: str, as_of: str
) -> None:
    """An as_of whose offset moves it out of years 1-9999 in UTC made pages a 500."""
    response = asgi_client(app).get(f"{path}?as_of={as_of}")
    assert response.status_code == 422, response.text[:300]
    assert response.json()["error"]["details"][0]["field"] == "as_of"
