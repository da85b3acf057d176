"""Issue #11: tracking tokens expire and name their key; tracking and ingest writes are bounded.

Each test reproduces a finding of the outside review against a real ``headway serve``
subprocess (or, for the token format alone, the signer): tokens that never expire, unlimited
requests per token and per client (429 with ``Retry-After`` now), 15 KB user agents stored
whole, and no dedupe window for repeated opens and clicks.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import orjson
import pyarrow as pa
import pytest

from headway.backends.duckdb import DuckDBBackend
from headway.engine.email.queries import StatsQuery
from headway.engine.email.stats import email_stats
from headway.ingest.tokens import ExpiredToken, InvalidToken, Signer, SigningKey
from headway.store import Store
from headway.web.tracking_dedupe import Dedupe
from tests.web.conftest import (
    CONTACTS,
    EMAIL,
    NEW_KEY,
    OLD_KEY,
    PRICING,
    LiveServer,
    seed,
    start_server,
)

DAY = 86_400
YEAR = 365 * DAY
CHROME = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Version/17.5"


def legacy_token(key: SigningKey, purpose: str, contact: str, link: str | None, issued: int) -> str:
    """A version 1 token, as signed before expiry existed: no expiry field."""
    payload = orjson.dumps([1, key.id, purpose, EMAIL, contact, link, issued])
    mac = hmac.new(key.secret, b"headway-tracking-token\x00" + payload, hashlib.sha256).digest()

    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return f"{b64(payload)}.{b64(mac)}"


def payload_of(token: str) -> list[object]:
    """The decoded payload of a token."""
    text = token.split(".")[0]
    return orjson.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))  # type: ignore[no-any-return]


def config(tracking: str = "", rate_limits: str = "") -> str:
    """A settings file: keys k-new (signs) and k-old (verifies only), plus extra settings."""
    lines = ["[tracking]", 'base_url = "https://t.example.com"', tracking]
    lines += ["[rate_limits]", rate_limits] if rate_limits else []
    for key in (NEW_KEY, OLD_KEY):
        lines += ["[[tracking.keys]]", f'id = "{key.id}"', f'secret = "{key.secret.decode()}"']
    return "\n".join(lines) + "\n"


Serve = Callable[[str], LiveServer]


@pytest.fixture
def signer() -> Signer:
    """Signs with the servers' newest key (k-new)."""
    return Signer([NEW_KEY])


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Serve]:
    """Start a real server on a seeded database with the given settings file text."""
    servers: list[LiveServer] = []

    def start(text: str) -> LiveServer:
        db_path = tmp_path / "live.duckdb"
        config_path = tmp_path / "headway.toml"
        config_path.write_text(text)
        links = seed(db_path)
        server = start_server(db_path, config_path)
        server.links = links
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def stats_total(db_path: Path, human: bool = False) -> dict[str, object]:
    """The email statistics' total row of the stopped server's database."""
    with Store(db_path, read_only=True) as store:
        return email_stats(DuckDBBackend(store), StatsQuery(human=human)).total.to_dict()  # type: ignore[no-any-return]


# --- tokens ---------------------------------------------------------------------------------


def test_new_tokens_carry_key_id_and_an_expiry_two_years_after_issue() -> None:
    signer = Signer([NEW_KEY, OLD_KEY])
    token = signer.sign("click", EMAIL, CONTACTS[0], "l1", issued_at=1_800_000_000)
    payload = payload_of(token)
    assert payload[:7] == [2, "k-new", "click", EMAIL, CONTACTS[0], "l1", 1_800_000_000]
    assert payload[7] == 1_800_000_000 + 730 * DAY
    found = signer.verify(token, "click", now=1_800_000_000 + 729 * DAY)
    assert (found.key_id, found.expires_at) == ("k-new", 1_800_000_000 + 730 * DAY)
    with pytest.raises(ExpiredToken) as err:
        signer.verify(token, "click", now=1_800_000_000 + 730 * DAY)
    assert err.value.token.contact == CONTACTS[0]


