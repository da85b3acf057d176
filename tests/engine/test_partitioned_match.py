"""A journey matched on a DuckDB store split into many partitions of contacts (a tiny memory
budget) gives exactly the result of one partition: every order mode, exclusions, exits,
first_time stages, filters, date ranges and extra columns (generated logs and journeys)."""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from headway.api import Headway
from headway.backends import duckdb_partitions
from headway.backends.duckdb import DuckDBBackend
from headway.engine.funnel.breakdowns import property_expression
from headway.engine.kernel.inputs import match_query
from headway.engine.kernel.match_kernel import MatchKernel
from headway.engine.kernel.run import match_journey, match_spec
from headway.engine.options import ReportOptions
from headway.model.journey import parse_journey
from tests.engine.pipeline_reference import Act
from tests.engine.test_pipeline_differential import T0, _store_with, activities, journeys

TINY = 500  # bytes: a few rows per partition


def _check(acts: list[Act], data: dict[str, Any], as_of_minutes: int) -> None:
    journey = parse_journey(data)
    options = ReportOptions(as_of=T0 + timedelta(minutes=as_of_minutes))
    with tempfile.TemporaryDirectory() as tmp, _store_with(Path(tmp) / "h.duckdb", acts) as store:
        whole, split = DuckDBBackend(store), DuckDBBackend(store, memory_budget=TINY)
        extras = {"url": property_expression("url", whole.sql)}
        one = match_journey(whole, journey, options, extras)
        many = match_journey(split, journey, options, extras)
        assert many.result.equals(one.result)
        assert np.array_equal(many.extras["url"], one.extras["url"])
        report = Headway(store, backend=split).funnel(journey, as_of=options.as_of)
        want = Headway(store, backend=whole).funnel(journey, as_of=options.as_of)
        assert report.to_dict() == want.to_dict()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(activities(), journeys(), st.integers(0, 40).map(lambda m: m * 10))
def test_partitions_equal_one_partition(acts: list[Act], data: dict[str, Any], as_of: int) -> None:
    _check(acts, data, as_of)


def test_a_tiny_budget_makes_many_partitions() -> None:
    acts = [
        Act(id=f"x{i}", contact=c, type="page_visit", ts=T0 + timedelta(minutes=i), properties={})
        for i, c in enumerate("abcdefabcdef")
    ]
    journey = parse_journey(
        {"name": "j", "window": "1h", "stages": [{"name": "S0", "when": {"type": "page_visit"}}]}
    )
    options = ReportOptions(as_of=T0 + timedelta(days=1))
    with tempfile.TemporaryDirectory() as tmp, _store_with(Path(tmp) / "h.duckdb", acts) as store:
        backend = DuckDBBackend(store, memory_budget=TINY)
        kernel = MatchKernel(match_spec(journey))
        query = match_query(journey, backend.type_codes(), options, sql=backend.sql)
        tables = list(backend.map_contacts(query, "contact_key", kernel, kernel.schema))
        assert len(tables) > 1
        assert sum(t.num_rows for t in tables) == 6
        assert store.memory_limit == duckdb_partitions.duckdb_share(TINY)


def test_plan_fits_the_budget() -> None:
    gib = 1024**3
    chosen = duckdb_partitions.plan(2 * gib)
    used = duckdb_partitions.BASE_BYTES + chosen.duckdb_bytes
    used += chosen.partition_rows * duckdb_partitions.BYTES_PER_ROW
    assert used <= 2 * gib
    assert duckdb_partitions.fine_partitions(100_000_000, chosen.partition_rows) > 1
    assert duckdb_partitions.fine_partitions(0, chosen.partition_rows) == 1
