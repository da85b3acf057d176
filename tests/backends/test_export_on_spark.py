"""Spark reads ``headway export``'s tables as they are: Parquet and Delta give, contact by
contact, the DuckDB backend's result on the store they came from (identity merges included)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

import headway
from headway.demo import DemoConfig, build_demo
from headway.store import Store, identities
from tests.backends.spark_driver import contact_results

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

JOURNEY = Path(__file__).resolve().parents[2] / "examples" / "onboarding.yaml"
AS_OF = "2025-06-30T23:59:59Z"


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo store where one contact's activities count for another (a merge)."""
    db = tmp_path_factory.mktemp("export-on-spark") / "world.duckdb"
    with Store(db) as store:
        build_demo(store, DemoConfig(contacts=400, seed=5))
        first, second = (
            r[0] for r in store.execute("SELECT id FROM contacts ORDER BY key LIMIT 2")
        )
        identities.merge(store, second, first)
    return db


@pytest.mark.parametrize("fmt", ["parquet", "delta"])
def test_spark_on_the_export_equals_duckdb(
    spark: SparkSession, store_path: Path, tmp_path: Path, fmt: str
) -> None:
    with headway.open(store_path, read_only=True) as hw:
        hw.export(tmp_path / "lake", fmt, buckets=3)
        want = contact_results(hw, hw.match(JOURNEY, as_of=AS_OF))
    on_spark = headway.open(spark=spark, source=tmp_path / "lake")
    got = contact_results(on_spark, on_spark.match(JOURNEY, as_of=AS_OF))
    assert want.num_rows > 100
    assert got.equals(want)
