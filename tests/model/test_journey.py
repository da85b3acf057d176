"""Parsing valid journeys: the DESIGN §4 example, defaults, dates, YAML rules, round trips."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from headway.errors import InvalidJourney, NotFound
from headway.model.condition import AllOf, AnyOf, Match, Not, Predicate
from headway.model.journey import (
    DateRange,
    Exclusion,
    Journey,
    Stage,
    journey_to_dict,
    load_journey_file,
    parse_journey,
)
from headway.model.journey_schema import journey_schema

DESIGN_EXAMPLE = """\
name: Lead nurturing
order: ordered            # ordered (default) | strict | unordered
window: 30d               # conversion window from entry; s, m, h, d, w units; default 14d
date_range: {from: 2025-01-01, to: 2025-03-31}   # optional, inclusive
filter: {where: {country: DE}}                    # optional; every activity must pass it first
stages:
  - name: Aware
    when: {type: page_visit}
  - name: Engaged
    when: {type: email_click, where: {email: welcome-1}}
  - name: Considering
    when: {any: [{type: page_visit, where: {url: {contains: /pricing}}},
                 {type: email_click, where: {link: {contains: pricing}}}]}
  - name: Sales contact
    when: {type: form_submission, where: {form: contact-sales}}
    first_time: false     # false | event | matching (see §5)
    kpi: 500              # optional target number of contacts for this stage
exclusions:
  - when: {type: email_unsubscribe}
    between: [Aware, Sales contact]
