"""Fixtures of the condition tests: one small real activity log per module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from condition_log import ACTIVITIES, Runner, activity_table, run_condition

from headway.store import Store


@pytest.fixture(scope="module")
def activity_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """A store holding ACTIVITIES (shared by a module's tests; read only)."""
    path: Path = tmp_path_factory.mktemp("conditions") / "headway.duckdb"
    store = Store(path)
    store.append_activities(activity_table(ACTIVITIES))
    try:
        yield store
    finally:
        store.close()


@pytest.fixture(scope="module")
def matching(activity_store: Store) -> Runner:
    """``matching(cond) -> ids`` on the shared store."""
    return lambda cond: run_condition(activity_store, cond)
