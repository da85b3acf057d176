"""Fuzzing: webhook bodies, import records and every endpoint of the running server.

A refusal is a ``HeadwayError`` with a 4xx status and a message: the web's error boundary
answers it as that status with the message; any other exception is a 500. So the property
for the parsers is "accepted, or a 4xx ``HeadwayError`` that says why", never anything else.
"""

from __future__ import annotations

import ast
import base64
import csv
import inspect
import io
import json
import os
import re
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import pytest
import schemathesis
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode, checks

from headway.api import Headway
from headway.errors import HeadwayError
from headway.ingest.files import ImportOptions
from headway.ingest.tokens import Signer
from headway.ingest.webhooks import brevo, mailgun, mandrill, postmark, sendgrid, ses
from headway.ingest.webhooks.common import to_table
from headway.ingest.webhooks.providers import PROVIDERS
from headway.ingest.webhooks.settings import (
    BrevoSettings,
    MailgunSettings,
    MandrillSettings,
    PostmarkSettings,
    SendGridSettings,
    SesSettings,
)
from headway.settings import Settings
from headway.store import Store
from headway.web.app import create_app
from tests.security.fuzz_server import FuzzServer, start_fuzz_server
from tests.web.conftest import NEW_KEY, Client

JSON = {"Content-Type": "application/json"}
FUZZ = settings(
    max_examples=60,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def refused_well(err: BaseException) -> bool:
    """Whether ``err`` is a refusal the server answers with a 4xx and a message."""
    return isinstance(err, HeadwayError) and 400 <= err.http_status < 500 and bool(str(err).strip())


def words_of(module: Any) -> list[str]:
    """Every string literal in ``module``'s source: the keys and values its parser looks for."""
    tree = ast.parse(inspect.getsource(module))
    found = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)}
    return sorted(w for w in found if isinstance(w, str) and 0 < len(w) <= 40)


# ---------------------------------------------------------------------------- webhooks

WEBHOOK_MODULES = {
    "sendgrid": sendgrid, "mailgun": mailgun, "ses": ses,
    "postmark": postmark, "brevo": brevo, "mandrill": mandrill,
}  # fmt: skip
HOSTILE = ["\u00e9", "\x00", "\ud800", "\U0001d518", "\u202e", "A" * 5000]
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=30)
    | st.sampled_from(["2026-01-01T00:00:00Z", "1767225600", "not-a-time", "a@example.com", ""])
    | st.sampled_from(HOSTILE)
)
# Mailgun's signature block (in the body), each field any scalar.
SIGNED = st.builds(
    lambda v: json.dumps({"signature": v}).encode(),
    st.fixed_dictionaries({k: SCALARS for k in ("timestamp", "token", "signature")}),
)


