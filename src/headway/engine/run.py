"""Run a journey: build the input query, execute it on a backend, match sequences."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlglot import exp

from headway.backends.base import Backend
from headway.engine.inputs import COLUMNS, match_query
from headway.engine.match_types import MatchResult, MatchSpec
from headway.engine.matcher import match
from headway.engine.options import ReportOptions, to_micros
from headway.model.journey import Journey
from headway.model.subsumption import strictly_later_flags


@dataclass(frozen=True)
class Matched:
    """A journey's per-contact result at ``options``, plus extra input columns by row."""

    journey: Journey
    options: ReportOptions
    result: MatchResult
    extras: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def as_of_us(self) -> int:
        """``as_of`` in microseconds since the epoch."""
        return to_micros(self.options.as_of)

    @property
    def window_us(self) -> int:
        """The conversion window in microseconds."""
        return self.journey.window_seconds * 1_000_000


def match_spec(journey: Journey) -> MatchSpec:
    """The matcher's view of a journey."""
    return MatchSpec(
        mode=journey.order,
        n_stages=len(journey.stages),
        window_us=journey.window_seconds * 1_000_000,
        strictly_later=tuple(strictly_later_flags(journey)),
        exclusions=tuple((x.from_stage, x.to_stage) for x in journey.exclusions),
        has_exit=journey.exit_when is not None,
    )


def match_journey(
    backend: Backend,
    journey: Journey,
    options: ReportOptions,
    extras: Mapping[str, exp.Expr] | None = None,
) -> Matched:
    """Every contact's best attempt at the journey, as of ``options.as_of``."""
    query = match_query(journey, backend.type_codes(), options, extras)
    table = backend.arrow(query)
    contact, ts, stage_mask, excl_mask, exit_ = _arrays(table)
    result = match(match_spec(journey), contact, ts, stage_mask, excl_mask, exit_)
    columns = {name: _numpy(table.column(name)) for name in (extras or {})}
    return Matched(journey, options, result, columns)


def _arrays(table: pa.Table) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    ts = table.column(COLUMNS.ts)
    if pa.types.is_timestamp(ts.type):
        ts = pc.cast(ts.cast(pa.timestamp("us")), pa.int64())
    return (
        _numpy(table.column(COLUMNS.contact)).astype(np.int64, copy=False),
        _numpy(ts).astype(np.int64, copy=False),
        _numpy(table.column(COLUMNS.stage_mask)).astype(np.int64, copy=False).view(np.uint64),
        _numpy(table.column(COLUMNS.excl_mask)).astype(np.int64, copy=False).view(np.uint64),
        _numpy(table.column(COLUMNS.exit)).astype(np.bool_, copy=False),
    )


def _numpy(column: pa.ChunkedArray) -> np.ndarray:
    if column.null_count:
        return np.asarray(column.to_pylist(), dtype=object)
    return column.to_numpy()
