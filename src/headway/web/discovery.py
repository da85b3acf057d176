"""Routers found by convention: every module of a package that defines ``router`` is mounted.

The API (``headway.web.api``) and the dashboard (``headway.web.dashboard``) are packages of
small modules, one per concept; adding a module with a ``router`` adds its routes.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

from fastapi import APIRouter


def package_routers(package: ModuleType) -> list[APIRouter]:
    """The ``router`` of every module in ``package``, in module-name order."""
    routers = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        router = getattr(module, "router", None)
        if isinstance(router, APIRouter):
            routers.append(router)
    return routers
