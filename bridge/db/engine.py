"""Engine and sessions; SQLite gets WAL and foreign keys so that it behaves like the production database."""

from __future__ import annotations

import ast
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import Connection, Engine, create_engine, event, exc, text
from sqlalchemy.orm import Session, sessionmaker

from bridge.db.heads import HEADS, SELECT_HEADS

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
PING_AFTER_IDLE_SECONDS = 2.0


@dataclass
class Database:
    engine: Engine
    sessions: sessionmaker[Session]

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed on success, rolled back on any error so nothing is stored in part."""
        with self.sessions() as session, session.begin():
            yield session

    @contextmanager
    def statement(self) -> Iterator[Connection]:
        """A connection for statements that each stand alone, run outside any transaction (each commits by itself).
        A lone SELECT, INSERT … ON CONFLICT or DELETE is atomic by itself; the BEGIN and COMMIT a unit of work sends
        around it are two more round trips to PostgreSQL, and on hot paths (each verification reads its status lists'
        versions; an LTI launch stores its state and nonce) they cost about as much as the statement."""
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            yield conn

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session that only reads, outside any transaction. Under READ COMMITTED (PostgreSQL's default, and what
        LEADS runs) every statement of a transaction takes a fresh snapshot anyway, so reads lose nothing, and the
        BEGIN and COMMIT round trips are saved (the certificate page reads twice). A write is refused before it is
        sent: it would commit statement by statement."""
        with self.statement() as conn, ReadingSession(bind=conn, expire_on_commit=False) as session:
            yield session

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"


