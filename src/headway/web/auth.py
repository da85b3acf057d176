"""Who is calling: API keys with scopes (``ingest``, ``read``, ``admin``).

INTERFACE (implemented by the auth work of issue #5; until then every caller is allowed):

- ``require_scope(scope)`` -> a FastAPI dependency for API routes: answers 401 (no/unknown
  key) or 403 (key lacks the scope) through the error boundary; returns the ``Principal``.
- ``page_scope(scope)`` -> the same for dashboard pages, which send a browser to the login
  page instead of answering 401.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request

SCOPES = ("ingest", "read", "admin")


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: the key's id and its scopes (``local`` when keys are off)."""

    key_id: str
    scopes: frozenset[str]


LOCAL = Principal("local", frozenset(SCOPES))


def require_scope(scope: str) -> Callable[[Request], Principal]:
    """A dependency that admits callers holding ``scope``."""

    def dependency(request: Request) -> Principal:
        return LOCAL

    return dependency


def page_scope(scope: str) -> Callable[[Request], Principal]:
    """Like ``require_scope`` for dashboard pages (a browser is sent to log in)."""
    return require_scope(scope)
