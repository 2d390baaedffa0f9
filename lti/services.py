"""LTI Advantage services: OAuth 2 client-credentials token (JWT grant), AGS line items/results/scores, NRPS roster.

One injectable ``httpx.Client`` does every call, so tests and production choose the transport; access tokens are
cached per (platform, scopes) until shortly before they expire.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from functools import partial
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import jwt

from lti.config import PlatformRegistration
from lti.errors import LtiError
from lti.keys import KeyRing
from lti.outbound import address, call, invalid_url, json_of

SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_LINEITEM_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
SCOPE_RESULT = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
SCOPE_NRPS = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
MT_LINEITEM = "application/vnd.ims.lis.v2.lineitem+json"
MT_LINEITEMS = "application/vnd.ims.lis.v2.lineitemcontainer+json"
MT_RESULTS = "application/vnd.ims.lis.v2.resultcontainer+json"
MT_SCORE = "application/vnd.ims.lis.v1.score+json"
MT_MEMBERSHIP = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
EXPIRY_MARGIN = 30  # seconds before expiry a cached token is no longer used
MAX_PAGES = 20_000  # a runaway platform's bound: 2,000,000 results even at 100 a page (Canvas's largest)
PAGE_LIMIT = 1000  # the ``limit`` hint asked of AGS results and NRPS rosters: a MOOC in few pages (platforms lower it)


class TokenCache:
    """Access tokens by (issuer, client id, scopes); thread-safe, shared by the clients of one process."""

    def __init__(self) -> None:
        self._tokens: dict[tuple[str, str, str], tuple[str, float]] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str, str], now: float) -> str | None:
        with self._lock:
            hit = self._tokens.get(key)
        return hit[0] if hit and hit[1] - EXPIRY_MARGIN > now else None

    def put(self, key: tuple[str, str, str], token: str, expires_at: float) -> None:
        with self._lock:
            self._tokens[key] = (token, expires_at)


class TokenClient:
    def __init__(self, platform: PlatformRegistration, keys: Callable[[], KeyRing], http: httpx.Client,
                 cache: TokenCache, clock: Callable[[], float] = time.time) -> None:
        self.platform, self.keys, self.http, self.cache, self.clock = platform, keys, http, cache, clock

    def client_assertion(self) -> str:
        now = int(self.clock())
        key = self.keys().active
        claims = {"iss": self.platform.client_id, "sub": self.platform.client_id,
                  "aud": self.platform.auth_audience or self.platform.auth_token_url,
                  "iat": now, "exp": now + 300, "jti": uuid.uuid4().hex}
        return jwt.encode(claims, key.private_pem, algorithm="RS256", headers={"kid": key.kid})

    def token(self, scopes: set[str] | frozenset[str]) -> str:
        scope = " ".join(sorted(scopes))
        cache_key = (self.platform.issuer, self.platform.client_id, scope)
        cached = self.cache.get(cache_key, self.clock())
        if cached:
            return cached
        form = {"grant_type": "client_credentials",
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion": self.client_assertion(), "scope": scope}
        url = self.platform.auth_token_url
        body = _json(call("access token", url, lambda: self.http.post(url, data=form,
                                                                      headers={"Accept": "application/json"})),
                     "access token")
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str):
            raise LtiError("the platform token response has no access_token", code="platform_service_error",
                           status=502)
        self.cache.put(cache_key, token, self.clock() + float(body.get("expires_in", 3600)))
        return token


def _json(response: httpx.Response, what: str) -> Any:
    """The JSON body of a response ``call`` already checked."""
    return json_of(what, str(response.request.url), response)


def _with_path_suffix(url: str, suffix: str, what: str) -> str:
    """``…/lineitems/7?x=1`` + ``/scores`` → ``…/lineitems/7/scores?x=1`` (AGS builds sub-URLs this way)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        raise invalid_url(what, url) from None
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + suffix))


