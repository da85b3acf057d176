"""Validation of CSV and Parquet files in SQL, so that DuckDB's parallel scanners do the work.

``check`` turns the source view into the temp table ``_hw_checked``: the canonical activity
columns, ``_seq`` (1-based row number in file order), and ``_problem`` naming the first
invalid field of a rejected row and why (``field<US>reason``; NULL for valid rows). The rules and messages are the
same as ``records.py``'s; file column names are quoted identifiers, values are never spliced.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import duckdb

from headway.errors import InvalidInput
from headway.ingest import timestamps
from headway.ingest.key_screen import suspect_rows
from headway.ingest.mapping import ColumnMapping
from headway.model.names import MAX_NAME_LENGTH, SQL_CONTROL_PATTERN, key_problem, name_problem
from headway.store.appends import CONTENT_ID

CHECKED = "_hw_checked"
_SCREEN_ROWS = 1_000_000  # rows of property texts screened at once (a few hundred MB at most)
SEP = "\x1f"  # between field and reason in ``_problem`` (one CASE instead of two per row)
_NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "FLOAT", "DOUBLE", "DECIMAL")
_NAIVE_TYPES = ("TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS", "DATE")


def quote(name: str) -> str:
    """A column name as a SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    # Only for constant patterns defined in this package, never for user values.
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True)
class Checked:
    """What ``check`` made: the property members carried as raw columns (``members``) and
    the select list that derives the columns ``_hw_checked`` does not store (``derived``)."""

    members: dict[str, str] = field(default_factory=dict)
    derived: str = ""

    def valid_sql(self) -> str:
        """SQL: the valid rows with the canonical columns (and the members)."""
        return f"SELECT * EXCLUDE (_problem){self.derived} FROM {CHECKED} WHERE _problem IS NULL"


def check(
    conn: duckdb.DuckDBPyConnection,
    source_view: str,
    columns: dict[str, str],
    *,
    name: str,
    mapping: ColumnMapping,
    tz: str | None,
    source: str,
) -> Checked:
    """Create ``_hw_checked`` from ``source_view`` (columns: name -> DuckDB type).

    The table can be larger than memory (it then spills to disk), so what is the same for
    every row or follows from the stored columns is not stored but derived when read
    (``Checked.valid_sql``): the properties object of the members, the default source,
    ``bot`` and ``bot_reason`` of a file without those columns."""
    check_columns(columns, mapping, name)
    _check_column_names(columns, mapping, name)
    ts_value, ts_naive = _ts_exprs(mapping.ts, columns[mapping.ts], name, tz)
    props, given = _properties(columns, mapping)
    keep = members(columns, mapping)
    carried = "".join(f", {column}" for column in keep.values())
    derived = _derived(columns, keep)
    conn.execute("SET VARIABLE hw_import_source = ?", [source])
    stored = "".join(
        f", {c}" for c in ("properties", "bot", "bot_reason", "source") if c not in derived
    )
    params: dict[str, Any] = {"source": source}
    if tz is not None:
        params["tz"] = tz
    inner = f"""SELECT
        {_optional_text(columns, mapping.id)} AS id,
        CAST({quote(mapping.contact)} AS VARCHAR) AS contact,
        CAST({quote(mapping.type)} AS VARCHAR) AS type,
        {ts_value} AS ts,
        CAST({quote(mapping.ts)} AS VARCHAR) AS _ts_raw,
        {props} AS _props,
        {given} AS _props_given,
        {_optional_text(columns, "properties")} AS _props_raw,
        {_optional_text(columns, "bot")} AS _bot_raw,
        {_optional_text(columns, "bot_reason")} AS bot_reason,
        coalesce({_optional_text(columns, "source")}, $source) AS source,
        row_number() OVER () AS _seq
        {"".join(f", {quote(key)} AS {column}" for key, column in keep.items())}
        FROM {source_view}"""
    problems = _problems(ts_naive)
    checked = f"""SELECT id, contact, type, ts, _props AS properties,
               coalesce(TRY_CAST(_bot_raw AS BOOLEAN), false) AS bot,
               bot_reason, source, _seq{carried},
               CASE {" ".join(f"WHEN {c} THEN {_literal(f + SEP)} || {r}" for c, f, r in problems)}
                   END AS _problem
        FROM ({inner})"""
    # Ids are filled and hashed here so the append path can use this table without a copy.
    # Derived properties are built here only for the rows without an id (the content id).
    content_id = CONTENT_ID.replace(
        "CAST(properties AS VARCHAR)", f"CAST({derived.get('properties', 'properties')} AS VARCHAR)"
    )
    conn.execute(
        f"""CREATE OR REPLACE TEMP TABLE {CHECKED} AS
        SELECT coalesce(id, {content_id}) AS id, hash(coalesce(id, {content_id})) AS id_hash,
               contact, type, ts{stored}, _seq, _problem{carried}
        FROM ({checked})""",
        params,
    )
    if "properties" in columns:
        _check_property_keys(conn)
    return Checked(keep, "".join(f", {sql} AS {c}" for c, sql in derived.items()))


