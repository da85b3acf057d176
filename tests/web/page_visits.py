"""Page visits for dashboard tests: each contact's URLs an hour apart from 2025-06-01."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

T0 = datetime(2025, 6, 1)


def page_visits(visits: dict[str, list[str]]) -> list[dict[str, Any]]:
    """Activities of ``visits`` (contact → URLs): the n-th URL at T0 + n hours."""
    return [
        {
            "contact": c,
            "type": "page_visit",
            "ts": (T0 + timedelta(hours=h)).isoformat() + "Z",
            "properties": {"url": url},
        }
        for c, urls in visits.items()
        for h, url in enumerate(urls)
    ]
