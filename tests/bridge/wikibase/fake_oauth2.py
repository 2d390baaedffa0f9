"""The OAuth 2 authorization-code flow of Extension:OAuth, for the fake Wikibase (people signing in to LEADS).

Written from Extension:OAuth's REST handlers (``src/Rest/Handler/Authorize.php``, ``AccessToken.php``,
``Resource.php``) and league/oauth2-server's ``AuthCodeGrant`` that they run:

- ``GET /w/rest.php/oauth2/authorize`` with ``response_type=code`` (required, the only value), ``client_id``
  (required), optional ``redirect_uri`` (must equal the consumer's callback), ``scope``, ``state``,
  ``code_challenge`` and ``code_challenge_method`` (``plain`` | ``S256``). An anonymous visitor is sent to
  ``Special:UserLogin`` (returnto ``Special:OAuth/rest_redirect``); a user who has not approved the consumer to
  ``Special:OAuth/approve``, whose "Allow" comes back with ``approval_pass=1`` (``approval_cancel`` refuses). An
  owner-only consumer cannot use this grant (``invalid_client``).
- ``POST /w/rest.php/oauth2/access_token`` with ``grant_type=authorization_code``, ``code``, ``redirect_uri``,
  ``client_id`` and ``client_secret`` (confidential consumer) and ``code_verifier`` when a challenge was sent.
  A code is single-use and lives 10 minutes; errors are league's JSON (``invalid_grant``, ``invalid_request``,
  ``invalid_client``) with ``message`` added by Extension:OAuth.
- ``GET /w/rest.php/oauth2/resource/profile`` with the bearer token: ``UserStatementProvider::getUserProfile``.
"""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
import time
from dataclasses import dataclass, field
from functools import partial
from http.cookies import SimpleCookie
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote
from urllib.parse import urlencode as _urlencode

Json = dict[str, Any]
AUTHORIZE = "/w/rest.php/oauth2/authorize"
CODE_SECONDS = 600
urlencode = partial(_urlencode, safe=":/", quote_via=quote)  # as MediaWiki's getFullURL writes titles
INVALID_GRANT = ("The provided authorization grant (e.g., authorization code, resource owner credentials) or refresh "
                 "token is invalid, expired, revoked, does not match the redirection URI used in the authorization "
                 "request, or was issued to another client.")


@dataclass
class Consumer:
    secret: str
    callback: str
    grants: tuple[str, ...] = ("basic", "editpage", "createeditmovepage")


@dataclass
class Code:
    client_id: str
    user: str
    redirect_uri: str
    challenge: str | None
    method: str
    expires: float


@dataclass
class AuthCodeServer:
    """People, consumers (non-owner-only, confidential), approvals and codes of the fake wiki."""

    people: dict[str, str] = field(default_factory=lambda: {"Alice": "alice-pw", "Bob": "bob-pw",
                                                            "Someone": "someone-pw"})
    consumers: dict[str, Consumer] = field(default_factory=dict)
    approved: set[tuple[str, str]] = field(default_factory=set)  # (user, client id)
    codes: dict[str, Code] = field(default_factory=dict)
    user_ids: dict[str, int] = field(default_factory=dict)

    def register(self, client_id: str, secret: str, callback: str) -> None:
        self.consumers[client_id] = Consumer(secret, callback)


def _error(status: int, error: str, description: str, hint: str | None = None) -> tuple[int, Json]:
    body: Json = {"error": error, "error_description": description, "message": description}
    if hint:
        body["hint"] = hint
    return status, body