def test_verification_picks_the_key_by_id_and_old_keys_only_verify() -> None:
    old_only = Signer([OLD_KEY])
    rotated = Signer([NEW_KEY, OLD_KEY], lifetime=30 * DAY)
    old_token = old_only.sign("open", EMAIL, CONTACTS[0])
    assert rotated.verify(old_token, "open").key_id == "k-old"
    assert payload_of(rotated.sign("open", EMAIL, CONTACTS[0]))[1] == "k-new"
    # the old key's id with the new key's MAC (or the reverse) never verifies
    forged = SigningKey("k-old", NEW_KEY.secret)
    with pytest.raises(InvalidToken):
        rotated.verify(Signer([forged]).sign("open", EMAIL, CONTACTS[0]), "open")
    # a token's own expiry holds even when the signer's lifetime is longer or shorter
    stale = rotated.sign("open", EMAIL, CONTACTS[0], issued_at=int(time.time()) - 31 * DAY)
    with pytest.raises(ExpiredToken):
        Signer([NEW_KEY], lifetime=10 * YEAR).verify(stale, "open")


def test_legacy_tokens_expire_their_lifetime_after_their_issue_time() -> None:
    now = int(time.time())
    signer = Signer([NEW_KEY, OLD_KEY])
    young = legacy_token(OLD_KEY, "open", CONTACTS[0], None, now - YEAR)
    old = legacy_token(OLD_KEY, "open", CONTACTS[0], None, now - 3 * YEAR)
    assert signer.verify(young, "open").expires_at == now - YEAR + 730 * DAY
    with pytest.raises(ExpiredToken):
        signer.verify(old, "open")
    with pytest.raises(ExpiredToken):
        Signer([OLD_KEY], lifetime=180 * DAY).verify(young, "open")


@pytest.mark.slow  # a real server
def test_expired_links_go_where_they_pointed_but_record_nothing(serve: Serve) -> None:
    server = serve(config(tracking="token_lifetime_days = 30"))
    link = server.links[PRICING]
    now = int(time.time())
    stale = Signer([NEW_KEY], lifetime=30 * DAY)
    alice, bob, carol = CONTACTS
    tokens = {
        "expired click": stale.sign("click", EMAIL, alice, link, issued_at=now - 31 * DAY),
        "legacy expired click": legacy_token(OLD_KEY, "click", bob, link, now - 40 * DAY),
        "legacy fresh click": legacy_token(OLD_KEY, "click", carol, link, now - 10 * DAY),
    }
    for name, token in tokens.items():
        answer = httpx.get(f"{server.url}/t/c/{token}", headers={"User-Agent": CHROME})
        assert answer.status_code == 302, name
        assert answer.headers["location"] == PRICING, name
    expired_open = stale.sign("open", EMAIL, alice, issued_at=now - 31 * DAY)
    fresh_open = stale.sign("open", EMAIL, bob)
    for token in (expired_open, fresh_open):
        pixel = httpx.get(f"{server.url}/t/o/{token}.gif", headers={"User-Agent": CHROME})
        assert (pixel.status_code, pixel.headers["content-type"]) == (200, "image/gif")
    # an expired token of another purpose is still not a click: 404, no Location
    wrong = httpx.get(f"{server.url}/t/c/{expired_open}")
    assert wrong.status_code == 404 and "location" not in wrong.headers
    # an unsubscribe link from an old email still unsubscribes (an opt-out is always honoured)
    old_unsub = stale.sign("unsubscribe", EMAIL, carol, issued_at=now - 400 * DAY)
    assert httpx.post(f"{server.url}/t/u/{old_unsub}", data={"confirm": "yes"}).status_code == 200
    assert [r["contact"] for r in server.activities("email_click")] == [carol]
    assert [r["contact"] for r in server.activities("email_open")] == [bob]
    assert server.subscriptions()[carol] == "unsubscribed"


# --- rate limits and size caps ---------------------------------------------------------------


def assert_rate_limited(answer: httpx.Response, field: str) -> None:
    """A 429 in the JSON error shape, with a whole number of seconds in Retry-After."""
    assert answer.status_code == 429, answer.text
    assert int(answer.headers["retry-after"]) >= 1
    error = answer.json()["error"]
    assert error["code"] == "rate_limited"
    assert error["details"][0]["field"] == field


