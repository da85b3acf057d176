"""The query that feeds the sequence matcher: one row per relevant activity (pure builder).

Each row carries the contact key, the time, and bit masks of the stages and exclusions it
matches plus whether it matches ``exit_when``. The engine reads only what the journey needs:
activities of the types its conditions name (in strict mode, every activity of the contacts
who entered, since those interrupt). ``first_time`` stages look past the date range but not
past ``filter`` or ``as_of``; the date range is applied after them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from sqlglot import exp

from headway.backends.query import Query
from headway.conditions import Params, Scope, compile_condition, type_test
from headway.conditions.sql_dialect import SqlDialect
from headway.conditions.typed import TypedColumns
from headway.engine.options import DateWindow, ReportOptions
from headway.model.condition import AllOf, AnyOf, Condition, Match, Not, walk
from headway.model.journey import Journey, Stage

ACTIVITY = "a"
CONTACT = "c"
PARSED = "properties_json"  # the parsed properties, when the dialect parses them once a row


@dataclass(frozen=True)
class InputColumns:
    """Names of the matcher input columns in the query's result."""

    contact: str = "contact_key"
    ts: str = "ts"
    stage_mask: str = "stage_mask"
    excl_mask: str = "excl_mask"
    exit: str = "is_exit"


COLUMNS = InputColumns()


def activity_scope(type_codes: Mapping[str, int], sql: SqlDialect) -> Scope:
    """Conditions over an activity row aliased ``a`` (its contact joined as ``c``)."""
    return Scope(
        type_codes=type_codes,
        sql=sql,
        properties=exp.column("properties", ACTIVITY),
        type_code=exp.column("type_code", ACTIVITY),
        source=exp.column("source", ACTIVITY),
        bot=exp.column("bot", ACTIVITY),
        contact=exp.column("id", CONTACT),
        typed=sql.typed,  # the typed property columns beside ``properties``
    )


def effective_range(journey: Journey, options: ReportOptions) -> DateWindow | None:
    """The date range in force: the report's, else the journey's own."""
    if options.date_range is not None:
        return options.date_range
    if journey.date_range is None:
        return None
    return DateWindow(journey.date_range.start, journey.date_range.end)


def condition_types(cond: Condition) -> frozenset[str] | None:
    """The activity types a condition can match; None when it can match any type."""
    if isinstance(cond, Match):
        return None if cond.types is None else frozenset(cond.types)
    if isinstance(cond, Not):
        return None
    sets = [condition_types(c) for c in cond.items]
    if isinstance(cond, AnyOf):
        if not sets or any(s is None for s in sets):
            return None if sets else frozenset()
        return frozenset().union(*[s for s in sets if s is not None])
    assert isinstance(cond, AllOf)
    known = [s for s in sets if s is not None]
    return frozenset.intersection(*known) if known else None


def match_query(
    journey: Journey,
    type_codes: Mapping[str, int],
    options: ReportOptions,
    extras: Mapping[str, exp.Expr] | None = None,
    *,
    sql: SqlDialect,
) -> Query:
    """The matcher-input query of a journey; ``extras`` adds columns over activity ``a``.

    ``sql`` is the backend's dialect (``backend.sql``); render the query with ``sql.name``.
    """
    params = Params()
    scope = activity_scope(type_codes, sql)
    parsed = _parse_once(journey, scope, _entry_reads(journey, options))
    tests = scope if parsed is None else replace(scope, sql=parsed[1])
    stage_sql = [_stage_condition(s, tests, params) for s in journey.stages]
    segment = options.segment
    if segment is not None and segment.entry is not None and stage_sql:
        # The segment's entry filter: only activities that pass it can enter the journey.
        stage_sql[0] = exp.and_(stage_sql[0], projected(segment.entry, tests, params))
    excl_sql = [projected(x.when, tests, params) for x in journey.exclusions]
    exit_sql = projected(journey.exit_when, tests, params) if journey.exit_when else None

    inner = _inner_select(
        journey, scope, params, options, stage_sql, excl_sql, exit_sql, extras or {}
    )
    if parsed is not None:
        # Below the conditions: the rows' properties parsed once, on the rows the activity
        # filters keep (their conjuncts that read no contact move down with it) and only for
        # the types whose conditions read properties.
        where = inner.args["where"].this
        conjuncts = list(where.flatten()) if isinstance(where, exp.And) else [where]
        down = [
            c for c in conjuncts if not any(col.table == CONTACT for col in c.find_all(exp.Column))
        ]
        up = [c for c in conjuncts if c not in down]
        column = parsed[0]
        gate = parsed[1].parse_gate()
        if gate is not None:  # parsed only on rows where some test can use the parse
            column = _gated(column, gate)
        lower = (
            exp.select(exp.Star(), column.as_(PARSED))
            .from_(exp.table_("activity_log", alias=ACTIVITY))
            .where(exp.and_(*down))
        )
        inner = inner.from_(lower.subquery(ACTIVITY), copy=False)
        inner.set("where", exp.Where(this=exp.and_(*up)) if up else None)
    rows = exp.select(
        # 64-bit here, so the matcher takes the Arrow buffer without a copy.
        exp.Cast(this=exp.column("contact_key"), to=exp.DataType.build("BIGINT")).as_(
            COLUMNS.contact
        ),
        exp.column("ts").as_(COLUMNS.ts),
        _mask([f"s{i}" for i in range(len(stage_sql))]).as_(COLUMNS.stage_mask),
        _mask([f"x{i}" for i in range(len(excl_sql))]).as_(COLUMNS.excl_mask),
        (exp.column("e0") if exit_sql is not None else exp.false()).as_(COLUMNS.exit),
        *[exp.column(name) for name in (extras or {})],
    ).from_("_rows")
    rows = rows.where(exp.column("in_range"))
    if journey.order == "strict":
        entered = (
            exp.select("contact_key")
            .from_("_rows")
            .where(exp.and_(exp.column("in_range"), exp.column("s0")))
        )
        rows = rows.where(exp.column("contact_key").isin(query=entered))
    else:
        flags = [f"s{i}" for i in range(len(stage_sql))] + [f"x{i}" for i in range(len(excl_sql))]
        if exit_sql is not None:
            flags.append("e0")
        rows = rows.where(exp.or_(*[exp.column(f) for f in flags]))
    return Query(rows.with_("_rows", as_=inner), dict(params.values))


