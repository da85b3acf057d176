"""Preparing an email's HTML: tracked links, pixel, honeypot and unsubscribe headers."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from headway.cli import app
from headway.errors import ConfigError, NotFound
from headway.ingest.prepare import prepare_email, rewrite_html
from headway.ingest.tokens import Signer, SigningKey
from headway.store import Store
from headway.store.emails import list_links, register_email

SIGNER = Signer([SigningKey("k", b"k" * 32)])
BASE = "https://t.example.com"


def fake_track(url: str) -> str:
    return "TRACKED(" + url + ")"


def test_http_links_are_rewritten_and_everything_else_is_kept() -> None:
    source = (
        "<!DOCTYPE html><html><head><style>a{color:red}</style></head><body>"
        "<!-- hi --><p>Caf&eacute; &#169; <A HREF='https://example.com/a?x=1&amp;y=2' class=btn>"
        "A</A> <a href=\"mailto:x@example.com\">m</a> <a href='tel:+123'>t</a> <a href='#top'>#"
        "</a> <a href='/relative'>r</a> <a name=anchor>n</a><br/><img src=\"x.png\"/>"
        "<a href=' http://example.com/b '>b</a></p></body></html>"
    )
    out = rewrite_html(source, fake_track, "<PIXEL>")
    assert 'href="TRACKED(https://example.com/a?x=1&amp;y=2)" class="btn"' in out
    assert 'href="TRACKED(http://example.com/b)"' in out
    for kept in ('<a href="mailto:x@example.com">', "<a href='tel:+123'>", "<a href='#top'>",
                 "<a href='/relative'>", "<a name=anchor>", "<!-- hi -->", "<!DOCTYPE html>",
                 "Caf&eacute; &#169;", "<style>a{color:red}</style>", "<br/>",
                 '<img src="x.png"/>'):  # fmt: skip
        assert kept in out, kept
    assert out.endswith("</p><PIXEL></body></html>")
    assert out.count("TRACKED(") == 2


def test_without_a_body_tag_the_pixel_goes_at_the_end() -> None:
    assert rewrite_html("<p>hi</p>", fake_track, "<PIXEL>") == "<p>hi</p><PIXEL>"


def test_attribute_values_are_escaped_when_rewritten() -> None:
    out = rewrite_html('<a title="&quot;q&quot; &lt;b&gt;" href="https://e.com">x</a>',
                       lambda url: url + '?"<>', "")  # fmt: skip
    assert 'title="&quot;q&quot; &lt;b&gt;"' in out
    assert 'href="https://e.com?&quot;&lt;&gt;"' in out


@pytest.fixture
def email(store: Store) -> str:
    register_email(store, "news-7", "News 7", campaign="news")
    return "news-7"


def test_prepare_registers_links_once_with_stable_ids(store: Store, email: str) -> None:
    html = (
        '<body><a href="https://example.com/a">1</a><a href="https://example.com/a">2</a>'
        '<a href="https://example.com/b">3</a></body>'
    )
    first = prepare_email(store, SIGNER, BASE, email, "alice", html)
    second = prepare_email(store, SIGNER, BASE, email, "bob", html)
    links = list_links(store, email)
    assert [(link.url, link.honeypot) for link in links] == [
        ("https://example.com/a", False), ("https://example.com/b", False)
    ]  # fmt: skip
    assert first.links == second.links == 2

    clicks = re.findall(r'href="https://t\.example\.com/t/c/([^"]+)"', first.html)
    assert [SIGNER.verify(t, "click").link for t in clicks] == [
        links[0].link_id, links[0].link_id, links[1].link_id
    ]  # fmt: skip
    [pixel] = re.findall(r'<img src="https://t\.example\.com/t/o/([^"]+)\.gif"', first.html)
    assert SIGNER.verify(pixel, "open").contact == "alice"
    assert first.html.index("<img") < first.html.index("</body>")


def test_prepare_adds_the_honeypot_and_unsubscribe_headers(store: Store, email: str) -> None:
    prepared = prepare_email(store, SIGNER, BASE + "/", email, "alice", "<p>x</p>", True)
    [honeypot] = [link for link in list_links(store, email) if link.honeypot]
    [token] = re.findall(r'<a href="https://t\.example\.com/t/c/([^"]+)" style="display:none',
                         prepared.html)  # fmt: skip
    assert SIGNER.verify(token, "click").link == honeypot.link_id
    (name1, value1), (name2, value2) = prepared.headers
    assert (name1, name2, value2) == ("List-Unsubscribe", "List-Unsubscribe-Post",
                                      "List-Unsubscribe=One-Click")  # fmt: skip
    assert value1.startswith("<https://t.example.com/t/u/") and value1.endswith(">")
    unsubscribe = SIGNER.verify(value1[len("<https://t.example.com/t/u/") : -1], "unsubscribe")
    assert (unsubscribe.email, unsubscribe.contact) == (email, "alice")


def test_prepare_needs_a_registered_email(store: Store) -> None:
    with pytest.raises(NotFound, match="headway emails add"):
        prepare_email(store, SIGNER, BASE, "nope", "alice", "<p/>")


def test_email_prepare_command(tmp_path: Path) -> None:
    headway = str(Path(sys.executable).parent / "headway")
    db = str(tmp_path / "h.duckdb")
    config = tmp_path / "h.toml"
    config.write_text(f'[[tracking.keys]]\nid = "k"\nsecret = "{"k" * 32}"\n')
    added = CliRunner().invoke(app, ["--db", db, "emails", "add", "w1", "--name", "W"])
    assert added.exit_code == 0, added.output
    run = subprocess.run(
        [headway, "--db", db, "email", "prepare", "--email", "w1", "--contact", "alice",
         "--base-url", BASE, "--config", str(config), "--honeypot"],
        input='<html><body><a href="https://example.com/x">x</a></body></html>',
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert run.stdout.count("https://t.example.com/t/c/") == 2 and "/t/o/" in run.stdout
    assert re.search(r"^List-Unsubscribe: <https://t\.example\.com/t/u/[\w.-]+>$", run.stderr, re.M)
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in run.stderr
    missing = CliRunner().invoke(
        app, ["--db", db, "email", "prepare", "--email", "w1", "--contact", "a",
              "--config", str(config)], input="<p/>",
    )  # fmt: skip
    assert isinstance(missing.exception, ConfigError)
    assert "no public base URL for tracking links" in missing.exception.message
