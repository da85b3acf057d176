"""File import: JSON Lines, CSV and Parquet (also gzipped), streamed, one transaction per file.

CSV and Parquet are read by DuckDB's own parallel scanners and validated in SQL
(``tabular.py``); JSON Lines is parsed in chunks (``jsonlines.py``); another tool's export
(``--from``) is mapped record by record by its preset (``tool_exports.py``). Valid rows then
go through the store's bulk append path (dedupe by id, contact and type dictionaries), tagged
with the import's id, with the preset's identity claims and contact attributes recorded in the
same transaction. A file either commits whole (its valid rows) or leaves nothing behind; a
dry run does everything and rolls back.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from headway.errors import Detail, HeadwayError, InvalidInput
from headway.ingest import (
    file_checks,
    formats,
    jsonlines,
    sources,
    tabular,
    timestamps,
    tool_exports,
)
from headway.ingest.mapping import ColumnMapping
from headway.ingest.tool_exports import Collected, Preset
from headway.store import Store

MAX_DETAILS = 1000
ON_ERROR = ("skip", "fail")
Report = Callable[[float, str], None]
Warn = Callable[[str], None]
# Called inside the file's transaction with what a preset file stated besides activities.
Sink = Callable[[duckdb.DuckDBPyConnection, Collected], tuple[int, int]]


@dataclass
class FileResult:
    """What importing one file did (or, in a dry run, would do)."""

    path: Path
    imported: int = 0
    duplicates: int = 0
    rejected: int = 0
    details: list[Detail] = field(default_factory=list)
    types: list[tuple[str, int]] = field(default_factory=list)
    distinct_types: int = 0
    warnings: list[str] = field(default_factory=list)
    identities: int = 0
    attributes: int = 0


@dataclass(frozen=True)
class ImportOptions:
    """How to read files: format, column names, time zone, bad-record policy, source label,
    and the tool whose export they are (``preset``: ``--from``)."""

    format: str | None = None
    mapping: ColumnMapping = field(default_factory=ColumnMapping)
    tz: str | None = None
    on_error: str = "skip"
    source: str | None = None
    preset: str | None = None
    dry_run: bool = False
    # Worker processes mapping a large export (``parallel_mapping``): 1 none, None by size.
    workers: int | None = 1


class _DryRun(Exception):
    """Carries a dry run's result out of the transaction it rolls back."""

    def __init__(self, result: FileResult) -> None:
        super().__init__("dry run")
        self.result = result


def check_file(path: Path, options: ImportOptions) -> str:
    """The file's format, after the checks that give unreadable files one sentence."""
    if options.on_error not in ON_ERROR:
        raise InvalidInput(f"--on-error must be skip or fail, not {options.on_error!r}")
    timestamps.zone(options.tz)
    fmt = formats.detect(path, options.format)
    formats.check_readable(path, fmt)
    preset = preset_for(options, fmt)
    if preset is not None:
        file_checks.check_sample(path, fmt, preset, options.mapping, options.tz)
    elif fmt == "jsonl":
        file_checks.check_jsonl_sample(path, options.tz)
    else:
        file_checks.check_columns(path, fmt, options.mapping, options.tz)
    return fmt


def preset_for(options: ImportOptions, fmt: str) -> Preset | None:
    """The preset that reads the file: ``--from``, or ``csv`` for JSON Lines with ``--map``
    (the fast JSON Lines path reads the standard field names only) and for an ``anonymous``
    column."""
    name = options.preset
    if name is None and (
        options.mapping.anonymous is not None
        or (fmt == "jsonl" and options.mapping != ColumnMapping())
    ):
        name = "csv"
    return tool_exports.load_preset(name, options.mapping) if name is not None else None


def import_file(
    store: Store,
    path: Path,
    options: ImportOptions | None = None,
    report: Report | None = None,
    *,
    import_id: int | None = None,
    warn: Warn | None = None,
    sink: Sink | None = None,
) -> FileResult:
    """Import one file in one transaction; rejected records are counted and described.

    ``import_id`` tags the rows; ``warn`` hears warnings before anything is written;
    ``sink`` records a preset's identity claims and attributes in the same transaction.
    """
    options = options or ImportOptions()
    fmt = check_file(path, options)
    job = _Job(store, path, fmt, options, report, import_id, warn, sink)
    try:
        return store.write(job.run)
    except _DryRun as done:
        return done.result


