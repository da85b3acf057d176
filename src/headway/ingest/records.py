"""Validation of activity records, shared by every input path (HTTP batches, JSON Lines).

A record is a JSON object. ``contact`` (a non-empty string; an integer is accepted and
written as its decimal text, since CRM ids are often numeric), ``type`` (any name by the
rule of ``model/names.py``: 1 to 200 characters, no control characters) and ``ts`` (see
``timestamps.py``) are required. ``id`` (string
or integer), ``properties`` (a JSON object), ``bot`` (boolean), ``bot_reason`` and
``source`` (strings) are optional. Any other top-level key becomes a property (a key in
``properties`` wins over a top-level key of the same name). Property keys, at any depth,
follow the same name rule as types.

Batches are checked column by column first (``bulk_records``): the records that pass those
cheap checks are converted in bulk; only the others are checked one by one here, which gives
each rejected record its exact reason (the first bad field, in the order of ``check_record``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from headway.errors import Detail
from headway.ingest import bulk_records as bulk
from headway.ingest import timestamps
from headway.model.names import key_problem, name_problem
from headway.store.appends import SCHEMA

KNOWN = frozenset(SCHEMA.names)
# Levels of objects and lists in ``properties`` (the object itself is level 1). Deeper
# records are refused: nothing real nests so deep, keys are checked down to here
# (``key_problem``), and JSON text of 255 levels could not be written at all (a 500 before).
MAX_PROPERTY_DEPTH = 64
DEEP = f"is nested more than {MAX_PROPERTY_DEPTH} levels deep (the limit)"


class Rejected(Exception):
    """One field of one record is invalid."""

    def __init__(self, field: str | None, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


def validate_records(
    records: Iterable[Any],
    *,
    source: str,
    tz: str | None = None,
    first_index: int = 0,
    label: str | None = None,
) -> tuple[pa.Table, list[Detail]]:
    """Canonical activity columns for the valid records and one Detail per rejected one.

    A record is named by its index (``first_index`` + position), or by ``f"{label} {n}"``
    when ``label`` is given (``label="line"`` gives ``line 1204``). ``source`` is used when a
    record has none of its own.
    """
    zone = timestamps.zone(tz)
    batch = records if isinstance(records, list) else list(records)
    fast, slow = bulk.fast_rows(batch, source)
    columns: dict[str, list[Any]] = {name: [] for name in [*SCHEMA.names, "_at"]}
    details: list[Detail] = []
    for offset in slow:
        index = first_index + offset
        name: int | str = f"{label} {index}" if label else index
        try:
            row = check_record(batch[offset], source=source, zone=zone)
        except Rejected as err:
            details.append(Detail(err.reason, field=err.field, record=name))
            continue
        for key, value in zip(SCHEMA.names, row, strict=True):
            columns[key].append(value)
        columns["_at"].append(offset)
    if not columns["_at"]:
        return fast.drop_columns(["_at"]), details
    checked = pa.table(columns, schema=SCHEMA.append(pa.field("_at", pa.int64())))
    both = pa.concat_tables([fast, checked])
    return both.take(pc.sort_indices(both["_at"])).drop_columns(["_at"]), details


def check_record(record: Any, *, source: str, zone: Any = None) -> tuple[Any, ...]:
    """One record as a canonical row, or ``Rejected`` naming the first bad field."""
    if not isinstance(record, dict):
        raise Rejected(None, "is not a JSON object")
    contact = _required_text(record, "contact")
    kind = _required_name(record, "type")
    ts = _timestamp(record, zone)
    return (
        _optional_id(record.get("id")),
        contact,
        kind,
        ts,
        merged_properties(record),
        _bot(record.get("bot")),
        _optional_text(record, "bot_reason"),
        _optional_text(record, "source") or source,
    )


def _required_string(record: dict[str, Any], field: str) -> tuple[str, bool]:
    """The text at ``field`` (an integer as its decimal text) and whether it was text."""
    value = record.get(field)
    if value is None:
        raise Rejected(field, "is required")
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value), False
    if not isinstance(value, str):
        raise Rejected(field, "must be a string")
    return value, True


def _required_text(record: dict[str, Any], field: str) -> str:
    value, was_text = _required_string(record, field)
    if was_text and not value.strip():
        raise Rejected(field, "must not be empty")
    return value


def _required_name(record: dict[str, Any], field: str) -> str:
    """A name taken verbatim (white space included); only the name rule refuses it."""
    value, was_text = _required_string(record, field)
    if not was_text:
        return value
    why = name_problem(value)
    if why is not None:
        raise Rejected(field, why)
    return value


def _timestamp(record: dict[str, Any], zone: Any) -> datetime:
    value = record.get("ts")
    if value is None:
        raise Rejected("ts", "is required")
    try:
        parsed = timestamps.parse(value, zone)
    except (OverflowError, ValueError):  # e.g. year 1 shifted to UTC falls before year 1
        raise Rejected("ts", timestamps.not_a_date_reason(str(value))) from None
    if isinstance(parsed, str):
        raise Rejected("ts", parsed)
    return parsed


def _optional_id(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise Rejected("id", "must be a string")
    if not value:
        raise Rejected("id", "must not be empty")
    return value


def _optional_text(record: dict[str, Any], field: str) -> str | None:
    value = record.get(field)
    if value is None or isinstance(value, str):
        return value
    raise Rejected(field, "must be a string")


def _bot(value: Any) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise Rejected("bot", "must be true or false")
    return value


def merged_properties(record: dict[str, Any], *, check_keys: bool = True) -> str | None:
    """The record's properties as JSON text, top-level extras merged in (``properties`` wins).

    ``check_keys=False`` leaves the name rule for keys to the caller (the bulk path screens
    the JSON text of a whole batch at once).
    """
    given = record.get("properties")
    if given is not None and not isinstance(given, dict):
        raise Rejected("properties", "must be a JSON object")
    extra = {k: v for k, v in record.items() if k not in KNOWN}
    merged = {**extra, **(given or {})}
    if too_deep(merged):
        raise Rejected("properties", DEEP)
    why = key_problem(merged) if check_keys else None
    if why is not None:
        raise Rejected("properties", why)
    if not merged:
        return None if given is None else "{}"
    return orjson.dumps(merged).decode()


def too_deep(value: Any, limit: int = MAX_PROPERTY_DEPTH) -> bool:
    """Whether objects and lists nest more than ``limit`` levels in ``value`` (no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if level > limit:
            return True
        if type(item) is dict:
            stack.extend((inner, level + 1) for inner in item.values() if type(inner) in _NESTS)
        elif type(item) is list:
            stack.extend((inner, level + 1) for inner in item if type(inner) in _NESTS)
    return False


_NESTS = (dict, list)
