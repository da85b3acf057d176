"""Drivers separate what happened before a stage from what happened because of it (#12.3).

A three-stage journey A -> B -> C (page visits) where every contact also has activities the
report must leave out by default: a visit matching B's own condition variant, a visit of the
later stage C before B, and sends of the journey's own emails (one its conditions name, one
registered as transactional). The counts and rates are worked out by hand below.
"""

from __future__ import annotations

from typing import Any

from headway.backends.duckdb import DuckDBBackend
from headway.engine.diagnostics.drivers import drivers_report, named_emails
from headway.engine.options import ReportOptions
from headway.model.journey import Journey, parse_journey
from headway.store import Store
from headway.store.emails import register_email
from tests.engine.activity_log import at, load

AS_OF = ReportOptions(as_of=at("3d"))


def journey() -> Journey:
    return parse_journey(
        {
            "name": "J",
            "window": "1d",
            "stages": [
                {"name": "A", "when": {"type": "page_visit", "where": {"url": "/a"}}},
                {
                    "name": "B",
                    "when": {
                        "any": [
                            {"type": "page_visit", "where": {"url": "/b"}},
                            {"type": "email_click", "where": {"email": "invite"}},
                        ]
                    },
                },
                {"name": "C", "when": {"type": "page_visit", "where": {"url": "/c"}}},
            ],
        }
    )


def visit(contact: str, url: str, offset: str) -> tuple[Any, ...]:
    return (contact, "page_visit", offset, {"url": url})


def sent(contact: str, email: str, offset: str) -> tuple[Any, ...]:
    return (contact, "email_sent", offset, {"email": email})


def world(store: Store) -> None:
    """20 movers and 20 stayers at A -> B; 12 of the movers and 4 of the stayers visited
    /pricing; every mover was sent the invite and Welcome before B, 15 movers visited /c
    before B, 5 stayers were sent the newsletter."""
    register_email(store, "welcome", "Welcome 1", kind="transactional")
    register_email(store, "news", "Newsletter", kind="newsletter")
    rows: list[tuple[Any, ...]] = []
    for i in range(20):
        m = f"m{i}"
        rows += [visit(m, "/a", "0s"), sent(m, "invite", "10m"), sent(m, "welcome", "20m")]
        if i < 12:
            rows.append(visit(m, "/pricing", "30m"))
        if i < 15:
            rows.append(visit(m, "/c", "40m"))
        rows.append(visit(m, "/b", "1h"))
    for i in range(20):
        s = f"s{i}"
        rows.append(visit(s, "/a", "0s"))
        if i < 4:
            rows.append(visit(s, "/pricing", "30m"))
        if i < 5:
            rows.append(sent(s, "news", "40m"))
    load(store, rows)


def test_named_emails_come_from_every_condition() -> None:
    assert named_emails(journey()) == {"invite"}


def test_excluded_by_default_listed_with_reasons(store: Store) -> None:
    world(store)
    report = drivers_report(DuckDBBackend(store), journey(), AS_OF, stage=0, min_support=3)
    (t,) = report.transitions
    assert (t.population, t.advanced) == (40, 20)
    tested = {d.touchpoint: d for d in t.drivers}
    assert set(tested) == {"page_visit:/pricing", "email_sent:news"}
    pricing = tested["page_visit:/pricing"]
    # with /pricing: 12 moved on of 16; without: 8 of 24 (one contact-age stratum: all new)
    assert (pricing.with_advanced, pricing.with_not_advanced) == (12, 4)
    assert (pricing.without_advanced, pricing.without_not_advanced) == (8, 16)
    assert pricing.rate_with == 12 / 16 and pricing.rate_without == 8 / 24
    assert abs(pricing.rate_ratio - (12 / 16) / (8 / 24)) < 1e-12
    assert pricing.effect == (
        "Contacts who visited /pricing were 2.2× as likely to reach B, "
        "after accounting for how long they had been contacts"
    )
    assert pricing.excluded_reason is None
    excluded = {e.touchpoint: e for e in t.excluded}
    assert set(excluded) == {"page_visit:/c", "email_sent:invite", "email_sent:welcome"}
    assert excluded["page_visit:/c"].kind == "later_stage"
    assert excluded["page_visit:/c"].contacts == 15
    assert "C, a later stage" in excluded["page_visit:/c"].reason
    assert excluded["email_sent:invite"].kind == "journey_email"
    assert "conditions name" in excluded["email_sent:invite"].reason
    assert excluded["email_sent:welcome"].contacts == 20
    assert excluded["email_sent:welcome"].reason.startswith(
        "a send of Welcome 1 (a transactional email, sent automatically)"
    )
    assert report.to_dict()["transitions"][0]["excluded"][0]["touchpoint"] == "email_sent:invite"


def test_include_excluded_tests_them_and_says_why(store: Store) -> None:
    world(store)
    report = drivers_report(
        DuckDBBackend(store), journey(), AS_OF, stage=0, min_support=3, include_excluded=True
    )
    (t,) = report.transitions
    assert t.excluded == ()
    tested = {d.touchpoint: d for d in t.drivers}
    later = tested["page_visit:/c"]
    # /c: 15 movers, no stayer; without: 5 movers, 20 stayers
    assert (later.with_advanced, later.with_not_advanced) == (15, 0)
    assert (later.without_advanced, later.without_not_advanced) == (5, 20)
    assert later.excluded_reason is not None and "later stage" in later.excluded_reason
    # the invite went to the 20 movers and no stayer
    invite = tested["email_sent:invite"]
    assert (invite.with_advanced, invite.with_not_advanced) == (20, 0)
    assert invite.excluded_reason is not None and "conditions name" in invite.excluded_reason
    assert tested["page_visit:/pricing"].excluded_reason is None
    assert report.include_excluded and report.to_dict()["include_excluded"] is True
