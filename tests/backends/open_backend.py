"""A Headway store opened on a backend: DuckDB on the file itself, Spark on its Parquet copy.

    with opened("spark", db_path, tmp, spark) as backend:
        matched = match_journey(backend, journey, options)

The Spark copy is the table ``headway export --format parquet`` writes (``activities/`` and
``contacts/``, partitioned by contact), so Spark reads exactly what DuckDB has.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from headway.api import Headway
from headway.backends.base import Backend
from headway.backends.duckdb import DuckDBBackend
from headway.store import Store

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def parquet_copy(db_path: Path, out: Path) -> Path:
    """The store exported as ``headway export --format parquet`` writes it; ``out``."""
    with Store(db_path, read_only=True) as store:
        Headway(store).export(out, "parquet")
    return out


def spark_backend(spark: SparkSession, source: Path) -> Backend:
    """A SparkBackend on a Parquet copy."""
    from headway.backends.spark.backend import SparkBackend

    return SparkBackend(spark, str(source))  # type: ignore[return-value]


@contextmanager
def opened(
    name: str, db_path: Path, tmp: Path, spark: SparkSession | None = None
) -> Iterator[Backend]:
    """The store at ``db_path`` on backend ``name`` (``spark`` needs the session)."""
    if name == "duckdb":
        with Store(db_path, read_only=True) as store:
            yield DuckDBBackend(store)
        return
    assert name == "spark" and spark is not None, name
    yield spark_backend(spark, parquet_copy(db_path, tmp / "parquet"))
