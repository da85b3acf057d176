"""Every report on the demo world is the same on DuckDB and on Spark, field by field.

The world is what ``headway demo`` builds (20,000 contacts, seed 7); Spark reads it as
``headway export --format parquet`` writes it. Each report is computed through the same
``Headway`` API on both backends and compared field by field (dataclasses, mappings,
sequences, NumPy arrays, down to each number); a report a backend cannot run yet must say so
with ``NotOnBackend`` naming it, and is listed in ``NOT_ON_SPARK_YET``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pytest

from headway.api import Headway
from headway.demo import DemoConfig, build_demo
from headway.engine.email.queries import StatsQuery
from headway.engine.email.stats import email_stats
from headway.engine.email.suppression import suppressions
from headway.errors import NotOnBackend
from headway.store import Store

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
LEAD = ROOT / "examples" / "lead-nurturing.yaml"  # exclusion, exit, property conditions
ONBOARDING = ROOT / "examples" / "onboarding.yaml"  # first_time, stall_after
WEBINAR = ROOT / "examples" / "webinar-invite.yaml"
AS_OF = "2025-06-30"

Report = Callable[[Headway], Any]

# The reports, each as the API computes it. Every report of the issue is here: funnel (with
# outcomes and times per stage), the raw matches, trends, breakdowns, contact lists, drivers,
# stalls, attribution, email influence and rankings, email statistics, suppression.
REPORTS: dict[str, Report] = {
    **{
        f"funnel {p.stem}": (lambda hw, p=p: hw.funnel(p, as_of=AS_OF))  # type: ignore[misc]
        for p in EXAMPLES
    },
    **{
        f"match {p.stem}": (lambda hw, p=p: hw.match(p, as_of=AS_OF).result)  # type: ignore[misc]
        for p in (LEAD, ONBOARDING)
    },
    "funnel lead-nurturing date range": lambda hw: hw.funnel(
        LEAD, as_of=AS_OF, date_range=("2025-03-01", "2025-05-31")
    ),
    **{
        f"trends by {by}": (lambda hw, by=by: hw.trends(LEAD, by, as_of=AS_OF))  # type: ignore[misc]
        for by in ("day", "month")
    },
    **{
        f"breakdown by {by} ({touch})": (
            lambda hw, by=by, touch=touch: hw.breakdown(LEAD, by, touch=touch, as_of=AS_OF)  # type: ignore[misc]
        )
        for by, touch in (("url", "first"), ("utm_source", "last"), ("country", "contact"))
    },
    **{
        f"contacts {status}": (
            lambda hw, status=status: hw.contacts(ONBOARDING, 2, status, as_of=AS_OF)  # type: ignore[misc]
        )
        for status in ("dropped", "in_progress", "stalled")
    },
    "drivers": lambda hw: hw.drivers(WEBINAR, as_of=AS_OF),
    "stalls": lambda hw: hw.stalls(ONBOARDING, as_of=AS_OF),
    "attribution": lambda hw: hw.attribution(LEAD, as_of=AS_OF),
    "email influence": lambda hw: hw.email_influence("webinar-invite", WEBINAR, as_of=AS_OF),
    "email ranking by unsubscribes": lambda hw: hw.email_ranking(as_of=AS_OF),
    "email ranking by drop-off": lambda hw: hw.email_ranking(
        by="dropoff", journey=WEBINAR, as_of=AS_OF
    ),
    "email statistics": lambda hw: email_stats(hw.backend, StatsQuery()),
    "email statistics human by campaign": lambda hw: email_stats(
        hw.backend, StatsQuery(human=True, by="campaign")
    ),
    "email statistics human by week": lambda hw: email_stats(
        hw.backend, StatsQuery(human=True, by="week")
    ),
    "suppression": lambda hw: suppressions(hw.backend),
}

# Reports the Spark backend answers with NotOnBackend for now (the name it gives); a report
# that starts to run on Spark fails here ("DID NOT RAISE") until it is taken off the list.
NOT_ON_SPARK_YET: dict[str, str] = {"suppression": "the suppression list"}


@pytest.fixture(scope="module")
def demo_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo world in a DuckDB file and its Parquet export (``demo.duckdb``, ``parquet/``)."""
    root = tmp_path_factory.mktemp("demo-world")
    with Store(root / "demo.duckdb") as store:
        build_demo(store, DemoConfig())
        Headway(store).export(root / "parquet", "parquet")
    return root


