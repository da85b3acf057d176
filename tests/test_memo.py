"""The memo: LRU by bytes, one computation per key among concurrent callers, errors shared."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from typing import Any

import pytest

from headway.memo import Memo


def sized(value: Any, size: int) -> Callable[[], tuple[Any, int]]:
    return lambda: (value, size)


def wait_until(check: Callable[[], bool]) -> None:
    """Spin until ``check`` holds (synchronisation between test threads, not timing)."""
    done = threading.Event()
    for _ in range(100_000):
        if check():
            return
        done.wait(0.001)
    raise AssertionError("condition never held")


def test_a_held_value_is_returned_without_computing_again() -> None:
    memo = Memo(100)
    calls: list[int] = []

    def compute() -> tuple[str, int]:
        calls.append(1)
        return "v", 10

    assert memo.get("k", compute) == "v"
    assert memo.get("k", compute) == "v"
    assert len(calls) == 1
    assert (memo.stats.computed, memo.stats.hits) == (1, 1)


def test_least_recently_used_goes_first_when_the_budget_is_exceeded() -> None:
    memo = Memo(100)
    memo.get("a", sized("A", 40))
    memo.get("b", sized("B", 40))
    memo.get("a", sized("unused", 40))  # a is now the most recently used
    memo.get("c", sized("C", 40))
    assert "a" in memo and "c" in memo and "b" not in memo
    assert memo.nbytes == 80
    assert memo.stats.evicted == 1


def test_a_value_larger_than_the_budget_is_returned_but_not_kept() -> None:
    memo = Memo(100)
    memo.get("small", sized(1, 60))
    assert memo.get("huge", sized("H", 101)) == "H"
    assert "huge" not in memo and "small" in memo
    assert memo.nbytes == 60


def test_a_zero_budget_keeps_nothing() -> None:
    memo = Memo(0)
    assert memo.get("k", sized("v", 0)) == "v"
    assert len(memo) == 0


def test_a_value_declined_by_keep_is_not_held() -> None:
    memo = Memo(100)
    assert memo.get("k", sized("v", 1), keep=lambda: False) == "v"
    assert "k" not in memo


def test_discard_if_drops_matching_keys_and_their_bytes() -> None:
    memo = Memo(100)
    for gen in (1, 2):
        memo.get((gen, "x"), sized(gen, 10))
    memo.discard_if(lambda key: key[0] != 2)
    assert (2, "x") in memo and (1, "x") not in memo
    assert memo.nbytes == 10


def test_concurrent_callers_of_one_key_share_one_computation() -> None:
    memo = Memo(1000)
    release = threading.Event()
    calls: list[int] = []

    def compute() -> tuple[object, int]:
        calls.append(1)
        release.wait()
        return object(), 1

    results: list[object] = []
    threads = [
        threading.Thread(target=lambda: results.append(memo.get("k", compute))) for _ in range(6)
    ]
    for t in threads:
        t.start()
    wait_until(lambda: memo.stats.waited == 5)  # five callers wait for the first one
    release.set()
    for t in threads:
        t.join()
    assert len(calls) == 1
    assert len(results) == 6 and all(r is results[0] for r in results)


def test_an_error_reaches_every_waiting_caller_and_is_not_kept() -> None:
    memo = Memo(1000)
    release = threading.Event()

    def failing() -> tuple[object, int]:
        release.wait()
        raise ValueError("boom")

    errors: list[BaseException] = []

    def call() -> None:
        try:
            memo.get("k", failing)
        except ValueError as err:
            errors.append(err)

    threads = [threading.Thread(target=call) for _ in range(3)]
    for t in threads:
        t.start()
    wait_until(lambda: memo.stats.waited == 2)
    release.set()
    for t in threads:
        t.join()
    assert len(errors) == 3
    assert memo.get("k", sized("fine", 1)) == "fine"  # the next caller computes again


def test_many_threads_many_keys_values_and_bytes_stay_consistent() -> None:
    memo = Memo(500)
    wrong: list[tuple[int, Any]] = []

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(300):
            k = rng.randrange(40)
            value = memo.get(k, lambda k=k: (k * 10, 10 + k))
            if value != k * 10:
                wrong.append((k, value))

    threads = [threading.Thread(target=worker, args=(s,)) for s in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wrong == []
    assert memo.nbytes <= 500
    held = [k for k in range(40) if k in memo]
    assert memo.nbytes == sum(10 + k for k in held)


@pytest.mark.parametrize("budget", [1, 50])
def test_budget_holds_after_every_insert(budget: int) -> None:
    memo = Memo(budget)
    for k in range(20):
        memo.get(k, sized(k, k % 7))
        assert memo.nbytes <= budget
