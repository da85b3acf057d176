"""Differential test of the whole engine (conditions -> SQL -> DuckDB -> kernel -> outcomes)
against the pure-Python pipeline of ``pipeline_reference`` on generated logs and journeys."""

from __future__ import annotations

import json
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from headway.api import Headway
from headway.model.journey import parse_journey
from headway.store import Store
from tests.engine.pipeline_reference import Act, funnel

T0 = datetime(2025, 1, 1)
CONDITIONS: list[dict[str, Any]] = [
    {"type": "page_visit"},
    {"type": "page_visit", "where": {"url": "/pricing"}},
    {"type": "page_visit", "where": {"url": {"contains": "doc"}}},
    {"type": "email_click"},
    {"type": ["email_click", "page_visit"]},
    {"type": "purchase", "where": {"value": {"gte": 10}}},
    {"type": "purchase", "where": {"value": {"neq": 5}}},
    {"type": "form_submission", "where": {"form": {"in": ["trial", "contact-sales"]}}},
    {"any": [{"type": "page_visit", "where": {"url": "/pricing"}}, {"type": "email_click"}]},
    {"type": "form_submission", "where": {"form": {"exists": True}}},
    {"where": {"value": {"lt": 30}}},
    {"type": "page_visit", "not": {"where": {"url": {"starts_with": "/p"}}}},
]
TYPES = ["page_visit", "email_click", "purchase", "form_submission", "email_unsubscribe"]
PROPS: dict[str, list[Any]] = {
    "url": ["/pricing", "/docs/a", "/", None],
    "value": [5, 20, "20", 12.5],
    "form": ["trial", "contact-sales", "newsletter"],
    "country": ["DE", "FR"],
}


@st.composite
def activities(draw: st.DrawFn) -> list[Act]:
    n = draw(st.integers(1, 40))
    acts = []
    for i in range(n):
        props = {k: draw(st.sampled_from(v)) for k, v in PROPS.items() if draw(st.booleans())}
        acts.append(
            Act(
                id=f"x{i}",
                contact=draw(st.sampled_from("abcdef")),
                type=draw(st.sampled_from(TYPES)),
                ts=T0 + timedelta(minutes=10 * draw(st.integers(0, 12))),
                properties=props,
                bot=draw(st.booleans()),
            )
        )
    return acts


@st.composite
def journeys(draw: st.DrawFn) -> dict[str, Any]:
    n = draw(st.integers(1, 4))
    stages = []
    for i in range(n):
        stage: dict[str, Any] = {"name": f"S{i}", "when": draw(st.sampled_from(CONDITIONS))}
        stage["first_time"] = draw(st.sampled_from([False, False, "event", "matching"]))
        stages.append(stage)
    data: dict[str, Any] = {
        "name": "gen",
        "order": draw(st.sampled_from(["ordered", "strict", "unordered"])),
        "window": draw(st.sampled_from(["30m", "1h", "2h"])),
        "stages": stages,
    }
    if n >= 2 and draw(st.booleans()):
        lo = draw(st.integers(0, n - 2))
        hi = draw(st.integers(lo + 1, n - 1))
        data["exclusions"] = [
            {"when": {"type": "email_unsubscribe"}, "between": [f"S{lo}", f"S{hi}"]}
        ]
    if draw(st.booleans()):
        data["exit_when"] = {"type": "purchase", "where": {"value": 5}}
    if draw(st.booleans()):
        data["filter"] = {"where": {"country": {"neq": "FR"}}}
    if draw(st.booleans()):
        start = T0 + timedelta(minutes=10 * draw(st.integers(0, 6)))
        data["date_range"] = {"from": start.isoformat() + "Z"}
    if draw(st.booleans()):
        data["stall_after"] = draw(st.sampled_from(["10m", "1h"]))
    return data


def _store_with(path: Path, acts: list[Act]) -> Store:
    store = Store(path)
    store.append_activities(
        pa.table(
            {
                "id": [a.id for a in acts],
                "contact": [a.contact for a in acts],
                "type": [a.type for a in acts],
                "ts": pa.array([a.ts for a in acts], pa.timestamp("us")),
                "properties": [json.dumps(a.properties) for a in acts],
                "bot": [a.bot for a in acts],
                "bot_reason": pa.array([None] * len(acts), pa.string()),
                "source": [a.source for a in acts],
            }
        )
    )
    return store


def check(acts: list[Act], data: dict[str, Any], as_of_minutes: int) -> None:
    journey = parse_journey(data)
    as_of = T0 + timedelta(minutes=as_of_minutes)
    expected = funnel(journey, acts, as_of)
    with tempfile.TemporaryDirectory() as tmp, _store_with(Path(tmp) / "h.duckdb", acts) as store:
        report = Headway(store).funnel(journey, as_of=as_of)
    got = [(s.reached, s.dropped, s.in_progress, s.stalled) for s in report.stages]
    assert got == [(s.reached, s.dropped, s.in_progress, s.stalled) for s in expected]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(activities(), journeys(), st.integers(0, 40).map(lambda m: m * 10))
def test_engine_equals_python_pipeline(acts: list[Act], data: dict[str, Any], as_of: int) -> None:
    check(acts, data, as_of)


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(activities(), journeys(), st.integers(0, 40).map(lambda m: m * 10))
def test_engine_equals_python_pipeline_many(
    acts: list[Act], data: dict[str, Any], as_of: int
) -> None:
    check(acts, data, as_of)
