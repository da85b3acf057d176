"""DESIGN §5 funnel semantics, rule by rule, as timelines; every test runs on both the numba
kernel and the brute-force reference (and on the rows as written and reversed)."""

from __future__ import annotations

import pytest

from headway.engine.kernel import matcher
from tests.engine import reference_matcher as reference
from tests.engine.timeline import Matcher, Outcome, journey, run, tl


@pytest.fixture(params=[matcher.match, reference.match], ids=["kernel", "reference"])
def impl(request: pytest.FixtureRequest) -> Matcher:
    return request.param  # type: ignore[no-any-return]


ABC = journey("a", "b", "c", window="10s")


# --- attempts and the window ------------------------------------------------------------


def test_each_entry_starts_an_attempt_and_the_furthest_is_credited(impl: Matcher) -> None:
    out = run(impl, ABC, tl("k: a@0s, a@20s, b@25s, c@26s"))
    assert out["k"] == Outcome(3, times=(20, 25, 26), rows=("a@20s", "b@25s", "c@26s"))


def test_among_equally_far_attempts_the_earliest_gives_the_times(impl: Matcher) -> None:
    out = run(impl, ABC, tl("k: a@0s, b@5s, a@20s, b@22s"))
    assert out["k"] == Outcome(2, times=(0, 5), rows=("a@0s", "b@5s"))


def test_window_end_is_inclusive(impl: Matcher) -> None:
    out = run(impl, ABC, tl("on: a@0s, b@10s; after: a@0s, b@10000001us"))
    assert out["on"].reached == 2
    assert out["after"] == Outcome(1, times=(0,), rows=("a@0s",))


def test_window_counts_from_entry_not_from_previous_stage(impl: Matcher) -> None:
    out = run(impl, ABC, tl("k: a@0s, b@6s, c@12s"))
    assert out["k"].reached == 2


def test_stages_take_the_earliest_activities_of_the_attempt(impl: Matcher) -> None:
    out = run(impl, ABC, tl("k: a@0s, b@3s, b@4s, c@6s, c@7s"))
    assert out["k"] == Outcome(3, times=(0, 3, 6), rows=("a@0s", "b@3s", "c@6s"))


def test_contact_without_entry_has_a_row_with_nothing_reached(impl: Matcher) -> None:
    out = run(impl, ABC, tl("k: b@0s, c@1s; other: zzz@0s"))
    assert out == {"k": Outcome(0), "other": Outcome(0)}


def test_later_stage_before_entry_does_not_count(impl: Matcher) -> None:
    out = run(impl, ABC, tl("k: b@0s, a@1s, c@2s"))
    assert out["k"] == Outcome(1, times=(1,), rows=("a@1s",))


# --- ordered ------------------------------------------------------------------------------


def test_equal_timestamps_convert_between_different_conditions(impl: Matcher) -> None:
    out = run(impl, ABC, tl("k: c@5s, b@5s, a@5s"))
    assert out["k"] == Outcome(3, times=(5, 5, 5), rows=("a@5s", "b@5s", "c@5s"))


def test_other_activities_do_not_interrupt_ordered(impl: Matcher) -> None:
    out = run(impl, ABC, tl("k: a@0s, zzz@1s, c@2s, b@3s, zzz@4s, c@5s"))
    assert out["k"] == Outcome(3, times=(0, 3, 5), rows=("a@0s", "b@3s", "c@5s"))


def test_one_activity_never_satisfies_two_stages(impl: Matcher) -> None:
    j = journey("a|b", "b", window="10s")
    out = run(impl, j, tl("one: b@0s; two: b@0s=first, b@0s=second"))
    assert out["one"] == Outcome(1, times=(0,), rows=("b@0s",))
    assert out["two"] == Outcome(2, times=(0, 0), rows=("first", "second"))


def test_repeated_stage_needs_a_strictly_later_activity(impl: Matcher) -> None:
    j = journey("page_visit", "page_visit", window="10s")
    out = run(
        impl, j, tl("same: page_visit@0s, page_visit@0s; later: page_visit@0s, page_visit@1s")
    )
    assert out["same"].reached == 1
    assert out["later"] == Outcome(2, times=(0, 1), rows=("page_visit@0s", "page_visit@1s"))


def test_widened_stage_needs_a_strictly_later_activity(impl: Matcher) -> None:
    j = journey("a", "a|b", window="10s")
    assert j.strictly_later == (False, True)
    out = run(impl, j, tl("same: a@0s, b@0s; later: a@0s, b@1s"))
    assert out["same"].reached == 1
    assert out["later"] == Outcome(2, times=(0, 1), rows=("a@0s", "b@1s"))


