"""The latest LMS grade counts (a score back at an earlier value is no replay), one unusable result does not stop a
course's poll, and the CSV import reads what spreadsheets write."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event, select

from bridge.awards import csvimport, intake, service
from bridge.awards.rules import AwardPolicy
from bridge.awards.tables import Award, GradeEvent
from bridge.dataspace import service as dataspace
from bridge.db import Database, make_database, upgrade
from bridge.errors import ValidationFailed
from bridge.settings import AwardSettings
from tests.bridge.awards.test_csv_and_ags import count
from tests.conftest import _postgres_database

STACK = "glam-archive-to-commons-certificate"
QUIZ = "glam-as-rights-quiz"
ITEM = "https://moodle.example.org/mod/lti/services.php/2/lineitems/7/lineitem?type_id=1"


class Gradebook:
    """One LEADS line item and its results, as Moodle's AGS returns them."""

    def __init__(self, results: list[dict[str, Any]]) -> None:
        self.rows = results

    def line_items(self, **filters: str) -> list[dict[str, Any]]:
        return [{"id": ITEM, "resourceId": QUIZ, "scoreMaximum": 100}]

    def results(self, line_item_url: str, user_id: str | None = None) -> list[dict[str, Any]]:
        return [dict(r) for r in self.rows if user_id is None or r["userId"] == user_id]


def poll(db: Database, book: Gradebook, cfg: AwardSettings) -> intake.Polled:
    return intake.poll_context(db, book, design="glam-mc-rights", source="ags:moodle", context="moodle:2",
                               learner_of=lambda u: f"moodle:{u}", cfg=cfg)


def missing(db: Database) -> list[str]:
    with db.session() as session:
        decision = service.evaluate(session, service.load_rules(session), "moodle:8", "glam-mc-rights")
    return [m.text() for m in decision.missing]


@pytest.mark.parametrize("revoke", [False, True])
def test_a_score_corrected_back_to_an_earlier_value_counts(loaded: Database, revoke: bool) -> None:
    cfg = AwardSettings(revoke_on_lower_grade=revoke)
    book = Gradebook([{"userId": "8", "resultScore": 80, "resultMaximum": 100}])
    steps = []
    for score in (80, 40, 80, 80):  # passes; mis-keyed to 40; corrected back; read again unchanged
        book.rows[0]["resultScore"] = score
        polled = poll(loaded, book, cfg)
        steps.append((polled.grades - polled.duplicates, polled.duplicates))
    assert steps == [(1, 0), (1, 0), (1, 0), (0, 1)]
    assert count(loaded, GradeEvent) == 3 and missing(loaded) == []


def test_a_poll_reads_each_learners_latest_grade_in_one_query_per_500_learners(loaded: Database) -> None:
    book = Gradebook([{"userId": str(u), "resultScore": 90, "resultMaximum": 100} for u in range(1200)])
    poll(loaded, book, AwardSettings())
    statements: list[str] = []

    def seen(*args: Any) -> None:
        statements.append(str(args[2]))

    engine = loaded.engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        again = poll(loaded, book, AwardSettings())
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert (again.grades, again.duplicates) == (1200, 1200) and count(loaded, GradeEvent) == 1200
    assert len(statements) < 25, statements  # a handful per 500 learners, never one per result


def test_an_unusable_result_is_skipped_and_named_the_others_are_recorded(loaded: Database) -> None:
    rows = [{"userId": str(u), "resultScore": 90, "resultMaximum": 100} for u in range(10, 40)]
    rows.insert(15, {"userId": "7", "resultScore": -5, "resultMaximum": 100})  # a penalty grade in the gradebook
    rows.insert(3, {"userId": "6", "resultScore": 5, "resultMaximum": 0})
    polled = poll(loaded, Gradebook(rows), AwardSettings())
    assert polled.grades == 30 and count(loaded, GradeEvent) == 30 and count(loaded, Award) == 30
    assert polled.skipped == 2
    named = {(s.learner, s.line_item, s.score, s.maximum) for s in polled.skipped_results}
    assert named == {("moodle:7", ITEM, -5.0, 100.0), ("moodle:6", ITEM, 5.0, 0.0)}
    again = poll(loaded, Gradebook(rows), AwardSettings())  # the next pass is not stopped either
    assert (again.duplicates, again.skipped) == (30, 2)


