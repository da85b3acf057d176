"""Reading CSV and Parquet with DuckDB's scanners, and naming the rows they reject.

CSV rows that do not parse (too many or too few fields, a value that does not fit the type
DuckDB's sniffer chose for an unmapped column) are skipped by the scanner and recorded in a
rejects table; they are reported like invalid activities. Line numbers assume one line per
row (a quoted field spanning lines shifts the numbers after it).
"""

from __future__ import annotations

import bisect
from pathlib import Path

import duckdb

from headway.errors import Detail
from headway.ingest import tabular
from headway.ingest.mapping import ColumnMapping

CSV_REJECTS = "_hw_csv_rejects"
CSV_SCANS = "_hw_csv_scans"


def read(
    conn: duckdb.DuckDBPyConnection, path: Path, fmt: str, mapping: ColumnMapping
) -> duckdb.DuckDBPyRelation:
    """A relation over the file (CSV: mapped columns as text, unparsable rows set aside)."""
    if fmt == "parquet":
        return conn.read_parquet(str(path))
    # Sniffed as the real read will be (tolerant of bad rows), only to learn the column names.
    sniffed = conn.read_csv(str(path), header=True, ignore_errors=True)
    # Mapped columns are read as text so that the activity rules (not the sniffer) judge them.
    text = {c: "VARCHAR" for c in sniffed.columns if c in mapping.mapped()}
    return conn.read_csv(
        str(path),
        header=True,
        dtype=text or None,
        store_rejects=True,
        rejects_table=CSV_REJECTS,
        rejects_scan=CSV_SCANS,
    )


def rejections(conn: duckdb.DuckDBPyConnection, fmt: str, limit: int) -> tuple[int, list[Detail]]:
    """How many rows were rejected, and the first ``limit`` of them described, in file order."""
    broken = _broken_csv_lines(conn) if fmt == "csv" else []
    row = conn.execute(
        f"SELECT count(*) FROM {tabular.CHECKED} WHERE _problem IS NOT NULL"
    ).fetchone()
    count = (int(row[0]) if row else 0) + len(broken)
    if not count:
        return 0, []
    rows = conn.execute(
        f"SELECT _seq, _problem FROM {tabular.CHECKED} WHERE _problem IS NOT NULL "
        "ORDER BY _seq LIMIT ?",
        [limit],
    ).fetchall()
    rows = [(s, *str(p).split(tabular.SEP, 1)) for s, p in rows]
    if fmt != "csv":
        return count, [Detail(r, field=f, record=f"row {s}") for s, f, r in rows]
    lines = [int(n) for n, _ in broken]
    found = [
        (_csv_line(s, lines), Detail(r, field=f, record=f"line {_csv_line(s, lines)}"))
        for s, f, r in rows
    ]
    found += [(n, Detail(message, record=f"line {n}")) for n, message in broken]
    return count, [d for _, d in sorted(found, key=lambda x: x[0])[:limit]]


_CSV_REASONS = {
    "TOO MANY COLUMNS": "has more fields than the header",
    "MISSING COLUMNS": "has fewer fields than the header",
}


def _broken_csv_lines(conn: duckdb.DuckDBPyConnection) -> list[tuple[int, str]]:
    """(line, reason) of each CSV line the scanner could not parse."""
    rows = conn.execute(
        f"SELECT line, arg_min(CAST(error_type AS VARCHAR), column_idx), "
        f"arg_min(error_message, column_idx) FROM {CSV_REJECTS} GROUP BY line ORDER BY line"
    ).fetchall()
    return [
        (int(n), _CSV_REASONS.get(kind, f"is not a valid CSV row ({message})"))
        for n, kind, message in rows
    ]


def _csv_line(seq: int, broken: list[int]) -> int:
    """The file line of the ``seq``-th parsed row: after the header and skipped lines before it."""
    line = seq + 1
    # Each broken line at or before the candidate pushes the row one line further down.
    skipped = 0
    while True:
        count = bisect.bisect_right(broken, line + skipped)
        if count == skipped:
            return line + skipped
        skipped = count


def drop() -> list[str]:
    """Statements that drop the rejects tables."""
    return [f"DROP TABLE IF EXISTS {CSV_REJECTS}", f"DROP TABLE IF EXISTS {CSV_SCANS}"]
