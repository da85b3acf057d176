"""Contacts: one contact's record, its activity timeline (paged), and erasure on request.

Contact ids may hold any character (``/`` included), so the id is a ``path`` parameter; the
timeline route is declared first so ``/contacts/ID/timeline`` reaches it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from headway.engine.results import iso
from headway.errors import NotFound
from headway.store import Store
from headway.store.contacts import get_contact, group_keys, key_list
from headway.store.identities import contact_identities
from headway.web.api._common import ADMIN, MAX_OFFSET, READ, errors, page_link
from headway.web.app_state import app_headway

router = APIRouter(tags=["contacts"])

MAX_PAGE = 1000

_KEY = "SELECT key, updated_at FROM contacts WHERE id = ?"
# The contact's own activities and those of the ids merged into it (docs/identities.md);
# {keys} is ``store.contacts.key_list``'s placeholders.
_COUNT = """SELECT count(*) FROM activities a JOIN activity_types t ON t.code = a.type_code
WHERE a.contact_key IN {keys} AND ($types IS NULL OR list_contains($types, t.name))"""
_PAGE = """SELECT a.id, t.name AS type, a.ts, a.properties, a.bot, a.bot_reason, a.source,
       k.id AS contact
FROM activities a JOIN activity_types t ON t.code = a.type_code
JOIN contacts k ON k.key = a.contact_key
WHERE a.contact_key IN {keys} AND ($types IS NULL OR list_contains($types, t.name))
ORDER BY a.ts {direction}, a.id {direction} LIMIT $limit OFFSET $offset"""
# The sort direction is a keyword, never a value: one of two constant texts.
_DIRECTIONS = {"newest": "DESC", "oldest": "ASC"}


class ContactOut(BaseModel):
    """A contact: its record and the span of its activities."""

    id: str
    email: str | None
    attributes: dict[str, Any]
    subscription: str
    created_at: str
    updated_at: str
    activities: int
    first_activity: str | None
    last_activity: str | None
    merged_into: str | None = Field(
        None, description="The contact this id is merged into (its activities count there)."
    )
    aliases: list[str] = Field(
        default_factory=list, description="Ids merged into this contact (docs/identities.md)."
    )


class ActivityOut(BaseModel):
    """One activity of a contact."""

    id: str
    type: str
    ts: str
    properties: dict[str, Any]
    bot: bool
    bot_reason: str | None
    source: str
    contact: str = Field(
        description="The id it was recorded under (an alias merged into "
        "this contact, or the contact itself)."
    )


class TimelineOut(BaseModel):
    """A page of a contact's activities."""

    contact: str
    order: Literal["newest", "oldest"]
    types: list[str] | None
    total: int
    offset: int
    limit: int
    next: str | None
    activities: list[ActivityOut]


class ErasureOut(BaseModel):
    """What an erasure removed."""

    contact: str
    activities_deleted: int
    contact_deleted: bool
    merged_ids: list[str] = Field(
        default_factory=list, description="Ids merged with the contact, erased with it."
    )
    removed: dict[str, int] = Field(
        default_factory=dict, description="Rows removed, per table (docs/privacy.md)."
    )
    suppressed: bool = Field(
        True, description="Kept as salted digests: webhooks and tracking links create nothing."
    )


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def _contact_key(store: Store, contact_id: str) -> tuple[int, Any]:
    row = store.execute(_KEY, [contact_id]).first()
    if row is None:
        raise NotFound(f"there is no contact {contact_id!r}")
    return int(row[0]), row[1]


@router.get(
    "/contacts/{contact_id:path}/timeline",
    summary="A contact's activities, newest (or oldest) first, paged",
    response_model=TimelineOut,
    dependencies=READ,
    responses=errors(401, 403, 404, 422),
)
def timeline(
    request: Request,
    contact_id: str,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Activities per page.")] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Activities to skip.")] = 0,
    order: Annotated[Literal["newest", "oldest"], Query(description="Sort by time.")] = "newest",
    type: Annotated[
        list[str] | None,
        Query(description="Only these activity types (repeat, or separate with commas)."),
    ] = None,
) -> dict[str, Any]:
    """A page of a contact's activities with the link to the next page."""
    store = _store(request)
    _contact_key(store, contact_id)  # 404 for an unknown contact
    keys, key_params = key_list(group_keys(store, contact_id))
    types = sorted({t.strip() for item in type or [] for t in item.split(",") if t.strip()})
    params = {**key_params, "types": types or None}
    total = int(store.execute(_COUNT.format(keys=keys), params).scalar())
    page = _PAGE.format(keys=keys, direction=_DIRECTIONS[order])
    rows = store.execute(page, {**params, "limit": limit, "offset": offset}).dicts()
    return {
        "contact": contact_id,
        "order": order,
        "types": types or None,
        "total": total,
        "offset": offset,
        "limit": limit,
        "next": page_link(request, offset, limit, total),
        "activities": [_activity(r) for r in rows],
    }


@router.get(
    "/contacts/{contact_id:path}",
    summary="A contact's record and activity span",
    response_model=ContactOut,
    dependencies=READ,
    responses=errors(401, 403, 404),
)
def contact(request: Request, contact_id: str) -> dict[str, Any]:
    """Id, email, attributes, subscription, times, activity count and merged ids of a contact."""
    store = _store(request)
    found = get_contact(store, contact_id)
    if found is None:
        raise NotFound(f"there is no contact {contact_id!r}")
    _, updated_at = _contact_key(store, contact_id)
    merged = contact_identities(store, contact_id)
    return {
        "id": found["id"],
        "email": found["email"],
        "attributes": found["attributes"],
        "subscription": found["subscription"],
        "created_at": iso(found["created_at"]),
        "updated_at": iso(updated_at),
        "activities": int(found["activities"]),
        "first_activity": _iso(found["first_seen"]),
        "last_activity": _iso(found["last_seen"]),
        "merged_into": merged.merged_into,
        "aliases": list(merged.aliases),
    }


@router.delete(
    "/contacts/{contact_id:path}",
    summary="Erase a contact and all its activities (privacy request)",
    response_model=ErasureOut,
    dependencies=ADMIN,
    responses=errors(401, 403, 404),
)
def erase(request: Request, contact_id: str) -> dict[str, Any]:
    """Delete the contact, its activities and every row derived from them, then rewrite the
    database file so none of their bytes is left (docs/privacy.md)."""
    return app_headway(request).erase_contact(contact_id).to_dict()


def _activity(row: dict[str, Any]) -> dict[str, Any]:
    props = orjson.loads(row["properties"]) if row["properties"] else {}
    return {**row, "ts": iso(row["ts"]), "properties": props if isinstance(props, dict) else {}}


def _iso(value: Any) -> str | None:
    return iso(value) if value is not None else None
