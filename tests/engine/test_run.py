"""The matcher as a contact kernel: batches of whole contacts give one matcher call's result."""

from __future__ import annotations

import pickle

import numpy as np
import pyarrow as pa
import pytest

from headway.engine.kernel.match_kernel import MatchKernel, combine
from headway.engine.kernel.match_types import MatchResult, MatchSpec
from headway.engine.kernel.matcher import match


def _input(seed: int, n: int = 5_000) -> pa.Table:
    rng = np.random.default_rng(seed)
    contact = rng.integers(0, 700, n).astype(np.int64) * 3 + 1_000_000  # sparse, far from 0
    label = np.array(["x", "y", None, "z"], dtype=object)[rng.integers(0, 4, n)]
    return pa.table(
        {
            "contact_key": contact,
            "ts": pa.array(rng.integers(0, 50, n) * 1_000_000, pa.timestamp("us")),
            "stage_mask": rng.integers(0, 8, n).astype(np.int64),
            "excl_mask": (rng.random(n) < 0.05).astype(np.int64),
            "is_exit": rng.random(n) < 0.03,
            "label": pa.array(label.tolist(), pa.string()),
            "code": rng.integers(0, 9, n).astype(np.int16),
        }
    )


def _whole(spec: MatchSpec, table: pa.Table) -> MatchResult:
    ts = table.column("ts").cast(pa.int64()).to_numpy()
    return match(
        spec,
        table.column("contact_key").to_numpy(),
        ts,
        table.column("stage_mask").to_numpy().view(np.uint64),
        table.column("excl_mask").to_numpy().view(np.uint64),
        table.column("is_exit").to_numpy(),
    )


@pytest.mark.parametrize("mode", ["ordered", "strict", "unordered"])
@pytest.mark.parametrize("parts", [1, 4])
def test_batches_of_whole_contacts_equal_one_call(mode: str, parts: int) -> None:
    table = _input(5)
    spec = MatchSpec(mode, 3, 20_000_000, (False, False, False), ((0, 2),), True)  # type: ignore[arg-type]
    kernel = pickle.loads(pickle.dumps(MatchKernel(spec, ("label", "code"))))
    # partitions by contact hash; a contact's rows keep their order (ties at one instant are
    # broken by row order), contacts interleave
    part = (table.column("contact_key").to_numpy() * 7919) % parts
    batches = [table.filter(pa.array(part == p)) for p in range(parts)]
    outs = [kernel(b) for b in batches]
    assert all(out.schema.equals(kernel.schema) for out in outs)
    got, extras = combine(kernel, outs[::-1])

    want = _whole(spec, table)
    for name in ("contact", "reached", "removed", "stage_ts", "exit_ts"):
        assert np.array_equal(getattr(got, name), getattr(want, name)), name
    assert np.array_equal(got.stage_row >= 0, want.stage_row >= 0)
    assert (want.reached > 0).any() and (want.stage_row >= 0).any()
    hit = want.stage_row >= 0
    labels = table.column("label").to_pylist()
    codes = table.column("code").to_pylist()
    assert extras["label"][got.stage_row[hit]].tolist() == [labels[r] for r in want.stage_row[hit]]
    want_codes = [str(codes[r]) for r in want.stage_row[hit]]
    assert extras["code"][got.stage_row[hit]].tolist() == want_codes
    assert len(extras["label"]) == hit.sum()


def test_a_contact_in_two_batches_is_an_error() -> None:
    table = _input(2, 200)
    kernel = MatchKernel(MatchSpec("ordered", 2, 10**9, (False, False)))
    with pytest.raises(ValueError, match="more than one batch"):
        combine(kernel, [kernel(table), kernel(table)])


def test_no_rows_gives_an_empty_result() -> None:
    kernel = MatchKernel(MatchSpec("ordered", 2, 10**9, (False, False)), ("label",))
    result, extras = combine(kernel, [])
    assert len(result) == 0 and result.stage_ts.shape == (0, 2) and len(extras["label"]) == 0


def test_matcher_arrays_span_the_batch_keys_not_the_largest_key() -> None:
    # keys near 2**50: arrays sized by the largest key would need petabytes
    spec = MatchSpec("ordered", 2, 10**9, (False, False))
    contact = np.array([2**50 + 5, 2**50 + 5, 2**50 + 9], np.int64)
    ts = np.array([0, 1, 2], np.int64)
    masks = np.array([1, 2, 1], np.uint64)
    res = match(spec, contact, ts, masks, np.zeros(3, np.uint64), np.zeros(3, np.bool_))
    assert res.contact.tolist() == [2**50 + 5, 2**50 + 9]
    assert res.reached.tolist() == [2, 1]
