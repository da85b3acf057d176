"""Source presets: how each tool's export (and wire protocol) maps onto Headway's activities.

A preset turns one raw record of a tool's export (a Segment track call, a PostHog event, a
GA4 BigQuery row, ...) into a ``Mapped``: the activities it carries (canonical activity
records, as ``ingest/records.py`` validates them), the identity claims it makes (an anonymous
id tied to a known one) and the contact attributes it sets. File import (``--from``) and the
SDK endpoints (``web/sdk/``) use the same presets, so a tool's data means the same whichever
way it arrives.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# The tools whose exports ``headway import --from`` reads (``ingest/tool_exports.py``).
PRESETS = ("segment", "rudderstack", "posthog", "mixpanel", "amplitude", "ga4", "csv")


@dataclass(frozen=True)
class IdentityClaim:
    """``alias`` (an anonymous or earlier id) is the same person as ``contact`` from ``at`` on.

    ``activity_id`` names the record that made the claim (an identify call, an alias call, a
    ``$identify`` event), ``source`` the tool.
    """

    alias: str
    contact: str
    at: datetime
    activity_id: str | None = None
    source: str = "import"


@dataclass
class Mapped:
    """What one raw record of a tool's export contributes."""

    activities: list[dict[str, Any]] = field(default_factory=list)
    identities: list[IdentityClaim] = field(default_factory=list)
    attributes: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
