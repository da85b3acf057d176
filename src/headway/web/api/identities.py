"""Identities: the recorded merges of ids into contacts; merge by hand, undo a link.

Reading needs ``read``; a merge is data sent in (``ingest``, as identify calls are); undoing a
link rewrites what every report counts, so it needs ``admin``. See docs/identities.md.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from headway.api import ContactIdentities, IdentityLink
from headway.errors import Detail, InvalidInput, NotFound
from headway.web.api._common import ADMIN, READ, errors
from headway.web.app_state import app_headway
from headway.web.auth import require_scope

router = APIRouter(tags=["identities"])

INGEST = [Depends(require_scope("ingest"))]
MAX_LINKS = 10_000


class LinkOut(BaseModel):
    """One recorded claim: ``alias`` merged into ``contact`` (or in conflict, or undone)."""

    id: int
    alias: str
    contact: str
    claimed_at: str = Field(description="When the claim was made (UTC).")
    recorded_at: str = Field(description="When Headway recorded it (UTC).")
    activity_id: str | None = Field(description="The activity that made the claim, if any.")
    source: str
    status: Literal["merged", "conflict", "undone"] = Field(
        description="merged: in force; conflict: recorded, not applied (an earlier claim "
        "merges the alias elsewhere, or it would close a cycle); undone."
    )
    undone_at: str | None


class IdentitiesOut(BaseModel):
    """The recorded links (of one contact's ids when ``contact`` is given)."""

    contact: str | None = Field(description="The contact asked about, or null for all links.")
    merged_into: str | None = Field(
        description="The contact this id is merged into (its activities count there)."
    )
    aliases: list[str] = Field(description="The ids merged into this contact.")
    links: list[LinkOut] = Field(description="Newest first.")


class MergeIn(BaseModel):
    """Merge ``alias`` into ``contact``: both must be known contacts."""

    alias: str = Field(min_length=1, description="The id to merge (e.g. an anonymous id).")
    contact: str = Field(min_length=1, description="The contact it is the same person as.")


class MergeOut(BaseModel):
    """What a merge did."""

    status: Literal["merged", "conflict", "same", "repeated"] = Field(
        description="merged: in force; conflict: recorded, not applied; same: an id into "
        "itself (nothing recorded); repeated: already recorded (the existing link)."
    )
    link: LinkOut | None


@router.get(
    "/identities",
    summary="Recorded identity merges, of one contact or all (newest first)",
    response_model=IdentitiesOut,
    dependencies=READ,
    responses=errors(401, 403, 404, 422),
)
def list_identities(
    request: Request,
    contact: Annotated[
        str | None, Query(description="Only the links naming this contact or its ids.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LINKS, description="Links at most.")] = 1000,
) -> dict[str, Any]:
    """The merges of ``contact`` (its ids, what it is merged into, the links) or every link."""
    found = app_headway(request).identities(contact)
    if isinstance(found, ContactIdentities):
        return {**found.to_dict(), "links": [link.to_dict() for link in found.links[:limit]]}
    return {
        "contact": None,
        "merged_into": None,
        "aliases": [],
        "links": [link.to_dict() for link in found[:limit]],
    }


@router.post(
    "/identities",
    summary="Merge an id into a contact (its activities count as the contact's)",
    response_model=MergeOut,
    status_code=201,
    dependencies=INGEST,
    responses=errors(401, 403, 422),
)
def merge(request: Request, body: MergeIn) -> dict[str, Any]:
    """Record a merge; a conflicting one is recorded with status ``conflict``, not applied."""
    hw = app_headway(request)
    try:
        outcome = hw.merge(body.alias, body.contact)
    except NotFound as err:
        field = "alias" if f"{body.alias!r}" in err.message else "contact"
        raise InvalidInput(f"{field}: {err.message}", [Detail(err.message, field=field)]) from None
    link = _link(hw.identities(body.contact), outcome.link_id)
    return {"status": outcome.status, "link": link.to_dict() if link else None}


@router.delete(
    "/identities/{link_id}",
    summary="Undo an identity merge (the link is kept, marked undone)",
    response_model=LinkOut,
    dependencies=ADMIN,
    responses=errors(401, 403, 404, 409, 422),
)
def undo(request: Request, link_id: int) -> dict[str, Any]:
    """Undo a link; resolution is recomputed (a claim it blocked may now apply)."""
    return app_headway(request).unmerge(link_id).to_dict()


def _link(found: object, link_id: int | None) -> IdentityLink | None:
    if link_id is None or not isinstance(found, ContactIdentities):
        return None
    return next((link for link in found.links if link.id == link_id), None)
