"""Signed tracking tokens: who (contact) got what (email, link), when, signed by which key.

A token is ``PAYLOAD.MAC``, both URL-safe base64 without padding. ``PAYLOAD`` is a compact JSON
array ``[2, key id, purpose, email, contact, link, issued_at, expires_at]``; ``MAC`` is
HMAC-SHA256 of it under the named key. The first key of the signer signs, every key verifies
(the token names its key), so keys rotate by adding a new key in front and removing the old one
once its links may die. Version 1 tokens (issued before expiry existed) have no ``expires_at``:
they expire ``lifetime`` seconds after their ``issued_at``, like new ones.
Anything that does not verify — tampered, truncated, foreign key, malformed, wrong purpose —
raises ``InvalidToken`` (a 404 to the web, never a 500); a genuine token past its expiry raises
``ExpiredToken``, a subclass that still carries what the token says.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import orjson

from headway.errors import NotFound

VERSION = 2
LEGACY_VERSION = 1  # [1, key, purpose, email, contact, link, issued_at]: no expiry field
DEFAULT_LIFETIME_SECONDS = 730 * 86_400  # two years
MAX_TOKEN_CHARS = 4096
# Domain separation: a MAC made for tracking tokens is useless anywhere else.
_CONTEXT = b"headway-tracking-token\x00"
_B64 = re.compile(r"^[A-Za-z0-9_-]+$")

Purpose = Literal["open", "click", "unsubscribe"]
PURPOSES: tuple[Purpose, ...] = ("open", "click", "unsubscribe")


class InvalidToken(NotFound):
    """A tracking token that does not verify."""

    code = "invalid_token"

    def __init__(self) -> None:
        super().__init__("this tracking link is not valid")


class ExpiredToken(InvalidToken):
    """A genuine token (right key, right purpose) past its expiry; ``token`` is its content."""

    code = "expired_token"

    def __init__(self, token: TrackingToken) -> None:
        super().__init__()
        self.token = token


@dataclass(frozen=True)
class SigningKey:
    """A key id and its secret bytes."""

    id: str
    secret: bytes


@dataclass(frozen=True)
class TrackingToken:
    """What a token says: purpose, email id, contact id, link id (clicks), issue time."""

    purpose: Purpose
    email: str
    contact: str
    link: str | None = None
    issued_at: int = 0
    key_id: str = ""
    expires_at: int = 0


class Signer:
    """Signs with the newest key, verifies with any configured key."""

    def __init__(
        self, keys: Sequence[SigningKey], lifetime: int = DEFAULT_LIFETIME_SECONDS
    ) -> None:
        if not keys:
            raise ValueError("a signer needs at least one key")
        if lifetime < 1:
            raise ValueError("a token lifetime is at least one second")
        self._keys = {k.id: k.secret for k in keys}
        self._newest = keys[0]
        self.lifetime = lifetime

    def sign(
        self,
        purpose: Purpose,
        email: str,
        contact: str,
        link: str | None = None,
        issued_at: int | None = None,
    ) -> str:
        """A token for ``contact`` receiving ``email`` (and ``link`` for clicks)."""
        issued = int(time.time()) if issued_at is None else issued_at
        key = self._newest
        expires = issued + self.lifetime
        payload = orjson.dumps([VERSION, key.id, purpose, email, contact, link, issued, expires])
        return f"{_encode(payload)}.{_encode(_mac(key.secret, payload))}"

    def verify(self, token: str, purpose: Purpose, now: float | None = None) -> TrackingToken:
        """The token's content when it verifies for ``purpose`` and has not expired.

        Raises ``InvalidToken`` when it does not verify and ``ExpiredToken`` (a subclass) when
        it verifies but its expiry is at or before ``now`` (default: the current time).
        """
        payload, mac = _split(token)
        fields = _fields(payload, self.lifetime)
        secret = self._keys.get(fields.key_id)
        if secret is None or not hmac.compare_digest(mac, _mac(secret, payload)):
            raise InvalidToken()
        if fields.purpose != purpose:
            raise InvalidToken()
        if fields.expires_at <= (time.time() if now is None else now):
            raise ExpiredToken(fields)
        return fields


def _mac(secret: bytes, payload: bytes) -> bytes:
    return hmac.new(secret, _CONTEXT + payload, hashlib.sha256).digest()


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _decode(text: str) -> bytes:
    if not _B64.match(text):
        raise InvalidToken()
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise InvalidToken() from None
    # Only the canonical spelling is accepted, so one token has exactly one text.
    if _encode(raw) != text:
        raise InvalidToken()
    return raw


def _split(token: str) -> tuple[bytes, bytes]:
    if len(token) > MAX_TOKEN_CHARS or token.count(".") != 1:
        raise InvalidToken()
    payload_text, mac_text = token.split(".")
    return _decode(payload_text), _decode(mac_text)


def _fields(payload: bytes, lifetime: int) -> TrackingToken:
    try:
        data = orjson.loads(payload)
    except orjson.JSONDecodeError:
        raise InvalidToken() from None
    if not isinstance(data, list) or not data:
        raise InvalidToken()
    if data[0] == LEGACY_VERSION and len(data) == 7 and type(data[6]) is int:
        data = [*data, data[6] + lifetime]  # issued before expiry existed: issued + lifetime
    elif data[0] != VERSION or len(data) != 8:
        raise InvalidToken()
    _, key_id, purpose, email, contact, link, issued, expires = data
    strings = (key_id, email, contact)
    if not all(isinstance(s, str) and s for s in strings) or purpose not in PURPOSES:
        raise InvalidToken()
    if not (link is None or isinstance(link, str)):
        raise InvalidToken()
    if type(issued) is not int or type(expires) is not int:
        raise InvalidToken()
    return TrackingToken(purpose, email, contact, link, issued, key_id, expires)