@dataclass
class _Job:
    store: Store
    path: Path
    fmt: str
    options: ImportOptions
    report: Report | None
    import_id: int | None
    warn: Warn | None
    sink: Sink | None
    # Property key -> column of the checked rows with its raw value (tabular files whose
    # properties are just their other columns): the catalogue counts those, not the JSON.
    members: dict[str, str] = field(default_factory=dict)

    def run(self, conn: duckdb.DuckDBPyConnection) -> FileResult:
        try:
            result = self._run(conn)
        except duckdb.InterruptException:
            raise KeyboardInterrupt from None  # Ctrl-C inside DuckDB: the caller rolls back
        except duckdb.Error as err:
            raise _unreadable(self.path, self.fmt, err) from None
        finally:
            _drop_temps(conn)
        if self.options.dry_run:
            raise _DryRun(result)
        return result

    def _run(self, conn: duckdb.DuckDBPyConnection) -> FileResult:
        result = FileResult(self.path)
        staged, valid, collected = self._stage(conn)
        result.rejected, result.details = staged.rejected, staged.details
        _check_zone(conn, self.path, staged, valid, self.options.tz)
        if result.rejected and self.options.on_error == "fail":
            raise InvalidInput(
                f"{self.path}: {result.rejected} record(s) rejected; "
                "nothing from this file was written",
                result.details,
            )
        result.types, result.distinct_types, result.warnings = file_checks.type_summary(
            conn, valid, self._type_column()
        )
        for warning in result.warnings:
            if self.warn is not None:
                self.warn(f"{self.path}: {warning}")
        with _watch(conn, self.report, "writing"), _unordered(conn):
            appended = self.store.append_relation(
                conn, valid, import_id=self.import_id, members=self.members
            )
        result.imported, result.duplicates = appended.accepted, appended.duplicates
        if collected is not None and self.sink is not None:
            result.identities, result.attributes = self.sink(conn, collected)
        if self.import_id is not None:
            from headway.store.imports import count_file

            count_file(conn, self.import_id, result.imported, result.duplicates, result.rejected)
        return result

    def _type_column(self) -> str:
        preset = preset_for(self.options, self.fmt)
        if preset is None or preset.name == "csv":
            return self.options.mapping.type
        return {"ga4": "event_name", "amplitude": "event_type"}.get(preset.name, "event")

    def _stage(
        self, conn: duckdb.DuckDBPyConnection
    ) -> tuple[jsonlines.Staged, str, Collected | None]:
        options, report = self.options, self.report
        reading = (lambda f: report(f, "reading")) if report else None
        preset = preset_for(options, self.fmt)
        if preset is not None:
            staged, collected = tool_exports.stage(
                conn, self.path, self.fmt, preset, tz=options.tz, source=options.source,
                max_details=MAX_DETAILS, report=reading, workers=options.workers,
            )  # fmt: skip
            return staged, jsonlines.STAGED, collected
        source = options.source or "import"
        if self.fmt == "jsonl":
            staged = jsonlines.stage(
                conn, self.path, tz=options.tz, source=source, max_details=MAX_DETAILS,
                report=reading,
            )  # fmt: skip
            return staged, jsonlines.STAGED, None
        with _watch(conn, report, "reading"):
            checked = _check_tabular(conn, self.path, self.fmt, options)
        self.members = checked.members
        rejected, details = sources.rejections(conn, self.fmt, MAX_DETAILS)
        conn.execute(f"CREATE OR REPLACE TEMP VIEW _hw_valid AS {checked.valid_sql()}")
        staged = jsonlines.Staged(rejected, details)
        staged.naive, staged.naive_example = _naive_rows(conn, details)
        return staged, "_hw_valid", None


def _naive_rows(
    conn: duckdb.DuckDBPyConnection, details: list[Detail]
) -> tuple[int, Detail | None]:
    """How many checked rows were rejected for a timestamp without a zone, and the first."""
    row = conn.execute(
        f"SELECT count(*) FROM {tabular.CHECKED} WHERE _problem LIKE 'ts' || ? || '%' "
        "AND _problem LIKE '%has no time zone (add an offset or pass --tz)'",
        [tabular.SEP],
    ).fetchone()
    example = next(
        (d for d in details if d.field == "ts" and timestamps.is_no_zone_reason(d.reason)), None
    )
    return (int(row[0]) if row else 0), example


def _check_zone(
    conn: duckdb.DuckDBPyConnection,
    path: Path,
    staged: jsonlines.Staged,
    valid: str,
    tz: str | None,
) -> None:
    """One error for a file whose timestamps (half of them or more) have no time zone."""
    if tz is not None or not staged.naive:
        return
    row = conn.execute(f"SELECT count(*) FROM {valid}").fetchone()
    total = (int(row[0]) if row else 0) + staged.rejected
    if 2 * staged.naive < total:
        return  # a few stray ones: rejected record by record
    raise file_checks.no_zone_error(path, staged.naive, total, staged.naive_example)


def _check_tabular(
    conn: duckdb.DuckDBPyConnection, path: Path, fmt: str, options: ImportOptions
) -> tabular.Checked:
    rel = sources.read(conn, path, fmt, options.mapping)
    columns = dict(zip(rel.columns, (str(t) for t in rel.types), strict=True))
    rel.create_view("_hw_src", replace=True)
    return tabular.check(
        conn,
        "_hw_src",
        columns,
        name=str(path),
        mapping=options.mapping,
        tz=options.tz,
        source=options.source or "import",
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
