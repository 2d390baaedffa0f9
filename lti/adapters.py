"""pylti1p3 on FastAPI: request, cookies, redirect, session and launch-data storage (modelled on its flask adapters).

Request data is read on the event loop into a ``RequestData`` value; everything that follows (pylti1p3, key
fetching, database) is blocking and runs in a worker thread. Launch state lives in a ``LaunchDataStore`` so that
any process can finish a launch another one started.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pylti1p3.cookie import CookieService
from pylti1p3.launch_data_storage.base import LaunchDataStorage
from pylti1p3.oidc_login import OIDCLogin
from pylti1p3.redirect import Redirect
from pylti1p3.request import Request
from pylti1p3.session import SessionService

from lti.config import LaunchDataStore

STATE_COOKIE_TTL = 300  # seconds, as pylti1p3
NONCE_TTL = 600
LAUNCH_DATA_TTL = 86400


@dataclass(frozen=True)
class RequestData:
    """The parts of an HTTP request pylti1p3 reads; query and form parameters merged (form wins)."""

    method: str
    params: Mapping[str, str]
    cookies: Mapping[str, str]
    secure: bool = True


class FastAPIRequest(Request):
    def __init__(self, data: RequestData) -> None:
        self.data = data

    @property
    def session(self) -> dict[str, Any]:  # pylti1p3's session storage is never used: state lives in the store
        return {}

    def is_secure(self) -> bool:
        return self.data.secure

    def get_param(self, key: str) -> str | None:  # type: ignore[override]
        return self.data.params.get(key)

    def get_cookie(self, key: str) -> str | None:
        return self.data.cookies.get(key)


@dataclass(frozen=True)
class Cookie:
    name: str
    value: str
    max_age: int
    partitioned: bool = True

    def header(self) -> str:
        """``SameSite=None; Secure`` so it survives the cross-site form post; Partitioned (CHIPS) for iframes."""
        return (f"{self.name}={self.value}; Max-Age={self.max_age}; Path=/; Secure; HttpOnly; SameSite=None"
                + ("; Partitioned" if self.partitioned else ""))

    @classmethod
    def clearing(cls, name: str, partitioned: bool = True) -> Cookie:
        """Removes a cookie (a partitioned one only by a header that is partitioned too)."""
        return cls(name, "", 0, partitioned)


class FastAPICookieService(CookieService):
    def __init__(self, request: FastAPIRequest) -> None:
        self.request = request
        self.to_set: list[Cookie] = []

    def _get_key(self, key: str) -> str:
        return f"{self._cookie_prefix}-{key}"

    def get_cookie(self, name: str) -> str | None:
        return self.request.get_cookie(self._get_key(name))

    def set_cookie(self, name: str, value: str | int, exp: int | None = 3600) -> None:
        self.to_set.append(Cookie(self._get_key(name), str(value), exp if exp is not None else 3600))

    def update_response(self, response: Response) -> Response:
        for cookie in self.to_set:
            response.headers.append("set-cookie", cookie.header())
        return response


class FastAPIRedirect(Redirect[Response]):
    def __init__(self, location: str, cookie_service: FastAPICookieService | None = None) -> None:
        self.location = location
        self.cookie_service = cookie_service

    def do_redirect(self) -> Response:
        return self._process(RedirectResponse(self.location, status_code=302))

    def do_js_redirect(self) -> Response:
        link = f"<p><a href='{html.escape(self.location)}'>Continue</a></p>"
        page = PageScript("Redirecting…", "/lti/js/redirect.js", {"redirect": self.location}, link)
        return self._process(HTMLResponse(page.render()))

    def set_redirect_url(self, location: str) -> None:
        self.location = location

    def get_redirect_url(self) -> str:
        return self.location

    def _process(self, response: Response) -> Response:
        return self.cookie_service.update_response(response) if self.cookie_service else response


class StoreLaunchDataStorage(LaunchDataStorage[Any]):
    """pylti1p3 launch data storage on the application's ``LaunchDataStore`` (no session cookie needed)."""

    def __init__(self, store: LaunchDataStore) -> None:
        super().__init__()
        self.store = store

    def get_session_cookie_name(self) -> None:
        return None

    def can_set_keys_expiration(self) -> bool:
        return True

    def get_value(self, key: str) -> Any:
        return self.store.get(self._prepare_key(key))

    def set_value(self, key: str, value: Any, exp: int | None = None) -> None:
        self.store.put(self._prepare_key(key), value, exp or LAUNCH_DATA_TTL)

    def check_value(self, key: str) -> bool:
        return self.get_value(key) is not None


class StoreSessionService(SessionService):
    """Nonces are consumed once (pylti1p3 alone only checks they exist, so a replayed id_token passes)."""

    def __init__(self, request: FastAPIRequest, store: LaunchDataStore) -> None:
        self.store = store
        self.data_storage = StoreLaunchDataStorage(store)
        self.data_storage.set_request(request)

    def save_nonce(self, nonce: str) -> None:
        self.store.add_nonce(nonce, NONCE_TTL)

    def check_nonce(self, nonce: str) -> bool:
        return self.store.consume_nonce(nonce)

    def set_state_valid(self, state: str, id_token_hash: str) -> None:
        """pylti1p3 would let the same id_token pass the state check again without the cookie: never record it."""

    def check_state_is_valid(self, state: str, id_token_hash: str) -> bool:
        return False


class FastAPIOIDCLogin(OIDCLogin[FastAPIRequest, Any, StoreSessionService, FastAPICookieService, Response]):
    def get_redirect(self, url: str) -> FastAPIRedirect:
        return FastAPIRedirect(url, self._cookie_service)

    def get_response(self, html_text: str) -> Response:
        return HTMLResponse(html_text)


@dataclass
class PageScript:
    """A small HTML page running one script with JSON data (client-side storage, auto-submitted forms).

    The script is a file the router serves (``script_url``), never inline, so pages keep a CSP without
    ``'unsafe-inline'``; the data rides in a ``type='application/json'`` block, which browsers do not execute.
    """

    title: str
    script_url: str
    data: dict[str, Any] = field(default_factory=dict)
    body: str = ""

    def render(self) -> str:
        payload = json.dumps(self.data).replace("</", "<\\/")
        return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(self.title)}"
                f"</title></head><body>{self.body}<script id='lti-data' type='application/json'>{payload}</script>"
                f"<script src='{html.escape(self.script_url)}'></script></body></html>")
