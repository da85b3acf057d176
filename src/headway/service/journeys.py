"""Stored journeys: save, read, list versions, delete (docs/journeys.md)."""

from __future__ import annotations

from typing import Any, cast

from headway.errors import HeadwayError
from headway.model.journey import Journey
from headway.service.base import ServiceBase
from headway.store import journeys as stored
from headway.store import saved_matches


class JourneyAdmin(ServiceBase):
    """The journeys saved in the database, by name and version."""

    def save_journey(self, journey: Journey, source_text: str | None = None) -> int:
        """Save ``journey`` (with its YAML/JSON text); the version number it is stored as."""
        return stored.save_journey(self.store, journey, source_text)

    def stored_journey(self, name: str, version: int | None = None) -> tuple[Journey, int]:
        """The stored journey ``name`` (latest or ``version``) and its version number."""
        return stored.get_journey(self.store, name, version)

    def stored_definition(self, name: str, version: int | None = None) -> tuple[Any, int]:
        """The stored definition of ``name`` as saved (even if it no longer validates)."""
        return stored.stored_definition(self.store, name, version)

    def journey_source(self, name: str, version: int) -> str | None:
        """The text ``name`` version ``version`` was saved from (None: saved without one)."""
        return stored.get_source_text(self.store, name, version)

    def journey_versions(self, name: str) -> list[stored.StoredJourney]:
        """Every version of the stored journey ``name``, oldest first."""
        return stored.journey_versions(self.store, name)

    def saved_matches(self) -> list[saved_matches.SavedMatch]:
        """The journey matches saved in the database (docs/python.md#caching)."""
        return saved_matches.listing(self.store.cursor())

    def clear_saved_matches(self) -> int:
        """Drop every saved journey match (the next report matches again); how many."""

        def clear(conn: Any) -> int:
            count = len(saved_matches.listing(conn))
            saved_matches.clear(conn)
            self.store.journaling = False  # nothing saved: writes need not journal
            return count

        return self.store.write(clear, derived=True)

    def warm_saved_matches(self, limit: int = 8) -> int:
        """Read into memory the saved matches of stored journeys' default page view (the
        funnel and weekly trend now), most recently saved first, unless one would be matched
        in full; how many. The server calls this at start-up, so a first view after a restart
        finds them ready."""
        saved = getattr(self.cache, "saved", None)
        if saved is None:
            return 0
        from headway.engine.options import ReportOptions, utc_now
        from headway.saved_match_store import REMATCH_SHARE

        service = cast(Any, self)  # Headway: funnel and trends
        warmed = 0
        for name, key, contacts, touched in saved_matches.recent(self.store.cursor(), limit):
            if touched > REMATCH_SHARE * max(contacts, 1):
                continue  # a full match: left to the first view
            try:
                journey = self.journey(name)
            except HeadwayError:
                continue  # deleted, or no longer valid
            if saved.key(journey, ReportOptions(as_of=utc_now())) != key:
                continue  # another view (a date range), or an earlier version
            service.funnel(journey)
            service.trends(journey, "week")
            warmed += 1
        return warmed

    def delete_journey(self, name: str) -> int:
        """Delete every version of the stored journey ``name``; how many were deleted."""
        return stored.delete_journey(self.store, name)
