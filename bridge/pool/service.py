"""Pool use cases: opt in, publish (verified on intake), unpublish, search, re-check, Capacity Exchange export."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import ColumnElement, and_, delete, func, or_, select
from sqlalchemy.orm import Session, defer, selectinload

from bridge.credentials.api import IssuedCredentialRow
from bridge.dataspace.api import Competence, current_index
from bridge.db import Database
from bridge.db.base import aware
from bridge.db.bulk import one_of, update_rows
from bridge.errors import LeadsError, NotFound, Problem, ValidationFailed
from bridge.pool.mapping import achievements, evidence
from bridge.pool.tables import PoolCompetence, PoolEntry, PoolProfile
from bridge.web.text import blank
from issuer.documents.names import clean_name, name_problem, strip_name

HANDLE = re.compile(r"^[a-z0-9][a-z0-9_-]{1,79}$")


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    message: str
    outcome: str = ""  # passed | failed | skipped | not_run | unknown (empty: as ``ok`` says)
    reason: str = ""  # revoked, suspended, expired … (the verifier's, for the plain words of the evidence page)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "message": self.message,
                "outcome": self.outcome or ("passed" if self.ok else "failed"), "reason": self.reason}


@dataclass(frozen=True)
class Verdict:
    """What the pool needs to know of a verification: passed or not, each check, and who issued it.

    ``verified`` means genuine AND from an issuer the pool's trust setting accepts; ``state`` is the verifier's
    one-word answer (verified, untrusted, revoked, suspended, expired, not_yet_valid, unchecked, invalid)."""

    verified: bool
    checks: Sequence[Check] = field(default_factory=tuple)
    issuer: str = ""
    valid_until: datetime | None = None
    document: dict[str, Any] | None = None
    genuine: bool | None = None  # None: the verifier does not say (then ``verified`` stands for both)
    state: str = ""
    issuer_name: str = ""  # the issuer's trusted name (this installation's or the registry's)

    @property
    def outcome(self) -> str:
        return self.state or ("verified" if self.verified else "invalid")


class Verifier(Protocol):
    def __call__(self, credential: dict[str, Any] | str) -> Verdict: ...


class PoolRefused(LeadsError):
    def __init__(self, message: str, code: str, verdict: Verdict | None = None, status: int = 422,
                 params: dict[str, Any] | None = None) -> None:
        extra: dict[str, Any] = {}
        if verdict is not None:
            extra["checks"] = [{"name": c.name, "ok": c.ok, "message": c.message} for c in verdict.checks]
        super().__init__(message, code=code, status=status, extra=extra, params=params or {})
DISPLAY_NAME_LENGTH = 200  # the column; the one name rule otherwise (issuer.documents.names)
CONTACT_LENGTH = 500  # the column
MAX_LANGUAGES = 20
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$")  # BCP 47's common shapes: es, pt-BR, zh-Hant-TW


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _fingerprint(credential: dict[str, Any] | str) -> str:
    raw = credential if isinstance(credential, str) else json.dumps(credential, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()


def create_profile(
    db: Database,
    *,
    handle: str,
    display_name: str,
    languages: Sequence[str] = (),
    contact: str | None = None,
) -> tuple[PoolProfile, str]:
    """Open a profile; returns it with the management token (shown once, stored hashed).

    There is no wiki username here on purpose: it is set only by signing in with Wikimedia (decision 027)."""
    problems = []
    if not HANDLE.match(handle):
        problems.append(Problem("profile", "handle", "use 2-80 lower-case letters, digits, '-' or '_'"))
    name_issue = name_problem(display_name, DISPLAY_NAME_LENGTH)
    if blank(display_name):
        problems.append(Problem("profile", "display_name", "give the name you want others to see"))
    elif name_issue:
        problems.append(Problem("profile", "display_name", name_issue))
    if len(languages) > MAX_LANGUAGES or any(not isinstance(code, str) or not LANGUAGE_CODE.match(code)
                                             for code in languages):
        problems.append(Problem("profile", "languages", "give language codes such as en, es or pt-BR, at most "
                                "%(count)s", params={"count": MAX_LANGUAGES}))
    if contact and (contact_issue := name_problem(contact, CONTACT_LENGTH)):
        # what a public page shows beside a "verified" mark: no bidi overrides, control characters or invisible text
        problems.append(Problem("profile", "contact", contact_issue.replace("the name", "the contact")))
    elif contact and "@" in unicodedata.normalize("NFKC", contact) and not contact.startswith(("http://", "https://")):
        problems.append(
            Problem(
                "profile",
                "contact",
                "the pool never shows e-mail addresses; give a wiki talk page or another public link instead",
            )
        )
    if problems:
        raise ValidationFailed("the profile cannot be created", problems)
    token = secrets.token_urlsafe(32)
    with db.session() as session:
        if session.scalar(select(PoolProfile.id).where(PoolProfile.handle == handle)) is not None:
            raise LeadsError("the handle '%(handle)s' is taken; choose another", code="handle_taken", status=409,
                             params={"handle": handle})
        profile = PoolProfile(
            handle=handle,
            display_name=clean_name(display_name, "the display name", DISPLAY_NAME_LENGTH),
            languages=list(dict.fromkeys(languages)),
            contact=contact.strip() if contact else None,
            token_hash=_hash(token),
        )
        session.add(profile)
    return profile, token


def _own_profile(session: Session, handle: str, token: str) -> PoolProfile:
    profile = session.scalar(select(PoolProfile).where(PoolProfile.handle == handle))
    if profile is None:
        raise NotFound("no pool profile '%(handle)s'", params={"handle": handle})
    if not hmac.compare_digest(profile.token_hash, _hash(token)):
        raise LeadsError("the management token does not belong to this profile", code="forbidden", status=403)
    return profile


def publish(
    db: Database, verifier: Verifier, *, handle: str, token: str, credential: dict[str, Any] | str, entity_base: str,
    holder_proof: str, holder_did: str | None = None,
) -> PoolEntry:
    """Verify the credential, map it to competences, and list it; refused with the failed checks otherwise.

    The caller has proven that the publisher holds it (``bridge.pool.holding``) and says how in ``holder_proof``.
    """
    with db.session() as session:  # a wrong token or an unknown handle is refused before anything is fetched
        _own_profile(session, handle, token)
    return _publish(db, verifier, lambda session: _own_profile(session, handle, token), credential, entity_base,
                    holder_proof=holder_proof, holder_did=holder_did)


def check_token(db: Database, handle: str, token: str) -> None:
    """Refuse early (before any signature work) when the token does not manage ``handle``."""
    with db.session() as session:
        _own_profile(session, handle, token)


def publish_for_learner(
    db: Database,
    verifier: Verifier,
    *,
    learner: str,
    display_name: str,
    credential: dict[str, Any] | str,
    entity_base: str,
) -> PoolEntry:
    """Publish from "My certificates" inside an LTI launch: the launch says who the learner is, so no token is
    needed; the learner's profile is opened on first use."""
    return _publish(
        db, verifier, lambda session: _learner_profile(session, learner, display_name), credential, entity_base,
        holder_proof="lms",
    )


