"""CSRF: state-changing dashboard requests carry the token of this browser's cookie."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from headway.store import Store
from headway.store.api_keys import create_key
from headway.web.csrf import CSRF_COOKIE
from tests.web.auth_support import Browser, auth_app, form_token, log_in, set_cookie


@pytest.fixture
def app(store: Store) -> FastAPI:
    return auth_app(store)


def test_a_rendered_page_sets_the_cookie_behind_its_token(app: FastAPI, store: Store) -> None:
    create_key(store, ["read"])  # the login page has a form only when there are keys
    browser = Browser(app)
    r = browser.get("/login")
    cookie = set_cookie(r, CSRF_COOKIE).lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie
    token = form_token(r.text)
    assert f'<meta name="csrf-token" content="{token}">' in r.text  # for fetch()
    again = browser.get("/login")
    assert CSRF_COOKIE not in again.headers.get("set-cookie", "")  # kept, not replaced
    assert form_token(again.text) == token
    assert Browser(app).get("/test/token").json()["token"] != token  # per browser


def test_responses_without_a_token_set_no_cookie(app: FastAPI) -> None:
    r = Browser(app).get("/health")
    assert "set-cookie" not in r.headers


def test_a_post_without_a_token_is_refused(app: FastAPI) -> None:
    browser = Browser(app)
    browser.get("/test/token")  # the browser has its cookie
    r = browser.post("/test/form", data={"name": "x"})
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "forbidden" and "CSRF" in r.json()["error"]["message"]
    assert browser.post("/test/form").status_code == 403  # no body at all


def test_a_wrong_token_is_refused(app: FastAPI) -> None:
    browser = Browser(app)
    token = browser.get("/test/token").json()["token"]
    other = Browser(app)
    other_token = other.get("/test/token").json()["token"]
    for bad in (token[:-1] + ("A" if token[-1] != "A" else "B"), other_token, "", "x" * 43):
        assert browser.post("/test/form", data={"csrf_token": bad}).status_code == 403
        assert browser.post("/test/form", headers={"X-CSRF-Token": bad}).status_code == 403
    stranger = Browser(app)  # a token without the cookie it was made from
    assert stranger.post("/test/form", data={"csrf_token": token}).status_code == 403


def test_the_right_token_is_accepted_as_field_or_header(app: FastAPI) -> None:
    browser = Browser(app)
    token = browser.get("/test/token").json()["token"]
    r = browser.post("/test/form", data={"csrf_token": token, "name": "x"})
    assert r.status_code == 200 and r.json()["changed"] == "yes"
    r = browser.post("/test/form", headers={"X-CSRF-Token": token}, json={"name": "x"})
    assert r.status_code == 200
    r = browser.post("/test/form", files={"csrf_token": (None, token)})  # multipart forms
    assert r.status_code == 200


def test_a_made_up_cookie_does_not_help(app: FastAPI) -> None:
    browser = Browser(app)
    browser.cookies[CSRF_COOKIE] = "attacker-chosen-value-0123456789abcdef"
    token = browser.get("/test/token").json()["token"]  # signed by the server: still fine
    assert browser.post("/test/form", data={"csrf_token": token}).status_code == 200
    browser.cookies[CSRF_COOKIE] = "short"  # malformed cookies are replaced, never trusted
    r = browser.get("/test/token")
    assert CSRF_COOKIE in r.headers["set-cookie"]
    assert browser.post("/test/form", data={"csrf_token": r.json()["token"]}).status_code == 200


def test_api_key_requests_need_no_token(app: FastAPI, store: Store) -> None:
    _, key = create_key(store, ["read"])
    r = Browser(app).post("/test/form", headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 200
    bogus = {"Authorization": "Bearer hw_0123456789ab_forged"}
    assert Browser(app).post("/test/form", headers=bogus).status_code == 403


def test_session_requests_need_the_token(app: FastAPI, store: Store) -> None:
    _, key = create_key(store, ["read"])
    browser = Browser(app)
    log_in(browser, key)
    assert browser.post("/test/form").status_code == 403
    token = browser.get("/test/token").json()["token"]
    assert browser.post("/test/form", data={"csrf_token": token}).status_code == 200


def test_the_login_form_needs_the_token(app: FastAPI, store: Store) -> None:
    _, key = create_key(store, ["read"])
    browser = Browser(app)
    browser.get("/login")
    r = browser.post("/login", data={"api_key": key, "next": "/"})
    assert r.status_code == 403 and "headway_session" not in browser.cookies
    r = browser.post("/logout")
    assert r.status_code == 403
