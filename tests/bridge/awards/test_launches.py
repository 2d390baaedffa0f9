"""What a launch tells the award pipeline survives a course's first launches arriving at once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import select

from bridge.awards import intake, launches, people
from bridge.awards.tables import AgsTarget, LmsContext, LmsPerson
from bridge.db import Database

ISS = "https://moodle.example"
CONTEXT = "course-7"
AGS = {"scope": ["https://purl.imsglobal.org/spec/lti-ags/scope/score"], "lineitems": f"{ISS}/ags/7/lineitems"}


def claims(sub: str, name: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "iss": ISS, "sub": sub, "aud": "leads-client",
        launches.CLAIM_CONTEXT: {"id": CONTEXT, "title": "Archives to Commons"},
        launches.CLAIM_CUSTOM: {"leads_design": "glam-mc-rights"},
        launches.CLAIM_AGS: AGS,
    }
    if name:
        out["name"] = name
    return out


def other_process_inserts_first(monkeypatch: pytest.MonkeyPatch, db: Database, module: Any, function: str,
                                row: Callable[[], Any]) -> list[int]:
    """Between this launch reading "no row yet" and writing one, another process's launch commits the same row:
    the interleaving of two first launches in one course on two web processes."""
    original, calls = getattr(module, function), [0]

    def racing(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        calls[0] += 1
        if calls[0] == 1:
            with db.session() as other:
                other.add(row())
        return result

    monkeypatch.setattr(module, function, racing)
    return calls


def test_a_launch_that_loses_the_race_for_the_course_row_is_still_recorded(
        db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = other_process_inserts_first(monkeypatch, db, people, "remember_context", old_course_row)
    who = launches.who_from_claims(claims("learner-2"), {}, instructor=False)
    launches.record_launch(db, who)  # before: IntegrityError, and the launch's facts were lost with it
    assert calls[0] == 2  # the conflict was met, and the launch ran again past it
    with db.session() as session:
        assert session.scalars(select(LmsContext.title)).all() == ["Archives to Commons"]
        target = session.scalars(select(AgsTarget)).one()
        assert (target.endpoint, target.source, target.design) == (AGS, who.source, "glam-mc-rights")


@pytest.mark.postgres
@pytest.mark.parametrize("db", ["postgres"], indirect=True)
def test_the_learner_s_name_survives_races_on_postgres(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """With a name, SQLite has taken its write lock before the course rows are read (no race left to lose);
    PostgreSQL lets launches interleave, here twice in one launch, and the learner's name must not go with them."""
    contexts = other_process_inserts_first(monkeypatch, db, people, "remember_context", old_course_row)
    targets = other_process_inserts_first(
        monkeypatch, db, intake, "remember_target",
        lambda: AgsTarget(context=f"lti:{_iss()}:{CONTEXT}", design="glam-mc-rights", source="x", issuer=ISS,
                          client_id="leads-client", endpoint={}))
    who = launches.who_from_claims(claims("learner-3", "Grace Hopper"), {}, instructor=False)
    launches.record_launch(db, who)
    assert (contexts[0], targets[0]) == (3, 2)  # two conflicts, three runs
    with db.session() as session:
        assert session.scalars(select(LmsPerson.name)).all() == ["Grace Hopper"]
        assert session.scalars(select(LmsContext.title)).all() == ["Archives to Commons"]
        assert session.scalars(select(AgsTarget.endpoint)).all() == [AGS]


def old_course_row() -> LmsContext:
    return LmsContext(context=f"lti:{_iss()}:{CONTEXT}", title="Old title")


def _iss() -> str:
    return quote(ISS, safe="")