def _learner_profile(session: Session, learner: str, display_name: str) -> PoolProfile:
    profile = session.scalar(select(PoolProfile).where(PoolProfile.learner == learner))
    if profile is not None:
        return profile
    base = re.sub(r"[^a-z0-9]+", "-", display_name.lower()).strip("-")[:60] or "learner"
    handle = f"{base}-{secrets.token_hex(3)}"
    profile = PoolProfile(
        handle=handle,
        display_name=strip_name(display_name, DISPLAY_NAME_LENGTH)[0] or handle,
        learner=learner,
        languages=[],
        token_hash=_hash(secrets.token_urlsafe(32)),
    )
    session.add(profile)
    session.flush()
    return profile


def learner_entries(db: Database, learner: str) -> dict[str, int]:
    """Fingerprint → entry id of what this learner has published (to show publish / unpublish buttons)."""
    with db.session() as session:
        rows = session.execute(
            select(PoolEntry.fingerprint, PoolEntry.id).join(PoolProfile).where(PoolProfile.learner == learner)
        )
        return {fingerprint: entry_id for fingerprint, entry_id in rows}


def unpublish_for_learner(db: Database, *, learner: str, entry_id: int) -> None:
    with db.session() as session:
        entry = session.get(PoolEntry, entry_id)
        if entry is None or entry.profile.learner != learner:
            raise NotFound("you have no published credential %(entry_id)s", params={"entry_id": entry_id})
        session.delete(entry)


