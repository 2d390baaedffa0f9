"""The names LEADS keeps for learners: a launch that repeats what is kept writes nothing; a name the LMS sends passes
the one name rule; an instructor's name reaches only the awards of the instructor's own course."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.awards import people
from bridge.awards.tables import Award, LmsPerson
from bridge.db import Database
from bridge.errors import LeadsError
from tests.bridge.db.sent import sent_to


def _person(db: Database, learner: str) -> LmsPerson:
    with db.session() as session:
        person = session.get(LmsPerson, learner)
        assert person is not None
        return person


def test_a_repeated_name_is_not_written_again_and_a_new_one_is(db: Database) -> None:
    first, later = datetime(2026, 3, 1), datetime(2026, 3, 2)
    with db.session() as session:
        people.remember_person(session, "moodle:7", "Ada Lovelace", "ada@example.org", origin="launch", now=first)
    with sent_to(db) as sent, db.session() as session:  # the learner launches again: same name, no address this time
        people.remember_person(session, "moodle:7", " Ada  Lovelace ", None, origin="launch", now=later)
    assert not [s for s in sent.statements if "lms_people" in s and s.startswith(("UPDATE", "INSERT"))]
    kept = _person(db, "moodle:7")
    assert (kept.name, kept.email) == ("Ada Lovelace", "ada@example.org")
    assert kept.updated_at.replace(tzinfo=None) == first
    with sent_to(db) as sent, db.session() as session:  # the LMS now says otherwise
        people.remember_person(session, "moodle:7", "Ada King", None, origin="launch", now=later)
    assert len([s for s in sent.statements if s.startswith("UPDATE lms_people")]) == 1
    kept = _person(db, "moodle:7")
    assert (kept.name, kept.email, kept.updated_at.replace(tzinfo=None)) == ("Ada King", "ada@example.org", later)


def test_the_lms_name_replaces_one_an_instructor_gave_before_names_were_kept_per_course(db: Database) -> None:
    with db.session() as session:
        people.remember_person(session, "moodle:8", "Robert Smith", None, origin="instructor")  # an older row
        people.remember_person(session, "moodle:8", "Bob Smith", None, origin="launch")
    assert (_person(db, "moodle:8").name, _person(db, "moodle:8").origin) == ("Bob Smith", "launch")


def _waiting(session: Session, learner: str, context: str) -> Award:
    award = Award(learner=learner, design="d", achievement=f"a-{context}", context=context, state=people.NEEDS_NAME)
    session.add(award)
    session.flush()
    return award


def test_an_instructor_names_a_learner_for_her_own_course_only(db: Database) -> None:
    """Before, the name was kept as the learner's own: the instructor of c1 set the name printed on the learner's
    certificates of c2, and no launch could correct it."""
    with db.session() as session:
        mine = _waiting(session, "moodle:9", "c1")
        _waiting(session, "moodle:9", "c2")
        assert people.set_name_by_instructor(session, mine, "  Mallory   Impostor ", None) == 1
    with db.session() as session:
        states = {a.context: (a.state, a.learner_name) for a in session.scalars(select(Award))}
        assert states == {"c1": ("pending", "Mallory Impostor"), "c2": (people.NEEDS_NAME, None)}
        assert session.get(LmsPerson, "moodle:9") is None
        assert people.course_names_of(session, [("moodle:9", "c1"), ("moodle:9", "c2")]) == {
            ("moodle:9", "c1"): ("Mallory Impostor", None)}
    with db.session() as session:  # the learner's own launch names c2's award; c1's keeps what was signed
        assert people.remember_person(session, "moodle:9", "Bob Smith", None, origin="launch") == 1
        assert {a.context: a.learner_name for a in session.scalars(select(Award))} == {
            "c1": "Mallory Impostor", "c2": "Bob Smith"}


@pytest.mark.parametrize("name", ["Bob \u202eexe.live\u202c", "Bob\x07\x1b[31m", "B" * 301])
def test_an_instructor_s_name_passes_the_one_name_rule(db: Database, name: str) -> None:
    with db.session() as session:
        award = _waiting(session, "moodle:10", "c1")
        with pytest.raises(LeadsError) as refused:
            people.set_name_by_instructor(session, award, name, None)
    assert (refused.value.code, refused.value.status) == ("invalid_name", 422)


def test_a_name_the_lms_sends_loses_what_a_certificate_may_not_carry(db: Database) -> None:
    """Kept as sent, it released the award and signing refused it eight times: the learner got no certificate."""
    with db.session() as session:
        _waiting(session, "moodle:11", "c1")
        people.remember_person(session, "moodle:11", "Ada \u202eexe.live\u202c " + "x" * 400, None, origin="launch")
    with db.session() as session:
        award = session.scalars(select(Award).where(Award.learner == "moodle:11")).one()
    assert award.state == "pending" and award.learner_name is not None
    assert award.learner_name.startswith("Ada exe.live") and "\u202e" not in award.learner_name
    assert len(award.learner_name) <= 300


def test_a_roster_costs_a_few_statements_a_thousand_people_and_keeps_every_rule(db: Database) -> None:
    """A MOOC's roster is read again at every poll: 2,500 people are three rounds of four statements (it was two
    statements a person: 5,000), with the rules of one person kept: an e-mail is not lost to a source that shares
    none, a changed name is written, and awards waiting for a name are released."""
    now = datetime(2026, 12, 1, tzinfo=UTC)
    roster = [(f"moodle:{i}", f"Learner {i}", f"l{i}@example.org") for i in range(2_500)]
    with db.session() as session:
        people.remember_person(session, "moodle:1", "Dr. One", None, origin="instructor", now=now)
        session.add(Award(learner="moodle:2", design="d", achievement="a", context="c", state=people.NEEDS_NAME))
    with sent_to(db) as sent, db.session() as session:
        released = people.remember_people(session, roster, origin="roster", now=now)
    assert released == 1
    assert len([s for s in sent.statements if "lms_people" in s or "awards" in s]) <= 3 * 4 + 2, len(sent.statements)
    later = [(learner, name if learner != "moodle:3" else "Three Renamed", None) for learner, name, _ in roster]
    with sent_to(db) as again, db.session() as session:
        assert people.remember_people(session, later, origin="roster", now=now) == 0
    assert len(again.statements) <= 3 * 4 + 2, len(again.statements)
    with db.session() as session:
        kept = {p.learner: (p.name, p.email, p.origin) for p in session.scalars(
            select(LmsPerson).where(LmsPerson.learner.in_(["moodle:1", "moodle:2", "moodle:3", "moodle:2499"])))}
        waiting = session.scalars(select(Award).where(Award.learner == "moodle:2")).one()
    assert kept == {"moodle:1": ("Learner 1", "l1@example.org", "roster"),
                    "moodle:2": ("Learner 2", "l2@example.org", "roster"),
                    "moodle:3": ("Three Renamed", "l3@example.org", "roster"),
                    "moodle:2499": ("Learner 2499", "l2499@example.org", "roster")}
    assert (waiting.state, waiting.learner_name) == ("pending", "Learner 2")
