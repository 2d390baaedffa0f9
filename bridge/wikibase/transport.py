"""One MediaWiki Action API, as a real wiki behaves: log-in through wikibaseintegrator, every request through here.

MediaWiki throttles edits per user (90 a minute by default, in a sliding 60 s window), answers a throttled edit with
``failed-save`` + ``actionthrottledtext`` and a throttled create with ``no-automatic-entity-id``, and a lagged
database with ``maxlag`` and ``Retry-After``. So writes keep a steady pace below the account's own limit (read from
``meta=userinfo&uiprop=ratelimits``; an account exempt from limits, such as a bot with ``noratelimit``, goes at full
speed), waits are as long as the server says, and retrying goes on for a time budget that outlasts the window.
The clock and the sleep are injected, so tests do not wait.
"""

from __future__ import annotations

import logging
import re
import socket
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import requests
from oauthlib.oauth2.rfc6749.errors import InsecureTransportError, OAuth2Error
from wikibaseintegrator import wbi_helpers, wbi_login

from bridge.errors import LeadsError, NotFound, Term, UpstreamError

Json = dict[str, Any]
log = logging.getLogger(__name__)

#: Retrying throttled or lagged requests goes on this long: longer than MediaWiki's 60 s rate-limit window.
RETRY_BUDGET = 300.0
#: The pace kept, as a share of the account's limit, so a sliding window never fills.
PACE_SHARE = 0.9
_TRANSIENT_HTTP = {429, 500, 502, 503, 504}
#: Why a request is being tried again ("the Wikibase at … is lagging (maxlag) for more than 300 s").
UNREACHABLE = Term("could not be reached")
ANSWERED_AN_ERROR = Term("kept answering with an error")
IS_LAGGING = Term("is lagging")
IS_READ_ONLY = Term("is read-only")
THROTTLED = Term("throttled this account (rate limit)")


class WikibaseApiError(UpstreamError):
    """The API answered with an error envelope; ``conflicts`` names entities a label clash points at."""

    def __init__(self, message: str, api_code: str, conflicts: list[str], messages: list[Json] | None = None,
                 params: Json | None = None) -> None:
        super().__init__(message, code="wikibase_api_error", params=params)
        self.api_code = api_code
        self.conflicts = conflicts
        self.messages = messages or []


