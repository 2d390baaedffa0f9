"""The verification gate's places: two CPU turns, the rest for verifications waiting on the network. A verification
that only computes waits for a turn; one that goes to the network hands its turn on while a place is free, so slow
upstreams never hold up the verifications that only compute, and the threads held stay bounded."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable

import httpx
from fastapi import FastAPI

from bridge.web.gate import CPU_TURNS, VerificationGate, lend_turn


class Counter:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now = self.peak = 0

    def __enter__(self) -> None:
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)

    def __exit__(self, *exc: object) -> None:
        with self.lock:
            self.now -= 1


def gated(concurrency: int, work: Callable[[str], None]) -> FastAPI:
    app = FastAPI()

    @app.post("/api/verify")
    def verify(kind: str = "compute") -> dict[str, str]:  # a plain function: FastAPI runs it in the threadpool
        work(kind)
        return {"done": kind}

    app.add_middleware(VerificationGate, per_minute=10**9, concurrency=concurrency, queue_seconds=30)
    return app


async def post_many(app: FastAPI, kinds: list[str]) -> list[int]:
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 1))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        answers = await asyncio.gather(*(client.post(f"/api/verify?kind={k}") for k in kinds))
    return [r.status_code for r in answers]


def test_verifications_that_only_compute_take_two_turns() -> None:
    computing = Counter()

    def work(kind: str) -> None:
        with computing:
            time.sleep(0.05)

    assert asyncio.run(post_many(gated(8, work), ["compute"] * 10)) == [200] * 10
    assert computing.peak == CPU_TURNS == 2


def test_waiting_on_the_network_hands_the_turn_on_up_to_the_bound() -> None:
    computing, in_flight = Counter(), Counter()

    def work(kind: str) -> None:
        with in_flight:
            with computing:
                time.sleep(0.02)
            lend_turn()  # what the fetcher calls before going to the network
            time.sleep(0.3)

    assert asyncio.run(post_many(gated(8, work), ["network"] * 12)) == [200] * 12
    assert in_flight.peak == 8  # two turns moved to the six places, then two kept their turns: never more threads
    assert computing.peak == 2


def test_a_verification_that_only_computes_passes_those_stuck_on_a_slow_upstream() -> None:
    release = threading.Event()
    finished: dict[str, float] = {}

    def work(kind: str) -> None:
        if kind == "slow":
            lend_turn()
            release.wait(10)
        finished.setdefault(kind, time.monotonic())

    async def scenario() -> list[int]:
        app = gated(8, work)
        slow = asyncio.ensure_future(post_many(app, ["slow"] * 6))
        await asyncio.sleep(0.3)  # the six are on the network places, both turns free again
        started = time.monotonic()
        assert await post_many(app, ["compute", "compute"]) == [200, 200]
        finished["compute_seconds"] = time.monotonic() - started
        release.set()
        return await slow

    assert asyncio.run(scenario()) == [200] * 6
    assert finished["compute_seconds"] < 2 and finished["compute"] < finished["slow"]


def test_with_one_place_the_turn_is_kept_while_fetching() -> None:
    in_flight = Counter()

    def work(kind: str) -> None:
        with in_flight:
            lend_turn()
            time.sleep(0.05)

    assert asyncio.run(post_many(gated(1, work), ["network"] * 4)) == [200] * 4
    assert in_flight.peak == 1


def test_outside_a_gated_request_lending_does_nothing() -> None:
    lend_turn()  # the CLI and the worker verify through the same fetcher
