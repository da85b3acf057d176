"""docs/demo.md documents every option of ``headway demo`` and every email of the world."""

from __future__ import annotations

from pathlib import Path

from headway.demo.campaigns import EMAILS, FORMS
from headway.demo.world import Behaviour, Effects

DOC = (Path(__file__).parents[2] / "docs" / "demo.md").read_text()


def test_every_option_is_documented() -> None:
    for option in ("--contacts", "--seed", "--force", "--no-effects"):
        assert f"`{option}" in DOC, option


def test_every_email_and_form_is_documented() -> None:
    for email in EMAILS:
        assert f"`{email.id}`" in DOC, email.id
    for form in FORMS:
        assert form in DOC, form


def test_the_planted_parameters_match_the_code() -> None:
    effects, b = Effects(), Behaviour()
    assert f"`{effects.unsubscribe_issue}`" in DOC
    assert f"**{effects.unsubscribe_factor:g}×**" in DOC
    assert f"{b.docs_purchase:.0%}".replace("%", " %") in DOC
    assert f"({b.apple_share:.0%})".replace("%", " %") in DOC
    assert "2025-06-30T00:00Z" in DOC
