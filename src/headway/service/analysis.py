"""Analysis reports of a journey (docs/reports.md): two date ranges side by side, and the time
to convert per step."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from headway.engine.funnel.compare import CompareReport, compare_report
from headway.engine.funnel.time_to_convert import TimeToConvertReport, time_to_convert
from headway.engine.options import ReportOptions
from headway.errors import Detail, InvalidInput
from headway.service.segments import Filters, SegmentService


class AnalysisService(SegmentService):
    """Compare two date ranges; the time-to-convert histogram."""

    def compare(
        self,
        journey: Any,
        range_a: Any,
        range_b: Any,
        *,
        as_of: datetime | date | str | None = None,
        segment: Filters = None,
    ) -> CompareReport:
        """The journey over date range A and over date range B (``FROM..TO`` each), per stage:
        reached, conversion, the change and its two-proportion test."""
        j = self.journey(journey)
        a = self.cache.match(j, self._range_options("range_a", as_of, range_a, segment))
        b = self.cache.match(j, self._range_options("range_b", as_of, range_b, segment))
        return compare_report(a, b)

    def _range_options(
        self, field: str, as_of: Any, date_range: Any, segment: Filters
    ) -> ReportOptions:
        if date_range is None or (isinstance(date_range, str) and not date_range.strip()):
            raise InvalidInput(
                f"{field}: a date range is needed (FROM..TO, e.g. 2025-04-01..2025-04-30)",
                [Detail("no date range", field=field)],
            )
        try:
            return self._options(as_of, date_range, segment)
        except InvalidInput as err:
            message = err.message.removeprefix("--date-range: ")
            raise InvalidInput(f"{field}: {message}", [Detail(message, field=field)]) from None

    def time_to_convert(
        self,
        journey: Any,
        *,
        as_of: datetime | date | str | None = None,
        date_range: Any = None,
        segment: Filters = None,
    ) -> TimeToConvertReport:
        """Per step, how long the contacts who moved on took, in bins of human units."""
        j = self.journey(journey)
        return time_to_convert(self.cache.match(j, self._options(as_of, date_range, segment)))
