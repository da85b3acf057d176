"""Matching in batches of contact-key ranges gives exactly the result of one matcher call."""

from __future__ import annotations

import numpy as np

from headway.engine.kernel.match_types import MatchSpec
from headway.engine.kernel.matcher import match
from headway.engine.kernel.run import match_in_batches


def test_batches_equal_one_call() -> None:
    rng = np.random.default_rng(5)
    n = 5_000
    contact = rng.integers(0, 700, n).astype(np.int64)
    ts = rng.integers(0, 50, n).astype(np.int64) * 1_000_000
    stage_mask = rng.integers(0, 8, n).astype(np.uint64)
    excl_mask = (rng.random(n) < 0.05).astype(np.uint64)
    exit_ = rng.random(n) < 0.03
    for mode in ("ordered", "strict", "unordered"):
        spec = MatchSpec(mode, 3, 20_000_000, (False, False, False), ((0, 2),), True)  # type: ignore[arg-type]
        whole = match(spec, contact, ts, stage_mask, excl_mask, exit_)
        batched = match_in_batches(spec, contact, ts, stage_mask, excl_mask, exit_, batch_rows=900)
        assert batched.equals(whole), mode
        assert (whole.reached > 0).any() and (whole.stage_row >= 0).any()