def shaped_json(vocabulary: list[str]) -> st.SearchStrategy[Any]:
    """JSON built from a parser's own words (keys and values), nested, with JSON in strings."""
    words = st.sampled_from(vocabulary)
    leaves = SCALARS | words

    def extend(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        return (
            st.lists(inner, max_size=4)
            | st.dictionaries(words | st.text(max_size=8), inner, max_size=6)
            | st.builds(json.dumps, st.dictionaries(words, inner, max_size=5))
        )

    return st.recursive(leaves, extend, max_leaves=25)


def webhook_bodies(provider: str) -> st.SearchStrategy[tuple[bytes, str]]:
    """Bodies for one provider: its JSON shapes, arbitrary JSON, form bodies and raw bytes."""
    shaped = shaped_json(words_of(WEBHOOK_MODULES[provider]))
    as_json = st.builds(lambda v: json.dumps(v).encode(), shaped)
    form = st.builds(
        lambda d: urlencode(
            {k: v if isinstance(v, str) else json.dumps(v) for k, v in d.items()}
        ).encode(),
        st.dictionaries(st.sampled_from(["mandrill_events", "event", "x"]), shaped, max_size=2),
    )
    # Two levels of the parser's own words, each key present or not: a signature block as
    # Mailgun sends it ({"signature": {"token", "timestamp", "signature"}}), SNS envelopes.
    words = words_of(WEBHOOK_MODULES[provider])
    inner = st.fixed_dictionaries({}, optional={w: SCALARS for w in words})
    envelope = st.builds(
        lambda v: json.dumps(v).encode(),
        st.fixed_dictionaries({}, optional={w: inner | SCALARS for w in words}),
    )
    raw = st.binary(max_size=200)
    bodies = as_json | envelope | form | raw
    types = st.sampled_from([*PROVIDERS[provider].content_types, "text/plain", ""])
    return st.tuples(bodies, types)


@pytest.fixture(scope="module")
def webhook_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """One real store that every accepted webhook batch is appended to."""
    return Store(tmp_path_factory.mktemp("webhooks") / "w.duckdb")


@pytest.mark.parametrize("provider", sorted(WEBHOOK_MODULES))
def test_webhook_bodies_are_stored_or_refused_with_a_4xx(
    provider: str, webhook_store: Store
) -> None:
    """After verification: parse, validate and append, as ``/webhooks/{provider}`` does."""
    adapter = PROVIDERS[provider]

    @FUZZ
    @given(webhook_bodies(provider))
    def run(sample: tuple[bytes, str]) -> None:
        body, content_type = sample
        try:
            if adapter.replay_token is not None:
                adapter.replay_token(body)
            batch = adapter.parse(body, content_type)
            if batch.activities:
                webhook_store.append_activities(to_table(batch))
        except Exception as err:
            assert refused_well(err), f"{type(err).__name__}: {err}"

    run()


SECRET = "fuzz-secret-0123456789"
# A P-256 public key in SendGrid's format (base64 DER); no fuzzed signature will match it.
SENDGRID_KEY = base64.b64encode(
    ec.generate_private_key(ec.SECP256R1())
    .public_key()
    .public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
).decode()
VERIFY_SETTINGS: dict[str, Callable[[], Any]] = {
    "sendgrid": lambda: SendGridSettings(public_key=SENDGRID_KEY, max_age_seconds=300),
    "mailgun": lambda: MailgunSettings(signing_key=SECRET),
    "ses": lambda: SesSettings(
        allowed_topic_arns=["arn:aws:sns:us-east-1:123456789012:ses"],
        fetcher=lambda url: (_ for _ in ()).throw(OSError("offline")),
    ),
    "postmark": lambda: PostmarkSettings(secret=SECRET),
    "brevo": lambda: BrevoSettings(token=SECRET),
    "mandrill": lambda: MandrillSettings(webhook_key=SECRET, url="https://h.example.com/w"),
}
HEADER_NAMES = [
    "authorization", "x-twilio-email-event-webhook-signature",
    "x-twilio-email-event-webhook-timestamp", "x-mandrill-signature",
    "x-headway-webhook-secret", "x-headway-webhook-token", "x-amz-sns-message-type",
]  # fmt: skip
HEADER_VALUES = st.text(max_size=60) | st.sampled_from(
    ["Basic aGVhZHdheTp4", "Bearer x", "Basic ###", "Basic w6k=", "1767225600"]
)


@pytest.mark.parametrize("provider", sorted(WEBHOOK_MODULES))
def test_webhook_signature_checks_refuse_with_a_4xx(provider: str) -> None:
    """Forged or garbled signatures, headers and bodies: 401/403/4xx, never a 500."""
    adapter = PROVIDERS[provider]
    config = VERIFY_SETTINGS[provider]()

    @settings(FUZZ, max_examples=150)
    @given(
        headers=st.dictionaries(st.sampled_from(HEADER_NAMES), HEADER_VALUES, max_size=4),
        body=SIGNED | webhook_bodies(provider).map(lambda sample: sample[0]),
    )
    def run(headers: dict[str, str], body: bytes) -> None:
        now = datetime(2026, 1, 1, tzinfo=UTC)
        try:
            adapter.verify(config, headers, body, "https://h.example.com/w", now)
        except Exception as err:
            assert refused_well(err), f"{type(err).__name__}: {err}"
        else:
            raise AssertionError(f"a forged {provider} request was verified: {headers} {body!r}")

    run()


# ---------------------------------------------------------------------------- imports

FIELDS = ["id", "contact", "type", "ts", "properties", "anonymous", "url", "$insert_id"]
TIMES = st.sampled_from(
    ["2025-06-01T12:00:00Z", "2025-06-01", "2025-06-01T12:00:00", "1748779200", "x", ""]
)
JSON_VALUES = st.recursive(
    SCALARS | TIMES,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=12,
)
RECORDS = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=6), JSON_VALUES, max_size=6)
GOOD = {"contact": "c1", "type": "page_visit", "ts": "2025-06-01T12:00:00Z"}
LINES = (
    st.builds(lambda r: json.dumps({**GOOD, **r}), RECORDS)
    | st.builds(json.dumps, JSON_VALUES)
    | st.text(max_size=40).filter(lambda s: "\n" not in s and "\r" not in s)
)


