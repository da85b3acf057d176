"""Prepare an email's HTML for tracking: tracked links, the open pixel, a honeypot, headers.

The HTML is read with the standard library's HTML parser and written back token by token:
everything passes through unchanged except the ``href`` of ``<a>`` tags pointing to http(s)
URLs, and the pixel (plus the optional hidden honeypot link) inserted before ``</body>``.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser

from headway.ingest.tokens import Signer
from headway.model.emails import check_link_url, is_trackable_url
from headway.store.emails import add_link, get_email
from headway.store.store import Store


@dataclass(frozen=True)
class PreparedEmail:
    """Tracked HTML and the mail headers to add when sending it."""

    html: str
    headers: tuple[tuple[str, str], ...]
    links: int


def prepare_email(
    store: Store,
    signer: Signer,
    base_url: str,
    email_id: str,
    contact: str,
    source_html: str,
    honeypot: bool = False,
) -> PreparedEmail:
    """Rewrite ``source_html`` for one contact, registering its links on the fly."""
    get_email(store, email_id)  # NotFound before anything is written
    base = base_url.rstrip("/")
    tracked: dict[str, str] = {}

    def track(url: str) -> str:
        link_id = tracked.get(url) or add_link(store, email_id, url)
        tracked[url] = link_id
        return f"{base}/t/c/{signer.sign('click', email_id, contact, link_id)}"

    extra = [pixel_html(f"{base}/t/o/{signer.sign('open', email_id, contact)}.gif")]
    if honeypot:
        link_id = add_link(store, email_id, check_link_url(base + "/"), "honeypot", honeypot=True)
        extra.append(
            honeypot_html(f"{base}/t/c/{signer.sign('click', email_id, contact, link_id)}")
        )
    unsubscribe = f"{base}/t/u/{signer.sign('unsubscribe', email_id, contact)}"
    headers = (
        ("List-Unsubscribe", f"<{unsubscribe}>"),
        ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
    )
    return PreparedEmail(rewrite_html(source_html, track, "".join(extra)), headers, len(tracked))


def pixel_html(url: str) -> str:
    """The 1×1 open pixel."""
    src = html.escape(url, quote=True)
    return f'<img src="{src}" width="1" height="1" alt="" style="display:none;border:0">'


def honeypot_html(url: str) -> str:
    """A link no person sees or follows: only scanners that fetch every link hit it."""
    href = html.escape(url, quote=True)
    return (
        f'<a href="{href}" style="display:none;font-size:0;max-height:0;overflow:hidden" '
        'aria-hidden="true" tabindex="-1"></a>'
    )


def rewrite_html(source: str, track: Callable[[str], str], before_body_end: str) -> str:
    """``source`` with http(s) ``<a href>`` replaced by ``track(url)`` and an insert before
    ``</body>`` (at the end when there is no body end tag)."""
    rewriter = _Rewriter(track, before_body_end)
    rewriter.feed(source)
    rewriter.close()
    if not rewriter.inserted:
        rewriter.out.append(before_body_end)
    return "".join(rewriter.out)


class _Rewriter(HTMLParser):
    def __init__(self, track: Callable[[str], str], insert: str) -> None:
        super().__init__(convert_charrefs=False)
        self.track = track
        self.insert = insert
        self.inserted = False
        self.out: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.out.append(self._tag(tag, attrs, "") if tag == "a" else self._raw())

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.out.append(self._tag(tag, attrs, " /") if tag == "a" else self._raw())

    def handle_endtag(self, tag: str) -> None:
        if tag == "body" and not self.inserted:
            self.out.append(self.insert)
            self.inserted = True
        self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        self.out.append(data)

    def handle_entityref(self, name: str) -> None:
        self.out.append(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self.out.append(f"&#{name};")

    def handle_comment(self, data: str) -> None:
        self.out.append(f"<!--{data}-->")

    def handle_decl(self, decl: str) -> None:
        self.out.append(f"<!{decl}>")

    def handle_pi(self, data: str) -> None:
        self.out.append(f"<?{data}>")

    def unknown_decl(self, data: str) -> None:
        self.out.append(f"<![{data}]>")

    def _raw(self) -> str:
        return self.get_starttag_text() or ""

    def _tag(self, tag: str, attrs: list[tuple[str, str | None]], close: str) -> str:
        href = next((v for k, v in attrs if k == "href"), None)
        if href is None or not is_trackable_url(href):
            return self._raw()  # mailto:, tel:, #anchors and relative links stay as they are
        url = href.strip()
        parts = [tag]
        for name, value in attrs:
            value = self.track(url) if name == "href" else value
            parts.append(name if value is None else f'{name}="{html.escape(value, quote=True)}"')
        return f"<{' '.join(parts)}{close}>"
