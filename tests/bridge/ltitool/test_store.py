"""The database stores behind the lti Protocols: one-time nonces under concurrency, expiry, registrations."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from bridge.db import Database
from bridge.ltitool.store import SqlLaunchDataStore, SqlToolConfigStore
from lti.config import PlatformRegistration


def test_a_nonce_is_consumed_exactly_once_even_by_racing_workers(db: Database) -> None:
    store = SqlLaunchDataStore(db)
    store.add_nonce("n-1", 600)
    barrier = threading.Barrier(8)

    def consume(_: int) -> bool:
        barrier.wait()
        return store.consume_nonce("n-1")

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(consume, range(8)))
    assert results.count(True) == 1
    assert store.consume_nonce("never-added") is False


def test_expired_state_and_nonces_are_gone(db: Database) -> None:
    now = [1_000_000.0]
    store = SqlLaunchDataStore(db, clock=lambda: now[0])
    store.put("k", {"a": [1, "x"]}, 60)
    store.add_nonce("n", 60)
    assert store.get("k") == {"a": [1, "x"]}
    now[0] += 61
    assert store.get("k") is None and store.consume_nonce("n") is False
    store.put("k", {"b": 2}, 60)  # a key may be written again (the row is reused)
    assert store.get("k") == {"b": 2}


def _reg(client: str, deployments: tuple[str, ...]) -> PlatformRegistration:
    return PlatformRegistration(issuer="https://lms.example", client_id=client,
                                auth_login_url="https://lms.example/auth", auth_token_url="https://lms.example/token",
                                key_set_url="https://lms.example/jwks", deployment_ids=deployments)


def test_many_client_ids_per_issuer_and_deployments_are_added(db: Database) -> None:
    config = SqlToolConfigStore(db)
    config.save(_reg("block-1", ("1",)))
    only = config.find("https://lms.example", None)  # one client id: found without client_id
    assert only is not None and only.client_id == "block-1" and only.deployment_ids == ("1",)
    config.save(_reg("block-2", ("1",)))
    assert config.find("https://lms.example", None) is None  # ambiguous without client_id
    config.save(_reg("block-1", ("2",)))
    found = config.find("https://lms.example", "block-1")
    assert found is not None and found.deployment_ids == ("1", "2")
    assert config.issuer_known("https://lms.example") and not config.issuer_known("https://other.example")
    assert [r.client_id for r in config.list()] == ["block-1", "block-2"]
    assert config.remove("https://lms.example", "block-2") and config.find("https://lms.example", None) is not None
