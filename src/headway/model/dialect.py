"""The engine's dialect: what the backend that will run a journey's conditions accepts.

Conditions are checked at save time in the dialect of the engine that runs them, not in
Python's: a ``regex`` Python accepts may not compile in DuckDB's RE2 (back-references,
``\\Z``, look-around), and one RE2 accepts may not compile in Python (``\\pL``, ``\\C``).
A backend supplies its ``Dialect`` (``DuckDBBackend.dialect``; a Spark backend would check
Java regexes); parsing uses the default engine's (DuckDB) unless ``checking_with`` says
otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Protocol


class Dialect(Protocol):
    """The checks a backend makes on condition values before a journey is accepted."""

    name: str

    def regex_problem(self, pattern: str) -> str | None:
        """Why ``pattern`` cannot run in this engine (a sentence), or None when it can."""
        ...

    def regex_problems(self, patterns: Iterable[str]) -> dict[str, str]:
        """The patterns this engine cannot run, each with why (checked together, remembered)."""
        ...


_current: ContextVar[Dialect | None] = ContextVar("headway_dialect", default=None)


def engine_dialect() -> Dialect:
    """The dialect conditions are checked in now (the embedded DuckDB engine by default)."""
    chosen = _current.get()
    if chosen is not None:
        return chosen
    from headway.backends.duckdb_dialect import DUCKDB_DIALECT

    return DUCKDB_DIALECT


@contextmanager
def checking_with(dialect: Dialect) -> Iterator[None]:
    """Check conditions parsed inside the block in ``dialect`` (e.g. another backend's)."""
    token = _current.set(dialect)
    try:
        yield
    finally:
        _current.reset(token)
