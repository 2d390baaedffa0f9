"""Award use cases: record a grade and decide in one transaction (the outbox), and the admin operations.

Every intake path (AGS, claim link, LMS webhook, CSV) builds ``GradeInput`` values and calls ``record``.
Inside one transaction: the grade event is stored (once per ``(source, event_id)``), the learner's grades
are read back, ``rules.decide`` runs, and each new award is inserted together with its issuance job. The
decision for one learner and design is serialised (an advisory lock on PostgreSQL; SQLite serialises all
writers), so two grades arriving at once cannot both miss the stack they complete together.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bridge.awards import people, standing
from bridge.awards.rules import DEFAULT_POLICY, AwardPolicy, AwardRules, Decision, ScoreError, decide, scale
from bridge.awards.tables import Award, GradeEvent, Job, new_id
from bridge.dataspace.api import index_in
from bridge.db.base import utcnow
from bridge.db.bulk import insert_rows, one_of
from bridge.errors import LeadsError, NotFound
from bridge.web.text import check_reason
from issuer.documents.names import strip_name

log = logging.getLogger("leads.awards")

@dataclass(frozen=True)
class GradeInput:
    """A grade as an intake path understood it; ``score``/``maximum`` are scaled here, never by the caller."""

    source: str
    learner: str
    design: str
    kind: Literal["score", "course_passed"] = "score"
    assessment: str | None = None
    score: float | None = None
    maximum: float | None = None
    event_id: str | None = None
    context: str | None = None
    learner_name: str | None = None
    learner_email: str | None = None
    occurred_at: datetime | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    # "latest": a result read again from the LMS (AGS, a CSV row without event_id) whose id is a digest of its
    # values; it is a replay only when it equals the latest stored grade of (source, learner, design, assessment),
    # so 80 → 40 → 80 stores the second 80. "event": the event id alone says what was seen (webhooks, AGS scores).
    replay: Literal["event", "latest"] = "event"

    def __post_init__(self) -> None:
        """Names from an LMS go through the one name rule; refusing them would lose the grade, so the refused
        characters are removed and the removal is logged (issuer.documents.names)."""
        if self.learner_name is not None:
            cleaned, note = strip_name(self.learner_name)
            if note:
                log.warning("grade from %s for %s: %s", self.source, self.learner, note)
            object.__setattr__(self, "learner_name", cleaned or None)


@dataclass(frozen=True)
class Outcome:
    duplicate: bool
    decision: Decision
    awarded: tuple[str, ...] = ()  # award ids created now


def load_rules(session: Session, policy: AwardPolicy = DEFAULT_POLICY) -> AwardRules:
    """From the process's kept copy of the data space (read again when its revision changed): every webhook
    and claim needs the rules, and reading every entity each time cost more than the grade."""
    return index_in(session).derived(("award rules", policy),
                                      lambda index: AwardRules.from_entities(index.by_key.values(), policy))


def _insert(session: Session, table: Any) -> Any:
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def write_lock(session: Session) -> None:
    """SQLite: begin with a write (one writer at a time), so the reads that follow cannot go stale and fail with
    "database is locked" when another connection commits first. PostgreSQL: row and advisory locks instead."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("UPDATE jobs SET id = id WHERE 1 = 0"))


LOCK_SPACE = 7007  # advisory lock namespace of the award decisions
LOCK_BUCKETS = 512  # a big import takes at most this many locks (PostgreSQL's lock table is finite)


