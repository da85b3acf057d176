"""docs/journeys.md keeps its promises: examples parse, every operator and key is documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from headway.errors import InvalidJourney
from headway.model.journey import parse_journey
from headway.model.journey_schema import OPERATORS, journey_schema

DOC = (Path(__file__).parents[2] / "docs" / "journeys.md").read_text(encoding="utf-8")


def test_first_example_is_a_valid_journey() -> None:
    example = re.search(r"```yaml\n(.*?)```", DOC, re.S)
    assert example is not None
    journey = parse_journey(example.group(1))
    assert journey.name == "Lead nurturing" and len(journey.stages) == 4


@pytest.mark.parametrize("operator", OPERATORS)
def test_every_operator_has_a_documented_example(operator: str) -> None:
    rows = [line for line in DOC.splitlines() if line.startswith(f"| `{operator}`")]
    rows += [line for line in DOC.splitlines() if line.startswith("| `lt`, `lte`, `gt`, `gte`")]
    row = next(r for r in rows if f"`{operator}`" in r)
    example = re.search(r"\| `(\{.*?\})` \|", row)
    assert example is not None, row
    parse_journey(f"name: x\nstages: [{{name: a, when: {{where: {example.group(1)}}}}}]\n")


@pytest.mark.parametrize("key", sorted(journey_schema()["properties"]))
def test_every_top_level_key_is_documented(key: str) -> None:
    assert f"| `{key}`" in DOC


def test_documented_error_messages_are_real() -> None:
    inputs = {
        "exclusions[0].between: no stage named 'Signup'": "name: x\nstages: [{name: a, when: {}}]\n"
        "exclusions: [{when: {}, between: [a, Signup]}]\n",
        "stages[1].name: stage name 'Aware' is already used by stages[0]": "name: x\n"
        "stages: [{name: Aware, when: {}}, {name: Aware, when: {}}]\n",
        "date_range.to: '2025-02-30' is not a valid date (day is out of range for month)": (
            "name: x\ndate_range: {to: 2025-02-30}\nstages: [{name: a, when: {}}]\n"
        ),
    }
    for message, text in inputs.items():
        assert message in DOC
        with pytest.raises(InvalidJourney) as caught:
            parse_journey(text)
        assert caught.value.message == message
