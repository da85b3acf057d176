"""RudderStack's event stream as Headway activities: RudderStack follows Segment's spec.

Its messages (``track``, ``page``, ``screen``, ``identify``, ``group``, ``alias``, with
``userId``/``anonymousId``, ``messageId``, ``timestamp``, ``properties``, ``traits``,
``context``) are mapped exactly as ``presets/segment.py`` maps Segment's, labelled with source
``rudderstack``; RudderStack's extra envelope fields (``channel``, ``rudderId``, ...) are left
out like Segment's.
"""

from __future__ import annotations

from typing import Any

from headway.ingest.presets import Mapped
from headway.ingest.presets.segment import map_message

SOURCE = "rudderstack"


def map_record(raw: dict[str, Any]) -> Mapped:
    """One RudderStack message as Headway's activity, identity claims and attributes."""
    return map_message(raw, source=SOURCE)
