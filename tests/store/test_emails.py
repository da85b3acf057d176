"""The emails registry: emails and their links in a real database file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from headway.errors import Conflict, InvalidInput, NotFound
from headway.model.emails import Email, EmailLink
from headway.store import Store
from headway.store.emails import (
    add_link,
    find_email,
    get_email,
    get_link,
    list_emails,
    list_links,
    register_email,
)


def test_register_and_read_back(store: Store) -> None:
    cet = timezone(timedelta(hours=1))
    register_email(store, "w1", "Welcome", "Hi!", "onboarding", "transactional",
                   datetime(2026, 3, 1, 10, tzinfo=cet))  # fmt: skip
    register_email(store, "n1", "News", send_time=datetime(2026, 4, 1))
    register_email(store, "draft", "Draft")
    email = get_email(store, "w1")
    assert (email.name, email.subject, email.campaign, email.kind) == (
        "Welcome", "Hi!", "onboarding", "transactional"
    )  # fmt: skip
    assert email.send_time == datetime(2026, 3, 1, 9)  # stored in UTC
    assert email.created_at is not None and email.created_at <= datetime.now(UTC).replace(
        tzinfo=None
    )
    assert [e.id for e in list_emails(store)] == ["n1", "w1", "draft"]
    assert find_email(store, "nope") is None
    assert isinstance(email, Email)


def test_register_refuses_bad_input(store: Store) -> None:
    register_email(store, "w1", "Welcome")
    with pytest.raises(Conflict, match="already registered"):
        register_email(store, "w1", "Again")
    with pytest.raises(InvalidInput, match="kind must be one of newsletter, transactional"):
        register_email(store, "w2", "W", kind="promo")
    with pytest.raises(InvalidInput, match="non-empty name"):
        register_email(store, "w3", " ")
    with pytest.raises(NotFound, match="headway emails add nope"):
        get_email(store, "nope")


def test_links_have_stable_ids_per_url(store: Store) -> None:
    register_email(store, "w1", "Welcome")
    register_email(store, "w2", "Other")
    a = add_link(store, "w1", "https://example.com/a", "A")
    assert add_link(store, "w1", "https://example.com/a", "renamed") == a  # kept as it was
    assert add_link(store, "w2", "https://example.com/a") == a  # same URL, same id
    b = add_link(store, "w1", "https://example.com/b")
    trap = add_link(store, "w1", "https://example.com/", honeypot=True)
    assert len({a, b, trap}) == 3
    assert list_links(store, "w1") == [
        EmailLink("w1", a, "https://example.com/a", "A", False),
        EmailLink("w1", b, "https://example.com/b", None, False),
        EmailLink("w1", trap, "https://example.com/", None, True),
    ]
    assert get_link(store, "w2", b) is None  # w2 never had link b
    assert get_link(store, "w1", b) == EmailLink("w1", b, "https://example.com/b", None, False)


@pytest.mark.parametrize(
    "url",
    ["", "example.com/a", "/relative", "javascript:alert(1)", "mailto:a@b", "https:///nohost",
     "https://e.com/a b", "https://e.com/\r\nSet-Cookie: x", "ftp://e.com/f", "x" * 3000],
)  # fmt: skip
def test_links_must_be_absolute_http_urls(store: Store, url: str) -> None:
    register_email(store, "w1", "Welcome")
    with pytest.raises(InvalidInput):
        add_link(store, "w1", url)
    assert list_links(store, "w1") == []


def test_links_need_a_registered_email(store: Store) -> None:
    with pytest.raises(NotFound):
        add_link(store, "nope", "https://example.com")
