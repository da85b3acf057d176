"""Static assets: our CSS/JS, Plotly's JS (``plotly``) and Swagger UI (``fastapi-offline``)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

from headway.web.security_headers import inline_script_csp

STATIC_DIR = Path(str(resources.files("headway.web") / "static"))
PLOTLY_JS = Path(str(resources.files("plotly") / "package_data" / "plotly.min.js"))
PLOTLY_URL = "/static/vendor/plotly.min.js"
# Swagger UI for /api/docs, from the fastapi-offline package (no CDN either).
SWAGGER_DIR = Path(str(resources.files("fastapi_offline") / "static"))
SWAGGER_JS_URL = "/static/vendor/swagger-ui-bundle.js"
SWAGGER_CSS_URL = "/static/vendor/swagger-ui.css"

router = APIRouter(include_in_schema=False)


@router.get(PLOTLY_URL)
def plotly_js() -> FileResponse:
    """The installed plotly package's own plotly.min.js (no CDN: the dashboard works offline)."""
    return FileResponse(
        PLOTLY_JS,
        media_type="text/javascript",
        headers={"Cache-Control": "public, max-age=86400"},
    )


@router.get(SWAGGER_JS_URL)
def swagger_js() -> FileResponse:
    """Swagger UI's JavaScript bundle, from the installed package."""
    return FileResponse(SWAGGER_DIR / "swagger-ui-bundle.js", media_type="text/javascript")


@router.get(SWAGGER_CSS_URL)
def swagger_css() -> FileResponse:
    """Swagger UI's stylesheet, from the installed package."""
    return FileResponse(SWAGGER_DIR / "swagger-ui.css", media_type="text/css")


@router.get("/api/docs")
def api_docs() -> HTMLResponse:
    """The API's interactive documentation (Swagger UI over /api/openapi.json), offline."""
    page = get_swagger_ui_html(
        openapi_url="/api/openapi.json",
        title="Headway API",
        swagger_js_url=SWAGGER_JS_URL,
        swagger_css_url=SWAGGER_CSS_URL,
        swagger_favicon_url="/static/favicon.svg",
    )
    # Its start-up call is an inline script: allowed by its hash, nothing else inline.
    page.headers["Content-Security-Policy"] = inline_script_csp(bytes(page.body).decode())
    return page


@router.get("/favicon.ico")
def favicon() -> FileResponse:
    """The Headway icon (browsers ask for /favicon.ico on their own)."""
    return FileResponse(STATIC_DIR / "favicon.svg", media_type="image/svg+xml")


def mount_assets(app: FastAPI) -> None:
    """Serve Plotly's JS and our static directory under ``/static``."""
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