@pytest.fixture(scope="module")
def on_both(demo_world: Path, spark: SparkSession) -> Iterator[tuple[Headway, Headway]]:
    """The same world on DuckDB and on Spark."""
    from headway.backends.spark.backend import SparkBackend

    with Store(demo_world / "demo.duckdb", read_only=True) as store:
        yield (
            Headway(store),
            Headway(backend=SparkBackend(spark, str(demo_world / "parquet"))),  # type: ignore[arg-type]
        )


def differences(a: Any, b: Any, path: str = "") -> Iterator[str]:
    """Where two results differ: one line per differing field, with its path."""
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        if type(a) is not type(b):
            yield f"{path}: {type(a).__name__} vs {type(b).__name__}"
            return
        for f in dataclasses.fields(a):
            yield from differences(getattr(a, f.name), getattr(b, f.name), f"{path}.{f.name}")
    elif isinstance(a, Mapping) and isinstance(b, Mapping):
        if list(a) != list(b):
            yield f"{path}: keys {list(a)} vs {list(b)}"
            return
        for k in a:
            yield from differences(a[k], b[k], f"{path}[{k!r}]")
    elif isinstance(a, list | tuple) and isinstance(b, list | tuple):
        if len(a) != len(b):
            yield f"{path}: {len(a)} items vs {len(b)}"
            return
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            yield from differences(x, y, f"{path}[{i}]")
    elif isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        if a.dtype != b.dtype or a.shape != b.shape:
            yield f"{path}: {a.dtype}{a.shape} vs {b.dtype}{b.shape}"
        elif a.dtype.kind in "fc":
            if not np.array_equal(a, b, equal_nan=True):
                yield f"{path}: arrays differ at {np.flatnonzero(~_same_floats(a, b))[:5]}"
        elif not np.array_equal(a, b):
            yield f"{path}: arrays differ at {np.flatnonzero((a != b).ravel())[:5]}"
    elif isinstance(a, pa.Table) and isinstance(b, pa.Table):
        yield from differences(a.to_pydict(), b.to_pydict(), path)
    elif isinstance(a, float) and isinstance(b, float):
        if not (a == b or (math.isnan(a) and math.isnan(b))):
            yield f"{path}: {a!r} vs {b!r}"
    elif type(a) is not type(b) and not (
        isinstance(a, datetime | date) and isinstance(b, datetime | date)
    ):
        yield f"{path}: {a!r} ({type(a).__name__}) vs {b!r} ({type(b).__name__})"
    elif a != b:
        yield f"{path}: {a!r} vs {b!r}"


def _same_floats(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return ((a == b) | (np.isnan(a) & np.isnan(b))).ravel()


@pytest.mark.slow
@pytest.mark.parametrize("report", list(REPORTS))
def test_report_is_the_same_on_both_backends(on_both: tuple[Headway, Headway], report: str) -> None:
    duckdb_hw, spark_hw = on_both
    want = REPORTS[report](duckdb_hw)
    if report in NOT_ON_SPARK_YET:
        with pytest.raises(NotOnBackend, match=f"{NOT_ON_SPARK_YET[report]}.*spark"):
            REPORTS[report](spark_hw)
        return
    got = REPORTS[report](spark_hw)
    found = list(differences(want, got, report))
    assert not found, "\n".join(found[:20])


def test_differences_finds_every_kind_of_difference() -> None:
    @dataclasses.dataclass
    class R:
        n: int
        xs: tuple[float, ...]
        arr: np.ndarray

    same = R(1, (0.5, math.nan), np.array([1, 2]))
    assert not list(differences(same, R(1, (0.5, math.nan), np.array([1, 2]))))
    assert list(differences(same, R(2, (0.5, math.nan), np.array([1, 2])))) == [".n: 1 vs 2"]
    assert list(differences(same, R(1, (0.5000001, math.nan), np.array([1, 2])))) == [
        ".xs[0]: 0.5 vs 0.5000001"
    ]
    assert list(differences(same, R(1, (0.5, math.nan), np.array([1, 3])))) == [
        ".arr: arrays differ at [1]"
    ]
    assert list(differences({"a": 1}, {"a": 1.0})) == ["['a']: 1 (int) vs 1.0 (float)"]
