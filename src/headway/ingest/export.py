"""Export of the activity log to Parquet, CSV or JSON Lines, streamed by DuckDB's ``COPY``.

Columns: ``id, contact, type, ts, properties, bot, bot_reason, source`` — the same columns
``headway import`` reads, so an export imports back unchanged. ``ts`` is ISO 8601 UTC with
``Z`` in CSV and JSON Lines and a ``TIMESTAMP WITH TIME ZONE`` in Parquet; ``properties`` is
a JSON object in JSON Lines and JSON text in CSV and Parquet.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from headway.errors import InvalidInput
from headway.ingest import timestamps
from headway.store import Store

EXPORT_FORMATS = ("parquet", "csv", "jsonl")
_TS = {
    "parquet": "CAST(a.ts AS TIMESTAMPTZ)",
    "csv": "strftime(a.ts, '%Y-%m-%dT%H:%M:%S.%fZ')",
    "jsonl": "strftime(a.ts, '%Y-%m-%dT%H:%M:%S.%fZ')",
}
_PROPERTIES = {"parquet": "CAST(a.properties AS VARCHAR)", "csv": "CAST(a.properties AS VARCHAR)"}
_COPY = {
    "parquet": "(FORMAT parquet, COMPRESSION zstd)",
    "csv": "(FORMAT csv, HEADER true)",
    "jsonl": "(FORMAT json)",
}


def export_activities(
    store: Store,
    output: Path,
    *,
    fmt: str,
    start: str | None = None,
    end: str | None = None,
    types: Sequence[str] = (),
) -> int:
    """Write the activities (optionally from ``start`` to ``end``, of ``types``); the row count."""
    if fmt not in EXPORT_FORMATS:
        raise InvalidInput(f"unknown export format {fmt!r} (use parquet, csv or jsonl)")
    if output.is_dir():
        raise InvalidInput(f"{output} is a directory; give a file name with --output")
    if not output.parent.exists():
        raise InvalidInput(f"{output.parent} does not exist")
    params = [_bound("--from", start), _bound("--to", end, end_of_day=True), list(types)]
    query = f"""SELECT a.id, c.id AS contact, t.name AS type, {_TS[fmt]} AS ts,
        {_PROPERTIES.get(fmt, "a.properties")} AS properties, a.bot, a.bot_reason, a.source
        FROM activities a
        JOIN contacts c ON c.key = a.contact_key
        JOIN activity_types t ON t.code = a.type_code
        WHERE ($1::TIMESTAMP IS NULL OR a.ts >= $1::TIMESTAMP)
          AND ($2::TIMESTAMP IS NULL OR a.ts <= $2::TIMESTAMP)
          AND (len($3::VARCHAR[]) = 0 OR list_contains($3::VARCHAR[], t.name))
        ORDER BY a.ts, a.id"""
    copy = f"COPY ({query}) TO $4 {_COPY[fmt]}"
    return int(store.execute(copy, [*params, str(output)]).scalar() or 0)


def _bound(flag: str, value: str | None, *, end_of_day: bool = False) -> datetime | None:
    """A time bound: ISO 8601 (no zone = UTC) or epoch; a bare date ``--to`` ends that day."""
    if value is None:
        return None
    parsed = timestamps.parse(value, timestamps.zone("UTC"))
    if isinstance(parsed, str):
        raise InvalidInput(f"{flag}: {parsed}")
    if end_of_day and len(value.strip()) == 10:
        return parsed.replace(hour=23, minute=59, second=59, microsecond=999999)
    return parsed