@pytest.mark.slow  # a real server
def test_one_tracking_token_is_rate_limited(serve: Serve, signer: Signer) -> None:
    server = serve(config("dedupe_seconds = 0", 'tracking_per_token = "4/hour"'))
    link = server.links[PRICING]
    token = signer.sign("click", EMAIL, CONTACTS[0], link)
    codes = [httpx.get(f"{server.url}/t/c/{token}").status_code for _ in range(4)]
    assert codes == [302] * 4
    over = httpx.get(f"{server.url}/t/c/{token}")
    assert_rate_limited(over, "tracking token")
    assert "location" not in over.headers
    # another token (another recipient) is not affected; loopback skips the per-client limit
    other = signer.sign("click", EMAIL, CONTACTS[1], link)
    assert httpx.get(f"{server.url}/t/c/{other}").status_code == 302
    assert len(server.activities("email_click")) == 5


@pytest.mark.slow  # a real server
def test_one_client_is_rate_limited_on_tracking_ingest_and_webhooks(
    serve: Serve, signer: Signer
) -> None:
    limits = "\n".join([
        "exempt_loopback = false", 'tracking_per_client = "3/hour"',
        'ingest_per_client = "2/hour"', 'webhooks_per_client = "2/hour"',
    ])  # fmt: skip
    server = serve(config(rate_limits=limits))
    pixels = [signer.sign("open", EMAIL, c) for c in CONTACTS]
    codes = [httpx.get(f"{server.url}/t/o/{t}.gif").status_code for t in pixels]
    assert codes == [200, 200, 200]
    assert_rate_limited(httpx.get(f"{server.url}/t/o/{pixels[0]}.gif"), "client")
    batch = [{"contact": "dan@example.com", "type": "page_visit", "ts": "2026-01-02T00:00:00Z"}]
    assert httpx.post(f"{server.url}/api/v1/activities", json=batch).status_code == 200
    segment = {"userId": "dan@example.com", "event": "Signed Up", "messageId": "m-1"}
    assert httpx.post(f"{server.url}/v1/track", json=segment).status_code == 200
    assert_rate_limited(httpx.post(f"{server.url}/api/v1/activities", json=batch), "client")
    assert_rate_limited(httpx.post(f"{server.url}/batch/", json={"batch": []}), "client")
    hooks = [httpx.post(f"{server.url}/webhooks/sendgrid", json=[]) for _ in range(2)]
    assert [h.status_code for h in hooks] == [404, 404]  # not configured, but counted
    assert_rate_limited(httpx.post(f"{server.url}/webhooks/sendgrid", json=[]), "client")
    assert len(server.activities("email_open")) == 3


@pytest.mark.slow  # a real server
def test_one_ingest_key_is_rate_limited_whoever_sends_it(serve: Serve) -> None:
    server = serve(config(rate_limits='ingest_per_key = "3/hour"'))
    batch = [{"contact": "erin@example.com", "type": "page_visit", "ts": "2026-01-02T00:00:00Z"}]
    key = {"Authorization": "Bearer hw_some_key"}
    url = f"{server.url}/api/v1/activities"
    assert [httpx.post(url, json=batch, headers=key).status_code for _ in range(3)] == [200] * 3
    assert_rate_limited(httpx.post(url, json=batch, headers=key), "API key")
    # the same client without that key (local mode on loopback) is not limited by it
    assert httpx.post(url, json=batch).status_code == 200


@pytest.mark.slow  # a real server
def test_big_tracking_bodies_are_refused_and_a_15_kb_user_agent_is_stored_cut(
    serve: Serve, signer: Signer
) -> None:
    server = serve(config())
    token = signer.sign("unsubscribe", EMAIL, CONTACTS[0])
    body = b"List-Unsubscribe=One-Click&pad=" + b"x" * 100_000
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    answer = httpx.post(f"{server.url}/t/u/{token}", content=body, headers=form)
    assert answer.status_code == 413  # far below the API's 10 MiB
    assert answer.json()["error"]["code"] == "payload_too_large"
    agent = "Mozilla/5.0 " + "A" * (15_000 - 12)
    click = signer.sign("click", EMAIL, CONTACTS[1], server.links[PRICING])
    assert httpx.get(f"{server.url}/t/c/{click}", headers={"User-Agent": agent}).status_code == 302
    [row] = server.activities("email_click")
    stored = orjson.loads(row["properties"])["user_agent"]  # type: ignore[arg-type]
    assert stored == agent[:512] + "…[truncated 14488 chars]"
    assert server.subscriptions()[CONTACTS[0]] == "subscribed"


# --- dedupe window ----------------------------------------------------------------------------


