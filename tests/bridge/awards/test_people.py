"""The names LEADS keeps for learners: a launch that repeats what is kept writes nothing; an instructor's
correction is not overwritten by the LMS."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from bridge.awards import people
from bridge.awards.tables import Award, LmsPerson
from bridge.db import Database
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


def test_an_instructor_s_correction_stays_until_the_instructor_changes_it(db: Database) -> None:
    with db.session() as session:
        people.remember_person(session, "moodle:8", "Bob", None, origin="launch")
        people.remember_person(session, "moodle:8", "Robert Smith", None, origin="instructor")
    with db.session() as session:
        people.remember_person(session, "moodle:8", "Bob", None, origin="launch")
    assert _person(db, "moodle:8").name == "Robert Smith"
    with db.session() as session:
        people.remember_person(session, "moodle:8", "Robert J. Smith", None, origin="instructor")
    assert _person(db, "moodle:8").name == "Robert J. Smith"


def test_a_roster_costs_a_few_statements_a_thousand_people_and_keeps_every_rule(db: Database) -> None:
    """A MOOC's roster is read again at every poll: 2,500 people are three rounds of four statements (it was two
    statements a person: 5,000), with the rules of one person kept: an instructor's correction stays, an e-mail is
    not lost to a source that shares none, a changed name is written, and awards waiting for a name are released."""
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
    assert kept == {"moodle:1": ("Dr. One", None, "instructor"),
                    "moodle:2": ("Learner 2", "l2@example.org", "roster"),
                    "moodle:3": ("Three Renamed", "l3@example.org", "roster"),
                    "moodle:2499": ("Learner 2499", "l2499@example.org", "roster")}
    assert (waiting.state, waiting.learner_name) == ("pending", "Learner 2")
