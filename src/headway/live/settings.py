"""Settings of live journeys: the update worker's batching and the stall scheduler."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class LiveSettings(BaseModel):
    """How ``headway serve`` keeps live journeys current (docs/live.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Off: no worker or scheduler runs; live journeys' state is not kept current.
    enabled: bool = True
    # The worker gathers the contacts of appends for this long before one update.
    batch_seconds: float = Field(default=0.05, ge=0, le=60)
    # How often the scheduler looks for stalled contacts and closed windows.
    stall_check_seconds: float = Field(default=60.0, gt=0, le=86_400)
    # How often the scheduler looks for journeys turned live or edited (a new version).
    sync_seconds: float = Field(default=1.0, gt=0, le=3_600)
