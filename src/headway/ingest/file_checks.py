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

from headway.errors import InvalidInput
from headway.ingest import jsonlines, tabular
from headway.ingest.mapping import ColumnMapping
from headway.ingest.tool_exports import Preset, keys_seen, missing_keys, sample

SAMPLE_LINES = 1000
TOP_TYPES = 10
# Fewer rows than this say little about a column: no warning.
MIN_ROWS_FOR_WARNING = 20
_NUMBER = r"^-?[0-9]+([.][0-9]+)?$"


def check_columns(path: Path, fmt: str, mapping: ColumnMapping) -> None:
    """CSV and Parquet: every missing or unusable column, in one message."""
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


def check_jsonl_sample(path: Path) -> None:
    """JSON Lines: the standard fields absent from every one of the first records, at once."""
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


def check_sample(path: Path, fmt: str, preset: Preset, mapping: ColumnMapping) -> None:
    """Another tool's export: its expected keys absent from every one of the first records."""
    if fmt in ("csv", "parquet") and preset.name == "csv":
        check_columns(path, fmt, mapping)
        return
    records = sample(path, fmt, SAMPLE_LINES)
    if not any(isinstance(r, dict) for _, r in records):
        return
    missing = missing_keys(records, preset.expected)
    if not missing:
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
