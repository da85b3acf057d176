"""A Headway store opened on a backend: DuckDB on the file itself, Spark on its Parquet copy.

    with opened("spark", db_path, tmp, spark) as backend:
        matched = match_journey(backend, journey, options)

The Spark copy is the table ``headway export --format parquet`` writes (``activities/`` and
``contacts/`` directories, C's default column layout), so Spark reads exactly what DuckDB has.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from headway.backends.base import Backend
from headway.backends.duckdb import DuckDBBackend
from headway.store import Store

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

# The activity log as the Spark backend reads it (see headway export): one row per
# activity after identity resolution, the type by name, ts in UTC.
_ACTIVITIES = """
    SELECT a.id, c.id AS contact, a.contact_key::BIGINT AS contact_key, t.name AS type,
           timezone('UTC', a.ts) AS ts, a.properties::VARCHAR AS properties, a.source, a.bot
    FROM activity_log a
    JOIN contacts c ON c.key = a.contact_key
    JOIN activity_types t ON t.code = a.type_code
    ORDER BY a.contact_key, a.ts
"""
_CONTACTS = "SELECT key::BIGINT AS key, id, attributes::VARCHAR AS attributes FROM contacts"


def parquet_copy(db_path: Path, out: Path) -> Path:
    """Write the store's activities and contacts as Parquet under ``out``; ``out``."""
    (out / "activities").mkdir(parents=True)
    (out / "contacts").mkdir(parents=True)
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute(f"COPY ({_ACTIVITIES}) TO '{out / 'activities' / 'part-0.parquet'}'")
        con.execute(f"COPY ({_CONTACTS}) TO '{out / 'contacts' / 'part-0.parquet'}'")
    finally:
        con.close()
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
