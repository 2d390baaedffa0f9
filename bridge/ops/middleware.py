"""Every request: a request id (kept from ``X-Request-ID`` when it is a plain token, else new; echoed in the
answer), one access log line, and the HTTP metrics labelled by route template (never the raw path, so that
unknown URLs cannot explode the label set). A POST to the LTI launch is also counted as a launch by outcome.

The line's path never carries a capability: a launch id opens its pages (an instructor's dashboard and its revoke
forms) for 24 hours, so it is logged as a short hash (``#`` and 12 hex digits) — the same launch, the same hash,
to follow it through the log; the route template names the parameter."""

from __future__ import annotations

import hashlib
import logging
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bridge import metrics
from bridge.ops.logs import request_id

log = logging.getLogger("leads.http")
GOOD_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
LAUNCH_PATHS = ("/lti/launch",)
CAPABILITIES = frozenset({"launch_id"})  # path parameters that are bearer capabilities


def logged_path(path: str, params: dict[str, object]) -> str:
    """``path`` with the value of each capability parameter replaced by a short hash of it."""
    for name in CAPABILITIES & params.keys():
        value = str(params[name])
        if value:
            path = path.replace(value, "#" + hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()[:12])
    return path


class Observe:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        rid = given if GOOD_ID.match(given) else uuid.uuid4().hex
        token = request_id.set(rid)
        status = 500
        start = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - start
            route = scope.get("route")
            template = getattr(route, "path", None) or ("/static" if scope["path"].startswith("/static/")
                                                        else "unmatched")
            method = scope["method"]
            metrics.HTTP_REQUESTS.labels(method, template, str(status)).inc()
            metrics.HTTP_SECONDS.labels(method, template).observe(elapsed)
            if method == "POST" and template in LAUNCH_PATHS:
                outcome = "accepted" if status < 400 else "refused" if status < 500 else "error"
                metrics.LTI_LAUNCHES.labels(outcome).inc()
            path = logged_path(scope["path"], scope.get("path_params") or {})
            log.info("%s %s %s", method, path, status,
                     extra={"method": method, "path": path, "route": template, "status": status,
                            "duration_ms": round(elapsed * 1000, 1)})
            request_id.reset(token)
