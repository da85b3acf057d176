"""The planted effects of docs/demo.md, measured directly in SQL on a 10,000-contact world.

Sampling noise of the measured ratios is about ±0.3 at that size, hence the bands.
"""

from __future__ import annotations

from headway.store import Store

LOG = """CREATE OR REPLACE TEMP VIEW demo_log AS
SELECT a.id, a.contact_key AS contact, t.name AS type, a.ts, a.properties, d.label
FROM activities a JOIN activity_types t ON t.code = a.type_code
LEFT JOIN demo_truth d ON d.activity_id = a.id"""

# Per webinar-invite recipient: did a human click, and was /pricing visited within 7 days
# of the first human click (clickers) or of delivery (everyone else)?
PRICING_AFTER_INVITE = """
WITH r AS (
  SELECT contact, min(ts) FILTER (type = 'email_delivered') AS delivered,
         min(ts) FILTER (type = 'email_click' AND label = 'human') AS clicked
  FROM demo_log WHERE properties->>'email' = 'webinar-invite' GROUP BY contact
  HAVING delivered IS NOT NULL
), visits AS (
  SELECT contact, ts FROM demo_log WHERE type = 'page_visit' AND properties->>'url' = '/pricing'
)
SELECT clicked IS NOT NULL AS clicker, count(*) AS recipients,
       avg(CASE WHEN EXISTS (SELECT 1 FROM visits v WHERE v.contact = r.contact
                 AND v.ts BETWEEN coalesce(clicked, delivered)
                          AND coalesce(clicked, delivered) + INTERVAL 7 DAY) THEN 1 ELSE 0 END)
FROM r GROUP BY ALL ORDER BY clicker"""

UNSUBSCRIBE_RATES = """
SELECT properties->>'email' AS email,
       count(DISTINCT contact) FILTER (type = 'email_unsubscribe')
         / count(DISTINCT contact) FILTER (type = 'email_delivered') AS rate
FROM demo_log WHERE properties->>'campaign' = 'newsletter' GROUP BY ALL"""


def _pricing_ratio(store: Store) -> float:
    store.execute(LOG)
    rows = store.execute(PRICING_AFTER_INVITE).rows
    (_, others, base), (_, clickers, boosted) = rows
    assert clickers > 300 and others > 2_000
    return boosted / base


def _unsubscribe_ratio(store: Store) -> float:
    store.execute(LOG)
    rates = dict(store.execute(UNSUBSCRIBE_RATES).rows)
    planted = rates.pop("newsletter-2025-04")
    assert len(rates) == 3
    return planted / (sum(rates.values()) / len(rates))


def test_webinar_click_doubles_pricing_visits(world: Store) -> None:
    assert 1.5 < _pricing_ratio(world) < 2.8


def test_without_effects_webinar_click_changes_nothing(plain_world: Store) -> None:
    assert 0.5 < _pricing_ratio(plain_world) < 1.5


def test_april_newsletter_drives_unsubscribes(world: Store) -> None:
    assert _unsubscribe_ratio(world) > 3.5


def test_without_effects_april_newsletter_is_ordinary(plain_world: Store) -> None:
    assert _unsubscribe_ratio(plain_world) < 2.2


def test_trials_stall_before_purchase(world: Store) -> None:
    world.execute(LOG)
    trials, buyers = world.execute(
        """SELECT count(DISTINCT contact),
                  count(DISTINCT contact) FILTER (contact IN
                      (SELECT contact FROM demo_log WHERE type = 'purchase'))
           FROM demo_log WHERE type = 'form_submission' AND properties->>'form' = 'trial'"""
    ).first() or (0, 0)
    assert trials > 200 and buyers / trials < 0.3


def test_apple_privacy_opens_are_a_large_share(world: Store) -> None:
    world.execute(LOG)
    share = world.execute(
        """SELECT avg(CASE WHEN label = 'mpp' THEN 1 ELSE 0 END) FROM demo_log
           WHERE type = 'email_open'"""
    ).scalar()
    assert 0.38 < share < 0.52
    uas = world.execute(
        """SELECT DISTINCT properties->>'user_agent', split_part(properties->>'ip', '.', 1)
           FROM demo_log WHERE label = 'mpp'"""
    ).rows
    assert uas == [("Mozilla/5.0", "17")]


def test_machine_opens_come_within_minutes_of_delivery(world: Store) -> None:
    world.execute(LOG)
    p95 = world.execute(
        """WITH d AS (SELECT contact, properties->>'email' AS email, min(ts) AS ts FROM demo_log
                      WHERE type = 'email_delivered' GROUP BY ALL)
           SELECT quantile_cont(epoch(o.ts - d.ts), 0.95) FROM demo_log o
           JOIN d ON d.contact = o.contact AND d.email = o.properties->>'email'
           WHERE o.label IN ('mpp', 'gmail_prefetch')"""
    ).scalar()
    assert 0 < p95 < 600


def test_scanners_click_every_link_in_a_burst(world: Store) -> None:
    world.execute(LOG)
    bursts = world.execute(
        """SELECT b.links + CASE WHEN b.honeypot THEN 0 ELSE 1 END = l.links, b.honeypot,
                  b.span < 4
           FROM (SELECT contact, properties->>'email' AS email, count(*) AS links,
                        bool_or(properties->>'link' = 'hp') AS honeypot,
                        epoch(max(ts) - min(ts)) AS span
                 FROM demo_log WHERE type = 'email_click' AND label = 'scanner'
                 GROUP BY ALL) b
           JOIN (SELECT email_id, count(*) AS links FROM email_links GROUP BY ALL) l
             ON l.email_id = b.email"""
    ).rows
    assert len(bursts) > 500
    assert all(every_link and quick for every_link, _, quick in bursts)
    honeypot_share = sum(hp for _, hp, _ in bursts) / len(bursts)
    assert 0.6 < honeypot_share < 0.8  # 30 % of runs follow visible links only
    heads = world.execute(
        "SELECT count(*) FROM demo_log WHERE properties->>'method' = 'HEAD' AND label != 'scanner'"
    ).scalar()
    assert heads == 0


def test_humans_never_click_the_honeypot(world: Store) -> None:
    world.execute(LOG)
    hits = world.execute(
        "SELECT count(*) FROM demo_log WHERE label = 'human' AND properties->>'link' = 'hp'"
    ).scalar()
    assert hits == 0
