"""Compare two date ranges and the time-to-convert histogram over the API: each answer fits
its response model, equals the CLI's JSON, and agrees with the funnel of the same view."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from headway.store import Store
from headway.web.api.analysis import CompareOut, TimeToConvertOut
from tests.web.api.conftest import api, cli, error_of
from tests.web.conftest import Client

RANGE_A = "2024-12-01..2024-12-31"  # c entered (T0 - 10 d)
RANGE_B = "2025-01-01..2025-01-05"  # a and b entered


def test_compare_is_the_funnel_of_each_range(client: Client, world: Store, db_path: Path) -> None:
    body = api(client, "/journeys/Trial/compare", range_a=RANGE_A, range_b=RANGE_B)
    CompareOut.model_validate(body)
    for side, window in (("a", RANGE_A), ("b", RANGE_B)):
        funnel = api(client, "/journeys/Trial/funnel", date_range=window)
        assert [s[f"reached_{side}"] for s in body["stages"]] == [
            s["reached"] for s in funnel["stages"]
        ]
        for s, f in zip(body["stages"][1:], funnel["stages"][1:], strict=True):
            assert s["from_previous"][f"conversion_{side}"] == f["conversion_from_previous"]
    assert [s["reached_a"] for s in body["stages"]] == [1, 0, 0]
    assert [s["reached_b"] for s in body["stages"]] == [2, 2, 1]
    click = body["stages"][1]["from_previous"]
    assert (click["conversion_a"], click["conversion_b"], click["change"]) == (0.0, 1.0, 1.0)
    assert click["ratio"] is None  # a share of 0: no ratio worth showing
    assert click["p"] == pytest.approx(1 / 3)  # Fisher's exact test of [[2, 0], [0, 1]]
    assert body["range_a"] == {
        "start": "2024-12-01T00:00:00Z",
        "end": "2024-12-31T23:59:59.999999Z",
    }
    assert body == cli(world, db_path, "compare", "Trial", "--a", RANGE_A, "--b", RANGE_B)


def test_compare_names_the_bad_range(client: Client) -> None:
    path = "/api/v1/journeys/Trial/compare"
    error = error_of(client.get(path, params={"range_a": "April", "range_b": RANGE_B}), 422)
    assert error["message"].startswith("range_a: 'April' is not a range")
    assert error["details"][0]["field"] == "range_a"
    missing = error_of(client.get(path, params={"range_a": RANGE_A}), 422)
    assert "range_b" in json.dumps(missing)


def test_time_to_convert_bins_are_the_funnel_histogram(
    client: Client, world: Store, db_path: Path
) -> None:
    body = api(client, "/journeys/Trial/time-to-convert")
    TimeToConvertOut.model_validate(body)
    funnel = api(client, "/journeys/Trial/funnel")
    for step, stage in zip(body["steps"], funnel["stages"][1:], strict=True):
        drawn = {b["label"]: b["contacts"] for b in step["bins"]}
        assert sum(drawn.values()) == step["converted"] == stage["reached"]
        counts = [c for c in stage["time_from_previous"]["histogram"].values() if c]
        assert [c for c in drawn.values() if c] == counts
    visit_click = body["steps"][0]
    # a clicked 1 h after visiting (1 h is the lower edge of 1–6 h), b one day after
    assert [(b["label"], b["contacts"]) for b in visit_click["bins"]] == [
        ("1–6 h", 1),
        ("6–24 h", 0),
        ("1–3 days", 1),
    ]
    assert body == cli(world, db_path, "time-to-convert", "Trial")
