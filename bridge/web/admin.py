"""The one admin check of the application, the admin's browser session and the CSRF guard of its forms.

Every admin route asks :func:`require_admin` (a bearer token) or :func:`check_admin_token` (a token typed into a
form); both compare in constant time, and a client that guesses wrong too often is refused with 429 for a while,
whatever it sends (logged with its address, never with what it sent). The browser session after the login form
is a random id kept hashed in the database, with an expiry, a logout and a new id at every login; forms riding on
it carry a CSRF token bound to the session, and the request's ``Origin`` (when the browser sends one) must be ours.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import delete, select

from bridge.db import Database
from bridge.db.base import aware
from bridge.errors import LeadsError
from bridge.i18n import gettext_for
from bridge.settings import Settings
from bridge.web.clients import client_key
from bridge.web.tables import AdminSession

log = logging.getLogger("leads.admin")
bearer = HTTPBearer(auto_error=False, description="LEADS_ADMIN_TOKEN")
SESSION_COOKIE = "leads_admin"
LOGIN_COOKIE = "leads_login"  # the login form's own CSRF token (double submit), so nobody can log you in
SESSION_HOURS = 8
MAX_FAILURES = 10
FAILURE_WINDOW = 300.0  # seconds
MAX_CLIENTS = 10_000  # clients whose wrong guesses are kept at once (each a few hundred bytes)


def tr(request: Request | None, text: str) -> str:
    """``text`` in the language the request asks for (?lang=, Accept-Language), for messages people read."""
    if request is None:
        return text
    from bridge.web.negotiate import request_lang

    return gettext_for(request_lang(request)).gettext(text)


class TooManyAttempts(LeadsError):
    def __init__(self, retry_after: int, request: Request | None = None) -> None:
        message = tr(request, "Too many wrong admin tokens from this address; try again in %(n)s seconds.")
        super().__init__(message % {"n": retry_after}, code="too_many_attempts", status=429,
                         extra={"retry_after": retry_after})
        self.headers = {"Retry-After": str(retry_after)}


class FailureLimiter:
    """Wrong guesses per client in a sliding window; at ``limit`` the client waits until the oldest expires.

    At most ``max_clients`` are kept: every address that ever sent a wrong token used to stay, so guesses from many
    addresses grew the process without end. Past the bound, the client whose last wrong guess is oldest is
    forgotten first; clients whose window has passed are dropped as they are met."""

    def __init__(self, limit: int = MAX_FAILURES, window: float = FAILURE_WINDOW,
                 clock: Callable[[], float] = time.monotonic, max_clients: int = MAX_CLIENTS) -> None:
        self.limit, self.window, self.clock, self.max_clients = limit, window, clock, max_clients
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()  # least recently failed first
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._failures)

    def _recent(self, client: str, now: float) -> deque[float]:
        times = self._failures.get(client) or deque()
        while times and now - times[0] >= self.window:
            times.popleft()
        return times

    def check(self, client: str, request: Request | None = None) -> None:
        with self._lock:
            now = self.clock()
            times = self._recent(client, now)
            if len(times) >= self.limit:
                raise TooManyAttempts(max(1, int(self.window - (now - times[0])) + 1), request)
            if not times:
                self._failures.pop(client, None)

    def fail(self, client: str) -> None:
        with self._lock:
            now = self.clock()
            times = self._recent(client, now)
            times.append(now)
            self._failures[client] = times
            self._failures.move_to_end(client)
            while self._failures:  # the oldest failures first: passed windows, then past the bound
                oldest, then = next(iter(self._failures.items()))
                if len(self._failures) <= self.max_clients and then and now - then[-1] < self.window:
                    break
                del self._failures[oldest]


def _client(request: Request) -> str:
    return client_key(request.client.host if request.client else None)


class Unauthorized(LeadsError):
    def __init__(self, message: str, params: dict[str, Any] | None = None) -> None:
        super().__init__(message, code="unauthorized", status=401, params=params or {})
        self.headers = {"WWW-Authenticate": 'Bearer realm="leads"'}


def limiter(request: Request) -> FailureLimiter:
    """The dependency provider of the process's one limiter of wrong admin tokens (the composition root builds it;
    a bare test application sets ``app.state.admin_limiter``)."""
    found: FailureLimiter = request.app.state.admin_limiter
    return found


def token_matches(settings: Settings, given: str | None) -> bool:
    """Constant-time comparison with LEADS_ADMIN_TOKEN (an empty or missing token never matches)."""
    expected = settings.admin_token.get_secret_value().encode()
    return bool(given) and hmac.compare_digest((given or "").encode(), expected)


def check_admin_token(request: Request, given: str | None, what: str = "this",
                      guard: FailureLimiter | None = None) -> None:
    """Refuse unless ``given`` is the admin token; wrong guesses count against the client (429 past the limit)."""
    guard, client = guard or limiter(request), _client(request)
    guard.check(client, request)
    if token_matches(request.app.state.settings, given):
        return
    guard.fail(client)
    log.warning("wrong or missing admin token from %s on %s %s", client, request.method, request.url.path)
    raise Unauthorized("%(what)s needs the admin token: send 'Authorization: Bearer <LEADS_ADMIN_TOKEN>'",
                       params={"what": what})


def bearer_token(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    scheme, _, value = auth.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def require_admin(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
                  guard: FailureLimiter = Depends(limiter)) -> None:
    """The dependency of every admin API route: ``Authorization: Bearer <LEADS_ADMIN_TOKEN>``."""
    check_admin_token(request, credentials.credentials if credentials else None, guard=guard)


# -- the admin's browser session --------------------------------------------------------------------------------


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class AdminSessions:
    def __init__(self, db: Database, hours: float = SESSION_HOURS,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.db, self.lifetime, self.clock = db, timedelta(hours=hours), clock

    def open(self, previous: str | None = None) -> str:
        """A new session id (the previous one, if any, ends: a fresh id at every login)."""
        session_id, now = secrets.token_urlsafe(32), self.clock()
        with self.db.session() as session:
            session.execute(delete(AdminSession).where(AdminSession.expires_at <= now))
            if previous:
                session.execute(delete(AdminSession).where(AdminSession.id_hash == _hash(previous)))
            session.add(AdminSession(id_hash=_hash(session_id), created_at=now, expires_at=now + self.lifetime))
            session.commit()
        return session_id

    def valid(self, session_id: str | None) -> bool:
        if not session_id or len(session_id) > 100:
            return False
        with self.db.session() as session:
            expires = session.scalar(select(AdminSession.expires_at).where(AdminSession.id_hash == _hash(session_id)))
        if expires is None:
            return False
        return aware(expires) > self.clock()

    def close(self, session_id: str | None) -> None:
        if session_id:
            with self.db.session() as session:
                session.execute(delete(AdminSession).where(AdminSession.id_hash == _hash(session_id)))
                session.commit()


def sessions(request: Request) -> AdminSessions:
    """The dependency provider of the admin browser sessions (built once by the composition root)."""
    found: AdminSessions = request.app.state.admin_sessions
    return found


def session_id(request: Request) -> str | None:
    """The admin session of this browser, if it is valid."""
    sid = request.cookies.get(SESSION_COOKIE)
    return sid if sid and sessions(request).valid(sid) else None


# -- CSRF -------------------------------------------------------------------------------------------------------


def csrf_token(settings: Settings, session_id: str) -> str:
    """The token a form of this session must send back (bound to the session, useless with another one)."""
    key = settings.secret_key.get_secret_value().encode()
    return hmac.new(key, b"leads-csrf:" + session_id.encode(), hashlib.sha256).hexdigest()


def check_origin(request: Request) -> None:
    """A browser's cross-site form post names its page's origin: refuse any other than this installation's."""
    given = request.headers.get("origin")
    if given is None:
        return
    base = urlsplit(request.app.state.settings.base_url)
    ours = {f"{base.scheme}://{base.netloc}".lower(), f"{request.url.scheme}://{request.url.netloc}".lower()}
    if given.lower() not in ours:
        log.warning("cross-site form post refused: origin %r on %s", given[:100], request.url.path)
        raise LeadsError(tr(request, "This form was sent from another site; open the page here and send it again."),
                         code="cross_site_request", status=403)


def check_csrf(request: Request, sid: str, given: str | None) -> None:
    """A state-changing form riding on the session cookie: same origin and the session's CSRF token."""
    check_origin(request)
    expected = csrf_token(request.app.state.settings, sid)
    if not given or not hmac.compare_digest(given.encode(), expected.encode()):
        raise LeadsError(tr(request, "This form has expired or did not come from this site; open the page again "
                                     "and send it again."), code="csrf_failed", status=403)
