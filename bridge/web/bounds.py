"""Bounded requests: every body is capped before any route parses it, and JSON bodies are refused when nested
deeper than anything LEADS reads (docs/decisions/013).

The cap is checked on the declared ``Content-Length`` first (refused without reading a byte) and again while the
body arrives, so a chunked upload cannot get around it. Routes that take a PDF or a credential file get the larger
upload cap. The body is buffered here (at most the cap) and handed to the route unchanged.

A NUL character (U+0000) in the path or the query is refused too (422, see ``bridge.web.nul``).
"""

from __future__ import annotations

import re
from collections.abc import Collection

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bridge.web import nul
from bridge.web.refusal import refuse, translate
from issuer.jsonbound import MAX_DEPTH, depth_exceeds

_JSON_TYPE = re.compile(rb"^\s*application/([\w.+-]+\+)?json\b", re.IGNORECASE)
_n = str  # marks msgids for extraction; translated in refusal.translate

TOO_LARGE = _n("The request is larger than %(limit)s, the most this address accepts.")
TOO_LARGE_HINT = _n("A credential, or a certificate PDF, is far smaller: check that you sent the right file.")
TOO_DEEP = _n("The JSON is nested more than %(limit)s levels deep; a credential needs far fewer.")


def _size(n: int) -> str:
    return f"{n // (1024 * 1024)} MB" if n >= 1024 * 1024 and n % (1024 * 1024) == 0 else f"{n // 1024} KB"


class BodyLimit:
    """ASGI middleware: 413 above the cap (``upload_limit`` on ``upload_paths``), 400 for JSON nested too deep."""

    def __init__(self, app: ASGIApp, *, limit: int, upload_limit: int, upload_paths: Collection[str],
                 max_depth: int = MAX_DEPTH) -> None:
        self.app = app
        self.limit = limit
        self.upload_limit = upload_limit
        self.upload_paths = frozenset(upload_paths)
        self.max_depth = max_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        where = nul.in_path(scope)
        where = nul.in_encoded(scope.get("query_string", b"")) if where is None else where
        if where is not None:
            await nul.refuse_nul(scope, send, where)
            return
        limit = self.upload_limit if scope.get("path") in self.upload_paths else self.limit
        headers = dict(scope.get("headers", []))
        declared = headers.get(b"content-length", b"").strip()
        if declared.isdigit() and int(declared) > limit:
            await self._too_large(scope, send, limit)
            return
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = bool(message.get("more_body", False))
            if len(body) > limit:
                await self._too_large(scope, send, limit)
                return
        if _JSON_TYPE.match(headers.get(b"content-type", b"")) and depth_exceeds(bytes(body), self.max_depth):
            await refuse(scope, send, 400, "json_too_deep", translate(scope, TOO_DEEP, limit=self.max_depth))
            return
        await self.app(scope, _replay(bytes(body), receive), send)

    async def _too_large(self, scope: Scope, send: Send, limit: int) -> None:
        await refuse(scope, send, 413, "body_too_large", translate(scope, TOO_LARGE, limit=_size(limit)),
                     translate(scope, TOO_LARGE_HINT))


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # after the body: wait for the disconnect, as the server would say

    return replay
