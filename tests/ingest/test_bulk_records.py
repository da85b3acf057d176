"""The whole-batch fast path of record validation gives exactly what checking each record
on its own gives: same rows in the same order, same rejections with the same reasons."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from headway.errors import Detail
from headway.ingest.records import SCHEMA, Rejected, check_record, validate_records


def one_by_one(batch: list[Any], source: str = "api") -> tuple[list[dict[str, Any]], list[Detail]]:
    """The reference: ``check_record`` on each record."""
    rows, details = [], []
    for index, record in enumerate(batch):
        try:
            rows.append(dict(zip(SCHEMA.names, check_record(record, source=source), strict=True)))
        except Rejected as err:
            details.append(Detail(err.reason, field=err.field, record=index))
    return rows, details


TIMES = [
    "2025-06-01T12:00:00Z", "2025-06-01 12:00:00.123456+02:00", "2025-06-01T12:00-0530",
    "2025-06-01T12:00:00.5+0030", "2025-06-01T12:00:00+02", "2025-02-30T00:00:00Z",
    "2025-06-01T24:00:00Z", "2025-06-01T23:59:60Z", "2025-06-01T12:00:00", "2025-06-01",
    "2025-06-01T12:00:00.1234567Z", " 2025-06-01T12:00:00Z", "0001-01-01T00:00:00+01:00",
    "1717243200", "1717243200123", 1717243200, 1717243200.5, True, None, "", "soon", [],
]  # fmt: skip
TEXTS = ["a@x.com", "crm-17", "", "  ", None, 17, True, 1.5, {"a": 1}, "x\n"]
TYPES = [
    "page_visit", "$pageview", "Order Completed", "[Amplitude] Page Viewed", "Página vista",
    " ", "", None, "x" * 200, "x" * 201, 3, "a:b.c-d", "tab\there", "c1\x85", "del\x7f",
]  # fmt: skip

records = st.fixed_dictionaries(
    {"contact": st.sampled_from(TEXTS), "type": st.sampled_from(TYPES),
     "ts": st.sampled_from(TIMES)},
    optional={
        "id": st.sampled_from(["e1", "e2", "", 7, None, False, ["x"]]),
        "properties": st.sampled_from([
            {"url": "/a"}, {}, None, "text", [1], {"n": {"d": 1}}, {"$current_url": "/é"},
            {"page.url": "x", "a b": 1}, {"": 1}, {"n": {"bad\nkey": 1}}, {"l": [{"\x85": 1}]},
            {"k" * 201: 1}, {"é" * 200: 1}, {"ok": "value\nwith\x85controls"}, {'q"uote': 1},
        ]),
        "bot": st.sampled_from([True, False, None, "yes", 0]),
        "bot_reason": st.sampled_from(["ua", "", None, 5]),
        "source": st.sampled_from(["sendgrid", "", None, 9]),
        "url": st.sampled_from(["/top", None, 3]),
    },
)  # fmt: skip
batches = st.lists(st.one_of(records, st.sampled_from([None, 5, "x", [1]])), max_size=30)


@settings(max_examples=300, deadline=None)
@given(batches)
def test_fast_path_equals_checking_each_record(batch: list[Any]) -> None:
    table, details = validate_records(batch, source="api")
    rows, expected = one_by_one(batch)
    assert table.to_pylist() == rows
    assert details == expected
    assert table.schema == SCHEMA


def test_plain_batch_keeps_order_with_rejections_between() -> None:
    good = {"contact": "a", "type": "t", "ts": "2025-06-01T12:00:00Z"}
    batch = [
        {**good, "id": "1"},
        {**good, "id": "2", "ts": 1717243200},  # valid, but not plain: checked on its own
        {**good, "id": "3", "type": "bad\ttype"},
        {**good, "id": "4"},
    ]
    table, details = validate_records(batch, source="api")
    assert table.column("id").to_pylist() == ["1", "2", "4"]
    assert [(d.record, d.field) for d in details] == [(2, "type")]


def test_empty_batch() -> None:
    table, details = validate_records([], source="api")
    assert (table.num_rows, details) == (0, [])
    assert isinstance(table, pa.Table)
