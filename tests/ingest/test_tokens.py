"""Tracking tokens: signed, rotatable, and refused whenever anything is off."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from headway.ingest.tokens import InvalidToken, Signer, SigningKey, TrackingToken

NEW = SigningKey("new", b"n" * 32)
OLD = SigningKey("old", b"o" * 32)


def test_a_token_verifies_to_what_was_signed() -> None:
    signer = Signer([NEW])
    token = signer.sign("click", "welcome-1", "alice@example.com", "l1", issued_at=1_700_000_000)
    assert signer.verify(token, "click", now=1_700_000_001) == TrackingToken(
        "click", "welcome-1", "alice@example.com", "l1", 1_700_000_000, "new",
        1_700_000_000 + 730 * 86_400,
    )  # fmt: skip
    assert all(c.isalnum() or c in "-_." for c in token)  # URL-safe, no padding
    assert "=" not in token


def test_unicode_ids_survive() -> None:
    signer = Signer([NEW])
    token = signer.sign("unsubscribe", "Grüße-1", "zoë@example.com")
    assert signer.verify(token, "unsubscribe").contact == "zoë@example.com"


def test_the_newest_key_signs_and_every_key_verifies() -> None:
    old_token = Signer([OLD]).sign("open", "e", "c")
    rotated = Signer([NEW, OLD])
    assert rotated.verify(old_token, "open").key_id == "old"
    assert rotated.verify(rotated.sign("open", "e", "c"), "open").key_id == "new"
    with pytest.raises(InvalidToken):
        Signer([NEW]).verify(old_token, "open")  # the old key was removed


def test_a_token_is_only_good_for_its_purpose() -> None:
    signer = Signer([NEW])
    with pytest.raises(InvalidToken):
        signer.verify(signer.sign("open", "e", "c"), "unsubscribe")


def test_every_single_character_change_is_refused() -> None:
    signer = Signer([NEW])
    token = signer.sign("click", "e", "c", "l")
    for i, ch in enumerate(token):
        for other in {"A", "_", "."} - {ch}:
            with pytest.raises(InvalidToken):
                signer.verify(token[:i] + other + token[i + 1 :], "click")


def test_truncated_tokens_are_refused() -> None:
    signer = Signer([NEW])
    token = signer.sign("click", "e", "c", "l")
    for n in range(len(token)):
        with pytest.raises(InvalidToken):
            signer.verify(token[:n], "click")


def test_foreign_keys_are_refused() -> None:
    mine = Signer([NEW])
    with pytest.raises(InvalidToken):  # a key id we do not have
        mine.verify(Signer([SigningKey("other", b"n" * 32)]).sign("open", "e", "c"), "open")
    with pytest.raises(InvalidToken):  # our key id, someone else's secret
        mine.verify(Signer([SigningKey("new", b"x" * 32)]).sign("open", "e", "c"), "open")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_well_signed_but_malformed_payloads_are_refused() -> None:
    import hashlib
    import hmac

    def signed(payload: bytes) -> str:
        mac = hmac.new(NEW.secret, b"headway-tracking-token\x00" + payload, hashlib.sha256)
        return f"{_b64(payload)}.{_b64(mac.digest())}"

    signer = Signer([NEW])
    good = signed(b'[1,"new","open","e","c",null,5]')
    assert signer.verify(good, "open", now=6).email == "e"  # the helper matches the real format
    for payload in (
        b'[3,"new","open","e","c",null,5,9]',  # unknown version
        b'[2,"new","open","e","c",null,5]',  # version 2 without its expiry
        b'[2,"new","open","e","c",null,5,"9"]',  # expiry not an int
        b'[1,"new","open","","c",null,5]',  # empty email
        b'[1,"new","open","e","c",null,"5"]',  # issue time not an int
        b'[1,"new","open","e","c",7,5]',  # link not a string
        b'[1,"new","peek","e","c",null,5]',  # unknown purpose
        b'{"v":1}',
        b"not json",
    ):
        with pytest.raises(InvalidToken):
            signer.verify(signed(payload), "open", now=6)


@pytest.mark.parametrize(
    "text",
    ["", ".", "a.b.c", "abc", "a b.c", "YQ==.YQ", "YR.YQ", "%2F%2Fevil.example", "x" * 5000],
)
def test_malformed_text_is_refused(text: str) -> None:
    with pytest.raises(InvalidToken):
        Signer([NEW]).verify(text, "open")


@given(st.text(max_size=300))
def test_random_text_never_verifies_and_never_crashes(text: str) -> None:
    with pytest.raises(InvalidToken):
        Signer([NEW]).verify(text, "click")


def test_invalid_token_is_a_404() -> None:
    assert InvalidToken().http_status == 404