def test_a_poll_report_names_the_skipped_results(loaded: Database) -> None:
    report = intake.PollReport("moodle:2", "GLAM", "glam-mc-rights")
    polled = poll(loaded, Gradebook([{"userId": "7", "resultScore": -5, "resultMaximum": 100}]), AwardSettings())
    intake.note_skipped(report, polled)
    assert "1 result(s) skipped" in report.text() and "moodle:7" in report.text() and ITEM in report.text()


def test_a_claim_skips_an_unusable_result(loaded: Database) -> None:
    book = Gradebook([{"userId": "7", "resultScore": 5, "resultMaximum": 0}])
    result = intake.claim(loaded, book, learner="moodle:7", user_id="7", design="glam-mc-rights",
                          source="ags:moodle", context="moodle:2", cfg=AwardSettings())
    assert result.awards == [] and [s.learner for s in result.skipped] == ["moodle:7"]


def test_a_csv_score_corrected_back_counts(loaded: Database) -> None:
    cfg = AwardSettings(revoke_on_lower_grade=True)
    states = []
    for score in (8, 3, 8):
        csvimport.import_text(loaded, cfg=cfg, text="learner,design,assessment,score,maximum,name\n"
                              f"ada,glam-mc-rights,{QUIZ},{score},10,Ada\n")
        with loaded.session() as session:
            decision = service.evaluate(session, service.load_rules(session), "ada", "glam-mc-rights")
        states.append(not decision.missing)
    assert states == [True, False, True] and count(loaded, GradeEvent) == 3


def test_a_csv_keeps_all_or_nothing_for_unusable_scores(loaded: Database) -> None:
    with pytest.raises(ValidationFailed):
        csvimport.import_text(loaded, cfg=AwardSettings(), text="learner,design,assessment,score,maximum\n"
                              f"ada,{STACK},{QUIZ},8,10\nbob,{STACK},{QUIZ},-1,10\n")
    assert count(loaded, GradeEvent) == 0


@pytest.mark.parametrize(("row", "values"), [(",late submission", 6), (",a,b,", 7)])
def test_a_csv_row_with_more_values_than_the_header_is_a_problem(loaded: Database, row: str, values: int) -> None:
    text = f"learner,design,assessment,score,maximum\nada,{STACK},{QUIZ},8,10\nbob,{STACK},{QUIZ},8,10{row}\n"
    with pytest.raises(ValidationFailed) as exc:
        csvimport.import_text(loaded, cfg=AwardSettings(), text=text, dry_run=True)
    assert [str(p) for p in exc.value.problems] == [f"line 3 · row: line 3 has {values} values, the header has 5"]


def test_a_csv_row_with_empty_trailing_fields_is_read(loaded: Database) -> None:
    text = f"learner,design,assessment,score,maximum\nada,{STACK},{QUIZ},8,10,\nbob,{STACK},{QUIZ},8,10,,\n"
    report = csvimport.import_text(loaded, cfg=AwardSettings(), text=text, dry_run=True)
    assert report.rows == 2


@pytest.mark.parametrize("sep", [";", "\t"])
def test_a_csv_from_excel_in_another_locale_is_read(loaded: Database, sep: str) -> None:
    """Excel in German, French or Spanish writes ``;`` between fields (and a decimal comma), with a BOM."""
    header = sep.join(["learner", "design", "assessment", "score", "maximum", "name"])
    text = f"\ufeff{header}\nada{sep}{STACK}{sep}{QUIZ}{sep}7,5{sep}10{sep}Ada\n"
    report = csvimport.import_text(loaded, cfg=AwardSettings(), text=text)
    assert report.rows == 1
    with loaded.session() as session:
        assert session.scalars(select(GradeEvent.percent)).one() == 75.0


def _grade(score: float) -> service.GradeInput:
    return service.GradeInput(source="ags:moodle", learner="moodle:9", learner_name="Ada Lovelace",
                              design="glam-mc-rights", assessment=QUIZ, score=score, maximum=100,
                              event_id=f"ags:{score}", context="moodle:2", replay="latest")


def _record(db: Database, score: float) -> Award:
    policy = AwardPolicy(revoke_on_lower_grade=True)
    with db.session() as session:
        service.record_many(session, service.load_rules(session, policy), [_grade(score)], policy=policy)
    with db.session() as session:
        award = session.scalars(select(Award).where(Award.learner == "moodle:9")).one()
        session.expunge(award)
        return award


