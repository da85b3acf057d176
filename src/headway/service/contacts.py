"""Contacts: one contact's record, its timeline, and its place in every stored journey."""

from __future__ import annotations

from typing import Any

from headway.engine.funnel.contact_journeys import ContactJourney, contact_journey
from headway.engine.options import ReportOptions
from headway.model.journey import Journey
from headway.service.base import ServiceBase
from headway.store import contacts


class ContactService(ServiceBase):
    """What the contact page, the contacts API and ``headway contacts`` read."""

    def contact(self, contact_id: str) -> dict[str, Any] | None:
        """The contact's id, email, attributes, subscription, created_at, activity count and
        span (its merged ids' activities included); None for an unknown contact."""
        return contacts.get_contact(self.store, contact_id)

    def contact_updated_at(self, contact_id: str) -> Any:
        """When the contact's record last changed (None: there is no such contact)."""
        return contacts.contact_updated_at(self.store, contact_id)

    def contact_timeline(self, contact_id: str, limit: int | None = None) -> list[dict[str, Any]]:
        """The contact's activities (merged ids' too) by time, with parsed properties."""
        return contacts.contact_timeline(self.store, contact_id, limit)

    def timeline_page(
        self,
        contact_id: str,
        *,
        types: list[str] | None = None,
        order: str = "newest",
        limit: int = 100,
        offset: int = 0,
    ) -> tuple[int, list[dict[str, Any]]]:
        """How many activities of the contact have one of ``types``, and one page of them."""
        return contacts.timeline_page(
            self.store, contact_id, types=types, order=order, limit=limit, offset=offset
        )

    def contact_journey(
        self, journey: Journey, contact_id: str, opts: ReportOptions
    ) -> ContactJourney:
        """Where one contact stands in ``journey`` and which activities reached its stages."""
        return contact_journey(self.backend, journey, contact_id, opts)

    def contact_journeys(self, contact_id: str, opts: ReportOptions) -> list[ContactJourney]:
        """The contact's place in every stored journey (one with an error is left out)."""
        return [
            self.contact_journey(self.journey(s.name), contact_id, opts)
            for s in self.journeys()
            if s.error is None
        ]
