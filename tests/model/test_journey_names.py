"""Journey names every surface can address: no outer white space, not the editor's 'new'."""

from __future__ import annotations

import pytest

from headway.errors import InvalidJourney
from headway.model.journey import parse_journey


def definition(name: str) -> dict[str, object]:
    return {"name": name, "stages": [{"name": "A", "when": {"type": "page_visit"}}]}


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("Trial ", "name: must not start or end with white space"),
        ("\tTrial", "name: must not start or end with white space"),
        ("new", "name: 'new' is reserved (the dashboard's new-journey page)"),
    ],
)
def test_unaddressable_names_are_refused(name: str, reason: str) -> None:
    with pytest.raises(InvalidJourney) as err:
        parse_journey(definition(name))
    assert [str(d) for d in err.value.details] == [reason]


@pytest.mark.parametrize("name", ["New", "news", "Trial", "a b", "<script>alert(1)</script>"])
def test_other_names_are_kept_as_written(name: str) -> None:
    assert parse_journey(definition(name)).name == name
