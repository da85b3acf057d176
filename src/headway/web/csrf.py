"""CSRF protection for dashboard forms.

INTERFACE (implemented by the auth work of issue #5):

- ``csrf_token(request)`` -> the token to put in a form's hidden ``csrf_token`` field (the
  templates get it as ``csrf_token``) or an ``X-CSRF-Token`` header for fetch() calls.
- ``verify_csrf`` -> a FastAPI dependency for dashboard POST routes: 403 unless the form field
  or header carries the right token.
"""

from __future__ import annotations

from fastapi import Request


def csrf_token(request: Request) -> str:
    """The CSRF token for forms on this request's page."""
    return ""


async def verify_csrf(request: Request) -> None:
    """Refuse a state-changing dashboard request without the right CSRF token."""
    return None
