"""Which addresses an outbound fetch may reach: public unicast only, unless the origin is trusted.

Trusted origins are this installation's own base URL and the hosts an administrator lists; every other host must
resolve only to global unicast addresses. IPv6 forms that carry an IPv4 address (mapped, 6to4, NAT64, Teredo) are
judged by the address they carry, so ``::ffff:127.0.0.1`` is loopback like ``127.0.0.1``.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# IANA's IPv4 and IPv6 Special-Purpose Address Registries (2025): the blocks not globally reachable, and a few that
# are but host no documents (deprecated relays, anycast services). Listed here, not left to ``ipaddress``, whose
# idea of "global" changes between Python versions (3.11 still passes fec0::/10, 192.0.0.0/24 and 3fff::/20).
_NOT_PUBLIC = tuple(ipaddress.ip_network(n) for n in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
    "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
    "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
    "::/8", "100::/64", "100:0:0:1::/64", "2001::/23", "2001:db8::/32", "3fff::/20", "5f00::/16", "fc00::/7",
    "fe80::/10", "fec0::/10", "ff00::/8",
))
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _embedded(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public(address: str | IPAddress) -> bool:
    """True only for a global unicast address (not private, loopback, link-local, multicast, reserved, shared…)."""
    try:
        ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id is not None:
            return False
        if ip.teredo is not None or ip in _NAT64_LOCAL:
            return False
        inner = _embedded(ip)
        if inner is not None:
            return is_public(inner)
    if any(ip in net for net in _NOT_PUBLIC):
        return False
    return bool(
        ip.is_global
        and not ip.is_multicast
        and not ip.is_reserved
        and not ip.is_loopback
        and not ip.is_link_local
        and not ip.is_private
        and not ip.is_unspecified
    )


@dataclass(frozen=True)
class Origin:
    """An allowed origin; ``scheme`` and ``port`` None mean any (an administrator may list a bare host)."""

    host: str
    scheme: str | None = None
    port: int | None = None

    @classmethod
    def parse(cls, entry: str) -> Origin:
        """``https://wiki.example:8443``, ``wiki.example:8443``, ``wiki.example`` or ``[::1]:9000``."""
        text = entry.strip()
        parts = urlsplit(text if "//" in text else f"//{text}")
        if not parts.hostname:
            raise ValueError(f"{entry!r} names no host")
        scheme = parts.scheme.lower() or None
        port = parts.port
        if scheme is not None and port is None:
            port = _DEFAULT_PORTS.get(scheme)
        return cls(host=parts.hostname.lower(), scheme=scheme, port=port)

    def matches(self, scheme: str, host: str, port: int | None) -> bool:
        port = port if port is not None else _DEFAULT_PORTS.get(scheme.lower())
        return (
            host.lower().strip("[]") == self.host.strip("[]")
            and (self.scheme is None or self.scheme == scheme.lower())
            and (self.port is None or self.port == port)
        )


def trusted(origins: tuple[Origin, ...], url: str) -> bool:
    """True when ``url``'s scheme, host and port match one of ``origins``."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        return False
    return bool(parts.hostname) and any(o.matches(parts.scheme, parts.hostname or "", port) for o in origins)
