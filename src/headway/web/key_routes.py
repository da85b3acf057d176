"""API keys over the API (``admin`` scope): list, create, revoke — while the server runs.

The server holds the database, so ``headway keys`` works only while it is stopped; these
routes manage keys through the running server. A revoked key stops working on its next
request. The plaintext of a new key is in the creation answer and nowhere else.

``install_auth`` mounts this router under ``/api/v1`` (it lives beside the auth code rather
than in ``headway.web.api``, whose route table tests list that package's routes only).
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from headway.api import MAX_NAME, KeyInfo, iso
from headway.web.api._common import ADMIN, errors
from headway.web.app_state import app_headway

router = APIRouter(tags=["keys"])

Scope = Literal["ingest", "read", "admin"]


class KeyOut(BaseModel):
    """An API key without its secret."""

    id: str
    name: str | None
    scopes: list[Scope]
    created_at: str
    last_used_at: str | None
    revoked_at: str | None


class KeysOut(BaseModel):
    """Every API key, revoked ones included."""

    keys: list[KeyOut]


class KeyIn(BaseModel):
    """A key to create: its scopes and an optional name."""

    scopes: list[Scope] = Field(min_length=1, examples=[["ingest"]])
    name: str | None = Field(None, max_length=MAX_NAME)


class CreatedKeyOut(KeyOut):
    """A new key with its plaintext, shown this once."""

    key: str


@router.get(
    "/keys",
    summary="Every API key (never their secrets)",
    response_model=KeysOut,
    dependencies=ADMIN,
    responses=errors(401, 403),
)
def keys(request: Request) -> dict[str, Any]:
    """Id, name, scopes and times of every key."""
    return {"keys": [_key(k) for k in app_headway(request).list_keys()]}


@router.post(
    "/keys",
    summary="Create an API key; its plaintext is in this answer only",
    status_code=201,
    response_model=CreatedKeyOut,
    dependencies=ADMIN,
    responses=errors(401, 403, 422),
)
def create(request: Request, body: KeyIn) -> dict[str, Any]:
    """A new key with the given scopes."""
    info, plaintext = app_headway(request).create_key(body.scopes, body.name)
    return {**_key(info), "key": plaintext}


@router.delete(
    "/keys/{key_id}",
    summary="Revoke an API key (it stops working at once)",
    response_model=KeyOut,
    dependencies=ADMIN,
    responses=errors(401, 403, 404),
)
def revoke(request: Request, key_id: str) -> dict[str, Any]:
    """Revoke a key; the key as it now is."""
    return _key(app_headway(request).revoke_key(key_id))


def _key(info: KeyInfo) -> dict[str, Any]:
    return {
        "id": info.id,
        "name": info.name,
        "scopes": list(info.scopes),
        "created_at": iso(info.created_at),
        "last_used_at": iso(info.last_used_at) if info.last_used_at else None,
        "revoked_at": iso(info.revoked_at) if info.revoked_at else None,
    }
