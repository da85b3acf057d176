"""Differential test against an independent oracle: in ordered mode with disjoint stage
conditions, the stage reached equals ClickHouse's `windowFunnel(window)` (run in-process by chDB).

What we found about windowFunnel (chDB 4.x, see docs/semantics.md): the default mode lets equal
timestamps convert between consecutive conditions whatever the row order, the window end is
inclusive, rows matching no condition do not interrupt, and every entry is tried (it keeps the
latest entry per level) — all as DESIGN §5 ordered mode, so ties need no restriction here.
'strict_increase' (ties never convert) and 'strict_order' (the first interruption ends the
whole search, later entries are never tried) are NOT §5 semantics and are not used.
"""

from __future__ import annotations

from pathlib import Path

import chdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from headway.engine.kernel import matcher
from headway.engine.kernel.match_types import MatchSpec


@pytest.fixture(scope="module")
def parquet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("oracle") / "activities.parquet"


def window_funnel(path: Path, n_stages: int, window: int, log: dict[str, np.ndarray]) -> dict:
    """Stage reached per contact according to chDB's windowFunnel."""
    pq.write_table(pa.table(log), path)
    conds = ", ".join(f"stage = {k}" for k in range(n_stages))
    sql = (
        f"SELECT contact, windowFunnel({window})(ts, {conds}) FROM file('{path}', Parquet) "
        "GROUP BY contact"
    )
    text = chdb.query(sql, "CSV").bytes().decode()
    return {int(c): int(level) for c, level in (line.split(",") for line in text.split())}


def kernel_reached(n_stages: int, window: int, log: dict[str, np.ndarray]) -> dict:
    """Stage reached per contact according to the Headway kernel (ordered mode)."""
    stage = log["stage"]
    mask = np.where(stage >= 0, np.left_shift(1, np.maximum(stage, 0)), 0).astype(np.uint64)
    none = np.zeros(len(stage), np.uint64)
    spec = MatchSpec("ordered", n_stages, window, (False,) * n_stages)
    res = matcher.match(spec, log["contact"], log["ts"], mask, none, none.astype(np.bool_))
    return dict(zip(res.contact.tolist(), res.reached.tolist(), strict=True))


def check(path: Path, n_stages: int, window: int, log: dict[str, np.ndarray]) -> None:
    """Kernel and windowFunnel agree for every contact with a row."""
    assert kernel_reached(n_stages, window, log) == window_funnel(path, n_stages, window, log)


@st.composite
def cases(draw: st.DrawFn) -> tuple[int, int, dict[str, np.ndarray]]:
    """Few contacts, small integer times with many ties, each row matching <= 1 stage."""
    n_stages = draw(st.integers(1, 5))
    window = draw(st.integers(0, 8))
    rows = draw(
        st.lists(
            st.tuples(st.integers(0, 4), st.integers(0, 12), st.integers(-1, n_stages - 1)),
            min_size=1,
            max_size=40,
        )
    )
    log = {
        "contact": np.array([r[0] for r in rows], np.int64),
        "ts": np.array([r[1] for r in rows], np.uint64),
        "stage": np.array([r[2] for r in rows], np.int64),  # -1: an activity of no stage
    }
    return n_stages, window, log


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_reached_equals_window_funnel(parquet: Path, case: tuple) -> None:
    check(parquet, *case)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(3))
def test_reached_equals_window_funnel_on_a_large_log(parquet: Path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_rows, n_stages = 3_000_000, 5
    log = {
        "contact": rng.integers(0, 200_000, n_rows),
        "ts": rng.integers(0, 5_000, n_rows).astype(np.uint64),  # ~15 rows/contact, some ties
        "stage": rng.integers(-1, n_stages, n_rows),
    }
    check(parquet, n_stages, int(rng.integers(50, 2_000)), log)
