"""The whole engine on each backend equals the pure-Python pipeline of DESIGN §4-§5
(``tests/engine/pipeline_reference``) on generated logs and journeys.

Spark runs a query per journey, so an example here is a batch: several generated cases share
one store (and one Parquet copy and SparkBackend), each case's contacts named ``c<i>-…`` and
its journey restricted to them by a ``contact starts_with`` filter — which the reference, run
on the case's own activities with the case's own journey, does not need. That filter changes
nothing a journey sees (filters apply before first_time, and it keeps whole contacts).
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from headway.engine.funnel.report import funnel_report
from headway.engine.kernel.run import match_journey
from headway.engine.options import ReportOptions
from headway.model.journey import parse_journey
from tests.backends.open_backend import opened
from tests.engine.pipeline_reference import Act, funnel
from tests.engine.test_pipeline_differential import T0, _store_with, activities, journeys

Case = tuple[list[Act], dict[str, Any], int]
# Examples x cases per example: Spark pays a job per journey, DuckDB is cheap.
EXAMPLES = {"duckdb": 15, "spark": 3}
CASES = 6


def cases() -> st.SearchStrategy[list[Case]]:
    """Independent (activities, journey, as_of minutes) cases for one store."""
    one = st.tuples(activities(), journeys(), st.integers(0, 40).map(lambda m: m * 10))
    return st.lists(one, min_size=CASES, max_size=CASES)


def renamed(i: int, acts: list[Act]) -> list[Act]:
    """Case ``i``'s activities with its own contact names and ids."""
    return [replace(a, id=f"c{i}-{a.id}", contact=f"c{i}-{a.contact}") for a in acts]


def restricted(i: int, data: dict[str, Any]) -> dict[str, Any]:
    """Case ``i``'s journey over its own contacts only."""
    own = {"where": {"contact": {"starts_with": f"c{i}-"}}}
    kept = data.get("filter")
    return data | {"filter": {"all": [own, kept]} if kept else own}


def write(path: Path, acts: list[Act]) -> None:
    """The activities in a new store."""
    _store_with(path, acts).close()


def check(backend_name: str, spark: Any, batch: list[Case]) -> None:
    """Every case's funnel on the backend equals the reference's."""
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "h.duckdb"
        write(db, [a for i, (acts, _, _) in enumerate(batch) for a in renamed(i, acts)])
        with opened(backend_name, db, Path(tmp), spark) as backend:
            for i, (acts, data, minutes) in enumerate(batch):
                as_of = T0 + timedelta(minutes=minutes)
                want = funnel(parse_journey(data), acts, as_of)
                journey = parse_journey(restricted(i, data))
                options = ReportOptions(as_of=as_of, date_range=None)
                report = funnel_report(match_journey(backend, journey, options))
                got = [(s.reached, s.dropped, s.in_progress, s.stalled) for s in report.stages]
                expected = [(s.reached, s.dropped, s.in_progress, s.stalled) for s in want]
                assert got == expected, f"case {i}: {json.dumps(data)} as of {as_of}"


def test_engine_equals_python_pipeline(backend_name: str, request: pytest.FixtureRequest) -> None:
    spark = request.getfixturevalue("spark") if backend_name == "spark" else None

    @settings(
        max_examples=EXAMPLES[backend_name],
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(cases())
    def run(batch: list[Case]) -> None:
        check(backend_name, spark, batch)

    run()
