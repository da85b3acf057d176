"""No input can stall the server (#11): journey definitions and SIGTERM, reproduced.

The review: 80 KB of nested brackets took 34 s to validate, 20,000 unknown keys 65 s
(quadratic), the API took 10 MiB definitions, and the server ignored SIGTERM meanwhile.
Each test here failed before the fix: a hang (caught by the timeout), a 500, or a refusal
that did not name the limit. No timing is asserted beyond generous hang timeouts.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from headway.api import Headway
from headway.cli import app as cli_app
from headway.errors import InvalidJourney
from headway.model.journey import parse_journey
from headway.settings import Settings
from headway.store import Store
from headway.web.app import create_app
from tests.web.conftest import NEW_KEY, Client, config_text, start_server

YAML = {"content-type": "application/yaml"}
JSON = {"content-type": "application/json"}
GOOD = "name: Signup\nstages:\n  - name: Visit\n    when: {type: page_visit}\n"
# The limits (model/journey_limits.py), written out so this file runs on the code before them.
MAX_DEFINITION_BYTES, MAX_DEPTH, MAX_KEYS = 256 * 1024, 32, 200
BRACKETS = "a: " + "[" * 40_000 + "]" * 40_000  # the review's 80 KB


def refusal(source: str | dict[str, object]) -> InvalidJourney:
    """The error parse_journey raises for ``source``."""
    with pytest.raises(InvalidJourney) as caught:
        parse_journey(source)
    return caught.value


def unknown_keys(n: int) -> dict[str, object]:
    """A definition whose condition has ``n`` unknown keys."""
    when: dict[str, object] = {"type": "page_visit", **{f"key{i}": 1 for i in range(n)}}
    return {"name": "x", "stages": [{"name": "a", "when": when}]}


@pytest.fixture
def client(store: Store) -> Client:
    return Client(create_app(store, Settings()))


# -- the two findings, on every path -------------------------------------------------------------


@pytest.mark.timeout(60)
def test_nested_brackets_are_refused_at_the_depth_limit(client: Client) -> None:
    err = refusal(BRACKETS)
    assert str(err) == f"line 1, column 1003: nested more than {MAX_DEPTH} levels deep (the limit)"
    err = refusal("[" * 40_000 + "]" * 40_000)
    assert (
        str(err)
        == f"the journey definition is nested more than {MAX_DEPTH} levels deep (the limit)"
    )
    # The API scanned the whole text for aliases first, in quadratic time (45 s here).
    answer = client.post("/api/v1/journeys/validate", content=BRACKETS, headers=YAML).json()
    assert answer["valid"] is False
    assert answer["messages"][0]["reason"].endswith("levels deep (the limit)")
    assert client.post("/api/v1/journeys", content=BRACKETS, headers=YAML).status_code == 422


@pytest.mark.timeout(60)
def test_deep_conditions_name_the_place_where_the_limit_is_exceeded(store: Store) -> None:
    when: dict[str, object] = {"type": "t"}
    for _ in range(100):
        when = {"not": when}
    definition = {"name": "x", "stages": [{"name": "a", "when": when}]}
    with pytest.raises(InvalidJourney) as caught:
        Headway(store).journey(definition)  # the Python API
    field = caught.value.details[0].field or ""
    assert field.startswith("stages[0].when.not.not") and field.count(".not") == MAX_DEPTH - 3
    assert caught.value.details[0].reason == f"nested more than {MAX_DEPTH} levels deep (the limit)"


@pytest.mark.timeout(60)
def test_twenty_thousand_unknown_keys_are_refused_at_the_key_limit(client: Client) -> None:
    err = refusal(unknown_keys(20_000))
    assert err.details[0].field == "stages[0].when"
    assert err.details[0].reason == f"has 20,001 keys; the limit is {MAX_KEYS} per mapping"
    body = json.dumps(unknown_keys(12_000))  # 20,000 would be over the size limit
    answer = client.post("/api/v1/journeys/validate", content=body, headers=JSON).json()
    assert answer["messages"] == [
        {"field": "stages[0].when", "reason": "has 12,001 keys; the limit is 200 per mapping"}
    ]


def test_unknown_keys_within_the_limit_list_a_hundred_problems_and_count_the_rest() -> None:
    err = refusal(unknown_keys(150))
    assert len(err.details) == 101
    assert err.details[0].reason == "unknown condition key 'key0' (use type, where, any, all, not)"
    assert err.details[100].reason == "50 more problems not listed (at most 100 are)"
    assert str(err).endswith("(and 149 more problems)")


# -- size -----------------------------------------------------------------------------------------

PADDED = GOOD + "#" * MAX_DEFINITION_BYTES + "\n"  # valid YAML, over the size limit
TOO_LARGE = f"is {len(PADDED.encode()):,} bytes; the limit is 262,144 bytes (256 KiB)"


def test_a_definition_over_the_size_limit_is_refused_before_parsing(client: Client) -> None:
    assert parse_journey(GOOD + "# a comment\n").name == "Signup"
    assert str(refusal(PADDED)) == f"the journey definition {TOO_LARGE}"
    response = client.post("/api/v1/journeys", content=PADDED, headers=YAML)
    assert response.status_code == 413
    assert response.json()["error"]["message"] == f"the journey definition {TOO_LARGE}"
    answer = client.post("/api/v1/journeys/validate", content=PADDED, headers=YAML)
    assert answer.status_code == 413


def test_the_cli_refuses_a_file_over_the_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text(PADDED)
    result = CliRunner().invoke(
        cli_app, ["--db", str(tmp_path / "x.duckdb"), "journey", "validate", str(path)]
    )
    assert result.exit_code == 2
    assert f"{path}: the journey definition {TOO_LARGE}" in " ".join(result.output.split())


# -- values Python could not convert: a 500 before -----------------------------------------------


def test_huge_numbers_are_refused_not_a_500(client: Client) -> None:
    body = '{"name": "x", "stages": [{"name": "a", "when": {"type": "t", "where": {"n": {"gt": '
    body += "9" * 5_000 + "}}}}]}"
    response = client.post("/api/v1/journeys", content=body, headers=JSON)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["message"] == "a number of 5,000 characters; the limit is 1,000 characters"
    err = refusal("name: " + "1" * 5_000)
    assert (
        str(err) == "line 1, column 7: a number of 5,000 characters; the limit is 1,000 characters"
    )


# -- the dashboard editor ------------------------------------------------------------------------


def test_the_editor_names_the_limit(client: Client) -> None:
    page = client.get("/journeys/new", headers={"accept": "text/html"})
    cookie = page.headers["set-cookie"].split(";")[0]
    token = page.text.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
    headers = {"cookie": cookie, "x-csrf-token": token}
    text = (
        "name: x\nstages: [{name: a, when: {type: t, "
        + ", ".join(f"k{i}: 1" for i in range(1_000))
        + "}}]\n"
    )
    answer = client.post("/journeys/editor/validate", json={"text": text}, headers=headers).json()
    assert answer["valid"] is False
    reason = "has 1,001 keys; the limit is 200 per mapping"
    assert answer["problems"] == [
        {"field": "stages[0].when", "reason": reason, "message": f"stages[0].when: {reason}"}
    ]


# -- SIGTERM ---------------------------------------------------------------------------------------


@pytest.fixture
def server_files(tmp_path: Path) -> tuple[Path, Path]:
    config = tmp_path / "headway.toml"
    config.write_text(config_text(NEW_KEY))
    return tmp_path / "served.duckdb", config


def stops_within(process: subprocess.Popen[bytes], seconds: float) -> bool:
    """SIGTERM, then whether the process ended within ``seconds`` (a generous hang bound)."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return False
    return True


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_sigterm_ends_the_server_during_a_slow_upload(server_files: tuple[Path, Path]) -> None:
    server = start_server(*server_files)
    port = int(server.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(
            b"POST /api/v1/journeys/validate HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/yaml\r\nContent-Length: 100000\r\n\r\nname: x\n"
        )
        time.sleep(0.5)  # the request is in flight: its body never completes
        # uvicorn waited for it without limit; now it is cancelled after a short grace.
        assert stops_within(server.process, 15), "the server ignored SIGTERM mid-request"
    server.stop()


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_sigterm_ends_the_server_during_a_hostile_validation(
    server_files: tuple[Path, Path],
) -> None:
    server = start_server(*server_files)
    answers: list[int] = []

    def send() -> None:
        try:
            url = server.url + "/api/v1/journeys/validate"
            answers.append(httpx.post(url, content=BRACKETS, headers=YAML, timeout=60).status_code)
        except httpx.TransportError:
            answers.append(0)

    sender = threading.Thread(target=send)
    sender.start()
    time.sleep(1)
    assert stops_within(server.process, 15), "the server ignored SIGTERM while validating"
    sender.join(timeout=60)
    server.stop()


def test_the_watchdog_ends_a_process_a_busy_thread_would_keep() -> None:
    code = (
        "import threading, time\n"
        "from headway.web.shutdown import arm_watchdog\n"
        "threading.Thread(target=time.sleep, args=(300,)).start()\n"  # not a daemon
        "arm_watchdog(0.5)\n"
    )
    process = subprocess.Popen([sys.executable, "-c", code])
    try:
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()


# -- deeply nested properties on ingest: a 500 before --------------------------------------------

TS = "2025-06-01T12:00:00Z"


def activity(i: int, levels: int) -> str:
    """An activity as JSON text whose properties nest ``levels`` deep (the object is 1)."""
    properties = '{"a": ' * (levels - 1) + '{"leaf": 1}' + "}" * (levels - 1)
    head = f'{{"id": "e{i}", "contact": "ann", "type": "page_visit", "ts": "{TS}", '
    return head + f'"properties": {properties}}}'


@pytest.mark.parametrize("levels", [65, 300, 1000])
def test_deep_properties_are_refused_per_record_over_http(
    client: Client, store: Store, levels: int
) -> None:
    batch = "[" + ", ".join([activity(1, 64), activity(2, levels), activity(3, 2)]) + "]"
    response = client.post("/api/v1/activities", content=batch, headers=JSON)
    assert response.status_code == 200, response.text  # the others are stored
    reason = "is nested more than 64 levels deep (the limit)"
    assert response.json() == {
        "accepted": 2,
        "duplicates": 0,
        "rejected": [{"index": 1, "field": "properties", "reason": reason}],
    }
    assert store.execute("SELECT count(*) FROM activities").rows == [(2,)]


@pytest.mark.parametrize("path", ["/v1/batch", "/batch/"])  # Segment, PostHog
def test_deep_properties_are_refused_per_message_on_the_sdk_endpoints(
    client: Client, path: str
) -> None:
    properties = '{"a": ' * 99 + '{"leaf": 1}' + "}" * 99
    message = '{"type": "track", "event": "E", "userId": "u", "distinct_id": "u", '
    message += f'"messageId": "m1", "timestamp": "{TS}", "properties": {properties}}}'
    body = f'{{"api_key": "k", "batch": [{message}]}}'
    response = client.post(path, content=body, headers=JSON)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"] == [
        {"reason": "is nested more than 64 levels deep (the limit)", "field": "properties",
         "record": 0}
    ]  # fmt: skip


