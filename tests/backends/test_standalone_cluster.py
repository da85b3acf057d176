"""A real standalone Spark cluster on loopback (a master and two workers, started with pyspark's
own launcher): ``headway --backend spark --master spark://…`` and a ``spark-submit`` program
run a journey on ``headway export``'s table, and the result equals the DuckDB backend's on the
same store, report field by field and contact by contact. Every process started here is
stopped at the end, even on failure, and checked gone.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import headway
from headway.cli import app
from headway.demo import DemoConfig, build_demo
from headway.ingest.relabel import relabel
from headway.store import Store, identities
from tests.backends.spark_driver import contact_results

ROOT = Path(__file__).resolve().parents[2]
HEADWAY = str(Path(sys.executable).parent / "headway")
JOURNEY = ROOT / "examples" / "lead-nurturing.yaml"  # bot filter, any-of, exclusion, exit
AS_OF = "2025-06-30T23:59:59Z"
START_SECONDS = 240  # JVM start on a loaded 2-core machine is slow; usually ~15 s
pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Cluster:
    """A running standalone cluster: its master URL and the master's JSON status page."""

    url: str
    status_url: str


def free_port() -> int:
    """A TCP port on loopback that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def spark_home() -> Path:
    """The Spark distribution inside pyspark's wheel (bin/spark-class, jars/)."""
    import pyspark

    return Path(pyspark.__file__).parent


def status(cluster_status_url: str) -> dict[str, object]:
    """The master's JSON status (workers, applications)."""
    with urllib.request.urlopen(cluster_status_url, timeout=5) as answer:
        return dict(json.load(answer))


def spark_env(tmp: Path) -> dict[str, str]:
    """The environment of the master, the workers and the driver: loopback, small daemons."""
    return {
        **os.environ,
        "SPARK_HOME": str(spark_home()),
        "SPARK_LOCAL_IP": "127.0.0.1",
        "SPARK_DAEMON_MEMORY": "256m",
        "SPARK_LOG_DIR": str(tmp),
        "SPARK_WORKER_DIR": str(tmp / "work"),
        # No REST submission server (it takes the fixed port 6066).
        "SPARK_MASTER_OPTS": "-Dspark.master.rest.enabled=false",
        "PYSPARK_PYTHON": sys.executable,
        "PYSPARK_DRIVER_PYTHON": sys.executable,
    }


