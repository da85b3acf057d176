"""What every report result shares: JSON form, and rows as Arrow, pandas or polars frames."""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

import pyarrow as pa


class Tabular:
    """A report whose main content is a list of rows (``rows()``), plus its JSON form."""

    def rows(self) -> list[dict[str, Any]]:
        """The report's table, one dict per row."""
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form of the whole report."""
        raise NotImplementedError

    def to_arrow(self) -> pa.Table:
        """The rows as an Arrow table."""
        return pa.Table.from_pylist(self.rows())

    def to_pandas(self) -> Any:
        """The rows as a pandas DataFrame."""
        return self.to_arrow().to_pandas()

    def to_polars(self) -> Any:
        """The rows as a polars DataFrame."""
        import polars as pl

        return pl.from_arrow(self.to_arrow())


def jsonable(value: Any) -> Any:
    """Make a value JSON-serialisable: datetimes as ISO 8601 UTC, NaN as null."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return jsonable(value.item())
    return value


def iso(ts: datetime) -> str:
    """ISO 8601 with a ``Z`` for a naive UTC datetime."""
    return ts.isoformat(timespec="microseconds" if ts.microsecond else "seconds") + "Z"


def ratio(num: int, den: int) -> float | None:
    """``num / den``, or None when the denominator is zero."""
    return num / den if den else None
