"""A small hand-made world for the REST API tests, and a client on an app over it.

Journey "Trial" (ordered, window 7d, stall after 1d): Visit (page_visit) → Click
(email_click) → Buy (purchase). As of 2025-01-05:

- a: visits at T0 (channel ads), clicks 1h, buys 2h → converted
- b/2@x.org: visits at T0 (channel ads), clicks (bot) 1d → in progress at Click, stalled
- c: visits at T0-10d (channel seo) → dropped at Visit (window closed)
- team/ops@example.com: notes and a form (no journey activity), for the timeline
- <script>alert(1)</script>: one note

Email "welcome-1" (registered, campaign onboarding, one link): sent to a, b, c; delivered
to a, b; c bounces hard; a opens and clicks; b's open and click are bot-labelled. Email
"promo-x" is not registered: one email_sent to a.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

from headway.cli import app as cli_app
from headway.model.journey import parse_journey
from headway.settings import Settings
from headway.store import Store
from headway.store.emails import add_link, register_email
from headway.store.journeys import save_journey
from headway.web.app import create_app
from tests.engine.activity_log import T0, load, set_attributes
from tests.web.conftest import Client

AS_OF = "2025-01-05"
B = "b/2@x.org"
TEAM = "team/ops@example.com"
SCRIPT = "<script>alert(1)</script>"
PRICING = "https://example.com/pricing"
TRIAL = """name: Trial
window: 7d
stall_after: 1d
stages:
  - name: Visit
    when: {type: page_visit}
  - name: Click
    when: {type: email_click}
  - name: Buy
    when: {type: purchase}
"""


def activities(link: str) -> list[tuple[Any, ...]]:
    """The world's activity rows (contact, type, time, properties[, bot])."""
    w = {"email": "welcome-1"}
    click = {**w, "link": link, "url": PRICING}
    return [
        ("a", "page_visit", "0s", {"url": "/pricing", "channel": "ads"}),
        ("a", "email_click", "1h", click),
        ("a", "purchase", "2h", {"value": 10}),
        (B, "page_visit", "0s", {"url": "/", "channel": "ads"}),
        (B, "email_click", "1d", click, True),
        ("c", "page_visit", "-10d", {"url": "/", "channel": "seo"}),
        ("a", "email_sent", "-1h", w),
        (B, "email_sent", "-1h", w),
        ("c", "email_sent", "-1h", w),
        ("a", "email_delivered", "-59m", w),
        (B, "email_delivered", "-59m", w),
        ("c", "email_bounce", "-59m", {**w, "bounce_type": "hard"}),
        ("a", "email_open", "30m", w),
        (B, "email_open", "-58m", w, True),
        ("a", "email_sent", "-2d", {"email": "promo-x"}),
        (TEAM, "note", "2d", {"text": "first"}),
        (TEAM, "form_submission", "3d", {"form": "demo"}),
        (TEAM, "note", "4d", {"text": "last"}),
        (SCRIPT, "note", "1d", {"text": "<b>hi</b>"}),
    ]


def build_world(store: Store) -> None:
    """Fill ``store`` with the world described above."""
    register_email(store, "welcome-1", "Welcome", "Hello!", "onboarding", send_time=T0)
    link = add_link(store, "welcome-1", PRICING, "pricing")
    load(store, activities(link))
    set_attributes(store, {"a": {"plan": "pro"}, B: {"plan": "free"}, "c": {"plan": "free"}})
    save_journey(store, parse_journey(TRIAL), TRIAL)


@pytest.fixture(scope="session")
def world_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The world, built once per session into a closed database file."""
    path = tmp_path_factory.mktemp("api-world") / "world.duckdb"
    with Store(path) as store:
        build_world(store)
    return path


@pytest.fixture
def world(world_file: Path, db_path: Path) -> Iterator[Store]:
    """A fresh copy of the world for one test (tests may erase and save)."""
    shutil.copyfile(world_file, db_path)
    store = Store(db_path)
    try:
        yield store
    finally:
        store.close()


@pytest.fixture
def app(world: Store) -> FastAPI:
    """The Headway app over the world (no API keys configured)."""
    return create_app(world, Settings())


@pytest.fixture
def client(app: FastAPI) -> Client:
    """An in-process client of the app."""
    return Client(app)


def error_of(response: Any, status: int) -> dict[str, Any]:
    """The error object of a response, after checking its status and the envelope."""
    assert response.status_code == status, response.text
    body = response.json()
    assert list(body) == ["error"]
    error = body["error"]
    assert set(error) == {"code", "message", "details"}
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["details"], list)
    return dict(error)


def api(client: Client, path: str, **params: object) -> Any:
    """The JSON of a GET under /api/v1 at ``AS_OF``, after checking it answered 200."""
    response = client.get("/api/v1" + path, params={"as_of": AS_OF, **params})
    assert response.status_code == 200, response.text
    return response.json()


def cli(world: Store, db_path: Path, *args: str) -> Any:
    """The ``--json`` answer of a CLI command on the world's file at ``AS_OF``."""
    world.close()  # the CLI opens the file itself
    result = CliRunner().invoke(cli_app, ["--db", str(db_path), *args, "--as-of", AS_OF, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)
