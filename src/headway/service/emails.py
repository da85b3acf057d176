"""Emails: the registry (emails and their links), statistics, journeys and suppressions."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from headway.model.emails import Email, EmailLink
from headway.service.base import ServiceBase
from headway.store import emails

# The email engine modules load where they are used (their SQL is parsed on import), so that
# a report that reads no email (``headway funnel``) does not pay for them at start-up.
if TYPE_CHECKING:
    from headway.engine.diagnostics.email_influence import EmailInfluence
    from headway.engine.diagnostics.email_journeys import EmailStages, JourneyEngagement
    from headway.engine.email.queries import StatsQuery
    from headway.engine.email.stats import EmailStatsReport
    from headway.engine.email.suppression import Suppression
    from headway.engine.options import ReportOptions
    from headway.model.journey import Journey


class EmailService(ServiceBase):
    """What ``headway emails``, the emails API and the email pages read and write."""

    # -- the registry (docs/emails.md) --------------------------------------------------
    def register_email(
        self,
        id: str,
        name: str,
        subject: str | None = None,
        campaign: str | None = None,
        kind: str = "newsletter",
        send_time: datetime | None = None,
    ) -> Email:
        """Register an email (its id is the activities' ``email`` property)."""
        return emails.register_email(self.store, id, name, subject, campaign, kind, send_time)

    def add_email_link(
        self, email_id: str, url: str, label: str | None = None, honeypot: bool = False
    ) -> str:
        """Register a link of an email; its link id."""
        return emails.add_link(self.store, email_id, url, label, honeypot)

    def email(self, email_id: str) -> Email:
        """The registered email ``email_id`` (NotFound otherwise)."""
        return emails.get_email(self.store, email_id)

    def find_email(self, email_id: str) -> Email | None:
        """The registered email ``email_id``, or None."""
        return emails.find_email(self.store, email_id)

    def emails(self) -> list[Email]:
        """Every registered email."""
        return emails.list_emails(self.store)

    def email_links(self, email_id: str) -> list[EmailLink]:
        """The registered links of an email."""
        return emails.list_links(self.store, email_id)

    def email_link(self, email_id: str, link_id: str) -> EmailLink | None:
        """One registered link of an email, or None."""
        return emails.get_link(self.store, email_id, link_id)

    # -- reports -----------------------------------------------------------------------
    def email_stats(self, query: StatsQuery | None = None) -> EmailStatsReport:
        """Delivery, open, click, bounce and unsubscribe counts and rates, links and timing."""
        from headway.engine.email.stats import email_stats

        return email_stats(self.backend, query)

    def email_stages(self, journey: Journey, email_id: str, opts: ReportOptions) -> EmailStages:
        """How many recipients of the email were at each stage of ``journey`` when delivered."""
        from headway.engine.diagnostics.email_journeys import email_stages

        return email_stages(self.backend, self.cache.match(journey, opts), email_id)

    def email_journey_stages(self, email_id: str, opts: ReportOptions) -> list[EmailStages]:
        """For each stored journey (those with an error left out): the stage the email's
        recipients were at when it reached them."""
        return [
            self.email_stages(self.journey(s.name), email_id, opts)
            for s in self.journeys()
            if s.error is None
        ]

    def email_influences(
        self, email_id: str, opts: ReportOptions, *, days: int = 7, human: bool = True
    ) -> list[EmailInfluence]:
        """Per stored journey (those with an error left out): how the email's recipients at
        each stage moved on within ``days``, by engagement."""
        from headway.engine.diagnostics.email_influence import email_influence

        return [
            email_influence(
                self.backend,
                self.journey(s.name),
                opts,
                email_id,
                days=days,
                human=human,
                matcher=self.cache.match,
            )
            for s in self.journeys()
            if s.error is None
        ]

    def journey_engagement(
        self, journey: Journey, opts: ReportOptions, human: bool = True
    ) -> JourneyEngagement:
        """Email engagement of the contacts whose best attempt stops at each stage."""
        from headway.engine.diagnostics.email_journeys import journey_engagement

        return journey_engagement(self.backend, self.cache.match(journey, opts), human)

    def suppressions(self, contact: str | None = None) -> list[Suppression]:
        """Suppressed contacts (unsubscribed, hard-bounced, complained, erased) with reasons."""
        from headway.engine.email.suppression import suppressions

        return suppressions(self.backend, contact)