exit_when: {type: email_bounce, where: {bounce_type: hard}}
stall_after: 10d
"""


def test_design_example_parses_to_the_typed_model() -> None:
    j = parse_journey(DESIGN_EXAMPLE)
    assert j.name == "Lead nurturing" and j.order == "ordered"
    assert j.window_seconds == 30 * 86400 and j.stall_after_seconds == 10 * 86400
    assert j.date_range == DateRange(
        datetime(2025, 1, 1), datetime(2025, 3, 31, 23, 59, 59, 999999)
    )
    assert j.filter == Match(None, (Predicate("country", "eq", "DE"),))
    assert [s.name for s in j.stages] == ["Aware", "Engaged", "Considering", "Sales contact"]
    assert j.stages[1].when == Match(("email_click",), (Predicate("email", "eq", "welcome-1"),))
    assert j.stages[2].when == AnyOf(
        (
            Match(("page_visit",), (Predicate("url", "contains", "/pricing"),)),
            Match(("email_click",), (Predicate("link", "contains", "pricing"),)),
        )
    )
    assert j.stages[3] == Stage(
        "Sales contact",
        Match(("form_submission",), (Predicate("form", "eq", "contact-sales"),)),
        "false",
        500,
    )
    assert j.exclusions == (Exclusion(Match(("email_unsubscribe",)), 0, 3),)
    assert j.exit_when == Match(("email_bounce",), (Predicate("bounce_type", "eq", "hard"),))


def test_defaults() -> None:
    j = parse_journey({"name": "x", "stages": [{"name": "a", "when": {}}]})
    assert j == Journey("x", (Stage("a", Match()),))
    assert j.window_seconds == 14 * 86400 and j.order == "ordered" and j.date_range is None
    assert j.stall_after_seconds is None and j.exclusions == () and j.stages[0].kpi is None


def test_several_keys_in_one_condition_all_hold() -> None:
    when = {"type": "a", "where": {"n": {"gte": 1, "lt": 5}}, "not": {"type": "b"}, "any": [{}]}
    j = parse_journey({"name": "x", "stages": [{"name": "s", "when": when}]})
    rng = (Predicate("n", "gte", 1), Predicate("n", "lt", 5))
    assert j.stages[0].when == AllOf((Match(("a",), rng), AnyOf((Match(),)), Not(Match(("b",)))))


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("{from: 2025-01-01}", datetime(2025, 1, 1), None),
        ("{to: 2025-01-31}", None, datetime(2025, 1, 31, 23, 59, 59, 999999)),
        ("{to: '2025-01-31T12:00:00'}", None, datetime(2025, 1, 31, 12)),
        ("{from: '2025-01-01T10:00:00+02:00'}", datetime(2025, 1, 1, 8), None),
        ("{from: '2025-01-01 10:30Z'}", datetime(2025, 1, 1, 10, 30), None),
    ],
)
def test_date_range(text: str, start: datetime | None, end: datetime | None) -> None:
    j = parse_journey(f"name: x\ndate_range: {text}\nstages: [{{name: a, when: {{}}}}]\n")
    assert j.date_range == DateRange(start, end)


def test_yaml_follows_json_meanings() -> None:
    text = (
        "name: x\nstages:\n  - name: a\n    when: {where: {country: NO, on: yes, d: 2025-01-01}}\n"
    )
    where = parse_journey(text).stages[0].when
    assert isinstance(where, Match)
    assert [p.value for p in where.where] == ["NO", "yes", "2025-01-01"]


def test_first_time_values() -> None:
    for value, expected in [(False, "false"), ("false", "false"), ("event", "event")]:
        stage = {"name": "a", "when": {}, "first_time": value}
        assert parse_journey({"name": "x", "stages": [stage]}).stages[0].first_time == expected


def test_sixty_three_stages_are_allowed() -> None:
    stages = [{"name": f"s{i}", "when": {"type": "t"}} for i in range(63)]
    assert len(parse_journey({"name": "x", "stages": stages}).stages) == 63


def test_round_trip_of_the_design_example() -> None:
    j = parse_journey(DESIGN_EXAMPLE)
    canonical = journey_to_dict(j)
    assert canonical["window"] == "30d" and canonical["date_range"] == {
        "from": "2025-01-01",
        "to": "2025-03-31",
    }
    assert parse_journey(canonical) == j
    assert parse_journey(json.dumps(canonical)) == j
    assert journey_to_dict(parse_journey(canonical)) == canonical


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    schema = journey_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(journey_to_dict(parse_journey(DESIGN_EXAMPLE)), schema)


def test_load_journey_file(tmp_path: Path) -> None:
    (tmp_path / "j.yaml").write_text(DESIGN_EXAMPLE, encoding="utf-8")
    (tmp_path / "j.json").write_text(json.dumps(journey_to_dict(parse_journey(DESIGN_EXAMPLE))))
    assert load_journey_file(tmp_path / "j.yaml") == load_journey_file(tmp_path / "j.json")


@pytest.mark.parametrize(
    ("name", "content", "error", "message"),
    [
        ("missing.yaml", None, NotFound, "journey file {p} does not exist"),
        ("j.txt", "name: x", InvalidJourney, "{p}: a journey file ends in .yaml, .yml or .json"),
        ("bin.yaml", b"\xff\xfe\x00", InvalidJourney, "{p} is not UTF-8 text"),
        ("bad.json", "{'name': 1}", InvalidJourney, "{p}: line 1, column 2: "),
        ("bad.yml", "a: [", InvalidJourney, "{p}: line 2, column 1: "),
    ],
)
def test_load_journey_file_errors(
    tmp_path: Path, name: str, content: str | bytes | None, error: type, message: str
) -> None:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    with pytest.raises(error) as caught:
        load_journey_file(path)
    assert caught.value.message.startswith(message.format(p=path))


def test_a_byte_order_mark_is_ignored(tmp_path: Path) -> None:
    for name in ("bom.yaml", "bom.json"):
        text = (
            DESIGN_EXAMPLE
            if name.endswith("yaml")
            else json.dumps({"name": "x", "stages": [{"name": "a", "when": {}}]})
        )
        (tmp_path / name).write_text("\ufeff" + text, encoding="utf-8")
        assert load_journey_file(tmp_path / name).stages


def test_a_directory_is_not_a_journey_file(tmp_path: Path) -> None:
    (tmp_path / "d.yaml").mkdir()
    with pytest.raises(InvalidJourney, match="is a directory"):
        load_journey_file(tmp_path / "d.yaml")


names = st.text(alphabet="abcXY _-é", min_size=1, max_size=8)
values = st.one_of(st.text(max_size=5), st.integers(-9, 9), st.booleans(), st.floats(-2, 2))
predicates = st.tuples(
    st.sampled_from(["url", "a.b", "contact", "n"]),
    st.sampled_from(["eq", "neq", "contains", "gt", "exists", "in"]),
)


@st.composite
def journeys(draw: st.DrawFn) -> dict[str, object]:
    stage_names = draw(st.lists(names, min_size=1, max_size=4, unique=True))
    stages = []
    for name in stage_names:
        field, op = draw(predicates)
        value = {
            "eq": draw(values),
            "neq": draw(values),
            "contains": draw(st.text(max_size=4)),
            "gt": draw(st.integers(-5, 5)),
            "exists": draw(st.booleans()),
            "in": draw(st.lists(values, min_size=1, max_size=3)),
        }[op]
        if field == "contact":
            value = [str(v) for v in value] if op == "in" else str(value)
            op = "eq" if op in ("gt", "exists") else op
        when = {"type": draw(st.sampled_from(["a", "b"])), "where": {field: {op: value}}}
        stages.append(
            {"name": name, "when": when, "first_time": draw(st.sampled_from(["event", False]))}
        )
    window = f"{draw(st.integers(1, 400))}{draw(st.sampled_from('smhdw'))}"
    # Journey names have no outer white space (stage names may).
    name = draw(names.filter(lambda n: n == n.strip()))
    return {"name": name, "window": window, "order": "strict", "stages": stages}


@settings(max_examples=60, deadline=None)
@given(data=journeys())
def test_generated_journeys_round_trip(data: dict[str, object]) -> None:
    j = parse_journey(data)
    assert parse_journey(journey_to_dict(j)) == j
    assert parse_journey(json.dumps(journey_to_dict(j))) == j
