"""Standard Webhooks signatures (https://www.standardwebhooks.com): HMAC-SHA256 over
``{id}.{timestamp}.{body}`` with a ``whsec_``-prefixed base64 secret, sent as
``webhook-signature: v1,<base64>`` beside ``webhook-id`` and ``webhook-timestamp``."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time

PREFIX = "whsec_"
TOLERANCE_SECONDS = 300


class SignatureError(ValueError):
    """A delivery whose signature, timestamp or secret does not check out."""


def new_secret() -> str:
    """A fresh signing secret: ``whsec_`` and 32 random bytes in base64."""
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def secret_bytes(secret: str) -> bytes:
    """The key bytes of a ``whsec_`` secret (SignatureError when it is not one)."""
    if not secret.startswith(PREFIX):
        raise SignatureError("a signing secret starts with whsec_")
    try:
        key = base64.b64decode(secret[len(PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError("a signing secret is whsec_ and base64") from None
    if len(key) < 24:
        raise SignatureError("a signing secret holds at least 24 bytes")
    return key


def signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``v1,<base64>`` signature of one message."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_bytes(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(secret: str, msg_id: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """The three Standard Webhooks headers (and the JSON content type) of one message."""
    ts = int(time.time()) if timestamp is None else timestamp
    return {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(ts),
        "webhook-signature": signature(secret, msg_id, ts, body),
    }


def verify(secret: str, sent: dict[str, str], body: bytes, now: float | None = None) -> None:
    """Check a received message's headers (lower-case names); SignatureError says why not."""
    msg_id, ts = sent.get("webhook-id"), sent.get("webhook-timestamp")
    given = sent.get("webhook-signature", "")
    if not msg_id or not ts or not given:
        raise SignatureError("webhook-id, webhook-timestamp and webhook-signature are required")
    try:
        stamp = int(ts)
    except ValueError:
        raise SignatureError("webhook-timestamp is not a whole number of seconds") from None
    if abs((time.time() if now is None else now) - stamp) > TOLERANCE_SECONDS:
        raise SignatureError("webhook-timestamp is too far from now")
    expected = signature(secret, msg_id, stamp, body)
    # Several space-separated signatures may be sent while a secret is rotated.
    if not any(hmac.compare_digest(expected, s) for s in given.split()):
        raise SignatureError("no signature matches")
