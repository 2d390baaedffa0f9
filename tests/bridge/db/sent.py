"""What reaches the database while a test watches: the statements sent and the transactions opened (a connection in
AUTOCOMMIT opens none), for the tests that hold a path's round trips (decision 024)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Connection, event

from bridge.db import Database


@dataclass
class Sent:
    statements: list[str] = field(default_factory=list)
    transactions: int = 0

    def verbs(self) -> list[str]:
        return [s.split()[0] for s in self.statements]


@contextmanager
def sent_to(db: Database) -> Iterator[Sent]:
    sent = Sent()

    def seen(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        sent.statements.append(statement)

    def began(conn: Connection) -> None:
        if conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
            sent.transactions += 1

    event.listen(db.engine, "before_cursor_execute", seen)
    event.listen(db.engine, "begin", began)
    try:
        yield sent
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
        event.remove(db.engine, "begin", began)
