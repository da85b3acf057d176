"""Headway's settings: one TOML or YAML file plus ``HEADWAY_*`` environment variables.

Environment variables win over the file (nested names use ``__``, e.g.
``HEADWAY_TRACKING__BASE_URL``). Everything is validated once, at start-up; a problem becomes
a ``ConfigError`` with one sentence naming the setting. Secrets are ``SecretStr``: they never
appear in logs, reprs or error messages. Every setting is documented in docs/config.md.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from headway.actions.settings import ActionSettings
from headway.backends.spark.settings import SparkSettings
from headway.errors import ConfigError, Detail
from headway.ingest.bot_settings import BotSettings
from headway.ingest.tokens import Signer, SigningKey
from headway.ingest.webhooks.settings import WebhookSettings
from headway.live.settings import LiveSettings
from headway.memory_budget import DEFAULT_MEMORY_BUDGET, parse_memory
from headway.web.http_settings import HttpSettings
from headway.web.rate_limit_settings import RateLimitSettings

CONFIG_ENV = "HEADWAY_CONFIG"
MIN_SECRET_BYTES = 32
DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024
DEFAULT_REPORT_CACHE_BYTES = 512 * 1024 * 1024  # as headway.match_cache (not imported: heavy)


class TrackingKey(BaseModel):
    """One signing key of tracking tokens: a short id (kept in each token) and its secret."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    secret: SecretStr

    @field_validator("secret")
    @classmethod
    def _long_enough(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value().encode()) < MIN_SECRET_BYTES:
            raise ValueError(f"must be at least {MIN_SECRET_BYTES} bytes long")
        return value


class TrackingSettings(BaseModel):
    """Signed open/click/unsubscribe links."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    base_url: str | None = None
    keys: tuple[TrackingKey, ...] = ()
    token_lifetime_days: int = Field(default=730, ge=1, le=36_500)
    max_header_chars: int = Field(default=512, ge=64)
    dedupe_seconds: int = Field(default=10, ge=0, le=86_400)

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith(("http://", "https://")) or len(value) < 10:
            raise ValueError("must be an absolute http(s) URL such as https://t.example.com")
        return value.rstrip("/")

    @field_validator("keys")
    @classmethod
    def _unique_ids(cls, value: tuple[TrackingKey, ...]) -> tuple[TrackingKey, ...]:
        ids = [k.id for k in value]
        if len(ids) != len(set(ids)):
            raise ValueError("key ids must be unique")
        return value

    def signer(self) -> Signer:
        """A token signer: the first (newest) key signs, every key verifies."""
        keys = [SigningKey(k.id, k.secret.get_secret_value().encode()) for k in self.keys]
        return Signer(keys, lifetime=self.token_lifetime_days * 86_400)


class Settings(BaseSettings):
    """Every setting of a Headway server or command."""

    model_config = SettingsConfigDict(
        env_prefix="HEADWAY_", env_nested_delimiter="__", extra="forbid", frozen=True
    )

    tracking: TrackingSettings = Field(default_factory=TrackingSettings)
    bots: BotSettings = Field(default_factory=BotSettings)
    webhooks: WebhookSettings = Field(default_factory=WebhookSettings)
    http: HttpSettings = Field(default_factory=HttpSettings)
    rate_limits: RateLimitSettings = Field(default_factory=RateLimitSettings)
    max_body_bytes: int = Field(DEFAULT_MAX_BODY_BYTES, ge=1024)
    api_keys_file: Path | None = None
    report_cache_bytes: int = Field(DEFAULT_REPORT_CACHE_BYTES, ge=0)
    # Seconds a request may take before it is answered 503 (web/request_budget.py).
    request_budget_seconds: float = Field(120.0, gt=0, le=86_400)
    # Signs dashboard login sessions and CSRF tokens; random per process when unset.
    session_secret: SecretStr | None = None
    # Where reports run: the DuckDB store (--db) or Spark over [spark].source.
    backend: Literal["duckdb", "spark"] = "duckdb"
    spark: SparkSettings = Field(default_factory=SparkSettings)
    # Journey actions: webhook deliveries, retries, cohort syncs, the digest (docs/actions.md).
    actions: ActionSettings = Field(default_factory=ActionSettings)
    # Live journeys: the update worker and the stall scheduler (docs/live.md).
    live: LiveSettings = Field(default_factory=LiveSettings)
    # Memory budget of reports (bytes, or text like 2GiB); headway.memory_budget.
    memory_budget: int = DEFAULT_MEMORY_BUDGET

    @field_validator("memory_budget", mode="before")
    @classmethod
    def _memory_size(cls, value: object) -> int:
        if not isinstance(value, str | int):
            raise ValueError("must be a memory size such as 2GiB or 512MiB")
        return parse_memory(value)

    @field_validator("session_secret")
    @classmethod
    def _session_secret_long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value().encode()) < MIN_SECRET_BYTES:
            raise ValueError(f"must be at least {MIN_SECRET_BYTES} bytes long")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The file's content arrives as init arguments; the environment overrides it.
        return env_settings, init_settings


def load_settings(path: Path | str | None = None) -> Settings:
    """Settings from ``path`` (else ``$HEADWAY_CONFIG``, else none) and the environment."""
    if path is None and os.environ.get(CONFIG_ENV):
        path = os.environ[CONFIG_ENV]
    data = read_config_file(Path(path)) if path is not None else {}
    try:
        return Settings(**data)
    except ValidationError as err:
        raise _config_error(err) from None


def read_config_file(path: Path) -> dict[str, Any]:
    """The mapping in a TOML (``.toml``) or YAML (``.yaml``/``.yml``) settings file."""
    if not path.is_file():
        raise ConfigError(f"settings file {path} does not exist")
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix.lower() == ".toml":
            data: Any = tomllib.loads(text)
        elif path.suffix.lower() in {".yaml", ".yml"}:
            data = yaml.safe_load(text) or {}
        else:
            raise ConfigError(f"settings file {path} must end in .toml, .yaml or .yml")
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as err:
        first = str(err).splitlines()[0]
        raise ConfigError(f"settings file {path} is not valid: {first}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"settings file {path} must hold a mapping of settings")
    return data


def require_tracking_keys(settings: Settings) -> None:
    """Stop with one sentence when tracking is enabled but has no signing key."""
    if settings.tracking.enabled and not settings.tracking.keys:
        raise ConfigError(
            "tracking is enabled but tracking.keys has no signing key; add one "
            f"(an id and a secret of at least {MIN_SECRET_BYTES} bytes) "
            "or set tracking.enabled = false"
        )


def with_ephemeral_key(settings: Settings) -> Settings:
    """Settings whose only signing key is random and lives as long as this process (dev)."""
    key = TrackingKey(id="ephemeral", secret=SecretStr(secrets.token_urlsafe(48)))
    tracking = settings.tracking.model_copy(update={"keys": (key,)})
    return settings.model_copy(update={"tracking": tracking})


def _config_error(err: ValidationError) -> ConfigError:
    details = []
    for e in err.errors(include_url=False, include_input=False):
        field = ".".join(str(p) for p in e["loc"]) or "settings"
        details.append(Detail(_reason(e["msg"]), field=field))
    first = details[0]
    return ConfigError(f"setting {first.field} is invalid: {first.reason}", details)


def _reason(msg: str) -> str:
    # pydantic prefixes custom messages with "Value error, "; the sentence reads better without.
    return msg.removeprefix("Value error, ")