def _lock_learners(session: Session, pairs: Sequence[tuple[str, str]]) -> None:
    """Serialise decisions per learner and design, by hash bucket (sorted: two batches cannot deadlock).

    Two learners in one bucket only wait for each other; correctness needs that one learner's decisions never
    run side by side, which the bucket guarantees.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    buckets = sorted({int.from_bytes(hashlib.blake2b(f"{learner}\x00{design}".encode(), digest_size=8).digest(),
                                     "big") % LOCK_BUCKETS for learner, design in pairs})
    session.execute(text("SELECT count(pg_advisory_xact_lock(:space, b)) FROM unnest(CAST(:buckets AS int[])) AS b"),
                    {"space": LOCK_SPACE, "buckets": buckets})


def _check(grade: GradeInput, rules: AwardRules) -> float | None:
    rules.tree(grade.design)  # unknown design → 404 before anything is stored
    if grade.kind == "course_passed":
        return None
    if not grade.assessment:
        raise LeadsError("a score needs the assessment it is for", code="invalid_grade", status=422)
    if grade.assessment not in rules.assessments(grade.design):
        raise LeadsError("'%(assessment)s' is not an assessment of '%(design)s'; known: %(known)s",
                         code="unknown_assessment", status=422,
                         params={"assessment": grade.assessment, "design": grade.design,
                                 "known": ", ".join(sorted(rules.assessments(grade.design)))})
    return scale(grade.score if grade.score is not None else -1.0, grade.maximum if grade.maximum is not None else 0)


def scalable(grades: Iterable[GradeInput], rules: AwardRules) -> tuple[list[GradeInput], list[Refused]]:
    """The grades LEADS can scale, and the others with why (a negative score, a maximum of 0): a poll records the
    rest of a course instead of failing on one result at every pass."""
    ok: list[GradeInput] = []
    refused: list[Refused] = []
    for g in grades:
        try:
            _check(g, rules)
        except ScoreError as exc:
            refused.append(Refused(g, exc.message))
        else:
            ok.append(g)
    return ok, refused


@dataclass(frozen=True)
class Refused:
    grade: GradeInput
    reason: str


def record(session: Session, rules: AwardRules, grade: GradeInput, *, policy: AwardPolicy = DEFAULT_POLICY,
           max_attempts: int = 8, now: datetime | None = None) -> Outcome:
    """Store the grade event, decide, and queue issuance, all in the caller's transaction."""
    return record_many(session, rules, [grade], policy=policy, max_attempts=max_attempts, now=now)[0]


Pair = tuple[str, str]  # (learner, design)


def record_many(session: Session, rules: AwardRules, grades: Sequence[GradeInput], *,
                policy: AwardPolicy = DEFAULT_POLICY, max_attempts: int = 8,
                now: datetime | None = None) -> list[Outcome]:
    """``record`` for many grades at once (a cohort, a CSV file) in a handful of statements.

    One outcome per grade; a learner's awards are reported on that learner's last grade in ``grades``.
    """
    if not grades:
        return []
    now = now or utcnow()
    percents = [_check(g, rules) for g in grades]
    write_lock(session)
    pairs = sorted({(g.learner, g.design) for g in grades})
    _lock_learners(session, pairs)
    event_ids = _replays_of_latest(session, grades)  # after the locks: the latest grade cannot change under us
    rows = [dict(source=g.source, event_id=e, kind=g.kind, learner=g.learner, design=g.design,
                 context=g.context, assessment=g.assessment, score=g.score, maximum=g.maximum, percent=p,
                 occurred_at=g.occurred_at or now, received_at=now, payload=g.payload)
            for g, p, e in zip(grades, percents, event_ids, strict=True) if e is not REPLAY]
    inserted = insert_rows(session, GradeEvent, rows, skip_conflicts=True,
                           returning=("id", "source", "event_id", "learner", "design"))
    fresh_keyed = {(r.source, r.event_id) for r in inserted if r.event_id is not None}
    last_event: dict[Pair, int] = {}
    for r in inserted:
        last_event[(r.learner, r.design)] = max(r.id, last_event.get((r.learner, r.design), 0))
    decisions = evaluate_many(session, rules, pairs, policy=policy)
    last_input = {(g.learner, g.design): i for i, g in enumerate(grades)}
    award_rows: list[dict[str, Any]] = []
    earning = [pair for pair in last_event if decisions[pair].award]
    known = people.names_of(session, sorted({learner for learner, _ in earning}))
    unnamed = [(p[0], grades[last_input[p]].context) for p in earning
               if not grades[last_input[p]].learner_name and p[0] not in known]
    named_here = people.course_names_of(session, unnamed) if unnamed else {}  # an instructor's, in this course
    for pair in earning:
        g = grades[last_input[pair]]
        name, email = (g.learner_name, g.learner_email) if g.learner_name else known.get(
            pair[0], named_here.get((pair[0], g.context or ""), (None, None)))
        # never signed to an internal id: without a name the award waits (no job) until one is known
        state = "pending" if name else people.NEEDS_NAME
        award_rows += [dict(id=new_id(), learner=pair[0], learner_name=name, learner_email=email or g.learner_email,
                            design=pair[1], achievement=a, context=g.context, state=state,
                            grade_event_id=last_event[pair], created_at=now) for a in decisions[pair].award]
    awarded: dict[Pair, list[str]] = {}
    if award_rows:
        made = insert_rows(session, Award, award_rows, skip_conflicts=True,
                           returning=("id", "learner", "design", "achievement", "state"))
        for r in made:
            awarded.setdefault((r.learner, r.design), []).append(r.id)
        jobs = [dict(kind="issue", award_id=r.id, payload={}, state="queued", attempts=0, max_attempts=max_attempts,
                     next_attempt_at=now, created_at=now, updated_at=now) for r in made if r.state == "pending"]
        if jobs:
            insert_rows(session, Job, jobs)
        kept = {(r.learner, r.design, r.achievement) for r in made}
        for award in _revoked_automatically(session, [k for k in ((r["learner"], r["design"], r["achievement"])
                                                                 for r in award_rows) if k not in kept]):
            reissue(session, award.id, now, notice=REGRADED)  # the grade that took it away was corrected
            awarded.setdefault((award.learner, award.design), []).append(award.id)
    for pair in last_event:
        for achievement, reason in decisions[pair].revoke:
            award = session.scalars(select(Award).where(Award.learner == pair[0], Award.design == pair[1],
                                                        Award.achievement == achievement)).one()
            _queue_revoke(session, award, f"{AUTOMATIC}{reason}", now, max_attempts)
    session.flush()
    outcomes = []
    for i, (g, e) in enumerate(zip(grades, event_ids, strict=True)):
        pair = (g.learner, g.design)
        duplicate = e is REPLAY or (e is not None and (g.source, e) not in fresh_keyed)
        mine = tuple(awarded.get(pair, ())) if last_input[pair] == i else ()
        outcomes.append(Outcome(duplicate, decisions[pair], mine))
    return outcomes


