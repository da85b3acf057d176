"""DuckDB's dialect of condition values: a ``regex`` must compile in DuckDB's RE2.

The check asks DuckDB itself (``regexp_matches('', pattern)`` on a private in-memory
connection), so what is accepted at save time is exactly what the engine can run: RE2 as
DuckDB builds it, not Python's ``re``. The patterns of one definition are compiled in one
query (``TRY`` marks the ones that fail), and the first few that fail are compiled alone to
say why. DuckDB's terse RE2 errors are turned into sentences for the constructs people bring from other dialects (back-references, ``\\Z``,
look-around, ``(?<name>...)``, repetition counts over 1000).
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Iterable

import duckdb

RE2 = "the engine's regex dialect (RE2)"
_CACHE_SIZE = 4096
_EXPLAINED = 10  # refused patterns compiled alone for DuckDB's reason; the others say less
_COMPILE_ALL = (
    "SELECT p, try(regexp_matches('', p)) IS NULL FROM unnest(CAST(? AS VARCHAR[])) AS t(p)"
)
_COMPILE_ONE = "SELECT regexp_matches('', ?)"


class DuckDBDialect:
    """Checks a condition's values the way the DuckDB backend will run them."""

    name = "DuckDB (RE2)"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._connection: duckdb.DuckDBPyConnection | None = None
        self._known: OrderedDict[str, str | None] = OrderedDict()  # pattern -> problem

    def regex_problem(self, pattern: str) -> str | None:
        """Why DuckDB cannot run ``pattern`` (a sentence), or None when it compiles."""
        return self.regex_problems([pattern]).get(pattern)

    def regex_problems(self, patterns: Iterable[str]) -> dict[str, str]:
        """The patterns DuckDB cannot run, each with why (compiled together, then cached)."""
        wanted = list(dict.fromkeys(patterns))
        with self._lock:
            new = [p for p in wanted if p not in self._known]
            if new:
                self._compile(new)
            return {p: why for p in wanted if (why := self._known.get(p)) is not None}

    def _compile(self, patterns: list[str]) -> None:
        text = [p for p in patterns if _unicode_problem(p) is None]
        for p in patterns:
            if p not in text:
                self._remember(p, _unicode_problem(p))
        if not text:
            return
        if self._connection is None:
            self._connection = duckdb.connect(":memory:")
        failed = dict(self._connection.execute(_COMPILE_ALL, [text]).fetchall())
        refused = [p for p in text if failed.get(p, True)]
        for p in text:
            if p not in refused:
                self._remember(p, None)
        for i, p in enumerate(refused):
            why = _reason(self._connection, p) if i < _EXPLAINED else f"does not compile in {RE2}"
            self._remember(p, why)

    def _remember(self, pattern: str, problem: str | None) -> None:
        self._known[pattern] = problem
        while len(self._known) > _CACHE_SIZE:
            self._known.popitem(last=False)


def _reason(connection: duckdb.DuckDBPyConnection, pattern: str) -> str:
    """DuckDB's own reason for refusing one pattern, as a sentence."""
    try:
        connection.execute(_COMPILE_ONE, [pattern]).fetchone()
    except duckdb.Error as err:
        return _explain(pattern, str(err).removeprefix("Invalid Input Error: "))
    return f"does not compile in {RE2}"


def _unicode_problem(pattern: str) -> str | None:
    try:
        pattern.encode("utf-8")
    except UnicodeEncodeError as err:
        return f"not valid Unicode text (a lone surrogate at character {err.start})"
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
