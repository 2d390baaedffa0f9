"""Unauthenticated verification, rationed: a token bucket per client (429 with ``Retry-After``), and a bound on how
many verifications run at once, so that slow upstreams hold at most that many worker threads and every other page
keeps its share of the threadpool (a request waiting for its turn waits here, asynchronously, holding no thread;
503 with ``Retry-After`` when no turn comes in time). See docs/decisions/013.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

import anyio
from starlette.types import ASGIApp, Receive, Scope, Send

from bridge.web.refusal import refuse, translate

_n = str

TOO_MANY = _n("Too many verifications from your address: try again in %(seconds)s seconds.")
BUSY = _n("The server is busy verifying other credentials: try again in %(seconds)s seconds.")

VERIFICATION_ROUTES = (
    re.compile(r"^/api/verify$"),
    re.compile(r"^/verify$"),
    re.compile(r"^/pool/publish$"),
    re.compile(r"^/api/pool/profiles/[^/]+/credentials$"),
)
GET_VERIFICATION_ROUTES = (
    re.compile(r"^/pool/evidence/[^/]+$"),  # a public page that verifies at each request (decision 027)
)


def _gated(method: object, path: str) -> bool:
    routes = VERIFICATION_ROUTES if method == "POST" else GET_VERIFICATION_ROUTES if method in ("GET", "HEAD") else ()
    return any(r.match(path) for r in routes)


class RateLimiter:
    """Token buckets per key: ``per_minute`` tokens a minute, bursts up to ``burst``; at most ``max_keys`` kept."""

    def __init__(self, per_minute: int, burst: int | None = None, max_keys: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst if burst is not None else max(1, min(per_minute, 10)))
        self.max_keys = max_keys
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """0 when allowed (a token is taken), else the seconds until the next token."""
        now = self.clock()
        with self._lock:
            tokens, then = self._buckets.pop(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - then) * self.rate)
            wait = 0.0 if tokens >= 1 else (1 - tokens) / self.rate
            self._buckets[key] = (tokens - 1 if wait == 0 else tokens, now)
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
            return wait


class VerificationGate:
    """ASGI middleware in front of the unauthenticated verification routes (POST, and GET of evidence pages)."""

    def __init__(self, app: ASGIApp, *, per_minute: int, concurrency: int, queue_seconds: float) -> None:
        self.app = app
        self.limiter = RateLimiter(per_minute)
        self.concurrency = concurrency
        self.queue_seconds = queue_seconds
        self._slots: anyio.Semaphore | None = None  # created inside the running event loop

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] != "http" or not _gated(scope.get("method"), path):
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        wait = self.limiter.take(str(client[0]) if client else "unknown")
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            await refuse(scope, send, 429, "too_many_requests", translate(scope, TOO_MANY, seconds=seconds),
                         headers={"Retry-After": str(seconds)})
            return
        if self._slots is None:
            self._slots = anyio.Semaphore(self.concurrency)
        acquired = False
        with anyio.move_on_after(self.queue_seconds):  # only the wait for a turn is timed, never the work
            await self._slots.acquire()
            acquired = True
        if acquired:
            try:
                await self.app(scope, receive, send)
            finally:
                self._slots.release()
            return
        seconds = max(1, math.ceil(self.queue_seconds))
        await refuse(scope, send, 503, "busy", translate(scope, BUSY, seconds=seconds),
                     headers={"Retry-After": str(seconds)})