def _following(response: httpx.Response, following: str, what: str) -> str:
    """The absolute URL of a ``Link: rel="next"`` target."""
    try:
        return str(response.url.join(following))
    except (httpx.InvalidURL, ValueError):
        raise invalid_url(what, following) from None


def _pages(http: httpx.Client, url: str, headers: Mapping[str, str], what: str) -> Iterator[httpx.Response]:
    next_url: str | None = url
    seen: set[str] = set()
    for _ in range(MAX_PAGES):
        if not next_url:
            return
        if next_url in seen:
            raise LtiError(f"the platform's {what} links back to a page already read ({next_url}); its paging is "
                           "broken", code="platform_service_error", status=502)
        seen.add(next_url)
        response = call(what, next_url, partial(http.get, next_url, headers=dict(headers)))
        _json(response, what)
        yield response
        following = response.links.get("next", {}).get("url")
        next_url = _following(response, following, what) if following else None
    raise LtiError(f"the platform's {what} has more than {MAX_PAGES} pages", code="platform_service_error",
                   status=502)


def granted(scope: object) -> frozenset[str]:
    """The scopes an AGS claim grants: the strings of its list (a space-separated string is read as OAuth writes
    scopes); anything else in it grants nothing, so a call needing a scope is refused (403), never a 500."""
    if isinstance(scope, str):
        return frozenset(scope.split())
    if isinstance(scope, list):
        return frozenset(s for s in scope if isinstance(s, str))
    return frozenset()


class AgsClient:
    """Assignment and Grade Services 2.0 for one launch's endpoint claim."""

    def __init__(self, endpoint: Mapping[str, Any], tokens: TokenClient) -> None:
        self.endpoint, self.tokens, self.http = endpoint, tokens, tokens.http
        self.scopes = granted(endpoint.get("scope"))

    def _auth(self, scope: str, accept: str) -> dict[str, str]:
        if scope not in self.scopes:
            raise LtiError(f"the platform did not grant scope {scope} for this link", code="scope_not_granted",
                           status=403)
        return {"Authorization": f"Bearer {self.tokens.token(self.scopes)}", "Accept": accept}

    def _lineitems_url(self) -> str:
        url = self.endpoint.get("lineitems")
        if not url:
            raise LtiError("the platform gave no line items URL for this context", code="no_lineitems_service")
        return str(url)

    def line_items(self, **filters: str) -> list[dict[str, Any]]:
        scope = SCOPE_LINEITEM if SCOPE_LINEITEM in self.scopes else SCOPE_LINEITEM_READONLY
        url = address("line items", self._lineitems_url(), {k: v for k, v in filters.items() if v})
        items: list[dict[str, Any]] = []
        for page in _pages(self.http, url, self._auth(scope, MT_LINEITEMS), "line items"):
            items.extend(page.json())
        return items

    def get_line_item(self, url: str) -> dict[str, Any]:
        scope = SCOPE_LINEITEM if SCOPE_LINEITEM in self.scopes else SCOPE_LINEITEM_READONLY
        headers = self._auth(scope, MT_LINEITEM)
        return dict(_json(call("line item", url, lambda: self.http.get(url, headers=headers)), "line item"))

    def delete_line_item(self, url: str) -> None:
        """AGS §3.2.8: remove a line item (Moodle allows it for the tool's own coupled items)."""
        response = self.http.delete(url, headers=self._auth(SCOPE_LINEITEM, MT_LINEITEM))
        if response.status_code >= 400:
            raise LtiError(f"the platform refused to delete the line item: HTTP {response.status_code}",
                           code="platform_service_error", status=502)

    def create_line_item(self, item: Mapping[str, Any]) -> dict[str, Any]:
        headers = {**self._auth(SCOPE_LINEITEM, MT_LINEITEM), "Content-Type": MT_LINEITEM}
        url = self._lineitems_url()
        return dict(_json(call("line item", url, lambda: self.http.post(url, json=dict(item), headers=headers)),
                          "line item"))

    def find_or_create(self, item: Mapping[str, Any]) -> dict[str, Any]:
        for existing in self.line_items(resource_id=str(item.get("resourceId", ""))):
            if existing.get("resourceId") == item.get("resourceId"):
                return existing
        return self.create_line_item(item)

    def results(self, line_item_url: str, user_id: str | None = None) -> Iterator[dict[str, Any]]:
        """The line item's results page after page, as they arrive: a MOOC's 100,000 are never held at once."""
        url = address("results", _with_path_suffix(line_item_url, "/results", "results"),
                      {"user_id": user_id} if user_id else {"limit": str(PAGE_LIMIT)})
        for page in _pages(self.http, url, self._auth(SCOPE_RESULT, MT_RESULTS), "results"):
            body = page.json()
            if not isinstance(body, list) or not all(isinstance(r, dict) for r in body):
                raise LtiError(f"the platform's results at {page.request.url} are not a result container (a list of "
                               "results)", code="platform_service_error", status=502)
            yield from body

    def post_score(self, line_item_url: str, score: Mapping[str, Any]) -> None:
        headers = {**self._auth(SCOPE_SCORE, "application/json"), "Content-Type": MT_SCORE}
        url = _with_path_suffix(line_item_url, "/scores", "score")
        call("score", url, lambda: self.http.post(url, json=dict(score), headers=headers))


