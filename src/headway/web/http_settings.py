"""The ``[http]`` settings: which proxies to believe, and the server's connection limits.

Documented in docs/config.md and docs/deploy.md.
"""

from __future__ import annotations

import ipaddress

from pydantic import BaseModel, ConfigDict, Field, field_validator

DEFAULT_MAX_CONNECTIONS = 1000
DEFAULT_HEADER_TIMEOUT = 10.0
DEFAULT_KEEP_ALIVE = 5.0
DEFAULT_MAX_HEADER_BYTES = 16 * 1024


class HttpSettings(BaseModel):
    """Trusted reverse proxies and the limits on connections, headers and idle time."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Addresses or networks (CIDR) of reverse proxies whose X-Forwarded-For/-Proto is believed.
    trusted_proxies: tuple[str, ...] = ()
    max_connections: int = Field(default=DEFAULT_MAX_CONNECTIONS, ge=1)
    header_timeout: float = Field(default=DEFAULT_HEADER_TIMEOUT, gt=0)
    keep_alive_timeout: float = Field(default=DEFAULT_KEEP_ALIVE, gt=0)
    max_header_bytes: int = Field(default=DEFAULT_MAX_HEADER_BYTES, ge=1024)

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for entry in value:
            if entry.strip() == "*":
                raise ValueError(
                    "'*' would believe a forwarded address from anyone; "
                    "list the proxies' addresses or networks (e.g. 10.0.0.5 or 10.0.0.0/24)"
                )
            try:
                ipaddress.ip_network(entry.strip(), strict=False)
            except ValueError:
                raise ValueError(
                    f"{entry!r} is not an IP address or network (e.g. 10.0.0.5 or 10.0.0.0/24)"
                ) from None
        return tuple(e.strip() for e in value)
