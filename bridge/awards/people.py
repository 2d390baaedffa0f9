"""Who learners are and what courses are called, as the LMS says it, and the awards that wait for a name.

A credential names its holder: an award whose learner has no known name is kept in state ``needs_name`` with no
issuance job (never signed to an internal id such as ``moodle:8``). Every source that learns a name — a launch,
the course roster (NRPS) read by the poll, an LMS event, the instructor on the dashboard — calls
``remember_person``, which releases that learner's waiting awards to the workers in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bridge.awards.tables import Award, Job, LmsContext, LmsPerson
from bridge.db.base import utcnow
from bridge.db.bulk import one_of
from bridge.errors import LeadsError

NEEDS_NAME = "needs_name"
ORIGINS = ("launch", "roster", "event", "instructor")


def learner_key(source: str, user_id: str) -> str:
    """The learner as every intake path names them: ``<source>:<LMS user id>``."""
    return f"{source}:{quote(user_id, safe='')}"


def clean_name(name: object) -> str | None:
    text = " ".join(str(name).split()) if isinstance(name, str) else ""
    return text[:300] or None


def remember_person(session: Session, learner: str, name: object, email: object = None, *, origin: str,
                    now: datetime | None = None) -> int:
    """Keep the learner's name (an instructor's correction is not overwritten by the LMS); release the
    learner's awards that waited for it. Returns how many awards were released."""
    if origin not in ORIGINS:
        raise ValueError(origin)
    clean = clean_name(name)
    if clean is None:
        return 0
    mail = str(email).strip()[:300] if isinstance(email, str) and "@" in email else None
    now = now or utcnow()
    person = session.get(LmsPerson, learner)
    if person is None:
        session.add(LmsPerson(learner=learner, name=clean, email=mail, origin=origin, updated_at=now))
    elif person.origin != "instructor" or origin == "instructor":
        mail = mail or person.email
        if (person.name, person.email, person.origin) != (clean, mail, origin):  # a learner's every launch repeats it
            person.name, person.email, person.origin, person.updated_at = clean, mail, origin, now
    else:
        clean, mail = person.name, person.email
    return _release(session, [learner], {learner: (clean, mail)}, now)


def remember_people(session: Session, people: Iterable[tuple[str, object, object]], *, origin: str) -> int:
    """Many at once (a roster): ``(learner, name, email)`` each."""
    return sum(remember_person(session, learner, name, email, origin=origin) for learner, name, email in people)


def names_of(session: Session, learners: Sequence[str]) -> dict[str, tuple[str, str | None]]:
    out: dict[str, tuple[str, str | None]] = {}
    for i in range(0, len(learners), 500):
        for p in session.scalars(select(LmsPerson).where(one_of(session, LmsPerson.learner, learners[i:i + 500]))):
            out[p.learner] = (p.name, p.email)
    return out


def _release(session: Session, learners: Sequence[str], names: Mapping[str, tuple[str, str | None]],
             now: datetime) -> int:
    released = 0
    for learner in learners:
        name, email = names[learner]
        rows = session.execute(
            update(Award).where(Award.learner == learner, Award.state == NEEDS_NAME)
            .values(state="pending", learner_name=name, learner_email=email)
            .returning(Award.id).execution_options(synchronize_session=False)).scalars().all()
        session.add_all(Job(kind="issue", award_id=award_id, payload={}, state="queued", attempts=0, max_attempts=8,
                            next_attempt_at=now, created_at=now, updated_at=now) for award_id in rows)
        released += len(rows)
    return released


def set_name_by_instructor(session: Session, award: Award, name: str, email: str | None = None) -> int:
    """The instructor names the learner of an award (all their waiting awards follow)."""
    if clean_name(name) is None:
        raise LeadsError("give the learner's full name as it should appear on the certificate",
                         code="name_required", status=422)
    return remember_person(session, award.learner, name, email or None, origin="instructor")


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