REPLAY: Any = object()  # the event id of a grade equal to the latest one stored: nothing to store


def _replays_of_latest(session: Session, grades: Sequence[GradeInput]) -> list[str | None]:
    """Each grade's event id, or ``REPLAY``. A ``latest`` grade equal to the latest stored one for its (source,
    learner, design, assessment) is a replay; a different one gets an id chained to that latest event's, so a
    value seen before (80 → 40 → 80) is stored again, and two processes reading the same change agree on its id.
    The latest grades are read 500 learners a statement, as ``evaluate_many`` reads them."""
    def chained(g: GradeInput) -> bool:
        return g.replay == "latest" and g.kind == "score" and bool(g.event_id)

    wanted = [g for g in grades if chained(g)]
    latest: dict[tuple[str, str, str, str | None], tuple[float | None, float | None, str]] = {}
    if wanted:
        sources = {g.source for g in wanted}
        designs = sorted({g.design for g in wanted})
        for chunk in _chunks(sorted({g.learner for g in wanted})):
            # by (learner, design), the index's columns, as evaluate_many reads them; the source and kind are
            # filtered here: with them in the query, a planner whose statistics predate the course's grades took the
            # (source, event_id) index and compared every grade of the source with each learner (6.8 s a chunk at
            # 125,000 grades, where this takes 8 ms)
            for row in session.execute(
                    select(GradeEvent.source, GradeEvent.learner, GradeEvent.design, GradeEvent.assessment,
                           GradeEvent.score, GradeEvent.maximum, GradeEvent.event_id, GradeEvent.id, GradeEvent.kind)
                    .where(one_of(session, GradeEvent.learner, chunk), GradeEvent.design.in_(designs))
                    .order_by(GradeEvent.occurred_at, GradeEvent.id)):
                if row.kind != "score" or row.source not in sources:
                    continue
                latest[(row.source, row.learner, row.design, row.assessment)] = (
                    row.score, row.maximum, row.event_id or f"#{row.id}")
    out: list[str | None] = []
    for g in grades:
        if not chained(g) or g.event_id is None:
            out.append(g.event_id)
            continue
        key = (g.source, g.learner, g.design, g.assessment)
        seen = latest.get(key)
        if seen is not None and (seen[0], seen[1]) == (g.score, g.maximum):
            out.append(REPLAY)
            continue
        # the first grade keeps its own id (what LEADS stored before ids were chained), the next ones chain
        event_id = g.event_id if seen is None else (
            g.event_id.split(":", 1)[0] + ":" + hashlib.sha256(f"{g.event_id}|{seen[2]}".encode()).hexdigest()[:40])
        latest[key] = (g.score, g.maximum, event_id)
        out.append(event_id)
    return out


def evaluate(session: Session, rules: AwardRules, learner: str, design: str, *,
             policy: AwardPolicy = DEFAULT_POLICY) -> Decision:
    """The decision from what is stored (latest grade per assessment, awards held); writes nothing."""
    return evaluate_many(session, rules, [(learner, design)], policy=policy)[(learner, design)]


