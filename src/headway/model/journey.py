"""Journey definitions: the typed model, parsing (YAML, JSON or a mapping), and back.

``parse_journey`` validates against the one JSON Schema (``journey_schema()``), then makes
the checks a schema cannot (unique stage names, ``between`` names, regexes, durations) and
raises ``InvalidJourney`` whose details point at the place: ``stages[2].when.where.url: ...``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, cast

from headway.errors import Detail, InvalidJourney
from headway.model.condition import Condition, condition_to_dict, parse_condition
from headway.model.condition_values import check_regexes
from headway.model.duration import MAX_SECONDS, format_duration, parse_duration
from headway.model.journey_errors import invalid, problem, schema_problems, suggest
from headway.model.journey_limits import (
    MAX_DEFINITION_BYTES,
    check_size,
    check_structure,
    depth_reason,
    refuse,
    schema_view,
    too_large,
)
from headway.model.journey_text import read_text
from headway.model.journey_validator import schema_errors

DEFAULT_WINDOW_SECONDS = 14 * 86400
FirstTime = Literal["false", "event", "matching"]
Order = Literal["ordered", "strict", "unordered"]
_END_OF_DAY = timedelta(days=1, microseconds=-1)


@dataclass(frozen=True)
class DateRange:
    """Activities outside ``[start, end]`` (naive UTC datetimes, inclusive) are ignored."""

    start: datetime | None = None
    end: datetime | None = None


@dataclass(frozen=True)
class Stage:
    """One step of a journey: its name, its condition, first-time rule, target and note."""

    name: str
    when: Condition
    first_time: FirstTime = "false"
    kpi: int | None = None
    description: str | None = None


@dataclass(frozen=True)
class Exclusion:
    """An activity matching ``when`` between stages ``from_stage`` and ``to_stage`` (0-based)."""

    when: Condition
    from_stage: int
    to_stage: int


@dataclass(frozen=True)
class Journey:
    """A validated journey definition."""

    name: str
    stages: tuple[Stage, ...]
    order: Order = "ordered"
    window_seconds: int = DEFAULT_WINDOW_SECONDS
    date_range: DateRange | None = None
    filter: Condition | None = None
    exclusions: tuple[Exclusion, ...] = ()
    exit_when: Condition | None = None
    stall_after_seconds: int | None = None
    description: str | None = None

    def stage_index(self, name: str) -> int:
        """0-based index of the stage called ``name`` (ValueError when absent)."""
        for i, stage in enumerate(self.stages):
            if stage.name == name:
                return i
        raise ValueError(name)


def parse_journey(source: str | Mapping[str, Any], *, source_name: str | None = None) -> Journey:
    """A validated Journey from YAML/JSON text or a parsed mapping; InvalidJourney if not."""
    try:
        return _parse(source, source_name)
    except RecursionError:
        raise InvalidJourney(f"the journey definition is {depth_reason()}") from None


def _parse(source: str | Mapping[str, Any], source_name: str | None) -> Journey:
    if isinstance(source, str):
        check_size(source, source_name)  # before any parsing (docs/journeys.md, "Limits")
    data = read_text(source, source_name) if isinstance(source, str) else source
    if data is None:
        raise InvalidJourney("the journey definition is empty")
    if isinstance(data, Mapping) and not isinstance(data, dict):
        data = dict(data)
    odd = check_structure(data)  # depth, sizes and counts, in one linear walk
    checked = schema_view(data) if odd else data  # NaN, lone surrogates: said below
    details = schema_problems(schema_errors(checked), checked)
    if details:
        raise invalid(details)
    data = cast(Mapping[str, Any], data)
    check_regexes(data)  # every regex in one round trip to the engine (model/condition_values)
    problems: list[Detail] = []
    journey = _build(data, problems)
    if problems:
        raise invalid(problems)
    return journey


# The dashboard's page for a new journey is /journeys/new: no journey can be called that.
RESERVED_NAMES = ("new",)


def _check_name(name: str, problems: list[Detail]) -> None:
    if name != name.strip():
        problems.append(problem("name", "must not start or end with white space"))
    elif name in RESERVED_NAMES:
        problems.append(problem("name", f"{name!r} is reserved (the dashboard's new-journey page)"))


def _build(data: Mapping[str, Any], problems: list[Detail]) -> Journey:
    _check_name(data["name"], problems)
    stages = tuple(_stage(s, f"stages[{i}]", problems) for i, s in enumerate(data["stages"]))
    _check_unique(stages, problems)
    names = [s.name for s in stages]
    return Journey(
        name=data["name"],
        stages=stages,
        order=data.get("order", "ordered"),
        window_seconds=_duration(data, "window", problems) or DEFAULT_WINDOW_SECONDS,
        date_range=_date_range(data.get("date_range"), problems),
        filter=_optional_condition(data, "filter", problems),
        exclusions=tuple(
            _exclusion(e, f"exclusions[{i}]", names, problems)
            for i, e in enumerate(data.get("exclusions", []))
        ),
        exit_when=_optional_condition(data, "exit_when", problems),
        stall_after_seconds=_duration(data, "stall_after", problems),
        description=data.get("description"),
    )


def _stage(data: Mapping[str, Any], path: str, problems: list[Detail]) -> Stage:
    first_time = data.get("first_time", "false")
    return Stage(
        name=data["name"],
        when=parse_condition(data["when"], f"{path}.when", problems),
        first_time="false" if first_time is False else first_time,
        kpi=data.get("kpi"),
        description=data.get("description"),
    )


def _check_unique(stages: tuple[Stage, ...], problems: list[Detail]) -> None:
    seen: dict[str, int] = {}
    for i, stage in enumerate(stages):
        if stage.name in seen:
            reason = f"stage name {stage.name!r} is already used by stages[{seen[stage.name]}]"
            problems.append(problem(f"stages[{i}].name", reason))
        seen.setdefault(stage.name, i)


def _exclusion(
    data: Mapping[str, Any], path: str, names: list[str], problems: list[Detail]
) -> Exclusion:
    when = parse_condition(data["when"], f"{path}.when", problems)
    indexes = []
    for name in data["between"]:
        if name in names:
            indexes.append(names.index(name))
        else:
            problems.append(
                problem(f"{path}.between", f"no stage named {name!r}{suggest(name, names)}")
            )
            indexes.append(-1)
    start, end = indexes
    if start >= 0 and start == end:
        problems.append(problem(f"{path}.between", f"names stage {names[start]!r} twice"))
    elif start >= 0 and end >= 0 and start > end:
        reason = f"stage {names[start]!r} must come before stage {names[end]!r}"
        problems.append(problem(f"{path}.between", reason))
    return Exclusion(when, start, end)


def _optional_condition(
    data: Mapping[str, Any], key: str, problems: list[Detail]
) -> Condition | None:
    return parse_condition(data[key], key, problems) if key in data else None


def _duration(data: Mapping[str, Any], key: str, problems: list[Detail]) -> int | None:
    if key not in data:
        return None
    seconds = parse_duration(data[key])
    if seconds <= 0:
        problems.append(problem(key, "must be longer than 0s"))
    elif seconds > MAX_SECONDS:
        reason = f"must be at most {format_duration(MAX_SECONDS)} (10006y already covers"
        problems.append(problem(key, reason + " every date from year 1 to 9999)"))
    return seconds


def _date_range(data: Mapping[str, Any] | None, problems: list[Detail]) -> DateRange | None:
    if data is None:
        return None
    start = _datetime(data.get("from"), "date_range.from", problems, end_of_day=False)
    end = _datetime(data.get("to"), "date_range.to", problems, end_of_day=True)
    if start is not None and end is not None and start > end:
        problems.append(problem("date_range", "'from' is after 'to'"))
    return DateRange(start, end)


def _datetime(
    text: str | None, path: str, problems: list[Detail], *, end_of_day: bool
) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError as err:
        problems.append(problem(path, f"{text!r} is not a valid date ({err})"))
        return None
    try:
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
    except OverflowError:  # e.g. 0001-01-01T00:00+05:00 is before year 1 in UTC
        problems.append(problem(path, f"{text!r} is out of the range of dates"))
        return None
    if end_of_day and len(text) == 10:
        # A date-only end means the whole of that day.
        value += _END_OF_DAY
    return value


def journey_to_dict(journey: Journey) -> dict[str, Any]:
    """The canonical definition mapping (``parse_journey`` gives the same Journey back)."""
    out: dict[str, Any] = {"name": journey.name}
    if journey.description is not None:
        out["description"] = journey.description
    out["order"] = journey.order
    out["window"] = format_duration(journey.window_seconds)
    if journey.date_range is not None:
        out["date_range"] = _date_range_to_dict(journey.date_range)
    if journey.filter is not None:
        out["filter"] = condition_to_dict(journey.filter)
    out["stages"] = [_stage_to_dict(s) for s in journey.stages]
    if journey.exclusions:
        out["exclusions"] = [_exclusion_to_dict(e, journey) for e in journey.exclusions]
    if journey.exit_when is not None:
        out["exit_when"] = condition_to_dict(journey.exit_when)
    if journey.stall_after_seconds is not None:
        out["stall_after"] = format_duration(journey.stall_after_seconds)
    return out


def _stage_to_dict(stage: Stage) -> dict[str, Any]:
    out: dict[str, Any] = {"name": stage.name}
    if stage.description is not None:
        out["description"] = stage.description
    out["when"] = condition_to_dict(stage.when)
    if stage.first_time != "false":
        out["first_time"] = stage.first_time
    if stage.kpi is not None:
        out["kpi"] = stage.kpi
    return out


def _exclusion_to_dict(exclusion: Exclusion, journey: Journey) -> dict[str, Any]:
    names = [journey.stages[exclusion.from_stage].name, journey.stages[exclusion.to_stage].name]
    return {"when": condition_to_dict(exclusion.when), "between": names}


def _date_range_to_dict(dr: DateRange) -> dict[str, str]:
    out = {}
    if dr.start is not None:
        midnight = dr.start.time() == datetime.min.time()
        out["from"] = dr.start.date().isoformat() if midnight else dr.start.isoformat()
    if dr.end is not None:
        last = dr.end.time() == datetime.max.time()  # 23:59:59.999999 (no +1µs: 9999-12-31)
        out["to"] = dr.end.date().isoformat() if last else dr.end.isoformat()
    return out


def load_journey_file(path: str | Path) -> Journey:
    """Parse a .yaml/.yml/.json journey file; NotFound/InvalidJourney with a clear message."""
    from headway.errors import NotFound

    p = Path(path)
    if p.suffix.lower() not in (".yaml", ".yml", ".json"):
        raise InvalidJourney(f"{p}: a journey file ends in .yaml, .yml or .json")
    try:
        size = p.stat().st_size
        if size > MAX_DEFINITION_BYTES + 3:  # refused unread (+3: a UTF-8 BOM is not counted)
            raise refuse(f"{p}: {too_large(size)}")
        text = p.read_text(encoding="utf-8-sig")  # a BOM is not part of the definition
    except FileNotFoundError:
        raise NotFound(f"journey file {p} does not exist") from None
    except IsADirectoryError:
        raise InvalidJourney(f"{p} is a directory, not a journey file") from None
    except UnicodeDecodeError:
        raise InvalidJourney(f"{p} is not UTF-8 text") from None
    except OSError as err:
        raise InvalidJourney(f"cannot read {p}: {err.strerror}") from None
    return parse_journey(text, source_name=str(p))
