"""Headway: customer-journey and email-engagement analytics.

``headway.open(db)`` opens a database for analysts (see ``headway.api``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from headway.api import Headway


def open(
    db: Any = None,
    *,
    read_only: bool = False,
    cache_bytes: int | None = None,
    spark: Any = None,
    source: Any = None,
    columns: Any = None,
    source_format: str | None = None,
    contacts: Any = None,
) -> Headway:
    """Open a Headway database (default ``$HEADWAY_DB`` or ``./headway.duckdb``).

    ``cache_bytes`` bounds the memory of reused matches (default 512 MiB; 0 keeps none).
    ``spark=SparkSession, source=PATH_OR_TABLE`` (plus ``columns={field: column}``,
    ``source_format``, ``contacts``) runs the reports on Spark instead (docs/scale-out.md).
    """
    from headway.api import open as _open

    if spark is not None or source is not None:
        return _open(
            db, spark=spark, source=source, columns=columns, source_format=source_format,
            contacts=contacts,
        )  # fmt: skip
    if cache_bytes is None:
        return _open(db, read_only=read_only)
    return _open(db, read_only=read_only, cache_bytes=cache_bytes)


__all__ = ["__version__", "open"]
