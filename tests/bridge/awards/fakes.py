"""A fast stand-in issuer that keeps its credentials in the database, keyed by award id like the real one.

Every call is also logged (``fake_issue_calls``, no key), so tests see how often a credential was signed
again after a worker died; ``fake_credentials`` has one row per award id, the contract of ``Issuer.issue``.
Loaded in worker subprocesses through ``LEADS_AWARDS_ISSUER=tests.bridge.awards.fakes:table_issuer``.
"""

from __future__ import annotations

import os
import time
import uuid

from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from bridge.awards.issuer_port import IssuedCredential, Issuer, IssueRequest
from bridge.db import Database

meta = MetaData()
credentials = Table("fake_credentials", meta, Column("award_id", String(64), primary_key=True),
                    Column("credential_id", String(64), nullable=False), Column("revoked", String(200)))
calls = Table("fake_issue_calls", meta, Column("n", Integer, primary_key=True, autoincrement=True),
              Column("award_id", String(64), nullable=False), Column("pid", Integer, nullable=False))


class TableIssuer:
    def __init__(self, db: Database, delay: float = 0.0) -> None:
        self.db = db
        self.delay = delay
        meta.create_all(db.engine, checkfirst=True)

    def issue(self, request: IssueRequest) -> IssuedCredential:
        dialect = postgresql if self.db.engine.dialect.name == "postgresql" else sqlite
        with self.db.engine.begin() as conn:
            conn.execute(insert(calls).values(award_id=request.award_id, pid=os.getpid()))
            conn.execute(dialect.insert(credentials).values(award_id=request.award_id,
                                                            credential_id=f"urn:uuid:{uuid.uuid4()}")
                         .on_conflict_do_nothing())
            credential_id = conn.execute(select(credentials.c.credential_id)
                                         .where(credentials.c.award_id == request.award_id)).scalar_one()
        if self.delay:
            time.sleep(self.delay)  # stands for the PDF and storage after signing: a SIGKILL lands here most often
        return IssuedCredential(credential_id)

    def revoke(self, award_id: str, credential_id: str, reason: str) -> None:
        with self.db.engine.begin() as conn:
            conn.execute(credentials.update().where(credentials.c.award_id == award_id).values(revoked=reason))


def table_issuer(db: Database) -> Issuer:
    return TableIssuer(db, delay=float(os.environ.get("FAKE_ISSUER_DELAY", "0")))


def reset(db: Database) -> None:
    meta.create_all(db.engine, checkfirst=True)
    with db.engine.begin() as conn:
        conn.execute(calls.delete())
        conn.execute(credentials.delete())


def count_calls(db: Database) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(calls)).scalar_one())