def test_deep_properties_are_refused_per_line_on_import(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "deep.jsonl"
    path.write_text("\n".join(activity(i, 64 if i != 2 else 300) for i in range(1, 4)) + "\n")
    result = CliRunner().invoke(
        cli_app, ["--db", str(tmp_path / "import.duckdb"), "import", str(path)]
    )
    assert result.exit_code != 0
    assert "line 2: properties: is nested more than 64 levels deep (the limit)" in " ".join(
        result.output.split()
    )
    assert "Traceback" not in result.output


# -- a time budget per request ---------------------------------------------------------------------


def test_a_request_over_its_time_budget_is_answered_503(store: Store) -> None:
    from fastapi import FastAPI

    from headway.web.request_budget import RequestBudget

    finished: list[str] = []
    slow = FastAPI()

    @slow.get("/busy")
    def busy() -> dict[str, str]:  # a worker thread that cannot be stopped from outside
        time.sleep(3)
        finished.append("busy")
        return {"done": "late"}

    @slow.get("/quick")
    def quick() -> dict[str, str]:
        return {"done": "in time"}

    slow.add_middleware(RequestBudget, seconds=0.5)
    client = Client(slow)
    response = client.get("/busy")
    assert finished == []  # answered before the work ended
    assert response.status_code == 503 and response.headers["retry-after"] == "60"
    assert response.json()["error"]["message"] == (
        "the request took longer than the server's budget of 0.5 s for one request "
        "(request_budget_seconds); nothing more is sent"
    )
    assert client.get("/quick").json() == {"done": "in time"}
    # The server's app has it, from the setting (docs/config.md).
    app = create_app(store, Settings(request_budget_seconds=30))
    budgets = [m.kwargs for m in app.user_middleware if m.cls is RequestBudget]
    assert budgets == [{"seconds": 30.0}]