def test_tie_group_is_assigned_for_the_deepest_match(impl: Matcher) -> None:
    # at 5s activity A matches stages 2 and 3, B only stage 2: B takes 2 so that A can take 3
    j = journey("x", "a|b", "a", window="10s", strictly_later=[False, False, False])
    for log in ("k: x@0s, a@5s=A, b@5s=B", "k: x@0s, b@5s=B, a@5s=A"):
        out = run(impl, j, tl(log))
        assert out["k"] == Outcome(3, times=(0, 5, 5), rows=("x@0s", "B", "A"))


def test_tie_between_entry_and_other_stage_one_activities(impl: Matcher) -> None:
    # both match stage 1; only the attempt entered at A can use the other (B) for stage 2
    j = journey("a|b", "b", window="10s", strictly_later=[False, False])
    out = run(impl, j, tl("k: b@0s=B, a@0s=A"))
    assert out["k"] == Outcome(2, times=(0, 0), rows=("A", "B"))


def test_equal_depth_prefers_earliest_times_then_lowest_rows(impl: Matcher) -> None:
    j = journey("a", "b", window="10s")
    out = run(impl, j, tl("k: a@0s=first, a@0s=second, b@1s=b1, b@1s=b2"))
    assert out["k"] == Outcome(2, times=(0, 1), rows=("first", "b1"))


# --- strict -------------------------------------------------------------------------------

STRICT = journey("a", "b", "c", window="10s", mode="strict")


def test_strict_is_broken_by_a_non_matching_activity(impl: Matcher) -> None:
    out = run(impl, STRICT, tl("k: a@0s, zzz@1s, b@2s, c@3s"))
    assert out["k"] == Outcome(1, times=(0,), rows=("a@0s",))


def test_strict_stops_at_the_stage_before_the_interruption(impl: Matcher) -> None:
    out = run(impl, STRICT, tl("k: a@0s, b@1s, zzz@2s, c@3s"))
    assert out["k"] == Outcome(2, times=(0, 1), rows=("a@0s", "b@1s"))


def test_strict_activities_at_stage_instants_do_not_interrupt(impl: Matcher) -> None:
    out = run(impl, STRICT, tl("k: zzz@0s, a@0s, zzz@2s, b@2s, c@3s, zzz@3s"))
    assert out["k"] == Outcome(3, times=(0, 2, 3), rows=("a@0s", "b@2s", "c@3s"))


def test_strict_converts_without_interruptions(impl: Matcher) -> None:
    out = run(impl, STRICT, tl("k: zzz@-5s, a@0s, b@1s, c@9s, zzz@10s"))
    assert out["k"].reached == 3


def test_strict_later_entry_can_succeed_after_a_broken_one(impl: Matcher) -> None:
    out = run(impl, STRICT, tl("k: a@0s, zzz@1s, a@2s, b@3s, c@4s"))
    assert out["k"] == Outcome(3, times=(2, 3, 4), rows=("a@2s", "b@3s", "c@4s"))


def test_strict_stage_may_wait_for_the_next_instant(impl: Matcher) -> None:
    # taking stage 2 at 4s would leave the instant 5s (another b) as an interruption
    out = run(impl, STRICT, tl("k: a@4s, b@4s=early, b@5s=late, c@6s"))
    assert out["k"] == Outcome(3, times=(4, 5, 6), rows=("a@4s", "late", "c@6s"))


def test_strict_repeated_stage_needs_a_strictly_later_activity(impl: Matcher) -> None:
    j = journey("a", "a", window="10s", mode="strict")
    out = run(impl, j, tl("same: a@0s, a@0s; next: a@0s, a@1s; gap: a@0s, zzz@1s, a@2s"))
    assert [out[k].reached for k in ("same", "next", "gap")] == [1, 2, 1]


# --- unordered ----------------------------------------------------------------------------

ANY = journey("a", "b", "c", window="10s", mode="unordered")


def test_unordered_counts_stages_in_any_order(impl: Matcher) -> None:
    out = run(impl, ANY, tl("k: c@0s, a@1s, b@2s"))
    assert out["k"] == Outcome(3, times=(0, 1, 2), rows=("c@0s", "a@1s", "b@2s"))


def test_unordered_entry_is_any_stage(impl: Matcher) -> None:
    out = run(impl, ANY, tl("k: b@3s, b@4s"))
    assert out["k"] == Outcome(1, times=(3,), rows=("b@3s",))


def test_unordered_window_runs_from_the_first_stage(impl: Matcher) -> None:
    out = run(impl, ANY, tl("k: c@0s, a@5s, b@11s, c@12s"))
    assert out["k"] == Outcome(3, times=(5, 11, 12), rows=("a@5s", "b@11s", "c@12s"))


