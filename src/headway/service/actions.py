"""Journey actions (docs/actions.md): subscriptions and their deliveries, cohort syncs,
holdout uplift, digests, and the worker that runs them in ``headway serve``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, cast

from headway.actions import subscriptions
from headway.actions.subscriptions import DEFAULT_HOLDOUT, Subscription
from headway.engine.funnel.contact_lists import STATUSES, resolve_stage
from headway.engine.options import utc_now
from headway.errors import Detail, InvalidInput
from headway.service.base import ServiceBase

# The action modules (HTTP and SMTP clients, settings, the worker) load where they are used,
# so that a report (``headway funnel``) does not pay for them at start-up.
if TYPE_CHECKING:
    from headway.actions.cohort_sync import CohortSync
    from headway.actions.delivery import Delivery
    from headway.actions.digest import Digest
    from headway.actions.holdouts import Uplift
    from headway.actions.settings import ActionSettings
    from headway.actions.worker import ActionWorker
    from headway.api import Headway
    from headway.engine.funnel.report import FunnelReport


class ActionService(ServiceBase):
    """What Headway does when contacts move: webhooks, files, cohort syncs, holdouts, digests."""

    def _hw(self) -> Headway:
        return cast("Headway", self)

    # -- subscriptions -----------------------------------------------------------------
    def subscribe(
        self,
        journey: str,
        kinds: Sequence[str],
        *,
        target: str = "webhook",
        url: str | None = None,
        path: str | None = None,
        stage: str | None = None,
        holdout: float = DEFAULT_HOLDOUT,
        files_dir: Path | None = None,
    ) -> Subscription:
        """Send ``journey``'s events of ``kinds`` to a signed webhook (``url``) or append them
        to a JSON Lines file (``path``, inside ``files_dir``: default the ``actions``
        directory beside the database), holding out a share of the contacts."""
        j = self._hw().journey(journey)  # NotFound names an unknown journey
        if stage is not None:
            stage = j.stages[resolve_stage(j, stage)].name
        return subscriptions.create(
            self.store, j.name, tuple(kinds), target=target, url=url, path=path, stage=stage,
            holdout=holdout, files_dir=files_dir or self._files_dir(), now=utc_now(),
        )  # fmt: skip

    def _files_dir(self) -> Path:
        return self.store.path.resolve().parent / "actions"

    def subscriptions(self, journey: str | None = None) -> list[Subscription]:
        """The active subscriptions (of one journey)."""
        return subscriptions.active(self.store, journey)

    def subscription(self, sub_id: str) -> Subscription:
        """One subscription by id."""
        return subscriptions.get(self.store, sub_id)

    def remove_subscription(self, sub_id: str) -> None:
        """Stop a subscription (its deliveries and holdout records stay)."""
        subscriptions.delete(self.store, sub_id, utc_now())

    # -- deliveries --------------------------------------------------------------------
    def deliveries(
        self,
        *,
        status: str | None = None,
        subscription: str | None = None,
        journey: str | None = None,
        limit: int = 100,
    ) -> list[Delivery]:
        """Deliveries newest first (``status="dead"``: the dead-letter list)."""
        from headway.actions import delivery

        return delivery.listing(
            self.store, status=status, subscription=subscription, journey=journey, limit=limit
        )

    def delivery_counts(self) -> dict[str, int]:
        """Deliveries per status (pending, delivered, dead)."""
        from headway.actions import delivery

        return delivery.counts(self.store)

    def replay_delivery(self, subscription_id: str, event_id: str) -> None:
        """Send one delivery again (the same webhook-id: receivers may drop a repeat)."""
        from headway.actions import delivery

        delivery.replay(self.store, subscription_id, event_id, utc_now())

    def replay_dead(self, subscription_id: str | None = None) -> int:
        """Send every dead delivery (of one subscription) again; how many."""
        from headway.actions import delivery

        return delivery.replay_dead(self.store, utc_now(), subscription_id)

    def deliver_now(self, settings: ActionSettings | None = None) -> dict[str, int]:
        """Fan out new events and make one attempt at every due delivery (waits for them);
        the deliveries per status after it (``headway actions deliver``)."""
        from headway.actions import delivery
        from headway.actions.delivery import Deliverer
        from headway.actions.fanout import fan_out
        from headway.actions.settings import ActionSettings

        chosen = settings or ActionSettings()
        fan_out(self.store, utc_now())
        sender = Deliverer(self.store, chosen, utc_now)
        try:
            sender.drain()
        finally:
            sender.close()
        return delivery.counts(self.store)

    # -- cohort syncs ------------------------------------------------------------------
    def add_cohort_sync(
        self,
        journey: str,
        stage: str,
        status: str = "stalled",
        *,
        every: str = "1h",
        format: str = "csv",
        path: str | None = None,
        url: str | None = None,
        holdout: float = DEFAULT_HOLDOUT,
        files_dir: Path | None = None,
    ) -> CohortSync:
        """Keep a step's contacts (by status) in a file or an endpoint, every ``every``."""
        from headway.actions import cohort_sync

        j = self._hw().journey(journey)
        name = j.stages[resolve_stage(j, stage)].name
        if status not in STATUSES:
            raise InvalidInput(f"status must be one of {', '.join(STATUSES)}", [Detail(
                f"{status!r} is not a status", field="status")])  # fmt: skip
        return cohort_sync.create(
            self.store, j.name, name, status, every=every, format=format, path=path, url=url,
            holdout=holdout, files_dir=files_dir or self._files_dir(), now=utc_now(),
        )  # fmt: skip

    def cohort_syncs(self) -> list[CohortSync]:
        """The active cohort syncs."""
        from headway.actions import cohort_sync

        return cohort_sync.active(self.store)

    def remove_cohort_sync(self, sync_id: str) -> None:
        """Stop a cohort sync."""
        from headway.actions import cohort_sync

        cohort_sync.delete(self.store, sync_id, utc_now())

    def run_cohort_sync(self, sync_id: str, settings: ActionSettings | None = None) -> CohortSync:
        """Write or push a cohort now; the sync with its new last run."""
        from headway.actions import cohort_sync
        from headway.actions.settings import ActionSettings

        chosen = settings or ActionSettings()
        sync = cohort_sync.get(self.store, sync_id)
        cohort_sync.run(self.store, sync, self._members, utc_now(),
                        page_size=chosen.page_size, timeout=chosen.timeout_seconds)  # fmt: skip
        return cohort_sync.get(self.store, sync_id)

    def _members(self, journey: str, stage: str, status: str) -> tuple[int, list[str]]:
        listed = self._hw().contacts(journey, stage, status)
        return listed.stage, [c.contact for c in listed.contacts]

    # -- holdouts ----------------------------------------------------------------------
    def uplift(self, journey: str) -> list[Uplift]:
        """Per action of ``journey`` and stage it targeted: treated vs held-out progress to
        the next stage, the difference, the uplift's 95 % interval and its p-value."""
        from headway.actions.holdouts import uplift

        hw = self._hw()
        j = hw.journey(journey)
        names = [s.name for s in j.stages]
        rows = self.store.execute(
            "SELECT action_id, stage, contact, held_out FROM action_holdouts WHERE journey = ? "
            "ORDER BY action_id, stage",
            [j.name],
        ).rows
        groups: dict[tuple[str, int], list[tuple[str, bool]]] = {}
        for action, stage, contact, out in rows:
            if 1 <= int(stage) < len(names):  # a next stage to progress to
                groups.setdefault((str(action), int(stage)), []).append((str(contact), bool(out)))
        reached: dict[int, set[str]] = {}

        def advanced(k: int) -> set[str]:
            if k not in reached:
                listed = hw.contacts(j, k, "reached")
                reached[k] = {c.contact for c in listed.contacts}
            return reached[k]

        return [uplift(a, s, names, targeted, advanced) for (a, s), targeted in groups.items()]

    # -- digests -----------------------------------------------------------------------
    def digest(self, journey: str, settings: ActionSettings | None = None) -> Digest:
        """Compute ``journey``'s digest for the period ending now, mail it when SMTP is
        configured, and keep it (``headway actions digest``)."""
        from headway.actions import digest
        from headway.actions.settings import ActionSettings

        chosen = settings or ActionSettings()
        name = self._hw().journey(journey).name
        return digest.make(self.store, name, self._period_funnel, chosen.digest, utc_now())

    def digests(self, journey: str | None = None, limit: int = 20) -> list[Digest]:
        """The latest digests (of one journey), newest first."""
        from headway.actions import digest

        return digest.latest(self.store, journey, limit)

    def _period_funnel(self, journey: str, start: datetime, end: datetime) -> FunnelReport:
        return self._hw().funnel(journey, as_of=end, date_range=(start, end))

    # -- the worker --------------------------------------------------------------------
    def start_actions(self, settings: ActionSettings) -> ActionWorker:
        """Start the action worker (``headway serve``); ``stop()`` it at shutdown."""
        from headway.actions.worker import ActionWorker

        hw = self._hw()
        worker = ActionWorker(
            self.store, settings, members=self._members, funnel=self._period_funnel,
            journeys=lambda: [j.name for j in hw.journeys() if getattr(j, "error", None) is None],
            clock=utc_now,
        )  # fmt: skip
        hook = getattr(hw, "on_journey_events", None)
        if callable(hook):  # woken right after events are committed (live journeys)
            hook(worker.wake)
        return worker.start()
