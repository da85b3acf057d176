"""What the auth and CSRF tests share: an app with test-only routes and a cookie-keeping client."""

from __future__ import annotations

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, Any

import httpx
from fastapi import Depends, FastAPI, Request

from headway.settings import Settings
from headway.store import Store
from headway.store.api_keys import Principal
from headway.web.app import create_app
from headway.web.auth import page_scope, require_scope
from headway.web.csrf import csrf_token, verify_csrf


def auth_app(store: Store, settings: Settings | None = None) -> FastAPI:
    """The real app plus routes guarded by each scope, as the API and pages will be."""
    app = create_app(store, settings or Settings(tracking={"enabled": False}))

    for scope in ("read", "ingest", "admin"):
        dependency = Depends(require_scope(scope))

        @app.get(f"/api/v1/test/{scope}")
        def api_get(who: Principal = dependency) -> dict[str, str]:
            return {"key": who.key_id}

        @app.post(f"/api/v1/test/{scope}")
        def api_post(who: Principal = dependency) -> dict[str, str]:
            return {"key": who.key_id, "changed": "yes"}

    @app.get("/test/page")
    def page(who: Annotated[Principal, Depends(page_scope("read"))]) -> dict[str, str]:
        return {"key": who.key_id}

    @app.get("/test/admin-page")
    def admin_page(who: Annotated[Principal, Depends(page_scope("admin"))]) -> dict[str, str]:
        return {"key": who.key_id}

    @app.get("/test/token")
    def token(request: Request) -> dict[str, str]:
        return {"token": csrf_token(request)}

    @app.post("/test/form", dependencies=[Depends(verify_csrf)])
    async def form(who: Annotated[Principal, Depends(page_scope("read"))]) -> dict[str, str]:
        return {"key": who.key_id, "changed": "yes"}

    return app


class Browser:
    """An in-process client that keeps cookies like a browser (and can come from anywhere)."""

    def __init__(self, app: FastAPI, client: tuple[str, int] = ("127.0.0.1", 50000)) -> None:
        self.app = app
        self.client = client
        self.cookies: dict[str, str] = {}

    def request(self, method: str, url: str, **kw: Any) -> httpx.Response:
        """Send a request with the kept cookies; keep what the answer sets."""
        headers = dict(kw.pop("headers", None) or {})
        if self.cookies and "cookie" not in {h.lower() for h in headers}:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())

        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(
                app=self.app, raise_app_exceptions=False, client=self.client
            )
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
                return await c.request(method, url, headers=headers, **kw)

        # In a worker thread: Playwright's sync API (browser tests in the same session) keeps
        # an event loop running on the main thread, where asyncio.run would refuse to start.
        with ThreadPoolExecutor(1) as pool:
            response = pool.submit(asyncio.run, go()).result()
        for header in response.headers.get_list("set-cookie"):
            self._keep(header)
        return response

    def get(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("GET", url, **kw)

    def post(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("POST", url, **kw)

    def _keep(self, header: str) -> None:
        name, _, rest = header.partition("=")
        value = rest.split(";", 1)[0]
        if "max-age=0" in header.lower() or "expires=thu, 01 jan 1970" in header.lower():
            self.cookies.pop(name, None)
        else:
            self.cookies[name] = value.strip('"')


def form_token(html: str) -> str:
    """The CSRF token of the first form on a page."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def log_in(browser: Browser, key: str, next_path: str = "/") -> httpx.Response:
    """Log ``browser`` in through the login form, as a person would."""
    token = form_token(browser.get("/login").text)
    data = {"api_key": key, "next": next_path, "csrf_token": token}
    return browser.post("/login", data=data)


def set_cookie(response: httpx.Response, name: str) -> str:
    """The ``Set-Cookie`` header of ``name`` in ``response``."""
    found = [h for h in response.headers.get_list("set-cookie") if h.startswith(f"{name}=")]
    assert found, f"{name} was not set"
    return found[0]
