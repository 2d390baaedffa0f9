"""The engine's round trips: lone reads outside a transaction, and pooled connections checked only after idling."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import sessionmaker

from bridge.credentials.tables import StatusListRow
from bridge.db import Database, make_database
from bridge.db.engine import ping_when_idle
from tests.clock import Clock


def test_a_read_runs_outside_any_transaction_and_sees_committed_rows(db: Database) -> None:
    with db.session() as session:
        session.add(StatusListRow(id="l1", issuer_slug="root", purpose="revocation", length=8, bits=b"\0",
                                  allocated=b"\0", version=3, signed_version=2))
    with db.statement() as conn:
        rows = conn.execute(select(StatusListRow.id, StatusListRow.version)).all()
        raw = conn.connection.dbapi_connection
        assert raw is not None
        if db.is_sqlite:
            assert not raw.in_transaction
        else:  # psycopg: no BEGIN was sent, so no COMMIT follows either
            assert raw.info.transaction_status.name == "IDLE"
    assert [(r[0], r[1]) for r in rows] == [("l1", 3)]


@pytest.fixture
def pinged(postgres_url: str) -> Iterator[tuple[Database, Clock, list[int]]]:
    """A two-connection PostgreSQL pool on a clock the test moves, counting the pings it sends."""
    engine = create_engine(postgres_url, pool_size=2, max_overflow=0)
    database = Database(engine=engine, sessions=sessionmaker(engine))
    clock, pings = Clock(), []
    ping = engine.dialect.do_ping

    def counting(dbapi_connection: Any) -> bool:
        pings.append(1)
        return bool(ping(dbapi_connection))

    engine.dialect.do_ping = counting  # type: ignore[method-assign]
    ping_when_idle(engine, 2.0, clock)
    yield database, clock, pings
    engine.dispose()


@pytest.mark.postgres
def test_a_busy_connection_is_not_pinged_an_idle_one_is(pinged: tuple[Database, Clock, list[int]]) -> None:
    database, clock, pings = pinged
    for _ in range(5):
        with database.statement() as conn:
            assert conn.execute(text("SELECT 1")).scalar() == 1
        clock.now += 1.0  # used every second: never idle long enough
    assert pings == []
    clock.now += 2.5
    with database.statement() as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1
    assert pings == [1]


@pytest.mark.postgres
def test_an_idle_connection_the_server_ended_is_replaced_before_use(
    pinged: tuple[Database, Clock, list[int]], postgres_url: str,
) -> None:
    database, clock, _ = pinged
    with database.statement() as conn:
        first = conn.execute(text("SELECT pg_backend_pid()")).scalar()
    admin = make_database(postgres_url)
    with admin.statement() as conn:  # as a restart or an idle-closing proxy would
        assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first}).scalar() is True
    admin.engine.dispose()
    clock.now += 3.0
    with database.session() as session:  # no error reaches the caller
        second = session.execute(text("SELECT pg_backend_pid()")).scalar()
    assert second != first


def test_a_reading_session_reads_and_refuses_to_write(db: Database) -> None:
    with db.session() as session:
        session.add(StatusListRow(id="l2", issuer_slug="root", purpose="revocation", length=8, bits=b"\0",
                                  allocated=b"\0", version=1))
    with db.reading() as session:
        row = session.get(StatusListRow, "l2")
        assert row is not None and row.version == 1
        raw = session.connection().connection.dbapi_connection
        assert raw is not None
        if not db.is_sqlite:
            assert raw.info.transaction_status.name == "IDLE"
        row.version = 2
        with pytest.raises(RuntimeError, match="never writes"):
            session.flush()
    with db.statement() as conn:
        assert conn.execute(select(StatusListRow.version).where(StatusListRow.id == "l2")).scalar() == 1


@pytest.mark.postgres
def test_connections_that_died_while_busy_fail_once_then_the_pool_is_renewed(
    pinged: tuple[Database, Clock, list[int]], postgres_url: str,
) -> None:
    """What docs/deploy.md promises after a database restart under load: the request on a dead connection fails,
    and every connection of the pool, the other dead one too, is renewed before its next use."""
    from sqlalchemy.exc import OperationalError

    database, clock, pings = pinged
    with database.statement() as one, database.statement() as two:  # both pooled connections, in use at once
        first = {c.execute(text("SELECT pg_backend_pid()")).scalar() for c in (one, two)}
    assert len(first) == 2
    admin = make_database(postgres_url)
    with admin.statement() as conn:
        for pid in first:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    admin.engine.dispose()
    clock.now += 0.5  # still in steady use: not pinged
    with pytest.raises(OperationalError), database.statement() as conn:
        conn.execute(text("SELECT 1"))
    with database.statement() as one, database.statement() as two:  # the other dead one was renewed too: no error
        again = {c.execute(text("SELECT pg_backend_pid()")).scalar() for c in (one, two)}
    assert len(again) == 2 and not again & first
    assert pings == []


@pytest.mark.postgres
def test_only_the_database_being_away_is_an_outage_not_a_fault_of_the_work(postgres_url: str) -> None:
    """A statement the server cancels or refuses is the work's fault (a failed job, a 500), not an outage to wait
    out; a connection refused before any statement, or none free within the pool's wait, is."""
    from sqlalchemy import exc

    from bridge.db import outage

    db = make_database(postgres_url, pool_size=1, pool_timeout=0.1)
    faults = []
    with db.statement() as conn:
        for sql in ("SET statement_timeout = 1; SELECT pg_sleep(1)", "SELECT 1/0", "SELECT * FROM no_such_table"):
            try:
                conn.execute(text(sql))
            except exc.DBAPIError as error:
                faults.append(error)
        with pytest.raises(exc.TimeoutError) as busy:
            db.engine.connect()  # the pool's only connection is in use
    assert [type(e).__name__ for e in faults] == ["OperationalError", "DataError", "ProgrammingError"]
    assert [outage(e) for e in faults] == [None, None, None]
    assert outage(busy.value) == "busy"
    db.engine.dispose()
    nowhere = make_database("postgresql+psycopg://leads@127.0.0.1:1/leads")  # nothing listens on port 1
    with pytest.raises(exc.OperationalError) as refused:
        nowhere.engine.connect()
    assert outage(refused.value) == "refused" and outage(ValueError("not a database error")) is None