@pytest.fixture(scope="module")
def import_service(tmp_path_factory: pytest.TempPathFactory) -> Headway:
    """The service on one real store that every fuzzed import writes to."""
    return Headway(Store(tmp_path_factory.mktemp("imports") / "i.duckdb"))


def import_or_refuse(service: Headway, path: Path, options: ImportOptions, records: int) -> None:
    """Import ``path``: every record imported, a duplicate or refused by line; else a 4xx."""
    try:
        outcome = service.import_files([path], options)
    except Exception as err:
        assert refused_well(err), f"{type(err).__name__}: {err}"
        return
    (result,) = outcome.files
    assert result.imported + result.duplicates + result.rejected <= records
    assert len(result.details) >= min(result.rejected, 1)
    for detail in result.details:
        assert detail.reason and detail.record is not None, detail


def test_json_lines_records_are_imported_or_refused_by_line(
    import_service: Headway, tmp_path: Path
) -> None:
    """Headway's own JSON Lines: each bad record gets a refusal naming its line."""

    @FUZZ
    @given(st.lists(LINES, min_size=1, max_size=8))
    def run(lines: list[str]) -> None:
        path = tmp_path / "fuzz.jsonl"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8", errors="surrogatepass")
        import_or_refuse(import_service, path, ImportOptions(), len(lines))

    run()


@pytest.mark.parametrize("preset", ["segment", "rudderstack", "posthog", "mixpanel", "amplitude"])
def test_tool_export_records_are_imported_or_refused_by_line(
    preset: str, import_service: Headway, tmp_path: Path
) -> None:
    """Another tool's JSON Lines export (``--from``): arbitrary records, never a traceback."""
    tool_records = st.dictionaries(
        st.sampled_from(
            ["event", "type", "userId", "anonymousId", "timestamp", "properties", "traits",
             "messageId", "distinct_id", "uuid", "time", "user_id", "device_id", "event_type",
             "event_properties", "user_properties", "insert_id", "$set", "context"]
        ) | st.text(max_size=5),
        JSON_VALUES,
        max_size=7,
    )  # fmt: skip

    @FUZZ
    @given(st.lists(st.builds(json.dumps, tool_records) | LINES, min_size=1, max_size=6))
    def run(lines: list[str]) -> None:
        path = tmp_path / f"fuzz-{preset}.jsonl"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8", errors="surrogatepass")
        import_or_refuse(import_service, path, ImportOptions(preset=preset), len(lines))

    run()


CELLS = st.text(max_size=20) | TIMES | st.sampled_from(["=1+1", "-2", "@x", '{"a": 1}', "1e400"])


def test_csv_records_are_imported_or_refused_by_line(
    import_service: Headway, tmp_path: Path
) -> None:
    """CSV rows with arbitrary cells under the standard columns and extra ones."""

    @FUZZ
    @given(
        extra=st.lists(st.text(min_size=1, max_size=8), max_size=2, unique=True),
        rows=st.lists(st.lists(CELLS, min_size=5, max_size=5), min_size=1, max_size=6),
    )
    def run(extra: list[str], rows: list[list[str]]) -> None:
        header = ["contact", "type", "ts", *extra]
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(header)
        for row in rows:
            writer.writerow(row[: len(header)])
        path = tmp_path / "fuzz.csv"
        path.write_text(out.getvalue(), encoding="utf-8", errors="surrogatepass")
        import_or_refuse(import_service, path, ImportOptions(), len(rows))

    run()


# ---------------------------------------------------------------------------- the OpenAPI

