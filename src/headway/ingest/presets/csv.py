"""Any other table of events (CSV, JSON Lines or Parquet) with columns named by ``--map``.

``--map contact=COL,type=COL,ts=COL,id=COL`` names the columns (defaults: ``contact``,
``type``, ``ts``, ``id``); ``anonymous=COL`` names a column with an anonymous id (a cookie or
device id): a row without a contact counts for its anonymous id, and a row with both ties
the anonymous id to the contact. Every other column is a property (a ``properties`` column
holding a JSON object is merged in). Timestamps follow the file rules (``--tz`` or
``--assume-utc`` for timestamps without a zone).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from headway.ingest.mapping import PASSTHROUGH, ColumnMapping
from headway.ingest.presets import IdentityClaim, Mapped
from headway.ingest.presets.fields import as_object, ident
from headway.ingest.records import Rejected

SOURCE = "import"
# A claim's time is its row's timestamp, known only once validated (``--tz``): the importer
# fills it in.
UNTIMED = datetime.min
EXPECTED = ("contact", "type", "ts")


def mapper(mapping: ColumnMapping) -> Callable[[dict[str, Any]], Mapped]:
    """``map_record`` for files whose columns ``mapping`` names."""
    taken = {*mapping.mapped(), *([mapping.anonymous] if mapping.anonymous else [])}

    def map_row(raw: dict[str, Any]) -> Mapped:
        known = ident(raw.get(mapping.contact))
        anonymous = ident(raw.get(mapping.anonymous)) if mapping.anonymous else None
        contact = known or anonymous
        if contact is None:
            raise Rejected(mapping.contact, "is required")
        props = {k: v for k, v in raw.items() if k not in taken and v is not None and v != ""}
        props.update(as_object(raw.get("properties"), "properties"))
        activity: dict[str, Any] = {
            "id": raw.get(mapping.id),
            "contact": contact,
            "type": raw.get(mapping.type),
            "ts": raw.get(mapping.ts),
            "properties": props,
            **{k: raw[k] for k in PASSTHROUGH if k != "properties" and raw.get(k) is not None},
        }
        if activity["id"] == "":
            activity["id"] = None
        mapped = Mapped(activities=[activity])
        if known and anonymous and known != anonymous:
            mapped.identities.append(IdentityClaim(anonymous, known, UNTIMED))
        return mapped

    return map_row


map_record = mapper(ColumnMapping())