@pytest.mark.postgres
def test_a_deadlock_and_a_serialization_failure_are_conflicts_to_try_again(postgres_url: str) -> None:
    """PostgreSQL ends one of two transactions that wait on each other (deadlock_detected, 40P01) or that cannot
    both be serialized (40001): the same work run again succeeds, so it is waited out like an outage."""
    import threading

    from sqlalchemy import exc

    from bridge.db import outage

    db = make_database(postgres_url)
    with db.engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS conflict_probe"))
        conn.execute(text("CREATE TABLE conflict_probe (id int PRIMARY KEY, n int)"))
        conn.execute(text("INSERT INTO conflict_probe VALUES (1, 0), (2, 0)"))
    errors: list[exc.DBAPIError] = []
    both_hold = threading.Barrier(2)

    def lock(first: int, second: int) -> None:
        try:
            with db.engine.begin() as conn:
                conn.execute(text("UPDATE conflict_probe SET n = n + 1 WHERE id = :i"), {"i": first})
                both_hold.wait(10)
                conn.execute(text("UPDATE conflict_probe SET n = n + 1 WHERE id = :i"), {"i": second})
        except exc.DBAPIError as error:
            errors.append(error)

    threads = [threading.Thread(target=lock, args=pair) for pair in ((1, 2), (2, 1))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(errors) == 1 and getattr(errors[0].orig, "sqlstate", None) == "40P01", errors
    assert outage(errors[0]) == "conflict"
    with pytest.raises(exc.OperationalError) as serialization, db.engine.connect() as conn:
        conn.execute(text("DO $$ BEGIN RAISE EXCEPTION 'could not serialize' USING ERRCODE = '40001'; END $$"))
    assert outage(serialization.value) == "conflict"
    with pytest.raises(exc.DBAPIError) as other, db.engine.connect() as conn:  # a unique violation is the work's
        conn.execute(text("INSERT INTO conflict_probe VALUES (1, 0)"))
    assert outage(other.value) is None
    with db.engine.begin() as conn:
        conn.execute(text("DROP TABLE conflict_probe"))
    db.engine.dispose()


def test_sqlite_s_file_locked_past_the_busy_timeout_is_a_conflict(tmp_path: Any) -> None:
    from sqlalchemy import exc

    from bridge.db import outage

    url = f"sqlite:///{tmp_path / 'locked.sqlite3'}"
    holder = create_engine(url)
    waiter = create_engine(url, connect_args={"timeout": 0})
    with holder.connect() as held:
        held.exec_driver_sql("CREATE TABLE t (n int)")
        held.commit()
        held.exec_driver_sql("BEGIN IMMEDIATE")
        with pytest.raises(exc.OperationalError) as locked, waiter.connect() as conn:
            conn.exec_driver_sql("INSERT INTO t VALUES (1)")
        held.rollback()
    assert "database is locked" in str(locked.value) and outage(locked.value) == "conflict"
    holder.dispose()
    waiter.dispose()


def test_outage_pauses_start_at_the_idle_pause_double_and_start_again_after_a_success() -> None:
    from bridge.db import OutagePauses

    pauses = OutagePauses(0.0)  # an idle pause of 0 must not become a tight loop of connection attempts
    assert [pauses.failed() for _ in range(12)] == [0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8, 25.6, 30.0, 30.0]
    pauses.worked()
    assert pauses.failed() == 0.05 and OutagePauses(2.0).failed() == 2.0
