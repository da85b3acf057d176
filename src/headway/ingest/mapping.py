"""Which file columns hold the activity fields (``--map``, ``--contact-col`` and friends)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from headway.errors import InvalidInput

# Columns recognised by name in every file (an export has exactly these).
PASSTHROUGH = ("properties", "bot", "bot_reason", "source")
MAP_FIELDS = ("contact", "type", "ts", "id", "anonymous")


@dataclass(frozen=True)
class ColumnMapping:
    """File column names for the required and optional activity fields.

    ``anonymous`` (optional) names a column with an anonymous id: rows without a contact
    count for it, and a row with both ties it to the contact (``--from csv``).
    """

    contact: str = "contact"
    type: str = "type"
    ts: str = "ts"
    id: str = "id"
    anonymous: str | None = None

    def required(self) -> dict[str, str]:
        """Activity field -> file column, for the fields every file must have."""
        return {"contact": self.contact, "type": self.type, "ts": self.ts}

    def mapped(self) -> set[str]:
        """Every file column that is not a property."""
        return {self.contact, self.type, self.ts, self.id, *PASSTHROUGH}


def parse_map(rules: list[str], base: ColumnMapping | None = None) -> ColumnMapping:
    """``--map contact=COL,type=COL,...`` (repeatable) applied over ``base``."""
    mapping = base or ColumnMapping()
    given: dict[str, str] = {}
    for rule in rules:
        for part in rule.split(","):
            field, sep, column = part.partition("=")
            field, column = field.strip(), column.strip()
            if not sep or field not in MAP_FIELDS or not column:
                raise InvalidInput(
                    f"--map {part.strip()!r} is not FIELD=COLUMN with FIELD one of: "
                    f"{', '.join(MAP_FIELDS)} (for example --map contact=user_id,ts=time)"
                )
            if field in given and given[field] != column:
                raise InvalidInput(
                    f"--map names two columns for {field}: {given[field]!r}, {column!r}"
                )
            given[field] = column
    return replace(mapping, **given)