# Examples per operation and generation mode (schema-valid, schema-violating); the default
# keeps the whole run near two minutes in CI. HEADWAY_FUZZ_EXAMPLES=500 runs a campaign.
EXAMPLES = int(os.environ.get("HEADWAY_FUZZ_EXAMPLES", "8"))
# Who calls: a key of each scope, no key, and a key that does not exist.
CALLERS = ("admin", "read", "ingest", "anonymous", "unknown-key")
RESPONSE_CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzServer]:
    """The real server the OpenAPI fuzzing runs against; no traceback in its log at the end."""
    server = start_fuzz_server(tmp_path_factory.mktemp("openapi"))
    try:
        yield server
    finally:
        log = server.server.stop()
    assert "Traceback" not in log, log[-5000:]


def caller_headers(server: FuzzServer, caller: str) -> dict[str, str]:
    """The credentials ``caller`` sends."""
    if caller == "anonymous":
        return {}
    if caller == "unknown-key":
        return {"Authorization": "Bearer hw_0123456789abcdef_not-a-real-secret"}
    return server.headers(caller)


@pytest.mark.slow
def test_every_endpoint_answers_as_its_openapi_says(fuzz_server: FuzzServer) -> None:
    """Schemathesis over every operation, each generated request sent by every caller: no
    5xx, no traceback, answers match the OpenAPI, nothing succeeds without a valid key."""
    schema = schemathesis.openapi.from_url(fuzz_server.url + "/api/openapi.json")
    tried: Counter[str] = Counter()
    failures: dict[str, str] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                fuzz_operation(fuzz_server, operation, mode, tried)
            except Unsatisfiable:
                pass  # no schema-violating request exists for this operation
            except (Exception, BaseExceptionGroup) as err:  # one operation fails, others run
                failures[f"{operation.label} ({mode.value})"] = str(err)[:3000]
    report_figures("OpenAPI", tried, failures)
    assert not failures, "\n\n".join(f"== {k}\n{v}" for k, v in failures.items())


def fuzz_operation(
    server: FuzzServer,
    operation: schemathesis.APIOperation,
    mode: GenerationMode,
    tried: Counter[str],
) -> None:
    """Send ``EXAMPLES`` generated requests to ``operation`` as every caller; check answers."""

    @settings(FUZZ, max_examples=EXAMPLES, phases=[Phase.explicit, Phase.generate])
    @given(case=operation.as_strategy(generation_mode=mode))
    def call(case: schemathesis.Case) -> None:
        for caller in CALLERS:
            tried[operation.label] += 1
            response = case.call_and_validate(
                base_url=server.url,
                headers=caller_headers(server, caller),
                checks=RESPONSE_CHECKS,
                timeout=60,
            )
            assert "Traceback" not in response.text, response.text
            if caller in ("anonymous", "unknown-key"):
                assert 400 <= response.status_code < 500, (
                    f"{response.status_code} for {caller}: {response.text[:300]}"
                )

    call()


def report_figures(caller: str, tried: Counter[str], failures: dict[str, str]) -> None:
    """Print the requests tried per operation (and keep them when HEADWAY_FUZZ_REPORT is set)."""
    print(f"\n{caller}: {sum(tried.values())} requests, {len(failures)} failing operations")
    target = os.environ.get("HEADWAY_FUZZ_REPORT")
    if target:
        with open(target, "a", encoding="utf-8") as out:
            for label, n in sorted(tried.items()):
                out.write(json.dumps({"caller": caller, "operation": label, "requests": n}) + "\n")
            for label, text in failures.items():
                out.write(json.dumps({"caller": caller, "failure": label, "text": text}) + "\n")


# ---------------------------------------------------------------------------- what it found


def app_client(tmp_path: Path, **settings_given: Any) -> Client:
    """An in-process client of the real app (local mode) on a fresh store."""
    config = Settings(tracking={"enabled": False}, **settings_given)
    return Client(create_app(Store(tmp_path / "app.duckdb"), config))


