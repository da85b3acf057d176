"""Request rate limits on the write paths: tracking links, ingest endpoints, ESP webhooks.

One ASGI middleware counts every request to those paths against per-token (tracking),
per-key (ingest, by the ``Authorization`` header presented) and per-client (the peer address)
limits set in ``[rate_limits]``; a request over any of them is answered ``429`` with
``Retry-After`` before a handler runs, and nothing is recorded. Counting is done by the
``limits`` library's sliding-window counter in this process's memory (entries expire with
their window), so each server process limits on its own. Loopback clients skip the per-client
limits when ``exempt_loopback`` is set (local tools, benchmarks, a same-host proxy); per-token
and per-key limits apply to everyone. Tracking request bodies are also capped
(``TRACKING_MAX_BODY_BYTES``): an RFC 8058 unsubscribe is a few bytes.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import SlidingWindowCounterRateLimiter
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from headway.web.auth import is_loopback
from headway.web.errors import BodySizeLimit, error_response
from headway.web.rate_limit_settings import RateLimitSettings

TRACKING_MAX_BODY_BYTES = 64 * 1024
# PostHog's capture paths and Segment's /v1/ wire protocol (web/sdk/).
_SDK_PATHS = frozenset({"/batch", "/capture", "/e", "/i/v0/e", "/track"})


@dataclass(frozen=True)
class _Limit:
    """One named limit: its rates and what it counts by."""

    name: str
    rates: tuple[RateLimitItem, ...]


class RateLimit:
    """ASGI middleware: ``429`` with ``Retry-After`` beyond the configured request rates."""

    def __init__(self, app: ASGIApp, settings: RateLimitSettings) -> None:
        self.app = app
        self.settings = settings
        self.limiter = SlidingWindowCounterRateLimiter(MemoryStorage())
        self.tracking_body = BodySizeLimit(app, TRACKING_MAX_BODY_BYTES)

        def limit(name: str, text: str) -> _Limit:
            return _Limit(name, tuple(parse_many(text)))

        self.per_token = limit("tracking token", settings.tracking_per_token)
        self.tracking_client = limit("client", settings.tracking_per_client)
        self.per_key = limit("API key", settings.ingest_per_key)
        self.ingest_client = limit("client", settings.ingest_per_client)
        self.webhooks_client = limit("client", settings.webhooks_per_client)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.settings.enabled:
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        kind = endpoint_kind(path)
        if kind is None:
            await self.app(scope, receive, send)
            return
        checks = self._checks(scope, kind, path)
        refused = self._over(checks)
        if refused is not None:
            limit, retry_after = refused
            await _too_many(limit, retry_after)(scope, receive, send)
            return
        app = self.tracking_body if kind == "tracking" else self.app
        await app(scope, receive, send)

    def _checks(self, scope: Scope, kind: str, path: str) -> list[tuple[_Limit, str]]:
        client = scope.get("client")
        host = client[0] if client else ""
        local = not host or is_loopback(host)
        checks: list[tuple[_Limit, str]] = []
        if kind == "tracking":
            token = _tracking_token(path)
            if token:
                checks.append((self.per_token, "token:" + _digest(token)))
            client_limit = self.tracking_client
        elif kind == "ingest":
            key = _header(scope, b"authorization")
            if key:
                checks.append((self.per_key, "key:" + _digest(key)))
            client_limit = self.ingest_client
        else:
            client_limit = self.webhooks_client
        if not (local and self.settings.exempt_loopback):
            checks.append((client_limit, f"{kind}-client:{host}"))
        return checks

    def _over(self, checks: list[tuple[_Limit, str]]) -> tuple[_Limit, int] | None:
        """The first limit this request exceeds and the seconds until it may retry; else None.

        A refused request still counts against the limits checked before the one it exceeded
        (a client hammering one token also spends its per-client allowance).
        """
        for limit, key in checks:
            for rate in limit.rates:
                if not self.limiter.hit(rate, key):
                    return limit, _retry_after(self.limiter, rate, key)
        return None


def endpoint_kind(path: str) -> str | None:
    """``tracking``, ``ingest`` or ``webhooks`` for a limited path; None for the rest."""
    if path.startswith("/t/"):
        return "tracking"
    if path.startswith("/webhooks/"):
        return "webhooks"
    if path.rstrip("/") == "/api/v1/activities" or path.startswith("/v1/"):
        return "ingest"
    if path.rstrip("/") in _SDK_PATHS:
        return "ingest"
    return None


def _tracking_token(path: str) -> str:
    parts = path.split("/", 4)  # '', 't', purpose, token[, rest]
    return parts[3] if len(parts) > 3 else ""


def _digest(text: str) -> str:
    # Keys of the counters are short whatever the caller sends (tokens may be 4 KB).
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value).decode("latin-1")
    return ""


def _retry_after(limiter: SlidingWindowCounterRateLimiter, rate: RateLimitItem, key: str) -> int:
    reset = limiter.get_window_stats(rate, key).reset_time
    return max(1, math.ceil(reset - time.time()))


def _too_many(limit: _Limit, retry_after: int) -> JSONResponse:
    rates = ", ".join(str(rate) for rate in limit.rates)
    body = {
        "code": "rate_limited",
        "message": f"too many requests for this {limit.name}; retry in {retry_after} s",
        "details": [{"field": limit.name, "reason": f"at most {rates}"}],
    }
    return error_response(429, body, {"Retry-After": str(retry_after)})
