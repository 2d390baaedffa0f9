"""Per-client limits count an IPv4 address or an IPv6 /64, and keep a bounded number of clients."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI

from bridge.web import admin
from bridge.web.clients import client_key
from bridge.web.gate import VerificationGate


@pytest.mark.parametrize(("host", "key"), [
    ("192.0.2.7", "192.0.2.7"),
    ("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"),
    ("2001:DB8:1:2::1", "2001:db8:1:2::/64"),  # written another way, the same /64
    ("::ffff:192.0.2.7", "192.0.2.7"),  # IPv4-mapped: the IPv4 client it is
    ("fe80::1%eth0", "fe80::/64"),
    ("testclient", "testclient"),
    (None, "unknown"),
    ("", "unknown"),
])
def test_the_key_of_a_client(host: str | None, key: str) -> None:
    assert client_key(host) == key


def test_wrong_guesses_from_one_ipv6_64_count_together() -> None:
    limiter = admin.FailureLimiter(limit=3, window=60, clock=lambda: 0.0)
    for i in range(3):  # a host picking a fresh address of its /64 for every guess
        limiter.check(client_key(f"2001:db8:0:1::{i + 1:x}"))
        limiter.fail(client_key(f"2001:db8:0:1::{i + 1:x}"))
    with pytest.raises(admin.TooManyAttempts):
        limiter.check(client_key("2001:db8:0:1:ffff::9"))
    limiter.check(client_key("2001:db8:0:2::1"))  # the next /64 is another client


def test_the_failure_limiter_keeps_a_bounded_number_of_clients() -> None:
    now = [0.0]
    limiter = admin.FailureLimiter(limit=3, window=60, clock=lambda: now[0], max_clients=100)
    for _ in range(3):
        limiter.fail("198.51.100.1")  # the client being watched, refused from now on
    for i in range(5_000):  # guesses from many addresses used to keep one entry each, for ever
        limiter.fail(f"10.{i // 65536}.{i // 256 % 256}.{i % 256}")
        assert len(limiter) <= 100
    assert len(limiter) == 100
    limiter.fail("198.51.100.2")
    with pytest.raises(admin.TooManyAttempts):  # a client still failing is among the most recent: still counted
        for _ in range(2):
            limiter.fail("198.51.100.2")
            limiter.check("198.51.100.2")


def test_clients_whose_window_passed_are_dropped_as_they_are_met() -> None:
    now = [0.0]
    limiter = admin.FailureLimiter(limit=3, window=60, clock=lambda: now[0])
    for i in range(50):
        limiter.fail(f"10.0.0.{i}")
    now[0] = 61.0
    limiter.fail("10.0.1.1")
    assert len(limiter) == 1


def test_the_verification_gate_counts_an_ipv6_64_as_one_client() -> None:
    app = FastAPI()

    @app.post("/api/verify")
    def verify() -> dict[str, str]:
        return {}

    app.add_middleware(VerificationGate, per_minute=2, concurrency=4, queue_seconds=5)

    async def post_from(host: str) -> int:
        transport = httpx.ASGITransport(app=app, client=(host, 1))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return (await client.post("/api/verify")).status_code

    async def run() -> list[int]:
        return [await post_from(f"2001:db8:0:7::{i + 1:x}") for i in range(3)] + [await post_from("2001:db8:0:8::1")]

    assert asyncio.run(run()) == [200, 200, 429, 200]
