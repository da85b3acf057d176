"""Load a small activity log into a real store for engine tests.

    load(store, [("a", "page_visit", "0s", {"url": "/pricing"}), ("a", "email_click", "5m")])

Times are offsets from ``T0`` (2025-01-01T00:00Z) with a unit (s, m, h, d), or datetimes.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any

import pyarrow as pa

from headway.store import Store

T0 = datetime(2025, 1, 1)
_OFFSET = re.compile(r"^(-?\d+(?:\.\d+)?)(s|m|h|d|w)$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def at(offset: str) -> datetime:
    """``T0`` plus an offset like ``90m``."""
    m = _OFFSET.match(offset)
    assert m, offset
    return T0 + timedelta(seconds=float(m.group(1)) * _UNIT[m.group(2)])


def load(store: Store, rows: list[tuple[Any, ...]]) -> None:
    """Append ``(contact, type, time[, properties[, bot]])`` rows with generated ids."""
    ts = [r[2] if isinstance(r[2], datetime) else at(r[2]) for r in rows]
    table = pa.table(
        {
            "id": [f"act-{i}" for i in range(len(rows))],
            "contact": [r[0] for r in rows],
            "type": [r[1] for r in rows],
            "ts": pa.array(ts, pa.timestamp("us")),
            "properties": [json.dumps(r[3]) if len(r) > 3 else "{}" for r in rows],
            "bot": [bool(r[4]) if len(r) > 4 else False for r in rows],
            "bot_reason": pa.array([None] * len(rows), pa.string()),
            "source": ["test"] * len(rows),
        }
    )
    store.append_activities(table)


def set_attributes(store: Store, attributes: dict[str, dict[str, Any]]) -> None:
    """Give contacts JSON attributes."""
    for contact, attrs in attributes.items():
        store.write(
            lambda c, contact=contact, attrs=attrs: c.execute(
                "UPDATE contacts SET attributes = ? WHERE id = ?", [json.dumps(attrs), contact]
            )
        )
