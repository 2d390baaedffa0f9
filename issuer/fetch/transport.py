"""The network layer under the fetcher: resolve, check every address, connect to the checked address, and never
let a read or write outlive the fetch's deadline.

Connecting to the address that was checked (not to the name, which the socket layer would resolve again) closes the
DNS-rebinding gap. TLS still verifies the certificate against the host name: httpcore passes the request's host as
``server_hostname``, not the address it connected to.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

from issuer.fetch.addresses import is_public
from issuer.fetch.hops import DEADLINE, TRUSTED_HOP, Resolver, system_resolver


class BlockedAddress(httpcore.ConnectError):
    """The host resolves to an address outbound fetches may not reach (loopback, private, link-local…)."""


def _remaining(timeout: float | None) -> float | None:
    deadline = DEADLINE.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise httpcore.ReadTimeout("the fetch's deadline has passed")
    return left if timeout is None else min(timeout, left)


def _resolve_within(resolve: Resolver, host: str, port: int, wait: float | None) -> list[str]:
    """``resolve(host, port)``, given up after ``wait`` seconds: ``getaddrinfo`` takes no timeout, and a name server
    that answers slowly would otherwise hold the fetch past its deadline. The worker is a daemon thread, left to
    finish (or not) on its own; nothing waits for it once the fetch has given up."""
    if wait is None:
        return resolve(host, port)
    outcome: dict[str, Any] = {}
    done = threading.Event()

    def work() -> None:
        try:
            outcome["addresses"] = resolve(host, port)
        except BaseException as exc:  # handed to the caller below, whatever it is
            outcome["error"] = exc
        finally:
            done.set()

    threading.Thread(target=work, name="leads-fetch-dns", daemon=True).start()
    if not done.wait(wait):
        raise httpcore.ConnectError(f"{host} did not resolve within {wait:.1f}s")
    if "error" in outcome:
        raise outcome["error"]
    addresses: list[str] = outcome["addresses"]
    return addresses


class DeadlineStream(httpcore.NetworkStream):
    """A stream whose every read and write gets at most what is left of the whole fetch's time."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _remaining(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _remaining(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        return DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, _remaining(timeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class GuardedBackend(httpcore.NetworkBackend):
    """Connects only to public addresses, or to the trusted origin the current hop is for."""

    def __init__(self, resolver: Resolver = system_resolver, inner: httpcore.NetworkBackend | None = None) -> None:
        self._resolve = resolver
        self._inner = inner or httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        try:
            addresses = _resolve_within(self._resolve, host.strip("[]"), port, _remaining(timeout))
        except OSError as exc:
            raise httpcore.ConnectError(f"{host} does not resolve ({exc})") from None
        if not addresses:
            raise httpcore.ConnectError(f"{host} does not resolve")
        hop = TRUSTED_HOP.get()
        is_trusted = hop is not None and hop == (host.strip("[]").lower(), port)
        if not is_trusted:
            blocked = [a for a in addresses if not is_public(a)]
            if blocked:
                raise BlockedAddress(f"{host} resolves to {', '.join(blocked)}, which is not a public address")
        error: Exception | None = None
        timeout = _remaining(timeout)  # what resolving left
        for address in addresses:
            try:
                stream = self._inner.connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:
                error = exc
                continue
            return DeadlineStream(stream)
        raise httpcore.ConnectError(f"cannot connect to {host}:{port} ({error})")

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("outbound fetches never use Unix sockets")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class GuardedTransport(httpx.HTTPTransport):
    """httpx's transport with the guarded backend underneath (no proxies from the environment: a proxy would
    connect on our behalf to whatever it is told, past every check here). httpx offers no parameter for the
    network backend, so the pool it built is replaced by one that has it."""

    def __init__(self, resolver: Resolver = system_resolver, max_connections: int = 20) -> None:
        super().__init__(trust_env=False)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=max_connections,
            max_keepalive_connections=0,  # fetches are rare and cached: no idle sockets left behind
            network_backend=GuardedBackend(resolver),
        )
