"""Email statistics (DESIGN §6) against hand-computed expectations on a small timeline."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import orjson
import pyarrow as pa
import pytest

from headway.backends.duckdb import DuckDBBackend
from headway.engine.email.queries import StatsQuery
from headway.engine.email.stats import EmailMetrics, email_stats, rate
from headway.errors import InvalidInput
from headway.store import Store

T1 = datetime(2025, 1, 1, 10, 0)  # e1 sent (a Wednesday)
T2 = datetime(2025, 1, 8, 10, 0)  # e2 sent
T3 = datetime(2025, 2, 1, 9, 0)  # an open of the unregistered e3
H = timedelta(hours=1)
S = timedelta(seconds=1)

# (contact, type, time, properties, bot)
TIMELINE: list[tuple[str, str, datetime, dict[str, Any], bool]] = [
    # e1: sent to a..e; the sender reports deliveries (a..d); e bounces hard.
    *[(c, "email_sent", T1, {"email": "e1"}, False) for c in "abcde"],
    *[(c, "email_delivered", T1, {"email": "e1"}, False) for c in "abcd"],
    ("e", "email_bounce", T1 + 2 * S, {"email": "e1", "bounce_type": "hard"}, False),
    # a: two opens, two clicks on l1 (human)
    ("a", "email_open", T1 + H, {"email": "e1"}, False),
    ("a", "email_open", T1 + 2 * H, {"email": "e1"}, False),
    ("a", "email_click", T1 + 2 * H + 10 * S, {"email": "e1", "link": "l1"}, False),
    ("a", "email_click", T1 + 3 * H, {"email": "e1", "link": "l1"}, False),
    # b: an MPP open (bot) after 30 s, a human click on l2 a day later (no human open)
    ("b", "email_open", T1 + 30 * S, {"email": "e1"}, True),
    ("b", "email_click", T1 + 24 * H, {"email": "e1", "link": "l2"}, False),
    # c: a scanner clicks l1 and l2 within seconds (bots); nothing human
    ("c", "email_click", T1 + 5 * S, {"email": "e1", "link": "l1"}, True),
    ("c", "email_click", T1 + 6 * S, {"email": "e1", "link": "l2"}, True),
    # d: opens after 80 h, unsubscribes, complains
    ("d", "email_open", T1 + 80 * H, {"email": "e1"}, False),
    ("d", "email_unsubscribe", T1 + 80 * H + 60 * S, {"email": "e1"}, False),
    ("d", "email_spam_report", T1 + 81 * H, {"email": "e1"}, False),
    # e2: sent to a, f, g; no deliveries reported; a bounces hard, g soft; f clicks only.
    *[(c, "email_sent", T2, {"email": "e2"}, False) for c in "afg"],
    ("a", "email_bounce", T2 + S, {"email": "e2", "bounce_type": "hard"}, False),
    ("g", "email_bounce", T2 + S, {"email": "e2", "bounce_type": "soft"}, False),
    ("f", "email_click", T2 + H, {"email": "e2", "url": "https://ex.com/c"}, False),
    # e3: not registered, never sent; one open by a.
    ("a", "email_open", T3, {"email": "e3", "campaign": "promo"}, False),
    # noise that must not count: another type, and an email event without an email id
    ("a", "page_visit", T1, {"email": "e1"}, False),
    ("a", "email_open", T1, {}, False),
]


@pytest.fixture
def world(store: Store) -> Store:
    """The timeline above, with e1 and e2 registered in campaign 'onboarding'."""
    rows = [
        {
            "id": f"x{i}",
            "contact": c,
            "type": t,
            "ts": ts,
            "properties": orjson.dumps(p).decode(),
            "bot": bot,
            "bot_reason": "test" if bot else None,
            "source": "api",
        }
        for i, (c, t, ts, p, bot) in enumerate(TIMELINE)
    ]
    store.append_activities(pa.Table.from_pylist(rows))

    def register(conn: Any) -> None:
        conn.execute(
            "INSERT INTO emails VALUES ('e1', 'Welcome', 'Hi', 'onboarding', 'newsletter', ?, ?),"
            " ('e2', 'Follow-up', NULL, 'onboarding', 'newsletter', ?, ?)",
            [T1, T1, T2, T2],
        )
        conn.execute(
            "INSERT INTO email_links VALUES ('e1', 'l1', 'https://ex.com/a', 'A', false),"
            " ('e1', 'l2', 'https://ex.com/b', NULL, false)"
        )

    store.write(register)
    return store


def counts(m: EmailMetrics) -> dict[str, int]:
    """The counts of a row, for one-line comparisons."""
    fields = ("sent", "recipients", "delivered", "bounces", "hard_bounces", "soft_bounces")
    fields += ("opens", "unique_opens", "clicks", "unique_clicks", "unsubscribes", "complaints")
    return {f: getattr(m, f) for f in fields}


def C(*values: int) -> dict[str, int]:
    """Counts in the order of ``counts``."""
    names = ("sent", "recipients", "delivered", "bounces", "hard_bounces", "soft_bounces")
    names += ("opens", "unique_opens", "clicks", "unique_clicks", "unsubscribes", "complaints")
    return dict(zip(names, values, strict=True))


def test_every_metric_of_one_email_all_view(world: Store) -> None:
    e1 = email_stats(DuckDBBackend(world), StatsQuery(email="e1")).row("e1")
    # sent 5 (a..e), recipients 5, delivered = 4 reported, bounces 1 hard (e),
    # opens a,a,b,d = 4; unique opens a,b,d + c (clicked) = 4; clicks a,a,b,c,c = 5;
    # unique clicks a,b,c = 3; unsubscribes d; complaints d.
    assert counts(e1) == C(5, 5, 4, 1, 1, 0, 4, 4, 5, 3, 1, 1)
    assert e1.rates() == {
        "bounce_rate": 1 / 5,
        "hard_bounce_rate": 1 / 5,
        "soft_bounce_rate": 0.0,
        "open_rate": 4 / 4,
        "click_rate": 3 / 4,
        "click_to_open_rate": 3 / 4,
        "unsubscribe_rate": 1 / 4,
        "complaint_rate": 1 / 4,
    }
    assert (e1.name, e1.subject, e1.campaign, e1.send_time) == ("Welcome", "Hi", "onboarding", T1)


def test_every_metric_of_one_email_human_view(world: Store) -> None:
    e1 = email_stats(DuckDBBackend(world), StatsQuery(email="e1", human=True)).row("e1")
    # without b's MPP open and c's scanner clicks: opens a,a,d = 3; unique opens a, b (human
    # click implies an open), d = 3; clicks a,a,b = 3; unique clicks a,b = 2. Sends,
    # deliveries, bounces, unsubscribes and complaints are never bot-labelled.
    assert counts(e1) == C(5, 5, 4, 1, 1, 0, 3, 3, 3, 2, 1, 1)
    rates = e1.rates()
    assert rates["open_rate"] == 3 / 4
    assert rates["click_rate"] == 2 / 4
    assert rates["click_to_open_rate"] == 2 / 3
    assert rates["unsubscribe_rate"] == rates["complaint_rate"] == 1 / 4
    assert rates["bounce_rate"] == rates["hard_bounce_rate"] == 1 / 5


def test_delivered_falls_back_to_sent_minus_bounced(world: Store) -> None:
    for human in (False, True):
        e2 = email_stats(DuckDBBackend(world), StatsQuery(human=human)).row("e2")
        # no email_delivered for e2: delivered = 3 sent - 2 bounces (a hard, g soft) = 1;
        # f clicked without an open: opens 0 but unique opens 1 (a click implies an open).
        assert counts(e2) == C(3, 3, 1, 2, 1, 1, 0, 1, 1, 1, 0, 0)
        assert e2.delivery_reported == 0
        assert e2.rates()["open_rate"] == 1.0
        assert e2.rates()["click_to_open_rate"] == 1.0
        assert e2.rates()["soft_bounce_rate"] == 1 / 3
        assert e2.rates()["unsubscribe_rate"] == 0.0


def test_rates_are_null_when_the_denominator_is_zero(world: Store) -> None:
    e3 = email_stats(DuckDBBackend(world)).row("e3")
    # never sent: 0 sent, 0 delivered; a's open makes one unique open.
    assert counts(e3) == C(0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0)
    assert e3.rates() == {
        "bounce_rate": None,
        "hard_bounce_rate": None,
        "soft_bounce_rate": None,
        "open_rate": None,
        "click_rate": None,
        "click_to_open_rate": 0.0,
        "unsubscribe_rate": None,
        "complaint_rate": None,
    }
    # unregistered: no name; the campaign comes from the activities' property
    assert (e3.name, e3.campaign) == (None, "promo")
    assert rate(0, 0) is None


def test_per_link_both_views(world: Store) -> None:
    def links(human: bool) -> dict[tuple[str, str], tuple[Any, ...]]:
        report = email_stats(DuckDBBackend(world), StatsQuery(human=human))
        return {
            (x.email, x.link): (x.url, x.clicks, x.clickers, x.share_of_clickers)
            for x in report.links
        }

    # all: l1 clicked by a (2x) and c (1x); l2 by b and c; e1 has 3 clickers (a, b, c).
    assert links(False) == {
        ("e1", "l1"): ("https://ex.com/a", 3, 2, 2 / 3),
        ("e1", "l2"): ("https://ex.com/b", 2, 2, 2 / 3),
        ("e2", "https://ex.com/c"): ("https://ex.com/c", 1, 1, 1.0),
    }
    # human: c's clicks go; e1 has 2 clickers (a, b).
    assert links(True) == {
        ("e1", "l1"): ("https://ex.com/a", 2, 1, 1 / 2),
        ("e1", "l2"): ("https://ex.com/b", 1, 1, 1 / 2),
        ("e2", "https://ex.com/c"): ("https://ex.com/c", 1, 1, 1.0),
    }


def test_timing_by_hour_since_delivery_and_by_day(world: Store) -> None:
    def nonzero(human: bool) -> tuple[dict[int, tuple[int, int]], list[tuple[str, int, int]]]:
        timing = email_stats(DuckDBBackend(world), StatsQuery(email="e1", human=human)).timing
        assert [h for h, _, _ in timing.hours] == list(range(73))
        return {h: (o, c) for h, o, c in timing.hours if o or c}, timing.days

    # delivered at T1: b opens at 30 s (h0, bot), c clicks at 5-6 s (h0, bots), a opens at
    # 1 h and 2 h, clicks at 2 h 10 s and 3 h, b clicks at 24 h, d opens at 80 h (bucket 72+).
    hours, days = nonzero(False)
    assert hours == {0: (1, 2), 1: (1, 0), 2: (1, 1), 3: (0, 1), 24: (0, 1), 72: (1, 0)}
    assert days == [("2025-01-01", 3, 4), ("2025-01-02", 0, 1), ("2025-01-04", 1, 0)]
    hours, days = nonzero(True)
    assert hours == {1: (1, 0), 2: (1, 1), 3: (0, 1), 24: (0, 1), 72: (1, 0)}
    assert days == [("2025-01-01", 2, 2), ("2025-01-02", 0, 1), ("2025-01-04", 1, 0)]
    # e3 was never sent or delivered: its open has no hour since delivery
    assert email_stats(DuckDBBackend(world), StatsQuery(email="e3")).timing.unknown_delivery == (
        1,
        0,
    )


def test_per_campaign_counts_unique_per_email_and_recipients_per_contact(world: Store) -> None:
    report = email_stats(DuckDBBackend(world), StatsQuery(by="campaign"))
    assert [r.key for r in report.rows] == ["onboarding", "promo"]
    onboarding = report.row("onboarding")
    # e1 + e2: sent 5+3, recipients a..g = 7 distinct contacts, delivered 4+1, bounces 1+2
    # (hard e, a; soft g), opens 4+0, unique opens 4+1, clicks 5+1, unique clicks 3+1.
    assert counts(onboarding) == C(8, 7, 5, 3, 2, 1, 4, 5, 6, 4, 1, 1)
    assert onboarding.emails == 2
    assert onboarding.rates()["open_rate"] == 5 / 5
    assert onboarding.rates()["click_rate"] == 4 / 5
    # human: e1 human (3 opens, 3 unique, 3 clicks, 2 unique) + e2
    human = email_stats(DuckDBBackend(world), StatsQuery(by="campaign", human=True)).row(
        "onboarding"
    )
    assert counts(human) == C(8, 7, 5, 3, 2, 1, 3, 4, 4, 3, 1, 1)
    # the total row adds e3: recipients stay distinct contacts
    assert counts(report.total) == C(8, 7, 5, 3, 2, 1, 5, 6, 6, 4, 1, 1)
    assert report.total.emails == 3


def test_per_period_of_the_send_time(world: Store) -> None:
    # e1 and e2 are registered with their send times; e3 falls back to its first activity
    months = email_stats(DuckDBBackend(world), StatsQuery(by="month"))
    assert [(r.key, r.emails, r.sent) for r in months.rows] == [
        ("2025-01-01", 2, 8),
        ("2025-02-01", 1, 0),
    ]
    weeks = email_stats(DuckDBBackend(world), StatsQuery(by="week"))  # ISO weeks start on Monday
    assert [(r.key, r.emails) for r in weeks.rows] == [
        ("2024-12-30", 1),
        ("2025-01-06", 1),
        ("2025-01-27", 1),
    ]
    days = email_stats(DuckDBBackend(world), StatsQuery(by="day", human=True))
    assert [(r.key, r.unique_clicks) for r in days.rows] == [
        ("2025-01-01", 2),
        ("2025-01-08", 1),
        ("2025-02-01", 0),
    ]


def test_filters_by_email_and_campaign(world: Store) -> None:
    only_e1 = email_stats(DuckDBBackend(world), StatsQuery(email="e1"))
    assert [r.key for r in only_e1.rows] == ["e1"]
    assert counts(only_e1.total) == counts(only_e1.rows[0])
    promo = email_stats(DuckDBBackend(world), StatsQuery(campaign="promo"))
    assert [r.key for r in promo.rows] == ["e3"]
    assert {x.email for x in promo.links} == set()
    nothing = email_stats(DuckDBBackend(world), StatsQuery(email="nope"))
    assert nothing.rows == [] and nothing.total.sent == 0


def test_report_renders_as_dict_and_arrow(world: Store) -> None:
    report = email_stats(DuckDBBackend(world), StatsQuery(human=True))
    data = orjson.loads(orjson.dumps(report.to_dict()))
    assert data["view"] == "human" and data["by"] == "email"
    e3 = next(r for r in data["rows"] if r["key"] == "e3")
    assert e3["open_rate"] is None and e3["unique_opens"] == 1
    table = report.to_arrow()
    assert table.num_rows == 3
    assert table.column("open_rate").to_pylist()[2] is None
    assert report.links_arrow().num_rows == 3


def test_unknown_grouping_is_refused() -> None:
    with pytest.raises(InvalidInput, match="grouped by"):
        StatsQuery(by="year")  # type: ignore[arg-type]


def _bench_module() -> Any:
    """bench/email.py, loaded by path (its name would shadow the standard ``email``)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "bench" / "email.py"
    spec = importlib.util.spec_from_file_location("headway_email_bench", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# An independent, naive formulation of the per-email counts: count(DISTINCT) straight from
# the JSON properties, no shared CTEs, no bit flags.
_ORACLE = """
SELECT a.properties->>'email' AS email,
       count(*) FILTER (WHERE t.name = 'email_sent') AS sent,
       count(DISTINCT a.contact_key) FILTER (WHERE t.name = 'email_sent') AS recipients,
       count(*) FILTER (WHERE t.name = 'email_delivered') AS delivered,
       count(*) FILTER (WHERE t.name = 'email_bounce') AS bounces,
       count(*) FILTER (WHERE t.name = 'email_open') AS opens,
       count(DISTINCT a.contact_key) FILTER (WHERE t.name IN ('email_open', 'email_click'))
           AS unique_opens,
       count(*) FILTER (WHERE t.name = 'email_click') AS clicks,
       count(DISTINCT a.contact_key) FILTER (WHERE t.name = 'email_click') AS unique_clicks,
       count(DISTINCT a.contact_key) FILTER (WHERE t.name = 'email_unsubscribe') AS unsubscribes,
       count(DISTINCT a.contact_key) FILTER (WHERE t.name = 'email_spam_report') AS complaints
FROM activities a JOIN activity_types t ON t.code = a.type_code
WHERE a.properties->>'email' IS NOT NULL AND NOT (a.bot AND ?)
GROUP BY ALL ORDER BY email
"""


@pytest.mark.slow
def test_scaling_smoke_against_a_naive_oracle(store: Store) -> None:
    from headway.ingest.relabel import relabel

    store.close()
    _bench_module().build(store.path, 120_000, seed=3)
    with Store(store.path) as big:
        relabel(big)
        for human in (False, True):
            report = email_stats(DuckDBBackend(big), StatsQuery(human=human))
            expected = big.execute(_ORACLE, [human]).dicts()
            got = [
                {"email": r.key, **{k: getattr(r, k) for k in expected[0] if k != "email"}}
                for r in report.rows
            ]
            # every email reports deliveries in the generated data
            assert all(r.delivery_reported == 1 for r in report.rows)
            assert got == expected
            assert sum(r.sent for r in report.rows) == report.total.sent
            assert sum(h[1] for h in report.timing.hours) == report.total.opens
            assert sum(d[2] for d in report.timing.days) == report.total.clicks
        # the generator plants MPP opens and scanner clicks: the human view has fewer
        all_view, human_view = (
            email_stats(DuckDBBackend(big)),
            email_stats(DuckDBBackend(big), StatsQuery(human=True)),
        )
        assert human_view.total.opens < all_view.total.opens
        assert human_view.total.clicks < all_view.total.clicks


@pytest.mark.slow
def test_bench_script_smoke(tmp_path: Any) -> None:
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "bench" / "email.py"
    args = ["--activities", "5000", "--runs", "1", "--db", str(tmp_path / "b.duckdb")]
    proc = subprocess.run(
        [sys.executable, str(script), *args], capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr
    assert "headway emails stats" in proc.stdout and "ratio headway/chDB" in proc.stdout
