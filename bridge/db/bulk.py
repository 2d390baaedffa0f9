"""Many rows in one short statement, whatever their number.

On PostgreSQL the rows travel as one JSON parameter (``INSERT … SELECT … FROM json_to_recordset(…)``, ``UPDATE …
FROM json_to_recordset(…)``) and a key list as one array (``col = ANY(…)``): the statement text is the same for
any row count, so psycopg converts it once and the server can prepare it. A multi-row ``VALUES`` list instead has
a placeholder per value, which psycopg parses in Python on every call (thousands for a batch), and an array of
JSON documents is escaped character by character; at MOOC scale either cost more than the inserts themselves.
SQLite gets the ordinary multi-row statements.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, DateTime, Table, bindparam, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

_PG = postgresql.psycopg.dialect()  # type: ignore[no-untyped-call]  # renders column types in casts


def _is_postgres(session: Session | Connection) -> bool:
    dialect = session.dialect if isinstance(session, Connection) else session.get_bind().dialect
    return dialect.name == "postgresql"


def _table(entity: Any) -> Table:
    table = getattr(entity, "__table__", entity)
    assert isinstance(table, Table)
    return table


def _complete(table: Table, rows: Sequence[Mapping[str, Any]]) -> tuple[list[str], Sequence[Mapping[str, Any]]]:
    """Every row with the same keys: a column a row leaves out gets its Python-side default, as an ORM insert
    would (a default such as ``utcnow`` is computed once for the statement)."""
    given = list(dict.fromkeys(k for row in rows for k in row))
    defaults: dict[str, Any] = {}
    for column in table.columns:
        default = column.default
        if column.name in given or default is None or (not getattr(default, "is_scalar", False) and \
                not getattr(default, "is_callable", False)):
            continue
        arg = getattr(default, "arg", None)
        defaults[column.name] = arg(None) if getattr(default, "is_callable", False) and callable(arg) else arg
    if not defaults:
        return given, list(rows)
    return given + list(defaults), [{**defaults, **row} for row in rows]


def _record_type(column: Any) -> str:
    """The column's type for ``json_to_recordset``; a timestamp is read with its offset (``timestamptz``) and
    stored as a bound datetime is, converted to the column's type by PostgreSQL."""
    if isinstance(column.type, DateTime) and not column.type.timezone:
        return "TIMESTAMP WITH TIME ZONE"
    return str(column.type.compile(dialect=_PG))


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not stored by bridge.db.bulk")


