"""What the dashboard's pickers show about the data: when it ends, which field names it has."""

from __future__ import annotations

from datetime import datetime

from headway.service.base import ServiceBase
from headway.store import log_summary


class LogSummaryService(ServiceBase):
    """The newest activity's time and a sample of field names."""

    def last_activity(self) -> datetime | None:
        """The time of the newest activity in the database (None: no activity yet)."""
        return log_summary.last_activity(self.store)

    def field_name_suggestions(self) -> list[str]:
        """Property and attribute names seen in a sample of the data (a picker's list)."""
        return log_summary.field_names_sample(self.store)
