"""Standard Webhooks signatures: the specification's published test vector, verification of
fresh messages, and what a receiver refuses (also with the docs/actions.md example)."""

from __future__ import annotations

import pytest

from headway.actions import signing
from tests.docs.actions_receiver import verify_delivery

# The test vector the Standard Webhooks specification and its libraries publish.
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
MSG_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
STAMP = 1614265330
BODY = b'{"test": 2432232314}'
EXPECTED = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_the_specifications_test_vector() -> None:
    assert signing.signature(SECRET, MSG_ID, STAMP, BODY) == EXPECTED
    sent = signing.headers(SECRET, MSG_ID, BODY, timestamp=STAMP)
    assert sent["webhook-signature"] == EXPECTED
    signing.verify(SECRET, sent, BODY, now=STAMP + 10)


def test_a_fresh_secret_signs_and_verifies() -> None:
    secret = signing.new_secret()
    assert secret.startswith("whsec_") and len(signing.secret_bytes(secret)) == 32
    sent = signing.headers(secret, "evt_1", b"{}")
    signing.verify(secret, sent, b"{}")
    assert verify_delivery(secret, sent, b"{}") == {}  # the documented receiver agrees
    rotated = {**sent, "webhook-signature": "v1,bm90IGl0 " + sent["webhook-signature"]}
    signing.verify(secret, rotated, b"{}")  # one of several signatures matches


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"body": b'{"test": 1}'}, "no signature matches"),
        ({"webhook-id": "msg_other"}, "no signature matches"),
        ({"webhook-timestamp": str(STAMP + 1000)}, "too far from now"),
        ({"webhook-timestamp": "soon"}, "not a whole number"),
        ({"webhook-signature": ""}, "are required"),
    ],
)
def test_tampered_or_stale_messages_are_refused(change: dict[str, object], reason: str) -> None:
    sent = signing.headers(SECRET, MSG_ID, BODY, timestamp=STAMP)
    body = change.pop("body", BODY)
    sent.update({k: str(v) for k, v in change.items()})
    with pytest.raises(signing.SignatureError, match=reason):
        signing.verify(SECRET, sent, body, now=STAMP)  # type: ignore[arg-type]


def test_bad_secrets_say_why() -> None:
    with pytest.raises(signing.SignatureError, match="starts with whsec_"):
        signing.secret_bytes("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    with pytest.raises(signing.SignatureError, match="base64"):
        signing.secret_bytes("whsec_not base64!")
