"""The Spark lane: one real local SparkSession per test session, and the ``backend`` fixture
that runs a test on DuckDB and on Spark.

Spark needs Java; ``make test`` installs Debian's headless JRE when ``java`` is missing, so a
test here fails (never skips) when it is not there.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

BACKENDS = ("duckdb", "spark")


def _spark_session() -> SparkSession:
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.fail(
            "the Spark tests need Java and none is installed: `make test` installs it "
            "(Debian's openjdk-17-jre-headless)",
            pytrace=False,
        )
    # The executors' Python workers run the journey kernel: they must be this interpreter.
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # loopback only, whatever the host name
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("headway-tests")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", "1g")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.extraJavaOptions", "-Duser.timezone=UTC")
        .config("spark.executor.extraJavaOptions", "-Duser.timezone=UTC")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    """A real local Spark (``local[2]``, 2 shuffle partitions, no UI), stopped at the end."""
    session = _spark_session()
    try:
        yield session
    finally:
        session.stop()


@pytest.fixture(params=BACKENDS)
def backend_name(request: pytest.FixtureRequest) -> str:
    """``duckdb`` and ``spark``: a test taking it runs once on each backend."""
    return str(request.param)