def learner_profile_handle(db: Database, learner: str) -> str | None:
    with db.session() as session:
        return session.scalar(select(PoolProfile.handle).where(PoolProfile.learner == learner))


def fingerprint(credential: dict[str, Any] | str) -> str:
    return _fingerprint(credential)


def _publish(
    db: Database,
    verifier: Verifier,
    owner: Callable[[Session], PoolProfile],
    credential: dict[str, Any] | str,
    entity_base: str,
    *,
    holder_proof: str,
    holder_did: str | None = None,
) -> PoolEntry:
    verdict = verifier(credential)
    if verdict.genuine and not verdict.verified:
        raise PoolRefused(
            "the credential is genuine, but the pool lists only credentials from issuers it trusts, and it does not "
            "trust %(issuer)s (LEADS does not know this issuer, or the pool takes only this installation's own "
            "credentials)",
            "issuer_not_trusted",
            verdict,
            params={"issuer": verdict.issuer or "an issuer that names no DID"})
    if not verdict.verified:
        failed = [c for c in verdict.checks if not c.ok]
        what = "; ".join(f"{c.name}: {c.message}" for c in failed) or "it did not verify"
        raise PoolRefused(
            "the credential was not published because it does not verify (%(what)s)", "credential_not_verified",
            verdict, params={"what": what})
    document = verdict.document or (credential if isinstance(credential, dict) else {})
    entities = current_index(db).by_key
    with db.session() as session:
        profile = owner(session)
        profile.emptied_at = None  # taken before the entry is added: a concurrent expiry now finds it not empty
        found = evidence(document, entities, entity_base)
        if not found:
            raise PoolRefused(
                "the credential verifies, but its achievement maps to no competence of this data space "
                "(no LEADS design URI and no ESCO or Wikidata alignment we know)",
                "no_competence",
                verdict,
            )
        fingerprint = _fingerprint(credential)
        existing = session.scalar(
            select(PoolEntry).where(PoolEntry.profile_id == profile.id, PoolEntry.fingerprint == fingerprint)
        )
        if existing is not None:  # published again: the same entry, now proven if it was not (before decision 012)
            if existing.holder_proof is None and holder_proof is not None:
                existing.holder_proof, existing.holder_did = holder_proof, holder_did
            existing.competences  # noqa: B018 - loaded while the session is open: the caller reads them after
            session.flush()
            return existing
        achs = achievements(document)
        entry = PoolEntry(
            fingerprint=fingerprint,
            credential=credential,
            issuer=verdict.issuer,
            issuer_name=verdict.issuer_name,
            title=achs[0].name if achs else "",
            valid_until=verdict.valid_until,
            design_key=next((e.design for e in found if e.design), None),
            verified_at=datetime.now(UTC),
            holder_proof=holder_proof,
            holder_did=holder_did,
        )
        entry.competences = [PoolCompetence(competence_key=e.competence, level=e.level) for e in found]
        entry.local_credential_id = _local_id(session, document)
        profile.entries.append(entry)
        session.flush()
        return entry


def _local_id(session: Session, document: dict[str, Any]) -> str | None:
    """The issued_credentials row of this installation that is this very credential, if any."""
    cid = document.get("id")
    if not isinstance(cid, str) or not cid.startswith("urn:uuid:"):
        return None
    row = session.get(IssuedCredentialRow, cid.removeprefix("urn:uuid:"))
    if row is None:
        return None
    stored = row.document.get("jwt") if row.format == "jwt" else row.document
    return row.id if stored is not None and (stored == document or row.format == "jwt") else None


def _drop(session: Session, *where: ColumnElement[bool]) -> int:
    """Delete the profiles matching ``where``; their entries, the entries' competences, a CapX link and any wiki
    login in flight go by the database's ``ON DELETE CASCADE``. Returns how many profiles went."""
    gone = session.execute(delete(PoolProfile).where(*where).execution_options(synchronize_session=False))
    return int(gone.rowcount)  # type: ignore[attr-defined]


