"""A corpus of invalid journey definitions, each with the exact message it must give."""

from __future__ import annotations

import json

import pytest

from headway.errors import InvalidJourney
from headway.model.journey import parse_journey
from headway.model.journey_text import read_text

S = "stages:\n  - name: A\n    when: {type: page_visit}\n  - name: B\n    when: {type: email_click}\n"


def j(extra: str = "", stages: str = S, name: str = "name: J\n") -> str:
    """A valid two-stage journey with ``extra`` top-level lines."""
    return name + extra + stages


CORPUS: dict[str, tuple[str, str]] = {
    "unknown operator": (
        "name: J\nstages:\n  - {name: A, when: {type: a}}\n  - {name: B, when: {type: b}}\n  - name: C\n    when: {where: {url: {contain: x}}}\n",
        "stages[2].when.where.url: unknown operator 'contain' (did you mean 'contains'?)",
    ),
    "unknown between": (
        j("exclusions:\n  - when: {type: email_unsubscribe}\n    between: [A, Signup]\n"),
        "exclusions[0].between: no stage named 'Signup'",
    ),
    "close between": (
        j("exclusions:\n  - when: {type: email_unsubscribe}\n    between: [A, b]\n"),
        "exclusions[0].between: no stage named 'b' (did you mean 'B'?)",
    ),
    "between reversed": (
        j("exclusions:\n  - when: {type: x}\n    between: [B, A]\n"),
        "exclusions[0].between: stage 'B' must come before stage 'A'",
    ),
    "between same": (
        j("exclusions:\n  - when: {type: x}\n    between: [A, A]\n"),
        "exclusions[0].between: names stage 'A' twice",
    ),
    "between one": (
        j("exclusions:\n  - when: {type: x}\n    between: [A]\n"),
        "exclusions[0].between: needs two stage names, [from, to]",
    ),
    "bad window": (j("window: 10x\n"), "window: '10x' is not a duration (use s, m, h, d, w, y)"),
    "window number": (
        j("window: 30\n"),
        "window: 30 is not a duration (use s, m, h, d, w, y; e.g. '30d')",
    ),
    "zero window": (j("window: 0d\n"), "window: must be longer than 0s"),
    "bad stall": (
        j("stall_after: soon\n"),
        "stall_after: 'soon' is not a duration (use s, m, h, d, w, y)",
    ),
    "order typo": (j("order: orderd\n"), "order: unknown order 'orderd' (did you mean 'ordered'?)"),
    "order other": (
        j("order: random\n"),
        "order: unknown order 'random' (use ordered, strict, unordered)",
    ),
    "unknown top key": (j("widow: 30d\n"), "unknown key 'widow' (did you mean 'window'?)"),
    "missing stages": ("name: J\n", "missing required key 'stages'"),
    "missing name": (S, "missing required key 'name'"),
    "empty name": (j(name="name: ''\n"), "name: must not be empty"),
    "no stages": ("name: J\nstages: []\n", "stages: needs 1 to 63 stages (got 0)"),
    "stages not list": ("name: J\nstages: {name: A}\n", "stages: expected a list, got a mapping"),
    "stage missing when": (
        "name: J\nstages:\n  - name: A\n",
        "stages[0]: missing required key 'when'",
    ),
    "stage key typo": (
        "name: J\nstages:\n  - name: A\n    when: {type: a}\n    frist_time: event\n",
        "stages[0]: unknown key 'frist_time' (did you mean 'first_time'?)",
    ),
    "first_time bad": (
        "name: J\nstages:\n  - name: A\n    when: {type: a}\n    first_time: evnt\n",
        "stages[0].first_time: unknown first_time 'evnt' (did you mean 'event'?)",
    ),
    "first_time true": (
        "name: J\nstages:\n  - name: A\n    when: {type: a}\n    first_time: true\n",
        "stages[0].first_time: unknown first_time true (use false, event, matching)",
    ),
    "kpi zero": (
        "name: J\nstages:\n  - name: A\n    when: {type: a}\n    kpi: 0\n",
        "stages[0].kpi: must be at least 1",
    ),
    "kpi text": (
        "name: J\nstages:\n  - name: A\n    when: {type: a}\n    kpi: lots\n",
        "stages[0].kpi: expected a whole number, got a string",
    ),
    "duplicate stage": (
        "name: J\nstages:\n  - {name: A, when: {type: a}}\n  - {name: A, when: {type: b}}\n",
        "stages[1].name: stage name 'A' is already used by stages[0]",
    ),
    "condition key typo": (
        "name: J\nstages:\n  - {name: A, when: {typ: a}}\n",
        "stages[0].when: unknown condition key 'typ' (did you mean 'type'?)",
    ),
    "in not list": (
        "name: J\nstages:\n  - {name: A, when: {where: {form: {in: contact}}}}\n",
        "stages[0].when.where.form.in: expected a list, got a string",
    ),
    "in empty": (
        "name: J\nstages:\n  - {name: A, when: {where: {form: {in: []}}}}\n",
        "stages[0].when.where.form.in: needs a value",
    ),
    "lt list": (
        "name: J\nstages:\n  - {name: A, when: {where: {value: {lt: [ten]}}}}\n",
        "stages[0].when.where.value.lt: expected a number or a string, got a list",
    ),
    "gt bool": (
        "name: J\nstages:\n  - {name: A, when: {where: {value: {gt: true}}}}\n",
        "stages[0].when.where.value.gt: expected a number or a string, got true",
    ),
    "exists string": (
        "name: J\nstages:\n  - {name: A, when: {where: {url: {exists: yes}}}}\n",
        "stages[0].when.where.url.exists: expected true or false, got a string",
    ),
    "bad regex": (
        "name: J\nstages:\n  - {name: A, when: {where: {url: {regex: '[a-'}}}}\n",
        "stages[0].when.where.url.regex: does not compile in the engine's regex dialect (RE2): missing ]: [a- (in '[a-')",
    ),
    "contains number": (
        "name: J\nstages:\n  - {name: A, when: {where: {url: {contains: 5}}}}\n",
        "stages[0].when.where.url.contains: expected a string, got a whole number",
    ),
    "bare list": (
        "name: J\nstages:\n  - {name: A, when: {where: {form: [a, b]}}}\n",
        "stages[0].when.where.form: expected a value (string, number or boolean) or a mapping of operators, got a list (use {in: [...]} for a list of values)",
    ),
    "null value": (
        "name: J\nstages:\n  - {name: A, when: {where: {form: null}}}\n",
        "stages[0].when.where.form: expected a value (string, number or boolean) or a mapping of operators, got null (use {exists: false} for an absent property)",
    ),
    "empty ops": (
        "name: J\nstages:\n  - {name: A, when: {where: {form: {}}}}\n",
        "stages[0].when.where.form: needs at least one operator (eq, neq, in, not_in, contains, icontains, starts_with, regex, lt, lte, gt, gte, exists)",
    ),
    "bad property": (
        "name: J\nstages:\n  - {name: A, when: {where: {'context..url': x}}}\n",
        "stages[0].when.where: 'context..url' is not a property path: it has '..' at position 8 (a key is missing) (keys joined by '.'; a key that contains '.' or starts with '\"' is written in double quotes, e.g. context.\"page.url\")",
    ),
    "unclosed quote": (
        "name: J\nstages:\n  - {name: A, when: {where: {'context.\"page.url': x}}}\n",
        "stages[0].when.where: 'context.\"page.url' is not a property path: it has a quoted key at position 9 that is not a JSON string (Unterminated string starting at) (keys joined by '.'; a key that contains '.' or starts with '\"' is written in double quotes, e.g. context.\"page.url\")",
    ),
    "control character in a key": (
        'name: J\nstages:\n  - {name: A, when: {where: {"\\"a\\\\tb\\"": x}}}\n',
        "stages[0].when.where: '\"a\\\\tb\"' is not a property path: it has key 1 (\"a\\tb\") that contains a control character (U+0009) at position 2 (keys joined by '.'; a key that contains '.' or starts with '\"' is written in double quotes, e.g. context.\"page.url\")",
    ),
    "type with a control character": (
        'name: J\nstages:\n  - {name: A, when: {type: "page\\nview"}}\n',
        "stages[0].when.type: 'page\\nview' is not an activity type: contains a control character (U+000A) at position 5",
    ),
    "type too long": (
        f"name: J\nstages:\n  - {{name: A, when: {{type: {'x' * 201}}}}}\n",
        f"stages[0].when.type: '{'x' * 201}' is not an activity type: is longer than 200 characters (201)",
    ),
    "bot text": (
        "name: J\nstages:\n  - {name: A, when: {where: {bot: 'yes'}}}\n",
        "stages[0].when.where.bot: 'bot' is compared with true or false, got 'yes'",
    ),
    "source range": (
        "name: J\nstages:\n  - {name: A, when: {where: {source: {gt: 3}}}}\n",
        "stages[0].when.where.source: operator 'gt' does not apply to 'source' (use eq, neq, in, not_in, contains, icontains, starts_with, regex)",
    ),
    "any empty": (
        "name: J\nstages:\n  - {name: A, when: {any: []}}\n",
        "stages[0].when.any: needs at least one condition",
    ),
    "any not list": (
        "name: J\nstages:\n  - {name: A, when: {any: {type: a}}}\n",
        "stages[0].when.any: expected a list, got a mapping",
    ),
    "nested not typo": (
        "name: J\nstages:\n  - {name: A, when: {not: {where: {url: {startswith: x}}}}}\n",
        "stages[0].when.not.where.url: unknown operator 'startswith' (did you mean 'starts_with'?)",
    ),
    "type empty": (
        "name: J\nstages:\n  - {name: A, when: {type: []}}\n",
        "stages[0].when.type: needs an activity type",
    ),
    "type number": (
        "name: J\nstages:\n  - {name: A, when: {type: 5}}\n",
        "stages[0].when.type: expected a string or a list, got a whole number",
    ),
    "when string": (
        "name: J\nstages:\n  - {name: A, when: page_visit}\n",
        "stages[0].when: expected a mapping, got a string",
    ),
    "date bad": (
        j("date_range: {from: 2025-13-01}\n"),
        "date_range.from: '2025-13-01' is not a valid date (month must be in 1..12)",
    ),
    "date text": (
        j("date_range: {from: yesterday}\n"),
        "date_range.from: 'yesterday' is not a date (use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS)",
    ),
    "date reversed": (
        j("date_range: {from: 2025-03-01, to: 2025-01-01}\n"),
        "date_range: 'from' is after 'to'",
    ),
    "date key": (
        j("date_range: {start: 2025-01-01}\n"),
        "date_range: unknown key 'start' (use from, to)",
    ),
    "too many stages": (
        "name: J\nstages:\n"
        + "".join(f"  - {{name: S{i}, when: {{type: a}}}}\n" for i in range(64)),
        "stages: needs 1 to 63 stages (got 64)",
    ),
    "exit typo": (
        j("exit_when: {type: email_bounce, were: {bounce_type: hard}}\n"),
        "exit_when: unknown condition key 'were' (did you mean 'where'?)",
    ),
    "filter op": (
        j("filter: {where: {country: {equals: DE}}}\n"),
        "filter.where.country: unknown operator 'equals' (use eq, neq, in, not_in, contains, icontains, starts_with, regex, lt, lte, gt, gte, exists)",
    ),
    "yaml syntax": (
        "name: J\nstages:\n  - name: A\n   when: {type: a}\n",
        "line 4, column 4: did not find expected '-' indicator (not valid YAML)",
    ),
    "yaml unclosed": (
        "name: J\nstages: [\n",
        "line 3, column 1: did not find expected node content (not valid YAML)",
    ),
    "yaml dup": (
        "name: J\nname: K\nstages: []\n",
        "line 2, column 1: key 'name' appears twice in one mapping (not valid YAML)",
    ),
    "json syntax": (
        '{"name": "J", "stages": [}',
        "line 1, column 26: Expecting value (not valid JSON)",
    ),
    "not mapping": ("- a\n- b\n", "expected a mapping, got a list"),
    "empty doc": ("", "the journey definition is empty"),
    "tab indent": (
        "name: J\nstages:\n\t- name: A\n",
        "line 3, column 1: found character '\\t' that cannot start any token (not valid YAML)",
    ),
}


