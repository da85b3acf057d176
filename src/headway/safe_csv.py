"""CSV that people open in spreadsheets: one writer for the CLI, the API and the dashboard.

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return as a formula (CSV injection, OWASP). Every CSV Headway writes for people goes through
``safe_writer`` / ``csv_chunks``, which put a leading ``'`` before such text so the
spreadsheet shows it as text. Numbers and empty cells are written as they are.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Protocol

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what spreadsheets take as a formula
CHUNK_ROWS = 1_000  # rows per streamed piece


class _Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


def safe_cell(value: Any) -> Any:
    """``value`` ready for a CSV cell: formula-like text quoted, anything else as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value  # a spreadsheet shows it as text instead of running it
    return value


class SafeWriter:
    """``csv.writer`` whose every cell goes through ``safe_cell``."""

    def __init__(self, out: _Writable, lineterminator: str = "\n") -> None:
        self._writer = csv.writer(out, lineterminator=lineterminator)

    def writerow(self, row: Iterable[Any]) -> None:
        """Write one row."""
        self._writer.writerow([safe_cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        """Write many rows."""
        for row in rows:
            self.writerow(row)


def safe_writer(out: _Writable, lineterminator: str = "\n") -> SafeWriter:
    """A CSV writer on ``out`` that keeps formula-like cells as text."""
    return SafeWriter(out, lineterminator)


def csv_chunks(
    header: Sequence[Any], rows: Iterable[Iterable[Any]], lineterminator: str = "\n"
) -> Iterator[str]:
    """The CSV text (header first) in pieces of ``CHUNK_ROWS`` rows, for streaming."""
    buffer = io.StringIO()
    writer = SafeWriter(buffer, lineterminator)
    writer.writerow(header)
    for i, row in enumerate(rows, start=1):
        writer.writerow(row)
        if i % CHUNK_ROWS == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()
