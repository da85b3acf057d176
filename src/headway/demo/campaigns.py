"""The demo's email campaigns, their links and the web site's pages, forms and plans."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pyarrow as pa

from headway.demo.world import DAY, MINUTE, SITE, to_us


@dataclass(frozen=True)
class Link:
    """One link of an email; the honeypot is hidden from human readers."""

    link_id: str
    path: str
    label: str
    weight: float = 1.0  # how often a human reader picks it
    honeypot: bool = False


@dataclass(frozen=True)
class Email:
    """One email: either a broadcast at ``send_time`` or a series step ``delay`` after sign-up."""

    id: str
    name: str
    subject: str
    campaign: str
    kind: str
    links: tuple[Link, ...]
    send_time: datetime | None = None
    delay_us: int = 0
    engagement: float = 1.0  # multiplies the contact's read and click propensities

    def url(self, link: Link) -> str:
        """The absolute URL of a link, with the email's UTM tags."""
        sep = "&" if "?" in link.path else "?"
        tags = f"utm_source={self.campaign}&utm_medium=email&utm_campaign={self.id}"
        return f"{SITE}{link.path}{sep}{tags}"


def _hp(email_id: str) -> Link:
    return Link("hp", f"/l/{email_id}", "hidden", 0.0, honeypot=True)


def _newsletter(month: str, day: int, subject: str, posts: tuple[str, str]) -> Email:
    eid = f"newsletter-{month}"
    return Email(
        eid,
        f"Newsletter {month}",
        subject,
        "newsletter",
        "newsletter",
        (
            Link("article-1", f"/blog/{posts[0]}", posts[0].replace("-", " ").capitalize(), 5),
            Link("article-2", f"/blog/{posts[1]}", posts[1].replace("-", " ").capitalize(), 3),
            Link("docs", "/docs/", "Documentation", 1),
            Link("pricing", "/pricing", "Pricing", 1),
            _hp(eid),
        ),
        send_time=datetime(int(month[:4]), int(month[5:]), day, 9, tzinfo=UTC),
    )


EMAILS: tuple[Email, ...] = (
    Email(
        "welcome-1",
        "Welcome 1",
        "Welcome to Northwind",
        "welcome",
        "transactional",
        (
            Link("get-started", "/docs/getting-started", "Get started", 5),
            Link("blog", "/blog/", "Read the blog", 2),
            Link("pricing", "/pricing", "See pricing", 1),
            _hp("welcome-1"),
        ),
        delay_us=5 * MINUTE,
        engagement=1.4,
    ),
    Email(
        "welcome-2",
        "Welcome 2",
        "Three ways teams use Northwind",
        "welcome",
        "transactional",
        (
            Link("stories", "/blog/customer-stories", "Customer stories", 4),
            Link("integrations", "/docs/integrations", "Integrations", 2),
            Link("pricing", "/pricing", "Pricing", 1),
            _hp("welcome-2"),
        ),
        delay_us=3 * DAY,
        engagement=1.1,
    ),
    Email(
        "welcome-3",
        "Welcome 3",
        "Ready to try Northwind?",
        "welcome",
        "transactional",
        (
            Link("trial", "/trial", "Start a free trial", 4),
            Link("pricing", "/pricing", "Compare plans", 2),
            Link("contact-sales", "/contact-sales", "Talk to sales", 1),
            _hp("welcome-3"),
        ),
        delay_us=7 * DAY,
    ),
    _newsletter(
        "2025-03", 12, "March: funnels that explain themselves", ("stall-detection", "utm-hygiene")
    ),
    _newsletter(
        "2025-04", 9, "April: changes to the free plan", ("free-plan-changes", "bot-opens")
    ),
    Email(
        "webinar-invite",
        "Webinar invite",
        "Live webinar: journeys that convert (May 20)",
        "webinar-2025-05",
        "newsletter",
        (
            Link("register", "/webinar", "Save my seat", 5),
            Link("speakers", "/blog/webinar-speakers", "Meet the speakers", 1),
            _hp("webinar-invite"),
        ),
        send_time=datetime(2025, 5, 6, 15, tzinfo=UTC),
        engagement=1.5,
    ),
    _newsletter(
        "2025-05", 14, "May: what moves contacts forward", ("drivers-explained", "email-influence")
    ),
    Email(
        "promo-summer",
        "Summer promotion",
        "Summer offer: 20% off Pro",
        "summer-promo",
        "newsletter",
        (
            Link("offer", "/pricing?plan=pro", "Claim 20% off", 4),
            Link("trial", "/trial", "Try it first", 2),
            Link("features", "/features", "All features", 1),
            _hp("promo-summer"),
        ),
        send_time=datetime(2025, 6, 3, 10, tzinfo=UTC),
    ),
    _newsletter("2025-06", 11, "June: journeys at scale", ("spark-backend", "attribution-models")),
)