@pytest.mark.parametrize("name", list(CORPUS))
def test_invalid_definition_gives_exact_message(name: str) -> None:
    text, message = CORPUS[name]
    with pytest.raises(InvalidJourney) as caught:
        parse_journey(text)
    assert caught.value.message == message


def test_corpus_is_large_enough() -> None:
    assert len(CORPUS) >= 25


@pytest.mark.parametrize("name", list(CORPUS))
def test_json_text_gets_the_same_message(name: str) -> None:
    text, message = CORPUS[name]
    try:
        data = read_text(text)
    except InvalidJourney:
        return  # a YAML syntax error has no JSON twin
    if data is None or "line " in message or not isinstance(data, dict | list):
        return
    with pytest.raises(InvalidJourney) as caught:
        parse_journey(json.dumps(data), source_name="journey.json")
    assert caught.value.message == message


@pytest.mark.parametrize("name", list(CORPUS))
def test_every_problem_has_a_field_path_or_a_place(name: str) -> None:
    text, message = CORPUS[name]
    with pytest.raises(InvalidJourney) as caught:
        parse_journey(text)
    details = caught.value.details
    assert all(d.reason and "Traceback" not in d.reason for d in details)
    if details:
        assert message.startswith(str(details[0]))


def test_several_problems_are_all_reported() -> None:
    text = "name: J\nwidow: 1d\norder: up\nstages:\n  - {name: A, when: {typ: a}}\n"
    with pytest.raises(InvalidJourney) as caught:
        parse_journey(text)
    assert (
        caught.value.message == "unknown key 'widow' (did you mean 'window'?) (and 2 more problems)"
    )
    assert [str(d) for d in caught.value.details] == [
        "unknown key 'widow' (did you mean 'window'?)",
        "order: unknown order 'up' (use ordered, strict, unordered)",
        "stages[0].when: unknown condition key 'typ' (did you mean 'type'?)",
    ]
    assert caught.value.details[2].field == "stages[0].when"


@pytest.mark.parametrize(
    ("depth", "message"),
    [
        (40, "line 2, column 200: nested more than 32 levels deep (the limit)"),
        (
            100_000,
            "the journey definition is 700,038 bytes; the limit is 262,144 bytes (256 KiB)",
        ),
    ],
)
def test_absurd_nesting_is_an_error_not_a_crash(depth: int, message: str) -> None:
    text = "name: x\nstages: [{name: a, when: " + "{not: " * depth + "{}" + "}" * depth + "}]\n"
    with pytest.raises(InvalidJourney) as caught:
        parse_journey(text)
    assert caught.value.message == message


def test_deep_but_reasonable_nesting_is_fine() -> None:
    text = "name: x\nstages: [{name: a, when: " + "{not: " * 20 + "{}" + "}" * 20 + "}]\n"
    assert parse_journey(text).stages[0].name == "a"
