"""What keeps the page to its user: the per-install secret and the request guard.

The server listens on 127.0.0.1 only.  Every request must name that address
and port in ``Host`` (a DNS-rebinding page names its own host); every request
that changes something must carry the secret in a header, which only a page
served here can read, and an ``Origin`` of this very server.  No CORS header is
ever sent, so other pages cannot read the answers either.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

LOOPBACK = "127.0.0.1"
SECRET_FILE = "ui-secret"
HEADER = "x-podsync-secret"
COOKIE = "podsync-secret"
SAFE_METHODS = frozenset({"GET", "HEAD"})
LOGIN_TTL = 600
"""Seconds a login link works (once) after ``podsync ui`` made it."""

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        b"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
]
"""Sent with every answer: only this server's own scripts and styles, never in a frame."""


def load_secret(state_dir: Path) -> str:
    """The install's secret, kept in ``state_dir`` (readable by its owner only); made once."""
    path = state_dir / SECRET_FILE
    with contextlib.suppress(FileNotFoundError):
        if text := path.read_text(encoding="ascii").strip():
            return text
    state_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(32)
    draft = state_dir / f".{SECRET_FILE}.{os.getpid()}"
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(secret + "\n")
        f.flush()
        os.fsync(f.fileno())
    try:
        os.link(draft, path)  # fails when another process made one first: use that one
    except FileExistsError:
        secret = path.read_text(encoding="ascii").strip()
    finally:
        draft.unlink()
    return secret


def hosts(port: int) -> frozenset[str]:
    """The ``Host`` values a browser sends to this server."""
    return frozenset({f"{LOOPBACK}:{port}", f"localhost:{port}"})


def same_secret(given: str | None, secret: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), secret.encode())


def login_token(secret: str, now: float | None = None) -> str:
    """A login link's token: works once, for :data:`LOGIN_TTL` seconds, and is not the secret.

    The browser keeps the addresses it opened (its history database, its session
    files), redirects included: what it keeps of ``/login?token=…`` is a spent token.
    Signed with the secret, so the watcher's server accepts one made by ``podsync ui``.
    """
    expires = int((time.time() if now is None else now) + LOGIN_TTL)
    nonce = secrets.token_urlsafe(16)
    return f"{expires}.{nonce}.{_signature(secret, expires, nonce)}"


def _signature(secret: str, expires: int, nonce: str) -> str:
    message = f"podsync login {expires} {nonce}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


class LoginTokens:
    """Spends login tokens: each one once, before it expires; the spent ones are kept until
    they expire (a server started later forgets them, but they expire all the same)."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self._spent: dict[str, int] = {}
        self._lock = threading.Lock()

    def spend(self, token: str | None, now: float | None = None) -> bool:
        """True (once) for a token made with this secret that has not expired."""
        expires_text, _, rest = (token or "").partition(".")
        nonce, _, signature = rest.partition(".")
        if not expires_text.isdigit() or not nonce or not signature:
            return False
        expires = int(expires_text)
        if not same_secret(signature, _signature(self.secret, expires, nonce)):
            return False
        now = time.time() if now is None else now
        if not now <= expires <= now + LOGIN_TTL + 60:  # 60 s for clocks set back
            return False
        with self._lock:
            self._spent = {n: e for n, e in self._spent.items() if e >= now}
            if nonce in self._spent:
                return False
            self._spent[nonce] = expires
        return True


def refusal(request_headers: dict[str, str], method: str, port: int, secret: str) -> str | None:
    """Why a request must be refused, or None when it may go on."""
    host = request_headers.get("host", "")
    if host not in hosts(port):
        return f"refused: this page answers only at http://{LOOPBACK}:{port}/ (Host: {host!r})"
    if method in SAFE_METHODS:
        return None
    origin = request_headers.get("origin")
    if origin != f"http://{host}":
        return "refused: a change must come from podsync's own page (Origin)"
    if not same_secret(request_headers.get(HEADER), secret):
        return "refused: missing or wrong secret; open the page with 'podsync ui'"
    return None


class Guard:
    """ASGI middleware: refuse what :func:`refusal` refuses, add :data:`HEADERS` to answers."""

    def __init__(self, app: ASGIApp, port: int, secret: str) -> None:
        self.app, self.port, self.secret = app, port, secret

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        why = refusal(headers, scope["method"], self.port, self.secret)

        async def send_guarded(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *HEADERS]
            await send(message)

        if why is None:
            await self.app(scope, receive, send_guarded)
            return
        body = (why + "\n").encode()
        await send_guarded(
            {
                "type": "http.response.start",
                "status": 403,
                "headers": [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send_guarded({"type": "http.response.body", "body": body})
