"""Conditions are checked in the engine's own dialect at save time; no stored journey can 500.

Finding: a ``regex`` Python accepts but DuckDB's RE2 rejects (back-references, ``\\Z``,
look-behind) was saved, then broke the journeys list, the contact page and the email pages
with a 500. Every operator's values are now checked the way the engine will run them, and
a journey saved by an older version that no longer validates is listed with its error and
refused by reports with a 422 naming the problem.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

from headway.api import Headway
from headway.cli import app as cli_app
from headway.demo.examples import example_files
from headway.errors import InvalidJourney
from headway.model.condition_values import MAX_IN_VALUES
from headway.model.dialect import checking_with
from headway.model.journey import load_journey_file, parse_journey
from headway.model.journey_schema import OPERATORS
from headway.settings import Settings
from headway.store import Store
from headway.store.journeys import list_journeys
from headway.web.app import create_app
from tests.web.api.conftest import build_world
from tests.web.auth_support import Browser, form_token
from tests.web.conftest import Client

HTML = {"accept": "text/html"}
REGEX_PATH = "stages[1].when.where.url.regex"
# Python's re compiles every one of these; DuckDB's RE2 compiles none.
RE2_REFUSES = {
    r"(a)\1": "back-references (\\1)",
    r"pricing\Z": "\\Z is not supported",
    r"(?<=/)pricing": "look-behind",
    r"(?<!/)pricing": "look-behind",
    r"pricing(?=/)": "look-ahead",
    r"(?P<p>a)(?P=p)": "named back-references",
    r"(?<p>a)": "(?P<name>...)",
    r"a{1001}": "repetition counts above 1000",
    "(": "does not compile",
}


def journey(where: dict[str, Any], name: str = "J") -> dict[str, Any]:
    """A two-stage journey whose second stage has ``where``."""
    return {
        "name": name,
        "stages": [
            {"name": "Visit", "when": {"type": "page_visit"}},
            {"name": "Click", "when": {"type": "email_click", "where": where}},
        ],
    }


def refusal(definition: dict[str, Any]) -> InvalidJourney:
    with pytest.raises(InvalidJourney) as caught:
        parse_journey(definition)
    return caught.value


@pytest.mark.parametrize("pattern", list(RE2_REFUSES))
def test_a_regex_re2_cannot_run_is_refused_with_the_path_and_why(pattern: str) -> None:
    err = refusal(journey({"url": {"regex": pattern}}))
    (detail,) = err.details
    assert detail.field == REGEX_PATH
    assert RE2_REFUSES[pattern] in detail.reason
    assert "the engine's regex dialect (RE2)" in detail.reason
    assert err.message.startswith(REGEX_PATH + ": ")


def test_the_issue_example_message() -> None:
    err = refusal(journey({"url": {"regex": r"(a)\1"}}))
    assert err.message == (
        "stages[1].when.where.url.regex: back-references (\\1) are not supported by the"
        " engine's regex dialect (RE2) (in '(a)\\\\1')"
    )


@pytest.mark.parametrize("pattern", [r"\pL+", r"\C", r"\Q.*\E", r"(?U)a+", r"\x{e9}"])
def test_re2_syntax_python_refuses_is_accepted(pattern: str) -> None:
    parse_journey(journey({"url": {"regex": pattern}}))


def test_every_refused_regex_of_a_definition_is_named() -> None:
    where = {f"p{i}": {"regex": f"(a{i})\\1"} for i in range(12)} | {"ok": {"regex": "^a+$"}}
    err = refusal(journey(where))
    fields = [d.field for d in err.details]
    assert fields == [f"stages[1].when.where.p{i}.regex" for i in range(12)]
    assert all("RE2" in d.reason for d in err.details)
    assert all("back-references" in d.reason for d in err.details[:10])


class RefusesDots:
    """Another engine's dialect (as a Spark backend would bring): no '.' in a regex."""

    name = "test dialect"

    def regex_problem(self, pattern: str) -> str | None:
        return self.regex_problems([pattern]).get(pattern)

    def regex_problems(self, patterns: Iterable[str]) -> dict[str, str]:
        return {p: "'.' is not supported by the test dialect" for p in patterns if "." in p}


def test_a_backend_can_bring_its_own_dialect() -> None:
    definition = journey({"url": {"regex": "a.b"}})
    parse_journey(definition)  # RE2 takes it
    with checking_with(RefusesDots()):
        err = refusal(definition)
    assert err.details[0].field == REGEX_PATH
    assert "'.' is not supported by the test dialect" in err.details[0].reason


