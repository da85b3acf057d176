"""The REST API's response models name exactly the keys of the engine's reports (one naming of
JSON keys): each report's ``to_dict()`` is walked against its route's model, field by field,
nested models included, and validates against it."""

from __future__ import annotations

import types
import typing
from typing import Any

import pytest
from pydantic import BaseModel

from headway.api import Headway, StatsQuery
from headway.store import Store
from headway.web.api import analysis, attribution, drivers, emails, reports
from tests.engine.activity_log import load

JOURNEY: dict[str, Any] = {
    "name": "Visit to buy",
    "window": "30d",
    "stall_after": "1d",
    "stages": [
        {"name": "Visit", "when": {"type": "page_visit"}},
        {"name": "Trial", "when": {"type": "trial_started"}},
        {"name": "Buy", "when": {"type": "purchase"}},
    ],
}
AS_OF = "2025-03-01"
# Keys a route adds to the report's own: the journey's warnings (with_warnings), the next
# page's link (page_link).
ROUTE_KEYS = {"warnings", "next"}


def world(store: Store) -> None:
    rows: list[tuple[Any, ...]] = []
    for i in range(12):
        c, w = f"c{i}", {"email": "welcome", "campaign": "onboarding"}
        rows += [(c, "page_visit", f"{i}h", {"utm_source": "ads" if i % 2 else "news"})]
        rows += [(c, "email_sent", f"{i + 1}h", w), (c, "email_delivered", f"{i + 1}h", w)]
        if i % 3:
            rows += [(c, "email_open", f"{i + 2}h", w)]
            rows += [
                (c, "email_click", f"{i + 2}h", {**w, "link": "pricing", "url": "https://x.test/p"})
            ]
        if i % 2:
            rows += [(c, "trial_started", f"{i + 3}h")]
        if i % 4 == 1:
            rows += [(c, "purchase", f"{i + 30}h")]
        if i == 5:
            rows += [(c, "email_unsubscribe", f"{i + 4}h", w)]
    load(store, rows)


@pytest.fixture
def hw(store: Store) -> Headway:
    world(store)
    return Headway(store)


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The BaseModel classes an annotation holds (``list[X]``, ``X | None`` ...)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    if typing.get_origin(annotation) in (list, tuple, typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            found += _models_in(arg)
    return found


def walk(value: dict[str, Any], model: type[BaseModel], path: str = "$") -> list[str]:
    """Where ``value``'s keys and ``model``'s fields differ (nested models too)."""
    fields = model.model_fields
    problems = []
    missing = set(fields) - set(value) - ROUTE_KEYS
    extra = set(value) - set(fields)
    if missing:
        problems.append(f"{path}: {model.__name__} fields the report lacks: {sorted(missing)}")
    if extra:
        problems.append(f"{path}: report keys {model.__name__} lacks: {sorted(extra)}")
    for name, info in fields.items():
        nested = _models_in(info.annotation)
        item = value.get(name)
        if not nested or item is None:
            continue
        items = item if isinstance(item, list) else [item]
        for element in items[:3]:
            if isinstance(element, dict):
                problems += walk(element, nested[0], f"{path}.{name}")
    return problems


def reports_and_models(hw: Headway) -> list[tuple[str, dict[str, Any], type[BaseModel]]]:
    j = hw.journey(JOURNEY)
    as_of = AS_OF
    return [
        ("funnel", hw.funnel(j, as_of=as_of).to_dict(), reports.FunnelOut),
        ("trends", hw.trends(j, "day", as_of=as_of).to_dict(), reports.TrendsOut),
        (
            "breakdown",
            hw.breakdown(j, "utm_source", as_of=as_of).to_dict(),
            reports.BreakdownOut,
        ),
        ("contacts", hw.contacts(j, 1, "reached", as_of=as_of).to_dict(), reports.ContactsOut),
        ("drivers", hw.drivers(j, min_support=1, as_of=as_of).to_dict(), drivers.DriversOut),
        ("stalls", hw.stalls(j, min_support=1, as_of=as_of).to_dict(), drivers.StallsOut),
        ("attribution", hw.attribution(j, as_of=as_of).to_dict(), attribution.AttributionOut),
        (
            "influence",
            hw.email_influence("welcome", j, as_of=as_of).to_dict(),
            attribution.InfluenceOut,
        ),
        ("ranking", hw.email_ranking(journey=j, as_of=as_of).to_dict(), attribution.RankingOut),
        ("email stats", hw.email_stats(StatsQuery()).to_dict(), emails.EmailStatsOut),
        (
            "compare",
            hw.compare(
                j, "2025-01-01..2025-01-01", "2025-01-02..2025-01-31", as_of=as_of
            ).to_dict(),
            analysis.CompareOut,
        ),
        (
            "time to convert",
            hw.time_to_convert(j, as_of=as_of).to_dict(),
            analysis.TimeToConvertOut,
        ),
    ]


def test_every_report_names_its_keys_as_its_api_model(hw: Headway) -> None:
    problems = []
    for name, value, model in reports_and_models(hw):
        problems += [f"{name}: {p}" for p in walk(value, model)]
    assert not problems, "\n".join(problems)
    for _, value, model in reports_and_models(hw):  # and the values have the model's types
        added = {k: None for k in ROUTE_KEYS & set(model.model_fields) if k != "warnings"}
        model.model_validate({**added, **value})


def test_the_walk_sees_a_renamed_key(hw: Headway) -> None:
    value = hw.funnel(hw.journey(JOURNEY), as_of=AS_OF).to_dict()
    value["stages"][0]["reached_count"] = value["stages"][0].pop("reached")
    assert walk(value, reports.FunnelOut) == [
        "$.stages: StageOut fields the report lacks: ['reached']",
        "$.stages: report keys StageOut lacks: ['reached_count']",
    ]