def _inner_select(
    journey: Journey,
    scope: Scope,
    params: Params,
    options: ReportOptions,
    stage_sql: list[exp.Expr],
    excl_sql: list[exp.Expr],
    exit_sql: exp.Expr | None,
    extras: Mapping[str, exp.Expr],
) -> exp.Select:
    ts = exp.column("ts", ACTIVITY)
    columns: list[exp.Expr] = [
        exp.column("contact_key", ACTIVITY).as_("contact_key"),
        ts.as_("ts"),
        _in_range(ts, effective_range(journey, options), params).as_("in_range"),
    ]
    columns += [cond.as_(f"s{i}") for i, cond in enumerate(stage_sql)]
    columns += [cond.as_(f"x{i}") for i, cond in enumerate(excl_sql)]
    if exit_sql is not None:
        columns.append(exit_sql.as_("e0"))
    columns += [expr.as_(name) for name, expr in extras.items()]

    where: list[exp.Expr] = [exp.LTE(this=ts.copy(), expression=params.add(options.as_of))]
    if journey.filter is not None:
        where.append(compile_condition(journey.filter, scope, params))
    prefilter = _type_prefilter(journey, scope)
    if prefilter is not None:
        where.append(prefilter)
    where += _segment_filters(options, scope, params)
    select = (
        exp.select(*columns)
        .from_(exp.table_("activity_log", alias=ACTIVITY))
        .where(exp.and_(*where))
    )
    if _uses_contact(select):
        select = select.join(
            exp.table_("contacts", alias=CONTACT),
            on=exp.EQ(
                this=exp.column("key", CONTACT), expression=exp.column("contact_key", ACTIVITY)
            ),
        )
    return select


def _segment_filters(options: ReportOptions, scope: Scope, params: Params) -> list[exp.Expr]:
    """The segment's contact filters: its cohorts' keys and its condition on attributes."""
    segment = options.segment
    if segment is None:
        return []
    out: list[exp.Expr] = []
    if segment.contact_keys is not None:
        # Keys come from our own cohort table (integers, never user text): literals are safe.
        keys = [exp.Literal.number(k) for k in sorted(segment.contact_keys)]
        key = exp.column("contact_key", ACTIVITY)
        out.append(key.isin(*keys) if keys else exp.false())
    if segment.attributes is not None:
        attributes = replace(
            scope, properties=exp.column("attributes", CONTACT), typed=TypedColumns()
        )
        out.append(compile_condition(segment.attributes, attributes, params))
    return out


def _entry_reads(journey: Journey, options: ReportOptions) -> Condition | None:
    """The segment's entry filter as the rows it reads: those of the first stage's types."""
    segment = options.segment
    if segment is None or segment.entry is None or not journey.stages:
        return None
    types = condition_types(journey.stages[0].when)
    where = tuple(p for m in walk(segment.entry) for p in m.where)
    return Match(None if types is None else tuple(sorted(types)), where)


def _parse_once(
    journey: Journey, scope: Scope, entry: Condition | None = None
) -> tuple[exp.Expr, SqlDialect] | None:
    """The dialect's parse-once column (guarded by the types that test properties), or None."""
    conds = [s.when for s in journey.stages] + [x.when for x in journey.exclusions]
    if entry is not None:
        conds.append(entry)
    if journey.exit_when is not None:
        conds.append(journey.exit_when)
    types: set[str] | None = set()
    for cond in conds:
        found = _property_types(cond)
        types = None if found is None or types is None else types | found
    if types is not None and not types:
        return None  # no condition reads a property
    once = scope.sql.parse_once(scope.properties, exp.column(PARSED, ACTIVITY))
    if once is None or types is None:
        return once
    guarded = exp.Case(ifs=[exp.If(this=type_test(tuple(sorted(types)), scope), true=once[0])])
    return guarded, once[1]


