"""A small real activity log and a helper that runs a compiled condition against it."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

import pyarrow as pa
from sqlglot import exp

from headway.backends.duckdb_dialect import DUCKDB_SQL
from headway.conditions import Params, Scope, compile_condition, compile_flag
from headway.errors import Detail
from headway.model.condition import Condition, parse_condition
from headway.store import Store

# id -> (contact, type, source, bot, properties); None properties = SQL NULL column.
ACTIVITIES: dict[str, tuple[str, str, str, bool, Any]] = {
    "a1": ("ann", "page_visit", "api", False, {"url": "/pricing", "value": 5, "flag": True}),
    "a2": ("ann", "page_visit", "tracking", False, {"url": "/home", "value": "5", "flag": "true"}),
    "a3": ("bob", "email_click", "sendgrid", True, {"url": None, "value": 5.0, "link": "l1"}),
    "a4": ("bob", "email_open", "sendgrid", True, {}),
    "a5": ("cid", "form_submission", "api", False, None),
    "a6": ("cid", "page_visit", "api", False, {"url": "/PRICING/x", "value": 10.5}),
    "a7": (
        "dan",
        "purchase",
        "import",
        False,
        {"url": 7, "tags": ["a"], "utm": {"source": "news"}, "x-y": 1, "2nd": "b"},
    ),
    "a8": ("dan", "page_visit", "api", False, {"url": "café ☃ 𝄞", "value": -3, "flag": False}),
}
ALL_IDS = frozenset(ACTIVITIES)


def activity_table(rows: Mapping[str, tuple[str, str, str, bool, Any]]) -> pa.Table:
    """The canonical append columns for ``rows`` (one second apart)."""
    start = datetime(2025, 1, 1)
    ids = list(rows)
    return pa.table(
        {
            "id": ids,
            "contact": [rows[i][0] for i in ids],
            "type": [rows[i][1] for i in ids],
            "ts": pa.array(
                [start + timedelta(seconds=n) for n in range(len(ids))], pa.timestamp("us")
            ),
            "properties": [None if rows[i][4] is None else json.dumps(rows[i][4]) for i in ids],
            "bot": [rows[i][3] for i in ids],
            "bot_reason": [None] * len(ids),
            "source": [rows[i][2] for i in ids],
        }
    )


def scope_of(store: Store) -> Scope:
    """A scope over ``activities a JOIN contacts c`` with the store's type dictionary."""
    codes = dict(
        (name, code) for code, name in store.execute("SELECT code, name FROM activity_types").rows
    )
    return Scope(
        type_codes=codes,
        sql=DUCKDB_SQL,
        properties=exp.column("properties", table="a"),
        type_code=exp.column("type_code", table="a"),
        source=exp.column("source", table="a"),
        bot=exp.column("bot", table="a"),
        contact=exp.column("id", table="c"),
    )


def condition(data: Mapping[str, Any]) -> Condition:
    """A typed condition from its mapping (semantic problems fail the test)."""
    problems: list[Detail] = []
    cond = parse_condition(data, "when", problems)
    assert problems == []
    return cond


Runner = Callable[[Condition], frozenset[str]]


def run_condition(store: Store, cond: Condition) -> frozenset[str]:
    """Ids of the activities ``cond`` matches, via WHERE, checked against the flag column."""
    params = Params()
    scope = scope_of(store)
    where = compile_condition(cond, scope, params)
    flag = compile_flag(cond, scope, params)
    base = exp.select(exp.column("id", table="a"), flag.as_("flag")).from_("activities a")
    base = base.join("contacts c", on="c.key = a.contact_key")
    rows = store.execute(base, params.values).rows
    assert all(isinstance(f, bool) for _, f in rows), "flag must never be NULL"
    selected = store.execute(base.where(where), params.values).rows
    found = frozenset(r[0] for r in selected)
    assert found == frozenset(i for i, f in rows if f)
    return found