def test_a_body_that_is_not_utf8_is_a_422_naming_the_body(tmp_path: Path) -> None:
    """FastAPI answered 400 "There was an error parsing the body" (not in the OpenAPI)."""
    client = app_client(tmp_path)
    for url in ("/api/v1/keys", "/api/v1/identities"):
        r = client.post(url, content=b'{"a": "\xff\xfe"}', headers=JSON)
        assert r.status_code == 422, r.text
        error = r.json()["error"]
        assert error["code"] == "invalid_input" and "UTF-8" in error["message"]
        assert error["details"][0]["field"] == "body"


def test_an_oversized_chunked_json_body_is_a_413(tmp_path: Path) -> None:
    """The size limit raised inside FastAPI's body parsing came out as that 400 too."""
    client = app_client(tmp_path, max_body_bytes=1024)

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"scopes": ["read"], "name": "'
        for _ in range(10):
            yield b"x" * 500
        yield b'"}'

    r = client.post("/api/v1/keys", content=chunks(), headers=JSON)
    assert r.status_code == 413, r.text
    assert r.json()["error"]["code"] == "payload_too_large"


def test_the_webhook_route_declares_what_it_answers(tmp_path: Path) -> None:
    """``POST /webhooks/{provider}`` declared only 200 and 422; it also answers 404 (unknown
    or disabled provider), 401/403 (signature), 413, 415 and 502 (SNS unreachable)."""
    spec = app_client(tmp_path).get("/api/openapi.json").json()
    responses = spec["paths"]["/webhooks/{provider}"]["post"]["responses"]
    assert {"200", "401", "403", "404", "413", "415", "422", "502"} <= set(responses)
    answer = responses["200"]["content"]["application/json"]["schema"]
    assert answer == {"$ref": "#/components/schemas/WebhookAnswer"}
    error = responses["404"]["content"]["application/json"]["schema"]
    assert error == {"$ref": "#/components/schemas/ErrorBody"}


# ------------------------------------------------------------- the routes outside the OpenAPI

# Tracking links, SDK short paths, the webhook probe and the dashboard's pages and forms are
# not API operations (no OpenAPI entry): fuzzed here, signed in and not.
HIDDEN_ROUTES = [
    ("GET", "/t/o/{token}.gif"), ("HEAD", "/t/o/{token}.gif"), ("GET", "/t/c/{token}"),
    ("GET", "/t/u/{token}"), ("POST", "/t/u/{token}"), ("GET", "/t/{rest}"),
    ("POST", "/t/{rest}"), ("HEAD", "/webhooks/{name}"), ("GET", "/health"),
    ("POST", "/v1/t"), ("POST", "/v1/p"), ("POST", "/v1/i"), ("POST", "/v1/b"),
    ("GET", "/"), ("GET", "/journeys"), ("GET", "/journeys/{name}"),
    ("GET", "/journeys/{name}/contacts"), ("GET", "/journeys/{name}/panels/attribution"),
    ("GET", "/journeys/{name}/panels/drivers"), ("GET", "/journeys/{name}/panels/stalls"),
    ("GET", "/journeys/new"), ("GET", "/journeys/{name}/edit"),
    ("POST", "/journeys/editor/validate"), ("POST", "/journeys/editor/preview"),
    ("POST", "/journeys/editor/save"), ("GET", "/emails"), ("GET", "/emails/{name}"),
    ("GET", "/emails/{name}/panels/influence"), ("GET", "/contacts/{name}"), ("GET", "/data"),
    ("GET", "/data/catalog.json"), ("GET", "/login"), ("POST", "/login"), ("GET", "/api/docs"),
]  # fmt: skip
NAMES = st.sampled_from(["Signup", "welcome-1", "alice@example.com", "sendgrid", "x"]) | st.text(
    max_size=30
)
QUERY_KEYS = ["as_of", "range", "stage", "by", "limit", "offset", "next", "format", "url", "q"]


def tracking_tokens() -> st.SearchStrategy[str]:
    """Real tokens (signed by the server's key) for any text, tampered ones and garbage."""
    signer = Signer([NEW_KEY])
    purposes = st.sampled_from(["open", "click", "unsubscribe"])
    signed = st.builds(signer.sign, purposes, NAMES, NAMES, st.none() | NAMES)
    tampered = st.builds(lambda t, i, c: t[:i] + c + t[i + 1 :], signed, st.integers(0, 60), NAMES)
    return signed | tampered | st.text(max_size=80)


