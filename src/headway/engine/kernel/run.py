"""Run a journey: build the input query, execute it on a backend, match sequences."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from sqlglot import exp

from headway.backends.base import Backend
from headway.engine.kernel.inputs import COLUMNS, match_query
from headway.engine.kernel.match_kernel import MatchKernel, combine
from headway.engine.kernel.match_types import MatchResult, MatchSpec
from headway.engine.options import ReportOptions, to_micros
from headway.model.duration import engine_micros
from headway.model.journey import Journey
from headway.model.subsumption import strictly_later_flags


@dataclass(frozen=True)
class Matched:
    """A journey's per-contact result at ``options``, plus extra columns by ``stage_row``."""

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
    """Every contact's best attempt at the journey, as of ``options.as_of``.

    The backend runs the matcher on batches of whole contacts (``map_contacts``), so no
    process holds every input row at once; ``extras[name][stage_row]`` is an extra column's
    value at the row a stage matched.
    """
    query = match_query(journey, backend.type_codes(), options, extras, sql=backend.sql)
    kernel = MatchKernel(match_spec(journey), tuple(extras or {}))
    tables = backend.map_contacts(query, COLUMNS.contact, kernel, kernel.schema)
    result, columns = combine(kernel, tables)
    return Matched(journey, options, result, columns)
