"""SparkBackend on real local Spark: the demo world's funnel equals DuckDB's contact by contact,
read from ``headway export``'s Parquet and Delta tables, from a table without Headway's keys
(hashed contact ids), through ``headway.open(spark=...)`` and ``headway --backend spark``;
mapping mistakes and colliding contact keys are clear errors.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import numpy as np
import pyarrow as pa
import pytest
from sqlglot import exp
from typer.testing import CliRunner

import headway
from headway.api import Headway
from headway.backends.query import Query
from headway.backends.spark.backend import SparkBackend
from headway.demo.build import build_demo
from headway.demo.world import DemoConfig
from headway.engine.kernel.run import Matched
from headway.errors import ConfigError, InvalidInput, NotOnBackend
from headway.store import Store

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

ROOT = Path(__file__).resolve().parents[2]
JOURNEY = ROOT / "examples" / "lead-nurturing.yaml"  # property tests, exclusion, exit
AS_OF = "2025-06-30"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A small demo world in a DuckDB store, exported as Parquet and as Delta."""
    root = tmp_path_factory.mktemp("spark-world")
    db = root / "demo.duckdb"
    with Store(db) as store:
        build_demo(store, DemoConfig(contacts=400, seed=5))
        hw = Headway(store)
        hw.export(root / "parquet", "parquet", buckets=3)
        hw.export(root / "delta", "delta", buckets=2)
    yield root


@pytest.fixture(scope="module")
def duckdb_match(world: Path) -> Iterator[tuple[Matched, dict[str, object]]]:
    """The journey matched on DuckDB and its funnel, the reference for every Spark run."""
    with Store(world / "demo.duckdb", read_only=True) as store:
        hw = Headway(store)
        yield hw.match(JOURNEY, as_of=AS_OF), hw.funnel(JOURNEY, as_of=AS_OF).to_dict()


def _same_contacts(spark_m: Matched, duck_m: Matched) -> None:
    a, b = spark_m.result, duck_m.result
    assert len(b.contact) > 100 and b.reached.max() >= 3  # the journey has something to say
    np.testing.assert_array_equal(a.contact, b.contact)
    np.testing.assert_array_equal(a.reached, b.reached)
    np.testing.assert_array_equal(a.removed, b.removed)
    np.testing.assert_array_equal(a.stage_ts, b.stage_ts)
    np.testing.assert_array_equal(a.exit_ts, b.exit_ts)


@pytest.mark.parametrize("fmt", ["parquet", "delta"])
def test_funnel_equals_duckdb_contact_by_contact(
    spark: SparkSession, world: Path, duckdb_match: tuple[Matched, dict[str, object]], fmt: str
) -> None:
    hw = Headway(backend=SparkBackend(spark, str(world / fmt)))
    _same_contacts(hw.match(JOURNEY, as_of=AS_OF), duckdb_match[0])
    assert hw.funnel(JOURNEY, as_of=AS_OF).to_dict() == duckdb_match[1]


def test_headway_open_with_spark(
    spark: SparkSession, world: Path, duckdb_match: tuple[Matched, dict[str, object]]
) -> None:
    hw = headway.open(spark=spark, source=world / "parquet")
    assert hw.backend.name == "spark"
    assert hw.funnel(JOURNEY, as_of=AS_OF).to_dict() == duckdb_match[1]
    with pytest.raises(NotOnBackend, match=r"^imports cannot run on the spark backend yet$"):
        hw.imports()
    with pytest.raises(InvalidInput, match="needs both spark="):
        headway.open(source=world / "parquet")


def test_contact_ids_and_attributes_as_on_duckdb(
    spark: SparkSession, world: Path, duckdb_match: tuple[Matched, dict[str, object]]
) -> None:
    backend = SparkBackend(spark, str(world / "parquet"))
    keys = np.concatenate([duckdb_match[0].result.contact[:25], [10**9]])  # and an unknown key
    with Store(world / "demo.duckdb", read_only=True) as store:
        duck = Headway(store).backend
        assert list(backend.contact_ids(keys)) == list(duck.contact_ids(keys))
        for attribute in ("country", "company_size"):
            assert list(backend.contact_attributes(keys, attribute)) == list(
                duck.contact_attributes(keys, attribute)
            )
        assert backend.type_codes().keys() == duck.type_codes().keys()


def test_arrow_with_several_tables_and_params(spark: SparkSession, world: Path) -> None:
    backend = SparkBackend(spark, str(world / "parquet"))
    tree: exp.Expr = exp.maybe_parse(
        "SELECT l.k, r.v FROM _left AS l JOIN _right AS r ON r.k = l.k WHERE l.k >= :low "
        "ORDER BY l.k",
        dialect="spark",
    )
    out = backend.arrow_with(
        Query(tree, {"low": 2}),
        {"_left": pa.table({"k": [1, 2, 3]}), "_right": pa.table({"k": [2, 3], "v": ["b", "c"]})},
    )
    assert out.to_pydict() == {"k": [2, 3], "v": ["b", "c"]}


def _plain_table(world: Path, out: Path, key: bool = False) -> Path:
    """The activities as another tool would keep them: other column names, and no Headway
    contact key unless ``key`` (then as ``user_key``)."""
    out.mkdir()
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(
        # A timestamp without zone (UTC wall time): Spark reads it as TIMESTAMP_NTZ.
        f"COPY (SELECT id AS event_id, contact AS user_id, type AS event, "
        f"ts::TIMESTAMP AS event_time, "
        f"properties AS props, source, bot{', contact_key AS user_key' if key else ''} "
        f"FROM read_parquet('{world}/parquet/activities/**/*.parquet')) "
        f"TO '{out}/part-0.parquet'"
    )
    con.close()
    return out


