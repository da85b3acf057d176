"""An unchanged ``headway export`` on Spark: types from its manifest, the kernel without a
shuffle (each scan partition reads whole bucket files), and each row's JSON parsed only where
a test's text pre-check passes — every answer the same as the general path's."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import headway
from headway.backends.spark import backend as spark_backend
from headway.backends.spark import bucket_scan
from headway.backends.spark.backend import SparkBackend, spark_params
from headway.backends.spark.contact_batches import ContactPartitions, spark_schema
from headway.backends.spark.source import MANIFEST, Source
from headway.backends.spark.sql import SPARK_SQL
from headway.demo import DemoConfig, build_demo
from headway.engine.kernel.inputs import match_query
from headway.engine.kernel.match_kernel import MatchKernel, combine
from headway.engine.kernel.run import match_spec
from headway.engine.options import ReportOptions
from headway.model.journey import Journey, load_journey_file, parse_journey
from headway.store import Store

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

ONBOARDING = Path(__file__).resolve().parents[2] / "examples" / "onboarding.yaml"
# The onboarding journey without ``first_time``: rows over the scan alone (first_time's window
# by contact is a shuffle, after which the plan proves nothing: the general path runs).
JOURNEY = parse_journey(
    {
        "name": "plain",
        "window": "45d",
        "stages": [
            {"name": "Trial", "when": {"type": "form_submission", "where": {"form": "trial"}}},
            {
                "name": "Docs",
                "when": {"type": "page_visit", "where": {"url": {"starts_with": "/docs/"}}},
            },
            {"name": "Purchase", "when": {"type": "purchase"}},
        ],
    }
)
OPTIONS = ReportOptions(as_of=datetime(2025, 6, 30, 23, 59, 59))


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo store exported in 3 buckets."""
    root = tmp_path_factory.mktemp("bucket-scan")
    with Store(root / "world.duckdb") as store:
        build_demo(store, DemoConfig(contacts=300, seed=9))
    with headway.open(root / "world.duckdb", read_only=True) as hw:
        hw.export(root / "lake", "parquet", buckets=3)
    return root / "lake"


def _run(
    backend: SparkBackend, journey: Journey, monkeypatch: pytest.MonkeyPatch
) -> tuple[np.ndarray, ...]:
    """The journey's contacts, their stages reached, and whether the kernel ran unshuffled."""
    kernel = MatchKernel(match_spec(journey))
    query = match_query(journey, backend.type_codes(), OPTIONS, sql=backend.sql)
    seen: list[bool] = []

    def spy(mapped, contact, location):  # type: ignore[no-untyped-def]
        seen.append(bucket_scan.whole_contact_partitions(mapped, contact, location))
        return seen[-1]

    with monkeypatch.context() as patch:
        patch.setattr(spark_backend, "whole_contact_partitions", spy)
        result, _ = combine(
            kernel, backend.map_contacts(query, "contact_key", kernel, kernel.schema)
        )
    return result.contact, result.reached, np.array(seen[:1] == [True])


@pytest.mark.parametrize("first_time", [False, True])
def test_an_export_runs_unshuffled_with_the_same_answers(
    spark: SparkSession, lake: Path, monkeypatch: pytest.MonkeyPatch, first_time: bool
) -> None:
    journey = load_journey_file(ONBOARDING) if first_time else JOURNEY
    source = Source.of(lake)
    assert source.layout is not None and source.layout.buckets == 3
    direct = SparkBackend(spark, source)
    general = SparkBackend(spark, replace(source, layout=None))
    # The manifest's dictionary is the distinct scan's.
    assert direct.type_codes() == general.type_codes()
    contacts, reached, unshuffled = _run(direct, journey, monkeypatch)
    want_contacts, want_reached, shuffled = _run(general, journey, monkeypatch)
    assert bool(unshuffled) is not first_time and not shuffled
    assert len(contacts) > 100 and reached.max() >= 2
    assert np.array_equal(contacts, want_contacts) and np.array_equal(reached, want_reached)


def test_a_changed_export_is_read_as_any_table(lake: Path, tmp_path: Path) -> None:
    copy = tmp_path / "lake"
    shutil.copytree(lake, copy)
    assert Source.of(copy).layout is not None
    assert Source.of(copy, columns={"type": "type"}).layout is None  # a mapping: no shortcuts
    extra = copy / "activities" / "bucket=1" / "part-1.parquet"
    pq.write_table(pq.read_table(copy / "activities" / "bucket=1" / "part-0.parquet"), extra)
    assert Source.of(copy).layout is None  # a second file in a bucket
    extra.unlink()
    manifest = json.loads((copy / MANIFEST).read_text())
    manifest["files"]["bucket=0/part-0.parquet"] += 1
    (copy / MANIFEST).write_text(json.dumps(manifest))
    assert Source.of(copy).layout is None  # a file of another size than written
    del manifest["types"]
    (copy / MANIFEST).write_text(json.dumps(manifest))
    assert Source.of(copy).layout is None  # an export of before the types were listed


