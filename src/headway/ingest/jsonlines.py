"""JSON Lines files: parsed in chunks with orjson and checked by ``records.check_record``.

Valid rows are staged chunk by chunk in a temp table inside the import's transaction, so
memory stays flat however large the file is; line numbers are exact (blank lines count).
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import duckdb
import orjson
import pyarrow as pa

from headway.errors import Detail, InvalidInput
from headway.ingest import timestamps
from headway.ingest.formats import is_gzip
from headway.ingest.records import SCHEMA, Rejected, check_record

STAGED = "_hw_staged"
CHUNK_LINES = 50_000
_STAGED_SCHEMA = SCHEMA.append(pa.field("_seq", pa.int64()))


def stage(
    conn: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    tz: str | None,
    source: str,
    max_details: int,
    report: Callable[[float], None] | None = None,
) -> tuple[int, list[Detail]]:
    """Stage the valid records of ``path`` in ``_hw_staged``; (rejected count, first details)."""
    zone = timestamps.zone(tz)
    conn.execute(
        f"""CREATE OR REPLACE TEMP TABLE {STAGED} (id VARCHAR, contact VARCHAR, type VARCHAR,
        ts TIMESTAMP, properties VARCHAR, bot BOOLEAN, bot_reason VARCHAR, source VARCHAR,
        _seq BIGINT)"""
    )
    rejected = 0
    details: list[Detail] = []
    size = max(path.stat().st_size, 1)
    for raw, lines in _chunks(path):
        rows: list[tuple[Any, ...]] = []
        for number, line in lines:
            try:
                rows.append((*_parse(line, source, zone), number))
            except Rejected as err:
                rejected += 1
                if len(details) < max_details:
                    details.append(Detail(err.reason, field=err.field, record=f"line {number}"))
        _insert(conn, rows)
        if report is not None:
            report(min(raw.tell() / size, 1.0))
    return rejected, details


def _parse(line: bytes, source: str, zone: Any) -> tuple[Any, ...]:
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError:
        raise Rejected(None, "is not valid JSON") from None
    return check_record(record, source=source, zone=zone)


def _insert(conn: duckdb.DuckDBPyConnection, rows: list[tuple[Any, ...]]) -> None:
    if not rows:
        return
    columns = list(zip(*rows, strict=True))
    table = pa.table(
        {f.name: pa.array(col, type=f.type) for f, col in zip(_STAGED_SCHEMA, columns, strict=True)}
    )
    conn.register("_hw_chunk", table)
    try:
        conn.execute(f"INSERT INTO {STAGED} SELECT * FROM _hw_chunk")
    finally:
        conn.unregister("_hw_chunk")


def _chunks(path: Path) -> Iterator[tuple[IO[bytes], list[tuple[int, bytes]]]]:
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
