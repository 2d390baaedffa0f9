"""Sign in with Wikimedia: the OAuth 2 authorization code flow of MediaWiki's Extension:OAuth, with PKCE.

Endpoints (extension.json ``RestRoutes``): ``GET {rest}/oauth2/authorize`` (``response_type=code``, ``client_id``,
``redirect_uri``, ``state``, ``code_challenge`` + ``code_challenge_method=S256``), ``POST {rest}/oauth2/access_token``
(form: ``grant_type=authorization_code``, ``code``, ``redirect_uri``, ``client_id``, ``client_secret``,
``code_verifier``) and ``GET {rest}/oauth2/resource/profile`` with ``Authorization: Bearer`` (``sub`` = central user
id, ``username``; a hidden user has no ``username``). Errors are league/oauth2-server's ``{"error",
"error_description", "hint"}``.

The login is the only way a wiki username reaches a pool profile (decision 027): the username comes from the
wiki's answer, never from what someone typed. The same login opens a browser session for "My certificates" outside
the LMS.

A sign-in finishes only in the browser that started it: starting sets a random login cookie (``LOGIN_COOKIE``,
HttpOnly, SameSite=Lax, path the callback) and the ``state`` is sealed to its hash, so a callback link sent to
someone else, or the wiki's authorize URL opened by someone else, binds and signs in nobody. A profile's sign-in
started elsewhere (the API, the CLI) is a single-use LEADS link its owner opens: LEADS names the profile and asks
before sending that browser to the wiki.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import httpx
from sqlalchemy import delete, or_, select

from bridge.db import Database
from bridge.db.base import aware
from bridge.errors import LeadsError, NotFound, UpstreamError
from bridge.pool import sealed
from bridge.pool.tables import PoolProfile, WikiLoginState, WikiSession
from bridge.settings import Settings

STATE_MINUTES = 10
SESSION_HOURS = 8
COOKIE = "leads_wiki"
CALLBACK_PATH = "/pool/wiki/callback"
LOGIN_COOKIE = "leads_wiki_login"  # the browser a sign-in was started in (path: the callback only)
FORM_COOKIE = "leads_wiki_form"  # the profile sign-in form's own CSRF token (double submit, SameSite=Strict)
STATE_PREFIX = "s1."


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()



@dataclass(frozen=True)
class WikiIdentity:
    username: str
    sub: str


def configured(settings: Settings) -> bool:
    return bool(settings.wiki_oauth_client_id and settings.wiki_oauth_client_secret)


def form_targets(settings: Settings) -> Callable[[str], tuple[str, ...]]:
    """For the security headers: the profile's "Continue to Wikimedia" form posts here and is sent on to the
    wiki's authorize page, which the browser checks against that page's ``form-action``."""
    wiki = (wiki_home(settings),) if configured(settings) else ()

    def targets(path: str) -> tuple[str, ...]:
        return wiki if path.startswith("/pool/people/") and path.endswith("/wiki-login") else ()

    return targets


def wiki_home(settings: Settings) -> str:
    """The wiki's address (for links to user pages): the REST URL without ``/w/rest.php``."""
    parts = urlsplit(settings.wiki_oauth_rest_url)
    return f"{parts.scheme}://{parts.netloc}"


def user_page(settings: Settings, username: str) -> str:
    return f"{wiki_home(settings)}/wiki/User:{quote(username.replace(' ', '_'))}"


def redirect_uri(settings: Settings) -> str:
    return settings.base_url.rstrip("/") + CALLBACK_PATH


def _not_configured() -> LeadsError:
    return LeadsError("Wikimedia sign-in is not set up on this installation (no OAuth client of the wiki)",
                      code="wiki_login_unavailable", status=404)


def check_configured(settings: Settings) -> None:
    if not configured(settings):
        raise _not_configured()


def _browser_aad(browser: str) -> bytes:
    return b"leads-wiki-state|" + _hash(browser).encode()


def new_browser_value() -> str:
    """The value of the login cookie a browser gets as it is sent to the wiki (``LOGIN_COOKIE``)."""
    return secrets.token_urlsafe(32)


def _new_verifier() -> str:
    return secrets.token_urlsafe(64)[:96]


def authorize(settings: Settings, now: datetime, browser: str, profile_id: int | None = None,
              verifier: str | None = None) -> str:
    """The wiki's authorize URL for a sign-in that only the browser holding ``browser`` (the login cookie) can
    finish: the ``state`` seals the PKCE verifier, the profile the login is for and its expiry with a key derived
    from ``LEADS_SECRET_KEY``, bound to the hash of that cookie. Nothing is stored, so anyone may start as many
    sign-ins as they like without growing a table."""
    if not configured(settings):
        raise _not_configured()
    verifier = verifier or _new_verifier()
    expires = int((now + timedelta(minutes=STATE_MINUTES)).timestamp())
    state = STATE_PREFIX + sealed.seal(settings, "wiki-login-state", f"{expires}|{profile_id or ''}|{verifier}",
                                       _browser_aad(browser)).rstrip("=")
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = {"response_type": "code", "client_id": settings.wiki_oauth_client_id or "",
             "redirect_uri": redirect_uri(settings), "state": state,
             "code_challenge": challenge, "code_challenge_method": "S256"}
    return f"{settings.wiki_oauth_rest_url.rstrip('/')}/oauth2/authorize?{urlencode(query)}"


