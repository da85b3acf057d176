"""Query builders of the email statistics (DESIGN §6): constant SQL plus bound parameters.

Every builder is pure: it takes a ``StatsQuery`` and returns ``(sql, params)``; the runner in
``email_stats.py`` hands them to the store. No value from the caller is spliced into SQL text.

Emails are identified by the ``email`` property of their activities; the ``emails`` table
adds name, subject, campaign and send time when the email is registered. A group of several
emails (a campaign, a period) counts "unique" contacts per email and sums them, so its rates
stay comparable with the rates of one email.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from headway.errors import Detail, InvalidInput

Grouping = Literal["email", "campaign", "day", "week", "month"]
GROUPINGS: tuple[str, ...] = ("email", "campaign", "day", "week", "month")
PERIODS = ("day", "week", "month")
MAX_HOUR = 72  # the last hour bucket holds everything at or after 72 h
EMAIL_TYPES = (
    "email_sent",
    "email_delivered",
    "email_bounce",
    "email_open",
    "email_click",
    "email_unsubscribe",
    "email_spam_report",
)


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
        """The bound parameters every builder uses."""
        period = self.by if self.by in PERIODS else "day"
        return {
            "human": self.human,
            "email": self.email,
            "campaign": self.campaign,
            "by": self.by,
            "period": period,
        }


# The email events of the selection: one row per activity, with the few properties we use.
# Shared by every builder so that all numbers of one report come from the same rows.
_SELECTION = """
events AS (
    SELECT a.contact_key AS contact, t.name AS type, a.ts,
           a.properties->>'email' AS email,
           a.properties->>'campaign' AS campaign_prop,
           lower(a.properties->>'bounce_type') AS bounce_type,
           coalesce(a.properties->>'link', a.properties->>'url') AS link,
           a.properties->>'url' AS url
    FROM activities a
    JOIN activity_types t ON t.code = a.type_code
    WHERE t.name IN ('email_sent', 'email_delivered', 'email_bounce', 'email_open',
                     'email_click', 'email_unsubscribe', 'email_spam_report')
      AND NOT (a.bot AND $human)
      AND a.properties->>'email' IS NOT NULL
      AND ($email IS NULL OR a.properties->>'email' = $email)
),
email_facts AS (
    SELECT ev.email,
           coalesce(any_value(e.campaign), max(ev.campaign_prop)) AS campaign,
           coalesce(any_value(e.send_time), min(ev.ts) FILTER (WHERE ev.type = 'email_sent'),
                    min(ev.ts)) AS send_time
    FROM events ev LEFT JOIN emails e ON e.id = ev.email
    GROUP BY ev.email
),
selected AS (
    SELECT email, campaign, send_time,
           CASE $by WHEN 'email' THEN email
                    WHEN 'campaign' THEN campaign
                    ELSE strftime(date_trunc($period, send_time), '%Y-%m-%d') END AS grp
    FROM email_facts
    WHERE $campaign IS NULL OR campaign = $campaign
),
ev AS (
    SELECT events.*, s.grp FROM events JOIN selected s USING (email)
)
"""

_PER_EMAIL = """
per_email AS (
    SELECT email, any_value(grp) AS grp,
           count(*) FILTER (WHERE type = 'email_sent') AS sent,
           count(*) FILTER (WHERE type = 'email_delivered') AS delivered_reported,
           count(*) FILTER (WHERE type = 'email_bounce') AS bounces,
           count(*) FILTER (WHERE type = 'email_bounce' AND bounce_type = 'hard') AS hard_bounces,
           count(*) FILTER (WHERE type = 'email_open') AS opens,
           count(DISTINCT contact) FILTER (WHERE type IN ('email_open', 'email_click'))
               AS unique_opens,
           count(*) FILTER (WHERE type = 'email_click') AS clicks,
           count(DISTINCT contact) FILTER (WHERE type = 'email_click') AS unique_clicks,
           count(DISTINCT contact) FILTER (WHERE type = 'email_unsubscribe') AS unsubscribes,
           count(DISTINCT contact) FILTER (WHERE type = 'email_spam_report') AS complaints
    FROM ev GROUP BY email
)
"""


def metrics_query(query: StatsQuery) -> tuple[str, dict[str, Any]]:
    """Counts per group (and a total row, ``is_total``) of the selection."""
    sql = f"""
