"""A journey matched on a DuckDB store split into many partitions of contacts (a tiny memory
budget) gives exactly the result of one partition: every order mode, exclusions, exits,
first_time stages, filters, date ranges and extra columns (generated logs and journeys)."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
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
from headway.model.journey import Journey, parse_journey
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


def _six_contacts() -> tuple[list[Act], Journey, ReportOptions]:
    """Twelve visits of six contacts and a one-stage journey over them."""
    acts = [
        Act(id=f"x{i}", contact=c, type="page_visit", ts=T0 + timedelta(minutes=i), properties={})
        for i, c in enumerate("abcdefabcdef")
    ]
    journey = parse_journey(
        {"name": "j", "window": "1h", "stages": [{"name": "S0", "when": {"type": "page_visit"}}]}
    )
    return acts, journey, ReportOptions(as_of=T0 + timedelta(days=1))


def test_a_tiny_budget_makes_many_partitions() -> None:
    acts, journey, options = _six_contacts()
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
    per_row = duckdb_partitions.BYTES_PER_ROW + duckdb_partitions.AHEAD_BYTES_PER_ROW
    used += chosen.partition_rows * per_row
    assert used <= 2 * gib
    assert duckdb_partitions.fine_partitions(100_000_000, chosen.partition_rows) > 1
    assert duckdb_partitions.fine_partitions(0, chosen.partition_rows) == 1


def test_the_next_partition_is_read_while_the_kernel_matches(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The kernel loads (``preload``) once, before its first call, and each kernel call but
    the last finds the next partition's query already begun: the kernel waits for it, so a
    backend reading only after the kernel returned would fail here. Same tables either way."""
    acts, journey, options = _six_contacts()
    events: list[str] = []
    real_read = duckdb_partitions._read

    def read(*args: Any) -> pa.Table:
        events.append("read")
        return real_read(*args)

    with tempfile.TemporaryDirectory() as tmp, _store_with(Path(tmp) / "h.duckdb", acts) as store:
        backend = DuckDBBackend(store, memory_budget=TINY)
        kernel = MatchKernel(match_spec(journey))
        query = match_query(journey, backend.type_codes(), options, sql=backend.sql)
        want = list(backend.map_contacts(query, "contact_key", kernel, kernel.schema))

        class Probe:
            def preload(self) -> None:
                events.append("preload")

            def __call__(self, batch: pa.Table) -> pa.Table:
                calls = events.count("kernel") + 1
                if calls < len(want):
                    assert wait_for(lambda: events.count("read") > calls)
                events.append("kernel")
                return kernel(batch)

        monkeypatch.setattr(duckdb_partitions, "_read", read)
        tables = list(backend.map_contacts(query, "contact_key", Probe(), kernel.schema))
    assert len(tables) == len(want) > 2
    assert all(t.equals(w) for t, w in zip(tables, want, strict=True))
    assert events.count("preload") == 1 and events.index("preload") < events.index("kernel")
    assert events.count("kernel") == events.count("read") == len(tables)


def wait_for(test: Callable[[], bool], seconds: float = 30.0) -> bool:
    """Whether ``test`` holds within ``seconds`` (polled): a guard against a hang, not a timing."""
    deadline = time.monotonic() + seconds
    while not test():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.001)
    return True
