"""Static assets: our own CSS/JS from the package, Plotly's JavaScript from ``plotly``."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(str(resources.files("headway.web") / "static"))
PLOTLY_JS = Path(str(resources.files("plotly") / "package_data" / "plotly.min.js"))
PLOTLY_URL = "/static/vendor/plotly.min.js"

router = APIRouter(include_in_schema=False)


@router.get(PLOTLY_URL)
def plotly_js() -> FileResponse:
    """The installed plotly package's own plotly.min.js (no CDN: the dashboard works offline)."""
    return FileResponse(
        PLOTLY_JS,
        media_type="text/javascript",
        headers={"Cache-Control": "public, max-age=86400"},
    )


@router.get("/favicon.ico")
def favicon() -> FileResponse:
    """The Headway icon (browsers ask for /favicon.ico on their own)."""
    return FileResponse(STATIC_DIR / "favicon.svg", media_type="image/svg+xml")


def mount_assets(app: FastAPI) -> None:
    """Serve Plotly's JS and our static directory under ``/static``."""
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