# -- every operator with hostile values: refused with a message, or runs in DuckDB ------------

HOSTILE: dict[str, Any] = {
    "nan": math.nan,
    "infinity": math.inf,
    "-infinity": -math.inf,
    "int beyond doubles": 10**400,
    "2**63": 2**63,
    "-0.0": -0.0,
    "largest double": 1.7976931348623157e308,
    "lone surrogate": "\ud800",
    "nul character": "a\x00b",
    "empty string": "",
    "timestamp": "2025-01-01T00:00:00Z",
    "unicode": "é/ü/😀",
    "sql": "'; DROP TABLE activities; --",
    "back-reference": r"(a)\1",
    "look-behind": r"(?<=a)b",
    "huge repetition": "a{1001}",
    "true": True,
    "false": False,
    "null": None,
    "list": [1, 2],
    "nested list": [[1]],
    "mapping": {"a": 1},
    "in list over the cap": list(range(MAX_IN_VALUES + 1)),
    "mixed list": [1, "1", True, 1.5, "x"],
}
FIELDS = ("url", "n", "contact", "source", "bot")


@pytest.fixture(scope="module")
def hostile_hw(tmp_path_factory: pytest.TempPathFactory) -> Any:
    store = Store(tmp_path_factory.mktemp("hostile") / "h.duckdb")
    hw = Headway(store, cache_bytes=0)
    props = {"url": "a\x00b", "n": 2**63, "b": True, "l": [1, 2], "o": {"k": 1}}
    hw.add_activities(
        [
            {"contact": "a", "type": "page_visit", "ts": "2025-01-01T00:00:00Z"},
            {"contact": "a", "type": "email_click", "ts": "2025-01-02T00:00:00Z",
             "properties": props},
            {"contact": "b", "type": "page_visit", "ts": "2025-01-01T00:00:00Z"},
            {"contact": "b", "type": "email_click", "ts": "2025-01-02T00:00:00Z",
             "properties": {"url": "é/ü/😀", "n": -0.0}},
        ]
    )  # fmt: skip
    yield hw
    store.close()


@pytest.mark.slow  # ~10 s: 13 operators x 5 fields x 24 values, each accepted one run in DuckDB
def test_every_operator_with_hostile_values_is_refused_or_runs(hostile_hw: Any) -> None:
    for op in OPERATORS:
        hostile_values_are_refused_or_run(op, hostile_hw)


def hostile_values_are_refused_or_run(op: str, hostile_hw: Any) -> None:
    """Each field and hostile value with ``op``: refused with a message, or it runs."""
    outcomes: dict[str, str] = {}
    for field in FIELDS:
        for label, value in HOSTILE.items():
            if op in ("in", "not_in") and not isinstance(value, list):
                value = [value]
            definition = journey({field: {op: value}})
            try:
                parsed = parse_journey(definition)
            except InvalidJourney as err:
                assert err.details, (field, label)
                for detail in err.details:
                    assert detail.field and detail.field.startswith("stages[1].when.where")
                    assert detail.reason
                outcomes[f"{field} {label}"] = "refused"
                continue
            # Accepted: it must run in DuckDB without an error, and store as canonical JSON.
            hostile_hw.funnel(parsed, as_of="2025-02-01")
            json.dumps(definition, allow_nan=False)
            outcomes[f"{field} {label}"] = "ran"
    refused = {k for k, v in outcomes.items() if v == "refused"}
    if op in ("regex",):
        assert {"url back-reference", "url look-behind", "url huge repetition"} <= refused
    if op not in ("exists",):
        assert {"url lone surrogate", "url nan", "url infinity"} & refused or op in (
            "contains", "icontains", "starts_with", "regex",
        )  # fmt: skip
    assert "ran" in outcomes.values()


def test_numbers_the_engine_cannot_compare_are_refused() -> None:
    for value, words in ((math.nan, "NaN"), (math.inf, "Infinity"), (-math.inf, "Infinity")):
        err = refusal(journey({"n": {"gt": value}}))
        assert err.details[0].field == "stages[1].when.where.n.gt"
        assert words in err.details[0].reason
    # An integer too large for a double (> 308 digits) stops at the definition limits.
    err = refusal(journey({"n": {"gt": 10**400}}))
    assert err.details[0].field == "stages[1].when.where.n.gt"


