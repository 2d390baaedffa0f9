"""Security headers on every response, set once here so that routes added later get them too.

Pages run no inline script (``script-src 'self'``); the only pages an outside site may frame are the LTI pages,
and only the registered platforms may frame them (``frame-ancestors``), because Moodle and Open edX show tools in
an iframe. Everything else refuses framing (``frame-ancestors 'none'`` and ``X-Frame-Options: DENY``).
"""

from __future__ import annotations

import base64
import hashlib
import re
import threading
import time
from collections.abc import Callable, Iterable
from urllib.parse import parse_qs, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# pages shown inside an LTI launch (the launch id in the path is their capability), and the LTI endpoints
LTI_PREFIXES = ("/lti/", "/awards/course/", "/awards/mine/", "/awards/claim/", "/pool/launch/")
NOT_LTI = ("/lti/admin",)
STYLE = "style-src 'self' 'unsafe-inline'"  # certificate pages carry their own <style>; scripts never inline


def origin(url: str) -> str | None:
    """``scheme://host[:port]`` of an http(s) URL, or None."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc or not re.fullmatch(r"[\w.:\[\]-]+", parts.netloc):
        return None
    return f"{parts.scheme}://{parts.netloc.lower()}"


def script_hashes(html: str) -> list[str]:
    """CSP hash sources of the inline scripts of a page we do not write ourselves (Swagger UI)."""
    hashes = []
    for body in re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", html, re.S):
        digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode()
        hashes.append(f"'sha256-{digest}'")
    return hashes


def is_lti_page(path: str, query: str) -> bool:
    if path.startswith(NOT_LTI):
        return False
    if path.startswith(LTI_PREFIXES):
        return True
    return path.startswith("/courses/") and "launch" in parse_qs(query)  # course generation inside a launch


class PlatformOrigins:
    """The registered platforms' origins (issuer and login URL), re-read at most every ``ttl`` seconds."""

    def __init__(self, load: Callable[[], Iterable[str]], ttl: float = 30.0) -> None:
        self._load, self._ttl = load, ttl
        self._value: tuple[str, ...] = ()
        self._at = -ttl - 1.0
        self._lock = threading.Lock()

    def __call__(self) -> tuple[str, ...]:
        with self._lock:
            if time.monotonic() - self._at > self._ttl:
                found = {o for o in (origin(u) for u in self._load()) if o}
                self._value, self._at = tuple(sorted(found)), time.monotonic()
            return self._value

    def kept(self) -> tuple[str, ...] | None:
        """The origins read less than ``ttl`` seconds ago, or None when they must be read again (a database read:
        the caller does that off the event loop)."""
        with self._lock:
            return self._value if time.monotonic() - self._at <= self._ttl else None


class SecurityHeaders:
    """Pure ASGI middleware (no body buffering): adds the headers a route did not set itself."""

    def __init__(self, app: ASGIApp, *, https: bool, platforms: PlatformOrigins,
                 docs_paths: tuple[str, ...] = (), docs_hashes: Iterable[str] = (),
                 form_targets: Callable[[str], tuple[str, ...]] = lambda path: ()) -> None:
        """``form_targets(path)``: origins besides this one that a form on the page at ``path`` reaches. Browsers
        hold a form's redirects to ``form-action`` too, so a form that posts here and is sent on to a sign-in page
        elsewhere (Wikimedia's OAuth) needs that page's origin, on that form's page only."""
        self.app, self.https, self.platforms = app, https, platforms
        self.docs_paths, self.docs_hashes = docs_paths, " ".join(docs_hashes)
        self.form_targets = form_targets

    def _policy(self, path: str, framers: tuple[str, ...] | None) -> str:
        if path in self.docs_paths:  # Swagger UI and ReDoc, served from /static/api-docs (ReDoc searches in a worker)
            script = f"script-src 'self' {self.docs_hashes}".rstrip()
            style, img = STYLE, "img-src 'self' data:; worker-src 'self' blob:"
        else:
            script, style, img = "script-src 'self'", STYLE, "img-src 'self' data: blob:"
        parts = ["default-src 'self'", script, style, img, "media-src 'self' blob:", "object-src 'none'",
                 "base-uri 'none'"]
        if framers is None:
            parts += ["frame-ancestors 'none'", " ".join(("form-action 'self'", *self.form_targets(path)))]
        else:  # the deep-linking return posts to the platform, so no form-action here
            parts.append("frame-ancestors " + " ".join(("'self'", *framers)))
        return "; ".join(parts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        query = scope.get("query_string", b"").decode("latin-1")
        framers: tuple[str, ...] | None = None
        if is_lti_page(path, query):
            framers = self.platforms.kept()
            if framers is None:  # read again, in the threadpool (a thread hop costs a launch more than the check)
                framers = await run_in_threadpool(self.platforms)
            if path == "/lti/register":  # the platform registering opens this page before it is registered
                config = parse_qs(query).get("openid_configuration", [""])[0]
                framers = (*framers, *(o for o in [origin(config)] if o))
        added = [(b"content-security-policy", self._policy(path, framers).encode()),
                 (b"x-content-type-options", b"nosniff"),
                 (b"referrer-policy", b"same-origin")]
        if framers is None:
            added.append((b"x-frame-options", b"DENY"))
        if self.https:
            added.append((b"strict-transport-security", b"max-age=31536000"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in added if name not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class HeadAsGet:
    """``HEAD`` wherever ``GET`` works: answered as the GET would be, without the body (RFC 9110 §9.3.2)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        finished = False

        async def headers_only(message: Message) -> None:
            nonlocal finished
            if message["type"] == "http.response.start":
                await send(message)
            elif message["type"] == "http.response.body" and not finished:
                if not message.get("more_body", False):
                    finished = True
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
            else:
                await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)
