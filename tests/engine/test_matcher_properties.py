"""The numba kernel returns exactly what the brute-force reference returns, on random logs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from headway.engine.kernel import matcher
from headway.engine.kernel.match_types import MODES, MatchSpec
from tests.engine import reference_matcher as reference

CONTACT_KEYS = [0, 2, 3, 7]  # sparse dense keys, as after deletions


@st.composite
def specs(draw: st.DrawFn) -> MatchSpec:
    """A random journey: mode, 1..5 stages, small window, strictly-later flags, exclusions."""
    n = draw(st.integers(1, 5))
    pairs = st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)).filter(lambda p: p[0] < p[1])
    return MatchSpec(
        mode=draw(st.sampled_from(MODES)),
        n_stages=n,
        window_us=draw(st.integers(0, 8)),
        strictly_later=(False, *draw(st.lists(st.booleans(), min_size=n - 1, max_size=n - 1))),
        exclusions=tuple(draw(st.lists(pairs, max_size=2))) if n > 1 else (),
        has_exit=draw(st.booleans()),
    )


@st.composite
def logs(draw: st.DrawFn, spec: MatchSpec, max_rows: int = 30) -> tuple[np.ndarray, ...]:
    """Random rows in random order: many equal timestamps, overlapping stage masks."""
    n_rows = draw(st.integers(0, max_rows))
    stage_bits = st.lists(st.integers(0, spec.n_stages - 1), max_size=3)
    excl_bits = st.lists(st.integers(0, max(len(spec.exclusions) - 1, 0)), max_size=1)
    rows = draw(
        st.lists(
            st.tuples(
                st.sampled_from(CONTACT_KEYS),
                st.integers(0, 12),
                stage_bits,
                st.one_of(st.just([]), excl_bits) if spec.exclusions else st.just([]),
                st.booleans(),
            ),
            min_size=n_rows,
            max_size=n_rows,
        )
    )
    return (
        np.array([r[0] for r in rows], np.int32),
        np.array([r[1] for r in rows], np.int64),
        np.array([sum(1 << b for b in set(r[2])) for r in rows], np.uint64),
        np.array([sum(1 << b for b in set(r[3])) for r in rows], np.uint64),
        np.array([r[4] for r in rows], np.bool_),
    )


def check_same(spec: MatchSpec, arrays: tuple[np.ndarray, ...]) -> None:
    """Kernel and reference agree on every field."""
    want = reference.match(spec, *arrays)
    got = matcher.match(spec, *arrays)
    for name in ("contact", "reached", "removed", "stage_ts", "stage_row", "exit_ts"):
        np.testing.assert_array_equal(getattr(got, name), getattr(want, name), err_msg=name)
        assert getattr(got, name).dtype == getattr(want, name).dtype, name


@st.composite
def cases(draw: st.DrawFn) -> tuple[MatchSpec, tuple[np.ndarray, ...]]:
    """A journey and a log for it."""
    spec = draw(specs())
    return spec, draw(logs(spec))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_kernel_equals_reference(case: tuple[MatchSpec, tuple[np.ndarray, ...]]) -> None:
    check_same(*case)


@pytest.mark.slow
@settings(max_examples=5000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_kernel_equals_reference_many(case: tuple[MatchSpec, tuple[np.ndarray, ...]]) -> None:
    check_same(*case)


@pytest.mark.parametrize("mode", MODES)
def test_kernel_handles_an_empty_log(mode: str) -> None:
    spec = MatchSpec(mode, 2, 10, (False, False))  # type: ignore[arg-type]
    empty = (np.zeros(0, np.int64), np.zeros(0, np.int64), *[np.zeros(0, np.uint64)] * 2)
    got = matcher.match(spec, *empty, np.zeros(0, np.bool_))
    assert len(got) == 0 and got.stage_ts.shape == (0, 2)


def random_log(seed: int, n_rows: int, n_contacts: int, n_stages: int) -> tuple[np.ndarray, ...]:
    """A seeded random log with ties, overlapping masks, exclusions and exits."""
    rng = np.random.default_rng(seed)
    return (
        rng.integers(0, n_contacts, n_rows),
        rng.integers(0, 40, n_rows),
        rng.integers(0, 1 << n_stages, n_rows).astype(np.uint64) * (rng.random(n_rows) < 0.7),
        (rng.random(n_rows) < 0.05).astype(np.uint64),
        rng.random(n_rows) < 0.1,
    )


@pytest.mark.parametrize("mode", MODES)
def test_many_contacts_split_across_threads_match_the_reference(mode: str) -> None:
    spec = MatchSpec(mode, 4, 15, (False, True, False, False), ((0, 2),), True)  # type: ignore[arg-type]
    log = random_log(7, 12_000, 3_000, 4)
    check_same(spec, log)
    one, two = matcher.match(spec, *log, threads=1), matcher.match(spec, *log, threads=2)
    assert one.equals(two)


@pytest.mark.parametrize("mode", MODES)
def test_mask_bits_beyond_the_journey_are_ignored(mode: str) -> None:
    spec = MatchSpec(mode, 2, 10, (False, False), ((0, 1),), False)  # type: ignore[arg-type]
    contact, ts = np.array([0, 0, 1]), np.array([0, 1, 0])
    stage = np.array([1, 1 << 5, 1 << 63], np.uint64)  # bit 5 / 63: no stage of this journey
    excl = np.array([0, 1 << 3, 0], np.uint64)
    got = matcher.match(spec, contact, ts, stage, excl, np.zeros(3, np.bool_))
    assert got.reached.tolist() == [1, 0] and got.removed.tolist() == [False, False]
    check_same(spec, (contact, ts, stage, excl, np.zeros(3, np.bool_)))


def test_bad_arrays_are_refused() -> None:
    spec = MatchSpec("ordered", 1, 10, (False,))
    ok = (np.array([0]), np.array([0]), np.array([1], np.uint64), np.array([0], np.uint64))
    with pytest.raises(ValueError, match="one entry per row"):
        matcher.match(spec, *ok, np.zeros(2, np.bool_))
    with pytest.raises(ValueError, match="non-negative"):
        matcher.match(spec, np.array([-1]), *ok[1:], np.zeros(1, np.bool_))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"mode": "sideways"}, "mode must be"),
        ({"n_stages": 0, "strictly_later": ()}, "n_stages must be"),
        ({"window_us": -1}, "must not be negative"),
        ({"strictly_later": (False,)}, "one flag per stage"),
        ({"exclusions": ((1, 1),)}, "from < to"),
    ],
)
def test_bad_specs_are_refused(kwargs: dict, message: str) -> None:
    base = {"mode": "ordered", "n_stages": 2, "window_us": 5, "strictly_later": (False, False)}
    with pytest.raises(ValueError, match=message):
        MatchSpec(**(base | kwargs))


def test_warmup_compiles_every_mode() -> None:
    matcher.warmup()  # must not raise; afterwards a call needs no compilation
    spec = MatchSpec("strict", 1, 0, (False,))
    got = matcher.match(
        spec,
        np.array([4]),
        np.array([9]),
        np.array([1], np.uint64),
        np.array([0], np.uint64),
        np.array([False]),
    )
    assert got.contact.tolist() == [4] and got.stage_ts.tolist() == [[9]]
