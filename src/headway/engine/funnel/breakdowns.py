"""Breakdowns: the funnel split by a property of the entry activity (first touch), of the
last stage reached (last touch), or by a contact attribute; top N values plus "other"."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlglot import exp

from headway.backends.base import Backend
from headway.conditions.sql_dialect import SqlDialect
from headway.engine.funnel.cohorts import Cohort, cohort, cohort_dicts, cohort_rows
from headway.engine.kernel.inputs import ACTIVITY
from headway.engine.kernel.run import Matched, match_journey
from headway.engine.options import ReportOptions
from headway.engine.results import Tabular, iso
from headway.errors import InvalidInput
from headway.model.journey import Journey
from headway.model.journey_schema import PROPERTY_PATTERN
from headway.model.property_paths import SYNTAX, parse_path

TOUCHES: tuple[str, ...] = ("first", "last", "contact")
NONE_LABEL = "(none)"
OTHER_LABEL = "(other)"
_COLUMN = "breakdown_value"
Matcher = Callable[[Journey, ReportOptions, Mapping[str, exp.Expr] | None], Matched]


@dataclass(frozen=True)
class BreakdownReport(Tabular):
    """A funnel per value of a property or attribute (most entered first; label = value)."""

    journey: str
    by: str
    touch: str
    stage_names: tuple[str, ...]
    values: tuple[Cohort, ...]
    as_of: Any

    def rows(self) -> list[dict[str, Any]]:
        """One row per value with a column per stage."""
        return cohort_rows(self.values, "value", self.stage_names)

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "journey": self.journey,
            "by": self.by,
            "touch": self.touch,
            "as_of": iso(self.as_of),
            "stages": list(self.stage_names),
            "values": cohort_dicts(self.values, "value"),
        }


def property_expression(prop: str, sql: SqlDialect) -> exp.Expr:
    """The text of an activity property, as a column over activity ``a``."""
    if prop in ("source", "type_code"):
        return exp.column(prop, ACTIVITY)
    try:
        keys = parse_path(prop.removeprefix("properties."))
    except ValueError as err:
        raise InvalidInput(f"--by: {prop!r} is not a property path: it {err} ({SYNTAX})") from None
    return sql.json_text(exp.column("properties", ACTIVITY), keys)


def breakdown(
    backend: Backend,
    journey: Journey,
    options: ReportOptions,
    by: str,
    touch: str = "first",
    top: int = 10,
    matcher: Matcher | None = None,
) -> BreakdownReport:
    """Match the journey once with the breakdown value attached, then split the funnel.

    ``matcher`` replaces ``match_journey`` on ``backend`` (the API passes its cache).
    """
    if touch not in TOUCHES:
        raise InvalidInput(f"--touch: '{touch}' is not one of {', '.join(TOUCHES)}")
    if top < 1:
        raise InvalidInput("--top must be at least 1")
    run = matcher or (lambda j, o, extras: match_journey(backend, j, o, extras))
    if touch == "contact":
        matched = run(journey, options, None)
        values = _attribute_values(backend, matched, by)
    else:
        matched = run(journey, options, {_COLUMN: property_expression(by, backend.sql)})
        values = _touch_values(matched, touch)
    return _split(matched, values, by, touch, top)


def _touch_values(matched: Matched, touch: str) -> np.ndarray:
    res = matched.result
    column = matched.extras[_COLUMN]
    out = np.full(len(res.reached), None, dtype=object)
    counted = np.flatnonzero(res.reached >= 1)
    stage = (
        np.zeros(len(counted), np.int64)
        if touch == "first"
        else res.reached[counted].astype(np.int64) - 1
    )
    rows = res.stage_row[counted, stage]
    out[counted] = column[rows]
    return out


def _attribute_values(backend: Backend, matched: Matched, attribute: str) -> np.ndarray:
    if not re.match(PROPERTY_PATTERN, attribute):
        raise InvalidInput(f"--by: '{attribute}' is not an attribute name")
    return backend.contact_attributes(matched.result.contact, attribute)


def _split(matched: Matched, values: np.ndarray, by: str, touch: str, top: int) -> BreakdownReport:
    res = matched.result
    n = len(matched.journey.stages)
    counted = res.reached >= 1
    labels = np.array([NONE_LABEL if v is None else str(v) for v in values], dtype=object)
    # Most entered first; ties in value order, so the report is deterministic.
    ranking = sorted(Counter(labels[counted].tolist()).items(), key=lambda kv: (-kv[1], kv[0]))
    kept = [v for v, _ in ranking[:top]]
    rows = [cohort(v, res.reached[counted & (labels == v)], n) for v in kept]
    if len(ranking) > top:
        rest = counted & ~np.isin(labels, np.array(kept, dtype=object))
        rows.append(cohort(OTHER_LABEL, res.reached[rest], n))
    return BreakdownReport(
        journey=matched.journey.name,
        by=by,
        touch=touch,
        stage_names=tuple(s.name for s in matched.journey.stages),
        values=tuple(rows),
        as_of=matched.options.as_of,
    )
