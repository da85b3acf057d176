"""The kernel reads DuckDB's chunked Arrow input where it lies: same answer as one array."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pyarrow as pa

from headway.engine.kernel.match_kernel import MatchKernel, _chunks
from headway.engine.kernel.match_types import MatchSpec
from headway.engine.kernel.matcher import match

SPEC = MatchSpec("ordered", 3, 50, (False, False, True), ((0, 2),), has_exit=True)


def _rows(seed: int, n: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "contact_key": rng.integers(0, 40, n),
        "ts": rng.integers(0, 200, n),  # many same-instant rows: the tied paths run too
        "stage_mask": rng.integers(0, 8, n),
        "excl_mask": rng.integers(0, 2, n),
        "is_exit": rng.random(n) < 0.1,
    }


def _table(rows: dict[str, np.ndarray], cuts: list[int]) -> pa.Table:
    """The rows as a table chunked at ``cuts``; times as milliseconds, exclusions as int32,
    and every chunk a slice (non-zero offsets, packed booleans starting mid-byte)."""
    columns = {
        "contact_key": pa.array(rows["contact_key"], pa.int64()),
        "ts": pa.array(rows["ts"] * 1000, pa.int64()).cast(pa.timestamp("ms")),
        "stage_mask": pa.array(rows["stage_mask"], pa.int64()),
        "excl_mask": pa.array(rows["excl_mask"], pa.int32()),
        "is_exit": pa.array(rows["is_exit"], pa.bool_()),
    }
    bounds = [0, *cuts, len(rows["ts"])]
    return pa.table(
        {
            name: pa.chunked_array([col.slice(a, b - a) for a, b in pairwise(bounds)])
            for name, col in columns.items()
        }
    )


def test_chunked_input_matches_like_one_array() -> None:
    for seed in range(6):
        rows = _rows(seed, 600)
        expected = match(
            SPEC,
            rows["contact_key"],
            rows["ts"] * 1_000_000,
            rows["stage_mask"].astype(np.uint64),
            rows["excl_mask"].astype(np.uint64),
            rows["is_exit"],
        )
        table = _table(rows, [1, 13, 14, 300, 597])
        assert table.column("ts").num_chunks == 6
        kernel = MatchKernel(SPEC)
        got = kernel(table)
        assert got.column("contact").to_pylist() == expected.contact.tolist()
        assert got.column("reached").to_pylist() == expected.reached.tolist()
        assert got.column("removed").to_pylist() == expected.removed.tolist()
        assert got.column("exit_ts").to_pylist() == expected.exit_ts.tolist()
        flat = np.array(got.column("stage_ts").combine_chunks().flatten().to_pylist())
        assert flat.tolist() == expected.stage_ts.ravel().tolist()


def test_int64_chunks_are_views_of_the_arrow_buffers() -> None:
    rows = _rows(1, 100)
    whole = pa.table(
        {
            "contact_key": pa.array(rows["contact_key"], pa.int64()),
            "ts": pa.array(rows["ts"], pa.int64()).cast(pa.timestamp("us")),
            "stage_mask": pa.array(rows["stage_mask"], pa.int64()),
            "excl_mask": pa.array(rows["excl_mask"], pa.int64()),
            "is_exit": pa.array(rows["is_exit"], pa.bool_()),
        }
    )
    table = pa.Table.from_batches(whole.slice(0, 40).to_batches() + whole.slice(40).to_batches())
    chunks = _chunks(table)
    assert [len(c.contact) for c in chunks] == [40, 60]
    for chunk, start in zip(chunks, (0, 40), strict=True):
        assert not chunk.contact.flags.owndata  # a view: nothing copied
        address = whole.column("contact_key").chunk(0).buffers()[1].address
        assert chunk.contact.ctypes.data == address + 8 * start
    assert chunks[1].ts.tolist() == rows["ts"][40:].tolist()
    assert chunks[1].exit_bit == 40  # the packed booleans, read from bit 40 on


def test_null_exit_flags_count_as_no() -> None:
    table = pa.table(
        {
            "contact_key": pa.array([1, 1, 1], pa.int64()),
            "ts": pa.array([0, 1, 2], pa.int64()),
            "stage_mask": pa.array([1, 2, 4], pa.int64()),
            "excl_mask": pa.array([0, 0, 0], pa.int64()),
            "is_exit": pa.array([None, None, True], pa.bool_()),
        }
    )
    spec = MatchSpec("ordered", 2, 50, (False, False), has_exit=True)
    out = MatchKernel(spec)(table)
    assert out.column("reached").to_pylist() == [2]
    assert out.column("exit_ts").to_pylist() == [2]