def _recordset(table: Table, names: Sequence[str], rows: Sequence[Mapping[str, Any]],
               quote: Any) -> tuple[str, dict[str, Any]]:
    """``json_to_recordset(:rows) AS v(col type, …)``: every row travels in one JSON text, serialised once (the
    rows' own JSON values, e.g. a signed credential, are nested in it as they are)."""
    columns = ", ".join(f"{quote(n)} {_record_type(table.c[n])}" for n in names)
    payload = json.dumps([{n: row.get(n) for n in names} for row in rows], default=_json_value,
                         ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return f"json_to_recordset(CAST(:rows AS json)) AS v({columns})", {"rows": payload}


def insert_rows(session: Session, entity: Any, rows: Sequence[Mapping[str, Any]], *, skip_conflicts: bool = False,
                returning: Sequence[str] = ()) -> list[Any]:
    """Insert ``rows`` (dicts of column values) in one statement; ``skip_conflicts``: a row that breaks a unique
    constraint is left out (``ON CONFLICT DO NOTHING``); the ``returning`` columns of the rows inserted."""
    if not rows:
        return []
    table = _table(entity)
    names, full = _complete(table, rows)
    if not _is_postgres(session):
        stmt: Any = sqlite.insert(table)
        if skip_conflicts:
            stmt = stmt.on_conflict_do_nothing()
        if returning:
            return list(session.execute(stmt.returning(*(table.c[n] for n in returning)), full).all())
        session.execute(stmt, full)
        return []
    quote = session.get_bind().dialect.identifier_preparer.quote
    source, params = _recordset(table, names, full, quote)
    listed = ", ".join(quote(n) for n in names)
    sql = f"INSERT INTO {quote(table.name)} ({listed}) SELECT {listed} FROM {source}"
    if skip_conflicts:
        sql += " ON CONFLICT DO NOTHING"
    if returning:
        sql += " RETURNING " + ", ".join(quote(n) for n in returning)
        return list(session.execute(text(sql), params).all())
    session.execute(text(sql), params)
    return []


def update_rows(session: Session, entity: Any, key: str, rows: Sequence[Mapping[str, Any]], *,
                where: str = "", returning: Sequence[str] = (), **fixed: Any) -> list[Any]:
    """``UPDATE`` each row found by its ``key`` column with its own values and the ``fixed`` ones, in one
    statement (rows taken in the given order); ``where`` (SQL naming columns as ``table.column``) narrows the
    rows updated. The ``returning`` columns of the rows updated."""
    if not rows:
        return []
    table = _table(entity)
    names = list(rows[0])
    assert key in names and all(list(row) == names for row in rows)
    if not _is_postgres(session):  # SQLite: one statement per row, in the caller's transaction
        out: list[Any] = []
        for row in rows:
            stmt: Any = update(table).where(table.c[key] == row[key]).values(
                {n: row[n] for n in names if n != key} | fixed)
            if where:
                stmt = stmt.where(text(where))
            if returning:
                out += session.execute(stmt.returning(*(table.c[n] for n in returning))).all()
            else:
                session.execute(stmt)
        return out
    quote = session.get_bind().dialect.identifier_preparer.quote
    source, params = _recordset(table, names, rows, quote)
    sets = [f"{quote(n)} = v.{quote(n)}" for n in names if n != key]
    for n, value in fixed.items():
        sets.append(f"{quote(n)} = :f_{n}")
        params[f"f_{n}"] = value
    typed = [bindparam(f"f_{n}", type_=table.c[n].type) for n in fixed]
    name = quote(table.name)
    # the key list again, as an array: the rows are then found by their index whatever the table's statistics say
    # (joined to the record set alone, a planner that thought the table small hash-joined a scan of all of it)
    keys = f"{name}.{quote(key)} = ANY(CAST(:keys AS {_record_type(table.c[key])}[]))"
    params["keys"] = [row[key] for row in rows]
    sql = (f"UPDATE {name} SET {', '.join(sets)} FROM {source} WHERE {keys} AND {name}.{quote(key)} = v.{quote(key)}"
           + (f" AND ({where})" if where else ""))
    if returning:
        sql += " RETURNING " + ", ".join(f"{name}.{quote(n)}" for n in returning)
        return list(session.execute(text(sql).bindparams(*typed), params).all())
    session.execute(text(sql).bindparams(*typed), params)
    return []


def one_of(session: Session, column: Any, values: Sequence[Any]) -> ColumnElement[bool]:
    """``column IN values`` as one array parameter on PostgreSQL, an expanding ``IN`` elsewhere.

    PostgreSQL gets ``IN (SELECT unnest(:array))``, not ``= ANY(:array)``: psycopg prepares a statement run five
    times, and the server may then keep a generic plan; for ``= ANY`` of an array it cannot see, that plan can be a
    scan of the whole table testing each row against every element (a MOOC's second grade poll: 20 lookups of 500
    learners in 40,000 awards, 12 s instead of 0.1 s). A semi-join on the unnested array is looked up in the index
    whatever plan is kept."""
    if not _is_postgres(session):
        return column.in_(list(values))  # type: ignore[no-any-return]
    param = bindparam(None, list(values), type_=postgresql.ARRAY(column.type))
    return column.in_(select(func.unnest(param)).scalar_subquery())  # type: ignore[no-any-return]


def upsert_row(session: Session | Connection, entity: Any, values: Mapping[str, Any], keys: Sequence[str]) -> None:
    """One row, whether or not a row with its ``keys`` exists (``INSERT … ON CONFLICT (keys) DO UPDATE``, on both
    back-ends): one statement instead of a read and then an insert or update, and no unique-key race between
    processes writing the same key at once."""
    table = _table(entity)
    stmt = (postgresql if _is_postgres(session) else sqlite).insert(table).values(**values)
    session.execute(stmt.on_conflict_do_update(index_elements=list(keys),
                                               set_={k: stmt.excluded[k] for k in values if k not in keys}))
