"""Who learners are and what courses are called, as the LMS says it, and the awards that wait for a name.

A credential names its holder: an award whose learner has no known name is kept in state ``needs_name`` with no
issuance job (never signed to an internal id such as ``moodle:8``). Every source that learns a name — a launch,
the course roster (NRPS) read by the poll, an LMS event, the instructor on the dashboard — calls
``remember_person``, which releases that learner's waiting awards to the workers in the same transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

from bridge.awards.tables import Award, Job, LmsContext, LmsPerson
from bridge.db.base import utcnow
from bridge.db.bulk import insert_rows, one_of, update_rows
from bridge.errors import LeadsError
from issuer.documents.names import name_problem, strip_name

log = logging.getLogger("leads.awards")
NEEDS_NAME = "needs_name"
ORIGINS = ("launch", "roster", "event", "instructor")


def learner_key(source: str, user_id: str) -> str:
    """The learner as every intake path names them: ``<source>:<LMS user id>``."""
    return f"{source}:{quote(user_id, safe='')}"


def clean_name(name: object) -> str | None:
    """A name an LMS sent, through the one name rule (``issuer.documents.names``): refusing it would lose the
    learner's awards, so the characters a certificate may not carry (text-direction overrides, control characters)
    are removed and the removal logged. Before, they were kept, and signing refused the award eight times."""
    if not isinstance(name, str):
        return None
    cleaned, note = strip_name(name)
    if note:
        log.warning("a name from the LMS: %s", note)
    return " ".join(cleaned.split()) or None


Known = tuple[str, str | None, str]  # a stored person: name, e-mail, origin


def _email(email: object) -> str | None:
    return str(email).strip()[:300] if isinstance(email, str) and "@" in email else None


def _kept(known: Known | None, clean: str, mail: str | None, origin: str) -> tuple[str, str | None, bool]:
    """The name and e-mail kept for a learner told ``clean`` and ``mail`` by ``origin``, and whether that changes
    what is stored: an e-mail is not lost to a source that shares none. The LMS's name replaces one an instructor
    gave (rows stored before instructors' names were kept per course, ``set_name_by_instructor``)."""
    if known is None:
        return clean, mail, True
    name, email, was = known
    mail = mail or email
    return clean, mail, (name, email, was) != (clean, mail, origin)  # a learner's every launch repeats it


def remember_person(session: Session, learner: str, name: object, email: object = None, *, origin: str,
                    now: datetime | None = None) -> int:
    """Keep the learner's name; release the learner's awards that waited for it. Returns how many were released."""
    return remember_people(session, [(learner, name, email)], origin=origin, now=now)


ROSTER_CHUNK = 1_000  # people per round of statements: a roster of 100,000 in a hundred rounds, not 200,000 statements


def remember_people(session: Session, people: Iterable[tuple[str, object, object]], *, origin: str,
                    now: datetime | None = None) -> int:
    """Many at once (a course roster, read again every poll): ``(learner, name, email)`` each. A thousand at a time:
    one read of who is known, one insert of the new, one update of the changed, one read of the awards waiting for
    a name (usually none). Returns how many awards were released."""
    if origin not in ORIGINS:
        raise ValueError(origin)
    now = now or utcnow()
    released, batch = 0, dict[str, tuple[str, str | None]]()
    for learner, name, email in people:
        clean = clean_name(name)
        if clean is None:
            continue
        batch[learner] = (clean, _email(email))
        if len(batch) >= ROSTER_CHUNK:
            released += _remember(session, batch, origin, now)
            batch = {}
    return released + (_remember(session, batch, origin, now) if batch else 0)


def _remember(session: Session, batch: Mapping[str, tuple[str, str | None]], origin: str, now: datetime) -> int:
    learners = sorted(batch)
    known: dict[str, Known] = {row[0]: (row[1], row[2], row[3]) for row in session.execute(
        select(LmsPerson.learner, LmsPerson.name, LmsPerson.email, LmsPerson.origin)
        .where(one_of(session, LmsPerson.learner, learners)))}
    names: dict[str, tuple[str, str | None]] = {}
    new: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    for learner in learners:
        name, mail, differs = _kept(known.get(learner), *batch[learner], origin)
        names[learner] = (name, mail)
        if differs:
            row = dict(learner=learner, name=name, email=mail, origin=origin, updated_at=now)
            (changed if learner in known else new).append(row)
    insert_rows(session, LmsPerson, new, skip_conflicts=True)
    update_rows(session, LmsPerson, "learner", changed)
    waiting = sorted(set(session.scalars(select(Award.learner).where(one_of(session, Award.learner, learners),
                                                                      Award.state == NEEDS_NAME))))
    return _release(session, waiting, names, now) if waiting else 0


def names_of(session: Session, learners: Sequence[str]) -> dict[str, tuple[str, str | None]]:
    out: dict[str, tuple[str, str | None]] = {}
    for i in range(0, len(learners), 500):
        for p in session.scalars(select(LmsPerson).where(one_of(session, LmsPerson.learner, learners[i:i + 500]))):
            out[p.learner] = (p.name, p.email)
    return out


def _release(session: Session, learners: Sequence[str], names: Mapping[str, tuple[str, str | None]],
             now: datetime) -> int:
    return sum(_release_awards(session, learner, *names[learner], now) for learner in learners)


def _release_awards(session: Session, learner: str, name: str, email: str | None, now: datetime,
                    *where: ColumnElement[bool]) -> int:
    """The learner's awards waiting for a name (and matching ``where``) named and queued for the workers."""
    rows = session.execute(
        update(Award).where(Award.learner == learner, Award.state == NEEDS_NAME, *where)
        .values(state="pending", learner_name=name, learner_email=email)
        .returning(Award.id).execution_options(synchronize_session=False)).scalars().all()
    session.add_all(Job(kind="issue", award_id=award_id, payload={}, state="queued", attempts=0, max_attempts=8,
                        next_attempt_at=now, created_at=now, updated_at=now) for award_id in rows)
    return len(rows)


def set_name_by_instructor(session: Session, award: Award, name: str, email: str | None = None,
                           now: datetime | None = None) -> int:
    """The instructor names the learner of an award: that learner's awards of this course waiting for a name follow,
    and this course's later awards take the name too (``course_names_of``). Nothing beyond the course: the name was
    once kept as the learner's own, so an instructor of one course set the name on certificates of every other
    course, and no launch could correct it."""
    if not name.strip():
        raise LeadsError("give the learner's full name as it should appear on the certificate",
                         code="name_required", status=422)
    problem = name_problem(name)
    if problem:
        raise LeadsError("the learner's name: %(problem)s", code="invalid_name", status=422,
                         params={"problem": problem})
    return _release_awards(session, award.learner, " ".join(name.split()), _email(email), now or utcnow(),
                           Award.context == award.context)


def course_names_of(session: Session,
                    pairs: Iterable[tuple[str, str | None]]) -> dict[tuple[str, str], tuple[str, str | None]]:
    """(learner, course) → the name and e-mail the learner's latest named award of that course carries: what an
    instructor gave, for the learner's next award in that course when the LMS still shares no name."""
    wanted = sorted({(learner, context) for learner, context in pairs if context})
    out: dict[tuple[str, str], tuple[str, str | None]] = {}
    for i in range(0, len(wanted), 500):
        chunk = wanted[i:i + 500]
        rows = session.execute(
            select(Award.learner, Award.context, Award.learner_name, Award.learner_email)
            .where(one_of(session, Award.learner, sorted({learner for learner, _ in chunk})),
                   Award.learner_name.is_not(None))
            .order_by(Award.created_at, Award.id))
        for learner, context, name, email in rows:
            if (learner, context) in chunk and context is not None and name:
                out[(learner, context)] = (name, email)
    return out


# -- course titles --------------------------------------------------------------------------------------------


def remember_context(session: Session, context: str, title: object, now: datetime | None = None) -> None:
    clean = " ".join(str(title).split())[:500] if isinstance(title, str) else ""
    if not context or not clean:
        return
    row = session.get(LmsContext, context)
    if row is None:
        session.add(LmsContext(context=context, title=clean, updated_at=now or utcnow()))
    elif row.title != clean:
        row.title, row.updated_at = clean, now or utcnow()


def titles_of(session: Session, contexts: Iterable[str | None]) -> dict[str, str]:
    wanted = sorted({c for c in contexts if c})
    out: dict[str, str] = {}
    for i in range(0, len(wanted), 500):
        for row in session.scalars(select(LmsContext).where(LmsContext.context.in_(wanted[i:i + 500]))):
            out[row.context] = row.title
    return out


def context_title(claims: Mapping[str, Any]) -> str | None:
    """The course title of a launch: the context claim's ``title``, else its ``label``."""
    context = claims.get("https://purl.imsglobal.org/spec/lti/claim/context")
    if not isinstance(context, Mapping):
        return None
    for key in ("title", "label"):
        value = context.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None
