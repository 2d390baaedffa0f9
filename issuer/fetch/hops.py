"""What the fetcher tells the network layer about the hop under way (a deadline, whether its origin is trusted), and
how names resolve. Apart from transport.py so the fetcher imports httpx and httpcore only when it first fetches:
most verifications (a credential of this installation) fetch nothing, and loading the HTTP stack is a large part of
a command's start-up (``leads verify``).
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from contextvars import ContextVar

# Set by the fetcher for the duration of one hop (same thread: the sync client does all its I/O in the caller).
DEADLINE: ContextVar[float | None] = ContextVar("leads_fetch_deadline", default=None)
TRUSTED_HOP: ContextVar[tuple[str, int] | None] = ContextVar("leads_fetch_trusted_hop", default=None)

Resolver = Callable[[str, int], list[str]]


def system_resolver(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (IPv4 and IPv6), in the system's order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: list[str] = []
    for info in infos:
        address = str(info[4][0])
        if address not in seen:
            seen.append(address)
    return seen
