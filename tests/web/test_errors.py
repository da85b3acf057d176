"""The error boundary: one JSON error shape for every failure, never a traceback page."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from fastapi import FastAPI, Request

from headway.errors import Detail, InvalidInput, NotFound, Unauthorized
from headway.ingest.tokens import Signer, SigningKey
from headway.settings import Settings, TrackingKey
from headway.store import Store
from headway.web.app import create_app

LIMIT = 2048


def shape(body: dict[str, object]) -> tuple[str, ...]:
    """The keys of the error object, checking the envelope on the way."""
    assert list(body) == ["error"]
    error = body["error"]
    assert isinstance(error, dict) and isinstance(error["message"], str) and error["message"]
    assert isinstance(error["details"], list)
    return tuple(error)


@pytest.fixture
def app(store: Store) -> FastAPI:
    key = TrackingKey(id="k1", secret="s" * 32)  # type: ignore[arg-type]
    app = create_app(store, Settings(tracking={"keys": [key]}, max_body_bytes=LIMIT))

    @app.get("/boom/invalid")
    def invalid() -> None:
        raise InvalidInput("the batch is not valid", [Detail("not a date", "ts", 3)])

    @app.get("/boom/missing")
    def missing() -> None:
        raise NotFound("journey 'x' does not exist")

    @app.get("/boom/auth")
    def auth() -> None:
        raise Unauthorized("a valid API key is required")

    @app.get("/boom/bug")
    def bug() -> None:
        raise RuntimeError("secret internals")

    @app.get("/typed")
    def typed(n: int) -> dict[str, int]:
        return {"n": n}

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, int]:
        return {"size": len(await request.body())}

    return app


@pytest.fixture
def client(app: FastAPI, asgi_client: Any) -> Any:
    return asgi_client(app)


def test_headway_errors_keep_their_status_code_and_details(client: Any) -> None:
    r = client.get("/boom/invalid")
    assert r.status_code == 422
    assert r.json() == {
        "error": {
            "code": "invalid_input",
            "message": "the batch is not valid",
            "details": [{"reason": "not a date", "field": "ts", "record": 3}],
        }
    }
    assert client.get("/boom/missing").status_code == 404
    r = client.get("/boom/auth")
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"


def test_unexpected_errors_are_a_clean_500(client: Any) -> None:
    r = client.get("/boom/bug")
    assert r.status_code == 500
    assert r.headers["content-type"] == "application/json"
    assert shape(r.json()) == ("code", "message", "details")
    assert r.json()["error"]["code"] == "internal_error"
    assert "secret internals" not in r.text and "Traceback" not in r.text


def test_request_validation_errors_name_the_field(client: Any) -> None:
    r = client.get("/typed", params={"n": "seven"})
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] == "invalid_input"
    assert error["details"][0]["field"] == "n"
    assert "n" in error["message"] and "integer" in error["message"]
    assert client.get("/typed").json()["error"]["details"][0]["field"] == "n"


def test_routing_errors_use_the_same_shape(client: Any) -> None:
    r = client.get("/nowhere")
    assert r.status_code == 404
    assert shape(r.json()) == ("code", "message", "details")
    assert r.json()["error"]["code"] == "not_found"
    r = client.delete("/health")
    assert r.status_code == 405 and r.json()["error"]["code"] == "method_not_allowed"


def test_bodies_over_the_limit_get_413(client: Any) -> None:
    assert client.post("/echo", content=b"x" * LIMIT).json() == {"size": LIMIT}
    r = client.post("/echo", content=b"x" * (LIMIT + 1))  # declared with Content-Length
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "payload_too_large"

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted while read
        for _ in range(4):
            yield b"x" * 1000

    r = client.post("/echo", content=chunks())
    assert r.status_code == 413
    assert shape(r.json()) == ("code", "message", "details")


def test_tracking_paths_answer_an_html_404_page(client: Any) -> None:
    for path in ("/t/c/forged", "/t/u/forged", "/t/x/y", "/t/c/a/b"):
        r = client.get(path)
        assert r.status_code == 404, path
        assert r.headers["content-type"].startswith("text/html")
        assert "location" not in r.headers


def test_tracking_disabled_refuses_every_token(store: Store, asgi_client: Any) -> None:
    settings = Settings(tracking={"enabled": False})
    client = asgi_client(create_app(store, settings))
    assert client.get("/t/c/anything").status_code == 404
    r = client.get("/t/o/anything.gif")
    assert r.status_code == 200 and r.headers["content-type"] == "image/gif"


def test_an_oversized_unsubscribe_post_changes_nothing(client: Any, store: Store) -> None:
    token = Signer([SigningKey("k1", b"s" * 32)]).sign("unsubscribe", "e1", "alice")

    async def chunks() -> AsyncIterator[bytes]:
        yield b"List-Unsubscribe=One-Click&pad="
        for _ in range(4):
            yield b"x" * 1000

    headers = {"content-type": "application/x-www-form-urlencoded"}
    r = client.post(f"/t/u/{token}", content=chunks(), headers=headers)
    assert r.status_code == 413
    assert store.execute("SELECT count(*) FROM contacts").scalar() == 0
    ok = client.post(f"/t/u/{token}", data={"List-Unsubscribe": "One-Click"})
    assert ok.status_code == 200
    assert store.execute("SELECT subscription FROM contacts").scalar() == "unsubscribed"
