"""A Spark session for a command: started from the ``[spark]`` settings, stopped after.

The Python API takes the caller's own ``SparkSession`` (``headway.open(spark=...)``); the CLI
has none, so it starts one here: ``master`` from ``--master`` or the settings (default
``local[*]``), the executors' Python workers on this interpreter (they run the journey kernel),
times in UTC, no progress bars on the terminal.
"""

from __future__ import annotations

import os
import shutil
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from headway.backends.spark.settings import SparkSettings
from headway.errors import ConfigError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

DEFAULT_MASTER = "local[*]"
LOG_CONFIG = Path(__file__).with_name("log4j2.properties")


@contextmanager
def spark_session(settings: SparkSettings) -> Iterator[SparkSession]:
    """A SparkSession per ``settings`` for the block, stopped after (one already running in
    this process is used as it is, and left running)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise ConfigError("the spark backend needs pyspark: pip install 'headway[spark]'") from None
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise ConfigError("the spark backend needs Java (a JRE 17 or later) and none was found")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    # pyspark warns about pandas 3 on import of its Arrow paths; Headway does not use pandas there.
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
    running = SparkSession.getActiveSession()
    if running is not None:  # a session of this process (a test, a notebook): used as it is
        yield running
        return
    builder = (
        SparkSession.builder.master(settings.master or DEFAULT_MASTER)
        .appName(settings.app_name)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.showConsoleProgress", "false")
    )
    if "spark.driver.extraJavaOptions" not in settings.conf:  # quiet JVM logs (errors only)
        builder = builder.config(
            "spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile={LOG_CONFIG}"
        )
    for key, value in settings.conf.items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as exc:
        text = str(exc).strip().splitlines()
        raise ConfigError(
            f"cannot start Spark (master {settings.master or DEFAULT_MASTER}): "
            f"{text[0] if text else type(exc).__name__}"
        ) from None
    session.sparkContext.setLogLevel("ERROR")
    try:
        yield session
    finally:
        session.stop()
