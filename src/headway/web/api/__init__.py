"""The REST API under ``/api/v1``: one module per resource, each defining ``router``.

Routes are declared relative to ``/api/v1`` (``APIRouter(tags=[...])`` and paths such as
``/activities``); ``api_router`` mounts them all under the prefix.
"""

from __future__ import annotations

import sys

from fastapi import APIRouter

from headway.web.discovery import package_routers

PREFIX = "/api/v1"


def api_router() -> APIRouter:
    """Every API module's routes under ``/api/v1``."""
    root = APIRouter(prefix=PREFIX)
    for router in package_routers(sys.modules[__name__]):
        root.include_router(router)
    return root
