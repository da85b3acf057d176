"""MatchKernel with sparse contact keys (hashes of ids, as the Spark backend makes them when a
table has no integer key): the same answers as with dense keys, keys given back unchanged."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from headway.engine.kernel.match_kernel import MatchKernel
from headway.engine.kernel.match_types import MatchSpec


def test_sparse_keys_match_as_dense_ones() -> None:
    spec = MatchSpec(
        mode="ordered",
        n_stages=3,
        window_us=10**12,
        strictly_later=(False, True, True),
        exclusions=(),
        has_exit=False,
    )
    rng = np.random.default_rng(1)
    n = 20_000
    dense = rng.integers(0, 1_000, n)
    table = pa.table(
        {
            "contact_key": dense,
            "ts": rng.integers(0, 10**9, n),
            "stage_mask": rng.integers(0, 8, n),
            "excl_mask": np.zeros(n, np.int64),
            "is_exit": np.zeros(n, bool),
        }
    )
    kernel = MatchKernel(spec)
    expected = kernel(table)
    # Up to 2**62: a matcher array sized by the largest key could not be allocated.
    sparse = dense.astype(np.int64) * 4_611_686_018_427 + 12_345
    got = kernel(table.set_column(0, "contact_key", pa.array(sparse)))
    back = dict(zip(sparse.tolist(), dense.tolist(), strict=True))
    assert [back[k] for k in got.column("contact").to_pylist()] == expected.column(
        "contact"
    ).to_pylist()
    for name in ("reached", "removed", "exit_ts", "stage_ts"):
        assert got.column(name).to_pylist() == expected.column(name).to_pylist()
    assert max(expected.column("reached").to_pylist()) == 3