def authorize(server: AuthCodeServer, query: dict[str, str], user: str | None) -> tuple[int, str | Json]:
    """(302, Location) or (status, error JSON)."""
    if query.get("response_type") != "code" or not query.get("client_id"):
        missing = "response_type" if "response_type" not in query else "client_id"
        return 400, {"messageTranslations": {"en": f"Parameter \"{missing}\" is required or has a bad value."},
                     "httpCode": 400, "httpReason": "Bad Request"}
    consumer = server.consumers.get(query["client_id"])
    if consumer is None or query.get("redirect_uri", consumer.callback) != consumer.callback:
        return _error(401, "invalid_client", "Client authentication failed")
    if user is None:
        back = urlencode({**query, "rest_url": AUTHORIZE})
        return 302, "/w/index.php?" + urlencode({"title": "Special:UserLogin",
                                                 "returnto": "Special:OAuth/rest_redirect", "returntoquery": back})
    redirect = consumer.callback
    state = {"state": query["state"]} if "state" in query else {}
    if query.get("approval_cancel"):
        return 302, redirect + "?" + urlencode({"error": "access_denied", "error_description": "The resource owner "
                                                "or authorization server denied the request.", **state})
    if query.get("approval_pass"):
        server.approved.add((user, query["client_id"]))
    if (user, query["client_id"]) not in server.approved:
        rest = {k: v for k, v in query.items() if k not in ("approval_pass", "approval_cancel")}
        return 302, "/w/index.php?" + urlencode({"title": "Special:OAuth/approve", "returnto": AUTHORIZE,
                                                 "returntoquery": urlencode(rest), "client_id": query["client_id"],
                                                 "oauth_version": "2", "scope": " ".join(consumer.grants)})
    method = query.get("code_challenge_method", "plain")
    if method not in ("plain", "S256"):
        return _error(400, "invalid_request", "The request is missing a required parameter, includes an invalid "
                      "parameter value, includes a parameter more than once, or is otherwise malformed.",
                      "Code challenge method must be one of `S256`, `plain`")
    code = secrets.token_urlsafe(32)
    server.codes[code] = Code(query["client_id"], user, consumer.callback, query.get("code_challenge"), method,
                              time.monotonic() + CODE_SECONDS)
    return 302, redirect + "?" + urlencode({"code": code, **state})


def exchange(server: AuthCodeServer, form: dict[str, str]) -> tuple[int, Json, str | None]:
    """(status, body, user) of an authorization-code token request; the caller makes the bearer token."""
    consumer = server.consumers.get(form.get("client_id", ""))
    if consumer is None or consumer.secret != form.get("client_secret"):
        return (*_error(401, "invalid_client", "Client authentication failed"), None)
    if not form.get("code"):
        return (*_error(400, "invalid_request", "The request is missing a required parameter, includes an invalid "
                        "parameter value, includes a parameter more than once, or is otherwise malformed.",
                        "Check the `code` parameter"), None)
    code = server.codes.pop(form["code"], None)
    if code is None:
        return (*_error(400, "invalid_grant", INVALID_GRANT, "Authorization code has been revoked"), None)
    if code.expires < time.monotonic():
        return (*_error(400, "invalid_grant", INVALID_GRANT, "Authorization code has expired"), None)
    if code.client_id != form["client_id"]:
        return (*_error(400, "invalid_grant", INVALID_GRANT, "Authorization code was not issued to this client"),
                None)
    if form.get("redirect_uri", code.redirect_uri) != code.redirect_uri:
        return (*_error(401, "invalid_client", "Client authentication failed"), None)
    if code.challenge is not None:
        verifier = form.get("code_verifier")
        if not verifier:
            return (*_error(400, "invalid_request", "The request is missing a required parameter, includes an "
                            "invalid parameter value, includes a parameter more than once, or is otherwise "
                            "malformed.", "Check the `code_verifier` parameter"), None)
        digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
        if (digest if code.method == "S256" else verifier) != code.challenge:
            return (*_error(400, "invalid_grant", INVALID_GRANT, "Failed to verify `code_verifier`."), None)
    return 200, {"token_type": "Bearer", "expires_in": 14400, "access_token": "",
                 "refresh_token": secrets.token_urlsafe(32)}, code.user


def profile(server: AuthCodeServer, user: str, editcount: int) -> Json:
    uid = server.user_ids.setdefault(user, len(server.user_ids) + 2)
    return {"sub": uid, "username": user, "editcount": editcount, "confirmed_email": False, "blocked": False,
            "registered": "20260101000000", "groups": ["*", "user", "autoconfirmed"],
            "rights": ["read", "edit", "createpage", "writeapi"], "grants": ["basic", "editpage"]}


def page(title: str, body: str) -> str:
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)} - Fake Wikibase</title>"
            f"</head><body><h1>{html.escape(title)}</h1>{body}</body></html>")