WITH {_SELECTION}, {_PER_EMAIL},
recipients AS (
    SELECT grp, count(DISTINCT contact) AS recipients, grouping(grp) AS is_total
    FROM ev WHERE type = 'email_sent'
    GROUP BY GROUPING SETS ((grp), ())
),
counts AS (
    SELECT grp, grouping(grp) AS is_total, count(*) AS emails,
           sum(sent) AS sent,
           -- delivered: reported deliveries where the sender reports them, else sent - bounced
           sum(CASE WHEN delivered_reported > 0 THEN delivered_reported
                    ELSE greatest(sent - bounces, 0) END) AS delivered,
           sum(CASE WHEN delivered_reported > 0 THEN 1 ELSE 0 END) AS delivery_reported,
           sum(bounces) AS bounces, sum(hard_bounces) AS hard_bounces,
           sum(opens) AS opens, sum(unique_opens) AS unique_opens,
           sum(clicks) AS clicks, sum(unique_clicks) AS unique_clicks,
           sum(unsubscribes) AS unsubscribes, sum(complaints) AS complaints
    FROM per_email
    GROUP BY GROUPING SETS ((grp), ())
)
SELECT c.is_total::BOOLEAN AS is_total, c.grp, e.name, e.subject,
       CASE WHEN $by = 'email' AND NOT c.is_total::BOOLEAN
            THEN (SELECT campaign FROM selected s WHERE s.email = c.grp) END AS campaign,
       CASE WHEN $by = 'email' AND NOT c.is_total::BOOLEAN
            THEN (SELECT send_time FROM selected s WHERE s.email = c.grp) END AS send_time,
       c.emails, c.sent, coalesce(r.recipients, 0) AS recipients, c.delivered,
       c.delivery_reported, c.bounces, c.hard_bounces, c.opens, c.unique_opens, c.clicks,
       c.unique_clicks, c.unsubscribes, c.complaints
FROM counts c
LEFT JOIN recipients r ON r.is_total = c.is_total AND r.grp IS NOT DISTINCT FROM c.grp
LEFT JOIN emails e ON $by = 'email' AND e.id = c.grp
ORDER BY c.is_total, c.grp NULLS LAST
"""
    return sql, query.params()


def links_query(query: StatsQuery) -> tuple[str, dict[str, Any]]:
    """Clicks and distinct clickers per (email, link), with the email's unique clickers."""
    sql = f"""
WITH {_SELECTION},
clickers AS (
    SELECT email, count(DISTINCT contact) AS email_clickers
    FROM ev WHERE type = 'email_click' GROUP BY email
)
SELECT ev.email, ev.link, coalesce(any_value(l.url), max(ev.url)) AS url,
       any_value(l.label) AS label, coalesce(any_value(l.honeypot), false) AS honeypot,
       count(*) AS clicks, count(DISTINCT ev.contact) AS clickers,
       any_value(c.email_clickers) AS email_clickers
FROM ev
JOIN clickers c USING (email)
LEFT JOIN email_links l ON l.email_id = ev.email AND (l.link_id = ev.link OR l.url = ev.link)
WHERE ev.type = 'email_click' AND ev.link IS NOT NULL
GROUP BY ev.email, ev.link
ORDER BY ev.email, clicks DESC, ev.link
"""
    return sql, query.params()


def timing_query(query: StatsQuery) -> tuple[str, dict[str, Any]]:
    """Opens and clicks by hour since delivery (0..72, 72 = later) and by UTC day."""
    sql = f"""
WITH {_SELECTION},
delivery AS (
    -- the contact's delivery of that email: the first email_delivered, else the first email_sent
    SELECT email, contact,
           coalesce(min(ts) FILTER (WHERE type = 'email_delivered'),
                    min(ts) FILTER (WHERE type = 'email_sent')) AS delivered_at
    FROM ev WHERE type IN ('email_delivered', 'email_sent')
    GROUP BY email, contact
),
engagement AS (
    SELECT ev.type, ev.ts,
           -- greatest/least skip NULLs, so an unknown delivery needs its own branch
           CASE WHEN d.delivered_at IS NOT NULL THEN least(greatest(
               floor(epoch(ev.ts - d.delivered_at) / 3600), 0), {MAX_HOUR})::INTEGER END AS hour
    FROM ev LEFT JOIN delivery d USING (email, contact)
    WHERE ev.type IN ('email_open', 'email_click')
)
SELECT 'hour' AS kind, hour::VARCHAR AS bucket,
       count(*) FILTER (WHERE type = 'email_open') AS opens,
       count(*) FILTER (WHERE type = 'email_click') AS clicks
FROM engagement GROUP BY hour
UNION ALL
SELECT 'day', strftime(ts::DATE, '%Y-%m-%d'),
       count(*) FILTER (WHERE type = 'email_open'),
       count(*) FILTER (WHERE type = 'email_click')
FROM engagement GROUP BY ts::DATE
ORDER BY 1, 2
"""
    return sql, query.params()