def start(args: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """One daemon of the cluster in its own process group (its executors join that group)."""
    command = [str(spark_home() / "bin" / "spark-class"), *args]
    with log.open("wb") as out:
        return subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    """Stop every process group started here: SIGTERM, then SIGKILL after 20 s."""
    for proc in processes:
        _signal_group(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + 20
    for proc in processes:
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        _signal_group(proc.pid, signal.SIGKILL)  # executors and Python workers of a worker
        proc.wait()


def group_members(pgid: int) -> list[int]:
    """The running (not zombie) processes of a process group."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                members.append(int(stat.parent.name))
    return members


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)


def wait_for_workers(
    cluster: Cluster, count: int, daemons: list[subprocess.Popen[bytes]], logs: Path
) -> None:
    """Poll the master until ``count`` workers are alive (fail with the logs if one dies)."""
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        dead = [p for p in daemons if p.poll() is not None]
        if dead:
            break
        try:
            if status(cluster.status_url).get("aliveworkers") == count:
                return
        except OSError:
            pass  # the master's web UI is not up yet
        time.sleep(0.5)
    tails = "\n".join(f"--- {f.name}\n{f.read_text()[-1500:]}" for f in sorted(logs.glob("*.log")))
    pytest.fail(f"the standalone cluster did not come up with {count} workers\n{tails}")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A master and two workers (1 core, 1 GiB each) on 127.0.0.1, stopped afterwards."""
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.fail("the standalone cluster needs Java: `make test` installs it", pytrace=False)
    tmp = tmp_path_factory.mktemp("spark-cluster")
    env = spark_env(tmp)
    port, ui = free_port(), free_port()
    cluster = Cluster(f"spark://127.0.0.1:{port}", f"http://127.0.0.1:{ui}/json/")
    master = ["org.apache.spark.deploy.master.Master", "--host", "127.0.0.1"]
    master += ["--port", str(port), "--webui-port", str(ui)]
    daemons = [start(master, tmp / "master.log", env)]
    try:
        for n in (1, 2):
            worker = ["org.apache.spark.deploy.worker.Worker", cluster.url, "--host", "127.0.0.1"]
            worker += ["--cores", "1", "--memory", "1g", "--webui-port", "0"]
            worker += ["--work-dir", str(tmp / f"worker-{n}")]
            daemons.append(start(worker, tmp / f"worker-{n}.log", env))
        wait_for_workers(cluster, 2, daemons, tmp)
        yield cluster
    finally:
        stop(daemons[::-1])  # the workers (and their executors) first, then the master
        left = [pid for p in daemons for pid in group_members(p.pid)]
        assert left == [], f"processes of the cluster still running: {left}"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A small demo store (one identity merge) and its ``headway export`` table."""
    tmp = tmp_path_factory.mktemp("world")
    db = tmp / "world.duckdb"
    with Store(db) as store:
        build_demo(store, DemoConfig(contacts=1500, seed=11))
        relabel(store)
        first, second = (
            r[0] for r in store.execute("SELECT id FROM contacts ORDER BY key LIMIT 2")
        )
        identities.merge(store, second, first)  # the export resolves it, as activity_log does
    with headway.open(db) as hw:
        hw.export(tmp / "lake", buckets=3)
    return db, tmp / "lake"


def test_the_funnel_command_on_the_cluster_equals_duckdb(
    cluster: Cluster, world: tuple[Path, Path], tmp_path: Path
) -> None:
    db, lake = world
    report = ["funnel", str(JOURNEY), "--as-of", AS_OF, "--json"]
    spark = [HEADWAY, "--backend", "spark", "--source", str(lake), "--master", cluster.url]
    done = subprocess.run(
        [*spark, *report], env=spark_env(tmp_path), capture_output=True, text=True, timeout=600,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    on_duckdb = CliRunner().invoke(app, ["--db", str(db), *report])
    assert on_duckdb.exit_code == 0, on_duckdb.output
    got, want = json.loads(done.stdout), json.loads(on_duckdb.output)
    assert want["converted"] > 0
    # Journey warnings need the store's catalogue: on Spark they are marked unchecked.
    assert {**got, "warnings": None} == {**want, "warnings": None}
    apps = status(cluster.status_url)["completedapps"]
    assert isinstance(apps, list) and apps  # it ran as an application of this master


def test_a_journey_on_the_cluster_equals_duckdb_contact_by_contact(
    cluster: Cluster, world: tuple[Path, Path], tmp_path: Path
) -> None:
    db, lake = world
    out = tmp_path / "cluster"
    submit = [str(spark_home() / "bin" / "spark-submit"), "--master", cluster.url]
    driver = [*submit, str(ROOT / "tests" / "backends" / "spark_driver.py")]
    done = subprocess.run(
        [*driver, cluster.url, str(lake), str(JOURNEY), AS_OF, str(out)],
        env=spark_env(tmp_path), cwd=ROOT, capture_output=True, text=True, timeout=600,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    on_cluster = pq.read_table(f"{out}.parquet")
    report = json.loads(Path(f"{out}.json").read_text())
    with headway.open(db, read_only=True) as hw:
        on_duckdb = contact_results(hw, hw.match(JOURNEY, as_of=AS_OF))
        funnel = json.loads(json.dumps(hw.funnel(JOURNEY, as_of=AS_OF).to_dict(), default=str))
    assert on_cluster.num_rows > 1000
    assert on_cluster.equals(on_duckdb)
    assert report["funnel"] == funnel
    assert len(report["executors"]) == 3  # the driver and one executor on each worker