def test_unordered_needs_distinct_activities(impl: Matcher) -> None:
    j = journey("a|b", "b", window="10s", mode="unordered")
    out = run(impl, j, tl("one: b@0s; two: b@0s, b@1s"))
    assert out["one"].reached == 1
    assert out["two"] == Outcome(2, times=(0, 1), rows=("b@0s", "b@1s"))


def test_unordered_times_are_when_each_count_was_completed(impl: Matcher) -> None:
    # a@0s completes one stage; b@1s only matches stage 1, so a moves to stage 2: two done
    j = journey("a|b", "a", window="10s", mode="unordered")
    out = run(impl, j, tl("k: a@0s, b@1s"))
    assert out["k"] == Outcome(2, times=(0, 1), rows=("a@0s", "b@1s"))


# --- exclusions ---------------------------------------------------------------------------

EXCL = journey("a", "b", "c", window="10s", exclusions=[("x", 1, 2)])


def test_excluded_activity_between_from_and_to_voids(impl: Matcher) -> None:
    out = run(impl, EXCL, tl("k: a@0s, x@1s, b@2s, c@3s"))
    assert out["k"] == Outcome(0, removed=True)


def test_excluded_activity_at_a_stage_instant_does_not_void(impl: Matcher) -> None:
    out = run(impl, EXCL, tl("k: x@0s, a@0s, b@2s, x@2s, c@3s"))
    assert out["k"].reached == 3 and not out["k"].removed


def test_exclusion_outside_its_stages_does_not_void(impl: Matcher) -> None:
    j = journey("a", "b", "c", window="10s", exclusions=[("x", 2, 3)])
    out = run(impl, j, tl("k: a@0s, x@1s, b@2s, c@3s, x@4s"))
    assert out["k"].reached == 3


def test_exclusion_after_from_in_window_voids_when_to_is_never_reached(impl: Matcher) -> None:
    log = tl("in: a@0s, x@5s; edge: a@0s, x@10s; out: a@0s, x@10000001us")
    out = run(impl, EXCL, log)
    assert out["in"] == Outcome(0, removed=True)
    assert out["edge"] == Outcome(0, removed=True)  # window end is inclusive
    assert out["out"] == Outcome(1, times=(0,), rows=("a@0s",))


def test_void_furthest_attempt_removes_contact_despite_shorter_clean_one(impl: Matcher) -> None:
    out = run(impl, EXCL, tl("k: a@0s, x@1s, b@2s, a@20s"))
    assert out["k"] == Outcome(0, removed=True)


def test_clean_attempt_of_the_same_length_keeps_the_contact(impl: Matcher) -> None:
    out = run(impl, EXCL, tl("k: a@0s, x@1s, b@2s, a@20s, b@22s"))
    assert out["k"] == Outcome(2, times=(20, 22), rows=("a@20s", "b@22s"))


def test_unordered_exclusion_spans_the_journey_and_keeps_the_furthest_clean(impl: Matcher) -> None:
    j = journey("a", "b", "c", window="10s", mode="unordered", exclusions=[("x", 1, 2)])
    out = run(impl, j, tl("k: a@0s, b@1s, x@2s, c@3s"))
    assert out["k"] == Outcome(1, times=(3,), rows=("c@3s",))


def test_unordered_exclusion_after_conversion_does_not_void(impl: Matcher) -> None:
    j = journey("a", "b", "c", window="10s", mode="unordered", exclusions=[("x", 1, 2)])
    out = run(impl, j, tl("k: x@0s, a@0s, b@1s, c@2s, x@2s, x@3s"))
    assert out["k"].reached == 3


def test_unordered_without_clean_attempt_is_removed(impl: Matcher) -> None:
    j = journey("a", "b", "c", window="10s", mode="unordered", exclusions=[("x", 1, 2)])
    out = run(impl, j, tl("k: a@0s, b@1s, x@10s"))
    assert out["k"] == Outcome(0, removed=True)


# --- exit ---------------------------------------------------------------------------------


def test_exit_is_the_first_exit_activity_after_the_last_stage(impl: Matcher) -> None:
    j = journey("a", "b", "c", window="10s", exit="bounce")
    out = run(impl, j, tl("k: a@0s, bounce@1s, b@2s, bounce@2s, bounce@30s, bounce@4s"))
    assert out["k"] == Outcome(2, times=(0, 2), rows=("a@0s", "b@2s"), exit=4)


def test_no_exit_without_a_reached_stage_or_after_removal(impl: Matcher) -> None:
    j = journey("a", "b", window="10s", exit="bounce", exclusions=[("x", 1, 2)])
    out = run(impl, j, tl("none: b@0s, bounce@1s; gone: a@0s, x@1s, bounce@2s"))
    assert out["none"] == Outcome(0)
    assert out["gone"] == Outcome(0, removed=True)
