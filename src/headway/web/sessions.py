"""Who is calling: an API key in a header, or a dashboard login session in a cookie.

The server keeps one secret (``session_secret`` from the settings, else random per process)
that signs session cookies and CSRF tokens. Active keys are cached per app and reloaded
after every key write of this process (``keys_version``), so a key revoked through this
server stops working on its very next request.

A session cookie holds ``<key id>.<expiry>.<nonce>.<HMAC>``: no secret of the key itself.
Each request re-checks that the key is still active and takes its scopes as they are now.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from starlette.responses import Response

from headway.api import Headway, Principal, StoredKey, effective_scopes, match_key

SESSION_COOKIE = "headway_session"
SESSION_SECONDS = 12 * 3600
TOUCH_SECONDS = 3600  # last_used_at is refreshed at most hourly: each refresh is a write
KEY_HEADER = "x-api-key"
_CREATE = threading.Lock()


class KeyCache:
    """The database's active keys, reloaded whenever this process has written keys since."""

    def __init__(self, headway: Headway) -> None:
        self.headway = headway
        self._version = -1
        self._keys: dict[str, StoredKey] = {}
        self._lock = threading.Lock()

    def keys(self) -> dict[str, StoredKey]:
        """Active keys by id, as of the last key write."""
        with self._lock:
            version = self.headway.keys_version()  # read first: a racing write only reloads again
            if version != self._version:
                self._keys = self.headway.active_keys()
                self._version = version
            return self._keys


@dataclass
class AuthState:
    """Per-app authentication state: the server secret, the key cache, ended sessions."""

    secret: bytes
    cache: KeyCache
    ended: dict[str, float] = field(default_factory=dict)  # nonce -> expiry, logged out
    lock: threading.Lock = field(default_factory=threading.Lock)

    def local_mode(self) -> bool:
        """True while the database holds no active key: only local callers are served."""
        return not self.cache.keys()

    def end(self, nonce: str, expires: float) -> None:
        """Forget a session (logout) even if its cookie was copied elsewhere."""
        now = time.time()
        with self.lock:
            self.ended = {n: e for n, e in self.ended.items() if e > now}
            self.ended[nonce] = expires


def new_auth_state(headway: Headway, settings: Any) -> AuthState:
    """Authentication state for an app on ``headway`` with ``settings``."""
    configured = getattr(settings, "session_secret", None)
    secret = configured.get_secret_value().encode() if configured else secrets.token_bytes(32)
    return AuthState(secret, KeyCache(headway))


def auth_state(request: Request) -> AuthState:
    """The app's authentication state (created on first use)."""
    state = request.app.state
    with _CREATE:  # one state per app: a second random secret would break live tokens
        found: AuthState | None = getattr(state, "auth", None)
        if found is None:
            found = new_auth_state(state.headway, getattr(state, "settings", None))
            state.auth = found
    return found


def sign(secret: bytes, purpose: str, value: str) -> str:
    """HMAC-SHA256 of ``value`` for one ``purpose``, URL-safe base64."""
    mac = hmac.new(secret, f"{purpose}|{value}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


# -- API keys in headers ---------------------------------------------------------------------
def presented_key(request: Request) -> str | None:
    """The key sent as ``Authorization: Bearer <key>`` or ``X-API-Key``, if any."""
    header = request.headers.get("authorization")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    return request.headers.get(KEY_HEADER) or None


def check_key(request: Request, token: str) -> Principal | None:
    """The caller holding ``token``, or None when the key is unknown or revoked."""
    state = auth_state(request)
    keys = state.cache.keys()
    principal = match_key(keys, token)
    if principal is not None:
        _note_use(state.cache.headway, keys[principal.key_id])
    return principal


def key_principal(request: Request) -> Principal | None:
    """The caller authenticated by a key header, or None (no header or a bad key)."""
    token = presented_key(request)
    return check_key(request, token) if token else None


def _note_use(headway: Headway, key: StoredKey) -> None:
    last = key.last_used_at
    stale = last is None or time.time() - last.timestamp() > TOUCH_SECONDS
    if stale and not headway.store.read_only:
        headway.touch_key(key.id)


# -- login sessions --------------------------------------------------------------------------
@dataclass(frozen=True)
class Session:
    """A signed login session: whose key, until when, and its own random id."""

    key_id: str
    expires: float
    nonce: str


def encode_session(secret: bytes, session: Session) -> str:
    """The cookie value of ``session``."""
    body = f"{session.key_id}.{int(session.expires)}.{session.nonce}"
    return f"{body}.{sign(secret, 'session', body)}"


def decode_session(secret: bytes, value: str, now: float) -> Session | None:
    """The session in a cookie value, or None if it is tampered with, malformed or expired."""
    parts = value.split(".")
    if len(parts) != 4:
        return None
    key_id, expires, nonce, mac = parts
    if not hmac.compare_digest(mac, sign(secret, "session", ".".join(parts[:3]))):
        return None
    if not expires.isdigit() or int(expires) <= now:
        return None
    return Session(key_id, float(expires), nonce)


def current_session(request: Request) -> Session | None:
    """The request's valid, unexpired, not logged-out session, if any."""
    value = request.cookies.get(SESSION_COOKIE)
    if not value:
        return None
    state = auth_state(request)
    session = decode_session(state.secret, value, time.time())
    if session is None or session.nonce in state.ended:
        return None
    return session


def session_principal(request: Request) -> Principal | None:
    """The caller logged in by a session cookie whose key is still active, or None."""
    session = current_session(request)
    if session is None:
        return None
    key = auth_state(request).cache.keys().get(session.key_id)
    if key is None:  # revoked since login
        return None
    return Principal(key.id, effective_scopes(key.scopes))


def start_session(request: Request, response: Response, key_id: str) -> None:
    """Log the browser in as ``key_id``: set the signed session cookie."""
    session = Session(key_id, time.time() + SESSION_SECONDS, secrets.token_urlsafe(16))
    response.set_cookie(
        SESSION_COOKIE,
        encode_session(auth_state(request).secret, session),
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


def end_session(request: Request, response: Response) -> None:
    """Log the browser out: forget its session and clear the cookie."""
    session = current_session(request)
    if session is not None:
        auth_state(request).end(session.nonce, session.expires)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
