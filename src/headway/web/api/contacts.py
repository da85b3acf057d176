"""Contacts: one contact's record, its activity timeline (paged), and erasure on request.

Contact ids may hold any character (``/`` included), so the id is a ``path`` parameter; the
timeline route is declared first so ``/contacts/ID/timeline`` reaches it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, cast

import orjson
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from headway.api import ContactIdentities, Headway, iso
from headway.errors import NotFound
from headway.web.api._common import ADMIN, MAX_OFFSET, READ, errors, page_link
from headway.web.app_state import app_headway

router = APIRouter(tags=["contacts"])

MAX_PAGE = 1000


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


def _updated_at(hw: Headway, contact_id: str) -> Any:
    updated_at = hw.contact_updated_at(contact_id)
    if updated_at is None:
        raise NotFound(f"there is no contact {contact_id!r}")
    return updated_at


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
    hw = app_headway(request)
    _updated_at(hw, contact_id)  # 404 for an unknown contact
    types = sorted({t.strip() for item in type or [] for t in item.split(",") if t.strip()})
    total, rows = hw.timeline_page(
        contact_id, types=types or None, order=order, limit=limit, offset=offset
    )
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
    hw = app_headway(request)
    found = hw.contact(contact_id)
    if found is None:
        raise NotFound(f"there is no contact {contact_id!r}")
    updated_at = _updated_at(hw, contact_id)
    merged = cast(ContactIdentities, hw.identities(contact_id))  # one contact's merges
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
