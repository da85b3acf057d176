"""The API's contract: every route documented in the OpenAPI, one error shape on every route,
and API keys with scopes guarding them."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI

import headway.web.api
from headway.store import Store
from headway.store.api_keys import create_key
from headway.web.discovery import package_routers
from tests.web.api.conftest import error_of
from tests.web.conftest import Client

PREFIX = "/api/v1"
YAML = {"content-type": "application/yaml"}
OTHER_NAME = "name: Other\nstages: [{name: s, when: {type: page_visit}}]\n"
MODULES = ("contacts", "emails", "journeys", "reports")  # the others are tested on their own


def api_routes(*, modules: tuple[str, ...] | None = None) -> set[tuple[str, str]]:
    """(method, path) of every route of the API modules, as the OpenAPI names them."""
    found = set()
    for router in package_routers(headway.web.api):
        if modules is not None and not set(modules) & set(router.tags):
            continue
        for route in router.routes:
            for method in getattr(route, "methods", ()):
                found.add((method, PREFIX + route.path_format))  # type: ignore[attr-defined]
    return found


def operations(app: FastAPI) -> dict[tuple[str, str], dict[str, Any]]:
    """The OpenAPI operations by (method, path)."""
    paths = app.openapi()["paths"]
    return {(m.upper(), p): op for p, ops in paths.items() for m, op in ops.items()}


def test_every_api_route_is_documented_with_a_summary(app: FastAPI) -> None:
    ops = operations(app)
    routes = api_routes()
    assert routes - set(ops) == set()
    for key in routes:
        assert ops[key].get("summary"), key
        assert ops[key].get("description"), key
    assert all(op.get("summary") for op in ops.values())


def test_error_answers_are_documented(app: FastAPI) -> None:
    ops = operations(app)
    for key in api_routes(modules=MODULES):
        for status in ("401", "403"):
            schema = ops[key]["responses"][status]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorBody"}, key


def test_openapi_json_and_docs_are_served(client: Client) -> None:
    spec = client.get("/api/openapi.json")
    assert spec.status_code == 200 and spec.json()["info"]["title"] == "Headway"
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    assert docs.headers["content-type"].startswith("text/html")
    assert "/api/openapi.json" in docs.text


# One failing request per route: (method, route path, URL, request options, status).
ERRORS: list[tuple[str, str, str, dict[str, Any], int]] = [
    ("GET", "/contacts/{contact_id}", "/contacts/nobody", {}, 404),
    ("GET", "/contacts/{contact_id}/timeline", "/contacts/a/timeline?limit=x", {}, 422),
    ("DELETE", "/contacts/{contact_id}", "/contacts/nobody", {}, 404),
    ("GET", "/emails", "/emails?view=robots", {}, 422),
    ("GET", "/emails/{email_id}", "/emails/nope", {}, 404),
    ("GET", "/emails/{email_id}/stats", "/emails/welcome-1/stats?by=year", {}, 422),
    ("GET", "/emails/{email_id}/csv", "/emails/welcome-1/csv?table=year", {}, 422),
    ("POST", "/journeys", "/journeys", {"content": "a: [", "headers": YAML}, 422),
    ("GET", "/journeys", "/journeys?x=1", {"headers": {"authorization": "Bearer no"}}, 401),
    ("POST", "/journeys/validate", "/journeys/validate", {"content": "x"}, 415),
    ("GET", "/journeys/{name}", "/journeys/Nope", {}, 404),
    (
        "PUT",
        "/journeys/{name}",
        "/journeys/Trial",
        {"content": OTHER_NAME, "headers": YAML},
        422,
    ),
    ("DELETE", "/journeys/{name}", "/journeys/Nope", {}, 404),
    ("GET", "/journeys/{name}/versions", "/journeys/Nope/versions", {}, 404),
    ("GET", "/journeys/{name}/versions/{version}", "/journeys/Trial/versions/0", {}, 404),
    ("GET", "/journeys/{name}/funnel", "/journeys/Trial/funnel?as_of=soon", {}, 422),
    ("GET", "/journeys/{name}/trends", "/journeys/Nope/trends", {}, 404),
    ("GET", "/journeys/{name}/breakdown", "/journeys/Trial/breakdown?by=a..b", {}, 422),
    ("GET", "/journeys/{name}/contacts", "/journeys/Trial/contacts?status=x", {}, 422),
    ("GET", "/journeys/{name}/compare", "/journeys/Trial/compare?range_a=soon", {}, 422),
    ("GET", "/journeys/{name}/time-to-convert", "/journeys/Nope/time-to-convert", {}, 404),
]


def test_the_error_table_covers_every_route() -> None:
    covered = {(method, PREFIX + path) for method, path, *_ in ERRORS}
    assert covered == api_routes(modules=MODULES)


@pytest.mark.parametrize(
    ("method", "url", "options", "status"),
    [(m, PREFIX + u, o, s) for m, _, u, o, s in ERRORS],
    ids=[f"{m} {p}" for m, p, *_ in ERRORS],
)
def test_every_route_answers_errors_in_one_shape(
    world: Store, app: FastAPI, method: str, url: str, options: dict[str, Any], status: int
) -> None:
    if status == 401:
        create_key(world, ["read"], "someone")
    error = error_of(Client(app).request(method, url, **options), status)
    assert error["code"] in {"not_found", "invalid_input", "invalid_journey", "unauthorized"} | {
        "unsupported_media_type"
    }


@pytest.fixture
def keys(world: Store) -> dict[str, str]:
    """One API key per scope (the server leaves local mode)."""
    return {scope: create_key(world, [scope], scope)[1] for scope in ("ingest", "read", "admin")}


READS = [
    "/contacts/a",
    "/contacts/a/timeline",
    "/emails",
    "/emails/welcome-1",
    "/emails/welcome-1/stats",
    "/journeys",
    "/journeys/Trial",
    "/journeys/Trial/versions",
    "/journeys/Trial/versions/1",
    "/journeys/Trial/funnel",
    "/journeys/Trial/trends",
    "/journeys/Trial/breakdown?by=channel",
    "/journeys/Trial/contacts",
]
WRITES: list[tuple[str, str, dict[str, Any]]] = [
    ("DELETE", "/contacts/c", {}),
    ("POST", "/journeys", {"content": "name: X\nstages: [{name: s, when: {}}]\n", "headers": YAML}),
    ("PUT", "/journeys/Trial", {"content": "name: Trial\nstages: [{name: s, when: {}}]\n", "headers": YAML}),
    ("DELETE", "/journeys/Trial", {}),
]  # fmt: skip


@pytest.mark.parametrize("url", READS)
def test_reads_need_the_read_scope(app: FastAPI, keys: dict[str, str], url: str) -> None:
    client = Client(app)
    missing = error_of(client.get(PREFIX + url), 401)
    assert missing["code"] == "unauthorized"
    error_of(client.get(PREFIX + url, headers=bearer(keys["ingest"])), 403)
    assert client.get(PREFIX + url, headers=bearer(keys["read"])).status_code == 200
    assert client.get(PREFIX + url, headers=bearer(keys["admin"])).status_code == 200


@pytest.mark.parametrize(("method", "url", "options"), WRITES)
def test_writes_need_the_admin_scope(
    app: FastAPI, world: Store, keys: dict[str, str], method: str, url: str, options: dict[str, Any]
) -> None:
    client = Client(app)

    def send(key: str | None) -> Any:
        headers = {**options.get("headers", {}), **(bearer(key) if key else {})}
        return client.request(method, PREFIX + url, content=options.get("content"), headers=headers)

    error_of(send(None), 401)
    error_of(send(keys["read"]), 403)
    answer = send(keys["admin"])
    assert answer.status_code in (200, 201), answer.text


def test_validate_needs_only_the_read_scope(app: FastAPI, keys: dict[str, str]) -> None:
    headers = {**YAML, **bearer(keys["read"])}
    answer = Client(app).post(PREFIX + "/journeys/validate", content="name: x\n", headers=headers)
    assert answer.status_code == 200 and answer.json()["valid"] is False


def test_a_missing_key_is_401_with_a_bearer_challenge(app: FastAPI, keys: dict[str, str]) -> None:
    answer = Client(app).get(PREFIX + "/journeys")
    assert answer.headers["www-authenticate"] == "Bearer"


def bearer(key: str) -> dict[str, str]:
    """The Authorization header for ``key``."""
    return {"authorization": f"Bearer {key}"}
