"""JSON Lines files: parsed in chunks with orjson and checked as HTTP batches are: column by
column first (``bulk_records.fast_rows``), record by record (``records.check_record``) only
for the records those checks leave over, so each rejected one gets its exact reason.

Valid rows are staged chunk by chunk in a temp table inside the import's transaction, so
memory stays flat however large the file is; line numbers are exact (blank lines count).
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import duckdb
import orjson
import pyarrow as pa

from headway.errors import Detail, InvalidInput
from headway.ingest import bulk_records, timestamps
from headway.ingest.formats import is_gzip
from headway.ingest.records import SCHEMA, Rejected, check_record

STAGED = "_hw_staged"
CHUNK_LINES = 50_000
_STAGED_SCHEMA = SCHEMA.append(pa.field("_seq", pa.int64()))


@dataclass
class Staged:
    """What staging a file found: rejected records (the first described) and how many of
    them were rejected only for a timestamp without a time zone (the first one named)."""

    rejected: int = 0
    details: list[Detail] = field(default_factory=list)
    naive: int = 0
    naive_example: Detail | None = None

    def reject(self, detail: Detail, max_details: int) -> None:
        """Count one rejected record."""
        self.rejected += 1
        if len(self.details) < max_details:
            self.details.append(detail)
        if detail.field in ("ts", None) and timestamps.is_no_zone_reason(detail.reason):
            self.naive += 1
            if self.naive_example is None:
                self.naive_example = detail


def create_staging(conn: duckdb.DuckDBPyConnection) -> None:
    """The temp table ``_hw_staged`` (canonical columns and ``_seq``), empty."""
    conn.execute(
        f"""CREATE OR REPLACE TEMP TABLE {STAGED} (id VARCHAR, contact VARCHAR, type VARCHAR,
        ts TIMESTAMP, properties VARCHAR, bot BOOLEAN, bot_reason VARCHAR, source VARCHAR,
        _seq BIGINT)"""
    )


def stage(
    conn: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    tz: str | None,
    source: str,
    max_details: int,
    report: Callable[[float], None] | None = None,
) -> Staged:
    """Stage the valid records of ``path`` in ``_hw_staged``; what was rejected."""
    zone = timestamps.zone(tz)
    create_staging(conn)
    staged = Staged()
    size = max(path.stat().st_size, 1)
    for raw, lines in chunks(path):
        _stage_chunk(conn, lines, source=source, zone=zone, staged=staged, max_details=max_details)
        if report is not None:
            report(min(raw.tell() / size, 1.0))
    return staged


def insert_table(conn: duckdb.DuckDBPyConnection, table: pa.Table) -> None:
    """Append a table with the canonical columns and ``_seq`` to ``_hw_staged``."""
    conn.register("_hw_chunk", table)
    try:
        conn.execute(f"INSERT INTO {STAGED} SELECT * FROM _hw_chunk")
    finally:
        conn.unregister("_hw_chunk")


def _stage_chunk(
    conn: duckdb.DuckDBPyConnection,
    lines: list[tuple[int, bytes]],
    *,
    source: str,
    zone: Any,
    staged: Staged,
    max_details: int,
) -> None:
    """Stage the valid records of one chunk of (line number, line); count the others."""
    records: list[Any] = []
    for _, line in lines:
        try:
            records.append(orjson.loads(line))
        except orjson.JSONDecodeError:
            records.append(_NOT_JSON)
    fast, slow = bulk_records.fast_rows(records, source)
    numbers = pa.array([number for number, _ in lines], pa.int64())
    if fast.num_rows:
        seq = numbers.take(fast.column("_at"))
        insert_table(conn, fast.drop_columns(["_at"]).append_column("_seq", seq))
    rows: list[tuple[Any, ...]] = []
    for at in slow:  # in line order, so the first rejections are described
        number = lines[at][0]
        try:
            if records[at] is _NOT_JSON:
                raise Rejected(None, "is not valid JSON")
            rows.append((*check_record(records[at], source=source, zone=zone), number))
        except Rejected as err:
            staged.reject(Detail(err.reason, field=err.field, record=f"line {number}"), max_details)
    _insert(conn, rows)


_NOT_JSON = object()  # a line orjson could not parse (never a dict: never a fast row)


def _insert(conn: duckdb.DuckDBPyConnection, rows: list[tuple[Any, ...]]) -> None:
    if not rows:
        return
    columns = list(zip(*rows, strict=True))
    table = pa.table(
        {f.name: pa.array(col, type=f.type) for f, col in zip(_STAGED_SCHEMA, columns, strict=True)}
    )
    insert_table(conn, table)


def chunks(path: Path) -> Iterator[tuple[IO[bytes], list[tuple[int, bytes]]]]:
    """(raw file, [(line number, line)]) per chunk of non-blank lines."""
    with path.open("rb") as raw:
        gz = is_gzip(path)
        text: IO[bytes] = gzip.GzipFile(fileobj=raw, mode="rb") if gz else raw  # type: ignore[assignment]
        chunk: list[tuple[int, bytes]] = []
        try:
            for number, line in enumerate(text, start=1):
                if line.strip():
                    chunk.append((number, line))
                if len(chunk) >= CHUNK_LINES:
                    yield raw, chunk
                    chunk = []
        except (OSError, EOFError, zlib.error):
            raise InvalidInput(f"{path} is a corrupt or truncated gzip file") from None
        yield raw, chunk
