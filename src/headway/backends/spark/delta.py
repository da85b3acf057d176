"""Reading a source table, and Delta tables in sessions without Delta Lake's Spark reader.

Spark reads a Delta table itself when the session has Delta Lake (the ``delta-spark`` package's
JARs on its classpath: ``spark.jars.packages`` or a cluster that ships them). A plain session
has no ``delta`` data source; then the table's current snapshot is resolved through its
transaction log by ``deltalake`` (delta-rs) and its data files are read by Spark as Parquet.
That path refuses, loudly, tables whose snapshot is more than a list of files: deletion
vectors (rows deleted without rewriting files) and column mapping (physical names differ).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from headway.backends.spark.source import Format, read_table
from headway.errors import ConfigError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

# Reader features a file list alone cannot honour.
_UNSUPPORTED = {"deletionVectors": "deletion vectors", "columnMapping": "column mapping"}


def read_source_table(spark: SparkSession, location: str, format: Format) -> DataFrame:
    """The table at ``location``: Spark's own reader, or delta-rs's snapshot for Delta."""
    if format != "delta" or has_delta_reader(spark):
        return read_table(spark, location, format)
    return read_delta_snapshot(spark, location)


def has_delta_reader(spark: SparkSession) -> bool:
    """Whether the session has Delta Lake's Spark data source."""
    jvm = getattr(spark, "_jvm", None)
    if jvm is None:  # Spark Connect: let the server say
        return True
    try:
        jvm.java.lang.Class.forName("org.apache.spark.sql.delta.sources.DeltaDataSource")
    except Exception:
        return False
    return True


def read_delta_snapshot(spark: SparkSession, location: str) -> DataFrame:
    """A Delta table's current snapshot: delta-rs lists its files, Spark reads them."""
    try:
        from deltalake import DeltaTable
    except ImportError:
        raise ConfigError(
            f"cannot read the Delta table {location}: this Spark session has no Delta Lake "
            "reader and the deltalake package is not installed (pip install 'headway[spark]')"
        ) from None
    try:
        table = DeltaTable(location)
    except Exception as exc:
        raise ConfigError(f"cannot read the Delta table at {location}: {exc}") from None
    protocol = table.protocol()
    features = set(protocol.reader_features or ())
    config = table.metadata().configuration or {}
    if config.get("delta.columnMapping.mode", "none") != "none":
        features.add("columnMapping")
    for feature, what in _UNSUPPORTED.items():
        if feature in features:
            raise ConfigError(
                f"the Delta table at {location} uses {what}, which needs Delta Lake's Spark "
                "reader: start the session with the delta-spark package "
                "(configure_spark_with_delta_pip, or spark.jars.packages)"
            )
    files = table.file_uris()
    partitions = list(table.metadata().partition_columns or ())
    if not files:
        schema = table.schema().to_arrow()
        from pyspark.sql.pandas.types import from_arrow_schema

        return spark.createDataFrame([], from_arrow_schema(schema))  # type: ignore[arg-type]
    reader = spark.read.format("parquet")
    if partitions:  # partition values live in the paths (col=value/), as Hive lays them out
        reader = reader.option("basePath", table.table_uri)
    return reader.load(files)