class ReadingSession(Session):
    def flush(self, objects: Any = None) -> None:
        if self.new or self.dirty or self.deleted:
            raise RuntimeError("a reading session (Database.reading) never writes: use Database.session")
        super().flush(objects)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_database(url: str, *, pool_size: int = 20, max_overflow: int = 0, pool_timeout: float = 30.0,
                  ping_after_idle: float = PING_AFTER_IDLE_SECONDS) -> Database:
    """``pool_size`` connections, opened as needed and kept, per process (PostgreSQL). A web process runs up to
    40 requests in threads at once; with SQLAlchemy's default (5 kept, 10 more closed after use) every burst past
    five opened and closed a connection per transaction, a PostgreSQL backend started and ended each time (over
    500 a minute under 100 concurrent LTI launches). Past the pool and any overflow, a thread waits for a
    connection, ``pool_timeout`` seconds at most (then SQLAlchemy's TimeoutError: a 503 in a web request).
    A pooled connection idle ``ping_after_idle`` seconds is pinged before use (``ping_when_idle``)."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    sizes = {} if url.startswith("sqlite") else {"pool_size": pool_size, "max_overflow": max_overflow,
                                                 "pool_timeout": pool_timeout}
    engine = create_engine(url, **sizes)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        ping_when_idle(engine, ping_after_idle)
    return Database(engine=engine, sessions=sessionmaker(engine, expire_on_commit=False))


Outage = Literal["lost", "refused", "busy", "conflict"]

#: PostgreSQL's deadlock_detected and serialization_failure: the server ended this transaction so that another could
#: go on, and the same work run again succeeds ("applications using this level must be prepared to retry").
RETRY_SQLSTATES = frozenset({"40P01", "40001"})
#: SQLite's SQLITE_BUSY and SQLITE_LOCKED (primary codes): another connection held the file past the busy timeout
SQLITE_BUSY_CODES = frozenset({5, 6})


#: a loop's pauses while the database is away (``OutagePauses``): never under the floor (an idle pause of 0 must not
#: hammer a database that is starting), doubling up to the ceiling
OUTAGE_PAUSE_MIN, OUTAGE_PAUSE_MAX = 0.05, 30.0


class OutagePauses:
    """The pauses of a loop that waits the database out (the award worker, course generation): its idle pause first
    (at least ``OUTAGE_PAUSE_MIN``), doubled after each try that met an outage up to ``OUTAGE_PAUSE_MAX``, and the
    first again after a try that worked."""

    def __init__(self, idle: float) -> None:
        self.first = self.current = max(idle, OUTAGE_PAUSE_MIN)

    def failed(self) -> float:
        """The pause to wait now; the next one is twice as long."""
        pause, self.current = self.current, min(self.current * 2, OUTAGE_PAUSE_MAX)
        return pause

    def worked(self) -> None:
        self.current = self.first


def outage_words(kind: Outage, error: BaseException) -> str:
    """A loop's log words for an outage it waits out: what happened, its kind and the driver's message."""
    what = "a transaction collided with another" if kind == "conflict" else "the database is unavailable"
    return f"{what} ({kind}: {getattr(error, 'orig', None) or error})"


def outage(error: BaseException) -> Outage | None:
    """Whether ``error`` is the database being away for a moment rather than a fault of the work: a connection
    that died while in use (``lost``: a restart, a failover), a new connection the server refused or never
    answered (``refused``: down, starting, ``max_connections`` reached; SQLAlchemy raises these before any
    statement), no free pooled connection within the pool's wait (``busy``), or a transaction the database ended
    so that another could go on (``conflict``: a deadlock, a serialization failure, SQLite's file locked). Web
    requests answer these 503 with Retry-After and worker loops wait and try again; any other database error is a
    fault (500, failed job)."""
    if isinstance(error, exc.TimeoutError):
        return "busy"
    if isinstance(error, exc.DBAPIError):
        if error.connection_invalidated:
            return "lost"
        if isinstance(error, exc.OperationalError) and error.statement is None:
            return "refused"
        if getattr(error.orig, "sqlstate", None) in RETRY_SQLSTATES:
            return "conflict"
        if (getattr(error.orig, "sqlite_errorcode", 0) or 0) & 0xFF in SQLITE_BUSY_CODES:
            return "conflict"
    return None


def ping_when_idle(engine: Engine, idle_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
    """Check a pooled connection before use only when it has been idle ``idle_seconds`` or more: one that died
    meanwhile (a server restart, a proxy closing idle connections) is replaced before anyone uses it. SQLAlchemy's
    ``pool_pre_ping`` pings at every checkout, one more round trip per unit of work, about as costly as a short
    query. A connection that fails while busy is still detected by SQLAlchemy, which then renews the whole pool:
    after a database restart under load, the requests in flight on dead connections fail (decision 024)."""

    def connected(_dbapi_connection: Any, record: Any) -> None:
        record.info["leads_idle_since"] = clock()

    def checked_in(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info["leads_idle_since"] = clock()

    def checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if clock() - record.info.get("leads_idle_since", float("-inf")) < idle_seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            if engine.dialect.is_disconnect(error, dbapi_connection, None):
                raise exc.DisconnectionError(f"an idle pooled connection is gone: {error}") from error
            raise

    event.listen(engine, "connect", connected)
    event.listen(engine, "checkin", checked_in)
    event.listen(engine, "checkout", checked_out)


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


MIGRATION_LOCK = 7_001_000  # PostgreSQL advisory lock key held while migrations run


def upgrade(db: Database, *, lock: bool = True) -> None:
    """Apply every migration branch (each domain owns a branch off the base revision), under a lock.

    ``leads serve`` and any number of ``leads worker`` processes may start at the same instant on an empty
    database: without the lock, two of them create ``alembic_version`` (or a table) at once and one dies. The
    first takes the lock and migrates; the others wait, then find nothing left to do. ``lock=False`` for a caller
    that holds ``migration_lock`` already (the locks are not re-entrant).
    """
    if up_to_date(db):
        return
    from alembic import command

    if not lock:
        command.upgrade(alembic_config(db.engine), "heads")
        return
    with migration_lock(db):
        command.upgrade(alembic_config(db.engine), "heads")


def migration_heads() -> set[str]:
    """The head revisions of the migration scripts, read from their source (no Alembic import: loading Alembic
    and every table it imports costs most of a second of each ``leads`` command's start)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        values: dict[str, Any] = {}
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                    and node.targets[0].id in ("revision", "down_revision"):
                values[node.targets[0].id] = ast.literal_eval(node.value)
        if isinstance(values.get("revision"), str):
            revisions.add(values["revision"])
            down = values.get("down_revision")
            parents.update([down] if isinstance(down, str) else list(down or ()))
    return revisions - parents


def up_to_date(db: Database) -> bool:
    """True when the database stands at every head already (then there is nothing for Alembic to do)."""
    try:
        with db.engine.connect() as conn:
            current = {str(v) for v in conn.execute(text(SELECT_HEADS)).scalars()}
    except Exception:
        return False
    return current == HEADS


@contextmanager
def migration_lock(db: Database) -> Iterator[None]:
    """PostgreSQL: a session advisory lock on its own connection; SQLite: an exclusive lock on a file beside the
    database (in-memory databases belong to one process and need none)."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})
                conn.commit()
        return
    database = db.engine.url.database if db.engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        yield
        return
    import fcntl

    path = Path(database).with_name(Path(database).name + ".migrate.lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
