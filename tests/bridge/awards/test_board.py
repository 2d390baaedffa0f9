"""The instructor's awards dashboard at MOOC size: counts over the whole course, one page of awards at a time (newest
first, every award on exactly one page, ties by id), narrowed by state or learner; through the real LTI launch of
the loopback platform, on both back-ends."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bridge.awards import board
from bridge.awards.tables import Award
from bridge.db import Database
from bridge.errors import LeadsError
from tests.bridge.ltitool.conftest import Peers, peers  # noqa: F401  - the loopback platform + tool fixture
from tests.lti.platform import INSTRUCTOR, LEARNER, PendingLaunch

JSON = {"Accept": "application/json"}
STATES = ["issued"] * 5 + ["pending", "failed", "revoked", "needs_name"]
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _fill(db: Database, context: str, n: int, source: str = "lti") -> None:
    """``n`` awards, three to a second (ties the order must break by id), names for all but the waiting ones."""
    with db.session() as session:
        for i in range(n):
            state = STATES[i % len(STATES)]
            session.add(Award(learner=f"{source}:{context}%2Fu{i}", design="d", achievement=f"a{i}", context=context,
                              state=state, learner_name=None if state == "needs_name" else f"Learner {i:03d}",
                              created_at=T0 + timedelta(seconds=i // 3)))
        if n:
            session.add(Award(learner=f"{source}:odd-{context}", design="d", achievement="odd", context=context,
                              state="issued", learner_name="50% Ramírez", created_at=T0))


def _walk(db: Database, context: str, **filters: Any) -> list[Award]:
    seen: list[Award] = []
    after = None
    with db.session() as session:
        while True:
            page = board.course_page(session, context, after=after, limit=7, **filters)
            assert len(page.awards) <= 7
            seen += page.awards
            after = page.after
            if after is None:
                return seen


def test_every_award_of_the_course_on_exactly_one_page_newest_first(db: Database) -> None:
    _fill(db, "course-a", 60)
    _fill(db, "course-b", 10)
    seen = _walk(db, "course-a")
    assert len(seen) == 61 and len({a.id for a in seen}) == 61
    assert [(a.created_at, a.id) for a in seen] == sorted(((a.created_at, a.id) for a in seen), reverse=True)
    assert {a.context for a in seen} == {"course-a"}
    with db.session() as session:
        page = board.course_page(session, "course-a", limit=7)
    assert page.counts == {"issued": 35 + 1, "pending": 7, "failed": 6, "revoked": 6, "suspended": 0,
                           "needs_name": 6}
    assert page.matching == 61


def test_narrowed_by_state_and_by_learner(db: Database) -> None:
    _fill(db, "course-a", 60)
    failed = _walk(db, "course-a", state="failed")
    assert len(failed) == 6 and {a.state for a in failed} == {"failed"}
    assert sorted(a.learner_name or "" for a in _walk(db, "course-a", learner="learner 04")) == [
        f"Learner {i:03d}" for i in range(40, 50) if STATES[i % len(STATES)] != "needs_name"]
    assert [a.learner_name for a in _walk(db, "course-a", learner=" 50%  ")] == ["50% Ramírez"]  # % is a character
    assert [a.learner_name for a in _walk(db, "course-a", learner="ramí")] == ["50% Ramírez"]
    assert [a.learner for a in _walk(db, "course-a", learner="course-a/u8")] == ["lti:course-a%2Fu8"]  # LMS user id
    assert _walk(db, "course-a", learner="u8") == []  # a user id matches whole, not in part
    with db.session() as session:
        page = board.course_page(session, "course-a", state="issued", learner="learner 00")
    assert page.matching == len(page.awards) == 6 and page.counts["issued"] == 36


def test_a_page_costs_the_same_far_down_the_list(db: Database) -> None:
    """Page 9 of the course reads no more rows than page 1 (a keyset, not an offset)."""
    _fill(db, "course-a", 60)
    with db.session() as session:
        after, loaded = None, []
        for _ in range(9):
            session.expunge_all()
            page = board.course_page(session, "course-a", after=after, limit=7)
            loaded.append(len(session.identity_map))
            after = page.after
    assert loaded == [7] * 8 + [61 - 56], loaded


@pytest.mark.parametrize("after", ["zzz", "W10", "WyJ4Il0", "WyJub3QgYSB0aW1lIiwiYWJjIl0", "WzEsMl0"])
def test_a_changed_position_is_refused_with_what_to_do(db: Database, after: str) -> None:
    with db.session() as session, pytest.raises(LeadsError) as refused:
        board.course_page(session, "course-a", after=after)
    assert (refused.value.code, refused.value.status) == ("invalid_cursor", 422)


def _course_of(peers: Peers) -> tuple[str, str]:  # noqa: F811
    r, _ = peers.launch(PendingLaunch("resource", "teacher-1", [INSTRUCTOR]), accept="application/json")
    teacher = str(r.json()["launch_id"])
    board_url = f"{peers.tool_base}/awards/course/{teacher}"
    context = peers.http.get(board_url, headers=JSON).json()["context"]
    return board_url, context


def test_the_dashboard_pages_through_a_large_course(peers: Peers, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    monkeypatch.setattr(board, "PAGE_SIZE", 25)
    url, context = _course_of(peers)
    _fill(peers.db, context, 60)
    body = peers.http.get(url, headers=JSON).json()
    assert body["counts"] == {"issued": 36, "pending": 7, "failed": 6, "revoked": 6, "suspended": 0,
                              "needs_name": 6}
    assert body["matching"] == 61 and len(body["awards"]) == 25
    ids, following = [a["id"] for a in body["awards"]], body["next"]
    while following:
        body = peers.http.get(f"{peers.tool_base}{following}", headers=JSON).json()
        ids += [a["id"] for a in body["awards"]]
        following = body["next"]
    assert len(ids) == len(set(ids)) == 61

    page = peers.http.get(url, params={"lang": "en"}).text
    assert "Showing 25 of 61 awards, newest first." in page and "Earned and issued: <strong>36</strong>" in page
    nxt = re.search(r'<a href="([^"]+)" rel="next">Next page</a>', page)
    assert nxt is not None
    second = peers.http.get(f"{peers.tool_base}{nxt.group(1).replace('&amp;', '&')}").text
    assert "First page</a>" in second and "Showing 25 of 61 awards" in second
    es = peers.http.get(url, params={"lang": "es", "state": "failed"}).text
    assert "Se muestran" not in es  # one page: no page links
    assert es.count("<tr>") == 1 + 6 and 'value="failed" selected' in es
    none = peers.http.get(url, params={"lang": "es", "learner": "nadie"}).text
    assert "Ningún certificado otorgado en este curso coincide." in none


def test_the_dashboard_refuses_what_it_cannot_show(peers: Peers) -> None:  # noqa: F811
    url, _ = _course_of(peers)
    wrong = peers.http.get(url, params={"state": "lost"}, headers=JSON)
    assert wrong.status_code == 422 and wrong.json()["error"] == "invalid_state"
    assert "issued, pending, failed, revoked, suspended, needs_name" in wrong.json()["message"]
    cut = peers.http.get(url, params={"after": "WyIyMDI2"}, headers=JSON)
    assert cut.status_code == 422 and "start again from the first page" in cut.json()["message"]
    r, _ = peers.launch(PendingLaunch("resource", "learner-1", [LEARNER]), accept="application/json")
    learner = peers.http.get(f"{peers.tool_base}/awards/course/{r.json()['launch_id']}", headers=JSON)
    assert learner.status_code == 403
