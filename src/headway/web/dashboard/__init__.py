"""The dashboard: server-rendered pages, one module per page family, each defining ``router``.

Templates live in ``headway/web/templates`` (Jinja2, autoescaped); our own CSS and JS in
``headway/web/static``; Plotly's JavaScript is served from the installed ``plotly`` package
(see ``headway.web.assets``), so the dashboard works offline.
"""

from __future__ import annotations

import sys

from fastapi import APIRouter

from headway.web.discovery import package_routers


def dashboard_router() -> APIRouter:
    """Every dashboard module's routes."""
    root = APIRouter(include_in_schema=False)
    for router in package_routers(sys.modules[__name__]):
        root.include_router(router)
    return root
