"""ESP webhook routes: ``POST /webhooks/{provider}``.

One pipeline for every provider: size limit (413), content type (415), signature check
(401/403), replay check, parse (422 on malformed bodies), append to the activity log
(ids dedupe retries), then 200 ``{"accepted", "duplicates", "skipped"}``. Nothing is stored
unless the request is verified.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from headway.api import Headway
from headway.errors import Detail, NotFound, PayloadTooLarge, UnsupportedMediaType
from headway.ingest.webhooks import replay, ses
from headway.ingest.webhooks.common import ParsedBatch, to_table
from headway.ingest.webhooks.providers import PROVIDERS, Provider
from headway.ingest.webhooks.settings import WebhookSettings
from headway.web.api._common import errors
from headway.web.app_state import app_headway
from headway.web.request_bodies import read_capped

router = APIRouter()


class WebhookAnswer(BaseModel):
    """What a stored webhook request gives back."""

    accepted: int = Field(description="New activities stored")
    duplicates: int = Field(description="Events stored before (retries)")
    skipped: dict[str, int] = Field(description="Events of types Headway does not map, by type")
    subscription: str | None = Field(
        default=None, description="SES/SNS only: what became of a subscription confirmation"
    )


@router.post(
    "/webhooks/{provider}",
    tags=["webhooks"],
    response_model=WebhookAnswer,
    response_model_exclude_none=True,
    responses=errors(401, 403, 404, 413, 415, 422, 502),
)
async def receive_webhook(provider: str, request: Request) -> dict[str, Any]:
    """Verify, map and store one ESP webhook request."""
    adapter = _provider(provider)
    webhooks: WebhookSettings = request.app.state.settings.webhooks
    settings = getattr(webhooks, adapter.name)
    if settings is None:
        raise NotFound(
            f"{adapter.label} webhooks are not enabled (no webhooks.{adapter.name} settings)"
        )
    limit = webhooks.max_body_bytes
    body = await read_capped(request, limit, lambda _size: _too_large(limit))
    _check_content_type(adapter, request.headers.get("content-type", ""))
    headers = {k.lower(): v for k, v in request.headers.items()}
    return await run_in_threadpool(
        _process, adapter, settings, app_headway(request), headers, body, str(request.url)
    )


@router.head("/webhooks/{provider}", include_in_schema=False)
def probe_webhook(provider: str) -> Response:
    """Answer the URL check some ESPs (Mandrill) make before sending events."""
    _provider(provider)
    return Response(status_code=200)


def _process(
    adapter: Provider,
    settings: Any,
    hw: Headway,
    headers: dict[str, str],
    body: bytes,
    url: str,
) -> dict[str, Any]:
    now = datetime.now(UTC)
    adapter.verify(settings, headers, body, url, now)
    token = adapter.replay_token(body) if adapter.replay_token else None
    if token is not None:
        replay.refuse_used(hw.store, adapter.name, adapter.label, token)
    batch = adapter.parse(body, headers.get("content-type", ""))
    _drop_erased(hw, batch)
    accepted = duplicates = 0
    if batch.activities:
        result = hw.append_activity_table(to_table(batch))
        accepted, duplicates = result.accepted, result.duplicates
    if token is not None:
        keep = timedelta(seconds=2 * settings.max_age_seconds)
        replay.remember(hw.store, adapter.name, token, now, keep)
    answer: dict[str, Any] = {
        "accepted": accepted,
        "duplicates": duplicates,
        "skipped": dict(sorted(batch.skipped.items())),
    }
    if batch.confirm_url is not None:
        answer["subscription"] = _confirm(settings, batch.confirm_url)
    return answer


def _drop_erased(hw: Headway, batch: ParsedBatch) -> None:
    """Events of erased contacts create nothing (docs/privacy.md); counted as skipped."""
    contacts = [str(a["contact"]) for a in batch.activities]
    gone = hw.erased_names(contacts)
    if gone:
        batch.activities = [a for a in batch.activities if str(a["contact"]) not in gone]
        batch.skipped["(erased contact)"] += sum(c in gone for c in contacts)


def _confirm(settings: Any, url: str) -> str:
    if not settings.confirm_subscriptions:
        return "not confirmed (webhooks.ses.confirm_subscriptions is false)"
    ses.confirm(settings, url)
    return "confirmed"


def _provider(name: str) -> Provider:
    adapter = PROVIDERS.get(name)
    if adapter is None:
        known = ", ".join(sorted(PROVIDERS))
        raise NotFound(f"no webhook provider named {name!r} (known: {known})")
    return adapter


def _check_content_type(adapter: Provider, value: str) -> None:
    media = value.split(";", 1)[0].strip().lower()
    if media not in adapter.content_types:
        wanted = " or ".join(adapter.content_types)
        raise UnsupportedMediaType(
            f"{adapter.label} webhooks must be {wanted}, not {media or 'an untyped body'}",
            [Detail(f"expected {wanted}", field="content-type")],
        )


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"the webhook body is larger than webhooks.max_body_bytes ({limit} bytes)",
        [Detail(f"at most {limit} bytes", field="body")],
    )
