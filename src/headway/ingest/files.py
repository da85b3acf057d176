"""File import: JSON Lines, CSV and Parquet (also gzipped), streamed, one transaction per file.

CSV and Parquet are read by DuckDB's own parallel scanners and validated in SQL
(``tabular.py``); JSON Lines is parsed in chunks (``jsonlines.py``). Valid rows then go
through the store's bulk append path (dedupe by id, contact and type dictionaries). A file
either commits whole (its valid rows) or leaves nothing behind.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from headway.errors import Detail, HeadwayError, InvalidInput
from headway.ingest import formats, jsonlines, sources, tabular, timestamps
from headway.ingest.mapping import ColumnMapping
from headway.store import Store

MAX_DETAILS = 1000
ON_ERROR = ("skip", "fail")
Report = Callable[[float, str], None]


@dataclass
class FileResult:
    """What importing one file did."""

    path: Path
    imported: int = 0
    duplicates: int = 0
    rejected: int = 0
    details: list[Detail] = field(default_factory=list)


@dataclass(frozen=True)
class ImportOptions:
    """How to read files: format, column names, time zone, bad-record policy, source label."""

    format: str | None = None
    mapping: ColumnMapping = field(default_factory=ColumnMapping)
    tz: str | None = None
    on_error: str = "skip"
    source: str = "import"


def check_file(path: Path, options: ImportOptions) -> str:
    """The file's format, after the checks that give unreadable files one sentence."""
    if options.on_error not in ON_ERROR:
        raise InvalidInput(f"--on-error must be skip or fail, not {options.on_error!r}")
    timestamps.zone(options.tz)
    fmt = formats.detect(path, options.format)
    formats.check_readable(path, fmt)
    return fmt


def import_file(
    store: Store, path: Path, options: ImportOptions | None = None, report: Report | None = None
) -> FileResult:
    """Import one file in one transaction; rejected records are counted and described."""
    options = options or ImportOptions()
    fmt = check_file(path, options)
    return store.write(lambda conn: _import(store, conn, path, fmt, options, report))


def _import(
    store: Store,
    conn: duckdb.DuckDBPyConnection,
    path: Path,
    fmt: str,
    options: ImportOptions,
    report: Report | None,
) -> FileResult:
    result = FileResult(path)
    try:
        if fmt == "jsonl":
            stage = (lambda f: report(f, "reading")) if report else None
            result.rejected, result.details = jsonlines.stage(
                conn,
                path,
                tz=options.tz,
                source=options.source,
                max_details=MAX_DETAILS,
                report=stage,
            )
            valid = jsonlines.STAGED
        else:
            with _watch(conn, report, "reading"):
                _check_tabular(conn, path, fmt, options)
            result.rejected, result.details = sources.rejections(conn, fmt, MAX_DETAILS)
            conn.execute(
                "CREATE OR REPLACE TEMP VIEW _hw_valid AS SELECT * EXCLUDE (_problem) "
                f"FROM {tabular.CHECKED} WHERE _problem IS NULL"
            )
            valid = "_hw_valid"
        if result.rejected and options.on_error == "fail":
            raise InvalidInput(
                f"{path}: {result.rejected} record(s) rejected; nothing from this file was written",
                result.details,
            )
        with _watch(conn, report, "writing"), _unordered(conn):
            appended = store.append_relation(conn, valid)
    except duckdb.InterruptException:
        raise KeyboardInterrupt from None  # Ctrl-C inside DuckDB: the caller rolls back
    except duckdb.Error as err:
        raise _unreadable(path, fmt, err) from None
    finally:
        _drop_temps(conn)
    result.imported, result.duplicates = appended.accepted, appended.duplicates
    return result


def _check_tabular(
    conn: duckdb.DuckDBPyConnection, path: Path, fmt: str, options: ImportOptions
) -> None:
    rel = sources.read(conn, path, fmt, options.mapping)
    columns = dict(zip(rel.columns, (str(t) for t in rel.types), strict=True))
    rel.create_view("_hw_src", replace=True)
    tabular.check(
        conn,
        "_hw_src",
        columns,
        name=str(path),
        mapping=options.mapping,
        tz=options.tz,
        source=options.source,
    )


def _unreadable(path: Path, fmt: str, err: duckdb.Error) -> HeadwayError:
    first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return InvalidInput(f"{path} cannot be read as {fmt.upper()}: {first}")


def _drop_temps(conn: duckdb.DuckDBPyConnection) -> None:
    for statement in (
        "DROP VIEW IF EXISTS _hw_valid",
        "DROP VIEW IF EXISTS _hw_src",
        f"DROP TABLE IF EXISTS {tabular.CHECKED}",
        f"DROP TABLE IF EXISTS {jsonlines.STAGED}",
        *sources.drop(),
    ):
        # After a failed statement the transaction is aborted: the rollback drops them anyway.
        with suppress(duckdb.Error):
            conn.execute(statement)


@contextmanager
def _unordered(conn: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Let DuckDB insert in any order (the log has no order; ``_seq`` keeps file order)."""
    # Order-preserving inserts buffer rows to keep them in order: more memory, less parallelism.
    conn.execute("SET preserve_insertion_order = false")
    try:
        yield
    finally:
        conn.execute("RESET preserve_insertion_order")


@contextmanager
def _watch(conn: duckdb.DuckDBPyConnection, report: Report | None, stage: str) -> Iterator[None]:
    """Report DuckDB's progress on the running query while the block runs."""
    if report is None:
        yield
        return
    done = threading.Event()

    def poll() -> None:
        while not done.wait(0.2):
            progress = conn.query_progress()
            if progress >= 0:
                report(progress / 100, stage)

    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
        report(1.0, stage)
