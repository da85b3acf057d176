"""Fixtures every test suite shares: a real DuckDB file per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from headway.store import Store


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """Path of a fresh database file (not yet created)."""
    return tmp_path / "headway.duckdb"


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    """A real, empty Headway database on disk."""
    s = Store(db_path)
    try:
        yield s
    finally:
        s.close()