def test_an_award_a_lower_grade_revoked_comes_back_when_the_grade_is_corrected(loaded: Database) -> None:
    from bridge.awards.tables import Job

    award = _record(loaded, 80)
    with loaded.session() as session:  # as the worker leaves it once signed
        stored = session.get(Award, award.id)
        assert stored is not None
        stored.state, stored.credential_id = "issued", "urn:uuid:c1"
        for job in session.scalars(select(Job).where(Job.award_id == award.id)):
            job.state = "done"
    revoked = _record(loaded, 40)
    assert revoked.state == "revoked" and (revoked.revoke_reason or "").startswith("automatic: ")
    back = _record(loaded, 80)
    assert back.state == "pending" and back.credential_id is None and back.generation == award.generation + 1
    with loaded.session() as session:
        jobs = {(j.kind, j.state): j.payload for j in session.scalars(select(Job).where(Job.award_id == award.id))}
    # the revoke job names the credential the lower grade took away: run after the new one is signed, it leaves
    # that one alone
    assert jobs[("revoke", "queued")]["credential_id"] == "urn:uuid:c1"
    assert "corrected" in jobs[("issue", "queued")]["notice"]


def test_an_instructors_revocation_does_not_come_back_with_a_better_grade(loaded: Database) -> None:
    award = _record(loaded, 80)
    with loaded.session() as session:
        service.revoke(session, award.id, "plagiarism found")
    assert _record(loaded, 95).state == "revoked"


@pytest.fixture
def unanalysed() -> Iterator[Database]:
    """A PostgreSQL database of its own with the data space, whose grade table gets no statistics (autovacuum off)."""
    for url in _postgres_database():
        db = make_database(url)
        upgrade(db)
        dataspace.store(db, dataspace.read_design_set_file(dataspace.SAMPLE_DESIGN_SET))
        with db.statement() as conn:
            conn.exec_driver_sql("ALTER TABLE grade_events SET (autovacuum_enabled = false)")
        yield db
        db.engine.dispose()


@pytest.mark.postgres
def test_reading_the_latest_grades_never_compares_each_grade_with_each_learner(unanalysed: Database) -> None:
    """A course's grades arrive faster than PostgreSQL gathers statistics. With the source in the query, the planner
    of a table it thought small took the (source, event_id) index and compared every grade of that source with
    each learner of the page: 6.8 s a page at 125,000 grades (found by make bench's 100,000-learner AGS poll)."""
    with unanalysed.statement() as conn:
        conn.exec_driver_sql(
            "INSERT INTO grade_events (source, event_id, kind, learner, design, assessment, score, maximum, percent, "
            "occurred_at, received_at, payload) SELECT 'ags:moodle', 'r' || g, 'score', 'moodle:' || mod(g, 30000), "
            "'glam-mc-rights', 'https://moodle.example.org/q' || mod(g, 2), 80, 100, 80, now(), now(), '{}' "
            "FROM generate_series(1, 60000) AS g")
    reads: list[tuple[str, Any]] = []

    def seen(_conn: object, _cursor: object, statement: str, parameters: Any, *_args: object) -> None:
        if statement.lstrip().startswith("SELECT grade_events.source"):
            reads.append((statement, parameters))

    event.listen(unanalysed.engine, "before_cursor_execute", seen)
    try:
        poll(unanalysed, Gradebook([{"userId": str(u), "resultScore": 90, "resultMaximum": 100} for u in range(400)]),
             AwardSettings())
    finally:
        event.remove(unanalysed.engine, "before_cursor_execute", seen)
    assert reads
    with unanalysed.statement() as conn:
        for statement, parameters in reads:
            plan = json.dumps(conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters).scalar())
            # an index scan by learner, or one pass over the table hashed against the page's learners: never
            # every grade compared with every learner
            assert "uq_grade_events_source_event" not in plan and "Join Filter" not in plan, plan


@pytest.mark.parametrize(("context", "named"), [("moodle:2", True), ("moodle:3", False)])
def test_a_learner_an_instructor_named_in_this_course_is_named_on_its_next_award(
        loaded: Database, context: str, named: bool) -> None:
    """The name an instructor gave stays in the instructor's course: elsewhere the award waits for the LMS's."""
    with loaded.session() as session:
        session.add(Award(learner="moodle:8", design="other", achievement="x", context=context, state="issued",
                          learner_name="Robert Smith"))
    poll(loaded, Gradebook([{"userId": "8", "resultScore": 95, "resultMaximum": 100}]), AwardSettings())
    with loaded.session() as session:
        award = session.scalars(select(Award).where(Award.learner == "moodle:8",
                                                    Award.design == "glam-mc-rights")).one()
    assert (award.state, award.learner_name) == (("pending", "Robert Smith") if named else ("needs_name", None))
