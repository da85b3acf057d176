"""Touchpoints: a contact's activities named the way a marketer reads them (pure builders).

A touchpoint key is the activity type plus its identifying property:

- email events: ``email_click:webinar-invite/register`` (email id, then the link for clicks),
  ``email_open:welcome-1``, ``email_delivered:newsletter-2025-04``;
- forms: ``form_submission:contact-sales``;
- pages: ``page_visit:/pricing`` — the URL's path only: scheme, host, query string and
  fragment are dropped, so ``https://x.example/pricing?utm_source=ad`` and ``/pricing`` are one
  touchpoint (the page a marketer means, not every tracking variant);
- otherwise the ``campaign``, then the ``link``; with none of these, the bare type.

``touchpoint_query`` returns the touchpoints of each contact inside intervals the caller
registers as an Arrow table (``intervals_table``): one row per ``(slot, contact, start, end)``,
``start`` inclusive and ``end`` exclusive, with a mask of the journey's stages whose
activities are left out (touchpoints that define the stages themselves are not touchpoints).
The journey's ``filter``, its date range and ``as_of`` apply as in the funnel; the human view
(default) leaves out activities labelled ``bot``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from sqlglot import exp

from headway.backends.base import Backend
from headway.backends.query import Query
from headway.conditions import Params, compile_condition
from headway.conditions.sql_dialect import SqlDialect
from headway.engine.email.delivery import human as human_only
from headway.engine.kernel.inputs import (
    ACTIVITY,
    CONTACT,
    activity_scope,
    effective_range,
    projected,
)
from headway.engine.options import ReportOptions
from headway.engine.support import TYPES as TYPE_TABLE
from headway.engine.support import arrow_typed
from headway.model.journey import Journey

INTERVALS = "_hw_intervals"
TYPES = "t"
_I = "i"


@dataclass(frozen=True)
class IntervalColumns:
    """Columns of the intervals table the caller registers."""

    slot: str = "slot"  # the caller's id of the interval (e.g. a transition); INTEGER
    contact: str = "contact_key"  # BIGINT
    start: str = "start_ts"  # TIMESTAMP, inclusive
    end: str = "end_ts"  # TIMESTAMP, exclusive
    skip_stages: str = "skip_stages"  # BIGINT: bit i set = leave out stage i's activities


INTERVAL_COLUMNS = IntervalColumns()


def intervals_table(
    slot: np.ndarray,
    contact: np.ndarray,
    start_us: np.ndarray,
    end_us: np.ndarray,
    skip_stages: np.ndarray | int = 0,
) -> pa.Table:
    """The intervals table from NumPy arrays (times in µs since the epoch, UTC)."""
    c = INTERVAL_COLUMNS
    n = len(contact)
    skip = np.broadcast_to(np.asarray(skip_stages, np.int64), (n,))
    return pa.table(
        {
            c.slot: pa.array(np.asarray(slot, np.int32)),
            c.contact: pa.array(np.asarray(contact, np.int64)),
            c.start: pa.array(np.asarray(start_us, np.int64)).cast(pa.timestamp("us")),
            c.end: pa.array(np.asarray(end_us, np.int64)).cast(pa.timestamp("us")),
            c.skip_stages: pa.array(np.ascontiguousarray(skip)),
        }
    )


def stage_mask(stages: Iterable[int]) -> int:
    """A ``skip_stages`` value: the bits of 0-based stage indexes."""
    mask = 0
    for i in stages:
        mask |= 1 << i
    return mask


def touchpoint_key(sql: SqlDialect, activity: str = ACTIVITY, types: str = TYPES) -> exp.Expr:
    """The touchpoint key of an activity row ``activity`` joined to the type table ``types``."""
    prop = _property(sql, activity)
    email_ident = exp.DPipe(
        this=prop("email"),
        expression=exp.Coalesce(
            this=exp.DPipe(this=exp.Literal.string("/"), expression=prop("link")),
            expressions=[exp.Literal.string("")],
        ),
    )
    ident = exp.Case(
        ifs=[
            exp.If(this=exp.Not(this=exp.Is(this=prop(name), expression=exp.Null())), true=value)
            for name, value in (
                ("email", email_ident),
                ("form", prop("form")),
                ("url", url_path(prop("url"))),
                ("campaign", prop("campaign")),
                ("link", prop("link")),
            )
        ]
    )
    with_ident = exp.DPipe(this=exp.Literal.string(":"), expression=ident)
    return exp.DPipe(
        this=exp.column("name", types),
        expression=exp.Coalesce(this=with_ident, expressions=[exp.Literal.string("")]),
    )


def url_path(url: exp.Expr) -> exp.Expr:
    """The path of a URL: no scheme and host, no query string or fragment; empty means ``/``."""
    no_host = exp.RegexpReplace(
        this=url,
        expression=exp.Literal.string("^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*"),
        replacement=exp.Literal.string(""),
    )
    path = exp.RegexpReplace(
        this=no_host, expression=exp.Literal.string("[?#].*$"), replacement=exp.Literal.string("")
    )
    return exp.Coalesce(
        this=exp.Nullif(this=path, expression=exp.Literal.string("")),
        expressions=[exp.Literal.string("/")],
    )


def touchpoint_query(
    journey: Journey,
    type_codes: Mapping[str, int],
    options: ReportOptions,
    *,
    sql: SqlDialect,
    human: bool = True,
    grouped: bool = True,
    stage_flags: bool = False,
    intervals: str = INTERVALS,
) -> Query:
    """The touchpoints of each contact inside its intervals.

    ``grouped``: one row per ``(slot, contact_key, touchpoint)`` with ``n`` (activities),
    ``first_ts`` and ``last_ts``; otherwise one row per activity: ``slot, contact_key, ts,
    touchpoint`` (ordered by slot, contact, time), plus with ``stage_flags`` a ``stage_mask``
    column (bit i set: the activity matches stage i's condition) for callers that leave out
    stage activities themselves.
    """
    rows = _rows(journey, type_codes, options, human, intervals, sql)
    if not grouped:
        names = ["slot", "contact_key", "ts", "touchpoint"]
        if stage_flags:
            names.append("stage_mask")
        select = exp.select(*names).from_(rows[0].subquery("r"))
        if not stage_flags:
            select = select.order_by("slot", "contact_key", "ts", "touchpoint")
        return Query(select, rows[1])
    select = (
        exp.select(
            "slot",
            "contact_key",
            "touchpoint",
            exp.Count(this=exp.Star()).as_("n"),
            exp.Min(this=exp.column("ts")).as_("first_ts"),
            exp.Max(this=exp.column("ts")).as_("last_ts"),
        )
        .from_(rows[0].subquery("r"))
        .group_by("slot", "contact_key", "touchpoint")
    )
    return Query(select, rows[1])


def fetch_touchpoints(
    backend: Backend,
    journey: Journey,
    options: ReportOptions,
    intervals: pa.Table,
    *,
    human: bool = True,
    grouped: bool = True,
    stage_flags: bool = False,
) -> pa.Table:
    """Run ``touchpoint_query`` over an intervals table (see ``intervals_table``)."""
    query = touchpoint_query(
        journey,
        backend.type_codes(),
        options,
        sql=backend.sql,
        human=human,
        grouped=grouped,
        stage_flags=stage_flags,
    )
    return arrow_typed(backend, query, {INTERVALS: intervals})


def _rows(
    journey: Journey,
    type_codes: Mapping[str, int],
    options: ReportOptions,
    human: bool,
    intervals: str,
    sql: SqlDialect,
) -> tuple[exp.Select, dict[str, object]]:
    params = Params()
    scope = activity_scope(type_codes, sql)
    c = INTERVAL_COLUMNS
    ts = exp.column("ts", ACTIVITY)
    where: list[exp.Expr] = [
        exp.GTE(this=ts.copy(), expression=exp.column(c.start, _I)),
        exp.LT(this=ts.copy(), expression=exp.column(c.end, _I)),
        exp.LTE(this=ts.copy(), expression=params.add(options.as_of)),
    ]
    window = effective_range(journey, options)
    if window is not None and window.start is not None:
        where.append(exp.GTE(this=ts.copy(), expression=params.add(window.start)))
    if window is not None and window.end is not None:
        where.append(exp.LTE(this=ts.copy(), expression=params.add(window.end)))
    if human:
        where.append(human_only(ACTIVITY))
    if journey.filter is not None:
        where.append(compile_condition(journey.filter, scope, params))
    conds = [projected(s.when, scope, params) for s in journey.stages]
    where += [_not_stage(i, cond) for i, cond in enumerate(conds)]
    select = (
        exp.select(
            exp.column(c.slot, _I).as_("slot"),
            exp.column(c.contact, _I).as_("contact_key"),
            ts.as_("ts"),
            touchpoint_key(sql).as_("touchpoint"),
            _stage_bits(conds).as_("stage_mask"),
        )
        .from_(exp.table_("activity_log", alias=ACTIVITY))
        .join(
            exp.table_(intervals, alias=_I),
            on=exp.EQ(
                this=exp.column(c.contact, _I), expression=exp.column("contact_key", ACTIVITY)
            ),
        )
        .join(
            exp.table_(TYPE_TABLE, alias=TYPES),
            on=exp.EQ(this=exp.column("code", TYPES), expression=exp.column("type_code", ACTIVITY)),
        )
        .where(exp.and_(*where))
    )
    if any(col.table == CONTACT for col in select.find_all(exp.Column)):
        select = select.join(
            exp.table_("contacts", alias=CONTACT),
            on=exp.EQ(
                this=exp.column("key", CONTACT), expression=exp.column("contact_key", ACTIVITY)
            ),
        )
    return select, dict(params.values)


def _stage_bits(conds: list[exp.Expr]) -> exp.Expr:
    """BIGINT with bit i set when the activity matches stage i's condition."""
    total: exp.Expr = exp.Literal.number(0)
    for i, cond in enumerate(conds):
        bit = exp.If(
            this=exp.Coalesce(this=cond.copy(), expressions=[exp.false()]),
            true=exp.Literal.number(1 << i),
            false=exp.Literal.number(0),
        )
        total = exp.Add(this=total, expression=bit)
    return exp.Cast(this=total, to=exp.DataType.build("BIGINT"))


def _not_stage(index: int, condition: exp.Expr) -> exp.Expr:
    """Keep the row unless the interval skips stage ``index`` and the activity matches it."""
    skipped = exp.NEQ(
        this=exp.BitwiseAnd(
            this=exp.column(INTERVAL_COLUMNS.skip_stages, _I),
            expression=exp.Literal.number(1 << index),
        ),
        expression=exp.Literal.number(0),
    )
    matches = exp.Coalesce(this=condition.copy(), expressions=[exp.false()])
    return exp.not_(exp.and_(skipped, matches))


def _property(sql: SqlDialect, activity: str) -> Callable[[str], exp.Expr]:
    def text(name: str) -> exp.Expr:
        return sql.json_text(exp.column("properties", activity), (name,))

    return text


# How a marketer reads a touchpoint: "Contacts who <verb phrase> moved on ...".
_VERBS = {
    "email_sent": "were sent {email}",
    "email_delivered": "received {email}",
    "email_open": "opened {email}",
    "email_click": "clicked {link} in {email}",
    "email_bounce": "bounced on {email}",
    "email_unsubscribe": "unsubscribed from {email}",
    "email_spam_report": "reported {email} as spam",
    "page_visit": "visited {ident}",
    "form_submission": "sent the {ident} form",
    "purchase": "purchased ({ident})",
}


def describe(key: str, names: Mapping[str, str] | None = None) -> str:
    """A touchpoint key as a verb phrase, with email ids replaced by their names."""
    kind, sep, ident = key.partition(":")
    template = _VERBS.get(kind)
    if not sep:
        return f"had {kind}" if kind != "purchase" else "purchased"
    if template is None:
        return f"had {kind} {ident}"
    email, _, link = ident.partition("/")
    if kind == "email_click" and not link:
        template = "clicked {email}"
    shown = (names or {}).get(email, email)
    return template.format(email=shown, link=link, ident=ident)


def email_names(backend: Backend) -> dict[str, str]:
    """Email id -> name, for emails registered with a name (none on a backend without the
    store's email registry: touchpoints then show email ids)."""
    if "emails" not in backend.relations:
        return {}
    rows = backend.arrow(Query(_NAMES)).to_pydict()
    return {str(i): str(n) for i, n in zip(rows["id"], rows["name"], strict=True)}


_NAMES = exp.select("id", "name").from_("emails").where(exp.column("name").is_(exp.null()).not_())