EMAIL_INDEX = {e.id: i for i, e in enumerate(EMAILS)}
WEBINAR = EMAIL_INDEX["webinar-invite"]
WEBINAR_DAY = to_us(datetime(2025, 5, 20, 16, tzinfo=UTC))

# Every link of every email, numbered globally: index -> (email index, Link).
LINKS: tuple[tuple[int, Link], ...] = tuple(
    (i, link) for i, e in enumerate(EMAILS) for link in e.links
)

PAGES = (
    "/",
    "/blog/",
    "/blog/stall-detection",
    "/blog/utm-hygiene",
    "/blog/customer-stories",
    "/blog/bot-opens",
    "/docs/",
    "/docs/getting-started",
    "/docs/integrations",
    "/features",
    "/about",
    "/pricing",
    "/webinar",
    "/trial",
    "/contact-sales",
)
PAGE = {p: i for i, p in enumerate(PAGES)}
LANDING_PAGES = (
    PAGE["/"],
    PAGE["/blog/stall-detection"],
    PAGE["/blog/utm-hygiene"],
    PAGE["/blog/customer-stories"],
    PAGE["/blog/bot-opens"],
    PAGE["/docs/"],
)
LANDING_WEIGHTS = (0.4, 0.15, 0.1, 0.1, 0.1, 0.15)
BROWSE_PAGES = (
    PAGE["/"],
    PAGE["/blog/"],
    PAGE["/blog/stall-detection"],
    PAGE["/blog/bot-opens"],
    PAGE["/docs/"],
    PAGE["/features"],
    PAGE["/about"],
    PAGE["/pricing"],
)
BROWSE_WEIGHTS = (0.25, 0.15, 0.1, 0.1, 0.15, 0.1, 0.1, 0.05)
DOCS_PAGES = (PAGE["/docs/getting-started"], PAGE["/docs/integrations"], PAGE["/docs/"])

FORMS = ("newsletter", "webinar", "contact-sales", "trial")
FORM = {f: i for i, f in enumerate(FORMS)}

# (utm_source, utm_medium, utm_campaign) of visits that arrive through ads and partners.
UTMS = (
    ("google", "cpc", "brand"),
    ("google", "cpc", "funnel-analytics"),
    ("linkedin", "social", "spring-launch"),
    ("twitter", "social", "spring-launch"),
    ("partner-weekly", "newsletter", "partner-feature"),
)

# plan, monthly price in the contact's currency
PLANS = (("starter", 29.0), ("pro", 99.0), ("business", 299.0))
CURRENCIES = ("USD", "EUR", "GBP")


def emails_table() -> pa.Table:
    """Rows of the ``emails`` table."""
    return pa.table(
        {
            "id": [e.id for e in EMAILS],
            "name": [e.name for e in EMAILS],
            "subject": [e.subject for e in EMAILS],
            "campaign": [e.campaign for e in EMAILS],
            "kind": [e.kind for e in EMAILS],
            "send_time": pa.array(
                [e.send_time.replace(tzinfo=None) if e.send_time else None for e in EMAILS],
                pa.timestamp("us"),
            ),
        }
    )


def links_table() -> pa.Table:
    """Rows of the ``email_links`` table, with the global link index used by the generator."""
    return pa.table(
        {
            "idx": pa.array(range(len(LINKS)), pa.int16()),
            "email_id": [EMAILS[i].id for i, _ in LINKS],
            "link_id": [link.link_id for _, link in LINKS],
            "url": [EMAILS[i].url(link) for i, link in LINKS],
            "label": [link.label for _, link in LINKS],
            "honeypot": [link.honeypot for _, link in LINKS],
        }
    )
