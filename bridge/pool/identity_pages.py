"""Sign in with Wikimedia, "My certificates" outside the LMS, the CapX sync and public evidence pages (thin:
parsing and rendering; the rules live in ``wikilogin``, ``capx`` and ``service``)."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Form, Header, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from bridge.certificates.api import plain_checks
from bridge.db import Database
from bridge.errors import LeadsError, NotFound
from bridge.i18n import gettext_for_request
from bridge.pool import capx, evidence, service, wikilogin
from bridge.pool.api import pool_verifier
from bridge.pool.endpoints import profile_response
from bridge.pool.tables import CapxLink, PoolProfile
from bridge.settings import Settings
from bridge.web.errors import spoken
from bridge.web.negotiate import request_lang, templates, wants_json
from bridge.web.params import RowId

router = APIRouter(tags=["pool"])


def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _now(request: Request) -> datetime:
    clock = getattr(request.app.state, "clock", None)
    return clock() if clock is not None else datetime.now(UTC)


@contextmanager
def _http(request: Request) -> Iterator[httpx.Client]:
    """Outbound calls to the configured wiki and CapX (their addresses come from settings, never from a request)."""
    settings = _settings(request)
    with httpx.Client(timeout=settings.fetch_timeout_seconds, follow_redirects=False,
                      headers={"User-Agent": settings.user_agent}) as client:
        yield client


def _page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    return templates.TemplateResponse(request, name, {**context, "_": gettext_for_request(request)},
                                      status_code=status, headers={"Cache-Control": "no-store"})


def _bearer(authorization: str | None) -> str:
    if not authorization or not authorization.lower().startswith("bearer "):
        raise LeadsError("send the profile's management token as 'Authorization: Bearer <token>'",
                         code="unauthorized", status=401)
    return authorization[7:].strip()


def _profile_id(db: Database, handle: str, token: str) -> int:
    service.check_token(db, handle, token)
    with db.session() as session:
        found = session.scalar(select(PoolProfile.id).where(PoolProfile.handle == handle))
    assert found is not None  # check_token raised otherwise
    return found


# --- Sign in with Wikimedia ----------------------------------------------------------------------------------------

def _https(request: Request) -> bool:
    return _settings(request).base_url.startswith("https://")


def _to_wiki(request: Request, profile_id: int | None = None, verifier: str | None = None) -> Response:
    """Send this browser to the wiki with a sign-in only it can finish: the login cookie it gets here is the one
    the callback asks for (path: the callback only; Lax, so the wiki's redirect back carries it)."""
    browser = wikilogin.new_browser_value()
    url = wikilogin.authorize(_settings(request), _now(request), browser, profile_id, verifier)
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(wikilogin.LOGIN_COOKIE, browser, max_age=wikilogin.STATE_MINUTES * 60, httponly=True,
                        samesite="lax", secure=_https(request), path=wikilogin.CALLBACK_PATH)
    return response


@router.post("/api/pool/profiles/{handle}/wiki-login", status_code=201,
             summary="A single-use link for the profile's owner to open in her own browser, where LEADS asks her to "
                     "confirm and then starts the Wikimedia sign-in that sets this profile's wiki username")
def api_wiki_login(request: Request, handle: str,
                   authorization: Annotated[str | None, Header()] = None) -> dict[str, Any]:
    profile_id = _profile_id(_db(request), handle, _bearer(authorization))
    now = _now(request)
    url = wikilogin.start(_db(request), _settings(request), now, profile_id)
    return {"sign_in_url": url, "expires_at": (now + timedelta(minutes=wikilogin.STATE_MINUTES)).isoformat(),
            "note": "open it in your own browser, never send it to anyone: LEADS asks you to confirm, then sends "
                    "you to the wiki, and the Wikimedia account you sign in with there shows on this profile. It "
                    "works once, for 10 minutes; a new link voids this one"}


def _form_token(request: Request) -> str:
    kept = request.cookies.get(wikilogin.FORM_COOKIE, "")
    return kept if 20 <= len(kept) <= 64 and kept.replace("-", "").replace("_", "").isalnum() else \
        secrets.token_urlsafe(24)


def _login_form(request: Request, handle: str, link: str | None, error: Any = None, status: int = 200) -> Response:
    """The profile's sign-in page: with a link (from the API or the CLI), "You are about to show your Wikimedia
    account on the profile …" and a button; without one, the management token. Its form carries the form cookie's
    token (double submit, SameSite=Strict): a page of another site cannot post it, so it cannot send someone's
    browser to the wiki for a profile they never saw."""
    db = _db(request)
    pending = None
    if link:
        try:
            pending = wikilogin.pending_link(db, handle, link, _now(request))
        except LeadsError as exc:
            if error is None:
                error, status = spoken(exc, request_lang(request)), exc.status
    with db.session() as session:
        profile = session.scalar(select(PoolProfile).where(PoolProfile.handle == handle))
        if profile is None:
            raise NotFound("no pool profile '%(handle)s'", params={"handle": handle})
        display_name = profile.display_name
    token = _form_token(request)
    response = _page(request, "pool/wiki_login.html", {
        "handle": handle, "display_name": display_name, "link": link if pending else None, "csrf": token,
        "error": error, "available": wikilogin.configured(_settings(request))}, status)
    response.set_cookie(wikilogin.FORM_COOKIE, token, max_age=3600, httponly=True, samesite="strict",
                        secure=_https(request), path="/pool/people")
    response.headers["Referrer-Policy"] = "no-referrer"  # the link's secret is in this page's address
    return response


@router.get("/pool/people/{handle}/wiki-login")
def wiki_login_form(request: Request, handle: str, link: str | None = None) -> Response:
    return _login_form(request, handle, link)


@router.post("/pool/people/{handle}/wiki-login")
def wiki_login_post(request: Request, handle: str, token: Annotated[str, Form()] = "",
                    link: Annotated[str, Form()] = "", csrf: Annotated[str, Form()] = "") -> Response:
    try:
        expected = request.cookies.get(wikilogin.FORM_COOKIE, "")
        if not expected or not hmac.compare_digest(csrf.encode(), expected.encode()):
            raise LeadsError("this form has expired or did not come from this site; open the page again and "
                             "continue from there", code="csrf", status=403)
        wikilogin.check_configured(_settings(request))  # before a link is spent
        if link:
            pending = wikilogin.pending_link(_db(request), handle, link, _now(request), spend=True)
            return _to_wiki(request, pending.profile_id, pending.verifier)
        return _to_wiki(request, _profile_id(_db(request), handle, token.strip()))
    except LeadsError as exc:
        return _login_form(request, handle, link or None, spoken(exc, request_lang(request)), exc.status)


@router.get("/pool/wiki/login", summary="Sign in with Wikimedia to open My certificates")
def wiki_login(request: Request) -> Response:
    return _to_wiki(request)


@router.get(wikilogin.CALLBACK_PATH, include_in_schema=False)
def wiki_callback(request: Request, code: str | None = None, state: str | None = None,
                  error: str | None = None) -> Response:
    if error or not code or not state:
        raise LeadsError("the wiki did not sign you in (%(reason)s); try again",
                         code="wiki_login_refused", status=400, params={"reason": error or "no authorization code"})
    settings = _settings(request)
    with _http(request) as http:
        identity, profile_id = wikilogin.finish(_db(request), settings, http, code=code, state=state,
                                                browser=request.cookies.get(wikilogin.LOGIN_COOKIE),
                                                now=_now(request))
    cookie = wikilogin.open_session(_db(request), identity, _now(request))
    target = "/pool/mine"
    if profile_id is not None:
        with _db(request).session() as session:
            handle = session.scalar(select(PoolProfile.handle).where(PoolProfile.id == profile_id))
        target = f"/pool/people/{handle}"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(wikilogin.COOKIE, cookie, max_age=wikilogin.SESSION_HOURS * 3600, httponly=True,
                        samesite="lax", secure=settings.base_url.startswith("https://"), path="/pool")
    response.delete_cookie(wikilogin.LOGIN_COOKIE, path=wikilogin.CALLBACK_PATH)  # the sign-in served once
    return response


@router.post("/pool/wiki/logout", include_in_schema=False)
def wiki_logout(request: Request) -> Response:
    wikilogin.close_session(_db(request), request.cookies.get(wikilogin.COOKIE))
    response = RedirectResponse("/pool", status_code=303)
    response.delete_cookie(wikilogin.COOKIE, path="/pool")
    return response


# --- My certificates outside the LMS -----------------------------------------------------------------------------

def _signed_in(request: Request) -> tuple[wikilogin.WikiIdentity, str]:
    cookie = request.cookies.get(wikilogin.COOKIE)
    identity = wikilogin.session_identity(_db(request), cookie, _now(request))
    if identity is None or cookie is None:
        raise LeadsError("sign in with Wikimedia to see your certificates", code="wiki_login_required", status=401)
    return identity, cookie


def _mine(request: Request, identity: wikilogin.WikiIdentity) -> list[dict[str, Any]]:
    db = _db(request)
    with db.session() as session:
        rows = session.execute(select(PoolProfile.handle, CapxLink).outerjoin(CapxLink)
                               .where(PoolProfile.wiki_sub == identity.sub).order_by(PoolProfile.handle)).all()
        linked = [(h, None if link is None else {"share_available": link.share_available,
                                                 "last_sync_at": link.last_sync_at, "last_result": link.last_result})
                  for h, link in rows]
    keep, now = _settings(request).pool_keep_empty, _now(request)
    lang = "en" if wants_json(request) else request_lang(request)
    return [{"view": service.profile_view(db, handle, keep, lang), "capx": link,
             "hidden": evidence.hidden_entries(db, handle, now)} for handle, link in linked]


@router.get("/pool/mine", summary="My certificates, signed in with Wikimedia (outside the LMS)")
def my_certificates(request: Request) -> Response:
    try:
        identity, cookie = _signed_in(request)
    except LeadsError as exc:
        if wants_json(request):
            raise
        return _page(request, "pool/mine.html", {"identity": None, "error": spoken(exc, request_lang(request)),
                                                 "available": wikilogin.configured(_settings(request))}, 401)
    profiles = _mine(request, identity)
    if wants_json(request):
        return JSONResponse({"wiki_username": identity.username, "profiles": [
            {**p["view"], "capx": p["capx"] and {**p["capx"], "last_sync_at": str(p["capx"]["last_sync_at"])},
             "hidden": p["hidden"]}
            for p in profiles]})
    done = request.query_params.get("done")
    return _page(request, "pool/mine.html", {
        "identity": identity, "profiles": profiles, "error": None,
        "deleted": done == "deleted", "unpublished": done == "unpublished",
        "csrf": wikilogin.csrf_token(_settings(request), cookie),
        "user_page": wikilogin.user_page(_settings(request), identity.username)})


def _own_by_session(request: Request, handle: str, csrf: str) -> wikilogin.WikiIdentity:
    identity, cookie = _signed_in(request)
    expected = wikilogin.csrf_token(_settings(request), cookie)
    if not hmac.compare_digest(csrf.encode("utf-8", "replace"), expected.encode()):  # bytes: any text is compared
        raise LeadsError("this form is stale; reload the page", code="csrf", status=403)
    with _db(request).session() as session:
        sub = session.scalar(select(PoolProfile.wiki_sub).where(PoolProfile.handle == handle))
    if sub is None or sub != identity.sub:
        raise LeadsError("the pool profile '%(handle)s' is not yours", code="forbidden", status=403,
                         params={"handle": handle})
    return identity


@router.post("/pool/mine/{handle}/capx", include_in_schema=False)
def my_capx_connect(request: Request, handle: str, csrf: Annotated[str, Form()],
                    capx_token: Annotated[str, Form()] = "", share_available: Annotated[str, Form()] = "",
                    action: Annotated[str, Form()] = "sync") -> Response:
    try:
        _own_by_session(request, handle, csrf)
        with _http(request) as http:
            if capx_token.strip():
                capx.connect(_db(request), _settings(request), http, handle=handle, token=capx_token,
                             share_available=bool(share_available), now=_now(request))
            else:
                capx.sync(_db(request), _settings(request), http, handle=handle, now=_now(request))
    except LeadsError as exc:
        return _mine_again(request, exc)
    return RedirectResponse("/pool/mine", status_code=303)


@router.post("/pool/mine/{handle}/unpublish/{entry_id}", include_in_schema=False)
def my_unpublish(request: Request, handle: str, entry_id: RowId, csrf: Annotated[str, Form()]) -> Response:
    try:
        identity = _own_by_session(request, handle, csrf)
        evidence.unpublish_by_wiki_account(_db(request), handle=handle, wiki_sub=identity.sub, entry_id=entry_id)
    except LeadsError as exc:
        return _mine_again(request, exc)
    return RedirectResponse("/pool/mine?done=unpublished", status_code=303)


@router.post("/pool/mine/{handle}/delete", include_in_schema=False)
def my_profile_delete(request: Request, handle: str, csrf: Annotated[str, Form()],
                      confirm: Annotated[str, Form()] = "") -> Response:
    try:
        identity = _own_by_session(request, handle, csrf)
        service.delete_wiki_profile(_db(request), handle=handle, wiki_sub=identity.sub, confirmed=confirm == "yes")
    except LeadsError as exc:
        return _mine_again(request, exc)
    return RedirectResponse("/pool/mine?done=deleted", status_code=303)


def _mine_again(request: Request, exc: LeadsError) -> Response:
    """The page again, saying why the form was refused."""
    identity = wikilogin.session_identity(_db(request), request.cookies.get(wikilogin.COOKIE), _now(request))
    cookie = request.cookies.get(wikilogin.COOKIE) or ""
    return _page(request, "pool/mine.html", {
        "identity": identity, "profiles": _mine(request, identity) if identity else [],
        "error": spoken(exc, request_lang(request)),
        "csrf": wikilogin.csrf_token(_settings(request), cookie),
        "user_page": wikilogin.user_page(_settings(request), identity.username) if identity else ""},
        exc.status)


# --- The CapX sync through the API --------------------------------------------------------------------------------

class CapxConnectIn(BaseModel):
    capx_token: str = Field(description="your CapX token (knox, from CapX's own Wikimedia login); LEADS writes your "
                                        "CapX profile with it, as you, and keeps it sealed for later syncs")
    share_available: bool = Field(default=False, description="also list LEADS's skills as available to share")


@router.post("/api/pool/profiles/{handle}/capx", summary="Connect the profile to your CapX profile and sync")
def api_capx_connect(request: Request, handle: str, body: CapxConnectIn,
                     authorization: Annotated[str | None, Header()] = None) -> dict[str, Any]:
    service.check_token(_db(request), handle, _bearer(authorization))
    with _http(request) as http:
        return capx.connect(_db(request), _settings(request), http, handle=handle, token=body.capx_token,
                            share_available=body.share_available, now=_now(request))


@router.post("/api/pool/profiles/{handle}/capx/sync", summary="Sync the profile's verified skills to CapX again")
def api_capx_sync(request: Request, handle: str,
                  authorization: Annotated[str | None, Header()] = None) -> dict[str, Any]:
    service.check_token(_db(request), handle, _bearer(authorization))
    with _http(request) as http:
        return capx.sync(_db(request), _settings(request), http, handle=handle, now=_now(request))


@router.get("/pool/capx/missing", summary="Competences in the pool that cannot reach CapX, and what would fix them")
def capx_missing(request: Request) -> Response:
    with _http(request) as http:
        report, reached = capx.missing_report(_db(request), _settings(request), http, request.app.state.capx_skills)
    if wants_json(request):
        return JSONResponse({"capx": _settings(request).capx_api_url, "capx_reached": reached, "missing": report})
    return _page(request, "pool/capx_missing.html", {"missing": report, "reached": reached,
                                                     "capx_url": _settings(request).capx_api_url})


@router.get("/pool/capx/badges/user/{username}/",
            summary="A proven wiki user's verified credentials, in the shape CapX's badge importer reads")
def capx_badges(request: Request, username: str) -> dict[str, Any]:
    return evidence.capx_badges(_db(request), username, _settings(request).base_url)


# --- What only the owner sees: the credentials the pool does not show ------------------------------------------

@router.post("/pool/people/{handle}/hidden", summary="The profile's credentials the pool does not show, and why "
                                                     "(form: the management token; as JSON, every credential of the "
                                                     "profile with whether it is shown and why not)")
def hidden_page(request: Request, handle: str, token: Annotated[str, Form()] = "") -> Response:
    try:
        service.check_token(_db(request), handle, token.strip())
    except LeadsError as exc:
        if wants_json(request):
            raise
        return profile_response(request, handle, status=exc.status, hidden_error=exc.code)
    owned = evidence.owner_entries(_db(request), handle, _now(request))
    if wants_json(request):
        return JSONResponse({"handle": handle, "credentials": owned}, headers={"Cache-Control": "no-store"})
    with _db(request).session() as session:
        display_name = session.scalar(select(PoolProfile.display_name).where(PoolProfile.handle == handle))
    return _page(request, "pool/hidden.html", {"handle": handle, "display_name": display_name,
                                               "hidden": [e for e in owned if not e["listed"]]})


@router.post("/pool/people/{handle}/hidden/{entry_id}/unpublish",
             summary="Unpublish a credential the pool does not show (form: the management token)")
def hidden_unpublish(request: Request, handle: str, entry_id: RowId, token: Annotated[str, Form()] = "") -> Response:
    try:
        service.unpublish(_db(request), handle=handle, token=token.strip(), entry_id=entry_id)
    except LeadsError as exc:
        return profile_response(request, handle, status=exc.status, hidden_error=exc.code)
    lang = request.query_params.get("lang")
    chosen = f"lang={lang}&" if lang in ("en", "es") else ""
    return RedirectResponse(f"/pool/people/{handle}?{chosen}done=unpublished", status_code=303)


# --- Public evidence ---------------------------------------------------------------------------------------------

@router.get("/pool/evidence/{entry_id}", summary="A credential listed in the pool as public evidence, verified now")
def evidence_page(request: Request, entry_id: RowId) -> Response:
    json_wanted = wants_json(request)
    data = evidence.evidence_view(_db(request), pool_verifier(request), entry_id, _now(request),
                                  "en" if json_wanted else request_lang(request))
    if json_wanted:
        return JSONResponse(data, headers={"Cache-Control": "no-store"})
    checks = plain_checks(data["verification"]["checks"], request_lang(request))
    return _page(request, "pool/evidence.html", {"e": data, "checks": checks})
