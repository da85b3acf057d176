"""Identity claims: recording, the rules (chains, conflicts, cycles, repeats), undo, the
``activity_log`` view and contact attributes (docs/identities.md)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from headway.errors import Conflict, InvalidInput, NotFound
from headway.ingest.presets import IdentityClaim
from headway.store import Store
from headway.store import identities as ids
from headway.store.erase import erase_contact
from tests.engine.activity_log import load

T0 = datetime(2025, 1, 1)


def c(alias: str, contact: str, day: int = 0, activity: str | None = None) -> IdentityClaim:
    """A claim made on day ``day`` after T0."""
    return IdentityClaim(alias, contact, T0 + timedelta(days=day), activity, "test")


def resolved(store: Store) -> dict[str, str]:
    """alias id -> contact id for every merged id."""
    rows = store.execute(
        """SELECT a.id, c.id FROM identity_resolved r
        JOIN contacts a ON a.key = r.alias_key JOIN contacts c ON c.key = r.contact_key"""
    ).rows
    return dict(rows)


def statuses(store: Store) -> dict[int, str]:
    return dict(store.execute("SELECT id, status FROM identity_links ORDER BY id").rows)


def view_joins(store: Store) -> bool:
    sql = store.execute("SELECT sql FROM duckdb_views() WHERE view_name = 'activity_log'").scalar()
    return "identity_resolved" in sql


def test_a_claim_merges_the_alias_and_records_which_ids_when_and_from_what(store: Store) -> None:
    out = ids.claim(store, [c("anon", "ann", 3, "evt-7")])
    assert [(o.status, o.link_id) for o in out] == [("merged", 1)]
    assert resolved(store) == {"anon": "ann"}
    (link,) = ids.list_links(store)
    assert (link.alias, link.contact, link.claimed_at, link.activity_id, link.source) == (
        "anon",
        "ann",
        T0 + timedelta(days=3),
        "evt-7",
        "test",
    )
    assert link.status == "merged" and link.undone_at is None


def test_ids_not_seen_yet_become_contacts(store: Store) -> None:
    load(store, [("ann", "page_visit", "0s")])
    ids.claim(store, [c("anon", "ann")])
    assert sorted(store.execute("SELECT id FROM contacts").rows) == [("ann",), ("anon",)]
    # The in-memory contact keys reload: a later append of the alias keeps its key.
    key = store.execute("SELECT key FROM contacts WHERE id = 'anon'").scalar()
    load(store, [("anon", "page_visit", "1s"), ("new", "page_visit", "2s")])
    assert store.execute("SELECT key FROM contacts WHERE id = 'anon'").scalar() == key
    assert store.execute("SELECT count(DISTINCT key) FROM contacts").scalar() == 3


def test_chain_resolves_to_the_last_contact(store: Store) -> None:
    ids.claim(store, [c("a", "b", 0), c("b", "c", 1)])
    assert resolved(store) == {"a": "c", "b": "c"}


def test_chain_recorded_in_reverse_order_resolves_the_same(store: Store) -> None:
    ids.claim(store, [c("b", "c", 1)])
    ids.claim(store, [c("a", "b", 0)])
    assert resolved(store) == {"a": "c", "b": "c"}


def test_several_aliases_into_one_contact(store: Store) -> None:
    ids.claim(store, [c("cookie", "ann"), c("phone", "ann", 1)])
    assert resolved(store) == {"cookie": "ann", "phone": "ann"}
    found = ids.contact_identities(store, "ann")
    assert found.aliases == ("cookie", "phone") and found.merged_into is None
    assert ids.contact_identities(store, "phone").merged_into == "ann"


def test_claiming_an_id_into_itself_is_a_no_op(store: Store) -> None:
    out = ids.claim(store, [c("ann", "ann")])
    assert [(o.status, o.link_id) for o in out] == [("same", None)]
    assert statuses(store) == {} and not view_joins(store)


def test_a_repeated_claim_is_not_recorded_twice(store: Store) -> None:
    first = ids.claim(store, [c("anon", "ann", 0, "e1")])
    again = ids.claim(store, [c("anon", "ann", 0, "e1"), c("anon", "ann", 5, "e9")])
    assert [(o.status, o.link_id) for o in again] == [("repeated", 1), ("repeated", 1)]
    assert first[0].link_id == 1 and statuses(store) == {1: "merged"}


def test_an_earlier_repeat_moves_the_link_back_to_the_earliest_claim(store: Store) -> None:
    ids.claim(store, [c("anon", "ann", 5, "late")])
    ids.claim(store, [c("anon", "ann", 1, "early")])
    (link,) = ids.list_links(store)
    assert (link.claimed_at, link.activity_id) == (T0 + timedelta(days=1), "early")


def test_conflict_the_earliest_claim_wins_and_the_later_is_kept_unapplied(store: Store) -> None:
    out = ids.claim(store, [c("device", "ann", 1), c("device", "bob", 2)])
    assert [o.status for o in out] == ["merged", "conflict"]
    assert resolved(store) == {"device": "ann"}


def test_conflict_an_earlier_claim_recorded_later_takes_over(store: Store) -> None:
    ids.claim(store, [c("device", "bob", 2)])
    out = ids.claim(store, [c("device", "ann", 1)])
    assert out[0].status == "merged"
    assert statuses(store) == {1: "conflict", 2: "merged"}
    assert resolved(store) == {"device": "ann"}


def test_conflict_same_time_the_first_recorded_wins(store: Store) -> None:
    ids.claim(store, [c("device", "bob", 1)])
    ids.claim(store, [c("device", "ann", 1)])
    assert resolved(store) == {"device": "bob"}


def test_a_cycle_is_refused_as_conflict(store: Store) -> None:
    out = ids.claim(store, [c("a", "b", 0), c("b", "c", 1), c("c", "a", 2)])
    assert [o.status for o in out] == ["merged", "merged", "conflict"]
    assert resolved(store) == {"a": "c", "b": "c"}


def test_a_direct_reversal_is_a_cycle(store: Store) -> None:
    out = ids.claim(store, [c("anon", "ann", 0), c("ann", "anon", 1)])
    assert [o.status for o in out] == ["merged", "conflict"]
    assert resolved(store) == {"anon": "ann"}


@pytest.mark.parametrize("order", list(itertools.permutations(range(4))))
def test_the_outcome_does_not_depend_on_arrival_order(db_path, order) -> None:  # type: ignore[no-untyped-def]
    claims = [c("x", "ann", 2), c("x", "bob", 1), c("bob", "carl", 3), c("carl", "x", 4)]
    with Store(db_path) as store:
        for i in order:
            ids.claim(store, [claims[i]])
        assert resolved(store) == {"x": "carl", "bob": "carl"}
        by_pair = {(link.alias, link.contact): link.status for link in ids.list_links(store)}
    assert by_pair == {
        ("x", "ann"): "conflict",
        ("x", "bob"): "merged",
        ("bob", "carl"): "merged",
        ("carl", "x"): "conflict",
    }


def test_undo_recomputes_and_lets_a_blocked_claim_apply(store: Store) -> None:
    ids.claim(store, [c("device", "ann", 1), c("device", "bob", 2)])
    link = ids.undo(store, 1)
    assert link.status == "undone" and link.undone_at is not None
    assert statuses(store) == {1: "undone", 2: "merged"}
    assert resolved(store) == {"device": "bob"}


def test_undo_of_the_last_merge_restores_the_bare_view(store: Store) -> None:
    ids.claim(store, [c("anon", "ann")])
    assert view_joins(store)
    ids.undo(store, 1)
    assert resolved(store) == {} and not view_joins(store)


def test_undo_of_a_chain_link_splits_the_chain(store: Store) -> None:
    ids.claim(store, [c("a", "b", 0), c("b", "c", 1)])
    ids.undo(store, 2)
    assert resolved(store) == {"a": "b"}


def test_undo_unknown_or_twice(store: Store) -> None:
    with pytest.raises(NotFound, match="no identity link 7"):
        ids.undo(store, 7)
    ids.claim(store, [c("anon", "ann")])
    ids.undo(store, 1)
    with pytest.raises(Conflict, match="already undone"):
        ids.undo(store, 1)


def test_a_retry_of_an_undone_claim_does_not_merge_again(store: Store) -> None:
    ids.claim(store, [c("anon", "ann", 0, "e1")])
    ids.undo(store, 1)
    out = ids.claim(store, [c("anon", "ann", 0, "e1")])
    assert (out[0].status, out[0].link_id) == ("repeated", 1)
    assert resolved(store) == {}
    # New evidence (another identify call) merges again, as a new link.
    out = ids.claim(store, [c("anon", "ann", 4, "e2")])
    assert (out[0].status, out[0].link_id) == ("merged", 2)


def test_merge_needs_known_contacts(store: Store) -> None:
    load(store, [("ann", "page_visit", "0s")])
    with pytest.raises(NotFound, match="no contact 'ghost'"):
        ids.merge(store, "ghost", "ann")
    load(store, [("anon", "page_visit", "0s")])
    assert ids.merge(store, "anon", "ann").status == "merged"
    assert ids.list_links(store)[0].source == "manual"


def test_bad_claims_name_the_claim_and_field(store: Store) -> None:
    with pytest.raises(InvalidInput, match="identity claim 1: 'contact' must be a non-empty id"):
        ids.claim(store, [c("a", "b"), c("a", "  ")])
    assert statuses(store) == {}


def test_claim_time_with_a_zone_is_stored_in_utc(store: Store) -> None:
    at = datetime(2025, 1, 1, 12, tzinfo=UTC).astimezone()
    ids.claim(store, [IdentityClaim("anon", "ann", at)])
    assert ids.list_links(store)[0].claimed_at == datetime(2025, 1, 1, 12)


def test_activity_log_resolves_contact_keys_and_the_log_is_untouched(store: Store) -> None:
    load(store, [("anon", "page_visit", "0s"), ("ann", "form_submission", "1h")])
    raw = store.execute("SELECT id, contact_key FROM activities ORDER BY id").rows
    ids.claim(store, [c("anon", "ann")])
    assert store.execute("SELECT id, contact_key FROM activities ORDER BY id").rows == raw
    ann = store.execute("SELECT key FROM contacts WHERE id = 'ann'").scalar()
    assert store.execute("SELECT DISTINCT contact_key FROM activity_log").rows == [(ann,)]


def test_attributes_merge_latest_wins_null_removes(store: Store) -> None:
    load(store, [("ann", "page_visit", "0s")])
    count = ids.store_attributes(
        store,
        [
            ("ann", {"plan": "free", "name": "Ann", "address": {"city": "Brno"}}),
            ("ann", {"plan": "pro", "address": {"zip": "60200"}}),
            ("new", {"email": "new@example.com", "$set": True}),
        ],
    )
    assert count == 2
    ids.store_attributes(store, [("ann", {"name": None})])
    rows = dict(store.execute("SELECT id, attributes FROM contacts").rows)
    assert orjson.loads(rows["ann"]) == {"plan": "pro", "address": {"city": "Brno", "zip": "60200"}}
    assert orjson.loads(rows["new"]) == {"email": "new@example.com", "$set": True}
    email = store.execute("SELECT email FROM contacts WHERE id = 'new'").scalar()
    assert email == "new@example.com"


def test_attributes_must_be_an_object(store: Store) -> None:
    with pytest.raises(InvalidInput, match="attributes of 'ann' must be a JSON object"):
        ids.store_attributes(store, [("ann", ["x"])])  # type: ignore[list-item]


def test_claims_inside_a_caller_transaction_roll_back_with_it(store: Store) -> None:
    def fail(conn):  # type: ignore[no-untyped-def]
        ids.record_claims(conn, [c("anon", "ann")])
        raise RuntimeError("the import failed")

    with pytest.raises(RuntimeError):
        store.write(fail)
    assert statuses(store) == {} and resolved(store) == {} and not view_joins(store)


# -- erasure: a merged person is one person ------------------------------------------------


def test_erasing_a_contact_erases_its_aliases_and_their_activities(store: Store) -> None:
    load(
        store,
        [
            ("cookie", "page_visit", "0s"),
            ("phone", "page_visit", "1s"),
            ("ann", "form_submission", "2s"),
            ("bob", "page_visit", "3s"),
        ],
    )
    ids.claim(store, [c("cookie", "ann"), c("phone", "cookie", 1), c("cookie", "bob", 2)])
    report = erase_contact(store, "ann")
    assert (report.activities_deleted, report.merged_ids) == (3, ("cookie", "phone"))
    assert store.execute("SELECT id FROM contacts").rows == [("bob",)]
    assert store.execute("SELECT count(*) FROM activities").scalar() == 1
    assert statuses(store) == {} and resolved(store) == {} and not view_joins(store)


def test_erasing_an_alias_erases_the_whole_person(store: Store) -> None:
    load(store, [("cookie", "page_visit", "0s"), ("ann", "form_submission", "2s")])
    ids.claim(store, [c("cookie", "ann")])
    report = erase_contact(store, "cookie")
    assert (report.activities_deleted, report.merged_ids) == (2, ("ann",))
    assert store.execute("SELECT count(*) FROM contacts").scalar() == 0


def test_erasure_rejudges_the_claims_left_behind(store: Store) -> None:
    # device -> ann is in force (earliest); device -> bob waits in conflict. Erasing ann takes
    # device with her (one person), and bob's other merges stay as they were.
    ids.claim(store, [c("device", "ann", 1), c("device", "bob", 2), c("tablet", "bob", 3)])
    erase_contact(store, "ann")
    assert resolved(store) == {"tablet": "bob"}
    assert [(link.alias, link.contact, link.status) for link in ids.list_links(store)] == [
        ("tablet", "bob", "merged")
    ]


def test_erasing_a_contact_that_only_claimed_an_alias_in_conflict_frees_the_alias(
    store: Store,
) -> None:
    ids.claim(store, [c("device", "ann", 1), c("device", "bob", 2)])
    erase_contact(store, "bob")
    assert resolved(store) == {"device": "ann"}
    assert [link.status for link in ids.list_links(store)] == ["merged"]