@pytest.mark.slow  # a real server
def test_repeats_within_the_window_are_one_row_and_still_counted_in_all(
    serve: Serve, signer: Signer
) -> None:
    server = serve(config("dedupe_seconds = 3600"))
    alice, bob, _ = CONTACTS
    open_a = signer.sign("open", EMAIL, alice)
    click_b = signer.sign("click", EMAIL, bob, server.links[PRICING])
    for _ in range(6):
        httpx.get(f"{server.url}/t/o/{open_a}.gif", headers={"User-Agent": CHROME})
    httpx.get(f"{server.url}/t/o/{open_a}.gif", headers={"User-Agent": "curl/8.5"})  # new client
    for _ in range(3):
        assert httpx.get(f"{server.url}/t/c/{click_b}").headers["location"] == PRICING
    opens = server.activities("email_open")  # stops the server: open windows are written
    repeats = [orjson.loads(r["properties"]).get("repeats") for r in opens]  # type: ignore[arg-type]
    assert sorted(repeats, key=str) == [5, None, None]
    clicks = server.activities("email_click")
    assert [orjson.loads(r["properties"]).get("repeats") for r in clicks] == [None, 2]  # type: ignore[arg-type]
    total = stats_total(server.db_path)
    assert (total["opens"], total["unique_opens"]) == (7, 2)
    assert (total["clicks"], total["unique_clicks"]) == (3, 1)


@pytest.mark.slow  # a real server
def test_the_window_closes_and_the_next_hit_is_a_new_row(serve: Serve, signer: Signer) -> None:
    server = serve(config("dedupe_seconds = 1"))
    token = signer.sign("open", EMAIL, CONTACTS[0])
    for _ in range(3):
        httpx.get(f"{server.url}/t/o/{token}.gif")
    time.sleep(1.6)  # the window closes; its repeats are written without waiting for a stop
    httpx.get(f"{server.url}/t/o/{token}.gif")
    opens = server.activities("email_open")
    assert [orjson.loads(r["properties"]).get("repeats") for r in opens] == [None, 2, None]  # type: ignore[arg-type]
    assert stats_total(server.db_path)["opens"] == 4


def test_statistics_of_existing_data_do_not_change(tmp_path: Path) -> None:
    """Opens and clicks recorded before the window (and any 'repeats' not from tracking)."""
    rows = [
        {"id": f"o{i}", "contact": CONTACTS[i % 3], "type": "email_open",
         "ts": pa.scalar(1_767_300_000_000_000 + i, pa.timestamp("us")).as_py(),
         "properties": orjson.dumps({"email": EMAIL, "repeats": 9} if i == 0 else
                                    {"email": EMAIL}).decode(),
         "bot": False, "bot_reason": None, "source": "api" if i == 0 else "tracking"}
        for i in range(5)
    ]  # fmt: skip
    db_path = tmp_path / "old.duckdb"
    seed(db_path)
    with Store(db_path) as store:
        store.append_activities(pa.Table.from_pylist(rows))
    total = stats_total(db_path)
    assert (total["opens"], total["unique_opens"]) == (5, 3)


def test_windows_are_bounded_and_forgotten_on_erasure() -> None:
    """At most ``max_windows`` windows are kept (the oldest closes early, repeats written)."""
    written: list[int] = []

    async def record(row: pa.Table) -> None:
        written.append(orjson.loads(row.column("properties")[0].as_py())["repeats"])

    def row() -> pa.Table:
        return pa.table({"properties": [orjson.dumps({"email": EMAIL}).decode()]})

    async def go() -> int:
        dedupe = Dedupe(3600, record, max_windows=2)
        keys = [("email_open", EMAIL, c, None, "203.0.113.9", b"ua", False) for c in CONTACTS]
        dedupe.opened(keys[0])
        assert dedupe.repeat(keys[0], row()) and dedupe.repeat(keys[0], row())
        dedupe.opened(keys[1])
        dedupe.opened(keys[2])  # a third window: the first closes now, its 2 repeats written
        assert not dedupe.repeat(keys[0], row())
        assert dedupe.repeat(keys[1], row())
        forgotten = dedupe.forget(CONTACTS[1])  # erased: its pending repeat is dropped
        await dedupe.flush()
        return forgotten

    assert asyncio.run(go()) == 1
    assert written == [2]