class Transport:
    """Requests to one ``api.php``: anonymous reads, logged-in writes at a steady pace, retries with a time budget."""

    def __init__(self, api_url: str, *, user_agent: str, user: str | None = None, password: str | None = None,
                 oauth: tuple[str, str] | None = None, rest_url: str | None = None, max_retries: int = 5,
                 backoff_seconds: float = 1.0, timeout: float = 30.0, sleep: Callable[[float], None] | None = None,
                 clock: Callable[[], float] | None = None, edits_per_minute: float | None = None,
                 retry_budget: float = RETRY_BUDGET, notify: Callable[[str], None] | None = None) -> None:
        self.api_url = api_url
        self.rest_url = rest_url or api_url.removesuffix("api.php") + "rest.php"
        self.user_agent = user_agent
        self._ua = wbi_helpers.get_user_agent(user_agent)  # "LEADS/… WikibaseIntegrator/…", as wbi's own calls
        self.user, self.password, self.oauth = user, password, oauth
        self.max_retries = max(1, max_retries)
        self.backoff = backoff_seconds
        self.timeout = timeout
        self.sleep = sleep or (lambda seconds: time.sleep(seconds))  # looked up late: tests replace the clock
        self.clock = clock or (lambda: time.monotonic())
        self.edits_per_minute = edits_per_minute  # None: ask the wiki for this account's limit
        self.retry_budget = retry_budget
        self.notify = notify or (lambda text: log.info("%s", text))
        self._login: wbi_login._Login | None = None
        self._anonymous = requests.Session()
        self._next_write = 0.0
        self._paced = edits_per_minute is not None

    # --- log-in -------------------------------------------------------------------------------------------------

    @property
    def login(self) -> wbi_login._Login:
        """Logged in with the OAuth 2 owner-only consumer, else the bot password (``User@BotName``)."""
        if self._login is None:
            if not self.oauth and (not self.user or not self.password):
                raise LeadsError("writing to the Wikibase needs credentials: set LEADS_WIKIBASE_OAUTH_CLIENT_ID and "
                                 "LEADS_WIKIBASE_OAUTH_CLIENT_SECRET (an owner-only OAuth 2 consumer), or "
                                 "LEADS_WIKIBASE_USER (User@BotName) and LEADS_WIKIBASE_PASSWORD (a bot password)",
                                 code="wikibase_no_credentials", status=401)
            try:
                if self.oauth:
                    self._login = wbi_login.OAuth2(consumer_token=self.oauth[0], consumer_secret=self.oauth[1],
                                                   mediawiki_api_url=self.api_url, mediawiki_rest_url=self.rest_url,
                                                   user_agent=self.user_agent)
                else:
                    self._login = wbi_login.Login(user=self.user, password=self.password,
                                                  mediawiki_api_url=self.api_url, user_agent=self.user_agent,
                                                  timeout=self.timeout)
            except wbi_login.LoginError as exc:
                params = {"api_url": self.api_url, "reason": exc}
                if self.oauth:
                    raise UpstreamError("the Wikibase at %(api_url)s refused the log-in of OAuth consumer "
                                        "%(consumer)s: %(reason)s; check LEADS_WIKIBASE_OAUTH_CLIENT_ID and _SECRET",
                                        code="wikibase_login_failed",
                                        params={**params, "consumer": self.oauth[0]}) from None
                raise UpstreamError("the Wikibase at %(api_url)s refused the log-in of %(user)s: %(reason)s; check "
                                    "LEADS_WIKIBASE_USER and LEADS_WIKIBASE_PASSWORD", code="wikibase_login_failed",
                                    params={**params, "user": self.user}) from None
            except InsecureTransportError:
                raise UpstreamError("nothing was sent to %(rest_url)s: oauthlib, the OAuth client library LEADS "
                                    "uses, refuses OAuth 2 over plain http (its rule, not the wiki's). Use the https "
                                    "address of the wiki; for a local test wiki only, allow http by setting the "
                                    "environment variable OAUTHLIB_INSECURE_TRANSPORT=1",
                                    code="wikibase_oauth_needs_https", params={"rest_url": self.rest_url}) from None
            except OAuth2Error as exc:
                raise UpstreamError("the Wikibase at %(rest_url)s refused the OAuth 2 token request: %(reason)s",
                                    code="wikibase_login_failed",
                                    params={"rest_url": self.rest_url,
                                            "reason": exc.description or exc.error}) from None
            except requests.RequestException as exc:
                raise self._unreachable(exc, 1) from None
            except (KeyError, ValueError) as exc:
                raise UpstreamError("%(api_url)s did not answer the log-in like a MediaWiki API (%(reason)r); is it "
                                    "the wiki's api.php address (…/w/api.php, not index.php)?",
                                    code="wikibase_bad_answer",
                                    params={"api_url": self.api_url, "reason": exc}) from None
        return self._login

    # --- requests -----------------------------------------------------------------------------------------------

    def call(self, data: Json, *, write: bool = False) -> Json:
        """One API request; transient refusals are retried as the server asks, within the retry budget."""
        params: Json = dict(data, format="json", maxlag="5")
        session = self.login.get_session() if write else (
            self._login.get_session() if self._login else self._anonymous)
        if write:
            params.update(token=self.login.get_edit_token(), **{"assert": "user"})
            self._pace()
        failures = throttles = 0
        waited = 0.0
        while True:
            try:
                response = session.post(self.api_url, data=params, headers={"User-Agent": self._ua},
                                        timeout=self.timeout)
            except (requests.ConnectionError, requests.Timeout) as exc:
                failures += 1
                if failures >= self.max_retries:
                    raise self._unreachable(exc, failures) from None
                waited += self._wait(self.backoff * 2 ** (failures - 1), waited, data, UNREACHABLE,
                                     exc.__class__.__name__)
                continue
            except requests.RequestException as exc:
                raise self._unreachable(exc, failures + 1) from None
            if response.status_code in _TRANSIENT_HTTP:
                failures += 1
                if failures >= self.max_retries:
                    if response.status_code == 429:
                        raise UpstreamError("the Wikibase at %(api_url)s kept answering 429 Too Many Requests "
                                            "(%(attempts)s attempts); try again later", code="wikibase_rate_limited",
                                            params={"api_url": self.api_url, "attempts": failures})
                    raise self._unreachable(None, failures)
                delay = max(self.backoff * 2 ** (failures - 1), _retry_after(response))
                waited += self._wait(delay, waited, data, ANSWERED_AN_ERROR, f"HTTP {response.status_code}")
                continue
            if response.status_code >= 400:
                raise UpstreamError("the Wikibase at %(api_url)s answered HTTP %(status)s to %(action)s",
                                    code="wikibase_http_error", params={"api_url": self.api_url,
                                                                        "status": response.status_code,
                                                                        "action": data.get("action")})
            try:
                body = response.json()
            except ValueError:
                body = None
            if not isinstance(body, dict):
                raise UpstreamError("%(api_url)s did not answer with JSON; is it the wiki's MediaWiki api.php "
                                    "address (…/w/api.php, not index.php)?", code="wikibase_bad_answer",
                                    params={"api_url": self.api_url})
            error = body.get("error")
            if not isinstance(error, dict):
                return body
            code = str(error.get("code", ""))
            names = [str(m.get("name", "")) for m in error.get("messages", []) if isinstance(m, dict)]
            if code in ("maxlag", "readonly"):
                delay = max(_retry_after(response), 5.0)
                waited += self._wait(delay, waited, data, IS_LAGGING if code == "maxlag" else IS_READ_ONLY, code)
                continue
            if "actionthrottledtext" in names or code in ("no-automatic-entity-id", "ratelimited"):
                throttles += 1
                self._slow_down()
                delay = max(_retry_after(response), min(60.0, 5.0 * 2 ** (throttles - 1)))
                waited += self._wait(delay, waited, data, THROTTLED, code)
                continue
            if code == "badtoken" and write and failures == 0:
                failures += 1
                self.login.edit_token = None  # the session expired: one fresh token, then the same request
                params["token"] = self.login.get_edit_token()
                continue
            if code in ("no-such-entity", "missingtitle"):
                raise NotFound("the Wikibase at %(api_url)s has no such entity: %(info)s",
                               code="wikibase_no_such_entity", params={"api_url": self.api_url,
                                                                      "info": error.get("info")})
            raise WikibaseApiError("the Wikibase at %(api_url)s refused %(action)s: %(api_code)s: %(explained)s",
                                   code, _conflicts(error), error.get("messages"),
                                   params={"api_url": self.api_url, "action": data.get("action"), "api_code": code,
                                           "explained": _explain(error)})

    def _wait(self, delay: float, waited: float, data: Json, why: Term, detail: str) -> float:
        """Wait ``delay`` before trying again, unless that would go past the retry budget."""
        if waited + delay > self.retry_budget:
            raise UpstreamError("the Wikibase at %(api_url)s %(why)s (%(detail)s) for more than %(budget)s s "
                                "(%(action)s); try again later", code="wikibase_rate_limited",
                                params={"api_url": self.api_url, "why": why, "detail": detail,
                                        "budget": f"{self.retry_budget:g}", "action": data.get("action")})
        self.notify(f"the wiki {why} ({detail}); waiting {delay:g} s, then trying again "
                    f"(up to {self.retry_budget:g} s in all)")
        self.sleep(delay)
        return delay

    # --- pacing -------------------------------------------------------------------------------------------------

    def _pace(self) -> None:
        """Space writes evenly below the account's edit rate, so the wiki never has to throttle."""
        if not self._paced:
            self._paced = True
            self.edits_per_minute = self._account_rate()
        if not self.edits_per_minute:
            return
        interval = 60.0 / self.edits_per_minute
        now = self.clock()
        if now < self._next_write:
            self.sleep(self._next_write - now)
            now = self._next_write
        self._next_write = now + interval

    def _slow_down(self) -> None:
        rate = self.edits_per_minute or self._account_rate() or 60.0
        self.edits_per_minute = max(1.0, rate * 0.75)
        self._paced = True

    def _account_rate(self) -> float | None:
        """Edits a minute this account may make, from the wiki's own ``ratelimits`` (none: not limited)."""
        answer = self.call({"action": "query", "meta": "userinfo", "uiprop": "rights|ratelimits"})
        limits = answer.get("query", {}).get("userinfo", {}).get("ratelimits") or {}
        rates = [float(rule["hits"]) * 60.0 / float(rule["seconds"])
                 for action in ("edit", "wikibase-idgenerator", "create")
                 for rule in (limits.get(action) or {}).values()
                 if isinstance(rule, dict) and rule.get("seconds")]
        return PACE_SHARE * min(rates) if rates else None

    def _unreachable(self, exc: Exception | None, attempts: int) -> UpstreamError:
        """Why the wiki cannot be used: the error met, else whether its port still takes connections."""
        parts = urlsplit(self.api_url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        where: Json = {"api_url": self.api_url, "attempts": attempts}
        if exc is not None and not isinstance(exc, requests.ConnectionError):
            return UpstreamError("the Wikibase at %(api_url)s is unavailable after %(attempts)s attempts: %(reason)s. "
                                 "Try again later", code="wikibase_unavailable",
                                 params={**where, "reason": f"{exc.__class__.__name__}: {exc}"})
        try:
            with socket.create_connection((parts.hostname or "", port), timeout=3):
                return UpstreamError("the Wikibase at %(api_url)s is unavailable after %(attempts)s attempts: it "
                                     "kept answering HTTP 5xx errors. Try again later", code="wikibase_unavailable",
                                     params=where)
        except OSError as err:
            return UpstreamError("the Wikibase at %(api_url)s is unavailable after %(attempts)s attempts: cannot "
                                 "connect to %(host)s:%(port)s (%(reason)s). Check the wiki's address in LEADS's "
                                 "settings, or try again later", code="wikibase_unavailable",
                                 params={**where, "host": parts.hostname, "port": port,
                                         "reason": err.strerror or err})


def _retry_after(response: requests.Response) -> float:
    try:
        return max(0.0, float(str(response.headers.get("Retry-After", "0"))))
    except ValueError:
        return 0.0


def _explain(error: Json) -> str:
    """The error's info, plus the causes a ``failed-save`` lists in its messages (without a final full stop)."""
    info = str(error.get("info", "")).strip().rstrip(".")
    causes = []
    for m in error.get("messages", []) or []:
        html = m.get("html") if isinstance(m, dict) else None
        text = re.sub(r"<[^>]+>", "", str(html.get("*", "") if isinstance(html, dict) else html or "")).strip()
        if text and text.rstrip(".") != info and m.get("name") != "wikibase-api-failed-save":
            causes.append(text.rstrip("."))
    return info + (f" ({'; '.join(causes)})" if causes else "")


def _conflicts(error: Json) -> list[str]:
    """Entity ids named by ``…-conflict`` messages (their third parameter is a link like [[Item:Q5|Q5]])."""
    found: list[str] = []
    for message in error.get("messages", []) or []:
        if isinstance(message, dict) and str(message.get("name", "")).endswith("-conflict"):
            for param in message.get("parameters", [])[2:]:
                found += re.findall(r"\b[PQ][1-9][0-9]*\b", str(param))
    return list(dict.fromkeys(found))
