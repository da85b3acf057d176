"""Reports on the backend contract (#15), on a real local Spark.

The email diagnostics (rankings, influence, engagement per stage, stage at delivery) are
query trees over ``activity_log`` and the type dictionary: they give the same answers on the
DuckDB store and on its Parquet copy read by Spark. The reports that read the DuckDB store's
own relations (catalogue, suppression state) answer ``NotOnBackend`` naming the report and
the backend on Spark, and journey warnings say they went unchecked. Email statistics read the
email registry, which ``headway export`` writes beside the log: the same on both backends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from headway.api import Headway, options
from headway.backends.base import Backend
from headway.backends.duckdb import DuckDBBackend
from headway.engine.catalog import discovery
from headway.engine.catalog.journey_warnings import JourneyWarning
from headway.engine.diagnostics.email_influence import email_influence
from headway.engine.diagnostics.email_journeys import email_stages, journey_engagement
from headway.engine.diagnostics.email_rankings import email_ranking
from headway.engine.email.queries import StatsQuery
from headway.engine.email.stats import email_stats
from headway.engine.email.suppression import suppressions
from headway.engine.kernel.run import match_journey
from headway.errors import NotOnBackend
from headway.model.journey import parse_journey
from headway.store import Store
from tests.backends.open_backend import parquet_copy, spark_backend
from tests.engine.test_email_influence import AS_OF, JOURNEY, world

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


@pytest.fixture(scope="module")
def world_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hand-made email world of tests/engine/test_email_influence.py as a store."""
    db = tmp_path_factory.mktemp("contract") / "world.duckdb"
    with Store(db) as store:
        world(store)
    return db


@pytest.fixture(scope="module")
def on_duckdb(world_db: Path) -> Iterator[Backend]:
    with Store(world_db, read_only=True) as store:
        yield DuckDBBackend(store)


@pytest.fixture(scope="module")
def on_spark(
    world_db: Path, spark: SparkSession, tmp_path_factory: pytest.TempPathFactory
) -> Backend:
    return spark_backend(spark, parquet_copy(world_db, tmp_path_factory.mktemp("parquet")))


def diagnostics(backend: Backend) -> dict[str, Any]:
    """Every email diagnostic of the world on one backend, JSON-ready."""
    journey = parse_journey(JOURNEY)
    opts = options(AS_OF)
    matched = match_journey(backend, journey, opts)
    return {
        "ranking": email_ranking(backend, opts).to_dict(),
        "dropoff": email_ranking(
            backend, opts, journey=journey, by="dropoff", matcher=lambda j, o: matched
        ).to_dict(),
        "influence": email_influence(
            backend, journey, opts, "n1", matcher=lambda j, o: matched
        ).to_dict(),
        "influence_all": email_influence(
            backend, journey, opts, "n1", days=1, human=False, matcher=lambda j, o: matched
        ).to_dict(),
        "engagement": journey_engagement(backend, matched).to_dict(),
        "stages": email_stages(backend, matched, "n1").to_dict(),
    }


@pytest.mark.slow
def test_email_diagnostics_are_the_same_on_spark(on_duckdb: Backend, on_spark: Backend) -> None:
    on_d, on_s = diagnostics(on_duckdb), diagnostics(on_spark)
    assert on_d["ranking"]["emails"], "the world must rank something"
    assert on_d["influence"]["stages"], "the world must show some influence"
    for name in on_d:
        assert on_s[name] == on_d[name], name


STORE_ONLY: list[tuple[str, Callable[[Backend], object]]] = [
    ("the suppression list", lambda b: suppressions(b)),
    ("discovery of activity types", lambda b: discovery.activity_types(b)),
    ("discovery of properties", lambda b: discovery.properties(b)),
    ("the catalogue behind journey warnings", lambda b: discovery.catalog_for(b)),
]


@pytest.mark.parametrize(("report", "run"), STORE_ONLY, ids=[r for r, _ in STORE_ONLY])
def test_store_only_reports_say_they_are_not_on_spark_yet(
    report: str, run: Callable[[Backend], object], on_duckdb: Backend, on_spark: Backend
) -> None:
    run(on_duckdb)  # runs on the store
    with pytest.raises(NotOnBackend) as caught:
        run(on_spark)
    err = caught.value
    assert err.message == f"{report} cannot run on the spark backend yet"
    assert err.code == "not_on_backend" and err.http_status == 422
    assert err.details and all("the spark backend has no" in d.reason for d in err.details)


@pytest.mark.parametrize(
    "query",
    [StatsQuery(), StatsQuery(human=True, by="week"), StatsQuery(by="campaign")],
    ids=["all by email", "human by week", "all by campaign"],
)
def test_email_statistics_are_the_same_on_spark(
    query: StatsQuery, on_duckdb: Backend, on_spark: Backend
) -> None:
    want = email_stats(on_duckdb, query).to_dict()
    assert want["rows"] and want["total"]["opens"], "the world must have email activity"
    assert email_stats(on_spark, query).to_dict() == want


def test_email_statistics_need_the_exported_registry(
    on_spark: Backend, world_db: Path, spark: SparkSession, tmp_path: Path
) -> None:
    """An export carries the registry; a bare activity table has none: NotOnBackend."""
    assert on_spark.relations == {"emails", "email_links"}
    bare = spark_backend(spark, parquet_copy(world_db, tmp_path / "export") / "activities")
    assert "emails" not in bare.relations
    with pytest.raises(NotOnBackend, match="email statistics cannot run on the spark backend"):
        email_stats(bare)


def test_journey_warnings_say_they_went_unchecked_on_spark(
    on_duckdb: Backend, on_spark: Backend
) -> None:
    assert Headway(backend=on_duckdb).warnings(JOURNEY) == []
    assert Headway(backend=on_spark).warnings(JOURNEY) == [
        JourneyWarning(
            "not_checked",
            None,
            "the catalogue behind journey warnings cannot run on the spark backend yet",
        )
    ]
