"""Issuer key management: list an organisation's keys, rotate, and retire a compromised key (decision 025).

Rotation adds a key and makes it active; the old one stays in the DID document (verificationMethod and
assertionMethod), so everything it signed still verifies. Retirement is the answer to a stolen key: the key leaves
``assertionMethod`` (what it signs no longer verifies, whoever signs it), every credential it signed is found and
revoked with the reason (the status lists are re-signed with the new key), and the credentials of awards are
re-issued through the award pipeline — the re-queue is injected (``Requeue``) so this module does not reach into
the awards domain; the CLI and the admin route wire ``bridge.awards.service.requeue_replaced``.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, text

from bridge.credentials.reasons import key_retired_reason
from bridge.credentials.service import CredentialService
from bridge.credentials.tables import IssuedCredentialRow, StatusListRow
from bridge.errors import LeadsError
from bridge.web.text import check_reason
from issuer.errors import IssuerError
from issuer.keys import KeyRecord

# award keys of revoked credentials, the reason, the notice to the learner → award ids re-queued
Requeue = Callable[[Sequence[str], str, str], list[str]]
SCAN_CHUNK = 500


def signing_key(document: dict[str, Any]) -> set[str]:
    """The key ids (verification-method fragments) that signed a stored credential: the Data Integrity proof(s),
    or the ``kid`` of a VC-JOSE token's protected header."""
    found: set[str] = set()
    token = document.get("jwt")
    if isinstance(token, str):
        head = token.split(".", 1)[0]
        try:
            header = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
        except (ValueError, binascii.Error):
            return found
        kid = header.get("kid") if isinstance(header, dict) else None
        if isinstance(kid, str):
            found.add(kid.rsplit("#", 1)[-1])
        return found
    proofs = document.get("proof")
    for proof in proofs if isinstance(proofs, list) else [proofs]:
        if isinstance(proof, dict) and isinstance(proof.get("verificationMethod"), str):
            found.add(proof["verificationMethod"].rsplit("#", 1)[-1])
    return found


@dataclass
class Retirement:
    """What retiring a key did, for the operator's record."""

    org: str
    key: KeyRecord
    active_key: str
    credentials: list[str] = field(default_factory=list)  # every credential the key signed (urn:uuid:…)
    revoked: list[str] = field(default_factory=list)  # of those, the ones revoked now (others were already)
    requeued_awards: list[str] = field(default_factory=list)  # awards re-issued through the pipeline
    not_requeued: list[str] = field(default_factory=list)  # credentials issued outside the award pipeline
    status_lists_resigned: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"org": self.org, "key": self.key.as_dict(), "active_key": self.active_key,
                "credentials": self.credentials, "revoked": self.revoked, "requeued_awards": self.requeued_awards,
                "not_requeued": self.not_requeued, "status_lists_resigned": self.status_lists_resigned}