def _gated(column: exp.Expr, gate: exp.Expr) -> exp.Expr:
    """``column`` computed only where ``gate`` holds (after its own type guard, if any)."""
    ifs = column.args.get("ifs") if isinstance(column, exp.Case) else None
    if ifs and len(ifs) == 1 and column.args.get("default") is None:
        return exp.Case(ifs=[exp.If(this=exp.and_(ifs[0].this, gate), true=ifs[0].args["true"])])
    return exp.Case(ifs=[exp.If(this=gate, true=column)])


def _property_types(cond: Condition) -> frozenset[str] | None:
    """The types whose rows ``cond`` tests properties of (None: rows of any type)."""
    if isinstance(cond, Match):
        if not cond.where:
            return frozenset()
        return None if cond.types is None else frozenset(cond.types)
    if isinstance(cond, Not):
        return _property_types(cond.item)
    found = [_property_types(c) for c in cond.items]
    if any(f is None for f in found):
        return None
    return frozenset().union(*[f for f in found if f is not None])


def projected(cond: Condition, scope: Scope, params: Params) -> exp.Expr:
    """A condition as a projected column: property tests run only on rows of the right type.

    DuckDB evaluates every operand of AND/OR in a projection, but a CASE only evaluates a
    branch on the rows that reach it; guarding each typed match with ``CASE WHEN type ...``
    keeps JSON parsing off the rows of other types.
    """
    if isinstance(cond, Match):
        if cond.types is None or not cond.where:
            return compile_condition(cond, scope, params)
        rest = compile_condition(Match(None, cond.where), scope, params)
        return exp.Case(
            ifs=[exp.If(this=type_test(cond.types, scope), true=rest)], default=exp.false()
        )
    if isinstance(cond, Not):
        return exp.not_(exp.func("coalesce", projected(cond.item, scope, params), exp.false()))
    parts = [projected(c, scope, params) for c in cond.items]
    if isinstance(cond, AnyOf):
        return exp.or_(*parts) if parts else exp.false()
    return exp.and_(*parts) if parts else exp.true()


def _stage_condition(stage: Stage, scope: Scope, params: Params) -> exp.Expr:
    cond = projected(stage.when, scope, params)
    if stage.first_time == "false":
        return cond
    if stage.first_time == "event":
        types = condition_types(stage.when)
        family = exp.true() if types is None else type_test(tuple(sorted(types)), scope)
    else:
        family = cond
    # The contact's earliest activity of the family (ties: smallest id) must pass the stage.
    first = exp.Window(
        this=exp.RowNumber(),
        partition_by=[exp.column("contact_key", ACTIVITY), family.copy()],
        order=exp.Order(
            expressions=[
                exp.Ordered(this=exp.column("ts", ACTIVITY)),
                exp.Ordered(this=exp.column("id", ACTIVITY)),
            ]
        ),
    )
    is_first = exp.EQ(this=first, expression=exp.Literal.number(1))
    return exp.and_(family.copy(), is_first, cond)


def _in_range(ts: exp.Expr, window: DateWindow | None, params: Params) -> exp.Expr:
    tests: list[exp.Expr] = []
    if window is not None and window.start is not None:
        tests.append(exp.GTE(this=ts.copy(), expression=params.add(window.start)))
    if window is not None and window.end is not None:
        tests.append(exp.LTE(this=ts.copy(), expression=params.add(window.end)))
    return exp.and_(*tests) if tests else exp.true()


def _type_prefilter(journey: Journey, scope: Scope) -> exp.Expr | None:
    if journey.order == "strict":
        return None  # every activity of an entered contact may interrupt
    conds = [s.when for s in journey.stages] + [x.when for x in journey.exclusions]
    if journey.exit_when is not None:
        conds.append(journey.exit_when)
    types: set[str] = set()
    for cond in conds:
        found = condition_types(cond)
        if found is None:
            return None
        types |= found
    return type_test(tuple(sorted(types)), scope)


def _mask(flags: list[str]) -> exp.Expr:
    if not flags:  # BIGINT like the others, so the matcher reads it without a cast
        return exp.Cast(this=exp.Literal.number(0), to=exp.DataType.build("BIGINT"))
    terms = [
        exp.If(this=exp.column(f), true=exp.Literal.number(1 << i), false=exp.Literal.number(0))
        for i, f in enumerate(flags)
    ]
    total: exp.Expr = terms[0]
    for term in terms[1:]:
        total = exp.Add(this=total, expression=term)
    return exp.Cast(this=total, to=exp.DataType.build("BIGINT"))


def _uses_contact(select: exp.Select) -> bool:
    return any(col.table == CONTACT for col in select.find_all(exp.Column))
