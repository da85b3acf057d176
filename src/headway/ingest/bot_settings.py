"""Thresholds of the bot labeller (``bots`` in the settings file); documented in docs/config.md."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class BotSettings(BaseModel):
    """When an email open or click is labelled automated; raw activities are always kept."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fast_after_delivery_seconds: float = Field(
        default=10,
        ge=0,
        description="A click this soon after delivery is a scanner ('fast_after_delivery').",
    )
    burst_links: int = Field(
        default=3, ge=2, description="Clicks on at least this many distinct links of one email ..."
    )
    burst_seconds: float = Field(
        default=5, ge=0, description="... within this many seconds are a scanner burst ('burst')."
    )
    honeypot_window_seconds: float = Field(
        default=10,
        ge=0,
        description="Clicks of the same recipient within ± this of a honeypot hit.",
    )
    mpp_open_seconds: float = Field(
        default=120,
        ge=0,
        description="An Apple-proxy open this soon after delivery is a prefetch ('mpp').",
    )
    # Network and user-agent evidence (added by the bot labeller; see docs/bots.md).
    gmail_prefetch_seconds: float = Field(
        default=120,
        ge=0,
        description="A GoogleImageProxy open this soon after delivery is a prefetch "
        "('gmail_prefetch'); later proxy opens are people reading in Gmail.",
    )
    scanner_open_seconds: float = Field(
        default=5,
        ge=0,
        description="An open within ± this of a machine's click on the same email is that "
        "machine fetching the images; it takes the click's reason.",
    )
    mpp_networks: tuple[str, ...] = Field(
        default=("17.0.0.0/8",), description="Apple's network: opens from it are Apple MPP ('mpp')."
    )
    scanner_networks: tuple[str, ...] = Field(
        default=(
            "40.92.0.0/15",  # Microsoft Exchange Online Protection / Defender Safe Links
            "40.107.0.0/16",
            "52.100.0.0/14",
            "104.47.0.0/17",
            "40.94.0.0/16",  # Microsoft Defender Safe Links detonation
            "67.231.144.0/20",  # Proofpoint
            "148.163.128.0/19",
            "205.139.110.0/24",  # Mimecast
            "207.211.30.0/24",
            "64.235.144.0/20",  # Barracuda
            "209.222.80.0/21",
        ),
        description="Mail security scanners: opens and clicks from these are 'scanner_network'.",
    )
    scanner_user_agents: tuple[str, ...] = Field(
        default=(
            "barracuda",
            "mimecast",
            "proofpoint",
            "ironport",
            "messagelabs",
            "symantec",
            "trendmicro",
            "fireeye",
            "zscaler",
            "forcepoint",
            "safelinks",
            "urldefense",
        ),
        description="Case-insensitive product tokens of scanners ua-parser may not know.",
    )
    automation_ua_families: tuple[str, ...] = Field(
        default=(
            "Python Requests",
            "Python-urllib",
            "curl",
            "Wget",
            "Go-http-client",
            "okhttp",
            "Apache-HttpClient",
            "HeadlessChrome",
            "PhantomJS",
            "Java",
        ),
        description="ua-parser user-agent families of HTTP libraries and headless browsers.",
    )
    provider_flag_properties: tuple[str, ...] = Field(
        default=("machine_open", "sg_machine_open", "proxy_open", "is_bot"),
        description="Properties an ESP adapter may set to true to flag a machine event.",
    )
