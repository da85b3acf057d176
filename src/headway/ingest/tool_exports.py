"""Exports of other tools (``--from segment|…|csv``): raw records mapped by a source preset.

A file is read record by record (JSON Lines, a JSON array, CSV or Parquet; gzip too), each
raw record goes through the preset's ``map_record`` (``ingest/presets/``), and the
activities it yields are validated by ``records.validate_records`` in chunks and staged in
``_hw_staged`` like a JSON Lines file. Identity claims and contact attributes are collected
for the importer to record in the same transaction.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import duckdb
import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from headway.errors import Detail, InvalidInput
from headway.ingest import jsonlines
from headway.ingest.formats import is_gzip
from headway.ingest.mapping import ColumnMapping
from headway.ingest.presets import PRESETS, IdentityClaim, Mapped
from headway.ingest.records import Rejected, validate_records

# Keys every record of these tools' exports has, for presets that do not declare EXPECTED.
EXPECTED = {"segment": ("type",), "rudderstack": ("type",), "posthog": ("event",)}
CHUNK = 20_000
SAMPLE = 1000
RawRecords = Iterator[tuple[list[tuple[str, Any]], float]]


@dataclass(frozen=True)
class Preset:
    """A source preset, ready to map records."""

    name: str
    map_record: Callable[[dict[str, Any]], Mapped]
    expected: tuple[str, ...]
    source: str
    mapping: ColumnMapping | None = None  # what ``csv`` was built with (for worker processes)


@dataclass
class Collected:
    """What a preset file stated besides activities."""

    identities: dict[tuple[str, str], IdentityClaim] = field(default_factory=dict)
    attributes: dict[str, dict[str, Any]] = field(default_factory=dict)

    def claim(self, claim: IdentityClaim) -> None:
        """Keep the earliest claim of each (alias, contact) pair."""
        key = (claim.alias, claim.contact)
        known = self.identities.get(key)
        if known is None or claim.at < known.at:
            self.identities[key] = claim

    def attribute(self, contact: str, values: dict[str, Any]) -> None:
        """Merge attributes into the contact's (a later record wins)."""
        self.attributes.setdefault(contact, {}).update(values)


def load_preset(name: str, mapping: ColumnMapping | None = None) -> Preset:
    """The preset ``--from name``; ``mapping`` applies to ``csv``."""
    if name not in PRESETS:
        raise InvalidInput(f"unknown source {name!r} for --from (use one of: {', '.join(PRESETS)})")
    module = _module(name)
    mapper = getattr(module, "mapper", None)
    fn = mapper(mapping or ColumnMapping()) if mapper is not None else module.map_record
    expected: tuple[str, ...] = tuple(getattr(module, "EXPECTED", EXPECTED.get(name, ())))
    if name == "csv" and mapping is not None:
        expected = tuple(mapping.required().values())
    return Preset(name, fn, expected, getattr(module, "SOURCE", name), mapping)


def _module(name: str) -> ModuleType:
    try:
        return importlib.import_module(f"headway.ingest.presets.{name}")
    except ModuleNotFoundError:
        raise InvalidInput(f"--from {name} is not available in this version of Headway") from None


def raw_records(path: Path, fmt: str, chunk: int = CHUNK) -> RawRecords:
    """(label, raw record) pairs in chunks, with the fraction of the file read."""
    if fmt == "parquet":
        yield from _parquet(path, chunk)
    elif fmt == "csv":
        yield from _csv(path, chunk)
    elif _is_array(path):
        yield from _array(path, chunk)
    else:
        yield from _lines(path)


def _lines(path: Path) -> RawRecords:
    size = max(path.stat().st_size, 1)
    for raw, lines in jsonlines.chunks(path):
        out: list[tuple[str, Any]] = []
        for number, line in lines:
            try:
                out.append((f"line {number}", orjson.loads(line)))
            except orjson.JSONDecodeError:
                out.append((f"line {number}", _NOT_JSON))
        yield out, min(raw.tell() / size, 1.0)