def test_lone_surrogates_are_refused() -> None:
    err = refusal(journey({"url": {"in": ["ok", "\ud800"]}}))
    assert err.details[0].field in ("stages[1].when.where.url.in", "stages[1].when.where.url.in[1]")
    assert "not valid Unicode" in err.details[0].reason


def test_in_lists_are_capped() -> None:
    parse_journey(journey({"n": {"in": list(range(MAX_IN_VALUES))}}))
    err = refusal(journey({"n": {"not_in": list(range(MAX_IN_VALUES + 1))}}))
    assert err.details[0].field == "stages[1].when.where.n.not_in"
    assert f"at most {MAX_IN_VALUES} values (got {MAX_IN_VALUES + 1})" in err.details[0].reason


# -- every save path refuses it ------------------------------------------------------------

BAD_YAML = """name: Bad regex
stages:
  - name: Visit
    when: {type: page_visit}
  - name: Click
    when: {type: email_click, where: {url: {regex: '(a)\\1'}}}
"""


def test_yaml_files_and_the_examples(tmp_path: Path) -> None:
    for path in example_files():
        load_journey_file(path)
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD_YAML, encoding="utf-8")
    with pytest.raises(InvalidJourney) as caught:
        load_journey_file(bad)
    assert caught.value.details[0].field == REGEX_PATH


def test_the_cli_refuses_to_save_it(db_path: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD_YAML, encoding="utf-8")
    result = CliRunner().invoke(cli_app, ["--db", str(db_path), "journey", "save", str(bad)])
    assert result.exit_code == 2
    assert f"{REGEX_PATH}: back-references" in result.output.replace("\n", "")


def test_the_python_api_refuses_it(store: Store) -> None:
    with pytest.raises(InvalidJourney) as caught:
        Headway(store).funnel(journey({"url": {"regex": r"x\Z"}}))
    assert caught.value.details[0].field == REGEX_PATH


def test_the_rest_api_refuses_to_create_put_or_validate_it(store: Store) -> None:
    client = Client(create_app(store, Settings()))
    yaml_body = {"content-type": "application/yaml"}
    for method, url in (("POST", "/api/v1/journeys"), ("PUT", "/api/v1/journeys/Bad%20regex")):
        r = client.request(method, url, content=BAD_YAML, headers=yaml_body)
        assert r.status_code == 422, r.text
        assert r.json()["error"]["details"][0]["field"] == REGEX_PATH
    r = client.request("POST", "/api/v1/journeys/validate", content=BAD_YAML, headers=yaml_body)
    assert r.status_code == 200
    assert r.json()["valid"] is False
    assert r.json()["messages"][0]["field"] == REGEX_PATH
    assert list_journeys(store) == []


def test_the_dashboard_editor_refuses_to_save_or_validate_it(store: Store) -> None:
    browser = Browser(create_app(store, Settings()))
    csrf = form_token(browser.get("/journeys/new", headers=HTML).text)
    r = browser.post(
        "/journeys/editor/validate", json={"text": BAD_YAML}, headers={"X-CSRF-Token": csrf}
    )
    assert r.json()["valid"] is False
    assert r.json()["problems"][0]["field"] == REGEX_PATH
    r = browser.post("/journeys/editor/save", data={"text": BAD_YAML, "csrf_token": csrf})
    assert r.status_code == 200
    assert "back-references" in r.text
    assert list_journeys(store) == []


# -- a journey saved by an older version: listed with its error, never a 500 ----------------


def write_old_journey(store: Store, name: str = "Old regex") -> None:
    """Store a definition as an older version did: its regex was only checked by Python."""
    definition = journey({"url": {"regex": r"(a)\1"}}, name)
    store.write(
        lambda conn: conn.execute(
            "INSERT INTO journeys (name, version, definition, source_text, created_at, deleted)"
            " VALUES (?, 1, ?, NULL, ?, false)",
            [name, json.dumps(definition), datetime(2025, 1, 1)],
        )
    )


@pytest.fixture(scope="module")
def old_world(tmp_path_factory: pytest.TempPathFactory) -> Any:
    store = Store(tmp_path_factory.mktemp("old") / "old.duckdb")
    build_world(store)  # journey "Trial", contacts a, b, c, email welcome-1
    write_old_journey(store)
    yield store
    store.close()


@pytest.fixture(scope="module")
def old_app(old_world: Store) -> FastAPI:
    return create_app(old_world, Settings())


