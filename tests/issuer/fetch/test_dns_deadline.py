"""Name resolution is inside the whole-fetch deadline: a resolver that never answers (``getaddrinfo`` takes no
timeout) must not hold a fetch, or a verification, past its time."""

from __future__ import annotations

import threading
import time

import httpx  # noqa: F401 - loaded up front, so its first import does not eat the deadline under test
import pytest

from issuer.fetch import FetchFailed, FetchPolicy, SafeFetcher


def test_a_resolver_that_hangs_is_cut_at_the_fetch_deadline() -> None:
    release = threading.Event()
    asked: list[str] = []

    def hanging(host: str, port: int) -> list[str]:
        asked.append(host)
        release.wait(10)
        return ["10.0.0.1"]  # refused without connecting, should it ever be reached

    fetcher = SafeFetcher(FetchPolicy(user_agent="t", timeout=1.5), resolver=hanging)
    started = time.monotonic()
    try:
        with pytest.raises(FetchFailed) as failed:
            fetcher.get_json("https://status.slow-dns.example/list")
    finally:
        release.set()
    assert time.monotonic() - started < 4.0
    assert asked == ["status.slow-dns.example"]
    assert "did not resolve within" in failed.value.reason


def test_a_verification_budget_also_bounds_resolution() -> None:
    release = threading.Event()

    def hanging(host: str, port: int) -> list[str]:
        release.wait(10)
        return ["10.0.0.1"]  # refused without connecting, should it ever be reached

    fetcher = SafeFetcher(FetchPolicy(user_agent="t", timeout=30), resolver=hanging)
    started = time.monotonic()
    try:
        with fetcher.budget(1.5), pytest.raises(FetchFailed):
            fetcher.get_json("https://status.slow-dns.example/list")
    finally:
        release.set()
    assert time.monotonic() - started < 4.0


def test_resolver_errors_and_answers_still_come_through() -> None:
    def failing(host: str, port: int) -> list[str]:
        raise OSError("Name or service not known")

    with pytest.raises(FetchFailed) as failed:
        SafeFetcher(FetchPolicy(user_agent="t", timeout=2), resolver=failing).get_json("https://nowhere.example/x")
    assert "does not resolve" in failed.value.reason

    with pytest.raises(FetchFailed) as refused:
        SafeFetcher(FetchPolicy(user_agent="t", timeout=2), resolver=lambda h, p: ["10.0.0.1"]).get_json(
            "https://inside.example/x")
    assert "not a public address" in refused.value.reason
