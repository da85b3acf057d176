"""Demo worlds shared by the demo tests: built once per session, opened read-only."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from headway.demo import NO_EFFECTS, DemoConfig, build_demo
from headway.store import Store

Builder = Callable[[DemoConfig], Path]


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Builder:
    """A function building (once per config) a demo database and returning its path."""
    built: dict[DemoConfig, Path] = {}

    def build(config: DemoConfig) -> Path:
        if config not in built:
            path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
            with Store(path) as store:
                build_demo(store, config)
            built[config] = path
        return built[config]

    return build


@pytest.fixture(scope="session")
def world(demo_db: Builder) -> Iterator[Store]:
    """A 10,000-contact demo world with the planted effects."""
    with Store(demo_db(DemoConfig(contacts=10_000, seed=11)), read_only=True) as store:
        yield store


@pytest.fixture(scope="session")
def plain_world(demo_db: Builder) -> Iterator[Store]:
    """The same world without planted effects (1) and (2)."""
    config = DemoConfig(contacts=10_000, seed=11, effects=NO_EFFECTS)
    with Store(demo_db(config), read_only=True) as store:
        yield store