def _not_this_browser() -> LeadsError:
    return LeadsError("this sign-in was not started in this browser, or it has expired (10 minutes) or was already "
                      "used: start the sign-in again from LEADS, in this browser", code="wiki_login_state", status=400)


def _unseal(settings: Settings, state: str, browser: str | None, now: datetime) -> tuple[str, int | None]:
    """The PKCE verifier and the profile of a state this browser started and that has not expired."""
    if not browser or not state.startswith(STATE_PREFIX) or len(state) > 1000:
        raise _not_this_browser()
    plain = sealed.unseal(settings, "wiki-login-state", state[len(STATE_PREFIX):], _browser_aad(browser))
    try:  # None: another browser's, made up, or sealed under another secret key
        expires, profile, verifier = (plain or "").split("|", 2)
        expired, profile_id = int(expires) < now.timestamp(), int(profile) if profile else None
    except ValueError as exc:
        raise _not_this_browser() from exc
    if expired:
        raise _not_this_browser()
    return verifier, profile_id


# --- The single-use link that starts a profile's sign-in in its owner's browser -----------------------------------

def start(db: Database, settings: Settings, now: datetime, profile_id: int | None = None) -> str:
    """Where a person starts signing in with Wikimedia. For a profile (its management token was checked by the
    caller): a single-use LEADS link, valid ``STATE_MINUTES``, that its owner opens in her own browser; LEADS asks
    there "You are about to show your Wikimedia account on the profile …" and only then sends that browser to the
    wiki. A new link voids the profile's earlier one. Without a profile: the plain sign-in of "My certificates".

    Never the wiki's authorize URL: whoever opened that and approved at the wiki would bind their account to the
    profile, in a browser LEADS never saw (the sign-in is bound to the browser that starts it)."""
    if not configured(settings):
        raise _not_configured()
    base = settings.base_url.rstrip("/")
    if profile_id is None:
        return f"{base}/pool/wiki/login"
    link = secrets.token_urlsafe(32)
    with db.session() as session:
        handle = session.scalar(select(PoolProfile.handle).where(PoolProfile.id == profile_id))
        if handle is None:
            raise NotFound("the pool profile of this sign-in no longer exists")
        session.execute(delete(WikiLoginState).where(or_(WikiLoginState.expires_at < now,
                                                         WikiLoginState.profile_id == profile_id)))
        session.add(WikiLoginState(state_hash=_hash(link), code_verifier=_new_verifier(), profile_id=profile_id,
                                   created_at=now, expires_at=now + timedelta(minutes=STATE_MINUTES)))
    return f"{base}/pool/people/{quote(handle)}/wiki-login?{urlencode({'link': link})}"


@dataclass(frozen=True)
class PendingLink:
    profile_id: int
    handle: str
    display_name: str
    verifier: str


def _link_refused() -> LeadsError:
    return NotFound("this sign-in link is unknown, was already used or has expired (a link works once, for 10 "
                    "minutes): ask for a new one, or sign in with the profile's management token below",
                    code="wiki_login_link")


def pending_link(db: Database, handle: str, link: str, now: datetime, *, spend: bool = False) -> PendingLink:
    """The profile a sign-in link is for (it must be ``handle``'s, unexpired); ``spend`` deletes it in the same step,
    so that it serves once."""
    with db.session() as session:
        row = session.get(WikiLoginState, _hash(link)) if link else None
        profile = session.get(PoolProfile, row.profile_id) if row is not None and row.profile_id else None
        if row is None or profile is None or profile.handle != handle or aware(row.expires_at) < now:
            raise _link_refused()
        found = PendingLink(profile.id, profile.handle, profile.display_name, row.code_verifier)
        if spend:
            deleted = session.execute(delete(WikiLoginState).where(WikiLoginState.state_hash == row.state_hash))
            if getattr(deleted, "rowcount", 1) != 1:  # a concurrent confirmation spent it first
                raise _link_refused()
    return found


