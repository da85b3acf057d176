"""``SparkBackend``: the backend contract on Apache Spark (``headway.backends.base``).

The engine's query trees are rendered in Spark SQL and run with ``spark.sql`` over the
``activity_log`` and ``contacts`` views of a source (``relations``). The journey kernel runs
where the data lives: the matcher-input rows are repartitioned by contact key (so each
partition holds whole contacts; rows are not sorted, the kernel sorts its batch) and
``mapInArrow`` calls the kernel once per partition; only the kernels' small tables come back
to the driver. Headway's times are UTC: every query runs with the session time zone set to UTC
(and restored after).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
from sqlglot import exp

from headway.backends.base import ContactKernel
from headway.backends.query import Query
from headway.backends.spark.bucket_scan import file_conf, whole_contact_partitions
from headway.backends.spark.contact_batches import ContactPartitions, spark_schema
from headway.backends.spark.delta import read_source_table
from headway.backends.spark.relations import KEY_BITS, Relations
from headway.backends.spark.source import Source

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from headway.conditions.sql_dialect import SqlDialect
    from headway.model.dialect import Dialect

# Matcher-input bytes per kernel call that a partition aims at (source bytes as the measure).
PARTITION_BYTES = 1 << 30
# Rows per Arrow batch between the JVM and the Python workers: large batches, few calls.
ARROW_BATCH_ROWS = 1_000_000
_ids = itertools.count(1)


class SparkBackend:
    """Runs query trees and the journey kernel on a Spark session over one source."""

    name = "spark"
    # Besides the contract's two relations, only an export's email registry (``emails``,
    # ``email_links``) when the source has it; no catalogue or suppression state.
    relations: frozenset[str] = frozenset()

    def __init__(
        self,
        spark: SparkSession,
        source: Source | str,
        *,
        columns: Mapping[str, str | None] | None = None,
        format: str | None = None,
        contacts: str | None = None,
        contact_columns: Mapping[str, str | None] | None = None,
        partitions: int | None = None,
        key_bits: int = KEY_BITS,
    ) -> None:
        if not isinstance(source, Source):
            source = Source.of(source, format, columns, contacts, contact_columns)
        self.spark = spark
        self.source = source
        self.partitions = partitions
        self.views = Relations(spark, source, key_bits)
        n = next(_ids)
        # Views named per backend, so two sources can share a session.
        self._views = {
            "activity_log": f"headway_{n}_activity_log",
            "contacts": f"headway_{n}_contacts",
            **{name: f"headway_{n}_{name}" for name, _ in source.registry},
        }
        self.relations = frozenset(name for name, _ in source.registry)
        self._registered: set[str] = set()

    # -- the contract -------------------------------------------------------------------
    @property
    def dialect(self) -> Dialect:
        """How conditions are checked at save time for Spark (Java's regex dialect)."""
        from headway.backends.spark.sql import SPARK_DIALECT

        return SPARK_DIALECT

    @cached_property
    def sql(self) -> SqlDialect:
        """How Spark SQL reads JSON properties and tests text (and which typed property
        columns it may read instead: an unchanged export's)."""
        from headway.backends.spark.sql import SPARK_SQL, SparkSql

        if not self.views.typed:
            return SPARK_SQL
        sql = SparkSql()
        sql.typed = self.views.typed
        return sql

    def arrow(self, query: Query) -> pa.Table:
        """Run a query; its (small) result as one Arrow table."""
        with self._session(), self._materialized(query) as query:
            return normalise(self._frame(query).toArrow())

    def arrow_batches(self, query: Query) -> pa.RecordBatchReader:
        """Run a query; its rows as Arrow record batches (collected on the driver)."""
        table = self.arrow(query)
        return pa.RecordBatchReader.from_batches(table.schema, table.to_batches())

    def arrow_with(self, query: Query, tables: Mapping[str, pa.Table]) -> pa.Table:
        """Run a query that also reads the given Arrow tables under the given names."""
        with self._session():
            for name, table in tables.items():
                self.spark.createDataFrame(table).createOrReplaceTempView(name)
            try:
                with self._materialized(query) as query:
                    return normalise(self._frame(query).toArrow())
            finally:
                for name in tables:
                    self.spark.catalog.dropTempView(name)

    def map_contacts(
        self, query: Query, contact: str, kernel: ContactKernel, schema: pa.Schema
    ) -> Iterator[pa.Table]:
        """Run ``kernel`` on each partition of whole contacts, on the executors: straight on
        the scan's partitions of an unchanged ``headway export`` when the plan proves each
        holds whole contacts (``bucket_scan``), else after a repartition by contact."""
        layout = self.source.layout
        files = file_conf(layout, self._cores()) if layout is not None else {}
        run = ContactPartitions(kernel, schema)
        with self._session(ARROW_BATCH_ROWS, files):
            frame = self._frame(query)
            mapped = frame.mapInArrow(run, spark_schema(schema))
            if not files or not whole_contact_partitions(mapped, contact, self.source.location):
                frame = frame.repartition(self._partition_count(), contact)
                mapped = frame.mapInArrow(run, spark_schema(schema))
            out = mapped.toArrow()
        yield run.restore(out)

    def type_codes(self) -> dict[str, int]:
        """The activity-type dictionary (distinct names of the source, numbered from 1)."""
        with self._session():
            return dict(self.views.type_codes)

    def contact_ids(self, keys: np.ndarray) -> np.ndarray:
        """External ids of contact keys, in the order given (None for an unknown key)."""
        return self._per_key(keys, "c.id", {})

    def contact_attributes(self, keys: np.ndarray, attribute: str) -> np.ndarray:
        """One attribute (as text) of each contact, in the order given."""
        path = "$" + "".join(f"['{part}']" for part in attribute.split("."))
        return self._per_key(keys, "get_json_object(c.attributes, :path)", {"path": path})

    # -- helpers ----------------------------------------------------------------------
    def render(self, query: Query) -> str:
        """The Spark SQL text of a query tree, over this backend's views."""
        tree = query.tree.transform(self._rename)
        return tree.sql(dialect="spark")

    def _rename(self, node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Table) and not node.args.get("db") and node.name in self._views:
            alias = node.args.get("alias") or exp.TableAlias(this=exp.to_identifier(node.name))
            return exp.Table(this=exp.to_identifier(self._views[node.name]), alias=alias)
        return node

    def _frame(self, query: Query) -> DataFrame:
        self._register()
        return self.spark.sql(self.render(query), args=spark_params(query.params))

    @contextmanager
    def _materialized(self, query: Query) -> Iterator[Query]:
        """Honour ``WITH name AS MATERIALIZED (...)``: Spark would recompute a common table
        expression at every reference, so each one marked so (top level, in order) is computed
        once and cached under a view of its own for the rest of the query, then released."""
        with_ = query.tree.args.get("with_")
        if not isinstance(with_, exp.With) or not any(
            cte.args.get("materialized") for cte in with_.expressions
        ):
            yield query
            return
        tree = query.tree.copy()
        kept: list[exp.CTE] = []
        views: dict[str, str] = {}
        cached: list[DataFrame] = []

        def use_views(node: exp.Expr) -> exp.Expr:
            if isinstance(node, exp.Table) and not node.args.get("db") and node.name in views:
                alias = node.args.get("alias") or exp.TableAlias(this=exp.to_identifier(node.name))
                return exp.Table(this=exp.to_identifier(views[node.name]), alias=alias)
            return node

        try:
            for cte in tree.args["with_"].expressions:
                if not cte.args.get("materialized"):
                    kept.append(cte)
                    continue
                body = cte.this.copy()
                if kept:
                    body.set("with_", exp.With(expressions=[c.copy() for c in kept]))
                body = body.transform(use_views)
                frame = self._frame(Query(body, query.params)).cache()
                cached.append(frame)
                frame.count()
                views[cte.alias] = f"headway_{next(_ids)}_{cte.alias}"
                frame.createOrReplaceTempView(views[cte.alias])
            tree.set("with_", exp.With(expressions=kept) if kept else None)
            yield Query(tree.transform(use_views), query.params)
        finally:
            for view in views.values():
                self.spark.catalog.dropTempView(view)
            for frame in cached:
                frame.unpersist()

    def _register(self) -> None:
        if len(self._registered) == len(self._views):
            return
        self.views.activity_log.createOrReplaceTempView(self._views["activity_log"])
        self.views.contacts.createOrReplaceTempView(self._views["contacts"])
        for name, location in self.source.registry:
            table = read_source_table(self.spark, location, self.source.format)
            table.createOrReplaceTempView(self._views[name])
        self._registered = set(self._views)

    def _partition_count(self) -> int:
        """Contact partitions: one per core at least, about one per GiB of source data."""
        if self.partitions is not None:
            return self.partitions
        try:
            cores = int(self.spark.sparkContext.defaultParallelism)
            plan = self.views.activity_log._jdf.queryExecution().optimizedPlan()
            size = int(str(plan.stats().sizeInBytes()))
        except Exception:  # Spark Connect: no JVM handle here; its shuffle default then
            return int(self.spark.conf.get("spark.sql.shuffle.partitions") or 200)
        return max(cores, math.ceil(size / PARTITION_BYTES))

    def _cores(self) -> int:
        """The session's default parallelism (its cores), or 2 where Spark does not say."""
        try:
            return max(1, int(self.spark.sparkContext.defaultParallelism))
        except Exception:  # Spark Connect: no SparkContext here
            return 2

    def _per_key(self, keys: np.ndarray, column: str, params: dict[str, Any]) -> np.ndarray:
        if len(keys) == 0:
            return np.zeros(0, dtype=object)
        table = pa.table(
            {
                "k": pa.array(np.asarray(keys, dtype=np.int64)),
                "i": pa.array(np.arange(len(keys), dtype=np.int64)),
            }
        )
        name = f"headway_keys_{next(_ids)}"
        tree: exp.Expr = exp.maybe_parse(
            f"SELECT {column} AS v FROM {name} AS q "
            "LEFT JOIN contacts AS c ON c.key = q.k ORDER BY q.i",
            dialect="spark",
        )
        rows = self.arrow_with(Query(tree, params), {name: table})
        return np.asarray(rows.column(0).to_pylist(), dtype=object)

    @contextmanager
    def _session(
        self, batch_rows: int | None = None, extra: Mapping[str, str] | None = None
    ) -> Iterator[None]:
        """Run with the session time zone in UTC (and Arrow batch size, and ``extra``
        settings), restoring them all."""
        conf = self.spark.conf
        wanted: dict[str, str] = {"spark.sql.session.timeZone": "UTC", **(extra or {})}
        if batch_rows is not None:
            wanted["spark.sql.execution.arrow.maxRecordsPerBatch"] = str(batch_rows)
        before: dict[str, str | None] = {key: conf.get(key, None) for key in wanted}
        for key, value in wanted.items():
            conf.set(key, value)
        try:
            yield
        finally:
            for key, old in before.items():
                if old is None:
                    conf.unset(key)
                else:
                    conf.set(key, old)


def spark_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """Parameter values as Spark binds them: naive datetimes are UTC instants."""
    out: dict[str, Any] = {}
    for name, value in params.items():
        if isinstance(value, datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        out[name] = value
    return out


def normalise(table: pa.Table) -> pa.Table:
    """Spark's Arrow types as DuckDB's: naive UTC timestamps, 32-bit offsets for text."""
    fields = []
    changed = False
    for field in table.schema:
        type_ = _plain(field.type)
        changed |= type_ != field.type
        fields.append(field.with_type(type_))
    return table.cast(pa.schema(fields)) if changed else table


def _plain(type_: pa.DataType) -> pa.DataType:
    if pa.types.is_timestamp(type_) and type_.tz is not None:
        return pa.timestamp(type_.unit)
    if pa.types.is_large_string(type_):
        return pa.string()
    if pa.types.is_large_binary(type_):
        return pa.binary()
    if pa.types.is_large_list(type_) or pa.types.is_list(type_):
        return pa.list_(_plain(type_.value_type))
    return type_
