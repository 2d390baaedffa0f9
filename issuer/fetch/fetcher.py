"""The one outbound fetcher of verification: status lists, did:web documents, JWT ``kid`` resolution.

Whoever submits a credential chooses the URLs it names, so every fetch is treated as hostile: public addresses only
(checked after resolution, on every redirect hop) unless the origin is trusted, at most ``max_redirects`` hops, one
deadline for the whole fetch (and, through ``budget``, for a whole verification), a size cap, a bounded cache that
honours ``Cache-Control`` and ``ETag``, and a bound on how many fetches run at once. Callers learn only that the
document "could not be fetched"; why (refused address, timeout, HTTP status) goes to the log, never to the caller,
so the fetcher cannot serve as a port scanner.
"""

from __future__ import annotations

import copy
import logging
import re
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from issuer.errors import IssuerError
from issuer.fetch.addresses import Origin, trusted
from issuer.fetch.hops import DEADLINE, TRUSTED_HOP, Resolver, system_resolver
from issuer.jsonbound import JsonTooDeep, loads

if TYPE_CHECKING:
    import httpx

log = logging.getLogger("leads.fetch")

_BUDGET: ContextVar[float | None] = ContextVar("leads_fetch_budget", default=None)
_REDIRECTS = (301, 302, 303, 307, 308)


class FetchFailed(IssuerError):
    """The document could not be fetched; ``reason`` (for the log only) says why."""

    def __init__(self, reason: str) -> None:
        super().__init__("could not be fetched", code="fetch_failed", status=502)
        self.reason = reason


@dataclass(frozen=True)
class FetchPolicy:
    """What every outbound fetch obeys. ``trusted`` lists origins that may be private (this installation's base
    URL, hosts an administrator allows): ``https://h:8443``, ``h:8443`` or a bare ``h``."""

    user_agent: str
    trusted: tuple[str, ...] = ()
    timeout: float = 10.0
    max_bytes: int = 256 * 1024
    max_redirects: int = 3
    concurrency: int = 8
    cache_entries: int = 256
    max_cache_seconds: int = 300


@dataclass
class _Cached:
    body: Any
    etag: str | None
    fresh_until: float