# What HTTP lets a header value hold: visible ASCII, spaces and tabs inside, bytes 0x80-0xFF.
HEADER_CHARACTERS = st.characters(min_codepoint=32, max_codepoint=255, exclude_characters="\x7f")


def sendable(text: str) -> str:
    """``text`` with lone surrogates replaced (a URL carries UTF-8, which cannot hold them)."""
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


@st.composite
def hidden_requests(draw: st.DrawFn) -> tuple[str, str, dict[str, str], dict[str, bytes], bytes]:
    """(method, path, query, headers, body) for one of the routes outside the OpenAPI."""
    method, template = draw(st.sampled_from(HIDDEN_ROUTES))
    path = template.replace("{token}", quote(sendable(draw(tracking_tokens())), safe=""))
    path = path.replace("{rest}", quote(sendable(draw(NAMES)), safe="/"))
    path = path.replace("{name}", quote(sendable(draw(NAMES)), safe=""))
    values = SCALARS.map(lambda v: sendable(str(v)))
    query = draw(st.dictionaries(st.sampled_from(QUERY_KEYS), values, max_size=3))
    headers = draw(
        st.dictionaries(
            st.sampled_from(["Authorization", "X-API-Key", "X-CSRF-Token", "Content-Type"]),
            st.text(HEADER_CHARACTERS, max_size=40).map(
                lambda v: v.strip().encode("latin-1")  # bytes: a header may carry any of them
            ),
            max_size=2,
        )
    )
    form = st.dictionaries(st.sampled_from(["source", "api_key", "csrf_token", "next"]), NAMES)
    body = draw(st.binary(max_size=100) | form.map(lambda f: urlencode(f).encode()))
    return method, path, query, headers, body


def logged_in(server: FuzzServer) -> httpx.Client:
    """A browser-like client signed in to the dashboard with the admin key."""
    http = httpx.Client(base_url=server.url, timeout=60)
    token = re.search(r'name="csrf_token" value="([^"]+)"', http.get("/login").text)
    assert token, "the login form carries a CSRF token"
    data = {"api_key": server.keys["admin"], "csrf_token": token[1], "next": "/"}
    assert http.post("/login", data=data).status_code == 303
    return http


@pytest.mark.slow
@pytest.mark.parametrize("signed_in", [True, False], ids=["session", "anonymous"])
def test_routes_outside_the_openapi_never_fail(fuzz_server: FuzzServer, signed_in: bool) -> None:
    """Tracking links, SDK short paths, the webhook probe and dashboard pages: no 5xx, no
    traceback, whatever the path, query, credentials and body."""
    http = logged_in(fuzz_server) if signed_in else httpx.Client(base_url=fuzz_server.url)
    tried: Counter[str] = Counter()

    @settings(FUZZ, max_examples=EXAMPLES * 25)
    @given(hidden_requests())
    def run(sample: tuple[str, str, dict[str, str], dict[str, bytes], bytes]) -> None:
        method, path, query, headers, body = sample
        tried[method + " " + path.split("/")[1]] += 1
        content = None if method in ("GET", "HEAD") else body
        r = http.request(method, path, params=query, headers=headers, content=content)
        assert r.status_code < 500 and "Traceback" not in r.text, (r.status_code, r.text[:500])

    try:
        run()
    finally:
        http.close()
    report_figures(f"outside the OpenAPI ({'session' if signed_in else 'anonymous'})", tried, {})


def test_a_non_ascii_csrf_token_is_a_403(tmp_path: Path) -> None:
    """A token header or form field with non-ASCII text was compared as str: a 500."""
    client = app_client(tmp_path)
    cookie = {"Cookie": "headway_csrf=" + "a" * 43}
    for token in ("\u00e9".encode("latin-1"), b"\xc3\xa9t\xc3\xa9"):
        r = client.post(
            "/journeys/editor/validate", headers={**cookie, "X-CSRF-Token": token}, data={}
        )
        assert r.status_code == 403, r.text
    r = client.post(
        "/journeys/editor/validate", headers=cookie, data={"csrf_token": "\u00e9t\u00e9"}
    )
    assert r.status_code == 403, r.text
