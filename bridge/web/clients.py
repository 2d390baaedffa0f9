"""Whom a per-client limit counts: one IPv4 address, or one IPv6 /64.

An IPv6 host is usually given a whole /64 (RFC 6177 / 7934: SLAAC and privacy addresses pick any of its 2**64
addresses), so counting per IPv6 address lets one machine start afresh with every request. The /64 is what one
site or subscriber holds; an IPv4-mapped address counts as its IPv4 address. Anything else (a Unix socket, the
test client's "testclient") is its own key.
"""

from __future__ import annotations

import ipaddress

from starlette.types import Scope

IPV6_PREFIX = 64


def client_key(host: str | None) -> str:
    """The key a per-client limit counts ``host`` under."""
    if not host:
        return "unknown"
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])  # a zone index (fe80::1%eth0) names no other host
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, IPV6_PREFIX), strict=False))
    return str(address)


def scope_client_key(scope: Scope) -> str:
    """``client_key`` of an ASGI request's peer (the proxy's forwarded client, under ``--proxy-headers``)."""
    client = scope.get("client")
    return client_key(str(client[0]) if client else None)
