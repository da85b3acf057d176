"""Tracking endpoints against a real ``headway serve`` subprocess (DESIGN §8, issue 4)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from headway.ingest.tokens import Signer, SigningKey
from headway.web.tracking import PIXEL

# The seeded world of tests/web/conftest.py (fixtures there: live_server, signer, world).
EMAIL, CAMPAIGN = "welcome-1", "onboarding"
PRICING = "https://example.com/pricing?plan=pro&utm_source=email"
ALICE, BOB, CAROL = "alice@example.com", "bob@example.com", "carol@example.com"
LiveServer = Any
# Each test starts a server subprocess (2-3 s idle, far more on a loaded machine).
pytestmark = pytest.mark.slow
NO_CACHE = "no-store, no-cache, must-revalidate, private"


def get(url: str, **kw: object) -> httpx.Response:
    return httpx.get(url, follow_redirects=False, timeout=10, **kw)  # type: ignore[arg-type]


def test_open_pixel_is_served_and_records_an_open(
    live_server: LiveServer, signer: Signer, world: Any
) -> None:
    assert (world.email, world.campaign, world.pricing) == (EMAIL, CAMPAIGN, PRICING)
    assert world.contacts == (ALICE, BOB, CAROL)
    token = signer.sign("open", EMAIL, ALICE)
    r = get(f"{live_server.url}/t/o/{token}.gif", headers={"User-Agent": "Thunderbird/1"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "image/gif"
    assert r.content == PIXEL and r.content[:6] == b"GIF89a" and r.content[6:10] == b"\1\0\1\0"
    assert r.headers["cache-control"] == NO_CACHE
    assert r.headers["pragma"] == "no-cache"
    # An invalid token still gets the pixel, and records nothing.
    bad = get(f"{live_server.url}/t/o/{token[:-3]}.gif")
    assert (bad.status_code, bad.content) == (200, PIXEL)
    assert bad.headers["cache-control"] == NO_CACHE

    [open_] = live_server.activities("email_open")
    props = json.loads(str(open_["properties"]))
    assert open_["contact"] == ALICE and open_["source"] == "tracking" and open_["bot"] is False
    assert props == {
        "email": EMAIL, "campaign": CAMPAIGN, "user_agent": "Thunderbird/1", "ip": "127.0.0.1"
    }  # fmt: skip


def test_click_redirects_only_to_the_registered_url(
    live_server: LiveServer, signer: Signer
) -> None:
    link = live_server.links[PRICING]
    url = f"{live_server.url}/t/c/{signer.sign('click', EMAIL, BOB, link)}"
    r = get(url, headers={"User-Agent": "Firefox/130"})
    assert r.status_code == 302
    assert r.headers["location"] == PRICING
    # Harmless query parameters do not change the target.
    assert get(url + "?utm_medium=email").headers["location"] == PRICING
    head = httpx.head(url, timeout=10)
    assert head.status_code == 302 and head.headers["location"] == PRICING and head.content == b""

    clicks = live_server.activities("email_click")
    assert len(clicks) == 3
    props = [json.loads(str(c["properties"])) for c in clicks]
    assert {(p["link"], p["url"], p["email"]) for p in props} == {(link, PRICING, EMAIL)}
    assert [p["method"] for p in props] == ["GET", "GET", "HEAD"]
    assert [(c["bot"], c["bot_reason"]) for c in clicks] == [
        (False, None), (False, None), (True, "head_request")
    ]  # fmt: skip
    assert props[0]["user_agent"] == "Firefox/130" and props[0]["ip"] == "127.0.0.1"


def _tamper(token: str, index: int) -> str:
    swap = "A" if token[index] != "A" else "B"
    return token[:index] + swap + token[index + 1 :]


def test_forged_tokens_and_redirect_tricks_get_404_without_location(
    live_server: LiveServer, signer: Signer
) -> None:
    link = live_server.links[PRICING]
    good = signer.sign("click", EMAIL, ALICE, link)
    payload, mac = good.split(".")
    foreign_id = Signer([SigningKey("k-foreign", b"f" * 40)]).sign("click", EMAIL, ALICE, link)
    foreign_secret = Signer([SigningKey("k-new", b"x" * 40)]).sign("click", EMAIL, ALICE, link)
    other_email = signer.sign("click", "other-email", ALICE, link)
    attempts = [
        "/t/c/forged",
        "/t/c/" + _tamper(good, 5),  # tampered payload
        "/t/c/" + _tamper(good, len(good) - 2),  # tampered MAC
        "/t/c/" + good[:-10],  # truncated
        "/t/c/" + payload,  # MAC missing
        "/t/c/" + good + "=",  # padded
        "/t/c/" + foreign_id,  # unknown key id
        "/t/c/" + foreign_secret,  # right key id, someone else's secret
        "/t/c/" + signer.sign("click", EMAIL, ALICE, "l-not-registered"),  # unknown link
        "/t/c/" + other_email,  # link id of another email
        "/t/c/" + signer.sign("open", EMAIL, ALICE),  # an open token is no click token
        "/t/c/" + good + "?url=https://evil.example",
        "/t/c/" + good + "?next=//evil.example",
        "/t/c/" + good + "?r=https%3A%2F%2Fevil.example%2F",
        "/t/c/" + good + "?go=%2F%2Fevil.example",
        "/t/c/" + good + "//evil.example",
        "/t/c/" + good + "/https://evil.example",
        "/t/c/" + good + "%2F%2Fevil.example",
        "/t/c//evil.example",
        "/t/c/%2F%2Fevil.example",
        "/t/c/https%3A%2F%2Fevil.example",
        "/t/c/https://evil.example",
        "/t/c/%5C%5Cevil.example",
        "/t/c/" + payload + "." + mac + ".x",
    ]
    for path in attempts:
        for method in ("GET", "HEAD"):
            r = httpx.request(method, live_server.url + path, follow_redirects=False, timeout=10)
            assert r.status_code == 404, (method, path)
            assert "location" not in r.headers, (method, path)
            assert r.headers["content-type"].startswith("text/html"), (method, path)
    assert "Link not found" in get(live_server.url + attempts[0]).text
    assert live_server.activities("email_click") == []


def test_a_token_of_a_removed_key_is_refused(live_server: LiveServer, world: Any) -> None:
    link = live_server.links[PRICING]
    old = Signer([world.old_key]).sign("click", EMAIL, CAROL, link)
    new = Signer([world.new_key]).sign("click", EMAIL, CAROL, link)
    assert get(f"{live_server.url}/t/c/{old}").status_code == 302  # rotation: old keys verify

    server = live_server.restart(world.new_key)  # k-old removed from the settings
    try:
        expired = get(f"{server.url}/t/c/{old}")
        assert expired.status_code == 404 and "location" not in expired.headers
        assert get(f"{server.url}/t/c/{new}").headers["location"] == PRICING
    finally:
        server.stop()
    assert len(server.activities("email_click")) == 2


def test_get_unsubscribe_shows_a_form_and_changes_nothing(
    live_server: LiveServer, signer: Signer
) -> None:
    url = f"{live_server.url}/t/u/{signer.sign('unsubscribe', EMAIL, ALICE)}"
    for _ in range(2):
        r = get(url)
        assert r.status_code == 200 and "location" not in r.headers
        assert '<form method="post">' in r.text and "Welcome" in r.text
    assert httpx.head(url, timeout=10).status_code == 200  # link previewers: no change either
    assert get(f"{live_server.url}/t/u/forged").status_code == 404
    assert live_server.subscriptions()[ALICE] == "subscribed"
    assert live_server.activities("email_unsubscribe") == []


def test_one_click_unsubscribe_in_both_content_types_is_idempotent(
    live_server: LiveServer, signer: Signer
) -> None:
    body = {"List-Unsubscribe": "One-Click"}
    alice = f"{live_server.url}/t/u/{signer.sign('unsubscribe', EMAIL, ALICE)}"
    bob = f"{live_server.url}/t/u/{signer.sign('unsubscribe', EMAIL, BOB)}"
    for _ in range(2):
        form = httpx.post(alice, data=body, timeout=10)
        assert form.request.headers["content-type"] == "application/x-www-form-urlencoded"
        multipart = httpx.post(bob, files={"List-Unsubscribe": (None, "One-Click")}, timeout=10)
        assert multipart.request.headers["content-type"].startswith("multipart/form-data")
        for r in (form, multipart):
            assert r.status_code == 200 and "location" not in r.headers
            assert "Unsubscribed" in r.text
    forged = httpx.post(f"{live_server.url}/t/u/{signer.sign('open', EMAIL, CAROL)}", data=body)
    assert forged.status_code == 404

    assert live_server.subscriptions() == {
        ALICE: "unsubscribed", BOB: "unsubscribed", CAROL: "subscribed"
    }  # fmt: skip
    unsubscribes = live_server.activities("email_unsubscribe")
    assert sorted(str(u["contact"]) for u in unsubscribes) == [ALICE, BOB]
    for u in unsubscribes:
        props = json.loads(str(u["properties"]))
        assert (props["email"], props["campaign"], props["method"]) == (
            EMAIL,
            CAMPAIGN,
            "one_click",
        )


def test_confirmation_form_post_unsubscribes(live_server: LiveServer, signer: Signer) -> None:
    url = f"{live_server.url}/t/u/{signer.sign('unsubscribe', EMAIL, CAROL)}"
    r = httpx.post(url, data={"confirm": "yes"}, timeout=10)
    assert r.status_code == 200 and "location" not in r.headers
    assert live_server.subscriptions()[CAROL] == "unsubscribed"
    [u] = live_server.activities("email_unsubscribe")
    assert json.loads(str(u["properties"]))["method"] == "form"
