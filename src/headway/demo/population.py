"""The contacts of one chunk: who they are, when they arrive, how they read email."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from headway.demo import clients
from headway.demo.world import DAY, DAYS, START_US, Behaviour

FIRST = (
    "anna",
    "ben",
    "carla",
    "david",
    "elena",
    "felix",
    "grace",
    "hugo",
    "ines",
    "jonas",
    "kira",
    "liam",
    "mia",
    "noah",
    "olga",
    "paul",
    "quinn",
    "rosa",
    "sam",
    "tara",
    "umar",
    "vera",
    "will",
    "xenia",
    "yusuf",
    "zoe",
    "marta",
    "leon",
    "nina",
    "oscar",
)
LAST = (
    "adler",
    "baker",
    "costa",
    "dietrich",
    "evans",
    "fischer",
    "garcia",
    "hansen",
    "ito",
    "jansen",
    "keller",
    "lopez",
    "meyer",
    "nowak",
    "obrien",
    "petrov",
    "quinn",
    "rossi",
    "schmidt",
    "tanaka",
    "ueda",
    "vogel",
    "weber",
    "xu",
    "young",
    "zimmer",
)
COMPANIES = (
    "acme",
    "globex",
    "initech",
    "umbrella",
    "hooli",
    "stark",
    "wayne",
    "wonka",
    "tyrell",
    "cyberdyne",
    "soylent",
    "vandelay",
    "aperture",
    "massive",
    "oscorp",
)
COUNTRIES = ("US", "DE", "GB", "FR", "NL", "CA", "ES", "IN", "BR", "AU")
COUNTRY_WEIGHTS = (0.30, 0.15, 0.12, 0.08, 0.06, 0.07, 0.05, 0.08, 0.05, 0.04)
COUNTRY_CURRENCY = np.array([0, 1, 2, 1, 1, 0, 1, 0, 0, 0])  # index into campaigns.CURRENCIES
COMPANY_SIZES = ("1-10", "11-50", "51-200", "201-1000", "1000+")
SIZE_WEIGHTS = (0.25, 0.30, 0.22, 0.15, 0.08)
SCANNED_BY_SIZE = np.array([0.0, 0.03, 0.2, 0.45, 0.7])  # work addresses behind a gateway
OTHER, APPLE, GMAIL = 0, 1, 2


@dataclass
class Population:
    """Per-contact arrays of one chunk (index = contact number within the chunk)."""

    first: int
    existing: np.ndarray  # bool: on the list before the window opened
    arrival: np.ndarray  # µs: sign-up, or (existing) the return visit that starts their path
    client: np.ndarray  # OTHER / APPLE / GMAIL
    country: np.ndarray
    size: np.ndarray
    company: np.ndarray
    scanner: np.ndarray  # vendor index of the gateway scanning their mail, -1: none
    p_read: np.ndarray
    p_click: np.ndarray
    bad_address: np.ndarray
    home_ip: np.ndarray
    mail_ua: np.ndarray
    browser_ua: np.ndarray

    @property
    def n(self) -> int:
        """Number of contacts."""
        return len(self.arrival)


def draw(rng: np.random.Generator, first: int, n: int, b: Behaviour) -> Population:
    """Draw ``n`` contacts numbered from ``first``."""
    existing = rng.random(n) < b.existing_share
    arrival = START_US + rng.integers(0, DAYS * DAY, n, dtype=np.int64)
    u = rng.random(n)
    client = np.where(
        u < b.apple_share, APPLE, np.where(u < b.apple_share + b.gmail_share, GMAIL, OTHER)
    )
    size = rng.choice(len(COMPANY_SIZES), n, p=SIZE_WEIGHTS)
    scanned = (client == OTHER) & (rng.random(n) < SCANNED_BY_SIZE[size])
    vendor = rng.choice(len(clients.SCANNERS), n, p=clients.SCANNER_WEIGHTS)
    apple_ua = np.full(n, clients.UA_APPLE_BROWSER)
    return Population(
        first=first,
        existing=existing,
        arrival=arrival,
        client=client,
        country=rng.choice(len(COUNTRIES), n, p=COUNTRY_WEIGHTS),
        size=size,
        company=rng.integers(0, len(COMPANIES), n),
        scanner=np.where(scanned, vendor, -1),
        p_read=rng.beta(2.0, 3.5, n),
        p_click=rng.beta(1.2, 6.0, n),
        bad_address=rng.random(n) < b.bad_address,
        home_ip=clients.home_ips(rng, n),
        mail_ua=rng.choice(clients.UA_MAIL_CLIENTS, n),
        browser_ua=np.where(client == APPLE, apple_ua, rng.choice(clients.UA_BROWSERS, n)),
    )


def addresses(pop: Population, seed: int) -> list[str]:
    """Each contact's email address (also its contact id); reserved ``.example`` domains."""
    rng = np.random.default_rng([seed, pop.first, 99])
    firsts = rng.integers(0, len(FIRST), pop.n)
    lasts = rng.integers(0, len(LAST), pop.n)
    domains = np.where(
        pop.client == APPLE,
        "icloud.example",
        np.where(
            pop.client == GMAIL, "gmail.example", np.array(COMPANIES)[pop.company] + ".example"
        ),
    )
    return [
        f"{FIRST[f]}.{LAST[la]}.{pop.first + i}@{d}"
        for i, (f, la, d) in enumerate(zip(firsts, lasts, domains, strict=True))
    ]


def names(address: list[str]) -> list[str]:
    """Display names derived from the addresses."""
    out = []
    for a in address:
        first, last = a.split(".", 2)[:2]
        out.append(f"{first.capitalize()} {last.capitalize()}")
    return out
