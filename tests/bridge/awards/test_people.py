"""The names LEADS keeps for learners: a launch that repeats what is kept writes nothing; an instructor's
correction is not overwritten by the LMS."""

from __future__ import annotations

from datetime import datetime

from bridge.awards import people
from bridge.awards.tables import LmsPerson
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
