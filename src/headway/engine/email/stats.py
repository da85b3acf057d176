"""Email statistics (docs/metrics.md): typed results of the builders in ``email_queries.py``.

``email_stats(backend, query)`` runs the three queries of a report (counts per group, clicks
per link, timing) and returns an ``EmailStatsReport``; every rate is ``None`` when its
denominator is 0. The same report renders as a dict (JSON), an Arrow table or a Rich table.
It reads the store's email registry (``emails``, ``email_links``): a backend without it
answers ``NotOnBackend``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import pyarrow as pa

from headway.backends.base import Backend
from headway.engine.email.queries import MAX_HOUR, PRE_AGGREGATE, StatsQuery, report_query
from headway.engine.support import arrow_typed, require


def rate(numerator: int, denominator: int) -> float | None:
    """``numerator / denominator``, or None (not 0, not NaN) when the denominator is 0."""
    return None if denominator == 0 else numerator / denominator


@dataclass(frozen=True)
class EmailMetrics:
    """Every §6 metric of one email, campaign, period or of the whole selection."""

    key: str | None
    emails: int
    sent: int
    recipients: int
    delivered: int
    delivery_reported: int  # emails of the group whose sender reports deliveries
    bounces: int
    hard_bounces: int
    opens: int
    unique_opens: int
    clicks: int
    unique_clicks: int
    unsubscribes: int
    complaints: int
    name: str | None = None
    subject: str | None = None
    campaign: str | None = None
    send_time: datetime | None = None

    @classmethod
    def empty(cls, key: str | None = None) -> EmailMetrics:
        """A group without any activity (every count 0)."""
        return cls(key, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)

    @property
    def soft_bounces(self) -> int:
        """Bounces not reported as hard (soft or of unknown type)."""
        return self.bounces - self.hard_bounces

    def rates(self) -> dict[str, float | None]:
        """The rates of §6 (None when the denominator is 0)."""
        return {
            "bounce_rate": rate(self.bounces, self.sent),
            "hard_bounce_rate": rate(self.hard_bounces, self.sent),
            "soft_bounce_rate": rate(self.soft_bounces, self.sent),
            "open_rate": rate(self.unique_opens, self.delivered),
            "click_rate": rate(self.unique_clicks, self.delivered),
            "click_to_open_rate": rate(self.unique_clicks, self.unique_opens),
            "unsubscribe_rate": rate(self.unsubscribes, self.delivered),
            "complaint_rate": rate(self.complaints, self.delivered),
        }

    def to_dict(self) -> dict[str, Any]:
        """Counts and rates, JSON-ready."""
        out = asdict(self)
        out["send_time"] = self.send_time.isoformat() if self.send_time else None
        out["soft_bounces"] = self.soft_bounces
        out.update(self.rates())
        return out


@dataclass(frozen=True)
class LinkStats:
    """Clicks on one link of one email."""

    email: str
    link: str
    url: str | None
    label: str | None
    honeypot: bool
    clicks: int
    clickers: int
    email_clickers: int

    @property
    def share_of_clickers(self) -> float | None:
        """Distinct clickers of this link / distinct clickers of the email."""
        return rate(self.clickers, self.email_clickers)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {**asdict(self), "share_of_clickers": self.share_of_clickers}


@dataclass(frozen=True)
class Timing:
    """Opens and clicks by hour since delivery (0..72, 72 = 72 h or later) and by UTC day."""

    hours: list[tuple[int, int, int]]  # (hour, opens, clicks), every hour 0..72
    days: list[tuple[str, int, int]]  # (YYYY-MM-DD, opens, clicks)
    unknown_delivery: tuple[int, int] = (0, 0)  # opens, clicks without a known delivery

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "hours": [{"hour": h, "opens": o, "clicks": c} for h, o, c in self.hours],
            "days": [{"day": d, "opens": o, "clicks": c} for d, o, c in self.days],
            "unknown_delivery": {
                "opens": self.unknown_delivery[0],
                "clicks": self.unknown_delivery[1],
            },
        }


@dataclass(frozen=True)
class EmailStatsReport:
    """Statistics of a selection of emails in one view, grouped one way."""

    query: StatsQuery
    rows: list[EmailMetrics]
    total: EmailMetrics
    links: list[LinkStats] = field(default_factory=list)
    timing: Timing = field(default_factory=lambda: Timing([], []))

    @property
    def view(self) -> str:
        """``human`` (bot-labelled activities excluded) or ``all``."""
        return "human" if self.query.human else "all"

    def row(self, key: str) -> EmailMetrics:
        """The row of one group (email id, campaign or period start)."""
        for r in self.rows:
            if r.key == key:
                return r
        raise KeyError(key)

    def to_dict(self) -> dict[str, Any]:
        """Every metric, JSON-ready."""
        q = self.query
        return {
            "view": self.view,
            "by": q.by,
            "filters": {"email": q.email, "campaign": q.campaign},
            "rows": [r.to_dict() for r in self.rows],
            "total": self.total.to_dict(),
            "links": [link.to_dict() for link in self.links],
            "timing": self.timing.to_dict(),
        }

    def to_arrow(self) -> pa.Table:
        """One row per group with every count and rate."""
        return pa.Table.from_pylist([r.to_dict() for r in self.rows], schema=_ROW_SCHEMA)

    def links_arrow(self) -> pa.Table:
        """One row per (email, link)."""
        return pa.Table.from_pylist([link.to_dict() for link in self.links], schema=_LINK_SCHEMA)


_INT_FIELDS = [
    "emails",
    "sent",
    "recipients",
    "delivered",
    "delivery_reported",
    "bounces",
    "hard_bounces",
    "opens",
    "unique_opens",
    "clicks",
    "unique_clicks",
    "unsubscribes",
    "complaints",
]
_RATE_FIELDS = list(EmailMetrics.empty().rates())
_ROW_SCHEMA = pa.schema(
    [("key", pa.string())]
    + [(f, pa.int64()) for f in _INT_FIELDS]
    + [("name", pa.string()), ("subject", pa.string()), ("campaign", pa.string())]
    + [("send_time", pa.string()), ("soft_bounces", pa.int64())]
    + [(f, pa.float64()) for f in _RATE_FIELDS]
)
_LINK_SCHEMA = pa.schema(
    [("email", pa.string()), ("link", pa.string()), ("url", pa.string())]
    + [("label", pa.string()), ("honeypot", pa.bool_())]
    + [(f, pa.int64()) for f in ("clicks", "clickers", "email_clickers")]
    + [("share_of_clickers", pa.float64())]
)


def email_stats(backend: Backend, query: StatsQuery | None = None) -> EmailStatsReport:
    """Run a statistics report: counts per group, clicks per link and timing."""
    require(backend, "email statistics", "emails", "email_links")
    query = query or StatsQuery()
    rows: list[EmailMetrics] = []
    total, links, timing = EmailMetrics.empty(), [], Timing(_empty_hours(), [])
    pre_aggregated = all(r in backend.relations for r in PRE_AGGREGATE)
    report = report_query(query, backend.sql, pre_aggregated=pre_aggregated)
    for r in arrow_typed(backend, report).to_pylist():
        metrics = EmailMetrics(
            key=r["grp"],
            **{f: int(r[f] or 0) for f in _INT_FIELDS},
            name=r["name"],
            subject=r["subject"],
            campaign=r["campaign"],
            send_time=r["send_time"],
        )
        if not r["is_total"]:
            rows.append(metrics)
            continue
        total = metrics
        links = sorted(
            (LinkStats(**link) for link in r["links"] or []),
            key=lambda link: (link.email, -link.clicks, link.link),
        )
        timing = _timing(r["timing"] or [])
    return EmailStatsReport(query, rows, total, links, timing)


def _empty_hours() -> list[tuple[int, int, int]]:
    return [(h, 0, 0) for h in range(MAX_HOUR + 1)]


def _timing(buckets: list[dict[str, Any]]) -> Timing:
    by_hour: dict[int, tuple[int, int]] = {}
    days: list[tuple[str, int, int]] = []
    unknown = (0, 0)
    for b in buckets:
        counts = (int(b["opens"]), int(b["clicks"]))
        if b["bucket_kind"] == "day":
            days.append((b["bucket"], *counts))
        elif b["bucket"] is None:
            unknown = counts
        else:
            by_hour[int(b["bucket"])] = counts
    hours = [(h, *by_hour.get(h, (0, 0))) for h in range(MAX_HOUR + 1)]
    return Timing(hours, sorted(days), unknown)
