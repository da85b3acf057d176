"""docs/webhooks.md documents every provider endpoint and every webhook setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from headway.ingest.webhooks import settings
from headway.ingest.webhooks.providers import PROVIDERS

DOC = (Path(__file__).parents[2] / "docs" / "webhooks.md").read_text()
MODELS = {
    "sendgrid": settings.SendGridSettings,
    "mailgun": settings.MailgunSettings,
    "ses": settings.SesSettings,
    "postmark": settings.PostmarkSettings,
    "brevo": settings.BrevoSettings,
    "mandrill": settings.MandrillSettings,
}


@pytest.mark.parametrize("name", sorted(PROVIDERS))
def test_endpoint_is_documented(name: str) -> None:
    assert f"`POST /webhooks/{name}`" in DOC


@pytest.mark.parametrize(
    ("provider", "field"),
    [(p, f) for p, model in MODELS.items() for f in model.model_fields],
)
def test_setting_is_documented(provider: str, field: str) -> None:
    assert field in DOC, f"webhooks.{provider}.{field} is not in docs/webhooks.md"


def test_every_provider_has_a_settings_model() -> None:
    assert (
        set(MODELS)
        == set(PROVIDERS)
        == set(settings.WebhookSettings.model_fields) - {"max_body_bytes"}
    )
