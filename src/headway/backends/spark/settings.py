"""The ``[spark]`` settings: where the activity table is and which Spark runs the reports.

Read from ``headway.toml`` (``backend = "spark"`` plus a ``[spark]`` table) or the
``HEADWAY_SPARK__*`` environment; the CLI's ``--source``, ``--source-format`` and ``--master``
override them. Documented in docs/config.md. Importing this module does not import pyspark.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class SparkSettings(BaseModel):
    """The Spark backend's source, column mapping and session."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # A Parquet directory, a Delta table, a `headway export` directory or a catalog table.
    source: str | None = None
    source_format: Literal["parquet", "delta", "table"] | None = None  # None: guessed
    # The field -> column mapping of the activity table (defaults: the export's columns).
    columns: dict[str, str | None] = Field(default_factory=dict)
    contacts: str | None = None  # the contacts table (default: SOURCE/contacts of an export)
    contact_columns: dict[str, str | None] = Field(default_factory=dict)
    master: str | None = None  # e.g. local[4], spark://host:7077 (default: local[*])
    app_name: str = "headway"
    # Extra Spark configuration, e.g. {"spark.executor.memory" = "4g"}.
    conf: dict[str, str] = Field(default_factory=dict)
    # Contact partitions the kernel runs on (None: sized from the data).
    partitions: int | None = Field(default=None, ge=1)
