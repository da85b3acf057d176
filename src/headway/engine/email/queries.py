"""Query builders of the email statistics (docs/metrics.md): constant query trees plus bound values.

Every builder is pure: it takes a ``StatsQuery`` and returns a ``Query`` (a SQLGlot tree and its
parameters, over ``activity_log``, the type dictionary ``hw_types`` and the email registry
``emails`` / ``email_links``); the runner in ``stats.py`` hands it to the backend. No value
from the caller is spliced into SQL text. The text is parsed once (DuckDB's syntax, only
constructs SQLGlot renders in every dialect); property reads go through the backend's
``SqlDialect`` (``json_text``, ``lower``), so the same tree runs on DuckDB and on Spark (whose
export carries the registry).

Emails are identified by the ``email`` property of their activities; the ``emails`` table
adds name, subject, campaign and send time when the email is registered. A group of several
emails (a campaign, a period) counts "unique" contacts per email and sums them, so its rates
stay comparable with the rates of one email.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import sqlglot
from sqlglot import exp

from headway.backends.query import Query
from headway.conditions.sql_dialect import SqlDialect
from headway.engine.email.delivery import DELIVERED_COUNT, HUMAN
from headway.errors import Detail, InvalidInput
from headway.model.activity import EMAIL_TYPES

Grouping = Literal["email", "campaign", "day", "week", "month"]
GROUPINGS: tuple[str, ...] = ("email", "campaign", "day", "week", "month")
PERIODS = ("day", "week", "month")
MAX_HOUR = 72  # the last hour bucket holds everything at or after 72 h


@dataclass(frozen=True)
class StatsQuery:
    """What to compute: the view (all or human), a grouping and optional filters."""

    human: bool = False
    by: Grouping = "email"
    email: str | None = None
    campaign: str | None = None

    def __post_init__(self) -> None:
        if self.by not in GROUPINGS:
            raise InvalidInput(
                f"statistics can be grouped by {', '.join(GROUPINGS)}, not {self.by!r}",
                [Detail("unknown grouping", field="by")],
            )

    def params(self) -> dict[str, Any]:
        """The bound parameters of the report query."""
        period = self.by if self.by in PERIODS else "day"
        return {
            "human": self.human,
            "email": self.email,
            "campaign": self.campaign,
            "by": self.by,
            "period": period,
        }


# The position of an email type in EMAIL_TYPES, from its name (constants of the code, never
# input).
_KIND = "CASE name {} END".format(
    " ".join(f"WHEN '{name}' THEN {i}" for i, name in enumerate(EMAIL_TYPES, start=1))
)
_KINDS = ", ".join(f"'{name}'" for name in EMAIL_TYPES)
# Placeholders the tree is written with and that ``report_query`` replaces by the backend's
# own SQL: ``hw_json(props, 'key')`` (a top-level property as text) and ``hw_lower(text)``.
_JSON, _LOWER = "hw_json", "hw_lower"

# The selected emails (by email id or campaign), numbered, with the group each falls in.
_SELECTED = """selected AS (
    SELECT row_number() OVER (ORDER BY email)::INTEGER AS eid, email, campaign, send_time,
           CASE $by WHEN 'email' THEN email
                    WHEN 'campaign' THEN campaign
                    ELSE strftime(date_trunc($period, send_time), '%Y-%m-%d') END AS grp
    FROM email_facts
    WHERE $campaign IS NULL OR campaign = $campaign
),"""

# The email events of the selection: one row per activity with the few properties we use.
# ``kind`` is the position of the type in EMAIL_TYPES (1 = email_sent, 2 = email_delivered,
# 3 = email_bounce, 4 = email_open, 5 = email_click, 6 = email_unsubscribe, 7 =
# email_spam_report) and ``eid`` a dense number of the email: small integer keys make the
# large aggregations cheap. ``weight`` is how many hits an activity stands for: 1, except a
# tracking open or click that carries ``repeats`` (the repeats of one dedupe window,
# web/tracking_dedupe.py), which counts as that many in opens and clicks.
_SELECTION = f"""
events AS MATERIALIZED (
    SELECT contact, kind, ts, email, campaign_prop,
           CASE WHEN kind IN (4, 5) AND source = 'tracking'
                THEN greatest(coalesce(TRY_CAST(repeats AS BIGINT), 1), 1) ELSE 1 END AS weight,
           -- the other properties only where they matter (parsing is the main cost)
           CASE WHEN kind = 3 THEN hw_lower(hw_json(props, 'bounce_type')) END AS bounce_type,
           CASE WHEN kind = 5 THEN coalesce(hw_json(props, 'link'), hw_json(props, 'url'))
                END AS link,
           CASE WHEN kind = 5 THEN hw_json(props, 'url') END AS url
    FROM (
        SELECT a.contact_key AS contact, t.kind, a.ts, a.properties AS props, a.source,
               hw_json(a.properties, 'email') AS email,
               hw_json(a.properties, 'campaign') AS campaign_prop,
               hw_json(a.properties, 'repeats') AS repeats
        FROM activity_log a
        JOIN (SELECT code, {_KIND} AS kind FROM hw_types WHERE name IN ({_KINDS})) t
            ON t.code = a.type_code
        WHERE {HUMAN}
    )
    -- no "email IS NOT NULL" here: the join to ``selected`` below drops the rows without an
    -- email id
    WHERE $email IS NULL OR email = $email
),
email_facts AS (
    SELECT ev.email,
           coalesce(max(e.campaign), max(ev.campaign_prop)) AS campaign,
           coalesce(max(e.send_time), min(ev.ts) FILTER (WHERE ev.kind = 1),
                    min(ev.ts)) AS send_time
    FROM events ev LEFT JOIN emails e ON e.id = ev.email
    WHERE ev.email IS NOT NULL
    GROUP BY ev.email
),
{_SELECTED}
ev AS (
    SELECT s.eid, events.contact, events.kind, events.ts, events.bounce_type, events.link,
           events.url, events.weight
    FROM events JOIN selected s USING (email)
)
"""

# Per email: counts of activities, and distinct contacts from one row per (email, contact)
# whose ``seen`` has bit 2^k set when the contact has an activity of kind k (2 = sent, 16 =
# open, 32 = click, 64 = unsubscribe, 128 = complaint). Counting those rows is much cheaper
# than several count(DISTINCT ...).
_PER_EMAIL = """
totals AS (
    SELECT eid,
           count(*) FILTER (WHERE kind = 1) AS sent,
           count(*) FILTER (WHERE kind = 2) AS delivered_reported,
           count(*) FILTER (WHERE kind = 3) AS bounces,
           count(*) FILTER (WHERE kind = 3 AND bounce_type = 'hard') AS hard_bounces,
           coalesce(sum(weight) FILTER (WHERE kind = 4), 0)::BIGINT AS opens,
           coalesce(sum(weight) FILTER (WHERE kind = 5), 0)::BIGINT AS clicks
    FROM ev GROUP BY eid
),
pairs AS (
    -- also the contact's delivery of the email, for the timing: the first email_delivered,
    -- else the first email_sent
    SELECT eid, contact, bit_or(1::INTEGER << kind) AS seen,
           coalesce(min(ts) FILTER (WHERE kind = 2), min(ts) FILTER (WHERE kind = 1))
               AS delivered_at
    FROM ev GROUP BY eid, contact
),
uniques AS (
    SELECT eid,
           count(*) FILTER (WHERE (seen & 48) <> 0) AS unique_opens,  -- open (16) or click (32)
           count(*) FILTER (WHERE (seen & 32) <> 0) AS unique_clicks,
           count(*) FILTER (WHERE (seen & 64) <> 0) AS unsubscribes,
           count(*) FILTER (WHERE (seen & 128) <> 0) AS complaints
    FROM pairs GROUP BY eid
),
per_email AS (
    SELECT s.eid, s.grp, t.sent, t.delivered_reported, t.bounces, t.hard_bounces, t.opens,
           t.clicks, coalesce(u.unique_opens, 0) AS unique_opens,
           coalesce(u.unique_clicks, 0) AS unique_clicks,
           coalesce(u.unsubscribes, 0) AS unsubscribes,
           coalesce(u.complaints, 0) AS complaints
    FROM selected s JOIN totals t USING (eid) LEFT JOIN uniques u USING (eid)
)
"""


# The same CTEs over the store's pre-aggregate (store/email_rollup.py): one row per (email,
# contact) with its counts, kinds seen and first times in both views, and one row per open
# or click. ``ev`` holds only opens and clicks here, which is all ``_LINKS`` and ``_TIMING``
# read from it.
_PRE_SELECTION = f"""
pre AS MATERIALIZED (
    SELECT email, contact_key AS contact,
           CASE WHEN $human THEN h_seen ELSE a_seen END AS seen,
           CASE WHEN $human THEN h_sent ELSE a_sent END AS sent,
           CASE WHEN $human THEN h_delivered ELSE a_delivered END AS delivered,
           CASE WHEN $human THEN h_bounces ELSE a_bounces END AS bounces,
           CASE WHEN $human THEN h_hard ELSE a_hard END AS hard,
           CASE WHEN $human THEN h_opens ELSE a_opens END AS opens,
           CASE WHEN $human THEN h_clicks ELSE a_clicks END AS clicks,
           CASE WHEN $human THEN h_first_delivered ELSE a_first_delivered END AS first_delivered,
           CASE WHEN $human THEN h_first_sent ELSE a_first_sent END AS first_sent,
           CASE WHEN $human THEN h_first_ts ELSE a_first_ts END AS first_ts,
           CASE WHEN $human THEN h_campaign ELSE a_campaign END AS campaign_prop
    FROM email_pairs
    WHERE (CASE WHEN $human THEN h_seen ELSE a_seen END) <> 0
      AND ($email IS NULL OR email = $email)
),
email_facts AS (
    SELECT p.email, coalesce(max(e.campaign), max(p.campaign_prop)) AS campaign,
           coalesce(max(e.send_time), min(p.first_sent), min(p.first_ts)) AS send_time
    FROM pre p LEFT JOIN emails e ON e.id = p.email
    GROUP BY p.email
),
{_SELECTED}
ev AS (
    SELECT s.eid, g.contact_key AS contact, g.kind, g.ts, g.link, g.url, g.weight
    FROM email_engagement g JOIN selected s USING (email)
    WHERE NOT (g.bot AND $human)
)
"""
_PRE_PER_EMAIL = """
pairs AS (
    SELECT s.eid, p.contact, p.seen, coalesce(p.first_delivered, p.first_sent) AS delivered_at,
           p.sent, p.delivered, p.bounces, p.hard, p.opens, p.clicks
    FROM pre p JOIN selected s USING (email)
),
totals AS (
    SELECT eid, sum(sent)::BIGINT AS sent, sum(delivered)::BIGINT AS delivered_reported,
           sum(bounces)::BIGINT AS bounces, sum(hard)::BIGINT AS hard_bounces,
           sum(opens)::BIGINT AS opens, sum(clicks)::BIGINT AS clicks
    FROM pairs GROUP BY eid
),
uniques AS (
    SELECT eid,
           count(*) FILTER (WHERE (seen & 48) <> 0) AS unique_opens,  -- open (16) or click (32)
           count(*) FILTER (WHERE (seen & 32) <> 0) AS unique_clicks,
           count(*) FILTER (WHERE (seen & 64) <> 0) AS unsubscribes,
           count(*) FILTER (WHERE (seen & 128) <> 0) AS complaints
    FROM pairs GROUP BY eid
),
per_email AS (
    SELECT s.eid, s.grp, t.sent, t.delivered_reported, t.bounces, t.hard_bounces, t.opens,
           t.clicks, u.unique_opens, u.unique_clicks, u.unsubscribes, u.complaints
    FROM selected s JOIN totals t USING (eid) JOIN uniques u USING (eid)
)
"""


# Counts per group, and a total row (``is_total``) over every selected email.
_COUNTS = f"""
recipients AS (
    SELECT s.grp, count(DISTINCT p.contact) AS recipients, grouping(s.grp) AS is_total
    FROM pairs p JOIN selected s USING (eid)
    WHERE (p.seen & 2) <> 0
    GROUP BY GROUPING SETS ((s.grp), ())
),
counts AS (
    SELECT grp, grouping(grp) AS is_total, count(*) AS emails,
           sum(sent) AS sent,
           -- delivered: engine/email/delivery.py (the one definition, docs/metrics.md)
           sum({DELIVERED_COUNT}) AS delivered,
           sum(CASE WHEN delivered_reported > 0 THEN 1 ELSE 0 END) AS delivery_reported,
           sum(bounces) AS bounces, sum(hard_bounces) AS hard_bounces,
           sum(opens) AS opens, sum(unique_opens) AS unique_opens,
           sum(clicks) AS clicks, sum(unique_clicks) AS unique_clicks,
           sum(unsubscribes) AS unsubscribes, sum(complaints) AS complaints
    FROM per_email
    GROUP BY GROUPING SETS ((grp), ())
)
"""

# Clicks and distinct clickers per (email, link), with the email's distinct clickers.
_LINKS = """
clicks AS (SELECT eid, contact, link, url, weight FROM ev WHERE kind = 5),
clickers AS (SELECT eid, count(DISTINCT contact) AS email_clickers FROM clicks GROUP BY eid),
per_link AS (
    SELECT eid, link, max(url) AS url, sum(weight)::BIGINT AS clicks,
           count(DISTINCT contact) AS clickers
    FROM clicks WHERE link IS NOT NULL GROUP BY eid, link
),
links AS (
    SELECT s.email, p.link, coalesce(max(l.url), max(p.url)) AS url,
           max(l.label) AS label, coalesce(max(l.honeypot), false) AS honeypot,
           max(p.clicks) AS clicks, max(p.clickers) AS clickers,
           max(c.email_clickers) AS email_clickers
    FROM per_link p
    JOIN selected s USING (eid)
    JOIN clickers c USING (eid)
    LEFT JOIN email_links l ON l.email_id = s.email AND (l.link_id = p.link OR l.url = p.link)
    GROUP BY s.email, p.link
)
"""

# Opens and clicks by hour since delivery (0..72, 72 = later; NULL = no known delivery) and
# by UTC day.
_TIMING = f"""
engagement AS (
    SELECT ev.kind, ev.ts, ev.weight,
           -- greatest/least skip NULLs, so an unknown delivery needs its own branch
           CASE WHEN d.delivered_at IS NOT NULL THEN least(greatest(
               floor(date_diff('microsecond', d.delivered_at, ev.ts) / 3600000000), 0),
               {MAX_HOUR})::INTEGER END AS hour
    FROM ev LEFT JOIN pairs d USING (eid, contact)
    WHERE ev.kind IN (4, 5)
),
timing AS (
    SELECT 'hour' AS bucket_kind, hour::VARCHAR AS bucket,
           coalesce(sum(weight) FILTER (WHERE kind = 4), 0)::BIGINT AS opens,
           coalesce(sum(weight) FILTER (WHERE kind = 5), 0)::BIGINT AS clicks
    FROM engagement GROUP BY hour
    UNION ALL
    SELECT 'day', strftime(ts::DATE, '%Y-%m-%d'),
           coalesce(sum(weight) FILTER (WHERE kind = 4), 0)::BIGINT,
           coalesce(sum(weight) FILTER (WHERE kind = 5), 0)::BIGINT
    FROM engagement GROUP BY ts::DATE
)
"""


def report_query(query: StatsQuery, sql: SqlDialect, *, pre_aggregated: bool = False) -> Query:
    """One row per group plus a total row; the total row also carries the selection's
    links and timing as lists, so that the activities are read and parsed only once.
    Property reads and ``lower`` are ``sql``'s (the backend's dialect). With
    ``pre_aggregated`` the same report reads the store's pre-aggregate (``PRE_AGGREGATE``)
    instead of the activity log."""
    if pre_aggregated:
        tree = _PRE_REPORT if query.email is None else _PRE_REPORT_ONE
        return Query(tree, query.params())
    return Query(_report_tree(sql), query.params())


def _report_tree(sql: SqlDialect) -> exp.Expr:
    """The report tree with the dialect's JSON reads and lower-casing."""

    def reads(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Anonymous) and node.name.lower() == _JSON:
            props, key = node.expressions
            return sql.json_text(props, (key.name,))
        return node

    def lowers(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Anonymous) and node.name.lower() == _LOWER:
            return sql.lower(node.expressions[0])
        return node

    return _REPORT.transform(reads).transform(lowers)


