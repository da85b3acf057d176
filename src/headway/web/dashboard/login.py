"""The login page: paste an API key with the ``read`` scope to open a dashboard session.

Sessions are signed cookies (HttpOnly, SameSite=Lax) that last 12 hours; logging out ends
the session on the server too. In local mode (no keys) there is nothing to log in to.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from headway.web.auth import safe_next
from headway.web.csrf import verify_csrf
from headway.web.sessions import (
    auth_state,
    check_key,
    current_session,
    end_session,
    start_session,
)
from headway.web.templating import render

router = APIRouter()

INVALID = "That key is not valid: it is unknown, mistyped or revoked."
NO_READ = "That key lacks the read scope the dashboard needs; use a read or admin key."


@router.get("/login")
async def login_page(
    request: Request, next_path: Annotated[str, Query(alias="next")] = "/"
) -> Response:
    """The login form (or, in local mode, a note that no login is needed)."""
    return await _form(request, safe_next(next_path), None)


@router.post("/login")
async def login(request: Request, _: Annotated[None, Depends(verify_csrf)]) -> Response:
    """Check the pasted key and start a session; back to the form with a reason if not."""
    form = await request.form()
    key = str(form.get("api_key") or "").strip()
    next_path = safe_next(str(form.get("next") or "/"))
    principal = await run_in_threadpool(check_key, request, key) if key else None
    # A refused login is the form again with the reason (200: a page, not an API error).
    if principal is None:
        return await _form(request, next_path, INVALID)
    if not principal.allows("read"):
        return await _form(request, next_path, NO_READ)
    response = RedirectResponse(next_path, status_code=303)
    start_session(request, response, principal.key_id)
    return response


@router.post("/logout")
async def logout(request: Request, _: Annotated[None, Depends(verify_csrf)]) -> Response:
    """End the browser's session and show the login form."""
    response = RedirectResponse("/login", status_code=303)
    end_session(request, response)
    return response


async def _form(request: Request, next_path: str, error: str | None) -> Response:
    local = await run_in_threadpool(auth_state(request).local_mode)
    signed_in = current_session(request) is not None
    context = {"next": next_path, "error": error, "local_mode": local, "signed_in": signed_in}
    return render(request, "login.html", context)
