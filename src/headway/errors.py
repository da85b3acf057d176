"""Headway's exception hierarchy: every error a user can cause, with one HTTP mapping.

Each error carries a one-sentence ``message`` and optional ``details`` (which record,
which field, why). The web layer maps ``http_status`` and ``code`` to the JSON error
shape ``{"error": {"code", "message", "details"}}`` in exactly one place; the CLI prints
``message`` and the details without a traceback.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Detail:
    """One specific problem: where (record index / line, field) and why."""

    reason: str
    field: str | None = None
    record: int | str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, without empty keys."""
        return {k: v for k, v in asdict(self).items() if v is not None}

    def __str__(self) -> str:
        where = []
        if self.record is not None:
            where.append(str(self.record))
        if self.field is not None:
            where.append(self.field)
        return ": ".join([*where, self.reason])


class HeadwayError(Exception):
    """Base of every error Headway reports to a user."""

    code = "error"
    http_status = 500

    def __init__(self, message: str, details: list[Detail] | tuple[Detail, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.details = tuple(details)

    def to_dict(self) -> dict[str, Any]:
        """The JSON error shape's inner object."""
        return {
            "code": self.code,
            "message": self.message,
            "details": [d.to_dict() for d in self.details],
        }


class InvalidInput(HeadwayError):
    """Malformed data, definition or argument supplied by the user."""

    code = "invalid_input"
    http_status = 422


class InvalidJourney(InvalidInput):
    """A journey definition that does not validate."""

    code = "invalid_journey"


class NotOnBackend(InvalidInput):
    """A report the chosen backend cannot run (yet), e.g. one that reads the DuckDB store's
    email registry on Spark: named, never a silent difference or a traceback."""

    code = "not_on_backend"

    def __init__(self, report: str, backend: str, missing: tuple[str, ...] = ()) -> None:
        super().__init__(
            f"{report} cannot run on the {backend} backend yet",
            [Detail(f"the {backend} backend has no {name}", field="backend") for name in missing],
        )
        self.report = report
        self.backend = backend


class NotFound(HeadwayError):
    """A named thing (journey, contact, email, file) does not exist."""

    code = "not_found"
    http_status = 404


class Conflict(HeadwayError):
    """The request conflicts with the current state."""

    code = "conflict"
    http_status = 409


class Unauthorized(HeadwayError):
    """Missing or invalid credentials (API key, webhook signature)."""

    code = "unauthorized"
    http_status = 401


class Forbidden(HeadwayError):
    """Valid credentials without the needed permission, or a replayed/stale request."""

    code = "forbidden"
    http_status = 403


class PayloadTooLarge(HeadwayError):
    """A request body over the configured limit."""

    code = "payload_too_large"
    http_status = 413


class UnsupportedMediaType(HeadwayError):
    """A request body in a content type the endpoint does not take."""

    code = "unsupported_media_type"
    http_status = 415


class ConfigError(HeadwayError):
    """Invalid or missing settings at start-up."""

    code = "config_error"
    http_status = 500


class StoreError(HeadwayError):
    """The database cannot be opened or used (locked by another process, wrong file)."""

    code = "store_error"
    http_status = 503
