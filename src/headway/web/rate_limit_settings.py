"""Settings of the request rate limits on tracking and ingest endpoints (``[rate_limits]``).

A limit is written as ``limits``' rate notation: ``"30/minute"``, ``"100/second"``,
``"1000 per hour"``; several joined by ``;`` must all hold (``"20/second;600/minute"``).
The notation is checked when settings load, so a typo stops the server with one sentence.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, field_validator

DEFAULT_TRACKING_PER_TOKEN = "60/minute"
DEFAULT_TRACKING_PER_CLIENT = "100/second"
DEFAULT_INGEST_PER_KEY = "200/second"
DEFAULT_INGEST_PER_CLIENT = "100/second"
DEFAULT_WEBHOOKS_PER_CLIENT = "100/second"


class RateLimitSettings(BaseModel):
    """Per-token, per-key and per-client request rates; over them a request gets ``429``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    tracking_per_token: str = DEFAULT_TRACKING_PER_TOKEN
    tracking_per_client: str = DEFAULT_TRACKING_PER_CLIENT
    ingest_per_key: str = DEFAULT_INGEST_PER_KEY
    ingest_per_client: str = DEFAULT_INGEST_PER_CLIENT
    webhooks_per_client: str = DEFAULT_WEBHOOKS_PER_CLIENT
    exempt_loopback: bool = True

    @field_validator(
        "tracking_per_token",
        "tracking_per_client",
        "ingest_per_key",
        "ingest_per_client",
        "webhooks_per_client",
    )
    @classmethod
    def _rate(cls, value: str) -> str:
        from limits import parse_many  # late: only when a rate is set (keeps start-up light)

        try:
            rates = parse_many(value)
        except ValueError:
            rates = []
        if not rates or any(rate.amount < 1 for rate in rates):
            raise ValueError(
                f"{value!r} is not a rate of at least 1: write e.g. '30/minute', '100/second' "
                "or '20/second;600/minute'"
            )
        return value
