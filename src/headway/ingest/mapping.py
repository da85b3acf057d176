"""Which file columns hold the activity fields (``--contact-col`` and friends)."""

from __future__ import annotations

from dataclasses import dataclass

# Columns recognised by name in every file (an export has exactly these).
PASSTHROUGH = ("properties", "bot", "bot_reason", "source")


@dataclass(frozen=True)
class ColumnMapping:
    """File column names for the required and optional activity fields."""

    contact: str = "contact"
    type: str = "type"
    ts: str = "ts"
    id: str = "id"

    def required(self) -> dict[str, str]:
        """Activity field -> file column, for the fields every file must have."""
        return {"contact": self.contact, "type": self.type, "ts": self.ts}

    def mapped(self) -> set[str]:
        """Every file column that is not a property."""
        return {self.contact, self.type, self.ts, self.id, *PASSTHROUGH}


def flag_for(field: str) -> str:
    """The CLI flag that maps ``field`` to another column."""
    return f"--{field}-col"
