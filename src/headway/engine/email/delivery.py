"""What counts as a delivered email, bounced or human: the one definition every report uses.

docs/metrics.md §"Delivered" states the rule: a (contact, email) pair is **delivered** when
the email's sender reports deliveries (any ``email_delivered`` of that email) and the pair has
one, at its first ``email_delivered``; otherwise, for an email whose sender reports none,
when the pair was sent (``email_sent``) and did not bounce (``email_bounce``), at its first
send. Counted over activities, the same rule is "reported deliveries, else sent − bounces"
(``DELIVERED_COUNT``, the statistics report's). **Human** engagement leaves out activities
labelled ``bot`` (``human()``, ``HUMAN`` in SQL text); bounces are every ``email_bounce``, hard ones those with
``bounce_type`` ``hard``.
"""

from __future__ import annotations

from sqlglot import exp

# The delivered (contact, email) pairs as of ``$as_of`` as CTEs ending in
# ``hw_delivered(contact_key, email, at)``; ``{only}`` narrows the events (e.g. to one email).
_DELIVERED_PAIRS = """hw_delivery_events AS (
    SELECT a.contact_key, a.properties ->> '$.email' AS email, t.name AS type, a.ts
    FROM activity_log a JOIN hw_types t ON t.code = a.type_code
    WHERE t.name IN ('email_sent', 'email_delivered', 'email_bounce')
      AND a.ts <= $as_of AND a.properties ->> '$.email' IS NOT NULL{only}
), hw_reports_delivery AS (
    SELECT DISTINCT email FROM hw_delivery_events WHERE type = 'email_delivered'
), hw_delivery_pairs AS (
    SELECT contact_key, email,
           min(ts) FILTER (type = 'email_delivered') AS delivered,
           min(ts) FILTER (type = 'email_sent') AS sent,
           bool_or(type = 'email_bounce') AS bounced
    FROM hw_delivery_events GROUP BY contact_key, email
), hw_delivered AS (
    SELECT * FROM (
        SELECT p.contact_key, p.email,
               CASE WHEN r.email IS NOT NULL THEN p.delivered
                    WHEN NOT p.bounced THEN p.sent END AS at
        FROM hw_delivery_pairs p LEFT JOIN hw_reports_delivery r ON r.email = p.email
    ) WHERE at IS NOT NULL
)"""

# Over per-email activity counts: reported deliveries where the sender reports them, else
# sent − bounced (never below 0).
DELIVERED_COUNT = (
    "CASE WHEN delivered_reported > 0 THEN delivered_reported ELSE greatest(sent - bounces, 0) END"
)


def human(table: str | None = None) -> exp.Expression:
    """An activity a person made: not labelled ``bot`` (an unlabelled one counts as human)."""
    column = exp.column("bot", table) if table else exp.column("bot")
    return exp.not_(exp.func("coalesce", column, exp.false()))


# The same rule in SQL text, applied only in the human view (``$human`` true).
HUMAN = f"NOT ({human().this.sql()} AND $human)"


def delivered_pairs(*, one_email: bool = False) -> str:
    """The CTE text ``hw_delivered(contact_key, email, at)`` (after a ``WITH``): every
    delivered pair as of ``$as_of``, of the email ``$email`` only with ``one_email``."""
    only = " AND a.properties ->> '$.email' = $email" if one_email else ""
    return _DELIVERED_PAIRS.format(only=only)
