"""The Apache Spark backend: the engine's queries and kernel on an activity table in Spark.

``SparkBackend`` (``headway.backends.spark.backend``) reads a Parquet directory, a Delta table
or a catalog table through a column mapping (``source``), presents it to the engine as the
``activity_log`` and ``contacts`` relations, and runs the journey kernel on contact partitions
with ``mapInArrow``. Importing this package does not import pyspark.
"""