def evaluate_many(session: Session, rules: AwardRules, pairs: Sequence[Pair], *,
                  policy: AwardPolicy = DEFAULT_POLICY) -> dict[Pair, Decision]:
    learners = sorted({learner for learner, _ in pairs})
    designs = sorted({design for _, design in pairs})
    wanted = set(pairs)
    grades: dict[Pair, dict[str, float]] = {p: {} for p in wanted}
    passed: set[Pair] = set()
    held: dict[Pair, list[str]] = {p: [] for p in wanted}
    for chunk in _chunks(learners):
        rows = session.execute(
            select(GradeEvent.learner, GradeEvent.design, GradeEvent.kind, GradeEvent.assessment, GradeEvent.percent)
            .where(one_of(session, GradeEvent.learner, chunk), GradeEvent.design.in_(designs))
            .order_by(GradeEvent.occurred_at, GradeEvent.id))
        for learner, design, kind, assessment, percent in rows:
            pair = (learner, design)
            if pair not in wanted:
                continue
            if kind == "course_passed":
                passed.add(pair)
            elif assessment is not None and percent is not None:
                grades[pair][assessment] = percent
        # by learner alone (the unique index's first column; the designs are filtered here): with the design in the
        # query, a planner that thought the table small read every award of the course through the design index
        for learner, design, achievement in session.execute(
                select(Award.learner, Award.design, Award.achievement)
                .where(one_of(session, Award.learner, chunk), Award.state != "revoked")):
            if (learner, design) in wanted:
                held[(learner, design)].append(achievement)
    return {p: decide(rules, p[1], grades[p], held[p], course_passed=p in passed, policy=policy) for p in wanted}


