"""Every request: a request id (kept from ``X-Request-ID`` when it is a plain token, else new; echoed in the
answer), one access log line, and the HTTP metrics labelled by route template (never the raw path, so that
unknown URLs cannot explode the label set). A POST to the LTI launch is also counted as a launch by outcome."""

from __future__ import annotations

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
            log.info("%s %s %s", method, scope["path"], status,
                     extra={"method": method, "path": scope["path"], "route": template, "status": status,
                            "duration_ms": round(elapsed * 1000, 1)})
            request_id.reset(token)
