"""Credential use cases: issue from a design key (reading, revoking and the status lists: ``records``).

Signing is blocking CPU work: routes that call this module are plain ``def`` routes (run in the threadpool).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, Protocol, TypeVar
from urllib.parse import quote

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bridge import metrics
from bridge.credentials.mapping import achievement_spec
from bridge.credentials.records import Clock, CredentialRecords, utc_now
from bridge.credentials.status_store import DbStatusStore
from bridge.credentials.tables import IssuedCredentialRow
from bridge.dataspace.api import EntityRepository
from bridge.db import Database
from bridge.db.bulk import insert_rows, one_of
from bridge.errors import LeadsError
from bridge.settings import Settings
from bridge.trust.api import IssuerDirectory, IssuerOrg
from issuer.documents import AchievementSpec, AwardFacts, CredentialMeta, Learner, get_format
from issuer.keys import Signer
from issuer.proofs import dataintegrity, jose
from issuer.status import StatusAllocation, StatusPurpose

Format = Literal["ob3", "edc", "jwt"]
FORMATS: tuple[str, ...] = ("ob3", "edc", "jwt")
T = TypeVar("T")
R = TypeVar("R")
Keys = dict[str, tuple[Signer, str]]  # organisation slug → its active signer and verification method
RESIGN_ATTEMPTS = 3  # signings of one batch, each time a key it used was retired while it signed
SPEC_TTL = 60.0  # seconds a batch worker reuses a design's AchievementSpec before reading the data space again


@dataclass(frozen=True)
class IssueInput:
    design_key: str
    learner_name: str
    format: str = "ob3"
    learner_id: str | None = None
    learner_email: str | None = None
    grade: str | None = None
    issuer_slug: str | None = None
    award_id: str | None = None
    awarded: datetime | None = None
    course: str | None = None


class _SignerRetired(Exception):
    """A key that signed what is being stored was retired meanwhile (``CredentialService._sign_and_store``)."""


class CredentialService(CredentialRecords):
    """Issue credentials from designs (on top of the stored records: read, status, status lists)."""

    def __init__(self, db: Database, settings: Settings, *, clock: Clock = utc_now,
                 directory: IssuerDirectory | None = None) -> None:
        super().__init__(db, settings, clock=clock, directory=directory)
        self._specs: dict[str, tuple[float, AchievementSpec]] = {}

    # -- issue --------------------------------------------------------------------------------------------------

    def issue(self, request: IssueInput) -> IssuedCredentialRow:
        """Build, validate (EDC: SHACL), sign and store one credential; idempotent on ``award_id``."""
        if request.format not in FORMATS:
            raise LeadsError("unknown credential format %(format)s; use one of %(formats)s",
                             code="unknown_format", status=422,
                             params={"format": repr(request.format), "formats": ", ".join(FORMATS)})
        try:
            return self._issue(request)
        except IntegrityError:
            if not request.award_id:
                raise
            with self.db.session() as session:  # a concurrent call for the same award won: return its credential
                existing = session.scalars(select(IssuedCredentialRow).where(
                    IssuedCredentialRow.award_id == request.award_id)).first()
            if existing is None:
                raise
            return existing

    def _issue(self, request: IssueInput) -> IssuedCredentialRow:
        org = self.directory.get(request.issuer_slug)
        now = self.clock()
        with self.db.session() as session:
            if request.award_id:
                existing = session.scalars(select(IssuedCredentialRow).where(
                    IssuedCredentialRow.award_id == request.award_id)).first()
                if existing is not None:
                    return existing
            spec = achievement_spec(EntityRepository(session), request.design_key, self.settings.entity_base)
        learner = Learner(name=request.learner_name, identifier=request.learner_id, email=request.learner_email)
        facts = AwardFacts(awarded=request.awarded or now, grade=request.grade, course=request.course)
        # a short transaction draws the indexes (the write lock is not held while validating and signing); if
        # issuing fails later, those indexes stay allocated and unused, which keeps "never reused" true
        document_format = get_format("edc" if request.format == "edc" else "ob3")
        with self.db.session() as session:
            store = DbStatusStore(session, org.slug)
            revocation = store.allocate(StatusPurpose.REVOCATION)[0]
            # an EDC carries the revocation entry only: its shapes allow one credentialStatus (decision 005)
            suspension = store.allocate(StatusPurpose.SUSPENSION)[0] \
                if "suspension" in document_format.status_purposes else None
        entries = [revocation.entry(self.status_url(revocation.list_id))]
        if suspension is not None:
            entries.append(suspension.entry(self.status_url(suspension.list_id)))
        row_id = str(uuid.uuid4())
        meta = CredentialMeta(credential_id=f"urn:uuid:{row_id}", issued=now, status=tuple(entries))

        def sign(keys: Keys) -> IssuedCredentialRow:
            return IssuedCredentialRow(
                id=row_id, award_id=request.award_id, design_key=request.design_key, issuer_slug=org.slug,
                learner_name=request.learner_name, learner_id=request.learner_id,
                learner_email_hash=learner.email_hash, format=request.format,
                document=self._secure(request.format, spec, learner, facts, org, meta, now, keys[org.slug]),
                revocation_list=revocation.list_id, revocation_index=revocation.index,
                suspension_list=suspension.list_id if suspension else None,
                suspension_index=suspension.index if suspension else None,
                revoked=False, suspended=False, created=now,
            )

        def save(session: Session, row: IssuedCredentialRow) -> IssuedCredentialRow:
            session.add(row)
            session.flush()
            return row

        row = self._sign_and_store([org.slug], sign, save)
        metrics.ISSUED.labels(request.format).inc()
        return row

    def issue_many(self, requests: Sequence[IssueInput]) -> list[IssuedCredentialRow]:
        """Issue a batch of award credentials (every request has an ``award_id``); the rows in request order."""
        return self._issue_many(requests, self._by_award, lambda row: IssuedCredentialRow(**row))

    def issue_many_ids(self, requests: Sequence[IssueInput]) -> list[str]:
        """``issue_many`` answering the credential ids (``urn:uuid:…``) only: no row object is built and none is
        read back whole, which is all a worker's batch needs."""
        return self._issue_many(requests, self._ids_by_award, lambda row: f"urn:uuid:{row['id']}")

    def _issue_many(self, requests: Sequence[IssueInput], fetch: Callable[[Session, Sequence[str]], dict[str, T]],
                    made: Callable[[dict[str, Any]], T]) -> list[T]:
        """What ``fetch`` says of each award's credential, signing and storing those not stored yet (``made``
        turns a stored row's values into the same answer).

        Idempotent per award id, like ``issue``. Cheaper per credential: designs come from a per-process cache,
        one short transaction draws every status index of the batch (one bitmap write per list, not one per
        credential), signing runs outside any transaction, and one transaction stores every row
        (``ON CONFLICT DO NOTHING``: a row a concurrent worker stored first wins, and is what is returned).
        """
        for request in requests:
            if request.format not in FORMATS:
                raise LeadsError("unknown credential format %(format)s; use one of %(formats)s",
                                 code="unknown_format", status=422,
                                 params={"format": repr(request.format), "formats": ", ".join(FORMATS)})
            if not request.award_id:
                raise LeadsError("issue_many issues award credentials: every request needs an award_id",
                                 code="award_id_required", status=422)
        keys = list(dict.fromkeys(str(r.award_id) for r in requests))
        with self.db.session() as session:
            found = fetch(session, keys)
        todo: dict[str, IssueInput] = {}
        for request in requests:
            if request.award_id not in found:
                todo.setdefault(str(request.award_id), request)
        if todo:
            # stored in award-id order: concurrent batches then take the unique index's row locks in the same
            # order, so PostgreSQL cannot deadlock two batches that overlap in another order
            found.update({k: made(row) for k, row in self._issue_batch([todo[key] for key in sorted(todo)]).items()})
            lost = [k for k in keys if k not in found]  # stored first by a concurrent call: read its rows
            if lost:
                with self.db.session() as session:
                    found.update(fetch(session, lost))
        missing = [k for k in keys if k not in found]
        if missing:
            raise LeadsError("credentials for awards %(awards)s were not stored; retry",
                             code="issue_incomplete", status=500, params={"awards": ", ".join(missing[:5])})
        return [found[str(r.award_id)] for r in requests]

    @staticmethod
    def _by_award(session: Session, keys: Sequence[str]) -> dict[str, IssuedCredentialRow]:
        out: dict[str, IssuedCredentialRow] = {}
        for first in range(0, len(keys), 500):
            stmt = select(IssuedCredentialRow).where(
                one_of(session, IssuedCredentialRow.award_id, keys[first:first + 500]))
            out.update({str(row.award_id): row for row in session.scalars(stmt)})
        return out

    @staticmethod
    def _ids_by_award(session: Session, keys: Sequence[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for first in range(0, len(keys), 500):
            stmt = select(IssuedCredentialRow.award_id, IssuedCredentialRow.id).where(
                one_of(session, IssuedCredentialRow.award_id, keys[first:first + 500]))
            out.update({str(award): f"urn:uuid:{row_id}" for award, row_id in session.execute(stmt)})
        return out

    def _issue_batch(self, todo: Sequence[IssueInput]) -> dict[str, dict[str, Any]]:
        """Sign and store; the values of the rows this call stored, by award id (a concurrent call may have stored
        others)."""
        now = self.clock()
        specs = {key: self.cached_spec(key) for key in dict.fromkeys(r.design_key for r in todo)}
        orgs = [self.directory.get(r.issuer_slug) for r in todo]
        formats = [get_format("edc" if r.format == "edc" else "ob3") for r in todo]
        revocations: dict[int, StatusAllocation] = {}
        suspensions: dict[int, StatusAllocation] = {}
        with self.db.session() as session:  # one short transaction for every index of the batch
            for slug in dict.fromkeys(o.slug for o in orgs):
                store = DbStatusStore(session, slug)
                mine = [i for i, o in enumerate(orgs) if o.slug == slug]
                revocations.update(zip(mine, store.allocate(StatusPurpose.REVOCATION, len(mine)), strict=True))
                both = [i for i in mine if "suspension" in formats[i].status_purposes]
                if both:
                    suspensions.update(zip(both, store.allocate(StatusPurpose.SUSPENSION, len(both)), strict=True))
        row_ids = [str(uuid.uuid4()) for _ in todo]

        def sign(keys: Keys) -> list[dict[str, Any]]:  # CPU only: build, check, sign (one signer an organisation)
            rows: list[dict[str, Any]] = []
            for i, request in enumerate(todo):
                revocation, suspension = revocations[i], suspensions.get(i)
                entries = [revocation.entry(self.status_url(revocation.list_id))]
                if suspension is not None:
                    entries.append(suspension.entry(self.status_url(suspension.list_id)))
                learner = Learner(name=request.learner_name, identifier=request.learner_id,
                                  email=request.learner_email)
                facts = AwardFacts(awarded=request.awarded or now, grade=request.grade, course=request.course)
                meta = CredentialMeta(credential_id=f"urn:uuid:{row_ids[i]}", issued=now, status=tuple(entries))
                rows.append({
                    "id": row_ids[i], "award_id": request.award_id, "design_key": request.design_key,
                    "issuer_slug": orgs[i].slug, "learner_name": request.learner_name,
                    "learner_id": request.learner_id, "learner_email_hash": learner.email_hash,
                    "format": request.format,
                    "document": self._secure(request.format, specs[request.design_key], learner, facts, orgs[i],
                                             meta, now, keys[orgs[i].slug]),
                    "revocation_list": revocation.list_id, "revocation_index": revocation.index,
                    "suspension_list": suspension.list_id if suspension else None,
                    "suspension_index": suspension.index if suspension else None,
                    "revoked": False, "suspended": False, "created": now})
            return rows

        def save(session: Session, rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], set[str]]:
            # one statement stores the batch; a row already there wins
            return rows, {r.id for r in insert_rows(session, IssuedCredentialRow, rows, skip_conflicts=True,
                                                    returning=("id",))}

        rows, stored = self._sign_and_store([o.slug for o in orgs], sign, save)
        for row in rows:
            if row["id"] in stored:
                metrics.ISSUED.labels(row["format"]).inc()
        return {str(row["award_id"]): row for row in rows if row["id"] in stored}

    def _sign_and_store(self, slugs: Sequence[str], sign: Callable[[Keys], T], save: Callable[[Session, T], R]) -> R:
        """``save`` in one transaction what ``sign`` signed with the organisations' active keys; signed again with
        the keys active then when one was retired meanwhile. The check reads the key index inside the storing
        transaction, after its INSERT: ``KeyManager.retire`` marks the key retired and then waits for every
        transaction writing credentials to end before it looks for what the key signed, so each credential is
        either stored before that look (found, revoked, re-issued) or checked after the mark (signed again here).
        Checked only before the signing, a batch that took seconds to sign stored credentials of a retired key
        that nothing revoked or replaced."""
        for _attempt in range(RESIGN_ATTEMPTS):
            keys = {slug: self.directory.signer(self.directory.get(slug)) for slug in dict.fromkeys(slugs)}
            signed = sign(keys)
            try:
                with self.db.session() as session:
                    out = save(session, signed)
                    if self._retired(keys):
                        raise _SignerRetired  # rolls the INSERT back
            except _SignerRetired:
                continue
            return out
        raise LeadsError("the signing key was retired again while these credentials were being signed; retry",
                         code="signing_key_retired", status=503)

    def _retired(self, keys: Keys) -> bool:
        """Whether one of ``keys`` (organisation slug → signer) is retired now (the key index is read afresh)."""
        for slug, (signer, _method) in keys.items():
            records = self.directory.keys(self.directory.get(slug)).keys()
            if any(r.key_id == signer.key_id and r.retired for r in records):
                return True
        return False

    def cached_spec(self, design_key: str) -> AchievementSpec:
        """The design's ``AchievementSpec``, kept for ``SPEC_TTL`` seconds (a design edit shows after that)."""
        hit = self._specs.get(design_key)
        if hit is not None and time.monotonic() - hit[0] < SPEC_TTL:
            return hit[1]
        with self.db.session() as session:
            spec = achievement_spec(EntityRepository(session), design_key, self.settings.entity_base)
        self._specs[design_key] = (time.monotonic(), spec)
        return spec

    def _secure(self, fmt: str, spec: Any, learner: Learner, facts: AwardFacts, org: IssuerOrg,
                meta: CredentialMeta, now: datetime,
                key: tuple[Signer, str] | None = None) -> dict[str, Any]:
        """Build with the document format, check it (EDC: SHACL, naming node, path and shape), then sign (with
        ``key``, the organisation's active signer and method, when the caller already has it)."""
        document_format = get_format("edc" if fmt == "edc" else "ob3")
        signer, method = key or self.directory.signer(org)
        unsigned = document_format.build(spec, learner, facts, self.directory.profile(org), meta)
        document_format.check(unsigned)
        if fmt == "jwt":  # the OB3 credential secured with VC-JOSE instead of an embedded proof
            return {"jwt": jose.sign_jwt(unsigned, signer, method)}
        return dataintegrity.sign(unsigned, signer, method, created=now, share_nested=True)  # ``unsigned`` is ours

    def issue_award(self, award: AwardToIssue, fmt: str = "ob3") -> IssuedCredentialRow:
        """The award pipeline's door: the credential of an award in ``fmt``, idempotent on (award, format)."""
        return issue_award(self, award, fmt)

    def issue_awards(self, awards: Sequence[AwardToIssue]) -> list[IssuedCredentialRow]:
        """The OB3 credentials of a batch of awards, in order (one transaction per batch, see ``issue_many``)."""
        return issue_awards(self, awards)

    def issue_award_ids(self, awards: Sequence[AwardToIssue]) -> list[str]:
        """The credential ids of ``issue_awards``, without building or reading back the rows."""
        return issue_award_ids(self, awards)

    def revoke_award(self, award_id: str, reason: str) -> None:
        """Revoke every credential of an award (every format and wallet copy); a no-op without credential."""
        revoke_award(self, award_id, reason)


# -- the award pipeline's door (bridge.awards.credential_adapters.CredentialsServiceIssuer calls these) ---------------


class AwardToIssue(Protocol):
    """What the award pipeline knows of an award (``bridge.awards.issuer_port.IssueRequest`` has these fields); a
    Protocol so the credential service, below the awards domain, never imports it."""

    @property
    def award_id(self) -> str: ...
    @property
    def learner(self) -> str: ...
    @property
    def learner_name(self) -> str | None: ...
    @property
    def learner_email(self) -> str | None: ...
    @property
    def achievement(self) -> str: ...
    @property
    def awarded_at(self) -> datetime: ...
    @property
    def course_title(self) -> str | None: ...


def _learner_uri(learner: str) -> str | None:
    if ":" in learner and " " not in learner:
        return learner
    return f"urn:leads:learner:{quote(learner, safe='')}" if learner else None


def award_input(request: AwardToIssue, fmt: str = "ob3") -> IssueInput:
    """A credential names its holder: an award without the learner's name is refused, never signed to the
    internal learner id; its course line is the course title the LMS gave, never the internal context key."""
    awarded = request.awarded_at if request.awarded_at.tzinfo else request.awarded_at.replace(tzinfo=UTC)
    if not (request.learner_name or "").strip():
        raise LeadsError("award %(award_id)s has no learner name; a credential is signed only to a name",
                         code="no_learner_name", status=422, params={"award_id": request.award_id})
    return IssueInput(
        design_key=request.achievement, learner_name=request.learner_name or "", format=fmt,
        learner_id=_learner_uri(request.learner), learner_email=request.learner_email,
        award_id=award_key(request.award_id, fmt), awarded=awarded, course=request.course_title)


def award_key(award_id: str, fmt: str = "ob3") -> str:
    """The credential row's key: the award id for its OB3 credential, ``<award id>:<format>`` for other formats, so
    each award has at most one credential per format (the column is unique)."""
    return award_id if fmt == "ob3" else f"{award_id}:{fmt}"


def issue_award(service: CredentialService, request: AwardToIssue, fmt: str = "ob3") -> IssuedCredentialRow:
    """Issue the credential of an award in ``fmt`` (OB3 by default, ``edc`` on the learner's demand); idempotent
    on ``(request.award_id, fmt)``: same award and format → same credential."""
    return service.issue(award_input(request, fmt))


def issue_awards(service: CredentialService, requests: Sequence[AwardToIssue]) -> list[IssuedCredentialRow]:
    """The OB3 credentials of a batch of awards, in order; idempotent on each award id (see ``issue_many``)."""
    return service.issue_many([award_input(r) for r in requests])


def issue_award_ids(service: CredentialService, requests: Sequence[AwardToIssue]) -> list[str]:
    """``issue_awards`` answering the credential ids only (a worker's batch)."""
    return service.issue_many_ids([award_input(r) for r in requests])


def revoke_award(service: CredentialService, award_id: str, reason: str) -> None:
    """Revoke the credentials of an award (every format, and every copy bound to a learner's wallet, keyed
    ``<award>:<format>-<holder>``); revoking twice is harmless, an award without credential is a no-op."""
    keys = [award_key(award_id, fmt) for fmt in FORMATS]
    with service.db.session() as session:
        rows = session.scalars(select(IssuedCredentialRow).where(or_(
            IssuedCredentialRow.award_id.in_(keys), IssuedCredentialRow.award_id.like(f"{award_id}:%")))).all()
    for row in rows:
        if not row.revoked:
            service.revoke(row.id, reason or "award revoked")
