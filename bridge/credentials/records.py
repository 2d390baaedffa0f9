"""The credentials this installation issued and its status lists, as stored: read them, revoke / suspend, serve
and re-sign the status lists. What verifying needs — apart from issuing, so ``leads verify`` loads neither the data
space nor the credential formats (``CredentialService`` adds issuing on top)."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, exists, select

from bridge import metrics
from bridge.credentials.local_lists import STATUS_LIST_VALIDITY, local_status_list_id, signed_is_fresh, status_url
from bridge.credentials.served import (
    DOCUMENT_BYTES,
    DOCUMENT_ENTRIES,
    STATUS_LIST_BYTES,
    STATUS_LIST_ENTRIES,
    STATUS_LIST_SECONDS,
    BoundedBytes,
    Served,
    json_bytes,
)
from bridge.credentials.status_store import DbStatusStore, lock_for_write
from bridge.credentials.tables import IssuedCredentialRow, StatusListRow
from bridge.db import Database
from bridge.errors import LeadsError, NotFound
from bridge.settings import Settings
from bridge.trust.api import IssuerDirectory
from bridge.web.text import check_reason
from issuer.proofs import dataintegrity
from issuer.status import StatusListState, StatusPurpose, status_list_credential

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


DESIGN_PROBES = 200  # designs asked about in one statement (two bound parameters each)


def designs_issued_statement(issuer_slug: str, keys: Sequence[str]) -> Select[*tuple[bool, ...]]:
    """One ``EXISTS`` per design: each a probe of ``ix_issued_credentials_issuer_design``, whatever the number of
    credentials (``SELECT DISTINCT design_key`` read every one the issuer ever issued)."""
    return select(*(exists().where(IssuedCredentialRow.issuer_slug == issuer_slug,
                                   IssuedCredentialRow.design_key == key).label(f"d{i}")
                    for i, key in enumerate(keys)))


class CredentialRecords:
    """Issued credentials and status lists of this installation (read, change status, sign the lists)."""

    def __init__(self, db: Database, settings: Settings, *, clock: Clock = utc_now,
                 directory: IssuerDirectory | None = None) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self.directory = directory or IssuerDirectory(settings)
        #: the bytes the public read routes serve (``bridge.credentials.served``), one pair of caches per process
        self.documents = BoundedBytes(DOCUMENT_ENTRIES, DOCUMENT_BYTES)
        self.lists = BoundedBytes(STATUS_LIST_ENTRIES, STATUS_LIST_BYTES, ttl=STATUS_LIST_SECONDS)

    # -- URLs ---------------------------------------------------------------------------------------------------

    def status_url(self, list_id: str) -> str:
        return status_url(self.settings.base_url, list_id)

    def credential_url(self, credential_id: str) -> str:
        return f"{self.settings.base_url.rstrip('/')}/credentials/{credential_id}"

    def local_status_list_id(self, url: str) -> str | None:
        return local_status_list_id(self.settings.base_url, url)

    # -- read ---------------------------------------------------------------------------------------------------

    def get(self, credential_id: str) -> IssuedCredentialRow:
        key = credential_id.removeprefix("urn:uuid:")
        with self.db.reading() as session:
            row = session.get(IssuedCredentialRow, key)
            if row is None:
                raise NotFound("no credential %(credential_id)s was issued here", code="credential_not_found",
                               params={"credential_id": repr(credential_id)})
            return row

    def designs_issued(self, issuer_slug: str, keys: Sequence[str]) -> set[str]:
        """Which of these designs ``issuer_slug`` has issued at least once (the issuer's public page)."""
        keys = list(dict.fromkeys(keys))
        found: set[str] = set()
        with self.db.statement() as conn:
            for start in range(0, len(keys), DESIGN_PROBES):
                chunk = keys[start:start + DESIGN_PROBES]
                row = conn.execute(designs_issued_statement(issuer_slug, chunk)).one()
                found |= {key for key, hit in zip(chunk, row, strict=True) if hit}
        return found

    def served_document(self, credential_id: str) -> Served:
        """The bytes of ``GET /credentials/{id}`` (JSON-LD, or the JWT of a VC-JOSE credential); blocking on the
        first read only, since a stored credential never changes (``self.documents.get`` answers without a thread)."""
        key = credential_id.removeprefix("urn:uuid:")
        hit = self.documents.get(key)
        if hit is not None:
            return hit
        ticket = self.documents.ticket()
        row = self.get(credential_id)
        jwt = row.document.get("jwt")
        served = Served.of(jwt.encode("utf-8"), "application/vc+jwt") if row.format == "jwt" and isinstance(jwt, str) \
            else Served.of(json_bytes(row.document), "application/ld+json")
        self.documents.put(key, served, ticket)
        return served

    def find_by_credential(self, credential: dict[str, Any]) -> IssuedCredentialRow | None:
        cid = credential.get("id")
        if not isinstance(cid, str) or not cid.startswith("urn:uuid:"):
            return None
        with self.db.reading() as session:
            return session.get(IssuedCredentialRow, cid.removeprefix("urn:uuid:"))

    def revoked_reason(self, credential: dict[str, Any]) -> str | None:
        """Why this installation revoked the credential, as typed (for the record: ``reasons.public_reason`` says
        what of it is public); None when it is not revoked here."""
        row = self.find_by_credential(credential)
        return row.revoked_reason if row is not None and row.revoked and row.revoked_reason else None

    def status_versions(self, list_ids: Collection[str]) -> dict[str, tuple[int, int]]:
        """(version, signed version) of these status lists of this installation, in one query; a list that does not
        exist is absent."""
        if not list_ids:
            return {}
        with self.db.statement() as conn:
            rows = conn.execute(select(StatusListRow.id, StatusListRow.version, StatusListRow.signed_version)
                                .where(StatusListRow.id.in_(sorted(set(list_ids))))).all()
        return {str(r[0]): (int(r[1]), int(r[2])) for r in rows}

    # -- status -------------------------------------------------------------------------------------------------

    def revoke(self, credential_id: str, reason: str) -> IssuedCredentialRow:
        already = self._revoked(credential_id)
        row = self._set_status(credential_id, StatusPurpose.REVOCATION, True, reason)
        if not already:
            metrics.REVOKED.inc()
        return row

    def _revoked(self, credential_id: str) -> bool:
        with self.db.session() as session:
            found = session.get(IssuedCredentialRow, credential_id.removeprefix("urn:uuid:"))
            return bool(found is not None and found.revoked)

    def suspend(self, credential_id: str, reason: str) -> IssuedCredentialRow:
        return self._set_status(credential_id, StatusPurpose.SUSPENSION, True, reason)

    def unsuspend(self, credential_id: str, reason: str) -> IssuedCredentialRow:
        return self._set_status(credential_id, StatusPurpose.SUSPENSION, False, reason)

    def _set_status(self, credential_id: str, purpose: StatusPurpose, value: bool,
                    reason: str) -> IssuedCredentialRow:
        check_reason(reason, "give a reason: it is kept with the credential")
        key = credential_id.removeprefix("urn:uuid:")
        now = self.clock()
        with self.db.session() as session:
            lock_for_write(session)
            row = session.get(IssuedCredentialRow, key, with_for_update=True)
            if row is None:
                raise NotFound("no credential %(credential_id)s was issued here", code="credential_not_found",
                               params={"credential_id": repr(credential_id)})
            if purpose is StatusPurpose.REVOCATION:
                list_id, index = row.revocation_list, row.revocation_index
            else:
                list_id, index = row.suspension_list, row.suspension_index
            if list_id is None or index is None:
                raise LeadsError("this %(format)s credential has no %(purpose)s entry (an EDC carries only a "
                                 "revocation entry); revoke it instead", code="no_status_entry", status=409,
                                 params={"format": row.format, "purpose": purpose.value})
            if row.revoked and purpose is StatusPurpose.SUSPENSION:
                raise LeadsError("the credential is revoked, for good; suspending it or lifting a suspension "
                                 "changes nothing", code="revoked", status=409)
            if purpose is StatusPurpose.SUSPENSION and not value and not row.suspended:
                raise LeadsError("the credential is not suspended; there is no suspension to lift",
                                 code="not_suspended", status=409)
            state = DbStatusStore(session, row.issuer_slug).set_status(list_id, index, value)
            if purpose is StatusPurpose.REVOCATION:
                if not row.revoked:
                    row.revoked, row.revoked_reason, row.revoked_at = True, reason, now
            else:
                row.suspended = value
                row.suspended_reason = reason
                row.suspended_at = now
            self._sign_list(session.get(StatusListRow, list_id), state, now)
            session.flush()
        self.lists.drop(list_id)  # after the commit: this process serves the change at once
        return row

    def _sign_list(self, row: StatusListRow | None, state: StatusListState, now: datetime) -> dict[str, Any]:
        """Sign the list credential for the row's current version (called inside the caller's transaction)."""
        assert row is not None
        org = self.directory.get(row.issuer_slug)
        signer, method = self.directory.signer(org)
        unsigned = status_list_credential(state, list_url=self.status_url(row.id), issuer=self.directory.did(org),
                                          valid_from=now, valid_until=now + STATUS_LIST_VALIDITY)
        row.signed = dataintegrity.sign(unsigned, signer, method, created=now)
        row.signed_version = state.version
        return row.signed

    def status_list(self, list_id: str) -> tuple[dict[str, Any], int]:
        """The signed status list credential and its version, re-signed when the list changed or aged."""
        now = self.clock()
        with self.db.session() as session:
            store = DbStatusStore(session, "")
            row = store.row(list_id)
            if row is None:
                raise NotFound("no status list %(list_id)s", code="status_list_not_found",
                               params={"list_id": repr(list_id)})
            signed = row.signed
            fresh = signed_is_fresh(signed, row.version, row.signed_version, now)
            if not fresh:
                lock_for_write(session)
                session.expire(row)
                row = store.row(list_id, for_update=True)
                state = store.get_list(list_id)
                assert row is not None and state is not None
                signed = self._sign_list(row, state, now)
            assert signed is not None
            version = row.version
        if not fresh:
            self.lists.drop(list_id)
        return signed, version

    def served_status_list(self, list_id: str) -> Served:
        """The bytes of ``GET /status/{list}``, read afresh (blocking) and kept ``STATUS_LIST_SECONDS`` (other
        processes see a change within that time, this one at once); ``self.lists.lookup`` answers without a thread."""
        ticket = self.lists.ticket()
        signed, _version = self.status_list(list_id)
        served = Served.of(json.dumps(signed, separators=(",", ":"), ensure_ascii=False).encode("utf-8"),
                           "application/vc+ld+json")
        self.lists.put(list_id, served, ticket)
        return served