def _confirmed(confirmed: bool) -> None:
    """The forms ask for a tick: the deletion cannot be undone."""
    if not confirmed:
        raise LeadsError("tick the box to confirm that the profile is to be deleted for good",
                         code="confirmation_needed", status=400)


def delete_profile(db: Database, *, handle: str, token: str, confirmed: bool = True) -> None:
    """Delete the profile and all it holds, for good: the person's own way out of the pool, with the management
    token (checked before the tick, so a wrong token says so, ticked or not)."""
    with db.session() as session:
        profile_id = _own_profile(session, handle, token).id
        _confirmed(confirmed)
        _drop(session, PoolProfile.id == profile_id)


def delete_learner_profile(db: Database, learner: str, *, confirmed: bool = True) -> None:
    """The same for the learner of an LTI launch, whose profile the launch opened."""
    _confirmed(confirmed)
    with db.session() as session:
        if not _drop(session, PoolProfile.learner == learner):
            raise NotFound("you have no pool profile")


def delete_wiki_profile(db: Database, *, handle: str, wiki_sub: str, confirmed: bool = True) -> None:
    """The same for the person signed in with the wiki account the profile proved."""
    _confirmed(confirmed)
    with db.session() as session:
        if not _drop(session, PoolProfile.handle == handle, PoolProfile.wiki_sub == wiki_sub):
            raise LeadsError("the pool profile '%(handle)s' is not yours", code="forbidden", status=403,
                             params={"handle": handle})


def remove_profile(db: Database, handle: str) -> int:
    """The same by an administrator (``leads pool delete``: a request by e-mail, a takedown). Returns how many
    published credentials went with it."""
    with db.session() as session:
        profile_id = session.scalar(select(PoolProfile.id).where(PoolProfile.handle == handle))
        if profile_id is None:
            raise NotFound("no pool profile '%(handle)s'", params={"handle": handle})
        entries = session.scalar(select(func.count(PoolEntry.id)).where(PoolEntry.profile_id == profile_id)) or 0
        _drop(session, PoolProfile.id == profile_id)
    return int(entries)


def unpublish(db: Database, *, handle: str, token: str, entry_id: int) -> None:
    with db.session() as session:
        profile = _own_profile(session, handle, token)
        entry = session.get(PoolEntry, entry_id)
        if entry is None or entry.profile_id != profile.id:
            raise NotFound("profile '%(handle)s' has no published credential %(entry_id)s",
                           params={"handle": handle, "entry_id": entry_id})
        session.delete(entry)


SHOWN = ("verified", "unchecked")  # "could not check" stays listed, with the date it last verified


def live_entries(now: datetime) -> Any:
    """Entries standing: not expired, last re-check verified or could not decide, and (when issued here) neither
    revoked nor suspended right now."""
    withdrawn = select(IssuedCredentialRow.id).where(
        IssuedCredentialRow.id == PoolEntry.local_credential_id,
        or_(IssuedCredentialRow.revoked.is_(True), IssuedCredentialRow.suspended.is_(True)),
    )
    return and_(
        or_(PoolEntry.valid_until.is_(None), PoolEntry.valid_until > now),
        # a suspension of this installation's own credential is read live (the join below): lifted, it is back
        or_(PoolEntry.state.in_(SHOWN),
            and_(PoolEntry.state == "suspended", PoolEntry.local_credential_id.is_not(None))),
        ~withdrawn.exists(),
    )


WIKI_USERNAME_TYPED = ("a wiki username is set only by signing in with Wikimedia on the profile's page "
                       "(/pool/people/{handle}/wiki-login), never typed: LEADS shows only usernames the wiki confirmed")


def proven_username(profile: PoolProfile) -> str | None:
    """The wiki username only when a Wikimedia login proved it (typed ones were cleared by 0800_capx)."""
    return profile.wiki_username if profile.wiki_verified_at is not None and profile.wiki_sub else None


