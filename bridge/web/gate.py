"""Unauthenticated verification, rationed: a token bucket per client (429 with ``Retry-After``), and a bound on how
many verifications run at once, so that slow upstreams hold at most that many worker threads and every other page
keeps its share of the threadpool (a request waiting for its turn waits here, asynchronously, holding no thread;
503 with ``Retry-After`` when no turn comes in time). See docs/decisions/013.

Of those places, two are CPU turns: a verification starts on a turn, and when it has to wait on the network (a
status list, a DID document from elsewhere) it moves to one of the other places, if one is free, and hands its
turn on. Verifying is CPU work under the process's interpreter lock: two at once keep a core busy (one computes
while the other reads the database); more only take the lock from each other more often (docs/decisions/024).

Beside it, ``NewProfileLimit`` rations the other thing anyone may do that LEADS keeps: opening a pool profile.
"""

from __future__ import annotations

import asyncio
import math
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass

import anyio
from starlette.types import ASGIApp, Receive, Scope, Send

from bridge.web.clients import scope_client_key
from bridge.web.refusal import refuse, translate

_n = str

TOO_MANY = _n("Too many verifications from your address: try again in %(seconds)s seconds.")
BUSY = _n("The server is busy verifying other credentials: try again in %(seconds)s seconds.")
TOO_MANY_PROFILES = _n("Too many new profiles from your address: try again in %(minutes)s minutes.")

VERIFICATION_ROUTES = (
    re.compile(r"^/api/verify$"),
    re.compile(r"^/verify$"),
    re.compile(r"^/pool/publish$"),
    re.compile(r"^/api/pool/profiles/[^/]+/credentials$"),
    re.compile(r"^/map$"),  # verifies up to 20 credentials a request, as /verify reads them (decision 023)
)
NEW_PROFILE_ROUTES = (re.compile(r"^/api/pool/profiles$"), re.compile(r"^/pool/profiles/new$"))
GET_VERIFICATION_ROUTES = (
    re.compile(r"^/pool/evidence/[^/]+$"),  # a public page that verifies at each request (decision 027)
)


CPU_TURNS = 2


@dataclass
class _Pass:
    """One verification's place at the gate, seen from its thread through a context variable."""

    loop: asyncio.AbstractEventLoop
    gate: VerificationGate
    client: str
    on_network: bool = False


_PASS: ContextVar[_Pass | None] = ContextVar("leads_verification_pass", default=None)


def lend_turn() -> None:
    """Before a fetch from the network (``SafeFetcher(on_network=...)``, in the verifying thread): move to a free
    place for network waits and give the CPU turn back, so that verifications waiting on a slow upstream never hold
    up the ones that only compute. With every such place taken the verification keeps its turn; outside a gated
    request (the CLI, the worker) nothing happens."""
    current = _PASS.get()
    if current is None or current.on_network or not current.gate.network_places.acquire(blocking=False):
        return
    current.on_network = True
    current.loop.call_soon_threadsafe(current.gate.release_turn)


def charge_more(verifications: int) -> None:
    """A gated request that verifies several credentials (``/map``: up to 20) pays for each beyond the first it paid
    at the gate. The request is served; the client's bucket goes into debt, so its next verification waits until
    the tokens have come back: one address verifies at most the configured rate, however it packs its requests.
    Outside a gated request (the CLI, an in-course page) nothing happens."""
    current = _PASS.get()
    if current is not None and verifications > 0:
        current.gate.limiter.charge(current.client, verifications)


def _gated(method: object, path: str) -> bool:
    routes = VERIFICATION_ROUTES if method == "POST" else GET_VERIFICATION_ROUTES if method in ("GET", "HEAD") else ()
    return any(r.match(path) for r in routes)


class RateLimiter:
    """Token buckets per key: ``per_minute`` tokens a minute, bursts up to ``burst``; at most ``max_keys`` kept."""

    def __init__(self, per_minute: float, burst: float | None = None, max_keys: int = 10_000,
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
            tokens = self._refilled(key, now)
            wait = 0.0 if tokens >= 1 else (1 - tokens) / self.rate
            self._keep(key, tokens - 1 if wait == 0 else tokens, now)
            return wait

    def charge(self, key: str, count: float) -> None:
        """Take ``count`` more tokens from ``key``'s bucket, into debt if need be (``take`` then waits it out)."""
        now = self.clock()
        with self._lock:
            self._keep(key, self._refilled(key, now) - count, now)

    def _refilled(self, key: str, now: float) -> float:
        tokens, then = self._buckets.pop(key, (self.burst, now))
        return min(self.burst, tokens + (now - then) * self.rate)

    def _keep(self, key: str, tokens: float, now: float) -> None:
        self._buckets[key] = (tokens, now)
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)


class VerificationGate:
    """ASGI middleware in front of the unauthenticated verification routes (POST, and GET of evidence pages)."""

    def __init__(self, app: ASGIApp, *, per_minute: int, concurrency: int, queue_seconds: float) -> None:
        self.app = app
        self.limiter = RateLimiter(per_minute)
        self.concurrency = concurrency
        self.queue_seconds = queue_seconds
        self.turns = min(CPU_TURNS, concurrency)
        # with no place beside the turns (concurrency ≤ 2), a verification keeps its turn while it fetches
        self.network_places = threading.BoundedSemaphore(concurrency - self.turns)
        self._slots: anyio.Semaphore | None = None  # created inside the running event loop

    def release_turn(self) -> None:
        assert self._slots is not None
        self._slots.release()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] != "http" or not _gated(scope.get("method"), path):
            await self.app(scope, receive, send)
            return
        client = scope_client_key(scope)
        wait = self.limiter.take(client)
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            await refuse(scope, send, 429, "too_many_requests", translate(scope, TOO_MANY, seconds=seconds),
                         headers={"Retry-After": str(seconds)})
            return
        if self._slots is None:
            self._slots = anyio.Semaphore(self.turns)
        acquired = False
        with anyio.move_on_after(self.queue_seconds):  # only the wait for a turn is timed, never the work
            await self._slots.acquire()
            acquired = True
        if acquired:
            current = _Pass(asyncio.get_running_loop(), self, client)
            token = _PASS.set(current)
            try:
                await self.app(scope, receive, send)
            finally:
                _PASS.reset(token)
                if current.on_network:  # its turn went back when it moved (lend_turn)
                    self.network_places.release()
                else:
                    self._slots.release()
            return
        seconds = max(1, math.ceil(self.queue_seconds))
        await refuse(scope, send, 503, "busy", translate(scope, BUSY, seconds=seconds),
                     headers={"Retry-After": str(seconds)})


class NewProfileLimit:
    """ASGI middleware: attempts to open a pool profile, ``per_hour`` per client address (an IPv6 /64). Anyone may
    open one, and each is a row kept and a handle taken; without a bound one address could fill the pool's table
    and take every name. 429 with ``Retry-After``, in the reader's language."""

    def __init__(self, app: ASGIApp, *, per_hour: int) -> None:
        self.app = app
        self.limiter = RateLimiter(per_hour / 60, burst=per_hour)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("method") == "POST" and \
                any(r.match(str(scope.get("path", ""))) for r in NEW_PROFILE_ROUTES):
            wait = self.limiter.take(scope_client_key(scope))
            if wait > 0:
                await refuse(scope, send, 429, "too_many_profiles",
                             translate(scope, TOO_MANY_PROFILES, minutes=max(1, math.ceil(wait / 60))),
                             headers={"Retry-After": str(max(1, math.ceil(wait)))})
                return
        await self.app(scope, receive, send)
