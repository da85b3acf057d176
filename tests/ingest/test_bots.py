"""The bot labeller: each rule, its thresholds, precedence, and what it never touches."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import numpy as np

from headway.ingest.bot_settings import BotSettings
from headway.ingest.bots import REASONS, BotContext, classify, flatten

T0 = datetime(2025, 3, 1, 9, 0)  # every email below is delivered at T0
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)
GMAIL = "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)"


def ev(contact: str, type: str, seconds: float, email: str = "e1", **props: Any) -> dict[str, Any]:
    """One canonical activity ``seconds`` after T0 (human-looking unless props say otherwise)."""
    bot = props.pop("bot", False)
    reason = props.pop("bot_reason", None)
    props.setdefault("user_agent", IPHONE)
    props.setdefault("ip", "198.51.100.7")
    return {
        "contact": contact,
        "type": type,
        "ts": T0 + timedelta(seconds=seconds),
        "properties": {"email": email, **props},
        "bot": bot,
        "bot_reason": reason,
    }


def delivered(contact: str, email: str = "e1") -> dict[str, Any]:
    """The delivery of ``email`` to ``contact`` at T0."""
    return ev(contact, "email_delivered", 0, email)


def label(events: list[dict[str, Any]], **kwargs: Any) -> list[str | None]:
    """The reasons the labeller gives, in input order (None = human)."""
    bot, reasons = classify(events, **kwargs)
    assert list(bot) == [r is not None for r in reasons]
    return reasons


def test_human_activity_stays_human() -> None:
    events = [
        delivered("a"),
        ev("a", "email_open", 3600),
        ev("a", "email_click", 3700, link="l1"),
        ev("a", "email_click", 7200, link="l2"),
    ]
    assert label(events) == [None, None, None, None]


def test_head_request() -> None:
    events = [delivered("a"), ev("a", "email_click", 3600, link="l1", method="HEAD")]
    assert label(events)[1] == "head_request"


def test_provider_flags_are_kept_and_our_old_labels_recomputed() -> None:
    events = [
        delivered("a"),
        ev("a", "email_open", 3600, bot=True),  # an adapter's flag without a reason
        ev("a", "email_open", 3601, bot=True, bot_reason="provider_flag"),
        ev("a", "email_open", 3602, sg_machine_open=True),  # a flag left in the properties
        ev("a", "email_open", 3603, bot=True, bot_reason="mpp"),  # our own earlier label
    ]
    assert label(events) == [None, "provider_flag", "provider_flag", "provider_flag", None]


def test_honeypot_hits_and_clicks_within_ten_seconds() -> None:
    context = BotContext(honeypot_links=frozenset({("e1", "trap")}))
    events = [
        delivered("a"),
        ev("a", "email_click", 3600, link="trap"),  # registered honeypot link
        ev("a", "email_click", 3610, link="l1"),  # +10 s: inside the window
        ev("a", "email_click", 3590, link="l2"),  # -10 s: inside the window
        ev("a", "email_click", 3621, link="l3"),  # +21 s: outside
        ev("b", "email_click", 3600, link="l1"),  # another recipient: untouched
        delivered("c"),
        ev("c", "email_click", 5000, link="x", honeypot=True),  # honeypot flagged on the click
        ev("a", "email_click", 3605, email="e2", link="l1"),  # same contact, other email
    ]
    assert label(events, context=context) == [
        None,
        "honeypot",
        "honeypot",
        "honeypot",
        None,
        None,
        None,
        "honeypot",
        None,
    ]


def test_apple_mail_privacy_protection() -> None:
    events = [
        delivered("a"),
        ev("a", "email_open", 5 * 3600, ip="17.58.1.2"),  # Apple's network: any time
        ev("a", "email_open", 60, user_agent="Mozilla/5.0", ip=None),  # generic UA, soon
        ev("a", "email_open", 3600, user_agent="Mozilla/5.0", ip=None),  # generic UA, late
        ev("a", "email_click", 7200, ip="17.58.1.2", link="l1"),  # Apple staff clicking
    ]
    assert label(events) == [None, "mpp", "mpp", "user_agent", None]


def test_gmail_prefetch_only_right_after_delivery() -> None:
    events = [
        delivered("a"),
        ev("a", "email_open", 10, user_agent=GMAIL),
        ev("a", "email_open", 7200, user_agent=GMAIL),  # a person reading in Gmail
        ev("b", "email_open", 10, user_agent=GMAIL),  # no known delivery: cannot tell
    ]
    assert label(events) == [None, "gmail_prefetch", None, None]


def test_scanner_networks_ipv4_and_ipv6() -> None:
    settings = BotSettings(scanner_networks=("40.107.0.0/16", "2001:db8::/32"))
    events = [
        delivered("a"),
        ev("a", "email_click", 3600, ip="40.107.3.4", link="l1"),
        ev("a", "email_open", 3600, ip="2001:db8::1"),
        ev("a", "email_open", 3700, ip="2001:db9::1"),
        ev("a", "email_open", 3800, ip="not an ip"),
    ]
    assert label(events, settings=settings) == [
        None,
        "scanner_network",
        "scanner_network",
        None,
        None,
    ]


def test_user_agents_from_ua_parser_and_scanner_tokens() -> None:
    events = [
        delivered("a"),
        ev("a", "email_click", 3600, link="l1", user_agent="python-requests/2.31.0"),
        ev("a", "email_open", 5000, user_agent="Mozilla/5.0 (compatible; Googlebot/2.1)"),
        ev("a", "email_click", 9000, link="l2", user_agent="Barracuda Sentinel (EE)"),
        ev("a", "email_open", 12000, user_agent=""),
    ]
    assert label(events) == [None, "user_agent", "user_agent", "user_agent", None]


def test_burst_over_distinct_links() -> None:
    events = [
        delivered("a"),
        ev("a", "email_click", 3600, link="l1"),
        ev("a", "email_click", 3602, link="l2"),
        ev("a", "email_click", 3605, link="l3"),  # 3 links within 5 s
        delivered("b"),
        ev("b", "email_click", 3600, link="l1"),
        ev("b", "email_click", 3601, link="l1"),
        ev("b", "email_click", 3602, link="l1"),  # one link thrice: a person double-clicking
        delivered("c"),
        ev("c", "email_click", 3600, link="l1"),
        ev("c", "email_click", 3603, link="l2"),
        ev("c", "email_click", 3606, link="l3"),  # 3 links over 6 s: no 5 s window holds 3
    ]
    reasons = label(events)
    assert reasons[1:4] == ["burst"] * 3
    assert reasons[4:] == [None] * 8
    two = BotSettings(burst_links=2, burst_seconds=3)
    assert label(events, settings=two)[8:] == [None, "burst", "burst", "burst"]


def test_fast_after_delivery_clicks_only() -> None:
    events = [
        delivered("a"),
        ev("a", "email_click", 3, link="l1"),
        ev("a", "email_click", 11, link="l1"),
        ev("a", "email_open", 30),
        ev("b", "email_sent", 0),  # no delivery reported: the send time counts
        ev("b", "email_click", 5, link="l1"),
        ev("c", "email_click", 5, link="l1"),  # never delivered or sent in this batch
    ]
    assert label(events) == [
        None,
        "fast_after_delivery",
        None,
        None,
        None,
        "fast_after_delivery",
        None,
    ]
    assert label(events, settings=BotSettings(fast_after_delivery_seconds=20))[2] == (
        "fast_after_delivery"
    )


def test_opens_next_to_a_machine_click_take_its_reason() -> None:
    events = [
        delivered("a"),
        ev("a", "email_click", 3600, link="l1"),
        ev("a", "email_click", 3601, link="l2"),
        ev("a", "email_click", 3602, link="l3"),  # a burst: a scanner with a browser's UA
        ev("a", "email_open", 3602.5),  # the scanner fetching the pixel
        ev("a", "email_open", 3590),  # 10 s before: outside the 5 s window
        delivered("b"),
        ev("b", "email_open", 7200),
        ev("b", "email_click", 7201, link="l1"),  # a person: open, then click
    ]
    assert label(events) == [None, "burst", "burst", "burst", "burst", None, None, None, None]
    wide = BotSettings(scanner_open_seconds=15)
    assert label(events, settings=wide)[5] == "burst"


def test_precedence_gives_one_reason() -> None:
    context = BotContext(honeypot_links=frozenset({("e1", "trap")}))
    events = [
        delivered("a"),
        ev("a", "email_click", 2, link="trap", ip="40.107.1.1", method="HEAD"),
        ev("a", "email_click", 3, link="l1", ip="40.107.1.1"),
        ev("a", "email_click", 4, link="l2", ip="40.107.1.1"),
    ]
    assert label(events, context=context) == [None, "head_request", "honeypot", "honeypot"]
    assert REASONS.index("head_request") < REASONS.index("fast_after_delivery")


def test_only_opens_and_clicks_are_labelled() -> None:
    events = [
        ev("a", "email_sent", 0, ip="40.107.1.1", bot=True),
        ev("a", "email_delivered", 0, user_agent="curl/8.0"),
        ev("a", "email_unsubscribe", 1, method="HEAD"),
        ev("a", "page_visit", 1, user_agent="curl/8.0"),
    ]
    assert label(events) == [None, None, None, None]


def test_flat_table_input_and_input_order() -> None:
    events = [
        ev("b", "email_click", 4, link="l1"),
        ev("a", "email_click", 3, link="l1"),
        delivered("b"),
        ev("a", "email_click", 7200, link="l1"),
        delivered("a"),
    ]
    expected = ["fast_after_delivery", "fast_after_delivery", None, None, None]
    assert label(events) == expected
    bot, reasons = classify(flatten(events))
    assert reasons == expected
    assert bot.dtype == np.bool_
    empty_bot, empty_reasons = classify([])
    assert len(empty_bot) == 0 and empty_reasons == []
