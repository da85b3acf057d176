"""An in-memory set of the activity log's ``id_hash`` values, so appends skip the log scan.

Probing a batch's hashes against the whole log costs a scan of ``activities.id_hash`` per
commit (tens of ms at 10M rows, growing with the log). This index answers the same question
from memory: sorted NumPy arrays (levels merged like a binary counter),
8 bytes per stored activity, built from the log on first use.

It is a filter, never the final word: a hash it knows only makes the row a *candidate*
duplicate, which the append confirms against the log by full id. So stale entries (rows
erased since, or appends rolled back) cost a confirmation, never a lost row. What it must never
do is miss a stored hash: every append through the store adds its hashes, and the index checks
the log's row count before each use and rebuilds when rows arrived or left some other way.
"""

from __future__ import annotations

import duckdb
import numpy as np


class IdIndex:
    """The ``id_hash`` values of the activity log (a superset: see the module docstring)."""

    def __init__(self) -> None:
        self.levels: list[np.ndarray] = []
        self.rows: int | None = None  # log rows this index accounts for; None: not built

    def sync(self, conn: duckdb.DuckDBPyConnection) -> None:
        """Make sure the index covers every row of the log (rebuilt when the count differs)."""
        count = int(conn.execute("SELECT count(*) FROM activities").fetchall()[0][0])
        if self.rows == count:
            return
        hashes = conn.execute("SELECT id_hash FROM activities").fetchnumpy()["id_hash"]
        self.levels = [np.sort(np.asarray(hashes, dtype=np.uint64))]
        self.rows = count

    def candidates(self, hashes: np.ndarray) -> np.ndarray:
        """A mask over ``hashes``: True where the hash may already be stored."""
        order = np.argsort(hashes)  # sorted probes walk each level in order (cache friendly)
        probes = hashes[order]
        hit = np.zeros(len(hashes), dtype=bool)
        for level in self.levels:
            if len(level):
                pos = np.searchsorted(level, probes).clip(max=len(level) - 1)
                hit[order] |= level[pos] == probes
        return hit

    def add(self, hashes: np.ndarray, stored: int) -> None:
        """Record ``hashes`` of an append that stored ``stored`` new rows."""
        if self.rows is None:
            return
        self.levels.append(np.sort(np.asarray(hashes, dtype=np.uint64)))
        self.rows += stored
        # Binary-counter merging: a level is merged into the one before it once it is at least
        # half its size, so there are O(log n) levels and each hash is merged O(log n) times.
        while len(self.levels) > 1 and 2 * len(self.levels[-1]) >= len(self.levels[-2]):
            last = self.levels.pop()
            self.levels[-1] = merged(self.levels[-1], last)


def merged(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The sorted union (with repeats) of two sorted arrays, in linear time."""
    out = np.empty(len(a) + len(b), dtype=a.dtype)
    at = np.searchsorted(a, b) + np.arange(len(b))
    rest = np.ones(len(out), dtype=bool)
    rest[at] = False
    out[at] = b
    out[rest] = a
    return out
