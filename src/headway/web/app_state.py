"""What routes take from the app: its ``Headway`` (reports, cache) and stored journeys."""

from __future__ import annotations

from fastapi import Request

from headway.api import Headway
from headway.model.journey import Journey


def app_headway(request: Request) -> Headway:
    """The app's ``Headway``: the store, the backend and the match cache every route shares."""
    headway: Headway = request.app.state.headway
    return headway


def stored_journey(request: Request, name: str) -> Journey:
    """The latest version of the stored journey ``name`` (never a file on the server)."""
    return app_headway(request).stored_journey(name)[0]