def _is_array(path: Path) -> bool:
    opener = _open_text(path)
    with opener as f:
        return f.read(4096).lstrip()[:1] == b"["


def _open_text(path: Path) -> Any:
    import gzip

    return gzip.open(path, "rb") if is_gzip(path) else path.open("rb")


def _array(path: Path, chunk: int) -> RawRecords:
    with _open_text(path) as f:
        try:
            records = orjson.loads(f.read())
        except orjson.JSONDecodeError as err:
            raise InvalidInput(f"{path} is not valid JSON ({err})") from None
    if not isinstance(records, list):
        raise InvalidInput(f"{path} is not a JSON array of records")
    for start in range(0, len(records), chunk):
        part = records[start : start + chunk]
        labelled = [(f"record {start + i + 1}", r) for i, r in enumerate(part)]
        yield labelled, min((start + len(part)) / max(len(records), 1), 1.0)


def _csv(path: Path, chunk: int) -> RawRecords:
    conn = duckdb.connect()
    try:
        rel = conn.read_csv(str(path), header=True, all_varchar=True)
        total = max(int(rel.aggregate("count(*)").fetchall()[0][0]), 1)
        done = 0
        for batch in rel.to_arrow_reader(chunk):
            rows = batch.to_pylist()
            # Line numbers: the header is line 1 (one line per row).
            labelled = [(f"line {done + i + 2}", r) for i, r in enumerate(rows)]
            yield labelled, (done + len(rows)) / total
            done += len(rows)
    except duckdb.Error as err:
        first = str(err).strip().splitlines()[0]
        raise InvalidInput(f"{path} cannot be read as CSV: {first}") from None
    finally:
        conn.close()


def _parquet(path: Path, chunk: int) -> RawRecords:
    try:
        file = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as err:
        raise InvalidInput(f"{path} cannot be read as PARQUET: {err}") from None
    total = max(file.metadata.num_rows, 1)
    done = 0
    for batch in file.iter_batches(batch_size=chunk):
        rows = batch.to_pylist()
        yield [(f"row {done + i + 1}", r) for i, r in enumerate(rows)], (done + len(rows)) / total
        done += len(rows)


_NOT_JSON = object()


def stage(
    conn: duckdb.DuckDBPyConnection,
    path: Path,
    fmt: str,
    preset: Preset,
    *,
    tz: str | None,
    source: str | None,
    max_details: int,
    report: Callable[[float], None] | None = None,
    workers: int | None = 1,
) -> tuple[jsonlines.Staged, Collected]:
    """Stage the activities of ``path``'s valid records in ``_hw_staged`` (JSON Lines: with
    ``workers`` processes, None = by the file's size; see ``parallel_mapping``)."""
    jsonlines.create_staging(conn)
    staged, collected = jsonlines.Staged(), Collected()
    if fmt == "jsonl" and not _is_array(path):
        from headway.ingest import parallel_mapping

        count = parallel_mapping.workers_for(path, workers)
        if count > 1:
            parallel_mapping.stage(
                conn, path, preset, staged, collected, tz=tz, source=source,
                max_details=max_details, workers=count, report=report,
            )  # fmt: skip
            return staged, collected
    seq = 0
    for records, fraction in raw_records(path, fmt):
        table = map_chunk(records, preset, staged, collected, tz, source, max_details, seq)
        seq = stage_rows(conn, table, seq)
        if report is not None:
            report(fraction)
    return staged, collected


