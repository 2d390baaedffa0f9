"""An instructor's view of the awards of one course, a page at a time.

A MOOC course holds 100,000 awards and more: the counts come from one grouped query over the whole course, the
list is one page (newest first, the page after the last award shown: a keyset on the course's own index), narrowed
by state or by a learner's name or LMS user id. Nothing here grows with the size of the course but the counting.
States are as the instructor should see them (``bridge.awards.standing``): an issued award whose credential an
administrator revoked or suspended counts, lists and filters as revoked or suspended.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from sqlalchemy import ColumnElement, func, or_, select, tuple_
from sqlalchemy.orm import Session

from bridge.awards import standing
from bridge.awards.people import NEEDS_NAME
from bridge.awards.tables import Award
from bridge.db import keyset

PAGE_SIZE = 100
STATES = ("issued", "pending", "failed", "revoked", "suspended", NEEDS_NAME)
SEEN = frozenset({"issued", "revoked", "suspended"})  # states the credential's standing decides


@dataclass(frozen=True)
class BoardPage:
    awards: list[Award]
    states: dict[str, str]  # award id -> its state as shown (the credential's standing counted)
    counts: dict[str, int]  # every state of STATES, over the whole course
    matching: int  # awards the filters select, over the whole course
    after: str | None  # the position of the next page; None on the last


def _filters(context: str, state: str | None, learner: str | None) -> list[ColumnElement[bool]]:
    rules: list[ColumnElement[bool]] = [Award.context == context]
    if state:
        rules.append(standing.seen_is(state) if state in SEEN else Award.state == state)
    words = " ".join((learner or "").split())
    if words:  # part of the name, or the LMS's user id (the end of the learner key: ``<source>:<quoted id>``)
        rules.append(or_(Award.learner_name.icontains(words, autoescape=True),
                         Award.learner.endswith(":" + quote(words, safe=""), autoescape=True)))
    return rules


def course_page(session: Session, context: str, *, state: str | None = None, learner: str | None = None,
                after: str | None = None, limit: int | None = None) -> BoardPage:
    """One page of the course's awards with the course's counts; ``after`` is the previous page's ``after``."""
    limit = limit or PAGE_SIZE
    position = keyset.read(after, datetime, str) if after else None
    seen = standing.seen_state()
    by_state: dict[str, int] = {state: n for state, n in session.execute(standing.with_credential(
        select(seen, func.count()).select_from(Award)).where(Award.context == context).group_by(seen))}
    counts = {s: by_state.get(s, 0) for s in STATES}
    rules = _filters(context, state, learner)
    matching = (sum(by_state.values()) if len(rules) == 1 else
                session.scalar(standing.with_credential(select(func.count()).select_from(Award)).where(*rules)) or 0)
    stmt = standing.with_credential(select(Award, seen)).where(*rules)
    if position is not None:
        stmt = stmt.where(tuple_(Award.created_at, Award.id) < tuple_(*position))
    rows, following = keyset.cut(
        list(session.execute(stmt.order_by(Award.created_at.desc(), Award.id.desc()).limit(limit + 1))),
        limit, lambda r: (r[0].created_at, r[0].id))
    return BoardPage([a for a, _ in rows], {a.id: str(shown) for a, shown in rows}, counts, matching, following)

