"""The wire protocols of the SDKs teams already ship: Segment's HTTP Tracking API (which
RudderStack's SDKs speak too) and PostHog's capture API (docs/sdks.md).

Each module defining ``router`` is mounted at the site's root, where the SDKs post (a client
is configured with the Headway server as its host).
"""

from __future__ import annotations

import sys

from fastapi import APIRouter

from headway.web.discovery import package_routers


def sdk_router() -> APIRouter:
    """Every SDK protocol's routes."""
    root = APIRouter()
    for router in package_routers(sys.modules[__name__]):
        root.include_router(router)
    return root
