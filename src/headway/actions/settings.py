"""Settings of journey actions: the delivery worker, cohort syncs and the digest by SMTP."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from headway.model.duration import parse_duration


class SmtpSettings(BaseModel):
    """The SMTP server the digest is sent through."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str | None = None
    port: int = Field(default=587, ge=1, le=65_535)
    username: str | None = None
    password: SecretStr | None = None
    # "starttls" upgrades a plain connection (port 587), "tls" connects over TLS (port 465),
    # "none" sends in the clear (a local relay or a test server only).
    security: Literal["starttls", "tls", "none"] = "starttls"
    sender: str = Field(default="headway@localhost", min_length=3)
    timeout_seconds: float = Field(default=10.0, gt=0, le=300)


class DigestSettings(BaseModel):
    """The periodic digest of every journey (reached, conversion, biggest change, top stall)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    every: str = "7d"
    recipients: tuple[str, ...] = ()
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)

    @field_validator("every")
    @classmethod
    def _duration(cls, value: str) -> str:
        if parse_duration(value) < 1:
            raise ValueError("must be at least 1s")
        return value

    @field_validator("recipients")
    @classmethod
    def _addresses(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for address in value:
            if "@" not in address or any(c in address for c in " \r\n,;<>"):
                raise ValueError(f"{address!r} is not an email address")
        return value

    def seconds(self) -> int:
        """The digest period in seconds."""
        return parse_duration(self.every)


class ActionSettings(BaseModel):
    """The action worker of ``headway serve``: deliveries, retries, cohort syncs, digests."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Run the worker in the server process (off: events are still recorded and queued).
    worker: bool = True
    # How often the worker looks for new journey events and due deliveries.
    poll_seconds: float = Field(default=1.0, gt=0, le=3600)
    # Per request: connect + read + write, so no receiver can hold a delivery longer.
    timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    # Deliveries in flight at once (bounded: a slow receiver never stalls the server).
    concurrency: int = Field(default=4, ge=1, le=64)
    # Retry n waits backoff_seconds * 2^(n-1), at most max_backoff_seconds; after
    # max_attempts failures a delivery is dead (listed in the dashboard, can be replayed).
    backoff_seconds: float = Field(default=30.0, gt=0, le=86_400)
    max_backoff_seconds: float = Field(default=6 * 3600.0, gt=0, le=7 * 86_400)
    max_attempts: int = Field(default=8, ge=1, le=100)
    # Where file subscriptions and cohort files may be written (relative paths are taken from
    # here); default: the "actions" directory beside the database file.
    files_dir: Path | None = None
    # Contacts per page when a cohort sync pushes to an HTTP endpoint.
    page_size: int = Field(default=1000, ge=1, le=100_000)
    digest: DigestSettings = Field(default_factory=DigestSettings)

    def backoff(self, attempts: int) -> float:
        """Seconds to wait before the next try after ``attempts`` failed ones."""
        return float(min(self.max_backoff_seconds, self.backoff_seconds * 2 ** (attempts - 1)))