_OUTPUT = """
SELECT c.is_total::BOOLEAN AS is_total, c.grp, e.name, e.subject,
       CASE WHEN $by = 'email' AND NOT c.is_total::BOOLEAN THEN s.campaign END AS campaign,
       CASE WHEN $by = 'email' AND NOT c.is_total::BOOLEAN THEN s.send_time END AS send_time,
       c.emails, c.sent, coalesce(r.recipients, 0) AS recipients, c.delivered,
       c.delivery_reported, c.bounces, c.hard_bounces, c.opens, c.unique_opens, c.clicks,
       c.unique_clicks, c.unsubscribes, c.complaints,
       CASE WHEN c.is_total::BOOLEAN THEN (
           SELECT list({'email': l.email, 'link': l.link, 'url': l.url, 'label': l.label,
                        'honeypot': l.honeypot, 'clicks': l.clicks, 'clickers': l.clickers,
                        'email_clickers': l.email_clickers}) FROM links l
       ) END AS links,
       CASE WHEN c.is_total::BOOLEAN THEN (
           SELECT list({'bucket_kind': t.bucket_kind, 'bucket': t.bucket, 'opens': t.opens,
                        'clicks': t.clicks}) FROM timing t
       ) END AS timing
FROM counts c
LEFT JOIN recipients r ON r.is_total = c.is_total AND r.grp IS NOT DISTINCT FROM c.grp
LEFT JOIN selected s ON $by = 'email' AND s.email = c.grp
LEFT JOIN emails e ON $by = 'email' AND e.id = c.grp
ORDER BY c.is_total, c.grp NULLS LAST
"""

