"""Segments, cohorts and saved views (docs/reports.md "Segments and cohorts").

Every report method of ``Headway`` takes ``segment=`` (filter texts, ``engine/segments.py``);
``_options`` turns it into the ``ReportOptions`` the engine applies in its input query, with
the named cohorts read from the store. A cohort is saved from a step's contact list.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from headway.engine.funnel.contact_lists import resolve_stage, select_contacts
from headway.engine.funnel.outcomes import outcomes
from headway.engine.options import DateWindow, ReportOptions, Segment
from headway.engine.segments import parse_segment
from headway.service.base import ServiceBase
from headway.store import cohorts as stored
from headway.store.cohorts import Cohort, SavedView

if TYPE_CHECKING:
    from headway.model.journey import Journey

Filters = Sequence[str] | str | Segment | None
# An instant, or the options a surface parsed already (``headway.api.options`` takes both).
When = datetime | date | str | ReportOptions | None


class SegmentService(ServiceBase):
    """Whom reports count (segment filters), named cohorts and named saved views."""

    def journey(self, ref: Any) -> Journey:  # Headway's
        """A journey from a Journey, a mapping, a file path or a stored name."""
        raise NotImplementedError

    def _options(self, as_of: When, date_range: Any, segment: Filters = None) -> ReportOptions:
        """The report options of a call: ``as_of``, the date range and the segment."""
        from headway.api import options

        base = options(as_of, date_range)
        seg = self.segment(segment)
        return base if seg is None else replace(base, segment=seg)

    def segmented_options(
        self, as_of: When, date_range: Any, segment: Filters = None
    ) -> ReportOptions:
        """The report options of a view (as_of, date range, segment), for surfaces that pass
        them on to several reports."""
        return self._options(as_of, date_range, segment)

    def segment(self, filters: Filters) -> Segment | None:
        """The segment of filter texts (``attributes.plan=pro``, ``entry.utm_source=google``,
        ``cohort=NAME``); ``InvalidInput`` names a malformed one, ``NotFound`` a cohort."""
        if filters is None or isinstance(filters, Segment):
            return filters
        texts = [filters] if isinstance(filters, str) else list(filters)
        return parse_segment(texts, lambda name: stored.cohort_keys(self.store, name))

    # -- cohorts -----------------------------------------------------------------------
    def save_cohort(
        self,
        name: str,
        journey: Any,
        stage: str | int,
        status: str = "reached",
        *,
        as_of: When = None,
        date_range: DateWindow | str | None = None,
        segment: Filters = None,
    ) -> Cohort:
        """Save the contacts at ``stage`` with ``status`` (reached, dropped, in_progress,
        stalled...) of this view as the cohort ``name``, usable as ``cohort=NAME`` anywhere."""
        j = self.journey(journey)
        opts = self._options(as_of, date_range, segment)
        k = resolve_stage(j, stage)
        matched = self.cache.match(j, opts)
        mask = select_contacts(outcomes(matched), matched, k, status)
        keys = np.asarray(matched.result.contact[mask], dtype=np.int64)
        return stored.save_cohort(
            self.store, name, keys, journey=j.name, stage=j.stages[k].name, status=status,
            as_of=opts.as_of,
        )  # fmt: skip

    def cohorts(self) -> list[Cohort]:
        """Every saved cohort, by name, with its current size."""
        return stored.list_cohorts(self.store)

    def delete_cohort(self, name: str) -> None:
        """Delete the cohort ``name``."""
        stored.delete_cohort(self.store, name)

    # -- saved views -------------------------------------------------------------------
    def save_view(self, name: str, journey: str, query: str) -> SavedView:
        """Save (or replace) a named view of a journey page: its query string."""
        return stored.save_view(self.store, name, journey, query)

    def views(self, journey: str | None = None) -> list[SavedView]:
        """The saved views (of ``journey``), by name."""
        return stored.list_views(self.store, journey)

    def delete_view(self, name: str) -> None:
        """Delete the saved view ``name``."""
        stored.delete_view(self.store, name)
