"""The journey page's analysis parts in-process on a small world: trend by day / week / month,
the breakdown chart, and the compare and time-to-convert panels (figures = the API's numbers)."""

from __future__ import annotations

import json
import re
from html import unescape
from typing import Any
from urllib.parse import quote

import pytest
from fastapi import FastAPI

from headway.model.journey import parse_journey
from headway.settings import Settings
from headway.store import Store
from headway.store.journeys import save_journey
from headway.web.app import create_app
from tests.engine.activity_log import load
from tests.web.conftest import Client

HTML = {"accept": "text/html"}
NAME = "Trial <b>&"
JOURNEY = {
    "name": NAME,
    "window": "5d",
    "stages": [
        {"name": "Visit", "when": {"type": "page_visit"}},
        {"name": "Signup", "when": {"type": "form_submission"}},
    ],
}
AS_OF = "2025-03-01"
PAGE = f"/journeys/{quote(NAME, safe='')}"


@pytest.fixture
def app(store: Store) -> FastAPI:
    """January: 10 visit (utm_source ads), 3 sign up 2 h later; February: 8 visit (seo), 6
    sign up 2 days later."""
    rows: list[tuple[Any, ...]] = []
    for i in range(10):
        rows.append((f"j{i}", "page_visit", f"{3 + i}d", {"utm_source": "ads"}))
        if i < 3:
            rows.append((f"j{i}", "form_submission", f"{(3 + i) * 24 + 2}h"))
    for i in range(8):
        rows.append((f"f{i}", "page_visit", f"{33 + i}d", {"utm_source": "seo"}))
        if i < 6:
            rows.append((f"f{i}", "form_submission", f"{35 + i}d"))
    load(store, rows)
    save_journey(store, parse_journey(JOURNEY), json.dumps(JOURNEY))
    return create_app(store, Settings())


def get(client: Client, path: str) -> str:
    response = client.get(path, headers=HTML)
    assert response.status_code == 200, response.text
    return response.text


def figure(text: str, figure_id: str) -> dict[str, Any]:
    found = re.search(
        rf'<script type="application/json" id="{figure_id}">(.*?)</script>', text, re.S
    )
    assert found, figure_id
    return dict(json.loads(unescape(found.group(1))))


def api(client: Client, path: str, **params: str) -> Any:
    response = client.get(f"/api/v1{PAGE}{path}", params={"as_of": AS_OF, **params})
    assert response.status_code == 200, response.text
    return response.json()


def test_trend_by_day_week_month(app: FastAPI) -> None:
    client = Client(app)
    for by in ("day", "week", "month"):
        query = f"?as_of={AS_OF}" + (f"&trend={by}" if by != "week" else "")
        text = get(client, PAGE + query)
        assert f"Conversion by entry {by}" in text
        assert re.search(rf'data-trend="{by}" aria-current="true"', text)
        drawn = figure(text, "trend-figure")["data"]
        periods = api(client, "/trends", by=by)["periods"]
        assert drawn[0]["x"] == [p["period"] for p in periods]
        assert drawn[0]["y"] == [p["entered"] for p in periods]
        assert drawn[1]["y"] == [p["conversion"] for p in periods]
    month = get(client, PAGE + f"?as_of={AS_OF}&trend=month")
    assert '<th scope="col">Month</th>' in month
    # the other choices keep the view and set trend in the URL
    assert f'href="?as_of={AS_OF}&amp;trend=day#trend-title"' in month
    bad = client.get(PAGE + f"?as_of={AS_OF}&trend=year", headers=HTML)
    assert bad.status_code == 422 and "year" in bad.text


def test_breakdown_chart_draws_the_api_numbers(app: FastAPI) -> None:
    client = Client(app)
    text = get(client, PAGE + f"?as_of={AS_OF}&by=utm_source")
    drawn = figure(text, "breakdown-figure")["data"]
    values = api(client, "/breakdown", by="utm_source")["values"]
    assert drawn[0]["name"] == "Entered" and drawn[1]["name"] == "Converted"
    assert drawn[0]["y"] == [v["value"] for v in values] == ["ads", "seo"]
    assert drawn[0]["x"] == [v["entered"] for v in values] == [10, 8]
    assert drawn[1]["x"] == [v["converted"] for v in values] == [3, 6]


def test_compare_panel_table_chart_and_bad_range(app: FastAPI) -> None:
    client = Client(app)
    page = get(client, PAGE + f"?as_of={AS_OF}")
    assert "/panels/compare" in page and "/panels/time_to_convert" in page  # lazy panels
    ranges = {"compare_a": "2025-01-01..2025-01-31", "compare_b": "2025-02-01..2025-02-28"}
    query = "&".join(f"{k}={v}" for k, v in ranges.items())
    text = get(client, f"{PAGE}/panels/compare?as_of={AS_OF}&{query}")
    body = api(client, "/compare", range_a=ranges["compare_a"], range_b=ranges["compare_b"])
    drawn = figure(text, "compare-figure")["data"]
    assert drawn[0]["y"] == [s["reached_a"] for s in body["stages"]] == [10, 3]
    assert drawn[1]["y"] == [s["reached_b"] for s in body["stages"]] == [8, 6]
    flat = " ".join(unescape(text).split())
    # Signup: 30.0% -> 75.0%, +45.0 pts, B/A 2.50×, Fisher's p of [[6, 2], [3, 7]]
    assert "30.0%" in flat and "75.0%" in flat and "+45.0 pts" in flat and "2.50×" in flat
    assert f"{body['stages'][1]['from_previous']['p']:.2g}" in flat
    assert 'value="2025-01-01..2025-01-31"' in text  # the form keeps the ranges
    bad = get(client, f"{PAGE}/panels/compare?as_of={AS_OF}&compare_a=January")
    assert "range_a: &#39;January&#39; is not a range" in bad
    default = get(client, f"{PAGE}/panels/compare?as_of={AS_OF}")
    assert 'value="2025-01-05..2025-02-01"' in default  # 28 days before the last 28
    assert 'value="2025-02-02..2025-03-01"' in default


def test_time_to_convert_panel_draws_the_api_bins(app: FastAPI) -> None:
    client = Client(app)
    text = get(client, f"{PAGE}/panels/time_to_convert?as_of={AS_OF}")
    (step,) = api(client, "/time-to-convert")["steps"]
    drawn = figure(text, "ttc-1-figure")["data"][0]
    assert drawn["x"] == [b["label"] for b in step["bins"]] == ["1–6 h", "6–24 h", "1–3 days"]
    assert drawn["y"] == [b["contacts"] for b in step["bins"]] == [3, 0, 6]
    assert "9 moved on; half of them within 2 d" in " ".join(unescape(text).split())
