"""API keys on the API, login sessions on the dashboard, and where the server may bind."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

from headway.api import Headway
from headway.cli import app as cli_app
from headway.errors import ConfigError
from headway.settings import Settings
from headway.store import Store
from headway.store.api_keys import create_key, list_keys, revoke_key
from headway.web.auth import safe_next
from headway.web.sessions import SESSION_COOKIE, KeyCache, Session, encode_session
from tests.web.auth_support import Browser, auth_app, form_token, log_in, set_cookie
from tests.web.conftest import HEADWAY, free_port


@pytest.fixture
def app(store: Store) -> FastAPI:
    return auth_app(store)


def error_of(response: httpx.Response) -> dict[str, object]:
    body = response.json()
    assert list(body) == ["error"] and set(body["error"]) == {"code", "message", "details"}
    error: dict[str, object] = body["error"]
    return error


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


# -- local mode -------------------------------------------------------------------------------
def test_without_keys_local_callers_may_do_everything(app: FastAPI) -> None:
    browser = Browser(app)
    for scope in ("read", "ingest", "admin"):
        assert browser.get(f"/api/v1/test/{scope}").json() == {"key": "local"}
        assert browser.post(f"/api/v1/test/{scope}").status_code == 200
    assert browser.get("/test/admin-page").json() == {"key": "local"}


def test_without_keys_other_machines_are_refused(app: FastAPI) -> None:
    remote = Browser(app, client=("192.0.2.7", 40000))
    r = remote.get("/api/v1/test/read")
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert "only answers callers on its own machine" in str(error_of(r)["message"])
    assert remote.get("/test/page").status_code == 401
    assert Browser(app, client=("::1", 40000)).get("/api/v1/test/read").status_code == 200


def test_without_keys_a_cross_site_page_cannot_drive_the_local_api(app: FastAPI) -> None:
    browser = Browser(app)
    evil = {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}
    r = browser.post("/api/v1/test/ingest", headers=evil)
    assert r.status_code == 403 and error_of(r)["code"] == "forbidden"
    r = browser.post("/api/v1/test/ingest", headers={"Origin": "http://evil.example"})
    assert r.status_code == 403
    same = {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}
    assert browser.post("/api/v1/test/ingest", headers=same).status_code == 200
    assert browser.get("/api/v1/test/read", headers=evil).status_code == 200  # reads are safe


def test_without_keys_requests_for_a_foreign_host_name_are_refused(app: FastAPI) -> None:
    browser = Browser(app)  # DNS rebinding: evil.example now resolves to 127.0.0.1
    for host in ("evil.example:8000", "evil.example", "[bad"):
        r = browser.get("/api/v1/test/read", headers={"Host": host})
        assert r.status_code == 403, host
        assert "addressed to localhost" in str(error_of(r)["message"])
        assert browser.get("/test/page", headers={"Host": host}).status_code == 403
    for host in ("127.0.0.1:8000", "localhost:8000", "[::1]:8000", "app.localhost"):
        assert browser.get("/api/v1/test/read", headers={"Host": host}).status_code == 200


# -- keys mode --------------------------------------------------------------------------------
def test_once_a_key_exists_a_missing_key_is_401(app: FastAPI, store: Store) -> None:
    browser = Browser(app)
    assert browser.get("/api/v1/test/read").status_code == 200  # local mode
    create_key(store, ["read"])
    r = browser.get("/api/v1/test/read")
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    error = error_of(r)
    assert error["code"] == "unauthorized" and "Authorization: Bearer" in str(error["message"])
    assert browser.post("/api/v1/test/ingest").status_code == 401


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer hw_0123456789ab_not-a-real-secret"},
        {"Authorization": "Bearer nonsense"},
        {"X-API-Key": "hw_x_y"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
    ],
)
def test_unknown_keys_are_401(app: FastAPI, store: Store, headers: dict[str, str]) -> None:
    create_key(store, ["admin"])
    r = Browser(app).get("/api/v1/test/read", headers=headers)
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert error_of(r)["code"] == "unauthorized"


def test_a_key_without_the_scope_is_403(app: FastAPI, store: Store) -> None:
    info, key = create_key(store, ["ingest"])
    browser = Browser(app)
    assert browser.post("/api/v1/test/ingest", headers=bearer(key)).json()["key"] == info.id
    for path in ("/api/v1/test/read", "/api/v1/test/admin"):
        r = browser.get(path, headers=bearer(key))
        assert r.status_code == 403, path
        error = error_of(r)
        assert error["code"] == "forbidden" and "lacks the" in str(error["message"])


def test_admin_keys_pass_every_scope_and_x_api_key_works(app: FastAPI, store: Store) -> None:
    info, key = create_key(store, ["admin"])
    browser = Browser(app)
    for scope in ("read", "ingest", "admin"):
        assert browser.get(f"/api/v1/test/{scope}", headers=bearer(key)).json()["key"] == info.id
        r = browser.post(f"/api/v1/test/{scope}", headers={"X-API-Key": key})
        assert r.json() == {"key": info.id, "changed": "yes"}


def test_revocation_takes_effect_on_the_next_request(app: FastAPI, store: Store) -> None:
    info, key = create_key(store, ["read"])
    create_key(store, ["admin"])  # another key keeps the server out of local mode
    browser = Browser(app)
    assert browser.get("/api/v1/test/read", headers=bearer(key)).status_code == 200
    revoke_key(store, info.id)
    r = browser.get("/api/v1/test/read", headers=bearer(key))
    assert r.status_code == 401 and "revoked" in str(error_of(r)["message"])


def test_the_key_cache_reloads_after_key_writes_only(store: Store) -> None:
    cache = KeyCache(Headway(store))
    first = cache.keys()
    store.write(lambda conn: conn.execute("INSERT INTO activity_types VALUES (99, 'x')"))
    assert cache.keys() is first  # appends and other writes leave the keys alone
    info, _ = create_key(store, ["read"])
    assert set(cache.keys()) == {info.id}
    revoke_key(store, info.id)
    assert cache.keys() == {}


def test_using_a_key_records_when(app: FastAPI, store: Store) -> None:
    _, key = create_key(store, ["read"])
    assert list_keys(store)[0].last_used_at is None
    Browser(app).get("/api/v1/test/read", headers=bearer(key))
    assert list_keys(store)[0].last_used_at is not None


# -- dashboard sessions -----------------------------------------------------------------------
def test_pages_send_a_browser_without_a_session_to_log_in(app: FastAPI, store: Store) -> None:
    create_key(store, ["read"])
    r = Browser(app).get("/test/page?as_of=2025-06-30&view=human")
    assert r.status_code == 303
    location = urlsplit(r.headers["location"])
    assert location.path == "/login"
    assert parse_qs(location.query)["next"] == ["/test/page?as_of=2025-06-30&view=human"]


def test_login_opens_a_session_and_logout_ends_it(app: FastAPI, store: Store) -> None:
    info, key = create_key(store, ["read"], "marketing")
    browser = Browser(app)
    assert 'action="/logout"' not in browser.get("/login").text
    r = log_in(browser, key, "/test/page?x=1")
    assert r.status_code == 303 and r.headers["location"] == "/test/page?x=1"
    cookie = set_cookie(r, SESSION_COOKIE).lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "max-age=43200" in cookie
    assert key not in cookie and key.split("_", 2)[2].lower() not in cookie
    assert browser.get("/test/page").json() == {"key": info.id}
    assert browser.get("/api/v1/test/read").json() == {"key": info.id}  # fetch() from pages
    copied = dict(browser.cookies)

    page = browser.get("/login").text
    assert 'action="/logout"' in page
    r = browser.post("/logout", data={"csrf_token": form_token(page)})
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert SESSION_COOKIE not in browser.cookies
    assert browser.get("/test/page").status_code == 303
    thief = Browser(app)
    thief.cookies = copied  # a copy of the cookie taken before logout is dead too
    assert thief.get("/test/page").status_code == 303


def test_login_refuses_bad_keys_and_keys_without_read(app: FastAPI, store: Store) -> None:
    _, ingest_only = create_key(store, ["ingest"])
    browser = Browser(app)
    r = log_in(browser, "hw_0123456789ab_wrong")
    assert r.status_code == 200 and "not valid" in r.text and 'role="alert"' in r.text
    assert SESSION_COOKIE not in browser.cookies
    r = log_in(browser, ingest_only)
    assert r.status_code == 200 and "lacks the read scope" in r.text
    assert SESSION_COOKIE not in browser.cookies
    assert browser.get("/test/page").status_code == 303


def test_a_session_lacking_a_scope_gets_403(app: FastAPI, store: Store) -> None:
    _, key = create_key(store, ["read"])
    browser = Browser(app)
    log_in(browser, key)
    assert browser.get("/test/page").status_code == 200
    assert browser.get("/test/admin-page").status_code == 403


def test_a_session_dies_with_its_key(app: FastAPI, store: Store) -> None:
    info, key = create_key(store, ["read"])
    create_key(store, ["admin"])
    browser = Browser(app)
    log_in(browser, key)
    assert browser.get("/test/page").status_code == 200
    revoke_key(store, info.id)
    assert browser.get("/test/page").status_code == 303
    assert browser.get("/api/v1/test/read").status_code == 401


def test_expired_and_tampered_sessions_are_refused(app: FastAPI, store: Store) -> None:
    info, key = create_key(store, ["read"])
    browser = Browser(app)
    log_in(browser, key)
    good = browser.cookies[SESSION_COOKIE]
    secret = app.state.auth.secret
    expired = encode_session(secret, Session(info.id, time.time() - 1, "n0nce"))
    later = encode_session(secret, Session(info.id, time.time() + 60, "n0nce"))
    key_id, expires, nonce, mac = good.split(".")
    other, _ = create_key(store, ["admin"])
    forged = [
        expired,
        f"{other.id}.{expires}.{nonce}.{mac}",  # someone else's key id
        f"{key_id}.{int(expires) + 86400}.{nonce}.{mac}",  # a longer life
        f"{key_id}.{expires}.{nonce}.{mac[:-2]}AA",
        encode_session(b"another-secret" * 3, Session(info.id, time.time() + 60, "n")),
        "garbage",
    ]
    for value in forged:
        r = Browser(app).get("/test/page", headers={"Cookie": f"{SESSION_COOKIE}={value}"})
        assert r.status_code == 303, value
    r = Browser(app).get("/test/page", headers={"Cookie": f"{SESSION_COOKIE}={later}"})
    assert r.status_code == 200  # the same secret and a future expiry: the check is real


def test_a_configured_session_secret_keeps_sessions_across_restarts(store: Store) -> None:
    _, key = create_key(store, ["read"])
    settings = Settings(tracking={"enabled": False}, session_secret="s" * 40)  # type: ignore[arg-type]
    browser = Browser(auth_app(store, settings))
    log_in(browser, key)
    browser.app = auth_app(store, settings)  # a restarted server with the same secret
    assert browser.get("/test/page").status_code == 200
    browser.app = auth_app(store)  # a restart with a random secret logs everyone out
    assert browser.get("/test/page").status_code == 303


def test_a_session_cookie_on_the_api_needs_csrf_to_change_things(
    app: FastAPI, store: Store
) -> None:
    _, key = create_key(store, ["admin"])
    browser = Browser(app)
    log_in(browser, key)
    r = browser.post("/api/v1/test/ingest")
    assert r.status_code == 403 and "CSRF" in str(error_of(r)["message"])
    token = browser.get("/test/token").json()["token"]
    r = browser.post("/api/v1/test/ingest", headers={"X-CSRF-Token": token})
    assert r.status_code == 200


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/x",
        "https://evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
        "evil.example",
        "/ok\r\nSet-Cookie: x=1",
        "",
    ],
)
def test_login_never_redirects_off_site(app: FastAPI, store: Store, target: str) -> None:
    _, key = create_key(store, ["read"])
    assert safe_next(target) == "/"
    browser = Browser(app)
    r = log_in(browser, key, target)
    assert r.status_code == 303 and r.headers["location"] == "/"
    page = browser.get("/login", params={"next": target}).text
    assert 'name="next" value="/"' in page


def test_the_login_page_in_local_mode_says_no_login_is_needed(app: FastAPI) -> None:
    r = Browser(app).get("/login")
    assert r.status_code == 200 and "no API keys" in r.text and "<form" not in r.text


def test_the_login_page_escapes_next(app: FastAPI, store: Store) -> None:
    create_key(store, ["read"])
    r = Browser(app).get("/login", params={"next": '/x"><script>alert(1)</script>'})
    assert "<script>alert(1)" not in r.text and "&lt;script&gt;" in r.text


# -- where the server may bind ----------------------------------------------------------------
def test_serve_refuses_other_interfaces_without_a_key(db_path: Path) -> None:
    with Store(db_path) as store:  # a revoked key is no key
        info, _ = create_key(store, ["admin"])
        revoke_key(store, info.id)
    cmd = [str(HEADWAY), "--db", str(db_path), "serve", "--host", "0.0.0.0"]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert "refusing to serve on 0.0.0.0" in run.stderr
    assert "headway keys create --scope admin" in run.stderr and "Traceback" not in run.stderr


def test_serve_refuses_before_creating_a_database(tmp_path: Path) -> None:
    missing = tmp_path / "never.duckdb"
    result = CliRunner().invoke(cli_app, ["--db", str(missing), "serve", "--host", "192.0.2.1"])
    assert isinstance(result.exception, ConfigError)
    assert "refusing to serve on 192.0.2.1" in result.exception.message
    assert not missing.exists()


def test_serve_binds_every_interface_once_a_key_exists(db_path: Path) -> None:
    with Store(db_path) as store:
        create_key(store, ["read"])
    port = free_port()
    cmd = [str(HEADWAY), "--db", str(db_path), "serve", "--host", "0.0.0.0", "--port", str(port)]
    process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        url = f"http://127.0.0.1:{port}"
        assert _wait_for(url + "/health", process)
        login = httpx.get(url + "/login", timeout=5)
        assert login.status_code == 200 and 'name="api_key"' in login.text  # keys mode
    finally:
        process.terminate()
        process.wait(timeout=20)
        assert process.stderr is not None
        log = process.stderr.read().decode()
        process.stderr.close()
    assert "Traceback" not in log and f"http://0.0.0.0:{port}" in log
    assert "API keys required" in log


def _wait_for(url: str, process: subprocess.Popen[bytes]) -> bool:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        try:
            return httpx.get(url, timeout=1).status_code == 200
        except httpx.TransportError:
            time.sleep(0.1)
    return False