def profile_view(db: Database, handle: str, keep_empty: timedelta | None = None, lang: str = "en") -> dict[str, Any]:
    """What a profile shows; with ``keep_empty``, ``delete_after`` says when it goes if nothing is published by
    then (None while anything is published, shown or not)."""
    entities = current_index(db).of_kinds(Competence)
    now = datetime.now(UTC)
    with db.session() as session:
        profile = session.scalar(select(PoolProfile).where(PoolProfile.handle == handle))
        if profile is None:
            raise NotFound("no pool profile '%(handle)s'", params={"handle": handle})
        delete_after = None
        if keep_empty and session.scalar(select(PoolEntry.id).where(PoolEntry.profile_id == profile.id)
                                         .limit(1)) is None:
            delete_after = (aware(profile.emptied_at) if profile.emptied_at else now) + keep_empty
        live = session.scalars(
            select(PoolEntry)
            .where(PoolEntry.profile_id == profile.id, live_entries(now))
            .options(selectinload(PoolEntry.competences), defer(PoolEntry.credential))
            .order_by(PoolEntry.id)
        ).all()
        return {
            "handle": profile.handle,
            "display_name": profile.display_name,
            "wiki_username": proven_username(profile),
            "wiki_verified": proven_username(profile) is not None,
            "languages": profile.languages,
            "contact": profile.contact,
            "delete_after": delete_after.isoformat() if delete_after else None,
            "credentials": [
                {
                    "id": e.id,
                    "title": e.title,
                    "issuer": e.issuer,
                    "issuer_name": e.issuer_name or e.issuer,
                    "state": e.state,
                    "design": e.design_key,
                    "verified_at": e.verified_at.isoformat(),
                    "holder_proof": e.holder_proof,
                    "holder_did": e.holder_did,
                    "evidence": f"/pool/evidence/{e.id}",
                    "competences": [
                        {
                            "competence": c.competence_key,
                            "level": c.level,
                            "label": entities[c.competence_key].label(lang)
                            if c.competence_key in entities
                            else c.competence_key,
                            "wikidata": getattr(entities.get(c.competence_key), "wikidata", None),
                        }
                        for c in e.competences
                    ],
                }
                for e in live
            ],
        }


@dataclass
class RecheckResult:
    """Entry ids by what one re-check pass did to them."""

    verified: list[int] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)  # revoked or expired: gone for good
    hidden: list[int] = field(default_factory=list)  # suspended, issuer no longer trusted, no longer verifies
    unchecked: list[int] = field(default_factory=list)  # status could not be checked: kept and listed, retried later
    waiting: list[int] = field(default_factory=list)  # not due yet (backoff after failed tries)

    def summary(self) -> str:
        return (f"{len(self.verified)} verified, {len(self.removed)} removed (revoked or expired), "
                f"{len(self.hidden)} hidden (suspended or no longer trusted), {len(self.unchecked)} could not be "
                f"checked (kept; retried later), {len(self.waiting)} waiting to be retried")


REMOVED = ("revoked", "expired")
RECHECK_PAGE = 500
MAX_BACKOFF = timedelta(days=1)


def _backoff(failures: int, retry_seconds: float) -> timedelta:
    return min(timedelta(seconds=retry_seconds * 2 ** max(failures - 1, 0)), MAX_BACKOFF)


