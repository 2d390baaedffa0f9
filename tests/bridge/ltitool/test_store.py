"""The database stores behind the lti Protocols: one-time nonces under concurrency, expiry, registrations."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from bridge.db import Database
from bridge.ltitool.store import REGISTRATION_SECONDS, SWEEP_SECONDS, SqlLaunchDataStore, SqlToolConfigStore
from bridge.ltitool.tables import LtiNonce
from lti.config import PlatformRegistration
from tests.bridge.db.sent import sent_to


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


def test_racing_writers_of_one_key_all_succeed_and_one_value_stays(db: Database) -> None:
    """Two processes caching the same platform key set write one key at once: no unique-key error reaches either."""
    store = SqlLaunchDataStore(db)
    barrier = threading.Barrier(8)

    def put(i: int) -> None:
        barrier.wait()
        store.put("jwks:https://lms.example", {"writer": i}, 600)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(put, range(8)))
    assert store.get("jwks:https://lms.example") in [{"writer": i} for i in range(8)]


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


def test_registrations_found_are_kept_a_few_seconds_and_new_ones_never_missed(db: Database) -> None:
    now = [100.0]
    web = SqlToolConfigStore(db, clock=lambda: now[0])  # one web process …
    admin = SqlToolConfigStore(db)  # … and another one, where an administrator changes registrations
    assert web.find("https://lms.example", "block-1") is None and not web.issuer_known("https://lms.example")
    admin.save(_reg("block-1", ("1",)))
    found = web.find("https://lms.example", "block-1")  # a new registration: seen at once (misses are not kept)
    assert found is not None and found.deployment_ids == ("1",) and web.issuer_known("https://lms.example")
    admin.save(_reg("block-1", ("2",)))
    kept = web.find("https://lms.example", "block-1")
    assert kept is not None and kept.deployment_ids == ("1",)  # still the copy this process keeps …
    now[0] += REGISTRATION_SECONDS + 0.1
    fresh = web.find("https://lms.example", "block-1")
    assert fresh is not None and fresh.deployment_ids == ("1", "2")  # … until it is older than the keep time
    assert web.remove("https://lms.example", "block-1")  # this process's own change: forgotten at once
    assert web.find("https://lms.example", "block-1") is None


def test_expired_rows_are_swept_at_most_once_a_minute(db: Database) -> None:
    now = [1_000_000.0]
    store = SqlLaunchDataStore(db, clock=lambda: now[0])
    store.add_nonce("first", 10)  # sweeps (nothing yet)
    now[0] += 20  # "first" expired
    store.add_nonce("second", 600)  # within the minute: no sweep, the expired row stays (and stays unusable)
    with db.session() as session:
        assert session.get(LtiNonce, "first") is not None
    assert store.consume_nonce("first") is False
    now[0] += SWEEP_SECONDS
    store.add_nonce("third", 600)
    with db.session() as session:
        assert session.get(LtiNonce, "first") is None and session.get(LtiNonce, "second") is not None


def test_a_launch_s_state_and_nonce_each_cost_one_statement_and_no_transaction(db: Database) -> None:
    """Each is a lone statement that is atomic by itself: no BEGIN and COMMIT round trips around it (an LTI launch
    sent 24 statements to PostgreSQL, 12 since; decision 024)."""
    store = SqlLaunchDataStore(db)
    store.add_nonce("warm", 600)  # the first one of a minute also sweeps expired rows
    with sent_to(db) as sent:
        store.put("state-1", {"nonce": "n-2"}, 600)
        assert store.get("state-1") == {"nonce": "n-2"}
        store.add_nonce("n-2", 600)
        assert store.consume_nonce("n-2") is True
    assert sent.verbs() == ["INSERT", "SELECT", "INSERT", "DELETE"]
    assert sent.transactions == 0
