"""The journey matcher as a contact kernel: one batch of whole contacts in, one row per contact out.

A backend's ``map_contacts`` calls a ``MatchKernel`` on each batch of the matcher-input query's
rows (every row of a contact in the same batch, rows in any order): in this process for
DuckDB, on the executors for Spark, so the kernel is a picklable frozen dataclass and imports
numba only when called. The input columns are handed to the matcher as NumPy views of
their Arrow buffers, chunk by chunk (``_chunks``: no concatenation, no copy when the columns
have the query's types: int64 keys and masks, microsecond timestamps, packed booleans). Each
call answers a small Arrow table (``MatchKernel.schema``):

* ``contact`` int64, ``reached`` int16, ``removed`` bool, ``exit_ts`` int64 (``NOT_REACHED``
  when none);
* ``stage_ts``: fixed-size list of ``n_stages`` int64 (``NOT_REACHED`` past ``reached``);
* per extra column ``name``: fixed-size list of ``n_stages`` text values, the column's value at
  the row each stage matched (null where the stage is not reached, or the value is null).

``combine`` joins the kernels' tables into one ``MatchResult`` (contacts ascending) plus the
extras flattened to contacts x stages, so ``extras[name][stage_row]`` is the value at a stage.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from headway.engine.kernel.inputs import COLUMNS
from headway.engine.kernel.match_types import NOT_REACHED, MatchResult, MatchSpec

if TYPE_CHECKING:
    from headway.engine.kernel.matcher import Chunk

_MASKS = (COLUMNS.stage_mask, COLUMNS.excl_mask)
_preloaded = False  # MatchKernel.preload has loaded the matcher in this process


@dataclass(frozen=True)
class MatchKernel:
    """Runs the matcher on a batch of whole contacts (see the module docstring)."""

    spec: MatchSpec
    extras: tuple[str, ...] = ()

    @property
    def schema(self) -> pa.Schema:
        """The schema of every table the kernel returns."""
        n = self.spec.n_stages
        fields = [
            pa.field("contact", pa.int64(), nullable=False),
            pa.field("reached", pa.int16(), nullable=False),
            pa.field("removed", pa.bool_(), nullable=False),
            pa.field("exit_ts", pa.int64(), nullable=False),
            pa.field("stage_ts", pa.list_(pa.int64(), n), nullable=False),
        ]
        fields += [pa.field(name, pa.list_(pa.string(), n)) for name in self.extras]
        return pa.schema(fields)

    def preload(self) -> None:
        """Load the compiled matcher (numba and its cached kernels, ~0.5 s of a fresh
        process); a backend may call it while it reads the first batch. Once loaded, a
        call does nothing."""
        global _preloaded
        if not _preloaded:  # a tiny batch of the input query's types: the same compiled code
            columns = [
                _arrow(np.array([0, 0, 1]), pa.int64()),
                _arrow(np.array([0, 1, 0]), pa.int64()).view(pa.timestamp("us")),
                _arrow(np.array([1, 2, 1]), pa.int64()),
                _arrow(np.zeros(3, np.int64), pa.int64()),
                _arrow(np.zeros(3, np.bool_), pa.bool_()),
            ]
            replace(self, extras=())(pa.Table.from_arrays(columns, names=list(_INPUTS)))
            _preloaded = True

    def __call__(self, batch: pa.Table) -> pa.Table:
        """Match every contact of ``batch`` (the matcher-input columns, rows in any order)."""
        from headway.engine.kernel.matcher import match, match_chunks  # numba loads here

        if batch.num_rows == 0:
            return self.schema.empty_table()
        chunks = _chunks(batch)
        top = max(int(c.contact.max()) for c in chunks if len(c.contact))
        if top > 2 * batch.num_rows + 1024:
            # Sparse keys (e.g. hashes of contact ids on Spark): the matcher's arrays grow with
            # the key range, so it matches dense ranks and the keys are put back after.
            contact = np.concatenate([c.contact for c in chunks])
            keys, dense = np.unique(contact, return_inverse=True)
            ts, stage_mask, excl_mask = (
                np.concatenate([getattr(c, name) for c in chunks])
                for name in ("ts", "stage_mask", "excl_mask")
            )
            exit_ = _matcher_array(batch.column(COLUMNS.exit), COLUMNS.exit)
            res = match(self.spec, dense.astype(np.int64), ts, stage_mask, excl_mask, exit_)
            res = replace(res, contact=keys[res.contact])
        else:
            res = match_chunks(self.spec, chunks)
        return self.table(res, batch)

    def table(self, res: MatchResult, batch: pa.Table) -> pa.Table:
        """The kernel's answer for a match of ``batch``'s rows."""
        n = self.spec.n_stages
        columns: list[pa.Array] = [
            _arrow(res.contact, pa.int64()),
            _arrow(res.reached, pa.int16()),
            _arrow(res.removed, pa.bool_()),
            _arrow(res.exit_ts, pa.int64()),
            pa.FixedSizeListArray.from_arrays(_arrow(res.stage_ts.ravel(), pa.int64()), n),
        ]
        if self.extras:
            rows = res.stage_row.ravel()
            take = _arrow(rows, pa.int64(), nulls=rows < 0)  # null index -> null value
            for name in self.extras:
                values = _text(batch.column(name)).take(take)
                columns.append(pa.FixedSizeListArray.from_arrays(values, n))
        return pa.Table.from_arrays(columns, schema=self.schema)


_INPUTS = (COLUMNS.contact, COLUMNS.ts, COLUMNS.stage_mask, COLUMNS.excl_mask, COLUMNS.exit)


def _chunks(batch: pa.Table) -> list[Chunk]:
    """The matcher-input columns as NumPy views of their Arrow buffers, chunk by chunk.

    DuckDB answers in chunks (about 18K rows each, whatever batch size is asked), so the
    matcher reads them where they lie instead of concatenating them; only a column not of
    the expected fixed-width type (a narrower integer, another time unit, nulls) is
    converted, one chunk at a time.
    """
    from headway.engine.kernel.matcher import Chunk

    columns = [batch.column(name) for name in _INPUTS]
    if len({tuple(len(c) for c in col.chunks) for col in columns}) != 1:
        columns = [col.combine_chunks() for col in columns]  # chunked differently: align
        columns = [pa.chunked_array([col]) for col in columns]
    out = []
    for parts in zip(*(col.chunks for col in columns), strict=True):
        contact, ts, stage_mask, excl_mask, exit_ = parts
        bits, bit = _exit_bits(exit_)
        out.append(
            Chunk(
                _fixed(contact, pa.int64(), COLUMNS.contact),
                _fixed(ts, pa.int64(), COLUMNS.ts),
                _fixed(stage_mask, pa.int64(), COLUMNS.stage_mask),
                _fixed(excl_mask, pa.int64(), COLUMNS.excl_mask),
                bits,
                bit,
            )
        )
    return out


def _fixed(array: pa.Array, type_: pa.DataType, name: str) -> np.ndarray:
    """A fixed-width column chunk as a NumPy view of its data buffer (int64 values)."""
    if pa.types.is_timestamp(array.type):
        if array.type.unit != "us":
            array = array.cast(pa.timestamp("us"))
        array = array.view(pa.int64())
    elif array.type != type_:
        array = array.cast(type_)
    if array.null_count:
        raise ValueError(f"matcher input column {name} has nulls")
    data = array.buffers()[1]
    assert data is not None
    return np.frombuffer(data, np.int64, len(array), array.offset * 8)


def _exit_bits(array: pa.Array) -> tuple[np.ndarray, int]:
    """The exit flags as Arrow's packed bits and the chunk's first bit (null: no)."""
    if not pa.types.is_boolean(array.type):
        array = array.cast(pa.bool_())
    if array.null_count:
        array = pc.fill_null(array, False)
    data = array.buffers()[1]
    if data is None or len(array) == 0:
        return np.zeros(1, np.uint8), 0
    return np.frombuffer(data, np.uint8), array.offset


def _matcher_array(column: pa.ChunkedArray, name: str) -> np.ndarray:
    """One matcher input column as NumPy (zero copy where Arrow's layout allows)."""
    if pa.types.is_timestamp(column.type):
        column = column.cast(pa.timestamp("us")).cast(pa.int64())
    column = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    if pa.types.is_boolean(column.type):  # bit-packed: one byte per value first (null: no)
        valid = pc.and_kleene(column, column.is_valid())  # null: no
        return np.from_dlpack(valid.cast(pa.uint8())).view(np.bool_)
    if column.null_count:
        raise ValueError(f"matcher input column {name} has nulls")
    array = np.from_dlpack(column)
    if name in _MASKS:
        return array.astype(np.int64, copy=False).view(np.uint64)
    return array.astype(np.int64, copy=False)


def _text(column: pa.ChunkedArray) -> pa.Array:
    """An extra column as one text array (values as the engine shows them)."""
    array = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    if pa.types.is_string(array.type):
        return array
    if pa.types.is_large_string(array.type) or pa.types.is_string_view(array.type):
        return array.cast(pa.string())
    return pc.cast(array, pa.string())


def combine(
    kernel: MatchKernel, tables: Iterable[pa.Table]
) -> tuple[MatchResult, dict[str, np.ndarray]]:
    """The kernels' answers as one result (contacts ascending) and the extras by stage row.

    ``extras[name]`` holds the values of the reached stages, contact after contact and stage
    after stage; ``stage_row[c, s]`` is the index of contact ``c``'s stage ``s`` in it (-1
    where not reached), so ``extras[name][stage_row[c, s]]`` is the value at that stage.
    """
    n = kernel.spec.n_stages
    parts = [t for t in tables if t.num_rows]
    table = pa.concat_tables(parts) if parts else kernel.schema.empty_table()
    contact = _numpy(table.column("contact"), np.int64)
    if len(contact) > 1 and np.any(contact[1:] < contact[:-1]):
        order = np.argsort(contact, kind="stable")
        table = table.take(_arrow(order.astype(np.int64), pa.int64()))
        contact = contact[order]
    if len(contact) > 1 and np.any(contact[1:] == contact[:-1]):
        raise ValueError("map_contacts: a contact came back from more than one batch")
    reached = _numpy(table.column("reached"), np.int16)
    stage_ts = _numpy(table.column("stage_ts"), np.int64).reshape(len(contact), n)
    hit = np.arange(n, dtype=np.int64)[None, :] < reached[:, None].astype(np.int64)
    stage_row = np.full((len(contact), n), -1, np.int64)
    stage_row[hit] = np.arange(int(hit.sum()), dtype=np.int64)
    result = MatchResult(
        contact=contact,
        reached=reached,
        removed=_numpy(table.column("removed"), np.bool_),
        stage_ts=stage_ts,
        stage_row=stage_row,
        exit_ts=_numpy(table.column("exit_ts"), np.int64),
    )
    used = _arrow(hit.ravel(), pa.bool_())
    extras = {
        name: np.asarray(_flat(table.column(name)).filter(used).to_pylist(), dtype=object)
        for name in kernel.extras
    }
    return result, extras


def _flat(column: pa.ChunkedArray) -> pa.Array:
    """The values of a fixed-size list column, contact after contact."""
    chunks = [chunk.flatten() for chunk in column.chunks]
    return pa.concat_arrays(chunks) if chunks else pa.nulls(0, column.type.value_type)


def _numpy(column: pa.ChunkedArray | pa.Array, dtype: type) -> np.ndarray:
    """A column without nulls as a new NumPy array of ``dtype`` (a fixed-size list column:
    its values, row after row), filled chunk by chunk: no concatenated copy first (at 5M
    contacts the stage times alone are 200 MB)."""
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    if pa.types.is_fixed_size_list(column.type):
        chunks = [chunk.flatten() for chunk in chunks]
    out: np.ndarray = np.empty(sum(len(chunk) for chunk in chunks), dtype)
    at = 0
    for chunk in chunks:
        if not len(chunk):
            continue
        if pa.types.is_boolean(chunk.type):  # bit-packed: one byte per value first
            chunk = chunk.cast(pa.uint8())
        out[at : at + len(chunk)] = np.from_dlpack(chunk)
        at += len(chunk)
    return out


__all__ = ["NOT_REACHED", "MatchKernel", "combine"]


def _arrow(values: np.ndarray, type_: pa.DataType, nulls: np.ndarray | None = None) -> pa.Array:
    """A NumPy array as Arrow, from its buffer.

    Not ``pa.array``: pyarrow's conversion of NumPy input imports pandas (~0.3 s of every
    funnel's start-up, see tests/cli/test_startup_imports.py).
    """
    if type_ == pa.bool_():  # Arrow packs booleans into bits: build bytes, then cast
        return _arrow(np.ascontiguousarray(values, np.uint8), pa.uint8(), nulls).cast(pa.bool_())
    data = np.ascontiguousarray(values, type_.to_pandas_dtype())
    validity = None
    if nulls is not None and nulls.any():
        validity = pa.py_buffer(np.packbits(~nulls, bitorder="little"))
    return pa.Array.from_buffers(type_, len(data), [validity, pa.py_buffer(data)])
