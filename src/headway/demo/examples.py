"""The demo world's example journeys (YAML files shipped in the package, linked as examples/)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from headway.model.journey import parse_journey
from headway.store import Store
from headway.store.journeys import save_journey

JOURNEYS_DIR = Path(str(resources.files("headway.demo") / "journeys"))


def example_files() -> list[Path]:
    """The example journey files, by file name."""
    return sorted(JOURNEYS_DIR.glob("*.yaml"))


def save_examples(store: Store) -> list[str]:
    """Store every example journey (a new version only when it changed); their names."""
    names = []
    for path in example_files():
        text = path.read_text(encoding="utf-8")
        journey = parse_journey(text, source_name=path.name)
        save_journey(store, journey, text)
        names.append(journey.name)
    return names