_REPORT = sqlglot.parse_one(
    f"WITH {_SELECTION}, {_PER_EMAIL}, {_COUNTS}, {_LINKS}, {_TIMING} {_OUTPUT}", read="duckdb"
)
# The relations of the store's pre-aggregate (store/email_rollup.py); a backend that offers
# them answers from them.
PRE_AGGREGATE = ("email_pairs", "email_engagement")
_PRE_REPORT = sqlglot.parse_one(
    f"WITH {_PRE_SELECTION}, {_PRE_PER_EMAIL}, {_COUNTS}, {_LINKS}, {_TIMING} {_OUTPUT}",
    read="duckdb",
)
# One email: plain equalities on ``email``, which the pre-aggregate's zone maps answer (it is
# built in email order) without reading the other emails' rows.
_ONE_EMAIL = _PRE_SELECTION.replace(
    "AND ($email IS NULL OR email = $email)", "AND email = $email"
).replace("WHERE NOT (g.bot AND $human)", "WHERE g.email = $email AND NOT (g.bot AND $human)")
_PRE_REPORT_ONE = sqlglot.parse_one(
    f"WITH {_ONE_EMAIL}, {_PRE_PER_EMAIL}, {_COUNTS}, {_LINKS}, {_TIMING} {_OUTPUT}",
    read="duckdb",
)
