"""DESIGN §5 funnel semantics on every backend: the timeline tests of
``tests/engine/test_semantics.py``, the same bodies, run through ``match_journey`` on DuckDB
and on a real local Spark (conditions rendered per dialect, the kernel on contact batches)."""

from __future__ import annotations

import pytest

from tests.backends.backend_timelines import BackendTimelines
from tests.engine.test_semantics import *  # noqa: F403  (the same test bodies)


@pytest.fixture
def impl(backend_name: str, request: pytest.FixtureRequest) -> BackendTimelines:
    """The backend in place of the kernel (Spark's session only when it is the backend)."""
    spark = request.getfixturevalue("spark") if backend_name == "spark" else None
    return BackendTimelines(backend_name, spark)
