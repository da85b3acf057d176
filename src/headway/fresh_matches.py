"""Matches computed on every call: for a backend whose data has no generation to key a cache on.

The DuckDB store bumps a generation on every write, so ``MatchCache`` can reuse a match until
the data changes. A Spark source (files or a catalog table others write to) has no such
counter; reusing a match there could serve numbers of data that has since changed, so each
report matches afresh. Same interface as ``MatchCache``.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from typing import TypeVar

from sqlglot import exp

from headway.backends.base import Backend
from headway.engine.kernel.run import Matched, match_journey
from headway.engine.options import ReportOptions
from headway.model.journey import Journey

T = TypeVar("T")


class FreshMatches:
    """``MatchCache``'s interface without reuse: every match runs on the backend."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    def match(
        self,
        journey: Journey,
        options: ReportOptions,
        extras: Mapping[str, exp.Expr] | None = None,
    ) -> Matched:
        """The journey matched as of ``options.as_of``."""
        return match_journey(self.backend, journey, options, extras)

    def derived(
        self,
        journey: Journey,
        options: ReportOptions,
        what: Hashable,
        compute: Callable[[], T],
        nbytes: int = 4096,
    ) -> T:
        """``compute()``: nothing derived is kept either."""
        return compute()
