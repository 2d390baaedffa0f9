"""CSV import (dry run = the same decisions, nothing stored; all rows or none) and the AGS results reader."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from typer.testing import CliRunner

from bridge.awards import csvimport, intake, service
from bridge.awards.service import GradeInput
from bridge.awards.tables import Award, GradeEvent, Job
from bridge.db import Database
from bridge.errors import ValidationFailed
from bridge.settings import AwardSettings

STACK = "glam-archive-to-commons-certificate"
CFG = AwardSettings()  # what the composition root hands the award domain: the defaults here
GOOD = f"""learner,design,assessment,score,maximum,name,email
ada,{STACK},glam-as-rights-quiz,8,10,Ada Lovelace,ada@example.org
ada,{STACK},glam-as-digitisation-portfolio,60,100,Ada Lovelace,ada@example.org
ada,{STACK},glam-as-upload-project,0.75,1,Ada Lovelace,ada@example.org
grace,{STACK},glam-as-rights-quiz,6,10,Grace Hopper,
"""


def count(db: Database, model: Any) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_dry_run_reports_the_decisions_and_stores_nothing(loaded: Database) -> None:
    report = csvimport.import_text(loaded, cfg=CFG, text=GOOD, dry_run=True)
    assert report.lines()[0].startswith("DRY RUN — nothing stored. 4 row(s), 2 learner(s)")
    assert dict(report.awards) == {"glam-mc-rights": 1, "glam-mc-digitisation": 1, "glam-mc-commons-upload": 1,
                                   STACK: 1}
    assert count(loaded, GradeEvent) == count(loaded, Award) == count(loaded, Job) == 0


def test_import_stores_and_a_second_import_is_a_replay(loaded: Database) -> None:
    first = csvimport.import_text(loaded, cfg=CFG, text=GOOD)
    assert sum(first.awards.values()) == 4 and count(loaded, Job) == 4
    with loaded.session() as session:
        ada = service.awards_of(session, "ada", STACK)
        assert {a.learner_name for a in ada} == {"Ada Lovelace"}
    second = csvimport.import_text(loaded, cfg=CFG, text=GOOD)
    assert second.duplicates == 4 and not second.awards and count(loaded, GradeEvent) == 4


def test_every_bad_row_is_named_and_nothing_is_imported(loaded: Database) -> None:
    bad = GOOD + f"bob,{STACK},glam-as-rights-quiz,lots,10,,\n" + f"eve,{STACK},no-such-assessment,1,1,,\n" \
        + f"max,{STACK},glam-as-rights-quiz,5,0,,\n"
    with pytest.raises(ValidationFailed) as exc:
        csvimport.import_text(loaded, cfg=CFG, text=bad)
    where = {(p.entity, p.property) for p in exc.value.problems}
    assert ("line 6", "score") in where
    with pytest.raises(ValidationFailed) as exc:
        csvimport.import_text(loaded, cfg=CFG, text=GOOD + f"eve,{STACK},no-such-assessment,1,1,,\n"
                              + f"max,{STACK},glam-as-rights-quiz,5,0,,\n")
    messages = {p.entity: p.message for p in exc.value.problems}
    assert "not an assessment" in messages["line 6"] and "maximum" in messages["line 7"]
    assert count(loaded, GradeEvent) == 0


def test_header_must_have_the_columns(loaded: Database) -> None:
    with pytest.raises(ValidationFailed, match="header"):
        csvimport.import_text(loaded, cfg=CFG, text="learner,score\nada,1\n")


def test_a_field_csv_cannot_read_is_a_named_problem_not_a_traceback() -> None:
    text = "learner,design,assessment,score,maximum\nada," + "x" * 140_000 + ",quiz,1,1\n"
    with pytest.raises(ValidationFailed, match="cannot be read") as refused:
        csvimport.parse(text, "csv")
    assert "field larger than field limit" in str(refused.value.problems[0])


def test_cli_import_dry_run(loaded: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bridge.cli import awards as cli_awards
    from bridge.cli import common

    monkeypatch.setattr(common, "database", lambda: loaded)
    monkeypatch.setattr(cli_awards, "database", lambda: loaded)
    path = tmp_path / "grades.csv"
    path.write_text(GOOD, encoding="utf-8")
    result = CliRunner().invoke(cli_awards.app, ["import", str(path), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "DRY RUN" in result.output and "would award 1 × glam-archive-to-commons-certificate" in result.output
    missing = CliRunner().invoke(cli_awards.app, ["import", str(tmp_path / "nope.csv")])
    assert missing.exit_code == 2 and "no such file" in missing.output
    assert count(loaded, GradeEvent) == 0


class Platform:
    """AGS 2.0 line items and results as a platform returns them (IMS AGS spec, section 3.2 and 3.3)."""

    def __init__(self) -> None:
        base = "https://moodle.example.org/mod/lti/services.php/2/lineitems"
        self.items: list[dict[str, Any]] = [
            {"id": f"{base}/11/lineitem", "scoreMaximum": 10, "label": "Rights quiz",
             "resourceId": "glam-as-rights-quiz", "tag": "leads"},
            {"id": f"{base}/12/lineitem", "scoreMaximum": 100, "label": "Somebody else's item",
             "resourceId": "not-ours"},
        ]
        self.by_item: dict[str, list[dict[str, Any]]] = {f"{base}/11/lineitem": [
            {"id": f"{base}/11/lineitem/results/7", "scoreOf": f"{base}/11/lineitem", "userId": "7",
             "resultScore": 8, "resultMaximum": 10},
            {"id": f"{base}/11/lineitem/results/8", "scoreOf": f"{base}/11/lineitem", "userId": "8",
             "resultScore": 0.5},  # resultMaximum absent: 1
            {"id": f"{base}/11/lineitem/results/9", "scoreOf": f"{base}/11/lineitem", "userId": "9"},
        ]}

    def line_items(self, **filters: str) -> list[dict[str, Any]]:
        return list(self.items)

    def results(self, line_item_url: str, user_id: str | None = None) -> list[dict[str, Any]]:
        rows = self.by_item.get(line_item_url, [])
        return [dict(r) for r in rows if user_id is None or r["userId"] == user_id]


def test_ags_poll_reads_own_line_items_and_is_incremental(loaded: Database) -> None:
    platform = Platform()
    kw: dict[str, Any] = dict(cfg=CFG, design=STACK, source="ags:moodle", context="moodle:2",
                              learner_of=lambda u: f"moodle:{u}")
    polled = intake.poll_context(loaded, platform, **kw)
    assert (polled.grades, polled.duplicates) == (2, 0)  # ungraded and foreign items are skipped
    with loaded.session() as session:
        percents = {e.learner: e.percent for e in session.scalars(select(GradeEvent))}
    assert percents == {"moodle:7": 80.0, "moodle:8": 50.0}
    assert count(loaded, Award) == 1  # 80 % passes the 70 % quiz, 50 % does not
    again = intake.poll_context(loaded, platform, **kw)
    assert (again.grades, again.duplicates, again.awarded) == (2, 2, 0) and count(loaded, GradeEvent) == 2
    platform.by_item[platform.items[0]["id"]][1]["resultScore"] = 0.9  # regraded
    intake.poll_context(loaded, platform, **kw)
    assert count(loaded, GradeEvent) == 3 and count(loaded, Award) == 2


def test_claim_awards_on_the_spot_or_says_what_is_missing(loaded: Database) -> None:
    platform = Platform()
    kw: dict[str, Any] = dict(cfg=CFG, design=STACK, source="ags:moodle", context="moodle:2")
    result = intake.claim(loaded, platform, learner="moodle:7", user_id="7", learner_name="Ada", **kw)
    assert [a.achievement for a in result.awards] == ["glam-mc-rights"]
    assert result.awards[0].state == "pending"  # signed by a worker, never in the request
    texts = [m.text() for m in result.missing]
    assert "no grade yet for 'glam-as-upload-project' (pass mark 75%)" in texts
    low = intake.claim(loaded, platform, learner="moodle:8", user_id="8", **kw)
    assert low.awards == [] and "'glam-as-rights-quiz' is at 50%, the pass mark is 70%" in [
        m.text() for m in low.missing]


def test_score_of_an_own_activity_counts_only_when_fully_graded() -> None:
    score = {"userId": "7", "scoreGiven": 9, "scoreMaximum": 10, "activityProgress": "Completed",
             "gradingProgress": "FullyGraded", "timestamp": "2026-11-25T10:00:00.000Z"}
    kw: dict[str, Any] = dict(resource_id="glam-as-rights-quiz", design=STACK, source="ags-score",
                              context="moodle:2", learner_of=lambda u: f"moodle:{u}")
    grade = intake.grade_from_score(score, **kw)
    assert grade is not None and (grade.score, grade.maximum, grade.learner) == (9, 10, "moodle:7")
    assert intake.grade_from_score({**score, "gradingProgress": "Pending"}, **kw) is None


@pytest.mark.parametrize("db", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_a_big_import_is_one_transaction_with_a_bounded_number_of_locks(loaded: Database) -> None:
    """8,000 learners in one transaction hold at most LOCK_BUCKETS advisory locks (PostgreSQL's lock table is
    finite: 64 per connection by default), not one per learner."""
    grades = [GradeInput(source="csv", learner=f"l{i}", learner_name=f"L {i}", design=STACK,
                         assessment="glam-as-rights-quiz", score=7 + i % 4, maximum=10) for i in range(8000)]
    with loaded.session() as session:
        rules = service.load_rules(session)
        outcomes = service.record_many(session, rules, grades)
        held = session.execute(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                                    "AND pid = pg_backend_pid()")).scalar_one()
    assert sum(len(o.awarded) for o in outcomes) == 8000 and count(loaded, Job) == 8000
    assert 0 < held <= service.LOCK_BUCKETS
