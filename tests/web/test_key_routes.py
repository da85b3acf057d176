"""/api/v1/keys: managing API keys through the running server (``admin`` scope)."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from headway.store import Store
from headway.store.api_keys import create_key, digest
from tests.web.auth_support import Browser, auth_app


@pytest.fixture
def app(store: Store) -> FastAPI:
    return auth_app(store)


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_create_list_revoke_while_serving(app: FastAPI, store: Store) -> None:
    browser = Browser(app)
    r = browser.post("/api/v1/keys", json={"scopes": ["admin"], "name": "ops"})  # local mode
    assert r.status_code == 201
    admin = r.json()
    assert admin["scopes"] == ["admin"] and admin["key"].startswith(f"hw_{admin['id']}_")
    assert browser.get("/api/v1/keys").status_code == 401  # keys mode from now on
    r = browser.post("/api/v1/keys", json={"scopes": ["ingest"]}, headers=bearer(admin["key"]))
    loader = r.json()
    assert browser.get("/api/v1/test/ingest", headers=bearer(loader["key"])).status_code == 200

    listed = browser.get("/api/v1/keys", headers=bearer(admin["key"])).json()["keys"]
    assert [k["id"] for k in listed] == [admin["id"], loader["id"]]
    assert all("key" not in k and "secret_hash" not in k for k in listed)
    secret = loader["key"].split("_", 2)[2]
    assert secret not in str(listed) and digest(secret) not in str(listed)

    r = browser.request("DELETE", f"/api/v1/keys/{loader['id']}", headers=bearer(admin["key"]))
    assert r.status_code == 200 and r.json()["revoked_at"].endswith("Z")
    assert browser.get("/api/v1/test/ingest", headers=bearer(loader["key"])).status_code == 401


def test_keys_routes_need_admin(app: FastAPI, store: Store) -> None:
    _, read = create_key(store, ["read"])
    browser = Browser(app)
    assert browser.get("/api/v1/keys", headers=bearer(read)).status_code == 403
    r = browser.post("/api/v1/keys", json={"scopes": ["admin"]}, headers=bearer(read))
    assert r.status_code == 403
    assert browser.request("DELETE", "/api/v1/keys/x", headers=bearer(read)).status_code == 403


def test_bad_requests_name_the_problem(app: FastAPI, store: Store) -> None:
    _, admin = create_key(store, ["admin"])
    browser = Browser(app)
    r = browser.post("/api/v1/keys", json={"scopes": ["write"]}, headers=bearer(admin))
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "scopes.0"
    r = browser.post("/api/v1/keys", json={"scopes": []}, headers=bearer(admin))
    assert r.status_code == 422
    r = browser.request("DELETE", "/api/v1/keys/nope", headers=bearer(admin))
    assert r.status_code == 404 and "nope" in r.json()["error"]["message"]
