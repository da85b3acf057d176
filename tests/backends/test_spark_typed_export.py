"""Typed property columns through ``headway export`` to Spark: the export writes the store's
typed columns and lists them in its manifest, and Spark's conditions read them instead of
parsing the JSON — with the same answers as the JSON tests."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow.parquet as pq
import pytest

import headway
from headway.backends.spark.backend import SparkBackend
from headway.backends.spark.source import MANIFEST, Source
from headway.conditions.typed import NO_TYPED
from headway.demo import DemoConfig, build_demo
from headway.engine.kernel.inputs import match_query
from headway.engine.kernel.match_kernel import MatchKernel, combine
from headway.engine.kernel.run import match_spec
from headway.engine.options import ReportOptions
from headway.model.journey import Journey, parse_journey
from headway.store import Store

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

OPTIONS = ReportOptions(as_of=datetime(2025, 6, 30, 23, 59, 59))
# Every property test on a typed path (``url`` is one in the demo world).
TYPED_ONLY = parse_journey(
    {
        "name": "typed only",
        "window": "30d",
        "stages": [
            {"name": "Docs", "when": {"type": "page_visit", "where": {"url": {"contains": "doc"}}}},
            {
                "name": "Pricing",
                "when": {"type": "page_visit", "where": {"url": {"in": ["/pricing", "/x"]}}},
            },
            {"name": "Purchase", "when": {"type": "purchase"}},
        ],
    }
)
# Typed and untyped paths mixed (``form`` is too rare for a column), and tests a typed column
# cannot answer (``exists``, a number at a string path): those still read the JSON.
MIXED = parse_journey(
    {
        "name": "mixed",
        "window": "45d",
        "stages": [
            {"name": "Trial", "when": {"type": "form_submission", "where": {"form": "trial"}}},
            {
                "name": "Docs",
                "when": {
                    "type": "page_visit",
                    "where": {"url": {"starts_with": "/docs/"}, "referrer": {"exists": False}},
                },
            },
            {"name": "Odd", "when": {"type": "page_visit", "where": {"url": {"neq": 5}}}},
        ],
    }
)


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo store (with typed columns) exported in 2 buckets."""
    root = tmp_path_factory.mktemp("typed-export")
    with Store(root / "world.duckdb") as store:
        build_demo(store, DemoConfig(contacts=300, seed=9))
    with headway.open(root / "world.duckdb", read_only=True) as hw:
        hw.export(root / "lake", "parquet", buckets=2)
    return root / "lake"


def test_the_export_writes_and_lists_the_stores_typed_columns(lake: Path) -> None:
    with Store(lake.parent / "world.duckdb", read_only=True) as store:
        typed = store.typed_columns()
        want = store.execute(
            "SELECT id, hw_p_url_s FROM activity_log WHERE hw_p_url_s IS NOT NULL"
        ).rows
    assert (("url",), "string") in typed.columns
    manifest = json.loads((lake / MANIFEST).read_text())
    listed = {(tuple(t["keys"]), t["kind"]): t["column"] for t in manifest["typed"]}
    assert listed == dict(typed.columns)
    files = sorted((lake / "activities").glob("bucket=*/*.parquet"))
    got = {
        (i, u)
        for f in files
        for i, u in zip(*pq.read_table(f, columns=["id", "hw_p_url_s"]).columns, strict=True)
        if u.as_py() is not None
    }
    assert {(i.as_py(), u.as_py()) for i, u in got} == set(want)
    layout = Source.of(lake).layout
    assert layout is not None and layout.typed == typed


def _reached(backend: SparkBackend, journey: Journey) -> tuple[np.ndarray, np.ndarray]:
    kernel = MatchKernel(match_spec(journey))
    query = match_query(journey, backend.type_codes(), OPTIONS, sql=backend.sql)
    result, _ = combine(kernel, backend.map_contacts(query, "contact_key", kernel, kernel.schema))
    return result.contact, result.reached


@pytest.mark.parametrize("journey", [TYPED_ONLY, MIXED], ids=["typed-only", "mixed"])
def test_spark_reads_typed_columns_with_the_json_answers(
    spark: SparkSession, lake: Path, journey: Journey
) -> None:
    source = Source.of(lake)
    assert source.layout is not None
    typed = SparkBackend(spark, source)
    plain = SparkBackend(spark, replace(source, layout=replace(source.layout, typed=NO_TYPED)))
    assert typed.sql.typed and not plain.sql.typed
    query = match_query(journey, typed.type_codes(), OPTIONS, sql=typed.sql)
    assert "hw_p_url_s" in typed.render(query)
    plan = typed._frame(query)._jdf.queryExecution().executedPlan().toString()
    # Nothing left to parse when every test is typed; the untyped tests still parse (once).
    assert plan.count("parseJson") == (0 if journey is TYPED_ONLY else 1), plan
    contacts, reached = _reached(typed, journey)
    want_contacts, want_reached = _reached(plain, journey)
    assert len(contacts) > 20 and reached.max() >= 2
    assert np.array_equal(contacts, want_contacts) and np.array_equal(reached, want_reached)
    with headway.open(lake.parent / "world.duckdb", read_only=True) as hw:
        duck = hw.match(hw.journey(journey), as_of=OPTIONS.as_of)
    assert np.array_equal(duck.result.contact, contacts)
    assert np.array_equal(duck.result.reached, reached)


def test_a_manifest_without_a_valid_typed_list_uses_none(lake: Path, tmp_path: Path) -> None:
    copy = tmp_path / "lake"
    shutil.copytree(lake, copy)
    manifest = json.loads((copy / MANIFEST).read_text())
    for typed in (None, "url", [{"keys": ["url"], "kind": "date", "column": "x"}], [{"keys": []}]):
        if typed is None:
            manifest.pop("typed", None)
        else:
            manifest["typed"] = typed
        (copy / MANIFEST).write_text(json.dumps(manifest))
        layout = Source.of(copy).layout
        assert layout is not None and layout.typed == NO_TYPED
