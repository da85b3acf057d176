"""Small field helpers the presets share: objects that may arrive as JSON text, ids, times."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson

from headway.ingest import timestamps
from headway.ingest.presets import IdentityClaim, Mapped
from headway.ingest.records import Rejected

_EPOCH_LIMIT_MS = 250_000_000_000_000
_MS_THRESHOLD = 100_000_000_000


def as_object(value: Any, field: str) -> dict[str, Any]:
    """A JSON object given as a dict, as JSON text (CSV cells) or absent (``{}``)."""
    if value is None or value == "":
        return {}
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        try:
            parsed = orjson.loads(value)
        except orjson.JSONDecodeError:
            raise Rejected(field, "is not valid JSON") from None
        if isinstance(parsed, dict):
            return parsed
    raise Rejected(field, "must be a JSON object")


def ident(value: Any) -> str | None:
    """An id as text: strings as they are (blank: none), integers in decimal."""
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def optional_id(value: Any, field: str) -> str | None:
    """An id as text or an integer (absent or blank: none); anything else is ``Rejected``."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise Rejected(field, "must be a string")
    return value if value.strip() else None


def event_name(raw: dict[str, Any], field: str) -> str:
    """The event's name, the string at ``field`` (required)."""
    name = raw.get(field)
    if not isinstance(name, str):
        raise Rejected(field, "is required" if name is None else "must be a string")
    return name


def parsed_time(value: Any, field: str) -> datetime:
    """A timestamp by Headway's rules (UTC, naive), else ``Rejected`` naming ``field``."""
    try:
        parsed = timestamps.parse(value, None)
    except (OverflowError, ValueError):
        parsed = timestamps.not_a_date_reason(str(value))
    if isinstance(parsed, str):
        raise Rejected(field, parsed)
    return parsed


def claim_tie(
    mapped: Mapped,
    anonymous: str | None,
    known: str | None,
    ts: str,
    event_id: str | None,
    source: str,
) -> None:
    """Claims ``anonymous`` is ``known`` from ``ts`` (ISO text with ``Z``) on, both given and unlike."""
    if anonymous and known and anonymous != known:
        at = datetime.fromisoformat(ts[:-1])
        mapped.identities.append(IdentityClaim(anonymous, known, at, event_id, source))


def first_id(*values: Any) -> str | None:
    """The first usable id among ``values``."""
    for value in values:
        found = ident(value)
        if found is not None:
            return found
    return None


def iso_utc(moment: datetime) -> str:
    """ISO 8601 text with ``Z`` (naive datetimes are taken as UTC)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(timespec="microseconds") + "Z"


def epoch_text(value: Any, field: str, unit: str = "auto") -> str:
    """Epoch seconds or milliseconds (``unit="auto"``: by magnitude), or microseconds, as
    ISO text in UTC (digit strings too)."""
    number: float
    if isinstance(value, bool) or value is None:
        raise Rejected(field, "is required" if value is None else "is not a date")
    if isinstance(value, int | float):
        number = value
    elif isinstance(value, str):
        try:
            number = float(value) if "." in value else int(value)
        except ValueError:
            raise Rejected(field, f"'{value}' is not a date") from None
    else:
        raise Rejected(field, f"'{value}' is not a date")
    micros = _micros(number, unit)
    if micros is None:
        raise Rejected(field, f"'{value}' is not a date")
    seconds, rest = divmod(micros, 1_000_000)
    try:
        moment = datetime.fromtimestamp(seconds, UTC).replace(microsecond=rest, tzinfo=None)
    except (OverflowError, OSError, ValueError):
        raise Rejected(field, f"'{value}' is not a date") from None
    return moment.isoformat(timespec="microseconds") + "Z"


def _micros(number: float, unit: str) -> int | None:
    if unit == "us":
        number = number / 1000
    elif unit == "auto" and abs(number) < _MS_THRESHOLD:
        number = number * 1000
    if abs(number) >= _EPOCH_LIMIT_MS:
        return None
    return round(number * 1000)


def without_nulls(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` without the keys whose value is null."""
    return {k: v for k, v in values.items() if v is not None}