def _chain(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest


def _max_age(cache_control: str) -> int | None:
    """Seconds the response may be reused; None when it must not be stored."""
    directives = {d.strip().split("=", 1)[0].lower(): d.strip() for d in cache_control.split(",") if d.strip()}
    if "no-store" in directives:
        return None
    if "no-cache" in directives:
        return 0
    match = re.search(r"(?:^|,)\s*max-age\s*=\s*\"?(\d+)", cache_control, re.IGNORECASE)
    return int(match.group(1)) if match else 0


class SafeFetcher:
    """``get_json(url)`` → a JSON object, or FetchFailed. One instance serves every thread of a process."""

    def __init__(self, policy: FetchPolicy, *, transport: httpx.BaseTransport | None = None,
                 resolver: Resolver = system_resolver, clock: Callable[[], float] = time.monotonic,
                 on_network: Callable[[], None] | None = None) -> None:
        """``on_network`` is called in the fetching thread before each fetch that goes to the network (not for an
        answer from the cache): a caller that rations CPU turns hands its turn on there."""
        self.policy = policy
        self._on_network = on_network
        self.origins = tuple(Origin.parse(t) for t in policy.trusted if t.strip())
        self._clock = clock
        self._transport, self._resolver = transport, resolver
        self._http: httpx.Client | None = None  # made at the first fetch (hops.py: most verifications fetch none)
        self._slots = threading.BoundedSemaphore(policy.concurrency)
        self._cache: OrderedDict[str, _Cached] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def _client(self) -> httpx.Client:
        with self._lock:
            if self._http is None:
                import httpx  # deferred: the HTTP stack loads only when something is fetched

                from issuer.fetch.transport import GuardedTransport

                self._http = httpx.Client(transport=self._transport or GuardedTransport(self._resolver),
                                          trust_env=False, follow_redirects=False,
                                          headers={"User-Agent": self.policy.user_agent})
            return self._http

    def close(self) -> None:
        with self._lock:
            http, self._http = self._http, None
        if http is not None:
            http.close()

    def trusts(self, url: str) -> bool:
        return trusted(self.origins, url)

    def insecure_hosts(self) -> tuple[str, ...]:
        """``host`` or ``host:port`` of trusted origins that may be reached over http (for did:web)."""
        hosts = []
        for o in self.origins:
            if o.scheme in (None, "http"):
                hosts.append(o.host if o.port in (None, 80) else f"{o.host}:{o.port}")
        return tuple(hosts)

    @contextmanager
    def budget(self, seconds: float) -> Iterator[None]:
        """Every fetch inside the block ends by ``seconds`` from now (one verification's whole budget)."""
        deadline = time.monotonic() + seconds
        outer = _BUDGET.get()
        token = _BUDGET.set(deadline if outer is None else min(outer, deadline))
        try:
            yield
        finally:
            _BUDGET.reset(token)

    def get_json(self, url: str, *, accept: str = "application/json", https_only: bool = False) -> dict[str, Any]:
        """The JSON object at ``url``; FetchFailed (with a generic message) whatever went wrong."""
        deadline = time.monotonic() + self.policy.timeout
        budget = _BUDGET.get()
        if budget is not None:
            deadline = min(deadline, budget)
        cached = self._cached(url)
        if cached is not None and cached.fresh_until > self._clock():
            return copy.deepcopy(cached.body)
        if self._on_network is not None:
            self._on_network()
        if not self._slots.acquire(timeout=max(0.0, deadline - time.monotonic())):
            raise self._fail(url, "too many fetches at once; none finished in time")
        token = DEADLINE.set(deadline)
        try:
            return self._follow(url, accept, https_only, cached)
        finally:
            DEADLINE.reset(token)
            self._slots.release()

    def _fail(self, url: str, reason: str) -> FetchFailed:
        log.info("outbound fetch of %s refused or failed: %s", url, reason)
        return FetchFailed(reason)

    def _check_url(self, url: str, https_only: bool) -> bool:
        parts = urlsplit(url)
        is_trusted = self.trusts(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise self._fail(url, "not an http(s) URL")
        if parts.username or parts.password:
            raise self._fail(url, "URLs with credentials are not fetched")
        if https_only and parts.scheme != "https" and not is_trusted:
            raise self._fail(url, "only https is allowed here")
        try:
            parts.port  # noqa: B018 - raises on a malformed port
        except ValueError:
            raise self._fail(url, "malformed port") from None
        return is_trusted

    def _follow(self, url: str, accept: str, https_only: bool, cached: _Cached | None) -> dict[str, Any]:
        from httpx import Timeout  # deferred with the client (see ``_client``)

        current = url
        for _hop in range(self.policy.max_redirects + 1):
            is_trusted = self._check_url(current, https_only)
            parts = urlsplit(current)
            port = parts.port or (443 if parts.scheme == "https" else 80)
            hop = TRUSTED_HOP.set(((parts.hostname or "").lower(), port) if is_trusted else None)
            headers = {"Accept": accept, "Accept-Encoding": "gzip, deflate"}
            if cached is not None and cached.etag and current == url:
                headers["If-None-Match"] = cached.etag
            try:
                left = DEADLINE.get() or 0.0
                client = self._client
                timeout = Timeout(max(0.001, left - time.monotonic()))
                with client.stream("GET", current, headers=headers, timeout=timeout) as response:
                    if response.status_code in _REDIRECTS and "location" in response.headers:
                        current = urljoin(current, response.headers["location"])
                        continue
                    if response.status_code == 304 and cached is not None and current == url:
                        self._store(url, cached.body, response.headers)
                        return copy.deepcopy(cached.body)
                    if response.status_code != 200:
                        raise self._fail(current, f"HTTP {response.status_code}")
                    raw = self._read(response, current)
            except FetchFailed:
                raise
            except Exception as exc:  # transport errors, invalid URLs (httpx.InvalidURL is no HTTPError), IDNA …
                raise self._fail(current, f"{type(exc).__name__}: {exc}") from None
            finally:
                TRUSTED_HOP.reset(hop)
            try:
                body = loads(raw)
            except (ValueError, JsonTooDeep) as exc:
                raise self._fail(current, f"not JSON ({exc})") from None
            if not isinstance(body, dict):
                raise self._fail(current, "not a JSON object")
            self._store(url, body, response.headers)
            return copy.deepcopy(body)
        raise self._fail(url, f"more than {self.policy.max_redirects} redirects")

    def _read(self, response: httpx.Response, url: str) -> bytes:
        cap = self.policy.max_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            raise self._fail(url, f"Content-Length {declared} exceeds the {cap}-byte cap")
        encoding = response.headers.get("content-encoding", "identity").strip().lower()
        if encoding not in ("identity", "", "gzip", "deflate", "x-gzip"):
            raise self._fail(url, f"unsupported Content-Encoding {encoding}")
        inflater = None if encoding in ("identity", "") else zlib.decompressobj(
            31 if "gzip" in encoding else 15)  # deflate is the zlib format (RFC 9110)
        from httpx import StreamConsumed  # deferred with the client (see ``_client``)

        out = bytearray()
        try:
            chunks = response.iter_raw()
            first = next(chunks, b"")
        except StreamConsumed:  # a transport that hands over a read response (httpx.MockTransport in tests)
            chunks, first = iter(()), response.content
        for chunk in _chain(first, chunks):
            data = chunk
            if inflater is not None:
                data = inflater.decompress(chunk, cap + 1 - len(out))
                if inflater.unconsumed_tail:
                    raise self._fail(url, f"decompresses to more than the {cap}-byte cap")
            out += data
            if len(out) > cap:
                raise self._fail(url, f"larger than the {cap}-byte cap")
        return bytes(out)

    def _cached(self, url: str) -> _Cached | None:
        with self._lock:
            entry = self._cache.get(url)
            if entry is not None:
                self._cache.move_to_end(url)
            return entry

    def _store(self, url: str, body: Mapping[str, Any], headers: httpx.Headers) -> None:
        seconds = _max_age(headers.get("cache-control", ""))
        etag = headers.get("etag")
        if seconds is None or (seconds == 0 and not etag):
            with self._lock:
                self._cache.pop(url, None)
            return
        seconds = min(seconds, self.policy.max_cache_seconds)
        with self._lock:
            self._cache[url] = _Cached(copy.deepcopy(dict(body)), etag, self._clock() + seconds)
            self._cache.move_to_end(url)
            while len(self._cache) > self.policy.cache_entries:
                self._cache.popitem(last=False)
