"""The kernel on Spark's executors: one call per partition of whole contacts.

``mapInArrow`` hands a partition's rows to a Python worker as Arrow record batches; all of
them are gathered into one table (a contact's rows may span batches) and the kernel runs once
on it. Spark's types have no fixed-size lists and keep timestamps with a zone, so the kernel's
answers travel as plain lists and are cast back to the kernel's schema on the driver.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyarrow as pa

from headway.backends.base import ContactKernel

if TYPE_CHECKING:
    from pyspark.sql.types import StructType


@dataclass(frozen=True)
class ContactPartitions:
    """The function ``mapInArrow`` calls per partition (picklable: shipped to executors)."""

    kernel: ContactKernel
    schema: pa.Schema

    def __call__(self, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        """Gather the partition's batches, run the kernel once, answer its table."""
        gathered = [b for b in batches if b.num_rows]
        if not gathered:
            return
        table = _naive_times(pa.Table.from_batches(gathered))
        out = self.kernel(table)
        yield from out.cast(transport_schema(self.schema)).to_batches()

    def restore(self, table: pa.Table) -> pa.Table:
        """The collected answers in the kernel's own schema."""
        if table.num_rows == 0:
            return self.schema.empty_table()
        return table.select(self.schema.names).cast(self.schema)


def transport_schema(schema: pa.Schema) -> pa.Schema:
    """``schema`` in types Spark carries (fixed-size lists as lists)."""
    return pa.schema([f.with_type(_transport(f.type)) for f in schema])


def spark_schema(schema: pa.Schema) -> StructType:
    """The Spark schema of the kernel's answers."""
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(transport_schema(schema))


def _transport(type_: pa.DataType) -> pa.DataType:
    if pa.types.is_fixed_size_list(type_) or pa.types.is_list(type_):
        return pa.list_(_transport(type_.value_type))
    return type_


def _naive_times(table: pa.Table) -> pa.Table:
    """Timestamps as the engine gets them from DuckDB: naive, UTC."""
    fields = [
        f.with_type(pa.timestamp(f.type.unit))
        if pa.types.is_timestamp(f.type) and f.type.tz is not None
        else f
        for f in table.schema
    ]
    return table.cast(pa.schema(fields))
