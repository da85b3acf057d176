"""Mapping a large JSON Lines export in worker processes (one per core).

Parsing, mapping and validating records in Python costs tens of microseconds each, on one
core. For a large file (``headway import``: from ``PARALLEL_MIN_BYTES``; ``ImportOptions.workers``
or ``$HEADWAY_IMPORT_WORKERS`` set the number, 1 turns it off) chunks of lines go to worker
processes, which return the chunk's
canonical rows, rejections and what it stated besides activities; the importing process
numbers the rows in file order, stages them and merges the rest in order, so the result is
exactly that of one process. At most two chunks per worker are in flight (bounded memory).
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pyarrow as pa

from headway.ingest import jsonlines
from headway.ingest.mapping import ColumnMapping
from headway.ingest.tool_exports import (
    _NOT_JSON,
    Collected,
    Preset,
    load_preset,
    map_chunk,
    stage_rows,
)

PARALLEL_MIN_BYTES = 32 * 1024 * 1024
MAX_WORKERS = 8
_Result = tuple[pa.Table, jsonlines.Staged, Collected]
_worker: tuple[Preset, str | None, str | None, int] | None = None


def workers_for(path: Path, wanted: int | None) -> int:
    """How many worker processes map ``path`` (1: none, the importing process does it).

    ``wanted`` None means "by the file's size" (what ``headway import`` asks for; the Python
    API maps in its own process unless told, since spawned workers re-import the caller's
    ``__main__``, which a script without an ``if __name__ == "__main__"`` guard would re-run).
    """
    given = os.environ.get("HEADWAY_IMPORT_WORKERS")
    if given is not None and given.strip().isdigit():
        return max(int(given), 1)
    if wanted is not None:
        return max(wanted, 1)
    if path.stat().st_size < PARALLEL_MIN_BYTES:
        return 1
    return min(os.cpu_count() or 1, MAX_WORKERS)


def stage(
    conn: duckdb.DuckDBPyConnection,
    path: Path,
    preset: Preset,
    staged: jsonlines.Staged,
    collected: Collected,
    *,
    tz: str | None,
    source: str | None,
    max_details: int,
    workers: int,
    report: Callable[[float], None] | None = None,
) -> None:
    """Stage ``path``'s activities in ``_hw_staged`` with ``workers`` processes."""
    size = max(path.stat().st_size, 1)
    seq = 0
    pending: deque[tuple[Future[_Result], float]] = deque()

    def take() -> None:
        nonlocal seq
        future, fraction = pending.popleft()
        table, found, stated = future.result()
        seq = stage_rows(conn, table, seq)
        _merge(staged, collected, found, stated, max_details)
        if report is not None:
            report(fraction)

    context = multiprocessing.get_context("spawn")  # never fork a process holding DuckDB
    init = (preset.name, preset.mapping, tz, source, max_details)
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_init, initargs=init) as pool:
        for raw, lines in jsonlines.chunks(path):
            pending.append((pool.submit(_map_lines, lines), min(raw.tell() / size, 1.0)))
            if len(pending) >= 2 * workers:
                take()
        while pending:
            take()


def _merge(
    staged: jsonlines.Staged,
    collected: Collected,
    found: jsonlines.Staged,
    stated: Collected,
    max_details: int,
) -> None:
    staged.rejected += found.rejected
    staged.details.extend(found.details[: max(max_details - len(staged.details), 0)])
    staged.naive += found.naive
    staged.naive_example = staged.naive_example or found.naive_example
    for claim in stated.identities.values():
        collected.claim(claim)
    for contact, values in stated.attributes.items():
        collected.attribute(contact, values)


def _init(
    name: str, mapping: ColumnMapping | None, tz: str | None, source: str | None, limit: int
) -> None:
    global _worker
    _worker = (load_preset(name, mapping), tz, source, limit)


def _map_lines(lines: list[tuple[int, bytes]]) -> _Result:
    """In a worker: one chunk of lines parsed, mapped and validated."""
    assert _worker is not None
    preset, tz, source, limit = _worker
    records: list[tuple[str, Any]] = []
    for number, line in lines:
        try:
            records.append((f"line {number}", orjson.loads(line)))
        except orjson.JSONDecodeError:
            records.append((f"line {number}", _NOT_JSON))
    staged, collected = jsonlines.Staged(), Collected()
    table = map_chunk(records, preset, staged, collected, tz, source, limit, 0)
    return table, staged, collected