class NrpsClient:
    """Names and Role Provisioning Services 2.0: the whole roster, following ``Link: rel="next"`` pages."""

    def __init__(self, claim: Mapping[str, Any], tokens: TokenClient) -> None:
        self.url = str(claim.get("context_memberships_url") or "")
        self.tokens, self.http = tokens, tokens.http

    def _headers(self) -> dict[str, str]:
        if not self.url:
            raise LtiError("the platform gave no context memberships URL", code="no_nrps_service")
        return {"Authorization": f"Bearer {self.tokens.token(frozenset({SCOPE_NRPS}))}", "Accept": MT_MEMBERSHIP}

    @staticmethod
    def _members(response: httpx.Response) -> list[dict[str, Any]]:
        """A page's members; a body that is not a membership container is the platform's fault (502), not ours."""
        body = _json(response, "membership")
        members = body.get("members", []) if isinstance(body, dict) else None
        if not isinstance(members, list) or not all(isinstance(m, dict) for m in members):
            raise LtiError(f"the platform's roster page at {response.request.url} is not a membership container (an "
                           "object with a list of members)", code="platform_service_error", status=502)
        return members

    def members(self, role: str | None = None) -> list[dict[str, Any]]:
        headers = self._headers()
        url = address("membership", self.url, {"limit": str(PAGE_LIMIT), **({"role": role} if role else {})})
        members: list[dict[str, Any]] = []
        for page in _pages(self.http, url, headers, "membership"):
            members.extend(self._members(page))
        return members

    def page(self, query: str | None = None, limit: int = 100) -> tuple[list[dict[str, Any]], str | None]:
        """One page of the roster (a course of 100,000 is never read whole for a page): the first, asking the
        platform for ``limit`` members, or the one whose query a previous page's ``next`` gave. The next page's
        query string is returned, never its URL: the memberships URL's origin and path are the claim's, so the
        bearer token goes nowhere else whatever a browser sends back."""
        headers = self._headers()
        url = address("membership", self.url, {"limit": str(limit)})
        base = urlsplit(url)
        if query is not None:
            url = urlunsplit(base._replace(query=query))
        response = call("membership", url, partial(self.http.get, url, headers=headers))
        members = self._members(response)
        following = response.links.get("next", {}).get("url")
        if not following:
            return members, None
        after = urlsplit(_following(response, following, "membership"))
        if (after.scheme, after.netloc, after.path) != (base.scheme, base.netloc, base.path):
            raise LtiError("the platform's next page of the roster is not at its memberships URL "
                           f"({after.scheme}://{after.netloc}{after.path}); LEADS reads rosters only there",
                           code="platform_service_error", status=502)
        return members, after.query
