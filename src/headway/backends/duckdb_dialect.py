"""DuckDB's dialect of condition values: a ``regex`` must compile in DuckDB's RE2.

The check asks DuckDB itself (``regexp_matches('', pattern)`` on a private in-memory
connection), so what is accepted at save time is exactly what the engine can run: RE2 as
DuckDB builds it, not Python's ``re``. DuckDB's terse RE2 errors are turned into sentences
for the constructs people bring from other dialects (back-references, ``\\Z``,
look-around, ``(?<name>...)``, repetition counts over 1000).
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache

import duckdb

RE2 = "the engine's regex dialect (RE2)"
_lock = threading.Lock()
_connection: list[duckdb.DuckDBPyConnection] = []


class DuckDBDialect:
    """Checks a condition's values the way the DuckDB backend will run them."""

    name = "DuckDB (RE2)"

    def regex_problem(self, pattern: str) -> str | None:
        """Why DuckDB cannot run ``pattern`` (a sentence), or None when it compiles."""
        return _regex_problem(pattern)


@lru_cache(maxsize=4096)
def _regex_problem(pattern: str) -> str | None:
    try:
        pattern.encode("utf-8")
    except UnicodeEncodeError as err:
        return f"not valid Unicode text (a lone surrogate at character {err.start})"
    with _lock:
        if not _connection:
            _connection.append(duckdb.connect(":memory:"))
        try:
            _connection[0].execute("SELECT regexp_matches('', ?)", [pattern]).fetchone()
        except duckdb.Error as err:
            return _explain(pattern, str(err).removeprefix("Invalid Input Error: "))
    return None


def _explain(pattern: str, error: str) -> str:
    """A sentence for an RE2 compile error (DuckDB's own words when no better one)."""
    escape = re.match(r"invalid escape sequence: (\\.)", error)
    if escape and escape.group(1)[1] in "123456789":
        why = f"back-references ({escape.group(1)}) are not supported by {RE2}"
    elif escape and escape.group(1) == "\\Z":
        why = f"\\Z is not supported by {RE2} (use \\z, or $ for the end of the text)"
    elif escape:
        why = f"the escape {escape.group(1)} is not supported by {RE2}"
    elif error.startswith("invalid perl operator: (?<"):
        behind = "(?<=" in pattern or "(?<!" in pattern
        why = (
            f"look-behind ((?<=...), (?<!...)) is not supported by {RE2}"
            if behind
            else f"named groups are written (?P<name>...) in {RE2}"
        )
    elif error.startswith(("invalid perl operator: (?=", "invalid perl operator: (?!")):
        why = f"look-ahead ((?=...), (?!...)) is not supported by {RE2}"
    elif error.startswith("invalid perl operator: (?P"):
        why = f"named back-references ((?P=name)) are not supported by {RE2}"
    elif error.startswith("invalid repetition size"):
        why = f"repetition counts above 1000 are not supported by {RE2}"
    else:
        return f"does not compile in {RE2}: {error}"
    return why


DUCKDB_DIALECT = DuckDBDialect()
