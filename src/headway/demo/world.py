"""The demo world's settings: size, seed, fixed clock and the knobs of its behaviour.

Every probability that shapes the world lives here, so that ``docs/demo.md`` can quote
them and tests can measure them. Times are integer microseconds since the Unix epoch (UTC).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from headway.errors import InvalidInput

US = 1_000_000
MINUTE = 60 * US
HOUR = 60 * MINUTE
DAY = 24 * HOUR

# A fixed end date keeps results independent of the day the demo is built.
END = datetime(2025, 6, 30, tzinfo=UTC)
DAYS = 120
SITE = "https://www.northwind.example"

# Contacts generated per chunk: fixed, because the random streams are drawn per chunk.
CHUNK_CONTACTS = 50_000


def to_us(moment: datetime) -> int:
    """Microseconds since the epoch of an aware datetime."""
    return int(moment.timestamp()) * US


END_US = to_us(END)
START_US = END_US - DAYS * DAY


@dataclass(frozen=True)
class Effects:
    """The planted effects (1) and (2) of docs/demo.md; ``--no-effects`` zeroes them."""

    webinar_pricing: bool = True  # (1) a human invite click doubles 7-day pricing visits
    unsubscribe_issue: str | None = "newsletter-2025-04"  # (2) this issue drives unsubscribes
    unsubscribe_factor: float = 6.0


NO_EFFECTS = Effects(webinar_pricing=False, unsubscribe_issue=None, unsubscribe_factor=1.0)


@dataclass(frozen=True)
class Behaviour:
    """Probabilities and delays of the world (documented in docs/demo.md)."""

    existing_share: float = 0.30  # contacts already on the list before the window
    landing_utm_share: float = 0.50
    browse_per_day: float = 0.05  # background page visits per contact and day
    interest: float = 0.30  # contacts who look at pricing (median 5 d after arrival)
    contact_sales: float = 0.25  # of pricing visitors
    trial: float = 0.35  # of pricing visitors
    form_abandon: float = 0.30  # of other pricing visitors: open a form page, send nothing
    trial_docs: float = 0.75  # of trial sign-ups who open the docs
    docs_purchase: float = 0.22  # of docs visitors who buy: the onboarding stall
    sales_purchase: float = 0.20  # of contact-sales forms that end in a purchase
    apple_share: float = 0.34  # Apple Mail users: their opens are MPP machine opens
    gmail_share: float = 0.28
    mpp_open: float = 0.97  # share of deliveries to Apple users prefetched by MPP
    gmail_prefetch: float = 0.35  # share of deliveries to Gmail users prefetched
    scanner_run: float = 0.70  # share of deliveries to protected contacts scanned
    scanner_head: float = 0.35  # scanner runs made with HEAD requests
    scanner_pixel: float = 0.60  # scanner runs that also fetch the open pixel
    scanner_late: float = 0.10  # scanner runs that happen hours later (re-scans)
    scanner_skip_hidden: float = 0.30  # scanner runs that skip the hidden honeypot link
    read_at_once: float = 0.04  # human reads within a minute or two of delivery
    image_blocking: float = 0.15  # human reads that leave no open (images off)
    bad_address: float = 0.025  # contacts whose first send bounces hard
    soft_bounce: float = 0.015
    unsubscribe: float = 0.003  # per delivered email
    spam_report: float = 0.0008  # per delivered email
    webinar_register: float = 0.45  # of human invite clickers
    webinar_organic: float = 0.01  # of other contacts (via the website)
    landing_untracked: float = 0.12  # invite clicks whose landing page view is not tracked


@dataclass(frozen=True)
class DemoConfig:
    """What ``headway demo`` builds: size, seed and whether effects (1)-(2) are planted."""

    contacts: int = 20_000
    seed: int = 7
    effects: Effects = Effects()
    behaviour: Behaviour = Behaviour()

    def __post_init__(self) -> None:
        if self.contacts < 1:
            raise InvalidInput(f"--contacts must be a positive number, not {self.contacts}")
        if self.seed < 0:
            raise InvalidInput(f"--seed must be zero or positive, not {self.seed}")

    def chunks(self) -> list[tuple[int, int]]:
        """(first contact index, count) of each generation chunk."""
        starts = range(0, self.contacts, CHUNK_CONTACTS)
        return [(s, min(CHUNK_CONTACTS, self.contacts - s)) for s in starts]