class KeyManager:
    def __init__(self, service: CredentialService) -> None:
        self.service = service
        self.directory = service.directory

    def _store(self, org_slug: str | None) -> Any:
        return self.directory.keys(self.directory.get(org_slug))

    def keys_of(self, org_slug: str | None = None) -> list[dict[str, Any]]:
        """Every key of the organisation, oldest first, with how many stored credentials each signed."""
        records = self._store(org_slug).keys()
        counts = {r.key_id: 0 for r in records}
        for _, keys in self._scan(self.directory.get(org_slug).slug):
            for key in keys & set(counts):
                counts[key] += 1
        return [{**r.as_dict(), "credentials": counts[r.key_id]} for r in records]

    def rotate(self, org_slug: str | None = None) -> KeyRecord:
        """A new active key; the earlier ones keep verifying what they signed."""
        store = self.directory.keys(self.directory.get(org_slug))
        signer = store.rotate()
        return next(r for r in store.keys() if r.key_id == signer.key_id)  # noqa: SIM118 - a key store

    def signed_by(self, org_slug: str | None, key_id: str) -> list[str]:
        """The ids of every stored credential of the organisation that the key signed."""
        return [cid for cid, keys in self._scan(self.directory.get(org_slug).slug) if key_id in keys]

    def _scan(self, slug: str) -> list[tuple[str, set[str]]]:
        out: list[tuple[str, set[str]]] = []
        last = ""
        while True:  # in chunks by primary key: a large installation's documents are never all in memory
            with self.service.db.session() as session:
                rows = session.execute(
                    select(IssuedCredentialRow.id, IssuedCredentialRow.document)
                    .where(IssuedCredentialRow.issuer_slug == slug, IssuedCredentialRow.id > last)
                    .order_by(IssuedCredentialRow.id).limit(SCAN_CHUNK)).all()
            if not rows:
                return out
            out += [(f"urn:uuid:{row_id}", signing_key(document or {})) for row_id, document in rows]
            last = rows[-1][0]

    def retire(self, org_slug: str | None, key_id: str, reason: str, *, requeue: Requeue | None = None,
               progress: Callable[[int, int], None] | None = None) -> Retirement:
        """Retire ``key_id``: out of assertionMethod, its credentials revoked with the reason and (through
        ``requeue``) re-issued; status lists it signed are re-signed with the active key."""
        check_reason(reason, "say why the key is retired (the reason is kept with the key and the credentials)")
        org = self.directory.get(org_slug)
        store = self.directory.keys(org)
        if key_id not in {r.key_id for r in store.keys()}:  # noqa: SIM118 - a key store, not a dict
            raise LeadsError("%(slug)s has no key %(key_id)s", code="key_not_found", status=404,
                             params={"slug": org.slug, "key_id": key_id})
        try:
            record = store.retire(key_id, reason)
        except IssuerError as exc:
            raise LeadsError(str(exc), code="key_retire_failed", status=exc.status) from exc
        active = store.active().key_id
        self._settle()
        report = Retirement(org=org.slug, key=record, active_key=active)
        report.status_lists_resigned = self._resign_lists(org.slug, key_id)
        report.credentials = self.signed_by(org.slug, key_id)
        revocation_reason = key_retired_reason(reason)
        award_keys: list[str] = []
        for done, cid in enumerate(report.credentials, 1):
            row = self.service.get(cid)
            if not row.revoked:
                self.service.revoke(cid, revocation_reason)
                report.revoked.append(cid)
            if row.award_id:
                award_keys.append(row.award_id)
            else:
                report.not_requeued.append(cid)
            if progress is not None:
                progress(done, len(report.credentials))
        if requeue is not None and award_keys:
            notice = ("Your earlier credential was signed with a key that has been withdrawn, so it no longer "
                      "verifies. This new credential replaces it.")
            report.requeued_awards = requeue(award_keys, revocation_reason, notice)
        elif award_keys:
            report.not_requeued += [f"award {k}" for k in award_keys]
        return report

    def _settle(self) -> None:
        """Wait for every transaction writing credentials or status lists to end, once the key is marked retired:
        each of them stores what it signed and reads the key index after its write (``_sign_and_store``;
        ``_sign_list`` after locking the list), so one that read the index before the mark is committed when the
        scan below looks, and one that reads it later signs with the new key. SQLite: its one write lock;
        PostgreSQL: each table locked in EXCLUSIVE mode (plain reads pass, writers wait), one after the other so
        the two are never held together (a revocation writes both)."""
        db = self.service.db
        if db.is_sqlite:
            with db.engine.connect() as conn:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
                conn.commit()
            return
        for table in (IssuedCredentialRow.__tablename__, StatusListRow.__tablename__):
            with db.engine.begin() as conn:
                conn.execute(text(f"LOCK TABLE {table} IN EXCLUSIVE MODE"))

    def _resign_lists(self, slug: str, key_id: str) -> list[str]:
        """Status lists whose signed copy the retired key signed: signed again now with the active key."""
        with self.service.db.session() as session:
            rows = session.scalars(select(StatusListRow).where(StatusListRow.issuer_slug == slug)).all()
            stale = [row.id for row in rows if row.signed and key_id in signing_key(row.signed)]
            for row in rows:
                if row.id in stale:
                    row.signed, row.signed_version = None, 0
        for list_id in stale:
            self.service.status_list(list_id)
        return stale