def _oauth_error(response: httpx.Response, step: str) -> LeadsError:
    try:
        body: Any = response.json()
    except ValueError:
        body = {}
    error = body.get("error") if isinstance(body, dict) else None
    detail = (body.get("hint") or body.get("error_description")) if isinstance(body, dict) else None
    if error in ("invalid_grant", "access_denied"):
        return LeadsError("the wiki did not accept the sign-in (%(error)s: %(detail)s); start it again",
                          code="wiki_login_refused", status=400, params={"error": error, "detail": detail})
    return UpstreamError("the wiki's %(step)s answered HTTP %(status_code)s%(detail)s", code="wiki_login_failed",
                         params={"step": step, "status_code": response.status_code,
                                 "detail": f" ({error}: {detail})" if error else ""})


def finish(db: Database, settings: Settings, http: httpx.Client, *, code: str, state: str, browser: str | None,
           now: datetime) -> tuple[WikiIdentity, int | None]:
    """Exchange the code (with the PKCE verifier and the client secret), ask the wiki who signed in, and bind
    that username to the profile the login was started for. ``browser`` is the login cookie of the browser the
    wiki sent back: a state another browser started (a link someone was sent) is refused before anything else."""
    if not configured(settings):
        raise _not_configured()
    verifier, profile_id = _unseal(settings, state, browser, now)
    rest = settings.wiki_oauth_rest_url.rstrip("/")
    secret = settings.wiki_oauth_client_secret.get_secret_value() if settings.wiki_oauth_client_secret else ""
    try:
        token = http.post(f"{rest}/oauth2/access_token", data={
            "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri(settings),
            "client_id": settings.wiki_oauth_client_id, "client_secret": secret,
            "code_verifier": verifier})
        if token.status_code != 200:
            raise _oauth_error(token, "token endpoint")
        access = token.json().get("access_token")
        if not isinstance(access, str) or not access:
            raise UpstreamError("the wiki's token endpoint gave no access token", code="wiki_login_failed")
        answer = http.get(f"{rest}/oauth2/resource/profile", headers={"Authorization": f"Bearer {access}"})
        if answer.status_code != 200:
            raise _oauth_error(answer, "profile endpoint")
        profile = answer.json()
    except httpx.HTTPError as exc:
        raise UpstreamError("the wiki could not be reached (%(name)s)",
                            code="wiki_login_failed", params={"name": exc.__class__.__name__}) from exc
    username, sub = profile.get("username"), profile.get("sub")
    if not isinstance(username, str) or not username or sub in (None, "", 0):
        raise LeadsError("the wiki does not show this account's username (a hidden account cannot be shown)",
                         code="wiki_username_hidden", status=403)
    identity = WikiIdentity(username=username, sub=str(sub))
    if profile_id is not None:
        bind(db, profile_id, identity, now)
    return identity, profile_id


def bind(db: Database, profile_id: int, identity: WikiIdentity, now: datetime) -> str:
    """Set the profile's wiki username from a login; one wiki account shows on one profile only."""
    with db.session() as session:
        other = session.scalar(select(PoolProfile).where(PoolProfile.wiki_sub == identity.sub,
                                                         PoolProfile.id != profile_id))
        if other is not None:
            raise LeadsError("the wiki account %(username)s already shows on the pool profile '%(handle)s'; remove it "
                             "there first", code="wiki_account_taken", status=409,
                             params={"username": identity.username, "handle": other.handle})
        profile = session.get(PoolProfile, profile_id)
        if profile is None:
            raise NotFound("the pool profile of this sign-in no longer exists")
        profile.wiki_username, profile.wiki_sub, profile.wiki_verified_at = identity.username, identity.sub, now
        return profile.handle


def open_session(db: Database, identity: WikiIdentity, now: datetime) -> str:
    """A browser session for "My certificates"; returns the cookie value (stored hashed)."""
    value = secrets.token_urlsafe(32)
    with db.session() as session:
        session.execute(delete(WikiSession).where(WikiSession.expires_at < now))
        session.add(WikiSession(id_hash=_hash(value), username=identity.username, wiki_sub=identity.sub,
                                created_at=now, expires_at=now + timedelta(hours=SESSION_HOURS)))
    return value


def session_identity(db: Database, cookie: str | None, now: datetime) -> WikiIdentity | None:
    if not cookie:
        return None
    with db.session() as session:
        row = session.get(WikiSession, _hash(cookie))
        if row is None or aware(row.expires_at) < now:
            return None
        return WikiIdentity(username=row.username, sub=row.wiki_sub)


def close_session(db: Database, cookie: str | None) -> None:
    if cookie:
        with db.session() as session:
            session.execute(delete(WikiSession).where(WikiSession.id_hash == _hash(cookie)))


def csrf_token(settings: Settings, cookie: str) -> str:
    """A form token bound to the session (forms riding on the wiki session carry it)."""
    import hmac

    return hmac.new(settings.secret_key.get_secret_value().encode(), f"wiki-csrf:{cookie}".encode(),
                    hashlib.sha256).hexdigest()
