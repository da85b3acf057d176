"""A live journey's state: every counted contact's best attempt, recomputed per contact.

The state of a contact is what the engine's matcher gives for it (docs/metrics.md): stages
reached, the stage times, the exit time, whether every furthest attempt was void, plus its
status now (in progress, converted, dropped, removed). A contact's state depends only on
its own activities, so an arrival (in order, late, out of order or repeated) is handled by
matching that contact again over all its activities — a query restricted to the touched
contact keys, through the backend contract — which is exact by construction.

States are matched at a far-future ``as_of``: every stored activity counts, and the
time-dependent outcomes (window closed, stalled) are evaluated against the clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pyarrow as pa
from sqlglot import exp

from headway.backends.base import Backend
from headway.backends.query import Query
from headway.engine.kernel.inputs import COLUMNS, match_query
from headway.engine.kernel.match_kernel import MatchKernel, combine
from headway.engine.kernel.match_types import NOT_REACHED, MatchResult
from headway.engine.kernel.run import match_spec
from headway.engine.options import ReportOptions
from headway.model.duration import engine_micros
from headway.model.journey import Journey

LIVE_AS_OF = datetime.max  # past every storable activity (9999-12-31 23:59:59.999999)
LIVE_OPTIONS = ReportOptions(as_of=LIVE_AS_OF)
KEYS_RELATION = "_hw_live_keys"

IN_PROGRESS, CONVERTED, DROPPED, REMOVED = "in_progress", "converted", "dropped", "removed"


@dataclass(frozen=True)
class ContactState:
    """One contact's current best attempt at a journey version (times in µs, None: none)."""

    contact_key: int
    reached: int
    removed: bool
    stage_us: tuple[int | None, ...]
    exit_us: int | None
    status: str
    stalled_stage: int | None = None

    @property
    def entry_us(self) -> int | None:
        """The attempt's entry time: it identifies the attempt."""
        return self.stage_us[0] if self.stage_us else None

    def same_match(self, other: ContactState) -> bool:
        """Whether both hold the same matcher figures (status and stall marks aside)."""
        return (
            self.reached == other.reached
            and self.removed == other.removed
            and self.stage_us == other.stage_us
            and self.exit_us == other.exit_us
        )


def status_at(
    journey: Journey,
    reached: int,
    removed: bool,
    entry_us: int | None,
    exit_us: int | None,
    now_us: int,
) -> str:
    """A state's status at ``now_us`` (docs/metrics.md outcomes)."""
    if removed:
        return REMOVED
    if reached >= len(journey.stages):
        return CONVERTED
    if exit_us is not None:
        return DROPPED
    if entry_us is not None and now_us - entry_us > engine_micros(journey.window_seconds):
        return DROPPED
    return IN_PROGRESS


def states_from(journey: Journey, result: MatchResult, now_us: int) -> Iterator[ContactState]:
    """The counted contacts of a match result (reached a stage, or removed) as states."""
    keep = (result.reached > 0) | result.removed
    for i in np.flatnonzero(keep):
        stages = tuple(None if int(t) == NOT_REACHED else int(t) for t in result.stage_ts[i])
        exit_ts = int(result.exit_ts[i])
        exit_us = None if exit_ts == NOT_REACHED else exit_ts
        reached, removed = int(result.reached[i]), bool(result.removed[i])
        yield ContactState(
            int(result.contact[i]),
            reached,
            removed,
            stages,
            exit_us,
            status_at(journey, reached, removed, stages[0], exit_us, now_us),
        )


def restricted(query: Query) -> Query:
    """``query`` reading only the activities of the contacts in ``_hw_live_keys`` (``key``)."""
    tree = query.tree.copy()
    tables = [t for t in tree.find_all(exp.Table) if t.name == "activity_log"]
    for table in tables:
        alias = table.alias or "activity_log"
        only = (
            exp.select(exp.Star())
            .from_("activity_log")
            .where(exp.column("contact_key").isin(query=exp.select("key").from_(KEYS_RELATION)))
        )
        table.replace(only.subquery(alias))
    return Query(tree, dict(query.params))


@dataclass(frozen=True)
class _RenderedOnce(Query):
    """A query whose SQL text is rendered once per dialect (its tree is never changed): the
    restricted queries run on every live update, and rendering is pure Python."""

    texts: dict[str, str] = field(default_factory=dict, compare=False)

    def sql(self, dialect: str = "duckdb") -> str:
        """The SQL text in a dialect, rendered the first time it is asked for."""
        found = self.texts.get(dialect)
        if found is None:
            found = self.texts[dialect] = super().sql(dialect)
        return found


_QUERIES: dict[tuple[int, Journey, ReportOptions, tuple[tuple[str, int], ...]], Query] = {}


def _restricted_query(backend: Backend, journey: Journey, options: ReportOptions) -> Query:
    """The restricted matcher-input query, built once per journey, options and type
    dictionary."""
    codes = backend.type_codes()
    key = (id(backend), journey, options, tuple(sorted(codes.items())))
    found = _QUERIES.get(key)
    if found is None:
        if len(_QUERIES) > 256:
            _QUERIES.clear()
        query = restricted(match_query(journey, codes, options, sql=backend.sql))
        found = _RenderedOnce(query.tree, query.params)
        _QUERIES[key] = found
    return found


def match_contacts(
    backend: Backend, journey: Journey, keys: np.ndarray, options: ReportOptions = LIVE_OPTIONS
) -> MatchResult:
    """The matcher's result for exactly the contacts ``keys`` (over all their activities up
    to ``options.as_of``, in its date range and segment)."""
    query = _restricted_query(backend, journey, options)
    kernel = MatchKernel(match_spec(journey))
    relation = pa.table({"key": pa.array(np.asarray(keys, dtype=np.int64), pa.int64())})
    rows = backend.arrow_with(query, {KEYS_RELATION: relation})
    return combine(kernel, [kernel(rows)])[0]


def match_all(backend: Backend, journey: Journey) -> Iterator[MatchResult]:
    """Every contact's result, partition by partition (the engine's partitioned matcher)."""
    query = match_query(journey, backend.type_codes(), LIVE_OPTIONS, sql=backend.sql)
    kernel = MatchKernel(match_spec(journey))
    for table in backend.map_contacts(query, COLUMNS.contact, kernel, kernel.schema):
        yield combine(kernel, [table])[0]
