"""The ASGI app factory: one FastAPI app holding the store and the settings."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from headway import __version__
from headway.api import Headway, Store
from headway.match_cache import preload_engine
from headway.settings import Settings
from headway.web.api import api_router
from headway.web.assets import mount_assets
from headway.web.auth import install_auth
from headway.web.dashboard import dashboard_router
from headway.web.errors import BodySizeLimit, install_error_handlers
from headway.web.rate_limits import RateLimit
from headway.web.request_budget import RequestBudget
from headway.web.sdk import sdk_router
from headway.web.security_headers import SecurityHeaders
from headway.web.templating import compile_templates
from headway.web.tracking import flush_tracking
from headway.web.tracking import router as tracking_router
from headway.web.webhooks import router as webhooks_router


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    # Before the first request: the page templates and the saved matches of the journeys'
    # default view (read, or extended by a few contacts; never a full match). Then, while
    # serving, what a first match would wait for: the compiled matcher and pandas.
    await asyncio.to_thread(_warm, app)
    threading.Thread(target=preload_engine, name="headway-preload", daemon=True).start()
    actions = app.state.settings.actions  # journey actions: deliveries, syncs, digests
    worker = app.state.headway.start_actions(actions) if actions.worker else None
    live = app.state.settings.live  # live journeys: stage state kept current on ingest
    if live.enabled:
        app.state.headway.start_live(
            batch_seconds=live.batch_seconds,
            stall_check_seconds=live.stall_check_seconds,
            sync_seconds=live.sync_seconds,
        )
    yield
    if worker is not None:
        await asyncio.to_thread(worker.stop)  # in-flight deliveries end within their timeout
    await flush_tracking(app)  # the repeats of open dedupe windows (web/tracking_dedupe.py)
    if live.enabled:  # last: the appends above are applied too (queued updates first)
        await asyncio.to_thread(app.state.headway.stop_live)


def _warm(app: FastAPI) -> None:
    compile_templates()
    try:
        app.state.headway.warm_saved_matches()
    except Exception:  # only a head start: the first view then reads or matches on its own
        logging.getLogger(__name__).warning("saved matches not preloaded", exc_info=True)


def create_app(store: Store, settings: Settings) -> FastAPI:
    """The Headway web app on ``store`` with ``settings`` (both kept on ``app.state``)."""
    app = FastAPI(
        title="Headway",
        version=__version__,
        docs_url=None,  # /api/docs is served offline by headway.web.assets
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=_lifespan,
    )
    app.state.store = store
    app.state.settings = settings
    # Reports for the API and the dashboard; matches reused until the next write.
    app.state.headway = Headway(store, cache_bytes=settings.report_cache_bytes)
    tracking = settings.tracking
    app.state.signer = tracking.signer() if tracking.enabled and tracking.keys else None
    install_error_handlers(app)
    install_auth(app)  # API keys, login sessions, the CSRF cookie
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestBudget, seconds=settings.request_budget_seconds)  # 503 in time
    app.add_middleware(RateLimit, settings=settings.rate_limits)  # outside: 429 before reading
    app.add_middleware(SecurityHeaders)  # outermost: on every answer, refusals included
    if proxies := list(settings.http.trusted_proxies):  # outermost: all see the real client
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=proxies)
    app.include_router(webhooks_router)
    app.include_router(sdk_router())  # Segment / RudderStack / PostHog wire protocols
    app.include_router(tracking_router)
    app.include_router(api_router())
    app.include_router(dashboard_router())
    mount_assets(app)

    @app.get("/health", include_in_schema=False)
    def health() -> dict[str, str]:
        """Liveness probe: the server answers."""
        return {"status": "ok"}

    return app