def _chunks(items: Sequence[str], size: int = 500) -> Iterator[Sequence[str]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def awards_of(session: Session, learner: str, design: str | None = None) -> list[Award]:
    stmt = select(Award).where(Award.learner == learner).order_by(Award.created_at, Award.id)
    if design is not None:
        stmt = stmt.where(Award.design == design)
    return list(session.scalars(stmt))


AUTOMATIC = "automatic: "  # how a revocation the grades decided (``revoke_on_lower_grade``) begins its reason
REGRADED = "Your grade was corrected in the course, so this credential is yours again."


def _revoked_automatically(session: Session, keys: list[tuple[str, str, str]]) -> list[Award]:
    """The awards of these (learner, design, achievement) that a lower grade revoked: earned again, they come back
    (an instructor's revocation never does)."""
    if not keys:
        return []
    found = session.scalars(select(Award).where(one_of(session, Award.learner, sorted({k[0] for k in keys})),
                                                Award.state == "revoked", Award.revoke_reason.startswith(AUTOMATIC))
                            .order_by(Award.id)).all()
    wanted = set(keys)
    return [a for a in found if (a.learner, a.design, a.achievement) in wanted]


def _queue_revoke(session: Session, award: Award, reason: str, now: datetime, max_attempts: int = 8) -> None:
    if award.state == "revoked":
        return
    was_issued = award.credential_id is not None
    award.state, award.revoked_at, award.revoke_reason = "revoked", now, reason
    # a pending issue job sees the award revoked and stops; an issued credential needs its status list updated,
    # that credential by name: the award may be issued anew (a corrected grade) before the job runs
    if was_issued:
        session.add(Job(kind="revoke", award_id=award.id, state="queued", attempts=0,
                        payload={"reason": reason, "issue_key": award.issue_key, "credential_id": award.credential_id},
                        max_attempts=max_attempts, next_attempt_at=now, created_at=now, updated_at=now))


def revoke(session: Session, award_id: str, reason: str, now: datetime | None = None) -> Award:
    """An instructor's revocation: the reason is required and kept; the status list is updated by a worker."""
    write_lock(session)
    check_reason(reason, "say why the award is revoked (the reason is kept with it)")
    award = session.get(Award, award_id)
    if award is None:
        raise NotFound("no award %(award_id)s", params={"award_id": award_id})
    if award.state == "revoked":
        raise LeadsError("award %(award_id)s is already revoked", code="already_revoked", status=409,
                         params={"award_id": award_id})
    _queue_revoke(session, award, reason.strip(), now or utcnow())
    session.flush()
    return award


def reissue(session: Session, award_id: str, now: datetime | None = None, *,
            reason: str = "replaced by a re-issued credential", notice: str | None = None) -> Job:
    """Issue an award again: after a failure; or a new credential replacing the current one (which is revoked
    with ``reason``), e.g. after a name correction, a revocation made in error or a retired signing key.
    ``notice`` is told to the learner with the new credential (its e-mail)."""
    write_lock(session)
    now = now or utcnow()
    award = session.get(Award, award_id)
    if award is None:
        raise NotFound("no award %(award_id)s", params={"award_id": award_id})
    open_job = session.scalars(select(Job).where(Job.award_id == award_id, Job.kind == "issue",
                                                 Job.state.in_(("queued", "running")))).first()
    if open_job is not None:
        return open_job
    if award.credential_id is not None:
        if award.state != "revoked":
            session.add(Job(kind="revoke", award_id=award.id, state="queued", attempts=0, max_attempts=8,
                            payload={"reason": reason, "issue_key": award.issue_key,
                                     "credential_id": award.credential_id},
                            next_attempt_at=now, created_at=now, updated_at=now))
        award.generation += 1
        award.credential_id = award.issued_at = None
    award.state, award.revoked_at, award.revoke_reason = "pending", None, None
    payload: dict[str, Any] = {"reissue": award.generation, **({"notice": notice} if notice else {})}
    job = Job(kind="issue", award_id=award_id, payload=payload, state="queued", attempts=0,
              max_attempts=8, next_attempt_at=now, created_at=now, updated_at=now)
    session.add(job)
    session.flush()
    return job


def requeue_replaced(session: Session, award_keys: Sequence[str], reason: str, notice: str,
                     now: datetime | None = None) -> list[str]:
    """Re-issue the awards whose current credential is among ``award_keys`` (credential keys: ``<award>``,
    ``<award>-<generation>``, with a ``:<format>`` suffix for other formats), e.g. after their signing key was
    retired; awards revoked by an instructor stay revoked. The award ids re-queued."""
    ids: set[str] = set()
    for key in award_keys:
        base = key.split(":", 1)[0]
        for candidate in {base, base.rsplit("-", 1)[0]}:
            award = session.get(Award, candidate)
            if award is not None and award.issue_key == base:
                ids.add(award.id)
    done: list[str] = []
    for award_id in sorted(ids):
        award = session.get(Award, award_id)
        if award is None or award.state != "issued":
            continue
        reissue(session, award_id, now, reason=reason, notice=notice)
        done.append(award_id)
    return done


def request_edc(session: Session, award_id: str, now: datetime | None = None) -> Job:
    """The learner asks for the award's European Digital Credential: queue one ``edc`` job for the award's current
    credential (asking again returns the job already there; a failed one is queued again). A worker signs it."""
    write_lock(session)
    now = now or utcnow()
    award = session.get(Award, award_id, with_for_update=True)
    if award is None:
        raise NotFound("no award %(award_id)s", params={"award_id": award_id})
    state = standing.seen_states(session, [award]).get(award.id, award.state)  # its credential withdrawn: not issued
    if state != "issued":
        raise LeadsError("award %(award_id)s is %(state)s; an EDC is prepared for issued awards only",
                         code="not_issued", status=409, params={"award_id": award_id, "state": state})
    job = edc_jobs(session, [award]).get(award.id)
    if job is not None and job.state != "failed":
        return job
    job = Job(kind="edc", award_id=award.id, payload={"issue_key": award.issue_key}, state="queued", attempts=0,
              max_attempts=5, next_attempt_at=now, created_at=now, updated_at=now)
    session.add(job)
    session.flush()
    return job


def edc_jobs(session: Session, awards: Sequence[Award]) -> dict[str, Job]:
    """The latest ``edc`` job of each award's current credential (its payload names the EDC once done)."""
    keys = {a.id: a.issue_key for a in awards}
    out: dict[str, Job] = {}
    for chunk in _chunks(list(keys)):
        for job in session.scalars(select(Job).where(Job.kind == "edc", Job.award_id.in_(chunk)).order_by(Job.id)):
            if job.award_id and (job.payload or {}).get("issue_key") == keys[job.award_id]:
                out[job.award_id] = job
    return out


def job_dict(job: Job) -> dict[str, Any]:
    return {"id": job.id, "kind": job.kind, "award_id": job.award_id, "state": job.state, "attempts": job.attempts,
            "max_attempts": job.max_attempts, "next_attempt_at": job.next_attempt_at.isoformat(),
            "last_error": job.last_error, "updated_at": job.updated_at.isoformat()}


def award_dict(award: Award) -> dict[str, Any]:
    return {"id": award.id, "learner": award.learner, "learner_name": award.learner_name, "design": award.design,
            "achievement": award.achievement, "state": award.state, "credential_id": award.credential_id,
            "created_at": award.created_at.isoformat(),
            "issued_at": award.issued_at.isoformat() if award.issued_at else None,
            "revoked_at": award.revoked_at.isoformat() if award.revoked_at else None,
            "revoke_reason": award.revoke_reason, "generation": award.generation}


def record_all(session: Session, rules: AwardRules, grades: Iterable[GradeInput], **kw: Any) -> list[Outcome]:
    """One grade after the other, as they would arrive one by one."""
    return [record(session, rules, g, **kw) for g in grades]
