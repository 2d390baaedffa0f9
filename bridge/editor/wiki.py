"""Signing in with the Wikibase (OAuth 2 authorization code of Extension:OAuth) and saving as that person.

The flow is Extension:OAuth's: ``rest.php/oauth2/authorize`` (``response_type=code``, ``client_id``, ``state``,
``code_challenge`` with ``S256``), then ``rest.php/oauth2/access_token`` (``grant_type=authorization_code``,
``code``, ``client_id``, ``client_secret``, ``code_verifier``), then ``rest.php/oauth2/resource/profile`` with the
bearer token for the user name. Edits go to ``api.php`` with that bearer token, so the wiki records each edit as
the person's, with their rights (what is sent, and how conflicts are found: :mod:`bridge.editor.publishing`).
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import requests
from wikibaseintegrator import wbi_login

from bridge.errors import LeadsError, UpstreamError
from bridge.settings import Settings
from bridge.wikibase.api import WikibaseClient, load_records

Json = dict[str, Any]


@dataclass(frozen=True)
class Start:
    url: str
    state: str
    verifier: str


def rest_url(settings: Settings) -> str:
    api = str(settings.wikibase_api_url)
    return (settings.wikibase_rest_url or api.removesuffix("api.php") + "rest.php").rstrip("/")


def enabled(settings: Settings) -> bool:
    return bool(settings.wikibase_api_url and settings.wikibase_editor_client_id
                and settings.wikibase_editor_client_secret)


def callback(settings: Settings) -> str:
    return settings.base_url.rstrip("/") + "/edit/callback"


def start(settings: Settings) -> Start:
    """Where to send the browser to sign in, with a fresh ``state`` and PKCE verifier (S256)."""
    state, verifier = secrets.token_urlsafe(24), secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    query = {"response_type": "code", "client_id": str(settings.wikibase_editor_client_id),
             "redirect_uri": callback(settings), "state": state, "code_challenge": challenge,
             "code_challenge_method": "S256"}
    return Start(f"{rest_url(settings)}/oauth2/authorize?{urlencode(query)}", state, verifier)


def finish(settings: Settings, code: str, verifier: str, http: requests.Session | None = None) -> tuple[str, str]:
    """(user name, access token) for the code the wiki sent back."""
    http = http or requests.Session()
    secret = settings.wikibase_editor_client_secret
    headers = {"User-Agent": settings.user_agent}
    try:
        answer = http.post(f"{rest_url(settings)}/oauth2/access_token", headers=headers, timeout=30, data={
            "grant_type": "authorization_code", "code": code, "redirect_uri": callback(settings),
            "client_id": settings.wikibase_editor_client_id, "client_secret": secret.get_secret_value() if secret
            else "", "code_verifier": verifier})
        body = answer.json()
        if answer.status_code != 200 or "access_token" not in body:
            raise UpstreamError("the wiki refused the sign-in: %(error)s (%(detail)s)",
                                code="wikibase_signin_refused",
                                params={"error": body.get("error", answer.status_code),
                                        "detail": body.get("hint") or body.get("error_description") or ""})
        token = str(body["access_token"])
        me = http.get(f"{rest_url(settings)}/oauth2/resource/profile", timeout=30,
                      headers={**headers, "Authorization": f"Bearer {token}"})
        profile = me.json()
    except (requests.RequestException, ValueError) as exc:
        raise UpstreamError("the wiki at %(rest_url)s could not be reached for the sign-in (%(exc)s)",
                            code="wikibase_unreachable", params={"rest_url": rest_url(settings), "exc": exc}) from None
    if me.status_code != 200 or not profile.get("username"):
        raise UpstreamError("the wiki did not say who signed in", code="wikibase_signin_refused")
    if profile.get("blocked"):
        raise LeadsError("%(username)s is blocked on the wiki and cannot edit", code="blocked", status=403,
                         params={"username": profile['username']})
    return str(profile["username"]), token


def person_client(settings: Settings, token: str) -> WikibaseClient:
    """A client whose writes carry the person's bearer token (their edits, their rights, their rate limits)."""
    client = WikibaseClient.from_settings(settings)
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    bounded = _Bounded(client.transport.timeout)  # wikibaseintegrator fetches edit tokens with no timeout
    session.mount("http://", bounded)
    session.mount("https://", bounded)
    try:
        client.transport._login = wbi_login._Login(session=session, mediawiki_api_url=client.api_url,
                                                   user_agent=settings.user_agent)
    except wbi_login.LoginError as exc:  # wikibaseintegrator words the wiki's error code: "Login failed (code)…"
        code = re.match(r"Login failed \(([^)]*)\)", str(exc))
        if code and (code[1].startswith(("http-5", "internal_api_error")) or code[1] in ("maxlag", "readonly")):
            raise _unavailable(client, exc) from None
        raise LeadsError("the wiki no longer accepts your sign-in (%(exc)s); sign in again",
                         code="wikibase_signin_expired", status=401, params={"exc": exc}) from None
    except (requests.RequestException, ValueError) as exc:  # not reached, or not JSON (an HTML error page)
        raise _unavailable(client, exc) from None
    return client


class _Bounded(requests.adapters.HTTPAdapter):
    """Every request of the session ends within ``timeout`` seconds unless the caller gave its own."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout

    def send(self, request: requests.PreparedRequest, stream: bool = False,
             timeout: float | tuple[float | None, float | None] | None = None, verify: bool | str = True,
             cert: str | tuple[str, str] | None = None, proxies: dict[str, str] | None = None
             ) -> requests.Response:
        return super().send(request, stream=stream, timeout=self.timeout if timeout is None else timeout,
                            verify=verify, cert=cert, proxies=proxies)


def _unavailable(client: WikibaseClient, exc: Exception) -> UpstreamError:
    """The wiki is down or busy for a moment: not a reason to sign in again."""
    return UpstreamError("the wiki at %(api_url)s could not give an edit token just now (%(reason)s); your "
                         "sign-in is still good, try again in a moment", code="wikibase_unavailable",
                         params={"api_url": client.api_url, "reason": f"{exc.__class__.__name__}: {exc}"})


def search(client: WikibaseClient, text: str, lang: str, limit: int = 7) -> list[Json]:
    """wbsearchentities on the configured Wikibase: id, label, description, concept URI."""
    answer = client.call({"action": "wbsearchentities", "search": text, "language": lang, "uselang": lang,
                          "type": "item", "limit": str(limit)})
    return [{"id": h.get("id"), "label": h.get("label", ""), "description": h.get("description", ""),
             "uri": h.get("concepturi", "")} for h in answer.get("search", [])]


def revisions_of(db: Any, api_url: str, keys: list[str]) -> dict[str, int]:
    """The revision each key was last pulled or saved at (what an edit starting now is based on)."""
    records = load_records(db, api_url)
    return {k: int(records[k].get("rev", 0)) for k in keys if k in records}