def test_split_files_are_not_taken_for_whole_contacts(spark: SparkSession, lake: Path) -> None:
    backend = SparkBackend(spark, lake)
    journey = JOURNEY
    kernel = MatchKernel(match_spec(journey))
    query = match_query(journey, backend.type_codes(), OPTIONS, sql=backend.sql)
    run = ContactPartitions(kernel, kernel.schema)
    location = backend.source.location
    small = {"spark.sql.files.maxPartitionBytes": "2048", "spark.sql.files.minPartitionNum": "1"}
    with backend._session(None, small):
        mapped = backend._frame(query).mapInArrow(run, spark_schema(kernel.schema))
        assert not bucket_scan.whole_contact_partitions(mapped, "contact_key", location)
    assert backend.source.layout is not None
    with backend._session(None, bucket_scan.file_conf(backend.source.layout, 2)):
        frame = backend._frame(query)
        mapped = frame.mapInArrow(run, spark_schema(kernel.schema))
        assert bucket_scan.whole_contact_partitions(mapped, "contact_key", location)
        # Not the contact key, or after a shuffle: not proven.
        assert not bucket_scan.whole_contact_partitions(mapped, "ts", location)
        shuffled = frame.repartition(2, "contact_key").mapInArrow(run, spark_schema(kernel.schema))
        assert not bucket_scan.whole_contact_partitions(shuffled, "contact_key", location)


GATED = parse_journey(
    {
        "name": "string tests only",
        "stages": [
            {
                "name": "blog",
                "when": {"type": "page_visit", "where": {"url": {"starts_with": "/b"}}},
            },
            {
                "name": "trial",
                "when": {"type": "form", "where": {"form": {"in": ["trial", "demo"]}}},
            },
        ],
    }
)
ROWS = [  # (contact, type code, properties, stage mask wanted)
    (1, 1, '{"url": "/blog/a"}', 1),
    (2, 1, '{"url": "\\/blog"}', 1),  # an escape: the pre-check lets it through to the parse
    (3, 1, '{"url": "/home"}', 0),  # fails every pre-check: never parsed
    (4, 2, '{"form": "demo"}', 2),
    (5, 2, '{"form": 5}', 0),
    (6, 1, '{"url": 7, "x": "/b"}', 0),  # passes the pre-check, not a string
    (7, 1, None, 0),
]


def test_the_parse_is_gated_by_the_pre_checks(spark: SparkSession) -> None:
    query = match_query(GATED, {"page_visit": 1, "form": 2}, OPTIONS, sql=SPARK_SQL)
    text = query.tree.sql(dialect="spark")
    lower = text[text.index("FROM (SELECT") :]
    assert "CONTAINS(a.properties" in lower.split("TRY_PARSE_JSON")[0]
    log = pa.table(
        {
            "id": pa.array([str(r[0]) for r in ROWS]),
            "contact_key": pa.array([r[0] for r in ROWS], pa.int64()),
            "type_code": pa.array([r[1] for r in ROWS], pa.int32()),
            "ts": pa.array([datetime(2025, 3, 1)] * len(ROWS), pa.timestamp("us")),
            "properties": pa.array([r[2] for r in ROWS], pa.string()),
            "source": pa.array([None] * len(ROWS), pa.string()),
            "bot": pa.array([False] * len(ROWS)),
        }
    )
    spark.createDataFrame(log).createOrReplaceTempView("activity_log")
    try:
        got = spark.sql(text, args=spark_params(query.params)).toArrow()
    finally:
        spark.catalog.dropTempView("activity_log")
    keys, masks = got.column("contact_key").to_pylist(), got.column("stage_mask").to_pylist()
    assert dict(zip(keys, masks, strict=True)) == {r[0]: r[3] for r in ROWS if r[3]}


def test_a_test_without_a_pre_check_parses_every_row() -> None:
    journey = parse_journey(
        {
            "name": "a number test",
            "stages": [
                {"name": "blog", "when": {"type": "page_visit", "where": {"url": "/blog"}}},
                {"name": "big", "when": {"type": "page_visit", "where": {"n": {"gte": 2}}}},
            ],
        }
    )
    text = match_query(journey, {"page_visit": 1}, OPTIONS, sql=SPARK_SQL).tree.sql("spark")
    lower = text[text.index("FROM (SELECT") :]
    assert "CONTAINS" not in lower.split("TRY_PARSE_JSON")[0]
