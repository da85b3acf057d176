"""Run a journey: build the input query, execute it on a backend, match sequences."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import pyarrow as pa
from sqlglot import exp

from headway.backends.base import Backend
from headway.engine.kernel.inputs import COLUMNS, match_query
from headway.engine.kernel.match_types import MatchResult, MatchSpec
from headway.engine.options import ReportOptions, to_micros
from headway.model.duration import engine_micros
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
        """The conversion window in microseconds (capped: see ``duration.engine_micros``)."""
        return engine_micros(self.journey.window_seconds)


# Rows per matcher call: about 1 GiB of matcher working memory (~70 bytes a row).
BATCH_ROWS = 15_000_000


def match_spec(journey: Journey) -> MatchSpec:
    """The matcher's view of a journey."""
    return MatchSpec(
        mode=journey.order,
        n_stages=len(journey.stages),
        window_us=engine_micros(journey.window_seconds),
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
    query = match_query(journey, backend.type_codes(), options, extras, sql=backend.sql)
    names = [
        COLUMNS.contact,
        COLUMNS.ts,
        COLUMNS.stage_mask,
        COLUMNS.excl_mask,
        COLUMNS.exit,
        *(extras or {}),
    ]
    pieces: dict[str, list[np.ndarray]] = {name: [] for name in names}
    # Streamed batch by batch into NumPy, so the Arrow result never exists whole.
    for batch in backend.arrow_batches(query):
        for name, array in zip(names, _batch_arrays(batch, names), strict=True):
            pieces[name].append(array)
    columns = {name: _concat(pieces.pop(name), name) for name in names}
    contact, ts, stage_mask, excl_mask, exit_ = (columns.pop(name) for name in names[:5])
    result = match_in_batches(match_spec(journey), contact, ts, stage_mask, excl_mask, exit_)
    return Matched(journey, options, result, columns)


def match_in_batches(
    spec: MatchSpec,
    contact: np.ndarray,
    ts: np.ndarray,
    stage_mask: np.ndarray,
    excl_mask: np.ndarray,
    exit_: np.ndarray,
    batch_rows: int = BATCH_ROWS,
) -> MatchResult:
    """``match`` over ranges of contact keys of about ``batch_rows`` rows each.

    The matcher's working memory grows with its input; ranges of whole contacts bound it.
    Results are joined in key order, and ``stage_row`` still indexes the full input.
    """
    from headway.engine.kernel.matcher import (
        match,  # numba loads with the first match, not at start-up
    )

    if len(contact) <= batch_rows:
        return match(spec, contact, ts, stage_mask, excl_mask, exit_)
    parts = -(-len(contact) // batch_rows)
    top = int(contact.max()) + 1
    bucket = contact * parts // top
    results = []
    for part in range(parts):
        sel = np.flatnonzero(bucket == part)
        r = match(spec, contact[sel], ts[sel], stage_mask[sel], excl_mask[sel], exit_[sel])
        rows = np.where(r.stage_row >= 0, sel[np.maximum(r.stage_row, 0)], -1)
        results.append(replace(r, stage_row=rows))
    return MatchResult(
        contact=np.concatenate([r.contact for r in results]),
        reached=np.concatenate([r.reached for r in results]),
        removed=np.concatenate([r.removed for r in results]),
        stage_ts=np.concatenate([r.stage_ts for r in results]),
        stage_row=np.concatenate([r.stage_row for r in results]),
        exit_ts=np.concatenate([r.exit_ts for r in results]),
    )


_DTYPES = {
    COLUMNS.contact: np.int64,
    COLUMNS.ts: np.int64,
    COLUMNS.stage_mask: np.uint64,
    COLUMNS.excl_mask: np.uint64,
    COLUMNS.exit: np.bool_,
}


def _batch_arrays(batch: pa.RecordBatch, names: list[str]) -> list[np.ndarray]:
    out = []
    for name in names:
        column = batch.column(name)
        if pa.types.is_timestamp(column.type):
            column = column.cast(pa.timestamp("us")).cast(pa.int64())
        array = _numpy(column)
        dtype = _DTYPES.get(name)
        if dtype is np.uint64:
            array = array.astype(np.int64, copy=False).view(np.uint64)
        elif dtype is not None:
            array = array.astype(dtype, copy=False)
        out.append(array)
    return out


def _concat(parts: list[np.ndarray], name: str) -> np.ndarray:
    if parts:
        return np.concatenate(parts)
    return np.zeros(0, dtype=_DTYPES.get(name, object))


def _numpy(column: pa.Array) -> np.ndarray:
    """The column as NumPy: a zero-copy view of numbers without nulls.

    Not ``to_numpy`` for the matcher's columns: pyarrow's conversion imports pandas (~0.3 s of
    every funnel's start-up).
    """
    if column.null_count:
        return np.asarray(column.to_pylist(), dtype=object)
    if pa.types.is_boolean(column.type):  # bit-packed: one byte per value first
        return np.from_dlpack(column.cast(pa.uint8())).view(np.bool_)
    if pa.types.is_integer(column.type) or pa.types.is_floating(column.type):
        return np.from_dlpack(column)
    return column.to_numpy(zero_copy_only=False)  # text and the rest: a copy
