"""The ``lti`` package's storage Protocols on the LEADS database (shared by every process and worker)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from bridge.db import Database
from bridge.db.bulk import upsert_row
from bridge.ltitool.tables import LtiDeployment, LtiLaunchData, LtiNonce, LtiPlatform
from lti.config import PlatformRegistration, trust_conflicts

log = logging.getLogger("leads.lti")


def _registration(row: LtiPlatform) -> PlatformRegistration:
    return PlatformRegistration(
        issuer=row.issuer, client_id=row.client_id, auth_login_url=row.auth_login_url,
        auth_token_url=row.auth_token_url, key_set_url=row.key_set_url,
        deployment_ids=tuple(d.deployment_id for d in row.deployments), name=row.name,
        auth_audience=row.auth_audience)


REGISTRATION_SECONDS = 10.0  # how late another process sees a changed or removed registration (this one: at once)
REGISTRATION_ENTRIES = 1_000


class SqlToolConfigStore:
    """Registrations in the database. A launch asks for its registration four times (login, pylti1p3's lookups,
    the launch check), so registrations found are kept ``REGISTRATION_SECONDS``; a new registration is never
    missed (only found ones are kept), and ``save``/``remove`` here forget them all at once."""

    def __init__(self, db: Database, clock: Callable[[], float] = time.monotonic) -> None:
        self.db, self.clock = db, clock
        self._found: dict[tuple[str, str | None], tuple[float, PlatformRegistration]] = {}

    def find(self, issuer: str, client_id: str | None) -> PlatformRegistration | None:
        hit = self._found.get((issuer, client_id))
        if hit is not None and self.clock() - hit[0] < REGISTRATION_SECONDS:
            return hit[1]
        with self.db.session() as session:
            stmt = select(LtiPlatform).where(LtiPlatform.issuer == issuer)
            if client_id:
                stmt = stmt.where(LtiPlatform.client_id == client_id)
            rows = session.scalars(stmt.limit(2)).all()
            found = _registration(rows[0]) if len(rows) == 1 else None
        if found is not None:
            if len(self._found) >= REGISTRATION_ENTRIES:
                self._found.clear()
            self._found[(issuer, client_id)] = (self.clock(), found)
        return found

    def issuer_known(self, issuer: str) -> bool:
        now = self.clock()
        if any(key[0] == issuer and now - at < REGISTRATION_SECONDS for key, (at, _reg) in list(self._found.items())):
            return True
        with self.db.session() as session:
            return session.scalar(select(LtiPlatform.id).where(LtiPlatform.issuer == issuer).limit(1)) is not None

    def conflicts(self, registration: PlatformRegistration) -> list[PlatformRegistration]:
        """The other registrations of its issuer that trust another key set or other endpoints (a second client
        with keys of its own could sign launches as the issuer's people: ``lti.config.trust_conflicts``)."""
        with self.db.session() as session:
            return self._conflicts(session.scalars(select(LtiPlatform).where(
                LtiPlatform.issuer == registration.issuer)).all(), registration)

    @staticmethod
    def _conflicts(rows: Sequence[LtiPlatform], registration: PlatformRegistration) -> list[PlatformRegistration]:
        return trust_conflicts([_registration(r) for r in rows], registration.issuer, registration.trust(),
                               registration.client_id)

    def save(self, registration: PlatformRegistration) -> None:
        """Stored as given (an administrator registering by hand may mean it), with a warning in the log when it has
        ``conflicts`` (the admin page and ``leads lti add-platform`` may ask ``conflicts`` first, to say so)."""
        with self.db.session() as session:
            same_issuer = session.scalars(select(LtiPlatform).where(LtiPlatform.issuer == registration.issuer)).all()
            conflicts = self._conflicts(same_issuer, registration)
            if conflicts:
                log.warning("LTI registration %s client %s trusts key set %s, but the same issuer's client(s) %s "
                            "trust another key set or other endpoints: either can sign launches as the other's "
                            "people", registration.issuer, registration.client_id, registration.key_set_url,
                            ", ".join(c.client_id for c in conflicts))
            row = next((r for r in same_issuer if r.client_id == registration.client_id), None)
            if row is None:
                row = LtiPlatform(issuer=registration.issuer, client_id=registration.client_id)
                session.add(row)
            row.name = registration.name or row.name or registration.issuer
            row.auth_login_url = registration.auth_login_url
            row.auth_token_url = registration.auth_token_url
            row.key_set_url = registration.key_set_url
            row.auth_audience = registration.auth_audience
            known = {d.deployment_id for d in row.deployments}
            for dep in registration.deployment_ids:
                if dep not in known:
                    row.deployments.append(LtiDeployment(deployment_id=dep))
                    known.add(dep)
        self._found.clear()

    def remove(self, issuer: str, client_id: str) -> bool:
        with self.db.session() as session:
            row = session.scalar(select(LtiPlatform).where(LtiPlatform.issuer == issuer,
                                                           LtiPlatform.client_id == client_id))
            if row is None:
                return False
            session.delete(row)
        self._found.clear()
        return True

    def list(self) -> list[PlatformRegistration]:
        with self.db.session() as session:
            rows = session.scalars(select(LtiPlatform).order_by(LtiPlatform.issuer, LtiPlatform.client_id))
            return [_registration(r) for r in rows]


SWEEP_SECONDS = 60.0


class SqlLaunchDataStore:
    """Expiring rows; a nonce is consumed by a single ``DELETE … WHERE nonce = ? AND not expired``."""

    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self.db, self.clock = db, clock
        self._swept: float | None = None

    def put(self, key: str, value: Any, ttl: int) -> None:
        """Two processes may write the same key (a cached key set) at once: the later write wins."""
        with self.db.statement() as conn:
            upsert_row(conn, LtiLaunchData, {"key": key, "value": value, "expires_at": self.clock() + ttl}, ("key",))

    def put_new(self, key: str, value: Any, ttl: int) -> bool:
        """``INSERT … ON CONFLICT DO NOTHING`` after removing an expired row of that key: one insert wins."""
        now = self.clock()
        with self.db.statement() as conn:
            conn.execute(delete(LtiLaunchData).where(LtiLaunchData.key == key, LtiLaunchData.expires_at <= now))
            dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
            stmt = dialect.insert(LtiLaunchData).values(key=key, value=value, expires_at=now + ttl)
            stored = conn.execute(stmt.on_conflict_do_nothing(index_elements=["key"]).returning(LtiLaunchData.key))
            return stored.first() is not None  # (psycopg gives no rowcount here)

    def get(self, key: str) -> Any | None:
        with self.db.statement() as conn:
            row = conn.execute(select(LtiLaunchData.value, LtiLaunchData.expires_at)
                               .where(LtiLaunchData.key == key)).first()
        return row[0] if row is not None and row[1] > self.clock() else None

    def add_nonce(self, nonce: str, ttl: int) -> None:
        now = self.clock()
        sweep = self._swept is None or not 0 <= now - self._swept < SWEEP_SECONDS
        with self.db.statement() as conn:  # each statement stands alone: a launch sends these one at a time
            if sweep:  # expired rows are ignored when read; removing them once a minute per process is enough
                conn.execute(delete(LtiNonce).where(LtiNonce.expires_at < now))
                conn.execute(delete(LtiLaunchData).where(LtiLaunchData.expires_at < now))
            conn.execute(insert(LtiNonce).values(nonce=nonce, expires_at=now + ttl))
        if sweep:
            self._swept = now

    def consume_nonce(self, nonce: str) -> bool:
        """Once only, also when two processes present the same nonce at once: one DELETE, one of them deletes."""
        with self.db.statement() as conn:
            result = conn.execute(delete(LtiNonce).where(LtiNonce.nonce == nonce, LtiNonce.expires_at > self.clock()))
            return bool(result.rowcount == 1)
