"""The flow view between two stages (docs/reports.md "Flow"): what contacts did in between."""

from __future__ import annotations

from typing import Any

from headway.engine.funnel.contact_lists import resolve_stage
from headway.engine.funnel.flows import DEFAULT_STEPS, DEFAULT_TOP, FlowReport, flow_report
from headway.service.segments import Filters, SegmentService, When


class FlowService(SegmentService):
    """The Sankey data of a stage and the next one."""

    def flow(
        self,
        journey: Any,
        stage: str | int = 1,
        *,
        steps: int = DEFAULT_STEPS,
        top: int = DEFAULT_TOP,
        human: bool = True,
        sends: bool = False,
        as_of: When = None,
        date_range: Any = None,
        segment: Filters = None,
    ) -> FlowReport:
        """What the contacts who reached ``stage`` did before the next stage (or, for those
        who dropped or are in progress, until their window closed): first ``steps`` steps,
        ``top`` labels per step (the rest as Other), each ending at its outcome; email sends
        and deliveries are left out unless ``sends``."""
        j = self.journey(journey)
        opts = self._options(as_of, date_range, segment)
        k = resolve_stage(j, stage)
        matched = self.cache.match(j, opts)
        return flow_report(self.backend, matched, k, steps=steps, top=top, human=human, sends=sends)