def login_form(query: dict[str, str], failed: bool = False) -> str:
    hidden = "".join(f"<input type='hidden' name='{html.escape(k)}' value='{html.escape(v)}'>"
                     for k, v in query.items() if k in ("returnto", "returntoquery"))
    error = "<p class='error'>Incorrect username or password entered. Please try again.</p>" if failed else ""
    return page("Log in", f"{error}<form method='post' action='/w/index.php?title=Special:UserLogin'>{hidden}"
                "<label>Username <input name='wpName' id='wpName1'></label>"
                "<label>Password <input type='password' name='wpPassword' id='wpPassword1'></label>"
                "<button type='submit' id='wpLoginAttempt'>Log in</button></form>")


def after_login(form: dict[str, str]) -> str:
    """Special:OAuth/rest_redirect: back to the REST URL with the original query."""
    query = dict(parse_qsl(form.get("returntoquery", "")))
    rest = query.pop("rest_url", AUTHORIZE)
    return rest + "?" + urlencode(query)


def approve_page(server: AuthCodeServer, query: dict[str, str]) -> str:
    back = query.get("returnto", AUTHORIZE) + "?" + query.get("returntoquery", "")
    who = html.escape(query.get("client_id", ""))
    return page("Authorize application", f"<p>The application {who} would like to act on your behalf: "
                f"{html.escape(query.get('scope', ''))}</p><a id='mw-mwoauth-accept' href='{html.escape(back)}"
                f"&amp;approval_pass=1'>Allow</a> <a id='mw-mwoauth-cancel' href='{html.escape(back)}"
                "&amp;approval_cancel=1'>Cancel</a>")


class WebPages:
    """The HTTP side of the flow for the fake's request handler: the wiki's pages and REST routes."""

    fake: Any
    if TYPE_CHECKING:  # provided by BaseHTTPRequestHandler and the fake's handler
        headers: Any
        wfile: Any

        def send_response(self, code: int, message: str | None = None) -> None: ...
        def send_header(self, keyword: str, value: str) -> None: ...
        def end_headers(self) -> None: ...
        def _json(self, status: int, body: Json) -> None: ...

    def _cookie(self) -> str | None:
        cookie = SimpleCookie(self.headers.get("Cookie", ""))
        return cookie["fakewiki_session"].value if "fakewiki_session" in cookie else None

    def _redirect(self, location: str, cookie: str | None = None) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        if cookie:
            self.send_header("Set-Cookie", f"fakewiki_session={cookie}; path=/; HttpOnly")
        self.end_headers()

    def _html(self, text: str, cookie: str | None = None) -> None:
        raw = text.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=UTF-8")
        self.send_header("Content-Length", str(len(raw)))
        if cookie:
            self.send_header("Set-Cookie", f"fakewiki_session={cookie}; path=/; HttpOnly")
        self.end_headers()
        self.wfile.write(raw)

    def _web(self, path: str, params: dict[str, str]) -> bool:
        """The pages and REST routes of the authorization-code flow; False when the path is something else."""
        fake = self.fake
        if path == AUTHORIZE:
            cookie, session = fake.web_session(self._cookie())
            status, answer = authorize(fake.web, params, session.user)
            if status == 302:
                self._redirect(str(answer), cookie)
            else:
                self._json(status, answer if isinstance(answer, dict) else {})
            return True
        if path == "/w/rest.php/oauth2/resource/profile":
            bearer = self.headers.get("Authorization", "")
            session_id = fake.bearer_tokens.get(bearer[7:]) if bearer.startswith("Bearer ") else None
            if session_id is None:
                self._json(401, {"error": "access_denied", "error_description": "The resource owner or "
                                 "authorization server denied the request.", "message": "The resource owner or "
                                 "authorization server denied the request.",
                                 "hint": "Missing \"Authorization\" header"})
                return True
            user = str(fake.sessions[session_id].user)
            self._json(200, profile(fake.web, user, len(fake.edits_by(user))))
            return True
        title = params.get("title", "")
        if path == "/w/index.php" and title == "Special:UserLogin":
            self._html(login_form(params))
            return True
        if path == "/w/index.php" and title == "Special:OAuth/approve":
            self._html(page("Authorize application", "") if not params.get("client_id")
                       else approve_page(fake.web, params))
            return True
        return False

    def _login_post(self, body: str) -> None:
        form = dict(parse_qsl(body, keep_blank_values=True))
        name = form.get("wpName", "")
        if self.fake.web.people.get(name) != form.get("wpPassword") or not name:
            self._html(login_form(form, failed=True))
            return
        cookie, _ = self.fake.web_session(self._cookie(), user=name)
        self._redirect(after_login(form), cookie)