MAPPING = {
    "contact": "user_id",
    "type": "event",
    "ts": "event_time",
    "properties": "props",
    "id": "event_id",
}


def test_hashed_contact_keys_give_the_same_funnel(
    spark: SparkSession,
    world: Path,
    tmp_path: Path,
    duckdb_match: tuple[Matched, dict[str, object]],
) -> None:
    source = _plain_table(world, tmp_path / "plain")
    backend = SparkBackend(spark, str(source), columns=MAPPING)
    assert backend.views.hashed
    hw = Headway(backend=backend)
    matched = hw.match(JOURNEY, as_of=AS_OF)
    assert hw.funnel(JOURNEY, as_of=AS_OF).to_dict() == duckdb_match[1]
    # Contact by contact, through the ids (the keys are hashes here, dense keys on DuckDB).
    duck = duckdb_match[0].result
    with Store(world / "demo.duckdb", read_only=True) as store:
        duck_ids = Headway(store).backend.contact_ids(duck.contact)
    spark_ids = backend.contact_ids(matched.result.contact)
    assert dict(zip(spark_ids, matched.result.reached.tolist(), strict=True)) == dict(
        zip(duck_ids, duck.reached.tolist(), strict=True)
    )


def test_colliding_contact_keys_are_an_error(
    spark: SparkSession, world: Path, tmp_path: Path
) -> None:
    source = _plain_table(world, tmp_path / "plain")
    # Two bits of key for 400 contacts: ids must collide, and the guard must say so.
    backend = SparkBackend(spark, str(source), columns=MAPPING, key_bits=2)
    with pytest.raises(
        ConfigError, match=r"contact ids '.+' and '.+' hash to the same contact key"
    ):
        Headway(backend=backend).funnel(JOURNEY, as_of=AS_OF)


def test_mapping_mistakes_are_clear_errors(
    spark: SparkSession, world: Path, tmp_path: Path
) -> None:
    source = str(_plain_table(world, tmp_path / "plain"))
    journey = {"name": "x", "stages": [{"name": "a", "when": {"type": "page_visit"}}]}

    def funnel(**kwargs: object) -> None:
        Headway(backend=SparkBackend(spark, source, **kwargs)).funnel(journey, as_of=AS_OF)  # type: ignore[arg-type]

    with pytest.raises(ConfigError, match="has no column 'contact' \\(field 'contact'\\)"):
        funnel()  # the export's column names are not this table's
    with pytest.raises(
        ConfigError, match="has no column 'who' \\(field 'contact'\\); its columns: bot, event, "
    ):
        funnel(columns={**MAPPING, "contact": "who"})
    with pytest.raises(
        ConfigError, match=r"column 'event' \(field 'ts'\) .* is string; it must be a timestamp"
    ):
        funnel(columns={**MAPPING, "ts": "event"})
    with pytest.raises(
        ConfigError,
        match=r"column 'bot' \(field 'properties'\) .* is boolean; it must be JSON text",
    ):
        funnel(columns={**MAPPING, "properties": "bot"})
    with pytest.raises(ConfigError, match="unknown field 'user' in the columns mapping"):
        funnel(columns={**MAPPING, "user": "user_id"})
    with pytest.raises(
        ConfigError, match="source format 'csv' is not one of parquet, delta, table"
    ):
        funnel(columns=MAPPING, format="csv")
    with pytest.raises(ConfigError, match="does not exist"):
        SparkBackend(spark, str(tmp_path / "nowhere" / "activities"))


def test_cli_funnel_on_spark(
    spark: SparkSession, world: Path, duckdb_match: tuple[Matched, dict[str, object]]
) -> None:
    from headway.cli import app

    runner = CliRunner()
    args = ["--backend", "spark", "--source", str(world / "parquet")]
    result = runner.invoke(app, [*args, "funnel", str(JOURNEY), "--as-of", AS_OF, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    report.pop("warnings", None)
    assert report == json.loads(json.dumps(duckdb_match[1], default=str))
    refused = runner.invoke(app, [*args, "imports"])
    assert isinstance(refused.exception, NotOnBackend)
    assert refused.exception.message == "headway imports cannot run on the spark backend yet"


def test_headway_toml_chooses_spark_and_the_mapping(
    spark: SparkSession,
    world: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    duckdb_match: tuple[Matched, dict[str, object]],
) -> None:
    from headway.cli import app

    source = _plain_table(world, tmp_path / "plain", key=True)
    mapping = {**MAPPING, "contact_key": "user_key"}
    columns = ", ".join(f'{field} = "{column}"' for field, column in mapping.items())
    (tmp_path / "headway.toml").write_text(
        f'backend = "spark"\n\n[spark]\nsource = "{source}"\ncolumns = {{ {columns} }}\n'
        "\n[tracking]\nenabled = false\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HEADWAY_CONFIG", raising=False)
    # Whatever the session's time zone, Headway's times are UTC (and the session's is kept).
    spark.conf.set("spark.sql.session.timeZone", "Asia/Tokyo")
    try:
        result = CliRunner().invoke(app, ["funnel", str(JOURNEY), "--as-of", AS_OF, "--json"])
        assert spark.conf.get("spark.sql.session.timeZone") == "Asia/Tokyo"
    finally:
        spark.conf.set("spark.sql.session.timeZone", "UTC")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    report.pop("warnings", None)
    assert report == json.loads(json.dumps(duckdb_match[1], default=str))
    # The server serves the DuckDB store only, and says so instead of ignoring the setting.
    served = CliRunner().invoke(app, ["serve", "--config", str(tmp_path / "headway.toml")])
    assert isinstance(served.exception, NotOnBackend)
    assert served.exception.message == "headway serve cannot run on the spark backend yet"