def recheck(db: Database, verifier: Verifier, *, now: datetime | None = None,
            retry_seconds: float = 900, progress: Callable[[int, int], None] | None = None) -> RecheckResult:
    """Re-verify every listed credential, losing nothing to an outage: revoked and expired entries leave;
    suspended or no longer trusted ones are hidden and come back when they verify again; when a status list cannot
    be fetched the entry stays listed (showing when it last verified) and is retried with a growing wait.
    One pass fetches each status list once (``verifier.for_pass()`` when the verifier offers it)."""
    now = now or datetime.now(UTC)
    check: Verifier = verifier.for_pass() if hasattr(verifier, "for_pass") else verifier
    result = RecheckResult()
    last, done = 0, 0
    with db.session() as session:
        total = session.scalar(select(func.count()).select_from(PoolEntry)) or 0
    while True:  # a page at a time: memory stays flat however large the pool (100,000 entries and more)
        with db.session() as session:
            rows = session.execute(select(PoolEntry.id, PoolEntry.credential, PoolEntry.next_check_at)
                                   .where(PoolEntry.id > last).order_by(PoolEntry.id).limit(RECHECK_PAGE)).all()
        if not rows:
            if progress is not None:
                progress(total, total)
            return result
        last = rows[-1][0]
        outcomes: dict[int, Verdict] = {}
        for entry_id, credential, due in rows:
            if progress is not None:
                progress(done, total)
            done += 1
            if due is not None and aware(due) > now:
                result.waiting.append(entry_id)
                continue
            outcomes[entry_id] = check(credential)
        if not outcomes:
            continue
        with db.session() as session:  # one commit a page
            _record_verified(session, {i: v for i, v in outcomes.items() if v.outcome == "verified"}, now, result)
            others = [i for i, v in outcomes.items() if v.outcome != "verified"]
            entries = {} if not others else {
                e.id: e for e in session.scalars(select(PoolEntry).options(defer(PoolEntry.credential))
                                                 .where(one_of(session, PoolEntry.id, others)))}
            for entry_id in others:
                entry = entries.get(entry_id)
                if entry is None:  # unpublished meanwhile
                    continue
                _apply(session, entry, outcomes[entry_id], now, retry_seconds, result)



def record_check(db: Database, entry_id: int, verdict: Verdict, now: datetime, retry_seconds: float = 900) -> bool:
    """Keep what a verification outside a pass found (the public evidence page verifies at each request), as the
    next pass would: a revoked or expired entry leaves, a suspended or untrusted one is hidden at once, everywhere,
    instead of showing until that pass. Whether the pool still shows the entry. Only what the issuer's status
    list, the dates or the trust list say is acted on here: a proof that fails now may be a DID document that could
    not be fetched this once, which the pass retries with its growing wait."""
    if verdict.outcome not in (*REMOVED, "suspended", "untrusted"):
        return True
    with db.session() as session:
        entry = session.scalar(select(PoolEntry).options(defer(PoolEntry.credential)).where(PoolEntry.id == entry_id))
        if entry is not None:
            _apply(session, entry, verdict, now, retry_seconds, RecheckResult())
    return False


def _record_verified(session: Session, verdicts: dict[int, Verdict], now: datetime, result: RecheckResult) -> None:
    """What a pass records of nearly every entry, in one statement for the page (``update_rows``) instead of loading
    each entry and updating it alone: at 100,000 entries those updates were most of what a pass added to
    verifying. The issuer's name is replaced only when the verification gave one; an entry unpublished meanwhile
    matches no row."""
    named = [{"id": i, "issuer_name": v.issuer_name} for i, v in verdicts.items() if v.issuer_name]
    unnamed = [{"id": i} for i, v in verdicts.items() if not v.issuer_name]
    updated = [row[0] for rows in (named, unnamed)
               for row in update_rows(session, PoolEntry, "id", rows, returning=("id",), state="verified", failures=0,
                                      next_check_at=None, verified_at=now, checked_at=now)]
    result.verified += sorted(updated)


def _apply(session: Session, entry: PoolEntry, verdict: Verdict, now: datetime, retry_seconds: float,
           result: RecheckResult) -> None:
    outcome = verdict.outcome
    entry.checked_at = now
    if outcome in REMOVED:
        session.delete(entry)
        result.removed.append(entry.id)
        return
    if outcome == "verified":
        entry.state, entry.failures, entry.next_check_at, entry.verified_at = "verified", 0, None, now
        entry.issuer_name = verdict.issuer_name or entry.issuer_name
        result.verified.append(entry.id)
        return
    if outcome == "suspended":  # re-checked every pass, so it comes back as soon as the suspension is lifted
        entry.state, entry.failures, entry.next_check_at = "suspended", 0, None
        result.hidden.append(entry.id)
        return
    entry.failures += 1
    entry.next_check_at = now + _backoff(entry.failures, retry_seconds)
    if outcome == "unchecked":
        entry.state = "unchecked"
        result.unchecked.append(entry.id)
    else:  # untrusted, invalid, not yet valid: hidden but kept — a registry or DID document may come back
        entry.state = "untrusted" if outcome == "untrusted" else "invalid"
        result.hidden.append(entry.id)
