"""Settings of the ESP webhook adapters (secrets, public keys, tolerances).

A provider whose settings are absent (``None``) is disabled: its endpoint answers 404.
Secrets are ``SecretStr`` so they never appear in logs, reprs or dumps.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from typing import Any, Literal

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_public_key
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

# Fetches an https URL and returns the body (SNS signing certificates, subscription confirmation).
Fetcher = Callable[[str], bytes]

# How old a signed timestamp may be (seconds), and the upper bound a setting may raise it to.
DEFAULT_MAX_AGE_SECONDS = 300
MAX_AGE_CEILING_SECONDS = 86_400
# An SNS topic ARN: arn:<partition>:sns:<region>:<12-digit account>:<topic name>.
TOPIC_ARN = re.compile(
    r"arn:aws[a-z-]*:sns:[a-z]{2,}(-[a-z]+)+-\d+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?"
)


def _max_age(what: str) -> Any:
    return Field(
        default=DEFAULT_MAX_AGE_SECONDS,
        gt=0,
        le=MAX_AGE_CEILING_SECONDS,
        description=f"Refuse {what} older than this many seconds",
    )


class SendGridSettings(BaseModel):
    """SendGrid Event Webhook: the verification key shown under Mail Settings."""

    model_config = ConfigDict(extra="forbid")

    public_key: str = Field(description="Signed Event Webhook verification key (base64 DER)")
    max_age_seconds: int = _max_age("signatures")

    @field_validator("public_key")
    @classmethod
    def _is_p256_key(cls, value: str) -> str:
        try:
            key = load_der_public_key(base64.b64decode(value.strip(), validate=True))
        except (ValueError, binascii.Error):
            raise ValueError("is not a base64 DER public key (copy it from SendGrid)") from None
        if not isinstance(key, ec.EllipticCurvePublicKey):
            raise ValueError("is not an ECDSA public key")
        return value.strip()


class MailgunSettings(BaseModel):
    """Mailgun: the HTTP webhook signing key and the accepted age of a signature."""

    model_config = ConfigDict(extra="forbid")

    signing_key: SecretStr
    max_age_seconds: int = _max_age("signatures")


class SesSettings(BaseModel):
    """Amazon SES events delivered through SNS topics (HTTPS subscription); topics required."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    allowed_topic_arns: list[str] = Field(
        default_factory=list,
        validate_default=True,
        description="The SNS topics whose messages are accepted (required, at least one)",
    )
    confirm_subscriptions: bool = True
    max_age_seconds: int = _max_age("SNS messages (their signed Timestamp)")
    # Tests and air-gapped setups plug their own fetcher; default: an https GET.
    fetcher: Fetcher | None = Field(default=None, exclude=True, repr=False)

    @field_validator("allowed_topic_arns")
    @classmethod
    def _topics(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError(
                "must list the SNS topic ARNs Headway accepts SES events from "
                "(at least one, e.g. arn:aws:sns:eu-west-1:123456789012:ses-events)"
            )
        for arn in value:
            if TOPIC_ARN.fullmatch(arn) is None:
                raise ValueError(
                    f"{arn!r} is not an SNS topic ARN "
                    "(arn:aws:sns:<region>:<12-digit account>:<topic>)"
                )
        return value


class PostmarkSettings(BaseModel):
    """Postmark: a shared secret sent as HTTP basic auth (password) or in a header."""

    model_config = ConfigDict(extra="forbid")

    secret: SecretStr
    auth: Literal["basic", "header"] = "basic"
    username: str = "headway"
    header_name: str = "X-Headway-Webhook-Secret"


class BrevoSettings(BaseModel):
    """Brevo: a shared token sent as a bearer token, a custom header or a query parameter."""

    model_config = ConfigDict(extra="forbid")

    token: SecretStr
    auth: Literal["bearer", "header", "query"] = "bearer"
    header_name: str = "X-Headway-Webhook-Token"
    query_param: str = "token"


class MandrillSettings(BaseModel):
    """Mailchimp Transactional (Mandrill): the webhook key and the URL Mandrill posts to."""

    model_config = ConfigDict(extra="forbid")

    webhook_key: SecretStr
    url: str | None = Field(
        default=None, description="The exact URL registered in Mandrill (default: request URL)"
    )


class WebhookSettings(BaseModel):
    """Per-provider webhook settings; a provider without settings is disabled."""

    model_config = ConfigDict(extra="forbid")

    max_body_bytes: int = Field(default=5_000_000, gt=0)
    sendgrid: SendGridSettings | None = None
    mailgun: MailgunSettings | None = None
    ses: SesSettings | None = None
    postmark: PostmarkSettings | None = None
    brevo: BrevoSettings | None = None
    mandrill: MandrillSettings | None = None
