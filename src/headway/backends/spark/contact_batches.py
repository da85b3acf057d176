"""The kernel on Spark's executors: one call per partition of whole contacts.

``mapInArrow`` hands a partition's rows to a Python worker as Arrow record batches; all of
them are gathered into one table (a contact's rows may span batches) and the kernel runs once
on it. Its answers go back as Arrow IPC streams, one binary value per ``RESULT_ROWS`` rows:
the JVM passes a few large values through instead of converting a million rows of lists into
Spark rows and back, and the driver reads the kernel's own schema (fixed-size lists, naive
timestamps) from the stream as the kernel wrote it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyarrow as pa

from headway.backends.base import ContactKernel

if TYPE_CHECKING:
    from pyspark.sql.types import StructType

# Kernel answer rows per IPC stream (one binary value; a value stays far below 2 GiB).
RESULT_ROWS = 1 << 20
COLUMN = "arrow"


@dataclass(frozen=True)
class ContactPartitions:
    """The function ``mapInArrow`` calls per partition (picklable: shipped to executors)."""

    kernel: ContactKernel
    schema: pa.Schema

    def __call__(self, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        """Gather the partition's batches, run the kernel once, answer its table as IPC."""
        gathered = [b for b in batches if b.num_rows]
        if not gathered:
            return
        table = _naive_times(pa.Table.from_batches(gathered))
        out = self.kernel(table).cast(self.schema)
        for start in range(0, out.num_rows, RESULT_ROWS):
            sink = pa.BufferOutputStream()
            part = out.slice(start, RESULT_ROWS)
            with pa.ipc.new_stream(sink, part.schema) as writer:
                writer.write_table(part)
            yield pa.record_batch([_one_value(sink.getvalue())], names=[COLUMN])

    def restore(self, table: pa.Table) -> pa.Table:
        """The collected answers (IPC streams) as one table in the kernel's own schema."""
        parts = [
            pa.ipc.open_stream(value.as_buffer()).read_all()
            for chunk in table.column(COLUMN).chunks
            for value in chunk
        ]
        if not parts:
            return self.schema.empty_table()
        return pa.concat_tables(parts).cast(self.schema)


def spark_schema(schema: pa.Schema) -> StructType:
    """The Spark schema of the kernel's answers in transit: one binary IPC stream a row."""
    from pyspark.sql.types import BinaryType, StructField, StructType

    return StructType([StructField(COLUMN, BinaryType(), nullable=False)])


def _one_value(data: pa.Buffer) -> pa.Array:
    """A binary array of one value, ``data``, without copying it."""
    offsets = pa.array([0, data.size], pa.int32()).buffers()[1]
    return pa.Array.from_buffers(pa.binary(), 1, [None, offsets, data])


def _naive_times(table: pa.Table) -> pa.Table:
    """Timestamps as the engine gets them from DuckDB: naive, UTC."""
    fields = [
        f.with_type(pa.timestamp(f.type.unit))
        if pa.types.is_timestamp(f.type) and f.type.tz is not None
        else f
        for f in table.schema
    ]
    return table.cast(pa.schema(fields))
