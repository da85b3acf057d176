"""The name rule (model/names.py): what is accepted, what is refused and how it is said, and
that every fast path (the bulk record screen, the SQL checks of file imports, the JSON Schema
pattern) agrees with it."""

from __future__ import annotations

import re

import duckdb
import orjson
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from headway.ingest.bulk_records import _keys_ok
from headway.ingest.key_screen import suspect, suspect_rows
from headway.model.names import (
    NAME_PATTERN,
    SQL_CONTROL_PATTERN,
    VALID_NAME,
    is_name,
    key_problem,
    name_problem,
)

VERBATIM = [
    "$pageview", "$autocapture", "Order Completed", "user signed up", "[Amplitude] Page Viewed",
    "$current_url", "utm_source", "Página vista", "page.url", "a b", "[x]", "😀", " ", "x" * 200,
    "<script>", "'; DROP TABLE x; --", '"', "\\", "\u2028", "\u200b", "é" * 200,
]  # fmt: skip
ANY_CHAR = st.characters(blacklist_categories=("Cs",))
NAMES = st.text(ANY_CHAR, max_size=210)


@pytest.mark.parametrize("name", VERBATIM)
def test_real_names_are_taken_verbatim(name: str) -> None:
    assert name_problem(name) is None and is_name(name)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("", "must not be empty"),
        ("x" * 201, "is longer than 200 characters (201)"),
        ("page\nview", "contains a control character (U+000A) at position 5"),
        ("\x00", "contains a control character (U+0000) at position 1"),
        ("del\x7f", "contains a control character (U+007F) at position 4"),
        ("c1\x85", "contains a control character (U+0085) at position 3"),
        ("c1\x9f", "contains a control character (U+009F) at position 3"),
        ("lone\ud800", "contains a lone surrogate (U+D800) at position 5"),
    ],
)
def test_refused_names_say_why(name: str, reason: str) -> None:
    assert name_problem(name) == reason


def test_key_problems_name_the_key_by_its_path() -> None:
    assert key_problem({"a": {"b.c": {"": 1}}}) == 'has a key \'a."b.c".""\' that must not be empty'
    assert key_problem({"l": [{"x\ty": 1}]}) == (
        "has a key 'l.x\\ty' that contains a control character (U+0009) at position 2"
    )
    assert key_problem({"ok": "value\nwith a newline", "n": [1, "\x00"]}) is None


@given(NAMES)
@settings(max_examples=500)
def test_the_one_call_check_agrees_with_the_rule(name: str) -> None:
    ok = name_problem(name) is None
    assert (VALID_NAME.fullmatch(name) is not None) == ok
    # JSON Schema's pattern (Python's re.search, as jsonschema runs it): a trailing newline
    # slips past '$', which is why the journey model checks every name again.
    if not name.endswith("\n"):
        assert (re.search(NAME_PATTERN, name) is not None) == ok


properties = st.recursive(
    st.one_of(st.none(), st.integers(-(2**53), 2**53), st.text(ANY_CHAR, max_size=5)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(
            st.one_of(st.sampled_from(["", "x" * 201, "é" * 200, 'q"', "a\\b"]), NAMES),
            inner,
            max_size=3,
        ),
    ),
    max_leaves=8,
)


@given(st.lists(st.dictionaries(NAMES, properties, max_size=4), min_size=1, max_size=4))
@settings(max_examples=500, deadline=None)
def test_the_batch_screen_never_misses_a_bad_key(batch: list[dict[str, object]]) -> None:
    """The key screen (bulk records, file imports) flags every object with a bad key, alone
    and among others in one Arrow array; it may flag good ones too (those are judged exactly).
    """
    texts = [orjson.dumps(props) for props in batch]
    bad = [key_problem(props) is not None for props in batch]
    assert [not _keys_ok(props) for props in batch] == bad
    flagged = set(suspect_rows(pa.array([None, *(t.decode() for t in texts)])).tolist())
    for i, text in enumerate(texts):
        if bad[i]:
            assert suspect(text) and i + 1 in flagged
    assert suspect(b"\n".join(texts)) or not any(bad)


@pytest.mark.parametrize("name", ["tab\there", "c1\x85", "del\x7f", "ok", "Página", "😀"])
def test_the_sql_control_pattern_is_category_cc(name: str) -> None:
    found = duckdb.execute("SELECT regexp_matches(?, ?)", [name, SQL_CONTROL_PATTERN]).fetchone()
    assert found == (name_problem(name) is not None,)
