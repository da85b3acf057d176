"""The Data page: what the activity log holds (docs/discovery.md).

Every activity type with its activities, contacts and first/last seen; for a chosen type,
its property paths with fill rate, JSON types and top values. ``/data/catalog.json`` feeds
the journey editor's suggestions (types, paths, values). All from ``Headway.types`` and
``Headway.properties``, the same as ``headway types`` / ``headway properties``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from headway.api import Headway
from headway.web.auth import page_scope
from headway.web.dashboard._formats import FMT
from headway.web.templating import render

router = APIRouter()


def _hw(request: Request) -> Headway:
    return request.app.state.headway  # type: ignore[no-any-return]


@router.get("/data")
def data_page(
    request: Request, type: str | None = None, _: Any = Depends(page_scope("read"))
) -> Response:
    """Every activity type; the chosen type's property paths, fill rates and top values."""
    hw = _hw(request)
    types = hw.types()
    chosen = type if type is not None and any(t.name == type for t in types) else None
    properties = hw.properties(chosen, top=10) if chosen is not None else []
    context = {
        "nav": "data",
        "types": types,
        "chosen": chosen,
        "asked": type,
        "properties": properties,
        "fmt": FMT,
    }
    return render(request, "data.html", context)


@router.get("/data/catalog.json")
def catalog_json(request: Request, _: Any = Depends(page_scope("read"))) -> dict[str, Any]:
    """Types, and per type its paths with their top values: the editor's suggestions."""
    hw = _hw(request)
    paths: dict[str, list[dict[str, Any]]] = {}
    for p in hw.properties(top=20):
        values = [v.value for v in p.top_values]
        paths.setdefault(p.type, []).append({"path": p.path, "values": values})
    return {"types": [t.name for t in hw.types()], "paths": paths}