def _derived(columns: dict[str, str], keep: dict[str, str]) -> dict[str, str]:
    """Canonical column -> its SQL over the stored columns, for those not stored."""
    derived = {}
    if keep:
        parts = ", ".join(
            f"{_literal(json.dumps(k) + ':')} || to_json({c})" for k, c in keep.items()
        )
        derived["properties"] = (
            f"CAST(NULLIF('{{' || concat_ws(',', {parts}) || '}}', '{{}}') AS JSON)"
        )
    if "bot" not in columns:
        derived["bot"] = "false"
    if "bot_reason" not in columns:
        derived["bot_reason"] = "CAST(NULL AS VARCHAR)"
    if "source" not in columns:
        derived["source"] = "CAST(getvariable('hw_import_source') AS VARCHAR)"
    return derived


def members(columns: dict[str, str], mapping: ColumnMapping) -> dict[str, str]:
    """The property key of each unmapped column -> the ``_hw_checked`` column carrying its
    raw value, when the properties are exactly those columns (no ``properties`` column to
    merge): the catalogue and the typed columns then read the values, not the JSON."""
    if "properties" in columns:
        return {}
    extras = [c for c in columns if c not in mapping.mapped()]
    return {key: f"_m{i}" for i, key in enumerate(extras)}


def check_columns(columns: dict[str, str], mapping: ColumnMapping, name: str) -> None:
    """Every missing or unusable column, in one message (columns: name -> DuckDB type)."""
    problems = [
        f"no column {column!r} for the activity {field}"
        for field, column in mapping.required().items()
        if column not in columns
    ]
    wrong = _ts_type_problem(columns.get(mapping.ts))
    if wrong is not None:
        problems.append(f"column {mapping.ts!r} {wrong}")
    if not problems:
        return
    fixes = ",".join(
        f"{field}=COLUMN" for field, column in mapping.required().items() if column not in columns
    )
    hint = f"; name them with --map {fixes}" if fixes else ""
    have = ", ".join(repr(c) for c in columns) or "none"
    raise InvalidInput(f"{name}: {'; '.join(problems)} (its columns: {have}){hint}")


def _ts_type_problem(kind: str | None) -> str | None:
    """Why a column of DuckDB type ``kind`` cannot hold timestamps (None: it can)."""
    if kind is None:
        return None
    base = kind.split("(")[0]
    usable = ("TIMESTAMP WITH TIME ZONE", "VARCHAR", *_NAIVE_TYPES, *_NUMERIC)
    if base in usable or base.startswith("U"):
        return None
    return f"has type {kind}, which is not a timestamp"


def _check_column_names(columns: dict[str, str], mapping: ColumnMapping, name: str) -> None:
    """Columns that become property keys follow the name rule (checked once per file)."""
    for column in columns:
        if column in mapping.mapped():
            continue
        why = name_problem(column)
        if why is not None:
            raise InvalidInput(f"{name}: column {column!r} cannot be a property key: it {why}")


def _check_property_keys(conn: duckdb.DuckDBPyConnection) -> None:
    """Give the rows whose ``properties`` hold a key that breaks the name rule a problem.

    The JSON texts are screened in batches of a million rows (``key_screen``: NumPy over the
    Arrow buffer, no regular expression per row); only the rows it flags are judged exactly.
    """
    found: list[tuple[int, str]] = []
    reader = conn.sql(
        f"SELECT _seq, CAST(properties AS VARCHAR) FROM {CHECKED} "
        "WHERE _problem IS NULL AND properties IS NOT NULL"
    ).to_arrow_reader(_SCREEN_ROWS)
    for batch in reader:
        texts = batch.column(1)
        for row in suspect_rows(texts):
            why = key_problem(json.loads(texts[int(row)].as_py()))
            if why is not None:
                found.append((batch.column(0)[int(row)].as_py(), why))
    if found:
        conn.executemany(
            f"UPDATE {CHECKED} SET _problem = ? WHERE _seq = ?",
            [(f"properties{SEP}{why}", seq) for seq, why in found],
        )


def _optional_text(columns: dict[str, str], column: str) -> str:
    return f"CAST({quote(column)} AS VARCHAR)" if column in columns else "CAST(NULL AS VARCHAR)"


def _ts_exprs(column: str, kind: str, name: str, tz: str | None) -> tuple[str, str]:
    """SQL for the UTC timestamp and for 'is a valid naive timestamp' of the ts column."""
    col = quote(column)
    base = kind.split("(")[0]
    if base == "TIMESTAMP WITH TIME ZONE":
        return f"CAST({col} AS TIMESTAMP)", "false"
    if base in _NAIVE_TYPES:
        if tz is None:
            raise InvalidInput(
                f"{name}: column {column!r} holds timestamps without a time zone; say which "
                "zone they are in with --tz (for example --tz Europe/Prague), or --assume-utc"
            )
        return f"CAST(timezone($tz, CAST({col} AS TIMESTAMP)) AS TIMESTAMP)", "false"
    if base in _NUMERIC or base.startswith("U"):
        return _epoch(f"CAST({col} AS DOUBLE)"), "false"
    if base != "VARCHAR":
        raise InvalidInput(f"{name}: column {column!r} has type {kind}, which is not a timestamp")
    return _text_ts(col, tz)


