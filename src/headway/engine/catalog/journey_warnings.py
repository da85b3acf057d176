"""No silent zeros: what in a journey can match nothing in this data, as warnings.

``journey_warnings`` is pure: from a journey, the catalogue (``discovery.catalog_for``) and
the report options it says, for each place, when a condition names an activity type never
seen, a property never seen with that type (with no type: never seen at all), an ``eq``/``in``
value never seen for a property whose values are all known (with the closest existing ones),
or when ``as_of`` or the date range lies outside the data. Warnings never block a report.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from headway.engine.catalog.discovery import Catalog
from headway.engine.options import DateWindow, ReportOptions
from headway.model.condition import AllOf, AnyOf, Condition, Match, Not, property_path
from headway.model.journey import Journey
from headway.model.property_paths import format_path


@dataclass(frozen=True)
class JourneyWarning:
    """One warning: its kind, where in the journey (a field path, or None) and why."""

    kind: str  # unknown_type, unknown_property, unknown_value, no_data, outside_data,
    # not_checked (the backend has no catalogue to check against)
    field: str | None
    message: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


def journey_warnings(
    journey: Journey, catalog: Catalog, options: ReportOptions | None = None
) -> list[JourneyWarning]:
    """Every warning about ``journey`` over the data described by ``catalog``."""
    if not catalog.types:
        return [JourneyWarning("no_data", None, "the database holds no activities yet")]
    out: list[JourneyWarning] = []
    for path, cond in _conditions(journey):
        for where, match in _matches(cond, path):
            out.extend(_match_warnings(match, where, catalog))
    out.extend(_time_warnings(journey, catalog, options))
    return out


def referenced_paths(journey: Journey) -> set[tuple[str, ...]]:
    """The property paths a journey's conditions compare (to load their values)."""
    found = set()
    for path, cond in _conditions(journey):
        for _, match in _matches(cond, path):
            for pred in match.where:
                keys = property_path(pred.field)
                if keys is not None:
                    found.add(keys)
    return found


def _conditions(journey: Journey) -> Iterator[tuple[str, Condition]]:
    if journey.filter is not None:
        yield "filter", journey.filter
    for i, stage in enumerate(journey.stages):
        yield f"stages[{i}].when", stage.when
    for i, exclusion in enumerate(journey.exclusions):
        yield f"exclusions[{i}].when", exclusion.when
    if journey.exit_when is not None:
        yield "exit_when", journey.exit_when


def _matches(cond: Condition, path: str) -> Iterator[tuple[str, Match]]:
    """Every ``Match`` with its field path (``any[1]``, ``not`` …)."""
    if isinstance(cond, Match):
        yield path, cond
    elif isinstance(cond, Not):
        yield from _matches(cond.item, f"{path}.not")
    elif isinstance(cond, AnyOf | AllOf):
        key = "any" if isinstance(cond, AnyOf) else "all"
        for i, item in enumerate(cond.items):
            yield from _matches(item, f"{path}.{key}[{i}]")


def _match_warnings(match: Match, path: str, catalog: Catalog) -> Iterator[JourneyWarning]:
    types = [t for t in match.types or () if t in catalog.types]
    for name in match.types or ():
        if name not in catalog.types:
            hint = _did_you_mean(name, list(catalog.types))
            yield JourneyWarning(
                "unknown_type", f"{path}.type", f"no activity of type {name!r} was seen{hint}"
            )
    if match.types is not None and not types:
        return  # the type is the problem; its properties cannot be judged
    scope = types or list(catalog.types)
    for pred in match.where:
        keys = property_path(pred.field)
        if keys is not None:
            yield from _predicate_warnings(
                keys, pred.op, pred.value, scope, f"{path}.where.{pred.field}", catalog, match
            )


def _predicate_warnings(
    keys: tuple[str, ...],
    op: str,
    value: Any,
    scope: list[str],
    field: str,
    catalog: Catalog,
    match: Match,
) -> Iterator[JourneyWarning]:
    having = [t for t in scope if keys in catalog.paths.get(t, frozenset())]
    shown = format_path(keys)
    if not having:
        known = sorted({format_path(p) for t in scope for p in catalog.paths.get(t, ())})
        hint = _did_you_mean(shown, known)
        where = f"{_types_text(scope)} activity" if match.types is not None else "activity"
        yield JourneyWarning(
            "unknown_property", field, f"no {where} has a property {shown!r}{hint}"
        )
        return
    if op not in ("eq", "in"):
        return
    seen = [catalog.values.get((t, keys)) for t in having]
    if any(v is None for v in seen):
        return  # some type has too many values to know them all
    known_values = [v for values in seen for v in values or ()]
    keyed = {_key(v) for v in known_values}
    wanted = list(value) if isinstance(value, tuple) else [value]
    for v in wanted:
        if _key(v) in keyed:
            continue
        texts = sorted({str(k) for k in known_values if isinstance(k, str)})
        hint = _did_you_mean(str(v), texts) if isinstance(v, str) else ""
        of = f" of {_types_text(having)} activities" if match.types is not None else ""
        yield JourneyWarning(
            "unknown_value", field, f"{_show(v)} was never seen in {shown!r}{of}{hint}"
        )


def _time_warnings(
    journey: Journey, catalog: Catalog, options: ReportOptions | None
) -> Iterator[JourneyWarning]:
    start, end = catalog.first_seen, catalog.last_seen
    assert start is not None and end is not None
    span = f"the data runs from {_when(start)} to {_when(end)}"
    if options is not None and options.as_of < start:
        yield JourneyWarning(
            "outside_data", "as_of", f"{_when(options.as_of)} is before the data starts ({span})"
        )
    window: DateWindow | None = None
    name = "date_range"
    if options is not None and options.date_range is not None:
        window = options.date_range
    elif journey.date_range is not None:
        window = DateWindow(journey.date_range.start, journey.date_range.end)
    if window is None:
        return
    if window.end is not None and window.end < start:
        yield JourneyWarning("outside_data", name, f"it ends before the data starts ({span})")
    elif window.start is not None and window.start > end:
        yield JourneyWarning("outside_data", name, f"it starts after the data ends ({span})")


def _key(value: Any) -> tuple[str, Any]:
    """Values compare with their JSON types: true is not 1, "1" is not 1."""
    if isinstance(value, bool):
        return ("boolean", value)
    if isinstance(value, int | float):
        return ("number", value)
    return (type(value).__name__, value)


def _did_you_mean(word: str, options: list[str]) -> str:
    close = difflib.get_close_matches(word, options, n=3, cutoff=0.6)
    if not close:
        return ""
    shown = [repr(c) for c in close]
    listed = shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} or {shown[-1]}"
    return f"; did you mean {listed}?"


def _types_text(types: list[str]) -> str:
    return " or ".join(repr(t) for t in types)


def _show(value: Any) -> str:
    return repr(value) if isinstance(value, str) else json.dumps(value)


def _when(ts: datetime) -> str:
    return ts.isoformat(sep=" ", timespec="seconds")


__all__ = ["JourneyWarning", "journey_warnings", "referenced_paths"]
