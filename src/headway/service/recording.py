"""Recording what surfaces receive: tracked opens, clicks and unsubscribes, webhook events."""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa

from headway.service.base import ServiceBase
from headway.store import AppendResult
from headway.store.contacts import unsubscribe
from headway.store.erased import erased_names


class RecordingService(ServiceBase):
    """Appends of checked activity tables, and the erasure check every receiver makes."""

    def erased_names(self, names: Sequence[str]) -> set[str]:
        """The ``names`` (contact ids or addresses) that belong to erased contacts."""
        return erased_names(self.store, names)

    def append_activity_table(self, table: pa.Table) -> AppendResult:
        """Append an activity table in the canonical columns (ids dedupe retries)."""
        return self.store.append_activities(table)

    def record_unsubscribe(self, table: pa.Table, contact: str) -> None:
        """Append the unsubscribe activity in ``table`` and mark ``contact`` unsubscribed, in
        one transaction; nothing is written for an erased contact."""
        self.store.write(lambda conn: unsubscribe(self.store, conn, table, contact))
