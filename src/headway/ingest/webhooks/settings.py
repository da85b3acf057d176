"""Settings of the ESP webhook adapters (secrets, public keys, tolerances)."""

from __future__ import annotations

from pydantic import BaseModel


class WebhookSettings(BaseModel):
    """Per-provider webhook settings; a provider without settings is disabled."""