def map_chunk(
    records: list[tuple[str, Any]],
    preset: Preset,
    staged: jsonlines.Staged,
    collected: Collected,
    tz: str | None,
    source: str | None,
    max_details: int,
    seq: int,
) -> pa.Table:
    """The canonical rows (with ``_seq`` from ``seq + 1``) of one chunk of raw records."""
    activities: list[dict[str, Any]] = []
    owners: list[str] = []
    untimed: list[tuple[int, IdentityClaim]] = []
    for label, raw in records:
        try:
            mapped = _map(preset, raw)
        except Rejected as err:
            staged.reject(Detail(err.reason, field=err.field, record=label), max_details)
            continue
        for claim in mapped.identities:
            if claim.at == datetime.min and mapped.activities:
                untimed.append((len(activities), claim))
            else:
                collected.claim(claim)
        for contact, values in mapped.attributes:
            collected.attribute(contact, values)
        for activity in mapped.activities:
            activities.append(activity)
            owners.append(label)
    table, problems = _validate(activities, preset.source if source is None else source, tz)
    bad = set()
    for problem in problems:
        index = int(problem.record or 0)
        bad.add(index)
        staged.reject(replace(problem, record=owners[index]), max_details)
    kept = [i for i in range(len(activities)) if i not in bad]
    position = {index: row for row, index in enumerate(kept)}
    for index, claim in untimed:
        if index in position:
            at = table.column("ts")[position[index]].as_py()
            collected.claim(replace(claim, at=at))
    return table.append_column("_seq", seq_numbers(seq, table.num_rows))


def seq_numbers(seq: int, count: int) -> pa.Array:
    """The ``_seq`` numbers (file order) of ``count`` rows that follow row ``seq``."""
    return pa.array(range(seq + 1, seq + 1 + count), pa.int64())


def stage_rows(conn: duckdb.DuckDBPyConnection, table: pa.Table, seq: int) -> int:
    """Insert a chunk's rows, numbered on from ``seq`` in file order; the next number."""
    if not table.num_rows:
        return seq
    numbers = seq_numbers(seq, table.num_rows)
    jsonlines.insert_table(conn, table.set_column(table.num_columns - 1, "_seq", numbers))
    return seq + table.num_rows


def _map(preset: Preset, raw: Any) -> Mapped:
    if raw is _NOT_JSON:
        raise Rejected(None, "is not valid JSON")
    if not isinstance(raw, dict):
        raise Rejected(None, "is not a JSON object")
    try:
        return preset.map_record(raw)
    except Rejected:
        raise
    except (TypeError, ValueError, AttributeError, KeyError) as err:
        raise Rejected(
            None, f"is not a {preset.name} record ({type(err).__name__}: {err})"
        ) from None


def _validate(
    activities: list[dict[str, Any]], source: str, tz: str | None
) -> tuple[pa.Table, list[Detail]]:
    try:
        return validate_records(activities, source=source, tz=tz)
    except TypeError:  # a value JSON cannot hold (bytes, Decimal): find it record by record
        pass
    tables, problems = [], []
    for i, activity in enumerate(activities):
        try:
            table, found = validate_records([activity], source=source, tz=tz, first_index=i)
        except TypeError as err:
            problems.append(Detail(f"holds a value that is not JSON ({err})", "properties", i))
            continue
        tables.append(table)
        problems.extend(found)
    return pa.concat_tables(tables) if tables else validate_records([], source=source)[0], problems


def sample(path: Path, fmt: str, size: int = SAMPLE) -> list[tuple[str, Any]]:
    """The first ``size`` raw records of ``path`` (for the checks made before writing)."""
    for records, _ in raw_records(path, fmt, chunk=size):
        return records[:size]
    return []


def missing_keys(records: list[tuple[str, Any]], expected: tuple[str, ...]) -> list[str]:
    """The expected keys that none of ``records`` has."""
    seen: set[str] = set()
    for _, raw in records:
        if isinstance(raw, dict):
            seen.update(raw)
    return [key for key in expected if key not in seen]


def keys_seen(records: list[tuple[str, Any]], limit: int = 30) -> list[str]:
    """The distinct top-level keys of ``records``, in order of appearance."""
    seen: dict[str, None] = {}
    for _, raw in records:
        if isinstance(raw, dict):
            seen.update(dict.fromkeys(raw))
    return list(seen)[:limit]