def _epoch(d: str) -> str:
    return (
        f"CASE WHEN abs({d}) >= {timestamps.EPOCH_LIMIT} THEN NULL "
        f"WHEN abs({d}) >= {timestamps.MS_THRESHOLD} "
        f"THEN make_timestamp(CAST({d} * 1000 AS BIGINT)) "
        f"ELSE make_timestamp(CAST({d} * 1000000 AS BIGINT)) END"
    )


def _naive(s: str) -> str:
    """SQL: text ``s`` is a valid timestamp without a zone."""
    return (
        f"(regexp_full_match({s}, {_literal(timestamps.NAIVE)}) "
        f"AND TRY_CAST({s} AS TIMESTAMP) IS NOT NULL)"
    )


def _text_ts(col: str, tz: str | None) -> tuple[str, str]:
    s = f"trim({col})"
    local = (
        f"WHEN {_naive(s)} THEN CAST(timezone($tz, TRY_CAST({s} AS TIMESTAMP)) AS TIMESTAMP) "
        if tz is not None
        else ""
    )
    value = (
        f"CASE WHEN regexp_full_match({s}, {_literal(timestamps.AWARE)}) "
        f"THEN CAST(TRY_CAST({s} AS TIMESTAMPTZ) AS TIMESTAMP) "
        f"WHEN regexp_full_match({s}, {_literal(timestamps.EPOCH)}) "
        f"THEN {_epoch(f'TRY_CAST({s} AS DOUBLE)')} {local}END"
    )
    # Judged on the raw text only for rows without a timestamp (rare), not projected per row.
    return value, _naive("trim(_ts_raw)") if tz is None else "false"


def _properties(columns: dict[str, str], mapping: ColumnMapping) -> tuple[str, str]:
    """SQL for the properties (unmapped columns, nulls left out, under the ``properties``
    column) and for the ``properties`` column alone."""
    extras = [c for c in columns if c not in mapping.mapped()]
    given = None
    if "properties" in columns:
        kind = columns["properties"]
        given = (
            f"TRY_CAST({quote('properties')} AS JSON)"
            if kind in ("VARCHAR", "JSON")
            else f"to_json({quote('properties')})"
        )
    if not extras:
        return given or "CAST(NULL AS JSON)", given or "CAST(NULL AS JSON)"
    # Members of null cells are left out (concat_ws skips NULLs); an all-null row has none.
    members = ", ".join(f"{_literal(json.dumps(c) + ':')} || to_json({quote(c)})" for c in extras)
    merged = f"CAST(NULLIF('{{' || concat_ws(',', {members}) || '}}', '{{}}') AS JSON)"
    if given is None:
        return merged, "CAST(NULL AS JSON)"
    return f"coalesce(json_merge_patch({merged}, {given}), {given}, {merged})", given


def _problems(ts_naive: str) -> list[tuple[str, str, str]]:
    """(condition, field, reason SQL) in the order ``records.check_record`` checks them."""
    control = f"regexp_extract(type, {_literal(SQL_CONTROL_PATTERN)})"
    return [
        ("contact IS NULL", "contact", "'is required'"),
        ("trim(contact) = ''", "contact", "'must not be empty'"),
        ("type IS NULL", "type", "'is required'"),
        ("type = ''", "type", "'must not be empty'"),
        (
            f"length(type) > {MAX_NAME_LENGTH}",
            "type",
            f"'is longer than {MAX_NAME_LENGTH} characters (' || length(type) || ')'",
        ),
        (
            f"regexp_matches(type, {_literal(SQL_CONTROL_PATTERN)})",
            "type",
            "printf('contains a control character (U+%04X) at position %d', "
            f"unicode({control}), instr(type, {control}))",
        ),
        ("_ts_raw IS NULL", "ts", "'is required'"),
        (
            f"ts IS NULL AND {ts_naive}",
            "ts",
            "'''' || _ts_raw || ''' has no time zone (add an offset or pass --tz)'",
        ),
        ("ts IS NULL", "ts", "'''' || _ts_raw || ''' is not a date'"),
        ("id = ''", "id", "'must not be empty'"),
        (
            "_props_raw IS NOT NULL AND coalesce(json_type(_props_given) <> 'OBJECT', true)",
            "properties",
            "'must be a JSON object'",
        ),
        (
            "_bot_raw IS NOT NULL AND TRY_CAST(_bot_raw AS BOOLEAN) IS NULL",
            "bot",
            "'must be true or false'",
        ),
    ]
