"""The page language people chose sticks: ``?lang=`` on any page sets a cookie that later pages read.

Inside an LMS frame the cookie may be a third-party cookie the browser drops, so the LTI pages also carry
``?lang=`` in their own links (``qs`` in the templates).
"""

from __future__ import annotations

from urllib.parse import parse_qs

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bridge.i18n import COOKIE, LANGUAGES

ONE_YEAR = 365 * 24 * 3600


class RememberLanguage:
    """Pure ASGI middleware: an HTML page opened with ``?lang=xx`` (a language we speak) sets the language
    cookie (JSON answers and files stay cookie-free, so shared caches may keep them)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        lang = (query.get("lang") or [""])[0].split("-")[0].lower()
        if lang not in LANGUAGES:
            await self.app(scope, receive, send)
            return
        cookie = f"{COOKIE}={lang}; Path=/; Max-Age={ONE_YEAR}; SameSite=Lax".encode()

        async def send_with_cookie(message: Message) -> None:
            headers = dict(message.get("headers", [])) if message["type"] == "http.response.start" else {}
            if headers.get(b"content-type", b"").startswith(b"text/html"):
                message["headers"] = [*message.get("headers", []), (b"set-cookie", cookie)]
            await send(message)

        await self.app(scope, receive, send_with_cookie)
