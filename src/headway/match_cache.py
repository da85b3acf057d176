"""Journey matches reused while the data is unchanged: the cache behind every report.

A match (every contact's best attempt) is a function of the matcher-input query — the
journey's conditions, its date range, the extra columns asked for and the ``ts <= as_of``
bound — and of the data, which the store's generation identifies (every committed write bumps
it). Only activities up to ``as_of`` are read, so every ``as_of`` gives the same match as the
time of the latest activity at or before it: the key carries that time (the *horizon*), not
``as_of``. So "now", the default, hits the cache until the next write. What depends on
``as_of`` itself — dropped, in progress, stalled — each report computes from the match on
every call; no number changes because a match was reused.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TypeVar

import numpy as np
import pyarrow as pa
from sqlglot import exp

from headway.backends.duckdb import DuckDBBackend
from headway.backends.duckdb_dialect import DUCKDB_DIALECT
from headway.engine.kernel.inputs import COLUMNS, match_query
from headway.engine.kernel.match_kernel import MatchKernel
from headway.engine.kernel.match_types import MODES, MatchSpec
from headway.engine.kernel.run import Matched, match_journey, match_spec
from headway.engine.options import ReportOptions
from headway.memo import Memo
from headway.model.journey import Journey
from headway.saved_match_store import SavedMatchStore

T = TypeVar("T")
DEFAULT_BUDGET_BYTES = 512 * 1024 * 1024
# Matching with this horizon reads nothing; it stands for "no activity at or before as_of".
_BEFORE_ALL = datetime(1, 1, 1)
_OBJECT_BYTES = 64  # approximate size of one Python object in an object array (a short str)


@dataclass(frozen=True)
class _Latest:
    generation: int
    ts: datetime | None


class MatchCache:
    """Matches by (generation, matcher-input query at the horizon, match spec)."""

    def __init__(
        self,
        backend: DuckDBBackend,
        budget_bytes: int = DEFAULT_BUDGET_BYTES,
        *,
        save: bool = True,
    ) -> None:
        self.backend = backend
        self.store = backend.store
        self.memo = Memo(budget_bytes)
        self._latest = _Latest(-1, None)
        # Matches of every activity also kept in the file, extended after a restart.
        self.saved = SavedMatchStore(backend) if save else None

    def match(
        self,
        journey: Journey,
        options: ReportOptions,
        extras: Mapping[str, exp.Expr] | None = None,
    ) -> Matched:
        """The journey matched as of ``options.as_of``: exactly what ``match_journey`` gives."""
        generation = self._generation()
        at_horizon = replace(options, as_of=self.horizon(options.as_of, generation))
        key = (generation, "match", *self._query_key(journey, at_horizon, extras))

        def compute() -> tuple[Matched, int]:
            latest = self._latest_ts(generation)
            saved = self.saved
            if (
                saved is not None
                and saved.usable(at_horizon, extras)
                and latest is not None
                and at_horizon.as_of == latest
            ):  # the match of every activity: saved in the file, extended
                matched = Matched(journey, at_horizon, saved.match(journey, at_horizon))
            else:
                matched = match_journey(self.backend, journey, at_horizon, extras)
            _freeze(matched)
            return matched, matched_bytes(matched)

        cached: Matched = self.memo.get(key, compute, lambda: self.store.generation == generation)
        return Matched(journey, options, cached.result, dict(cached.extras))

    def derived(
        self,
        journey: Journey,
        options: ReportOptions,
        what: Hashable,
        compute: Callable[[], T],
        nbytes: int = 4096,
    ) -> T:
        """A result that only the journey's match and ``what`` decide, never ``as_of`` itself.

        E.g. a breakdown's or a trend's counts: reused like the match (same data, same
        horizon). The caller puts its own ``as_of`` on what it returns.
        """
        generation = self._generation()
        at_horizon = replace(options, as_of=self.horizon(options.as_of, generation))
        names = tuple(stage.name for stage in journey.stages)  # reports carry them; queries not
        key = (generation, what, names, *self._query_key(journey, at_horizon, None))
        value: T = self.memo.get(
            key, lambda: (compute(), nbytes), lambda: self.store.generation == generation
        )
        return value

    def _generation(self) -> int:
        generation = self.store.generation
        self.memo.discard_if(lambda key: _generation(key) != generation)  # they only grow
        return generation

    def _query_key(
        self, journey: Journey, at_horizon: ReportOptions, extras: Mapping[str, exp.Expr] | None
    ) -> tuple[Hashable, ...]:
        query = match_query(
            journey, self.backend.type_codes(), at_horizon, extras, sql=self.backend.sql
        )
        return (query.sql(), _params_key(query.params), match_spec(journey))

    def horizon(self, as_of: datetime, generation: int) -> datetime:
        """The time of the latest activity at or before ``as_of`` (the match is the same)."""
        latest = self._latest_ts(generation)
        if latest is None:
            return _BEFORE_ALL
        if as_of >= latest:
            return latest
        found = self.store.execute("SELECT max(ts) FROM activities WHERE ts <= ?", [as_of]).scalar()
        return _BEFORE_ALL if found is None else found

    def _latest_ts(self, generation: int) -> datetime | None:
        latest = self._latest
        if latest.generation == generation:
            return latest.ts
        ts = self.store.execute("SELECT max(ts) FROM activities").scalar()
        if self.store.generation == generation:
            self._latest = _Latest(generation, ts)
        return ts


def preload_engine() -> None:
    """Load now what a process's first report would wait for (~2-3 s together).

    That is the compiled matcher of every mode (numba's disk cache), pyarrow's conversion to
    NumPy (which imports pandas) and the regex checker's DuckDB connection (~30 ms on a first
    save). The server calls this at start-up, in a thread.
    """
    from headway.engine.kernel.matcher import match as run_matcher

    pa.array([0], pa.int64()).to_numpy()
    DUCKDB_DIALECT.regex_problem("^$")
    contact = np.array([1, 1, 1], np.int64)
    ts = np.array([0, 1, 2], np.int64)
    stage_mask = np.array([1, 2, 0], np.uint64)
    excl_mask = np.array([0, 0, 1], np.uint64)
    exit_ = np.array([False, False, True])
    # The matcher's input as the query answers it (Arrow columns: read-only NumPy views).
    rows = pa.table(
        {
            COLUMNS.contact: pa.array(contact),
            COLUMNS.ts: pa.array(ts).cast(pa.timestamp("us")),
            COLUMNS.stage_mask: pa.array(stage_mask.astype(np.int64)),
            COLUMNS.excl_mask: pa.array(excl_mask.astype(np.int64)),
            COLUMNS.exit: pa.array(exit_),
        }
    )
    for mode in MODES:
        spec = MatchSpec(mode, 2, 10, (False, False), exclusions=((0, 1),), has_exit=True)
        run_matcher(spec, contact, ts, stage_mask, excl_mask, exit_)
        MatchKernel(spec)(rows)


def matched_bytes(matched: Matched) -> int:
    """Approximate memory held by a match (its arrays; object arrays count their items)."""
    res = matched.result
    arrays = [res.contact, res.reached, res.removed, res.stage_ts, res.stage_row, res.exit_ts]
    arrays += list(matched.extras.values())
    return sum(_array_bytes(a) for a in arrays)


def _array_bytes(array: np.ndarray) -> int:
    if array.dtype == object:
        return array.nbytes + _OBJECT_BYTES * array.size
    return array.nbytes


def _freeze(matched: Matched) -> None:
    # A shared result must not be changed by one of its readers.
    res = matched.result
    for array in (res.contact, res.reached, res.removed, res.stage_ts, res.stage_row, res.exit_ts):
        array.flags.writeable = False
    for array in matched.extras.values():
        array.flags.writeable = False


def _generation(key: Hashable) -> int:
    assert isinstance(key, tuple)
    return int(key[0])


def _params_key(params: Mapping[str, object]) -> Hashable:
    # Bound values are hashable (conditions.Params keys them); types keep 1 and True apart.
    return tuple(sorted((name, type(value).__name__, value) for name, value in params.items()))
