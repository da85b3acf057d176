"""Checks made on a file before anything of it is written: columns, a sample, the type column.

A file whose columns are wrong gets one message naming every missing or unusable column
(never one error per line); so does another tool's export whose first records lack the keys
that tool always writes. The type column is summarised before writing, with a warning when it
looks like something else (every value different, or numbers).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import orjson

from headway.errors import Detail, InvalidInput
from headway.ingest import jsonlines, tabular, timestamps
from headway.ingest.mapping import ColumnMapping
from headway.ingest.records import validate_records
from headway.ingest.tool_exports import (
    Collected,
    Preset,
    keys_seen,
    map_chunk,
    missing_keys,
    sample,
)

SAMPLE_LINES = 1000
TOP_TYPES = 10
# Fewer rows than this say little about a column: no warning.
MIN_ROWS_FOR_WARNING = 20
_NUMBER = r"^-?[0-9]+([.][0-9]+)?$"


def no_zone_error(
    path: Path, naive: int, total: int, example: Detail | None, *, sample: bool = False
) -> InvalidInput:
    """The one error for a file whose timestamps (half of them or more) have no zone."""
    shown = ""
    if example is not None:
        value = example.reason.split("' has no time zone")[0].lstrip("'")
        shown = f" (the first, {example.record}: '{value}')"
    of = f"the first {total}" if sample else str(total)
    return InvalidInput(
        f"{path}: {naive} of {of} timestamps have no time zone{shown}; say which zone they are "
        "in with --tz (for example --tz Europe/Prague), or --assume-utc if they are UTC; "
        "nothing from this file was written"
    )


def _sample_zones(path: Path, staged: jsonlines.Staged, records: int) -> None:
    """Raise the one error when half of the sampled records or more have no zone."""
    if staged.naive and 2 * staged.naive >= records:
        partial = records >= SAMPLE_LINES  # fewer: the sample is the whole file
        raise no_zone_error(path, staged.naive, records, staged.naive_example, sample=partial)


def check_columns(path: Path, fmt: str, mapping: ColumnMapping, tz: str | None = None) -> None:
    """CSV and Parquet: every missing or unusable column, in one message; then (CSV, no
    ``tz``) timestamps without a zone in the first rows, in one message."""
    conn = duckdb.connect()
    try:
        if fmt == "parquet":
            rel = conn.read_parquet(str(path))
        else:
            rel = conn.read_csv(str(path), header=True, ignore_errors=True)
        columns = dict(zip(rel.columns, (str(t) for t in rel.types), strict=True))
    except duckdb.Error:
        return  # unreadable: the import names the reason
    finally:
        conn.close()
    if fmt == "csv":  # mapped columns are read as text, whatever the sniffer says
        columns = {c: ("VARCHAR" if c in mapping.mapped() else t) for c, t in columns.items()}
    tabular.check_columns(columns, mapping, str(path))
    if fmt == "csv" and tz is None:
        _csv_zones(path, mapping.ts)


def _csv_zones(path: Path, column: str) -> None:
    conn = duckdb.connect()
    try:
        rel = conn.read_csv(str(path), header=True, all_varchar=True, ignore_errors=True)
        values = [r[0] for r in rel.select(tabular.quote(column)).limit(SAMPLE_LINES).fetchall()]
    except duckdb.Error:
        return
    finally:
        conn.close()
    staged = jsonlines.Staged()
    for line, value in enumerate(values, start=2):
        if isinstance(value, str) and timestamps.is_naive_text(value):
            reason = timestamps.no_zone_reason(value)
            staged.reject(Detail(reason, field="ts", record=f"line {line}"), 0)
    _sample_zones(path, staged, len(values))


def check_jsonl_sample(path: Path, tz: str | None = None) -> None:
    """JSON Lines: the standard fields absent from every one of the first records, at once;
    then (no ``tz``) timestamps without a zone in them, in one message."""
    records = []
    for _, lines in jsonlines.chunks(path):
        for number, line in lines[:SAMPLE_LINES]:
            try:
                records.append((f"line {number}", orjson.loads(line)))
            except orjson.JSONDecodeError:
                continue
        break
    if not any(isinstance(r, dict) for _, r in records):
        return  # nothing readable: each line is rejected with its reason
    mapping = ColumnMapping()
    missing = missing_keys(records, tuple(mapping.required().values()))
    if missing:
        _missing(path, "field", missing, keys_seen(records), f"the first {len(records)} records")
    if tz is None:
        staged = jsonlines.Staged()
        _, problems = validate_records([r for _, r in records], source="import")
        for problem in problems:
            label = records[int(problem.record or 0)][0]
            staged.reject(Detail(problem.reason, field=problem.field, record=label), 0)
        _sample_zones(path, staged, len(records))


def check_sample(
    path: Path, fmt: str, preset: Preset, mapping: ColumnMapping, tz: str | None = None
) -> None:
    """Another tool's export: its expected keys absent from every one of the first records,
    at once; then (no ``tz``) timestamps without a zone in them, in one message."""
    if fmt in ("csv", "parquet") and preset.name == "csv":
        check_columns(path, fmt, mapping, tz)
        return
    records = sample(path, fmt, SAMPLE_LINES)
    if not any(isinstance(r, dict) for _, r in records):
        return
    missing = missing_keys(records, preset.expected)
    if not missing:
        if tz is None:
            staged = jsonlines.Staged()
            map_chunk(records, preset, staged, Collected(), None, None, 0, 0)
            _sample_zones(path, staged, len(records))
        return
    if preset.name == "csv":
        _missing(path, "field", missing, keys_seen(records), f"the first {len(records)} records")
    raise InvalidInput(
        f"{path} does not look like a {preset.name} export: none of the first {len(records)} "
        f"records has {_names(missing)} (their keys: {_names(keys_seen(records))}); "
        "is --from right?"
    )


def _missing(path: Path, what: str, missing: list[str], seen: list[str], where: str) -> None:
    mapping = ColumnMapping()
    fields = {column: field for field, column in mapping.required().items()}
    fixes = ",".join(f"{fields.get(m, m)}=COLUMN" for m in missing)
    raise InvalidInput(
        f"{path}: no {what} {_names(missing)} in {where} (their keys: {_names(seen)}); "
        f"name the right ones with --map {fixes}"
    )


def _names(names: list[str]) -> str:
    return ", ".join(repr(n) for n in names) or "none"


def type_summary(
    conn: duckdb.DuckDBPyConnection, relation: str, column: str
) -> tuple[list[tuple[str, int]], int, list[str]]:
    """The most frequent types with counts, how many distinct, and warnings about them."""
    row = conn.execute(
        f"SELECT count(*), count(DISTINCT type), "
        f"coalesce(bool_and(regexp_full_match(type, '{_NUMBER}')), false) FROM {relation}"
    ).fetchone()
    rows, distinct, numeric = (int(row[0]), int(row[1]), bool(row[2])) if row else (0, 0, False)
    top = conn.execute(
        f"SELECT type, count(*) AS n FROM {relation} GROUP BY type ORDER BY n DESC, type LIMIT ?",
        [TOP_TYPES],
    ).fetchall()
    warnings = []
    if rows >= MIN_ROWS_FOR_WARNING and distinct == rows:
        warnings.append(
            f"every one of the {rows} values of the type column {column!r} is different: is it "
            "an id or a time? name the column with the activity's kind with --map type=COLUMN"
        )
    elif rows and numeric:
        warnings.append(
            f"the type column {column!r} holds only numbers (e.g. {top[0][0]!r}): is it a code "
            "or an amount? name the column with the activity's kind with --map type=COLUMN"
        )
    return [(str(t), int(n)) for t, n in top], distinct, warnings