PAGES = [
    "/journeys",
    "/journeys/Trial",
    "/journeys/Old%20regex",
    "/journeys/Old%20regex/edit",
    "/journeys/Old%20regex/contacts?stage=Visit",
    "/journeys/Old%20regex/panels/drivers",
    "/journeys/Old%20regex/panels/stalls",
    "/journeys/Old%20regex/panels/attribution",
    "/contacts/a",
    "/emails",
    "/emails/welcome-1",
    "/emails/welcome-1/panels/influence",
    "/api/v1/journeys",
    "/api/v1/journeys/Old%20regex",
    "/api/v1/journeys/Old%20regex/versions",
    "/api/v1/journeys/Old%20regex/versions/1",
    "/api/v1/journeys/Old%20regex/funnel",
    "/api/v1/journeys/Old%20regex/trends",
    "/api/v1/journeys/Old%20regex/breakdown?by=channel",
    "/api/v1/journeys/Old%20regex/contacts?stage=Visit",
    "/api/v1/journeys/Old%20regex/drivers",
    "/api/v1/journeys/Old%20regex/stalls",
    "/api/v1/journeys/Old%20regex/attribution",
    "/api/v1/emails/welcome-1/influence?journey=Old%20regex",
    "/api/v1/email-rankings/unsubscribes?journey=Old%20regex",
]


def test_no_page_answers_500_for_a_stored_journey_with_an_error(old_app: FastAPI) -> None:
    answers = {url: Client(old_app).get(url, headers=HTML) for url in PAGES}
    failed = {url: r.status_code for url, r in answers.items() if r.status_code not in (200, 422)}
    assert failed == {}
    for url, r in answers.items():
        if r.status_code == 422:
            text = r.text.replace("&#39;", "'")
            assert "has an error: " + REGEX_PATH + ": back-references" in text, url


def test_the_journeys_list_shows_the_error_and_the_other_journeys(old_app: FastAPI) -> None:
    page = Client(old_app).get("/journeys", headers=HTML).text
    assert "Trial" in page
    assert "has an error: stages[1].when.where.url.regex: back-references" in page
    assert 'href="/journeys/Old%20regex/edit"' in page
    listed = Client(old_app).get("/api/v1/journeys").json()["journeys"]
    errors = {j["name"]: j["error"] for j in listed}
    assert errors["Trial"] is None
    assert errors["Old regex"].startswith(REGEX_PATH + ": back-references")


def test_reports_refuse_with_a_422_naming_the_problem(old_app: FastAPI) -> None:
    r = Client(old_app).get("/api/v1/journeys/Old%20regex/funnel")
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] == "invalid_journey"
    assert error["message"].startswith("journey 'Old regex' (version 1) has an error: ")
    assert error["details"][0]["field"] == REGEX_PATH


def test_the_stored_definition_stays_readable_and_the_editor_opens_it(
    old_app: FastAPI,
) -> None:
    detail = Client(old_app).get("/api/v1/journeys/Old%20regex").json()
    assert detail["stages"] == ["Visit", "Click"]
    assert detail["definition"]["stages"][1]["when"]["where"]["url"]["regex"] == r"(a)\1"
    assert detail["error"].startswith(REGEX_PATH)
    page = Client(old_app).get("/journeys/Old%20regex/edit", headers=HTML)
    assert page.status_code == 200
    assert "back-references" in page.text


def test_a_journey_with_an_error_can_be_deleted_and_listed_by_the_cli(
    db_path: Path,
) -> None:
    with Store(db_path) as store:
        write_old_journey(store)
    listed = CliRunner().invoke(cli_app, ["--db", str(db_path), "journey", "list"])
    assert listed.exit_code == 0
    assert "back-references" in listed.output
    shown = CliRunner().invoke(cli_app, ["--db", str(db_path), "journey", "show", "Old regex"])
    assert shown.exit_code == 0
    assert "(a)\\1" in shown.stdout  # the stored definition, to fix and save again
    assert "has an error: " in shown.output.replace("\n", "")
    report = CliRunner().invoke(cli_app, ["--db", str(db_path), "funnel", "Old regex"])
    assert isinstance(report.exception, InvalidJourney)  # the CLI prints its message, exit 1
    assert "'Old regex' (version 1) has an error: " + REGEX_PATH in report.exception.message
    with Store(db_path) as store:
        r = Client(create_app(store, Settings())).request("DELETE", "/api/v1/journeys/Old%20regex")
        assert r.status_code == 200, r.text
        assert list_journeys(store) == []
