"""What every part of the service reaches: the store, the backend and the match cache."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from headway.backends.base import Backend
    from headway.fresh_matches import FreshMatches
    from headway.match_cache import MatchCache
    from headway.model.journey import Journey
    from headway.store import Store


class ServiceBase:
    """The state ``Headway`` holds, named for the parts of the service that use it."""

    backend: Backend
    cache: MatchCache | FreshMatches

    @property
    def store(self) -> Store:
        """The DuckDB store (``Headway`` answers it, or says the backend has none)."""
        raise NotImplementedError

    def journey(self, ref: Any) -> Journey:
        """A journey from a Journey, a mapping, a file path or a stored name (``Headway``'s)."""
        raise NotImplementedError

    def journeys(self) -> list[Any]:
        """The stored journeys, with the error of one that no longer validates (``Headway``'s)."""
        raise NotImplementedError
